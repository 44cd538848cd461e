"""Handing work on: an AMHP hands a case in progress to another AMHP, or the desk reassigns it with a reason.

The assessment keeps its record, requests and timeline; the AMHP changes, a Handover row and a
timeline note keep the history, and both AMHPs are notified.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from amhp_hub.common.audit import audit
from amhp_hub.common.errors import ConflictError
from assessments.models import Assessment, AssessmentStatus, Handover, TimelineEvent
from assessments.notify import notification_send
from rota.models import Leave, Role, Shift, StaffProfile
from rota.timefmt import format_local

# Work can go to an AMHP whose shift starts this soon: the day AMHP hands to EDT just before 17:00.
HANDOVER_LEAD = timedelta(hours=1)
IN_PROGRESS = (AssessmentStatus.ACCEPTED, AssessmentStatus.IN_PROGRESS)


def _receiving_shift(staff: StaffProfile, now: datetime) -> Shift | None:
    """Return STAFF's shift on duty now or starting within HANDOVER_LEAD (the one ending last), or None."""
    return (
        Shift.objects.filter(
            staff=staff, cancelled_at__isnull=True, starts_at__lte=now + HANDOVER_LEAD, ends_at__gt=now
        )
        .order_by("-ends_at")
        .first()
    )


@transaction.atomic
def assessment_hand_on(
    *,
    assessment: Assessment,
    actor: Any,
    to_amhp: StaffProfile,
    notes: str,
    kind: str = Handover.Kind.HANDOVER,
    now: datetime | None = None,
    channel: str = "web",
) -> Handover:
    """Pass ASSESSMENT (accepted or in progress) to TO_AMHP and return the Handover.

    KIND "handover" is the AMHP's own (e.g. day to EDT at shift end); "reassign" is the desk's,
    after acceptance, and NOTES is then its reason. NOTES are required. TO_AMHP must be an AMHP
    of the service, not the current one, not on leave, and on duty now or within HANDOVER_LEAD
    (ValidationError on field "to"). ConflictError when the work is not in progress.
    """
    now = now or timezone.now()
    notes = (notes or "").strip()
    if not notes:
        what = "the reason for reassigning" if kind == Handover.Kind.REASSIGN else "handover notes"
        raise ValidationError({"notes": [f"Enter {what}"]})
    locked = Assessment.objects.select_for_update().select_related("referral", "amhp__user").get(pk=assessment.pk)
    if locked.status not in IN_PROGRESS:
        raise ConflictError(
            f"This allocation is {locked.get_status_display().lower()}: only accepted work in progress can be handed on"
        )
    staff = StaffProfile.objects.select_for_update().select_related("user").filter(pk=to_amhp.pk).first()
    if staff is None or staff.service_id != locked.service_id or staff.role != Role.AMHP:
        raise ValidationError({"to": ["Choose an AMHP of this service"]})
    if staff.pk == locked.amhp_id:
        raise ValidationError({"to": ["Choose a different AMHP: this one already has the work"]})
    if Leave.objects.filter(staff=staff, cancelled_at__isnull=True, starts_at__lte=now, ends_at__gt=now).exists():
        raise ValidationError({"to": [f"{staff.display_name} is on leave"]})
    shift = _receiving_shift(staff, now)
    if shift is None:
        raise ValidationError({"to": [f"{staff.display_name} is not on duty now or within the hour"]})
    previous = locked.amhp
    handover = Handover.objects.create(
        assessment=locked, kind=kind, from_amhp=previous, to_amhp=staff, notes=notes, at=now, by=actor
    )
    locked.amhp = staff
    locked.shift_ends_at = shift.ends_at
    locked.late_after = shift.ends_at
    locked.save(update_fields=["amhp", "shift_ends_at", "late_after", "updated_at"])
    verb = "Reassigned" if kind == Handover.Kind.REASSIGN else "Handed over"
    TimelineEvent.objects.create(
        assessment=locked,
        kind=TimelineEvent.Kind.NOTE,
        at=now,
        note=f"{verb} from {previous.display_name} to {staff.display_name}: {notes}",
        recorded_by=actor,
    )
    reference = locked.referral.reference
    url = reverse("assessments:detail", args=[locked.pk])
    notification_send(
        recipient_id=staff.user_id,
        service_id=locked.service_id,
        kind="handover_received",
        title=f"Referral {reference} handed to you by {previous.display_name}",
        body=notes,
        url=url,
        dedupe_key=f"handover:{handover.pk}:to",
    )
    notification_send(
        recipient_id=previous.user_id,
        service_id=locked.service_id,
        kind="handover_given",
        title=f"Referral {reference} is now with {staff.display_name}",
        body=f"{verb} {format_local(now)}. {notes}",
        url="",
        dedupe_key=f"handover:{handover.pk}:from",
    )
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="update",
        obj=locked,
        channel=channel,
        changes={"amhp": [str(previous.pk), str(staff.pk)], "handover": kind, "notes": notes},
    )
    return handover
