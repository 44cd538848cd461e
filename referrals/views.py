"""Pages for intake, the triage queue and a referral's record. Thin: services and selectors do the work."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from amhp_hub.common.audit import audit
from amhp_hub.common.errors import ConflictError
from amhp_hub.common.pagination import CappedPaginator, CursorError, KeysetPaginator
from amhp_hub.common.requests import StaffRequest
from amhp_hub.common.versioning import StaleWrite
from amhp_hub.common.web import add_service_errors, role_required
from referrals import clocks, selectors, services
from referrals.constants import FLAG_LABELS, QUEUE_STATUSES, LegalStatus, Priority, Status
from referrals.forms import AdmitForm, ExtensionForm, LegalStatusChangeForm, ReferralForm, SearchForm, TriageForm
from referrals.models import Referral, name_as_recorded
from referrals.nhs_number import format_nhs_number
from referrals.police_views import police_summary
from referrals.search import parse_terms
from referrals.services import PERSON_FIELDS, REFERRAL_FIELDS
from referrals.templatetags.referral_tags import countdown, countdown_class, priority_class
from rota.models import Role

DESK = (Role.CONSULTANT, Role.MANAGER)


@role_required(*DESK)
def queue(request: StaffRequest) -> HttpResponse:
    profile = request.user.staff_profile
    filters, errors = selectors.filter_args(
        request.GET, {"status": [str(s) for s in QUEUE_STATUSES], "priority": Priority.values}
    )
    values: dict[str, Any] = {"service_id": profile.service_id, "status": None, "priority": None, **filters}
    paginator = KeysetPaginator.compiled(
        _queue_rows, values, selectors.QUEUE_ORDER, settings.QUEUE_PAGE_SIZE, model=Referral, fields=QueueRow.FIELDS
    )
    try:
        page = paginator.page(request.GET.get("cursor"))
    except CursorError as exc:
        errors["cursor"] = [str(exc)]
        page = paginator.page(None)
    referrals = page.rows
    now = timezone.now()
    audit(
        actor=request.user,
        service_id=profile.service_id,
        action="list",
        object_type="referral",
        object_ids=[r["id"] for r in referrals],
    )
    query = urlencode(filters)
    context = {
        "page": page,
        "pages": -(-page.count // settings.QUEUE_PAGE_SIZE),
        "rows": QueueRow.rows(referrals, now),
        "filters": filters,
        "filter_errors": errors,
        "query": query,
        "statuses": [(str(s), s.label) for s in QUEUE_STATUSES],
        "priorities": Priority.choices,
    }
    template = "referrals/_queue_table.html" if request.htmx else "referrals/queue.html"
    return render(request, template, context)


def _queue_rows(*, service_id: int, status: str | None, priority: str | None) -> Any:
    """The queue the page shows (its rows are read as QueueRow.FIELDS; a module-level function: its pages are
    compiled once)."""
    return selectors.queue(service_id=service_id, status=status, priority=priority).select_related(None)


PRIORITY_LABELS = dict(Priority.choices)
LEGAL_STATUS_LABELS = dict(LegalStatus.choices)
STATUS_LABELS = dict(Status.choices)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One queue row with its text worked out in Python: the queue page renders many of these."""

    pk: str
    href: str
    priority: str
    priority_class: str
    due_iso: str
    due_text: str
    due_class: str
    due_local: str
    name: str
    reference: str
    nhs_number: str
    legal_status: str
    expiry: str
    status: str
    flags: list[str]

    # The columns a row needs, read as values: the page loads no others, and makes no model instances.
    FIELDS = (
        "id",
        "reference",
        "priority",
        "priority_rank",
        "due_at",
        "received_at",
        "legal_status",
        "statutory_expires_at",
        "status",
        "flags",
        "decline_note",
        "recorded_given_name",
        "recorded_family_name",
        "person__given_name",
        "person__family_name",
        "person__nhs_number",
    )

    @classmethod
    def rows(cls, referrals: list[dict[str, Any]], now: datetime) -> list[QueueRow]:
        """Rows from the queue's values (FIELDS): a page reads no model instances."""
        # One reverse() for the page: the rows' links differ only in the id.
        placeholder = "00000000-0000-0000-0000-000000000000"
        detail = reverse("referrals:detail", args=[placeholder])
        return [cls.of(r, now, href=detail.replace(placeholder, str(r["id"]))) for r in referrals]

    @classmethod
    def of(cls, r: dict[str, Any], now: datetime, *, href: str) -> QueueRow:
        due_at, expires_at = r["due_at"], r["statutory_expires_at"]
        due = timezone.localtime(due_at) if due_at else None
        expiry = timezone.localtime(expires_at) if expires_at else None
        # The person as the referral recorded them (Referral.person_name), else as the person has it.
        name = name_as_recorded(r["recorded_given_name"], r["recorded_family_name"]) or name_as_recorded(
            r["person__given_name"], r["person__family_name"]
        )
        nhs_number = r["person__nhs_number"]
        return cls(
            pk=str(r["id"]),
            href=href,
            priority=PRIORITY_LABELS.get(r["priority"], r["priority"]),
            priority_class=priority_class(r["priority"]),
            due_iso=due.isoformat() if due else "",
            due_text=countdown(due_at, now),
            due_class=countdown_class(due_at, now),
            due_local=due.strftime("%a %-d %b %H:%M") if due else "",
            name=name or "Name not recorded",
            reference=r["reference"],
            nhs_number=format_nhs_number(nhs_number) if nhs_number else "",
            legal_status=LEGAL_STATUS_LABELS.get(r["legal_status"]) or "Not recorded",
            expiry=expiry.strftime("%a %-d %b %H:%M") if expiry else "No statutory clock",
            status=STATUS_LABELS.get(r["status"], r["status"]),
            flags=[*([r["decline_note"]] if r["decline_note"] else []), *(FLAG_LABELS.get(f, f) for f in r["flags"])],
        )

    def html(self) -> SafeString:
        """The row's table row. Written here rather than in the template: a page has up to 50 rows, and the
        template language (and format_html's lazy-string checks) spent more on their 20 values each than the
        rest of the page took. Every value is escaped as the template would escape it."""
        nhs = _NHS_NUMBER_HTML.format(_escape(self.nhs_number)) if self.nhs_number else ""
        flags = "".join(_FLAG_HTML.format(_escape(label)) for label in self.flags)
        return mark_safe(  # noqa: S308 - every value below is escaped
            _ROW_HTML.format(
                pk=_escape(self.pk),
                priority_class=_escape(self.priority_class),
                priority=_escape(self.priority),
                due_class=_escape(self.due_class),
                due_iso=_escape(self.due_iso),
                due_text=_escape(self.due_text),
                due_local=_escape(self.due_local),
                href=_escape(self.href),
                name=_escape(self.name),
                reference=_escape(self.reference),
                nhs=nhs,
                legal_status=_escape(self.legal_status),
                expiry=_escape(self.expiry),
                status=_escape(self.status),
                flags=flags,
            )
        )


def _escape(value: Any) -> str:
    """As the template language escapes a value: safe strings as they are, any other text HTML-escaped."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


_ROW_HTML = """<tr class="govuk-table__row" data-referral="{pk}">
        <td class="govuk-table__cell"><strong class="govuk-tag {priority_class}">{priority}</strong></td>
        <td class="govuk-table__cell">
          <time class="govuk-tag {due_class}" data-countdown datetime="{due_iso}">{due_text}</time>
          <span class="govuk-body-s app-block">{due_local}</span>
        </td>
        <td class="govuk-table__cell">
          <a class="govuk-link" href="{href}">{name}</a>
          <span class="govuk-body-s app-block">{reference}{nhs}</span>
        </td>
        <td class="govuk-table__cell">{legal_status}</td>
        <td class="govuk-table__cell">{expiry}</td>
        <td class="govuk-table__cell">{status}</td>
        <td class="govuk-table__cell">{flags}</td>
      </tr>"""
_NHS_NUMBER_HTML = ' · NHS <span class="app-nowrap">{}</span>'
_FLAG_HTML = '<strong class="govuk-tag govuk-tag--grey app-flag">{}</strong> '


def _form_page(
    request: HttpRequest,
    form: ReferralForm,
    referral: Referral | None,
    status: int = 200,
    match: services.PersonMatchConflict | None = None,
) -> HttpResponse:
    context = {"form": form, "referral": referral, "match": match}
    return render(request, "referrals/referral_form.html", context, status=status)


@role_required(*DESK)
@require_http_methods(["GET", "POST"])
def referral_create(request: StaffRequest) -> HttpResponse:
    if request.method == "GET":
        return _form_page(request, ReferralForm(), None)
    draft = request.POST.get("action") == "draft"
    form = ReferralForm(request.POST, draft=draft)
    if not form.is_valid():
        return _form_page(request, form, None, status=400)
    try:
        referral = services.referral_create(
            service=request.user.staff_profile.service,
            actor=request.user,
            data=form.service_data(),
            draft=draft,
            person_match=form.cleaned_data.get("person_match") or None,
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _form_page(request, form, None, status=400)
    except services.PersonMatchConflict as exc:
        # Nothing is saved: show who the NHS number matched and let the consultant choose (or correct).
        form.add_error(
            "person_match", "Choose which details the person's record should keep, or correct the NHS number"
        )
        return _form_page(request, form, None, status=409, match=exc)
    messages.success(
        request, f"Referral {referral.reference} saved as a draft" if draft else f"Referral {referral.reference} added"
    )
    return redirect("referrals:detail", pk=referral.pk)


@role_required(*DESK)
@require_http_methods(["GET", "POST"])
def referral_edit(request: StaffRequest, pk: str) -> HttpResponse:
    referral = get_object_or_404(selectors.referrals_visible_to(request.user.staff_profile), pk=pk)
    is_draft = referral.status == Status.DRAFT
    if request.method == "GET":
        initial = {
            **services.snapshot(referral.person, PERSON_FIELDS),
            **services.snapshot(referral, REFERRAL_FIELDS),
            "priority": referral.priority,
            "version": referral.version,
        }
        initial["legal_power_started_at"] = _local(initial.get("legal_power_started_at"))
        initial["seen_by_referrer_at"] = _local(initial.get("seen_by_referrer_at"))
        audit(actor=request.user, service_id=referral.service_id, action="view", obj=referral)
        return _form_page(request, ReferralForm(initial=initial, is_draft_record=is_draft), referral)
    draft = is_draft and request.POST.get("action") == "draft"
    form = ReferralForm(request.POST, draft=draft, is_draft_record=is_draft)
    if not form.is_valid():
        return _form_page(request, form, referral, status=400)
    try:
        services.referral_update(
            referral=referral,
            actor=request.user,
            data=form.service_data(),
            submit=is_draft and not draft,
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _form_page(request, form, referral, status=400)
    except StaleWrite as exc:
        # Keep what was typed; say what the other change was. Saving again applies it over the new version.
        form.add_error(None, exc.message)
        data = cast(QueryDict, form.data).copy()
        data["version"] = str(exc.current_version)
        form.data = data
        return _form_page(request, form, referral, status=409)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect("referrals:detail", pk=referral.pk)
    messages.success(request, f"Referral {referral.reference} updated")
    return redirect("referrals:detail", pk=referral.pk)


def _local(value: Any) -> Any:
    return timezone.localtime(value) if value else value


def _allocation_history() -> Any:
    # Every allocation of the referral, declined ones included, oldest first (referrals may not import assessments).
    assessment_model: Any = Referral.assessments.rel.related_model
    return assessment_model.objects.select_related("allocated_by", "planned_shift__shift_type").order_by("allocated_at")


@login_required
def referral_detail(request: StaffRequest, pk: str) -> HttpResponse:
    profile = getattr(request.user, "staff_profile", None)
    if profile is None:
        return render(request, "no_role.html", status=403)
    referral = get_object_or_404(
        selectors.referrals_visible_to(profile).prefetch_related(
            Prefetch("assessments", queryset=_allocation_history()), "assessments__amhp__user"
        ),
        pk=pk,
    )
    audit(actor=request.user, service_id=referral.service_id, action="view", obj=referral)
    return _detail_page(request, referral, TriageForm() if profile.role in DESK else None)


def _detail_page(
    request: StaffRequest,
    referral: Referral,
    triage_form: TriageForm | None,
    status: int = 200,
    extension_form: ExtensionForm | None = None,
    legal_form: LegalStatusChangeForm | None = None,
    admit_form: AdmitForm | None = None,
) -> HttpResponse:
    desk = request.user.staff_profile.role in DESK
    can_extend = desk and referral.is_open and referral.legal_status in clocks.EXTENDABLE
    now = timezone.now()
    context = {
        "extension_form": (extension_form or ExtensionForm()) if can_extend else None,
        "legal_form": (legal_form or LegalStatusChangeForm()) if referral.is_open else None,
        "admit_form": (admit_form or AdmitForm()) if referral.status == Status.APPLICATION_MADE else None,
        "referral": referral,
        "person": referral.person,
        "triage_form": triage_form if referral.is_in_queue else None,
        "triage_history": list(selectors.triage_history(referral)),
        "deadlines": selectors.referral_deadlines(referral, now=now),
        "legal_history": selectors.legal_history(referral),
        "extensions": list(referral.extensions.all()),
        "now": now,
        "police": police_summary(referral),
    }
    return render(request, "referrals/referral_detail.html", context, status=status)


def _case_action(
    request: StaffRequest,
    pk: str,
    form_class: type[Any],
    form_name: str,
    action: Callable[[Referral, dict[str, Any]], Any],
    success: str,
    anchor: str = "",
) -> HttpResponse:
    """Validate FORM_CLASS from the POST and run ACTION on the referral; on a refusal, show the page again.

    A service's ValidationError becomes the form's errors (the page shows them in its error summary,
    typed data kept); a ConflictError (the case moved on meanwhile) is a message on the case.
    """
    referral = get_object_or_404(selectors.referrals_visible_to(request.user.staff_profile), pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(referral, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect("referrals:detail", pk=referral.pk)
    if not form.is_valid():
        return _detail_page(request, referral, _triage_form(request), status=400, **{form_name: form})
    messages.success(request, success.format(reference=referral.reference))
    return redirect(reverse("referrals:detail", kwargs={"pk": referral.pk}) + anchor)


@role_required(*DESK, Role.AMHP)
@require_POST
def referral_legal_status(request: StaffRequest, pk: str) -> HttpResponse:
    return _case_action(
        request,
        pk,
        LegalStatusChangeForm,
        "legal_form",
        lambda referral, data: services.referral_change_legal_status(referral=referral, actor=request.user, **data),
        "Legal status recorded for {reference}: the deadlines have moved",
        "#deadlines",
    )


@role_required(*DESK, Role.AMHP)
@require_POST
def referral_admit(request: StaffRequest, pk: str) -> HttpResponse:
    return _case_action(
        request,
        pk,
        AdmitForm,
        "admit_form",
        lambda referral, data: services.referral_admit(referral=referral, actor=request.user, at=data["admitted_at"]),
        "Admission recorded for {reference}",
        "#deadlines",
    )


def _triage_form(request: StaffRequest) -> TriageForm | None:
    return TriageForm() if request.user.staff_profile.role in DESK else None


@role_required(*DESK)
@require_POST
def referral_triage(request: StaffRequest, pk: str) -> HttpResponse:
    referral = get_object_or_404(selectors.referrals_visible_to(request.user.staff_profile), pk=pk)
    form = TriageForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, referral, form, status=400)
    try:
        services.referral_triage(referral=referral, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _detail_page(request, referral, form, status=400)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect("referrals:detail", pk=referral.pk)
    messages.success(request, f"Triage decision recorded for {referral.reference}")
    return redirect(reverse("referrals:queue"))


@role_required(*DESK)
@require_POST
def referral_extend(request: StaffRequest, pk: str) -> HttpResponse:
    return _case_action(
        request,
        pk,
        ExtensionForm,
        "extension_form",
        lambda referral, data: services.referral_extend_detention(referral=referral, actor=request.user, **data),
        "Extension recorded: the detention now ends later for {reference}",
    )


EVERYONE = (Role.CONSULTANT, Role.MANAGER, Role.AMHP)


def _search_page(
    request: HttpRequest,
    form: SearchForm,
    *,
    results: list[Referral] | None = None,
    status: int = 200,
    older: str = "",
) -> HttpResponse:
    limit = selectors.SEARCH_LIMIT
    shown = (results or [])[:limit]
    more = results is not None and len(results) > limit
    context = {
        "form": form,
        "results": shown,
        "searched": results is not None,
        "more": more,
        "limit": limit,
        "older": older,
        # The next page starts after the last referral shown: a time and an id, nothing about the person.
        "older_cursor": _search_cursor(shown[-1]) if more else "",
        "nav_active": "referrals:search",
    }
    return render(request, "referrals/search.html", context, status=status)


def _search_cursor(referral: Referral) -> str:
    micros = round(referral.received_at.timestamp() * 1_000_000)
    return f"{micros}_{referral.pk.hex}"


def _parse_search_cursor(text: str) -> tuple[datetime, uuid.UUID] | None:
    """The (received_at, id) a results page starts after, or None if TEXT is not one of our cursors."""
    micros, _, hex_id = text.partition("_")
    try:
        at = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
        return at, uuid.UUID(hex=hex_id)
    except (ValueError, OverflowError, OSError):
        return None


@role_required(*EVERYONE)
@require_http_methods(["GET", "POST"])
def search(request: StaffRequest) -> HttpResponse:
    """The search form. It posts, and the results live behind a random id, so no name or NHS number is in a URL."""
    if request.method == "GET":
        return _search_page(request, SearchForm())
    form = SearchForm(request.POST)
    if not form.is_valid():
        return _search_page(request, form, status=400)
    query = services.search_create(
        profile=request.user.staff_profile,
        actor=request.user,
        text=form.cleaned_data["text"],
        date_of_birth=form.cleaned_data.get("date_of_birth"),
    )
    return redirect("referrals:search_results", pk=query.pk)


@role_required(*EVERYONE)
@require_http_methods(["GET"])
def search_results(request: StaffRequest, pk: str) -> HttpResponse:
    profile = request.user.staff_profile
    query = selectors.search_get(profile=profile, pk=pk)
    if query is None:
        raise Http404("No such search")
    terms = parse_terms(query.text, query.date_of_birth)
    older = request.GET.get("older", "")
    before = _parse_search_cursor(older) if older else None
    if older and before is None:
        # Not a page of these results (a mistyped or cut-off link): show the newest instead.
        messages.warning(request, "That page of results could not be found, so the newest are shown.")
        older = ""
    results = selectors.search_referrals(profile=profile, terms=terms, before=before)
    kind = (
        "nhs_number"
        if terms.nhs_number
        else "reference"
        if terms.reference
        else "name"
        if terms.names
        else "date_of_birth"
    )
    services.search_audit(
        actor=request.user,
        service_id=profile.service_id,
        search_id=query.pk,
        results=results[: selectors.SEARCH_LIMIT],
        kind=kind,
    )
    form = SearchForm(initial={"text": query.text, "date_of_birth": query.date_of_birth})
    return _search_page(request, form, results=results, older=older)


@role_required(*DESK)
@require_http_methods(["GET"])
def my_drafts(request: StaffRequest) -> HttpResponse:
    """The caller's own drafts, newest first, a page at a time."""
    profile = request.user.staff_profile
    page = CappedPaginator(selectors.my_drafts(profile=profile), settings.QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    audit(
        actor=request.user,
        service_id=profile.service_id,
        action="list",
        object_type="referral",
        object_ids=[r.pk for r in page.object_list],
    )
    return render(request, "referrals/drafts.html", {"page_obj": page, "nav_active": "referrals:drafts"})
