"""TOIL pages: an AMHP's ledger and balance; a manager's approvals and the service's balances."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from amhp_hub.common.errors import ConflictError
from amhp_hub.common.requests import StaffRequest
from amhp_hub.common.web import role_required
from assessments import toil_selectors as selectors
from assessments import toil_services as services
from assessments.models import ToilEntry
from assessments.toil import format_minutes
from rota.models import Role


class TakeForm(forms.Form):
    taken_on = forms.DateField(
        label="Date you took the time off",
        widget=forms.DateInput(attrs={"type": "date", "class": "govuk-input govuk-input--width-10"}),
        error_messages={"required": "Enter the date you took the time off", "invalid": "Enter a real date"},
    )
    hours = forms.IntegerField(
        label="Hours",
        min_value=0,
        max_value=24,
        initial=0,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-2", "inputmode": "numeric"}),
        error_messages={"required": "Enter hours (0 if none)", "invalid": "Enter hours as a whole number"},
    )
    minutes = forms.TypedChoiceField(
        label="Minutes",
        coerce=int,
        choices=[(m, f"{m:02d}") for m in (0, 15, 30, 45)],
        initial=0,
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )

    def total_minutes(self) -> int:
        return self.cleaned_data["hours"] * 60 + self.cleaned_data["minutes"]


class ToilFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[*ToilEntry.Status.choices, ("all", "All")],
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    staff = forms.ChoiceField(label="AMHP", required=False, widget=forms.Select(attrs={"class": "govuk-select"}))

    def __init__(self, *args: Any, amhps: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].choices = [("", "All AMHPs"), *amhps]  # type: ignore[attr-defined]


def _with_text(entries: list[ToilEntry]) -> list[ToilEntry]:
    for entry in entries:
        entry.minutes_text = format_minutes(entry.minutes)  # type: ignore[attr-defined]
    return entries


def _amhp_page(request: StaffRequest, form: TakeForm, status: int = 200) -> HttpResponse:
    profile = request.user.staff_profile
    page = Paginator(selectors.toil_entries_visible_to(profile), 50).get_page(request.GET.get("page"))
    balance = selectors.toil_balance(profile.pk)
    context = {
        "page_obj": page,
        "entries": _with_text(list(page.object_list)),
        "balance": balance,
        "balance_text": format_minutes(balance),
        "available_text": format_minutes(max(selectors.toil_available(profile.pk), 0)),
        "form": form,
    }
    return render(request, "toil/amhp.html", context, status=status)


@role_required(Role.AMHP, Role.MANAGER)
def toil_index(request: StaffRequest) -> HttpResponse:
    profile = request.user.staff_profile
    if profile.role == Role.AMHP:
        return _amhp_page(request, TakeForm())
    balances = list(selectors.toil_balances(profile.service_id))
    filters = ToilFilterForm(request.GET or None, amhps=[(str(p.pk), p.display_name) for p in balances])
    entries = selectors.toil_entries_visible_to(profile)
    status, staff = ToilEntry.Status.PENDING, ""
    if filters.is_valid():
        status, staff = filters.cleaned_data["status"] or ToilEntry.Status.PENDING, filters.cleaned_data["staff"]
    if status != "all":
        entries = entries.filter(status=status)
    if staff:
        entries = entries.filter(staff_id=uuid.UUID(staff))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    for row in balances:
        row.balance_text = format_minutes(row.balance)  # type: ignore[attr-defined]
        row.pending_text = format_minutes(row.pending)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "entries": _with_text(list(page.object_list)),
        "page_obj": page,
        "query": query.urlencode(),
        "filters": filters,
        "status": status,
        "balances": balances,
    }
    return render(request, "toil/manager.html", context)


@role_required(Role.MANAGER)
@require_POST
def toil_approve_selected(request: StaffRequest) -> HttpResponse:
    """Approve every ticked pending entry at once."""
    ids = [int(v) for v in request.POST.getlist("entry") if v.isdigit()]
    if not ids:
        messages.error(request, "Select the TOIL to approve")
        return redirect("toil:index")
    approved, skipped = services.toil_approve_many(entry_ids=ids, actor=request.user)
    total = format_minutes(sum(e.minutes for e in approved))
    text = f"Approved {len(approved)} TOIL {'entry' if len(approved) == 1 else 'entries'} ({total})."
    if skipped:
        text += f" {skipped} had already been decided and {'was' if skipped == 1 else 'were'} left as they were."
    messages.success(request, text)
    return redirect("toil:index")


@role_required(Role.AMHP)
@require_POST
def toil_take(request: StaffRequest) -> HttpResponse:
    form = TakeForm(request.POST)
    if not form.is_valid():
        return _amhp_page(request, form, status=400)
    try:
        entry = services.toil_take(
            actor=request.user,
            minutes=form.total_minutes(),
            taken_on=form.cleaned_data["taken_on"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error("hours" if field == "minutes" else None, errors)
        return _amhp_page(request, form, status=400)
    messages.success(request, f"Time off of {format_minutes(-entry.minutes)} recorded; it awaits approval.")
    return redirect("toil:index")


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Why are you rejecting this?",
        help_text="The AMHP sees this reason.",
        max_length=500,
        widget=forms.Textarea(attrs={"class": "govuk-textarea", "rows": 3}),
        error_messages={"required": "Enter why you are rejecting this TOIL"},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Enter why you are rejecting this TOIL")
        return reason


def _decide(request: HttpRequest, pk: int, approve: bool) -> HttpResponse:
    try:
        if approve:
            entry = services.toil_approve(entry_id=pk, actor=request.user)
        else:
            entry = services.toil_reject(entry_id=pk, actor=request.user, reason=request.POST.get("reason", ""))
    except ToilEntry.DoesNotExist as exc:
        raise Http404("No such TOIL entry") from exc
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect("toil:index")
    verb = "approved" if approve else "rejected"
    messages.success(request, f"{entry.staff.display_name}: {format_minutes(entry.minutes)} {verb}.")
    return redirect("toil:index")


@role_required(Role.MANAGER)
@require_POST
def toil_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def toil_reject(request: StaffRequest, pk: int) -> HttpResponse:
    """Ask for the reason (required), then reject the pending entry."""
    entry = (
        selectors.toil_entries_visible_to(request.user.staff_profile)
        .select_related("staff__user", "assessment__referral")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404("No such TOIL entry")
    if entry.status != ToilEntry.Status.PENDING:
        messages.error(request, f"This TOIL has already been {entry.get_status_display().lower()}.")
        return redirect("toil:index")
    form = RejectForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        return _decide(request, pk, approve=False)
    status = 400 if request.method == "POST" else 200
    _with_text([entry])
    return render(request, "toil/reject.html", {"entry": entry, "form": form}, status=status)
