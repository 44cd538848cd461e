"""TOIL ledger writes: a manager approves or rejects entries; an AMHP records time off taken."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from amhp_hub.common.audit import audit
from amhp_hub.common.errors import ConflictError
from amhp_hub.common.zone import LONDON
from assessments.models import ToilEntry
from assessments.notify import notification_send
from assessments.toil import format_minutes
from assessments.toil_selectors import toil_available
from rota.models import Role, StaffProfile


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


@transaction.atomic
def toil_recompute(*, now: datetime | None = None, service_id: int | None = None) -> int:
    """Recompute every accrual booked for an assessment with the union rule and the monthly cap.

    Entries booked before overlapping overtime was counted once are corrected in place (their
    status stays; a rejected entry is left alone and counts for nothing), each change with an
    audit row. Return how many entries changed; a second run changes none.
    """
    from assessments.jobs import month_start, toil_note, toil_plan  # the job owns the booking plan

    now = now or timezone.now()
    accruals = ToilEntry.objects.filter(kind=ToilEntry.Kind.ACCRUAL).exclude(status=ToilEntry.Status.REJECTED)
    if service_id is not None:
        accruals = accruals.filter(service_id=service_id)
    rows = list(
        accruals.filter(
            assessment__isnull=False,
            assessment__shift_ends_at__isnull=False,
            assessment__work_ended_at__isnull=False,
        ).values_list(
            "pk",
            "assessment_id",
            "staff_id",
            "assessment__shift_ends_at",
            "assessment__work_started_at",
            "assessment__work_ended_at",
            "minutes",
            "service_id",
        )
    )
    month_totals: dict[tuple[Any, datetime], int] = defaultdict(int)
    for staff_id, worked_from, minutes in accruals.filter(
        assessment__isnull=True, worked_from__isnull=False
    ).values_list("staff_id", "worked_from", "minutes"):
        month_totals[(staff_id, month_start(worked_from))] += minutes
    plan = toil_plan([(r[1], r[2], r[3], r[4], r[5]) for r in rows], [], month_totals)
    by_assessment = {r[1]: r for r in rows}
    changed = 0
    for assessment_id, minutes, over_cap in plan:
        entry_id, _, _, _, _, _, old_minutes, entry_service = by_assessment[assessment_id]
        if minutes == old_minutes:
            continue
        note = toil_note(minutes, over_cap)
        ToilEntry.objects.filter(pk=entry_id).update(minutes=minutes, note=f"Recomputed: {note}"[:200])
        audit(
            actor=None,
            service_id=entry_service,
            action="toil_recompute",
            object_type="toilentry",
            object_ids=[entry_id],
            channel="command",
            changes={"minutes": [old_minutes, minutes]},
        )
        changed += 1
    return changed
