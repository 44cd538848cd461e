"""TOIL ledger reads shared by the pages, the API and the services."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from assessments.models import ToilEntry
from rota.models import Role, StaffProfile

APPROVED = ToilEntry.Status.APPROVED
PENDING = ToilEntry.Status.PENDING


def toil_balance(staff_id: Any) -> int:
    """Return the AMHP's TOIL balance in minutes: the sum of approved entries."""
    return ToilEntry.objects.filter(staff_id=staff_id, status=APPROVED).aggregate(
        total=Coalesce(Sum("minutes"), Value(0))
    )["total"]


def toil_available(staff_id: Any) -> int:
    """Return minutes the AMHP may still take: approved balance less time off awaiting approval."""
    return ToilEntry.objects.filter(Q(status=APPROVED) | Q(status=PENDING, minutes__lt=0), staff_id=staff_id).aggregate(
        total=Coalesce(Sum("minutes"), Value(0))
    )["total"]


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


def toil_balances(service_id: int) -> QuerySet[StaffProfile]:
    """Each AMHP of the service with `balance` (approved minutes) and `pending` (minutes awaiting approval).

    One grouped query.
    """
    return (
        StaffProfile.objects.filter(service_id=service_id, role=Role.AMHP)
        .select_related("user")
        .annotate(
            balance=Coalesce(Sum("toil_entries__minutes", filter=Q(toil_entries__status=APPROVED)), Value(0)),
            pending=Coalesce(Sum("toil_entries__minutes", filter=Q(toil_entries__status=PENDING)), Value(0)),
        )
        .order_by("user__last_name", "user__first_name", "pk")
    )
