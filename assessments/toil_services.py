"""TOIL ledger writes: a manager approves or rejects entries; an AMHP records time off taken."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from amhp_hub.common.audit import audit
from amhp_hub.common.errors import ConflictError
from assessments.models import ToilEntry
from assessments.notify import notification_send
from assessments.toil import format_minutes
from assessments.toil_selectors import toil_available
from rota.models import Role, StaffProfile

LONDON = ZoneInfo("Europe/London")


def _profile(actor: Any, role: str) -> StaffProfile:
    profile = getattr(actor, "staff_profile", None)
    if profile is None or profile.role != role:
        raise PermissionDenied("Your role does not allow this.")
    return profile


@transaction.atomic
def _toil_decide(*, entry_id: int, actor: Any, status: str, reason: str, now: datetime, channel: str) -> ToilEntry:
    profile = _profile(actor, Role.MANAGER)
    # Raises ToilEntry.DoesNotExist for another service's entry: the caller answers 404.
    entry = (
        ToilEntry.objects.select_for_update(of=("self",))
        .select_related("staff")
        .get(pk=entry_id, service_id=profile.service_id)
    )
    if entry.status != ToilEntry.Status.PENDING:
        raise ConflictError(f"This entry has already been {entry.get_status_display().lower()}.")
    before = {"status": entry.status}
    entry.status = status
    entry.decided_by = actor
    entry.decided_at = now
    fields = ["status", "decided_by", "decided_at"]
    if reason:
        entry.note = reason[:200]
        fields.append("note")
    entry.save(update_fields=fields)
    audit(
        actor=actor,
        service_id=entry.service_id,
        action=f"toil_{'approve' if status == ToilEntry.Status.APPROVED else 'reject'}",
        obj=entry,
        changes={"status": [before["status"], status], **({"reason": reason} if reason else {})},
        channel=channel,
    )
    word = "approved" if status == ToilEntry.Status.APPROVED else "rejected"
    notification_send(
        recipient_id=entry.staff.user_id,
        service_id=entry.service_id,
        kind="toil_decided",
        title=f"TOIL {word}: {entry.get_kind_display().lower()}, {format_minutes(abs(entry.minutes))}",
        body=reason,
        url=reverse("toil:index"),
        dedupe_key=f"toil:{entry.pk}:{status}",
    )
    return entry


def toil_approve(*, entry_id: int, actor: Any, now: datetime | None = None, channel: str = "web") -> ToilEntry:
    """Approve a pending entry of the manager's service; ConflictError if it was already decided."""
    return _toil_decide(
        entry_id=entry_id,
        actor=actor,
        status=ToilEntry.Status.APPROVED,
        reason="",
        now=now or timezone.now(),
        channel=channel,
    )


@transaction.atomic
def toil_approve_many(
    *, entry_ids: list[int], actor: Any, now: datetime | None = None, channel: str = "web"
) -> tuple[list[ToilEntry], int]:
    """Approve each pending entry of ENTRY_IDS (the manager's service only); return (approved, skipped).

    Entries already decided, or of another service, are skipped rather than failing the rest.
    """
    approved: list[ToilEntry] = []
    skipped = 0
    for entry_id in sorted(set(entry_ids)):
        try:
            approved.append(toil_approve(entry_id=entry_id, actor=actor, now=now, channel=channel))
        except (ConflictError, ToilEntry.DoesNotExist):
            skipped += 1
    return approved, skipped


def toil_reject(
    *, entry_id: int, actor: Any, reason: str = "", now: datetime | None = None, channel: str = "web"
) -> ToilEntry:
    """Reject a pending entry of the manager's service; ConflictError if it was already decided."""
    return _toil_decide(
        entry_id=entry_id,
        actor=actor,
        status=ToilEntry.Status.REJECTED,
        reason=reason.strip(),
        now=now or timezone.now(),
        channel=channel,
    )


@transaction.atomic
def toil_take(
    *, actor: Any, minutes: int, taken_on: date, note: str = "", now: datetime | None = None, channel: str = "web"
) -> ToilEntry:
    """Record time off taken by the AMHP ACTOR: a negative entry, pending until a manager approves it.

    MINUTES must be a positive whole number of TOIL blocks and no more than the AMHP has
    available (approved balance less time off already awaiting approval).
    """
    profile = _profile(actor, Role.AMHP)
    block = settings.TOIL_BLOCK_MINUTES
    errors: dict[str, str] = {}
    if minutes <= 0:
        errors["minutes"] = "Enter how much time off you took"
    elif minutes % block:
        errors["minutes"] = f"Enter time off in blocks of {block} minutes"
    if errors:
        raise ValidationError(errors)
    # Lock the AMHP's profile: two requests at once cannot both spend the same balance.
    StaffProfile.objects.select_for_update().filter(pk=profile.pk).exists()
    available = toil_available(profile.pk)
    if minutes > available:
        raise ValidationError({"minutes": f"You have {format_minutes(max(available, 0))} of TOIL available"})
    start = datetime.combine(taken_on, time(0), tzinfo=LONDON)
    entry = ToilEntry.objects.create(
        staff=profile,
        service_id=profile.service_id,
        kind=ToilEntry.Kind.TAKEN,
        minutes=-minutes,
        worked_from=start,
        status=ToilEntry.Status.PENDING,
        note=note.strip()[:200],
    )
    audit(
        actor=actor,
        service_id=profile.service_id,
        action="toil_take",
        obj=entry,
        changes={"minutes": [None, -minutes], "taken_on": [None, taken_on.isoformat()]},
        channel=channel,
    )
    return entry
