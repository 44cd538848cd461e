"""AMHP approval in date: end dates, training hours in the year and assessments in the year, per AMHP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from assessments.models import Assessment, AssessmentStatus
from rota import approval
from rota.models import ApprovalRecord, Role, StaffProfile
from rota.timefmt import LONDON


@dataclass(frozen=True)
class ApprovalRow:
    staff: StaffProfile
    expires_on: date | None
    problem: str | None
    training_hours: Decimal
    training_short_by: Decimal
    assessments_in_year: int
    history: list[ApprovalRecord]


def approval_rows(*, service_id: int, now: datetime) -> list[ApprovalRow]:
    """Return each AMHP of the service with their approval, training and work in the 12 months to today.

    Three queries whatever the number of AMHPs: the AMHPs with their training hours, their
    completed assessments counted by AMHP, and their approval histories.
    """
    today = now.astimezone(LONDON).date()
    first, last = approval.training_year(today)
    staff = list(
        StaffProfile.objects.filter(service_id=service_id, role=Role.AMHP)
        .select_related("user")
        .annotate(
            training_hours=Coalesce(
                Sum("training__hours", filter=Q(training__completed_on__range=(first, last))), Decimal("0")
            )
        )
        .order_by("warrant_expires_on", "user__last_name", "pk")
    )
    done = dict(
        Assessment.objects.filter(amhp__in=staff, status=AssessmentStatus.COMPLETED, completed_at__date__gte=first)
        .values("amhp_id")
        .annotate(n=Count("id"))
        .values_list("amhp_id", "n")
    )
    history: dict[Any, list[ApprovalRecord]] = {}
    for record in ApprovalRecord.objects.filter(staff__in=staff).select_related("recorded_by"):
        history.setdefault(record.staff_id, []).append(record)
    return [
        ApprovalRow(
            staff=s,
            expires_on=s.warrant_expires_on,
            problem=approval.approval_problem(s.display_name, s.warrant_expires_on, today),
            training_hours=s.training_hours,
            training_short_by=approval.training_short_by(s.training_hours),
            assessments_in_year=done.get(s.pk, 0),
            history=history.get(s.pk, []),
        )
        for s in staff
    ]
