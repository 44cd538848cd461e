"""Reads of the rota shared by pages, the API, allocation and the jobs."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet

from rota.models import Leave, Role, Shift, StaffProfile


def _on_leave_at(at: datetime) -> Exists:
    return Exists(
        Leave.objects.filter(staff_id=OuterRef("staff_id"), cancelled_at__isnull=True, starts_at__lt=at, ends_at__gt=at)
    )


def on_duty_at(*, service_id: int, at: datetime) -> QuerySet[Shift]:
    """Return the live shifts of AMHPs on duty in the service at instant AT, excluding anyone on leave.

    A shift covers [starts_at, ends_at): someone whose shift ends at 17:00 is not on duty at 17:00.
    """
    return (
        Shift.objects.filter(
            service_id=service_id,
            cancelled_at__isnull=True,
            starts_at__lte=at,
            ends_at__gt=at,
            staff__role=Role.AMHP,
        )
        .exclude(_on_leave_at(at))
        .select_related("staff__user", "shift_type")
        .order_by("ends_at", "staff__user__last_name")
    )


def current_shift_for(*, staff: StaffProfile, at: datetime) -> Shift | None:
    """Return STAFF's shift covering AT (the one ending last if they overlap), or None."""
    return (
        Shift.objects.filter(staff=staff, cancelled_at__isnull=True, starts_at__lte=at, ends_at__gt=at)
        .order_by("-ends_at")
        .first()
    )
