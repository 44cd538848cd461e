"""Rota pages: the week, shift types, on duty now, leave, swaps, duty frequency, my rota and the calendar feed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET, require_POST

from amhp_hub.common.errors import ConflictError, WarningsToConfirm
from amhp_hub.common.requests import StaffRequest
from amhp_hub.common.web import add_service_errors, role_required
from rota import ical, selectors, services
from rota.forms import (
    ApplyPatternForm,
    LeaveForm,
    PatternForm,
    PeriodForm,
    PlaceShiftForm,
    ShiftTypeCreateForm,
    ShiftTypeDetailsForm,
    SwapRequestForm,
)
from rota.models import Leave, Role, Shift, ShiftType, SwapRequest
from rota.timefmt import format_day

ALL = (Role.CONSULTANT, Role.AMHP, Role.MANAGER)
MANAGER = (Role.MANAGER,)
FEED_HISTORY = timedelta(days=92)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_url(day: date) -> str:
    return f"{reverse('rota:rota')}?week={_monday(day).isoformat()}"


PLACE_CONFIRM = "Tick the box to confirm you have checked the rest warning, or choose another shift or day"
LEAVE_CONFIRM = "Tick the box to confirm you have checked the cover gap, or change the dates"


def _week_page(
    request: StaffRequest,
    week: date,
    place_form: PlaceShiftForm | None = None,
    status: int = 200,
    place_warnings: list[str] | None = None,
) -> HttpResponse:
    profile = request.user.staff_profile
    service_id = profile.service_id
    grid = selectors.rota_week(service_id=service_id, week_start=week)
    context: dict[str, Any] = {
        "week": week,
        "week_end": week + timedelta(days=6),
        "previous_week": week - timedelta(days=7),
        "next_week": week + timedelta(days=7),
        "grid": grid,
        "today": timezone.localdate(),
        "now_instant": timezone.now(),
        "is_manager": profile.role == Role.MANAGER,
        "place_warnings": place_warnings or [],
    }
    if profile.role == Role.MANAGER:
        context["warnings"] = selectors.working_time_warnings(
            service_id=service_id, start=selectors.day_start(week), end=selectors.day_start(week + timedelta(days=7))
        )
        context["place_form"] = place_form or PlaceShiftForm(
            amhps=selectors.amhps_of(service_id=service_id),
            shift_types=selectors.shift_types_for(service_id=service_id),
            initial={"day": week},
        )
    return render(request, "rota/week.html", context, status=status)


@role_required(*ALL)
@require_GET
def rota(request: StaffRequest) -> HttpResponse:
    """The week's rota: a row per shift type, a column per day, gaps and bank holidays marked."""
    raw = request.GET.get("week", "")
    try:
        chosen = parse_date(raw) if raw else None
    except ValueError:
        chosen = None
    if raw and chosen is None:
        messages.error(request, "That week could not be read, so this week is shown")
    return _week_page(request, _monday(chosen or timezone.localdate()))


@role_required(*MANAGER)
@require_POST
def shift_place(request: StaffRequest) -> HttpResponse:
    service_id = request.user.staff_profile.service_id
    form = PlaceShiftForm(
        request.POST,
        amhps=selectors.amhps_of(service_id=service_id),
        shift_types=selectors.shift_types_for(service_id=service_id),
    )
    week = _monday(timezone.localdate())
    warnings: list[str] = []
    if form.is_valid():
        data = dict(form.cleaned_data)
        confirmed = data.pop("confirm")
        week = _monday(data["day"])
        try:
            shift = services.shift_place(actor=request.user, rest_confirmed=confirmed, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        except WarningsToConfirm as exc:
            warnings = exc.warnings
            form.add_error("confirm", PLACE_CONFIRM)
        else:
            messages.success(
                request,
                f"{shift.staff.display_name} placed on the {shift.shift_type.name} shift on {format_day(shift.day)}",
            )
            return redirect(_week_url(shift.day))
    return _week_page(request, week, place_form=form, status=400, place_warnings=warnings)


@role_required(*MANAGER)
@require_POST
def shift_cancel(request: StaffRequest, pk: str) -> HttpResponse:
    shift = get_object_or_404(
        Shift.objects.select_related("staff__user", "shift_type"),
        pk=pk,
        service_id=request.user.staff_profile.service_id,
    )
    try:
        services.shift_cancel(actor=request.user, shift=shift)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{shift.staff.display_name} taken off the {shift.shift_type.name} shift on {format_day(shift.day)}",
        )
    return redirect(_week_url(shift.day))


def _patterns_page(
    request: StaffRequest, pattern_form: PatternForm | None = None, apply_form: ApplyPatternForm | None = None
) -> HttpResponse:
    service_id = request.user.staff_profile.service_id
    patterns = selectors.patterns_of(service_id=service_id)
    today = timezone.localdate()
    context = {
        "patterns": list(patterns),
        "shift_types": list(selectors.shift_types_for(service_id=service_id)),
        "pattern_form": pattern_form
        or PatternForm(amhps=selectors.amhps_of(service_id=service_id), initial={"starts_on": _monday(today)}),
        "apply_form": apply_form
        or ApplyPatternForm(patterns=patterns, initial={"start": today, "end": today + timedelta(days=27)}),
        "nav_active": "rota:rota",
    }
    status = 400 if (pattern_form and pattern_form.errors) or (apply_form and apply_form.errors) else 200
    return render(request, "rota/patterns.html", context, status=status)


@role_required(*MANAGER)
def patterns(request: StaffRequest) -> HttpResponse:
    """Repeating patterns: create one for an AMHP, or apply patterns over a date range."""
    if request.method != "POST":
        return _patterns_page(request)
    service_id = request.user.staff_profile.service_id
    if request.POST.get("action") == "create":
        form = PatternForm(request.POST, amhps=selectors.amhps_of(service_id=service_id))
        if form.is_valid():
            try:
                pattern = services.pattern_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Pattern {pattern.name!r} created")
                return redirect("rota:patterns")
        return _patterns_page(request, pattern_form=form)
    apply_form = ApplyPatternForm(request.POST, patterns=selectors.patterns_of(service_id=service_id))
    if not apply_form.is_valid():
        return _patterns_page(request, apply_form=apply_form)
    data = apply_form.cleaned_data
    chosen = [data["pattern"]] if data["pattern"] else list(selectors.patterns_of(service_id=service_id))
    created = skipped = 0
    try:
        for pattern in chosen:
            result = services.pattern_apply(actor=request.user, pattern=pattern, start=data["start"], end=data["end"])
            created += len(result.created)
            skipped += len(result.skipped)
    except ValidationError as exc:
        add_service_errors(apply_form, exc)
        return _patterns_page(request, apply_form=apply_form)
    messages.success(request, f"{created} shifts added; {skipped} days skipped (leave or already on the rota)")
    return redirect(_week_url(data["start"]))


@role_required(*MANAGER)
def shift_types(request: StaffRequest) -> HttpResponse:
    """The service's shift types, and a form to add one."""
    profile = request.user.staff_profile
    form = ShiftTypeCreateForm(request.POST if request.method == "POST" else None, initial={"required_cover": 1})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                shift_type = services.shift_type_create(
                    actor=request.user, service=profile.service, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Shift type {shift_type.name!r} added")
                return redirect("rota:shift_types")
        status = 400
    context = {
        "shift_types": list(selectors.shift_types_for(service_id=profile.service_id)),
        "form": form,
        "nav_active": "rota:rota",
    }
    return render(request, "rota/shift_types.html", context, status=status)


@role_required(*MANAGER)
def shift_type_edit(request: StaffRequest, pk: int) -> HttpResponse:
    """Change a shift type's name, required cover and weekdays-only flag (never its times)."""
    shift_type = get_object_or_404(ShiftType, pk=pk, service_id=request.user.staff_profile.service_id)
    status = 200
    if request.method == "POST":
        form = ShiftTypeDetailsForm(request.POST)
        if form.is_valid():
            try:
                services.shift_type_update(actor=request.user, shift_type=shift_type, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Shift type {form.cleaned_data['name']!r} saved")
                return redirect("rota:shift_types")
        status = 400
    else:
        form = ShiftTypeDetailsForm(
            initial={
                "name": shift_type.name,
                "required_cover": shift_type.required_cover,
                "weekdays_only": shift_type.weekdays_only,
            }
        )
    context = {"shift_type": shift_type, "form": form, "nav_active": "rota:rota"}
    return render(request, "rota/shift_type_edit.html", context, status=status)


@role_required(*ALL)
@require_GET
def on_duty(request: StaffRequest) -> HttpResponse:
    now = timezone.now()
    shifts = list(selectors.on_duty_at(service_id=request.user.staff_profile.service_id, at=now))
    return render(request, "rota/on_duty.html", {"shifts": shifts, "now": now})


@role_required(*ALL)
def leave(request: StaffRequest) -> HttpResponse:
    """Leave: managers record it for anyone; AMHPs see their own; consultants see the service's."""
    profile = request.user.staff_profile
    form = None
    status = 200
    gap_warnings: list[str] = []
    if profile.role == Role.MANAGER:
        form = LeaveForm(
            request.POST if request.method == "POST" else None, amhps=selectors.amhps_of(service_id=profile.service_id)
        )
        if request.method == "POST":
            if form.is_valid():
                data = dict(form.cleaned_data)
                confirmed = data.pop("confirm")
                try:
                    record = services.leave_record(actor=request.user, gaps_confirmed=confirmed, **data)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                except WarningsToConfirm as exc:
                    gap_warnings = exc.warnings
                    form.add_error("confirm", LEAVE_CONFIRM)
                else:
                    messages.success(request, f"Leave recorded for {record.staff.display_name}")
                    return redirect("rota:leave")
            status = 400
    elif request.method == "POST":
        raise PermissionDenied("Your role does not allow this.")
    upcoming = selectors.leave_visible_to(profile).filter(ends_at__gt=timezone.now() - timedelta(days=31))
    context = {
        "form": form,
        "gap_warnings": gap_warnings,
        "leave_list": list(upcoming[:200]),
        "is_manager": profile.role == Role.MANAGER,
        "nav_active": "rota:rota",
    }
    return render(request, "rota/leave.html", context, status=status)


@role_required(*MANAGER)
@require_POST
def leave_cancel(request: StaffRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(
        Leave.objects.select_related("staff__user"), pk=pk, staff__service_id=request.user.staff_profile.service_id
    )
    try:
        services.leave_cancel(actor=request.user, leave=record)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Leave for {record.staff.display_name} cancelled")
    return redirect("rota:leave")


def _swap_form(request: StaffRequest, data: Any = None) -> SwapRequestForm:
    profile = request.user.staff_profile
    return SwapRequestForm(
        data,
        shifts=selectors.upcoming_shifts_for(staff=profile, now=timezone.now(), days=92).filter(
            starts_at__gt=timezone.now()
        ),
        colleagues=selectors.amhps_of(service_id=profile.service_id).exclude(pk=profile.pk),
    )


@role_required(*ALL)
def swaps(request: StaffRequest) -> HttpResponse:
    """Swaps: an AMHP asks to hand a shift to a colleague; a manager approves or rejects it."""
    profile = request.user.staff_profile
    form = _swap_form(request) if profile.role == Role.AMHP else None
    status = 200
    if request.method == "POST":
        if profile.role != Role.AMHP:
            raise PermissionDenied("Your role does not allow this.")
        form = _swap_form(request, request.POST)
        if form.is_valid():
            try:
                services.swap_request_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except ConflictError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Swap requested: a manager will approve or reject it")
                return redirect("rota:swaps")
        status = 400
    all_swaps = list(selectors.swaps_visible_to(profile)[:200])
    context = {
        "form": form,
        "open_swaps": [s for s in all_swaps if s.status == SwapRequest.Status.OPEN],
        "decided_swaps": [s for s in all_swaps if s.status != SwapRequest.Status.OPEN],
        "is_manager": profile.role == Role.MANAGER,
        "me_id": profile.pk,
        "nav_active": "rota:rota",
    }
    return render(request, "rota/swaps.html", context, status=status)


@role_required(Role.AMHP)
@require_POST
def swap_withdraw(request: StaffRequest, pk: int) -> HttpResponse:
    """The requesting AMHP withdraws their open swap request; anyone else's request is 404."""
    profile = request.user.staff_profile
    swap = get_object_or_404(SwapRequest, pk=pk, requested_by=profile, shift__service_id=profile.service_id)
    try:
        services.swap_withdraw(swap=swap, actor=request.user)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Swap request withdrawn: the shift stays yours")
    return redirect("rota:swaps")


@role_required(*MANAGER)
@require_POST
def swap_decide(request: StaffRequest, pk: int) -> HttpResponse:
    swap = get_object_or_404(SwapRequest, pk=pk, shift__service_id=request.user.staff_profile.service_id)
    note = request.POST.get("note", "")
    try:
        if request.POST.get("decision") == "approve":
            services.swap_approve(actor=request.user, swap=swap, note=note)
            messages.success(request, "Swap approved: the shift has moved to the colleague")
        elif request.POST.get("decision") == "reject":
            services.swap_reject(actor=request.user, swap=swap, note=note)
            messages.success(request, "Swap rejected")
        else:
            messages.error(request, "Choose approve or reject")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConflictError as exc:
        messages.error(request, exc.message)
    return redirect("rota:swaps")


@role_required(Role.CONSULTANT, Role.MANAGER)
@require_GET
def frequency(request: StaffRequest) -> HttpResponse:
    """How often each AMHP is on duty over a period, with a balance score."""
    today = timezone.localdate()
    form = PeriodForm(request.GET or {"start": today - timedelta(days=27), "end": today})
    report = None
    status = 200
    if form.is_valid():
        report = selectors.duty_frequency(
            service_id=request.user.staff_profile.service_id,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
        )
    else:
        status = 400
    return render(
        request, "rota/frequency.html", {"form": form, "report": report, "nav_active": "rota:rota"}, status=status
    )


@role_required(Role.AMHP)
@require_GET
def mine(request: StaffRequest) -> HttpResponse:
    """The signed-in AMHP's coming shifts and their calendar feed address."""
    profile = request.user.staff_profile
    now = timezone.now()
    token = selectors.live_calendar_token(staff=profile)
    feed_url = request.build_absolute_uri(reverse("rota:calendar_feed", args=[token.token])) if token else None
    context = {
        "shifts": list(selectors.upcoming_shifts_for(staff=profile, now=now)),
        "feed_url": feed_url,
        "now": now,
        "nav_active": "rota:rota",
    }
    return render(request, "rota/mine.html", context)


@role_required(Role.AMHP)
@require_POST
def calendar_token(request: StaffRequest) -> HttpResponse:
    profile = request.user.staff_profile
    if request.POST.get("action") == "revoke":
        services.calendar_token_revoke(actor=request.user, staff=profile)
        messages.success(request, "Calendar feed turned off: the old address no longer works")
    else:
        services.calendar_token_issue(actor=request.user, staff=profile)
        messages.success(request, "New calendar feed address made: any earlier address no longer works")
    return redirect("rota:mine")


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """GET /rota/calendar/<token>.ics: no sign-in; 404 for an unknown or revoked token."""
    now = timezone.now()
    found = selectors.calendar_feed(token=token, since=now - FEED_HISTORY)
    if found is None:
        raise Http404("No such calendar")
    staff, shifts = found
    response = HttpResponse(ical.shifts_calendar(staff=staff, shifts=shifts, now=now), content_type="text/calendar")
    response["Content-Disposition"] = 'inline; filename="rota.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
