"""Pages for allocation, an AMHP's allocations and the assessment record. Thin: services and selectors work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from amhp_hub.common.audit import audit
from amhp_hub.common.errors import ConflictError, WarningsToConfirm
from amhp_hub.common.forms import DATETIME_INPUT, LondonDateTimeWidget
from amhp_hub.common.pagination import CursorError
from amhp_hub.common.versioning import StaleWrite
from amhp_hub.common.web import add_service_errors, role_required
from assessments import handover_selectors, handover_services, request_selectors, request_services, selectors, services
from assessments.board import board_page
from assessments.forms import (
    AllocateForm,
    CallInForm,
    DeclineForm,
    DoctorForm,
    EventForm,
    HandoverForm,
    PlanForm,
    RecordForm,
    RequestForm,
    RequestUpdateForm,
)
from assessments.models import (
    OPEN_ASSESSMENT_STATUSES,
    Assessment,
    AssessmentStatus,
    CaseRequest,
    DelayReason,
    Handover,
)
from assessments.waits import current_blocker
from referrals.models import Person, PersonHistory, Referral
from referrals.selectors import referrals_visible_to
from rota import doctor_selectors
from rota.models import Role, StaffProfile
from rota.selectors import amhps_of

DESK = (Role.CONSULTANT, Role.MANAGER)
EVERYONE = (Role.CONSULTANT, Role.MANAGER, Role.AMHP)
WORKING = (AssessmentStatus.ACCEPTED, AssessmentStatus.IN_PROGRESS)


def _profile(request: HttpRequest) -> StaffProfile:
    return request.user.staff_profile  # type: ignore[union-attr]


CONFIRM_HINT = "Tick \u201cI have checked the working-time warnings\u201d to allocate anyway, or choose someone else"


def _hidden_time(value: datetime | None) -> tuple[str, str]:
    """The planned time as the row forms post it back: London wall-clock text and, in the repeated hour, the clock."""
    if value is None:
        return "", ""
    naive, clock = LondonDateTimeWidget().decompress(value)
    return naive.strftime(DATETIME_INPUT), clock


def _candidates_page(
    request: HttpRequest,
    referral: Referral,
    *,
    data: QueryDict | None,
    call_in_form: CallInForm | None = None,
    call_in_warnings: list[str] | None = None,
    errors: list[tuple[str, str]] | None = None,
    confirm_for: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    plan_form = PlanForm(data if data is not None and data.get("planned_at") else None, now=now)
    planned_at: datetime | None = None
    if plan_form.is_bound:
        if plan_form.is_valid():
            planned_at = plan_form.cleaned_data["planned_at"]
        else:
            status = 400
    at = planned_at or now
    in_queue = referral.is_in_queue
    options = selectors.candidate_options(referral, at) if in_queue else []
    if in_queue and call_in_form is None:
        call_in_form = CallInForm(
            amhps=amhps_of(service_id=referral.service_id), off_rota=selectors.off_rota_amhps(referral, now)
        )
    plan_value, plan_clock = _hidden_time(planned_at)
    context = {
        "referral": referral,
        "person": referral.person,
        "options": options,
        "plan_form": plan_form,
        "planned_at": planned_at,
        "plan_value": plan_value,
        "plan_clock": plan_clock,
        "call_in_form": call_in_form,
        "call_in_warnings": call_in_warnings or [],
        "errors": errors or [],
        "confirm_for": confirm_for,
        "allocation": selectors.live_assessment_for(referral),
        "expected_hours": selectors.work_for(referral, at).expected_hours,
        "now": now,
    }
    return render(request, "assessments/candidates.html", context, status=status)


def _allocated(request: HttpRequest, referral: Referral, assessment: Assessment) -> HttpResponse:
    message = f"Referral {referral.reference} allocated to {assessment.amhp.display_name}"
    if assessment.planned_for:
        message += f": {assessment.planned_label[0].lower()}{assessment.planned_label[1:]}"
    messages.success(request, message)
    return redirect("referrals:detail", pk=referral.pk)


def _call_in(request: HttpRequest, referral: Referral) -> HttpResponse:
    form = CallInForm(
        request.POST,
        amhps=amhps_of(service_id=referral.service_id),
        off_rota=selectors.off_rota_amhps(referral, timezone.now()),
    )
    warnings: list[str] = []
    if form.is_valid():
        try:
            assessment = services.assessment_allocate(
                referral=referral,
                amhp=form.cleaned_data["amhp"],
                actor=request.user,
                call_in_reason=form.cleaned_data["call_in_reason"],
                warnings_confirmed=form.cleaned_data["confirm_warnings"],
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect("assessments:candidates", pk=referral.pk)
        except WarningsToConfirm as exc:
            warnings = exc.warnings
            form.add_error("confirm_warnings", "Tick the box to confirm you have checked the working-time warnings")
        except ValidationError as exc:
            # The one refusal the service files under the reason (someone on duty is not a call-in) is about the
            # AMHP chosen, so it is shown there.
            for field, found in exc.message_dict.items():
                for message in found:
                    form.add_error("amhp" if field in ("amhp", "call_in_reason") else None, message)
        else:
            return _allocated(request, referral, assessment)
    return _candidates_page(request, referral, data=None, call_in_form=form, call_in_warnings=warnings, status=400)


@role_required(*DESK)
@require_http_methods(["GET", "POST"])
def candidates(request: HttpRequest, pk: str) -> HttpResponse:
    """The AMHPs on duty now, or at a later time to plan for, ranked for a referral, each with an Allocate button;
    and a call-in of an AMHP who is off duty. Working-time warnings must be confirmed before allocating."""
    referral = get_object_or_404(referrals_visible_to(_profile(request)), pk=pk)
    if request.method != "POST":
        return _candidates_page(request, referral, data=request.GET)
    if request.POST.get("action") == "call_in":
        return _call_in(request, referral)
    form = AllocateForm(request.POST)
    if not form.is_valid():
        errors = [(str(message), "#candidates") for found in form.errors.values() for message in found]
        return _candidates_page(request, referral, data=request.POST, errors=errors, status=400)
    amhp = StaffProfile.objects.filter(pk=form.cleaned_data["amhp"]).first()
    try:
        if amhp is None:
            raise ValidationError({"amhp": ["Choose an AMHP of this service"]})
        assessment = services.assessment_allocate(
            referral=referral,
            amhp=amhp,
            actor=request.user,
            planned_at=form.cleaned_data["planned_at"],
            warnings_confirmed=form.cleaned_data["confirm_warnings"],
        )
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect("assessments:candidates", pk=referral.pk)
    except WarningsToConfirm as exc:
        target = f"#confirm-{form.cleaned_data['amhp']}"
        errors = [(warning, target) for warning in exc.warnings] + [(CONFIRM_HINT, target)]
        return _candidates_page(
            request, referral, data=request.POST, errors=errors, confirm_for=str(form.cleaned_data["amhp"]), status=400
        )
    except ValidationError as exc:
        errors = [(str(message), "#candidates") for message in exc.messages]
        return _candidates_page(request, referral, data=request.POST, errors=errors, status=400)
    return _allocated(request, referral, assessment)


@role_required(Role.AMHP)
def my_allocations(request: HttpRequest) -> HttpResponse:
    """An AMHP's open allocations as cards, for a phone: work for now first, then planned work by its planned time."""
    now = timezone.now()
    allocations = list(selectors.my_allocations(_profile(request)))
    audit(
        actor=request.user,
        service_id=_profile(request).service_id,
        action="list",
        object_type="assessment",
        object_ids=[a.pk for a in allocations],
    )
    planned = sorted(
        (a for a in allocations if a.planned_for and a.planned_for > now), key=lambda a: a.planned_for or now
    )
    current = [a for a in allocations if a not in planned]
    context = {"allocations": allocations, "current": current, "planned": planned, "now": now}
    return render(request, "assessments/my_allocations.html", context)


def _own(request: HttpRequest, pk: str) -> Assessment:
    return get_object_or_404(selectors.assessment_visible_to(_profile(request)), pk=pk)


def _act(request: HttpRequest, pk: str, action: Callable[[Assessment], Any], success: str, to: str) -> HttpResponse:
    assessment = _own(request, pk)
    try:
        action(assessment)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success.format(reference=assessment.referral.reference))
    return redirect(to, pk=assessment.pk) if to == "assessments:detail" else redirect(to)


@role_required(Role.AMHP)
@require_POST
def accept(request: HttpRequest, pk: str) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda a: services.assessment_accept(assessment=a, actor=request.user),
        "You accepted referral {reference}",
        "assessments:my_allocations",
    )


@role_required(Role.AMHP)
@require_http_methods(["GET", "POST"])
def decline(request: HttpRequest, pk: str) -> HttpResponse:
    assessment = _own(request, pk)
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_decline(assessment=assessment, actor=request.user, reason=form.cleaned_data["reason"])
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect("assessments:my_allocations")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"You declined referral {assessment.referral.reference}")
            return redirect("assessments:my_allocations")
    status = 400 if request.method == "POST" else 200
    return render(request, "assessments/decline.html", {"assessment": assessment, "form": form}, status=status)


def _detail_page(request: HttpRequest, assessment: Assessment, status: int = 200, **forms: Any) -> HttpResponse:
    editable = _profile(request).role == Role.AMHP and assessment.status in WORKING
    now = timezone.now()
    directory = list(doctor_selectors.directory_of(service_id=assessment.service_id))
    case_requests = list(request_selectors.requests_for(referral_id=assessment.referral_id))
    waits = request_selectors.case_waits(
        case_requests, now=now, open_case=assessment.status in OPEN_ASSESSMENT_STATUSES
    )
    can_log = assessment.status in WORKING and (editable or _profile(request).role in DESK)
    context: dict[str, Any] = {
        "case_requests": [
            (r, RequestUpdateForm(prefix=f"req{r.pk}", initial={"outcome": r.outcome})) for r in case_requests
        ],
        "waits": waits,
        "blocker": current_blocker(waits),
        "can_log": can_log,
        "handovers": list(assessment.handovers.select_related("from_amhp__user", "to_amhp__user")),
        "assessment": assessment,
        "referral": assessment.referral,
        "person": assessment.referral.person,
        "timeline": list(assessment.timeline.all()),
        "doctors": list(assessment.doctors.all()),
        "delay_labels": [dict(DelayReason.choices).get(r, r) for r in assessment.delay_reasons],
        "editable": editable,
        "can_respond": _profile(request).role == Role.AMHP and assessment.status == AssessmentStatus.OFFERED,
        "is_open": assessment.status in OPEN_ASSESSMENT_STATUSES,
        "now": timezone.now(),
    }
    if can_log:
        context["request_form"] = forms.get("request_form") or RequestForm(
            directory=directory, initial={"requested_at": timezone.localtime(now)}
        )
        targets = handover_selectors.handover_targets(assessment=assessment, now=now)
        context["handover_form"] = forms.get("handover_form") or HandoverForm(targets=targets, reassign=not editable)
    if editable:
        context["event_form"] = forms.get("event_form") or EventForm(initial={"at": timezone.localtime()})
        context["doctor_form"] = forms.get("doctor_form") or DoctorForm(directory=directory)
        context["record_form"] = forms.get("record_form") or RecordForm(initial=_record_initial(assessment))
        context["complete_errors"] = forms.get("complete_errors") or {}
    return render(request, "assessments/detail.html", context, status=status)


def _record_initial(assessment: Assessment) -> dict[str, Any]:
    initial = {f: getattr(assessment, f) for f in services.RECORD_FIELDS}
    for field in services.TIME_FIELDS:
        if initial[field]:
            initial[field] = timezone.localtime(initial[field])
    start, end = assessment.work_started_at, assessment.work_ended_at
    # Hours worked the service worked out from the times are shown blank so that new times recompute them.
    if start and end and assessment.hours_worked == services._hours_between(start, end):
        initial["hours_worked"] = None
    initial["version"] = assessment.version
    return initial


@role_required(*EVERYONE)
def detail(request: HttpRequest, pk: str) -> HttpResponse:
    assessment = _own(request, pk)
    audit(actor=request.user, service_id=assessment.service_id, action="view", obj=assessment)
    return _detail_page(request, assessment)


def _record_post(
    request: HttpRequest,
    pk: str,
    form: forms.Form,
    form_slot: str,
    write: Callable[[Assessment, Any], object],
    success: Callable[[Any], str],
) -> HttpResponse:
    """Validate FORM, WRITE it to the AMHP's own assessment, and redirect with a banner.

    A conflict (the record is closed) is a banner on the record; invalid input re-renders
    the record with FORM in FORM_SLOT, its errors shown and its values kept.
    """
    assessment = _own(request, pk)
    if form.is_valid():
        try:
            write(assessment, form)
        except StaleWrite as exc:
            # Keep what was typed and say what the other change was; saving again applies it to the new version.
            form.add_error(None, exc.message)
            data = cast(QueryDict, form.data).copy()
            data[form.add_prefix("version")] = str(exc.current_version)
            form.data = data
            return _detail_page(request, _own(request, pk), status=409, **{form_slot: form})
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect("assessments:detail", pk=assessment.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success(form))
            return redirect("assessments:detail", pk=assessment.pk)
    return _detail_page(request, _own(request, pk), status=400, **{form_slot: form})


@role_required(Role.AMHP)
@require_POST
def add_event(request: HttpRequest, pk: str) -> HttpResponse:
    return _record_post(
        request,
        pk,
        EventForm(request.POST),
        "event_form",
        lambda a, f: services.assessment_record_event(assessment=a, actor=request.user, **f.cleaned_data),
        lambda f: "Added to the timeline",
    )


@role_required(Role.AMHP)
@require_POST
def add_doctor(request: HttpRequest, pk: str) -> HttpResponse:
    return _record_post(
        request,
        pk,
        DoctorForm(request.POST, directory=doctor_selectors.directory_of(service_id=_profile(request).service_id)),
        "doctor_form",
        lambda a, f: services.assessment_update_record(
            assessment=a, actor=request.user, data={}, doctors=[f.cleaned_data]
        ),
        lambda f: f"{f.cleaned_data['name'] or f.cleaned_data['directory_doctor'].name} added",
    )


@role_required(Role.AMHP)
@require_POST
def update_record(request: HttpRequest, pk: str) -> HttpResponse:
    return _record_post(
        request,
        pk,
        RecordForm(request.POST),
        "record_form",
        lambda a, f: services.assessment_update_record(
            assessment=a, actor=request.user, data=f.service_data(), expected_version=f.cleaned_data.get("version")
        ),
        lambda f: "Record saved",
    )


@role_required(Role.AMHP)
@require_POST
def complete(request: HttpRequest, pk: str) -> HttpResponse:
    """Complete the assessment: the first POST asks for confirmation, the confirmed one completes it."""
    assessment = _own(request, pk)
    if request.POST.get("confirm") != "yes":
        if assessment.status not in WORKING:
            messages.error(request, "This assessment cannot be completed now.")
            return redirect("assessments:detail", pk=assessment.pk)
        return render(
            request,
            "assessments/complete_confirm.html",
            {"assessment": assessment, "referral": assessment.referral, "person": assessment.referral.person},
        )
    try:
        services.assessment_complete(assessment=assessment, actor=request.user)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect("assessments:detail", pk=assessment.pk)
    except ValidationError as exc:
        return _detail_page(request, assessment, status=400, complete_errors=exc.message_dict)
    messages.success(request, f"Assessment of referral {assessment.referral.reference} completed")
    return redirect("assessments:detail", pk=assessment.pk)


@role_required(*EVERYONE)
@require_POST
def add_request(request: HttpRequest, pk: str) -> HttpResponse:
    """Log a request on the case (a call to a doctor, a bed, an ambulance...)."""
    assessment = _own(request, pk)
    form = RequestForm(request.POST, directory=doctor_selectors.directory_of(service_id=assessment.service_id))
    if form.is_valid():
        try:
            if assessment.status not in WORKING:
                raise ConflictError("Requests are logged on accepted work in progress")
            made = request_services.case_request_create(
                referral=assessment.referral, actor=request.user, data=form.cleaned_data
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect("assessments:detail", pk=assessment.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{made.get_kind_display()} request logged")
            return redirect(f"{reverse('assessments:detail', args=[assessment.pk])}#requests")
    return _detail_page(request, _own(request, pk), status=400, request_form=form)


@role_required(*EVERYONE)
@require_POST
def update_request(request: HttpRequest, pk: str, request_id: int) -> HttpResponse:
    """Record a request's outcome and when it arrived."""
    assessment = _own(request, pk)
    found = get_object_or_404(CaseRequest, pk=request_id, referral_id=assessment.referral_id)
    form = RequestUpdateForm(request.POST, prefix=f"req{found.pk}")
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "arrived_at" or v is not None}
        try:
            request_services.case_request_update(request=found, actor=request.user, data=data)
        except ValidationError as exc:
            for msg in exc.messages:
                messages.error(request, f"{found.get_kind_display()}: {msg}")
        else:
            messages.success(request, f"{found.get_kind_display()} request updated")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{found.get_kind_display()}: {error}")
    return redirect(f"{reverse('assessments:detail', args=[assessment.pk])}#requests")


@role_required(*EVERYONE)
@require_POST
def hand_on(request: HttpRequest, pk: str) -> HttpResponse:
    """The AMHP hands the work over; a consultant or manager reassigns it with a reason."""
    assessment = _own(request, pk)
    desk = _profile(request).role in DESK
    targets = handover_selectors.handover_targets(assessment=assessment, now=timezone.now())
    form = HandoverForm(request.POST, targets=targets, reassign=desk)
    if form.is_valid():
        try:
            handover = handover_services.assessment_hand_on(
                assessment=assessment,
                actor=request.user,
                to_amhp=form.cleaned_data["to"],
                notes=form.cleaned_data["notes"],
                kind=Handover.Kind.REASSIGN if desk else Handover.Kind.HANDOVER,
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect("assessments:detail", pk=assessment.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Referral {assessment.referral.reference} is now with {handover.to_amhp.display_name}"
            )
            if desk:
                return redirect("assessments:detail", pk=assessment.pk)
            return redirect("assessments:my_allocations")
    return _detail_page(request, _own(request, pk), status=400, handover_form=form)


@role_required(*DESK)
def board(request: HttpRequest) -> HttpResponse:
    """The consultant's live board of every open case; htmx refreshes it like the queue."""
    now = timezone.now()
    profile = _profile(request)
    errors: dict[str, list[str]] = {}
    try:
        board = board_page(service_id=profile.service_id, now=now, cursor=request.GET.get("cursor"))
    except CursorError as exc:
        errors["cursor"] = [str(exc)]
        board = board_page(service_id=profile.service_id, now=now)
    audit(
        actor=request.user,
        service_id=profile.service_id,
        action="list",
        object_type="referral",
        object_ids=[row.referral.pk for row in board.rows],
    )
    page = board.page
    context = {
        "rows": board.rows,
        "page": page,
        "pages": board.pages,
        "errors": errors,
        "now": now,
    }
    template = "assessments/_board_table.html" if getattr(request, "htmx", False) else "assessments/board.html"
    return render(request, template, context)


@role_required(*DESK)
@require_http_methods(["GET"])
def person(request: HttpRequest, pk: str) -> HttpResponse:
    """A person's record: their details, every referral with its assessments and outcomes, and changes of details.

    Three queries whatever the number of referrals (the person, the referrals with their
    assessments prefetched, the history); an index on (person, received_at) orders them.
    """
    profile = _profile(request)
    subject = get_object_or_404(Person.objects.filter(service_id=profile.service_id), pk=pk)
    assessments = Assessment.objects.select_related("amhp__user").order_by("allocated_at", "id")
    referrals = list(
        Referral.objects.filter(person=subject)
        .select_related("person")
        .order_by("-received_at", "-id")
        .prefetch_related(Prefetch("assessments", queryset=assessments))
    )
    history = list(PersonHistory.objects.filter(person=subject).select_related("changed_by"))
    audit(actor=request.user, service_id=profile.service_id, action="view", obj=subject)
    return render(
        request,
        "people/detail.html",
        {"person": subject, "referrals": referrals, "history": history, "nav_active": "referrals:search"},
    )
