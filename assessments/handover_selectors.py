"""Reads for handing work on: who can take it now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assessments.handover_services import HANDOVER_LEAD
from assessments.models import Assessment
from rota.models import Leave, Role, Shift, StaffProfile
from rota.timefmt import format_local_time


@dataclass(frozen=True)
class HandoverTarget:
    staff: StaffProfile
    shift: Shift

    @property
    def label(self) -> str:
        return (
            f"{self.staff.display_name}, {self.shift.shift_type.name} "
            f"{format_local_time(self.shift.starts_at)}–{format_local_time(self.shift.ends_at)}"
        )


def handover_targets(*, assessment: Assessment, now: datetime) -> list[HandoverTarget]:
    """Return the other AMHPs of the service on duty now or within HANDOVER_LEAD, not on leave (one query)."""
    shifts = (
        Shift.objects.filter(
            service_id=assessment.service_id,
            cancelled_at__isnull=True,
            staff__role=Role.AMHP,
            starts_at__lte=now + HANDOVER_LEAD,
            ends_at__gt=now,
        )
        .exclude(staff_id=assessment.amhp_id)
        .exclude(
            staff_id__in=Leave.objects.filter(cancelled_at__isnull=True, starts_at__lte=now, ends_at__gt=now).values(
                "staff_id"
            )
        )
        .select_related("staff__user", "shift_type")
        .order_by("starts_at", "staff__user__last_name", "staff_id")
    )
    seen: dict[object, HandoverTarget] = {}
    for shift in shifts:
        seen.setdefault(shift.staff_id, HandoverTarget(shift.staff, shift))
    return list(seen.values())
