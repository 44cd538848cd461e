"""TOIL pages: an AMHP's ledger and balance; a manager's approvals and the service's balances."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

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
    pending = list(
        selectors.toil_entries_visible_to(profile)
        .filter(status=ToilEntry.Status.PENDING)
        .order_by("created_at", "id")[:200]
    )
    balances = list(selectors.toil_balances(profile.service_id))
    for row in balances:
        row.balance_text = format_minutes(row.balance)  # type: ignore[attr-defined]
        row.pending_text = format_minutes(row.pending)  # type: ignore[attr-defined]
    return render(request, "toil/manager.html", {"pending": _with_text(pending), "balances": balances})


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
@require_POST
def toil_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)
