"""TOIL ledger reads shared by the pages, the API and the services."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from amhp_hub.common.zone import LONDON
from assessments import toil
from assessments.models import ToilEntry
from rota.models import Role, StaffProfile

APPROVED = ToilEntry.Status.APPROVED
PENDING = ToilEntry.Status.PENDING


def _entry_day(worked_from: datetime | None, created_at: datetime) -> date:
    return (worked_from or created_at).astimezone(LONDON).date()


def _expiry_days() -> int | None:
    return settings.TOIL_EXPIRY_DAYS or None


def _balances(staff_ids: list[Any], *, today: date) -> dict[Any, toil.Balance]:
    """Each AMHP's approved TOIL on TODAY, earned time lapsing after TOIL_EXPIRY_DAYS (toil.balance_with_expiry)."""
    entries: dict[Any, list[tuple[date, int]]] = defaultdict(list)
    rows = ToilEntry.objects.filter(staff_id__in=staff_ids, status=APPROVED).values_list(
        "staff_id", "worked_from", "created_at", "minutes"
    )
    for staff_id, worked_from, created_at, minutes in rows:
        entries[staff_id].append((_entry_day(worked_from, created_at), minutes))
    return {
        staff_id: toil.balance_with_expiry(entries[staff_id], today=today, expiry_days=_expiry_days())
        for staff_id in staff_ids
    }


def _today(today: date | None) -> date:
    return today or timezone.now().astimezone(LONDON).date()


def toil_balance(staff_id: Any, *, today: date | None = None) -> int:
    """Return the AMHP's TOIL balance in minutes: approved entries, less earned time that lapsed untaken."""
    return _balances([staff_id], today=_today(today))[staff_id].available


def toil_available(staff_id: Any, *, today: date | None = None) -> int:
    """Return minutes the AMHP may still take: the balance less time off awaiting approval."""
    pending_taken = ToilEntry.objects.filter(staff_id=staff_id, status=PENDING, minutes__lt=0).aggregate(
        total=Coalesce(Sum("minutes"), Value(0))
    )["total"]
    return toil_balance(staff_id, today=today) + pending_taken


def toil_entries_visible_to(profile: StaffProfile) -> QuerySet[ToilEntry]:
    """An AMHP sees their own ledger; a manager sees their service's. Others see nothing."""
    entries = ToilEntry.objects.select_related("staff__user", "assessment__referral", "decided_by").order_by(
        "-created_at", "-id"
    )
    if profile.role == Role.AMHP:
        return entries.filter(staff_id=profile.pk)
    if profile.role == Role.MANAGER:
        return entries.filter(service_id=profile.service_id)
    return entries.none()


def toil_balances(service_id: int, *, today: date | None = None) -> list[StaffProfile]:
    """Each AMHP of the service with `balance` (approved minutes not lapsed), `expired` and `pending` minutes.

    Two queries: the AMHPs with their pending totals, and their approved entries.
    """
    staff = list(
        StaffProfile.objects.filter(service_id=service_id, role=Role.AMHP)
        .select_related("user")
        .annotate(pending=Coalesce(Sum("toil_entries__minutes", filter=Q(toil_entries__status=PENDING)), Value(0)))
        .order_by("user__last_name", "user__first_name", "pk")
    )
    balances = _balances([p.pk for p in staff], today=_today(today))
    for profile in staff:
        profile.balance = balances[profile.pk].available  # type: ignore[attr-defined]
        profile.expired = balances[profile.pk].expired  # type: ignore[attr-defined]
    return staff
