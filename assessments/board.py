"""The consultant's live board: every open case, its stage, its current blocker and wait, earliest deadline and AMHP.

Four queries whatever the number of cases: the open referrals (with the person), their live
assessments (with the AMHP), their requests, and the triage acceptances they wait from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F

from assessments import waits
from assessments.models import Assessment, AssessmentStatus, CaseRequest
from assessments.request_selectors import fact_of
from referrals import deadlines
from referrals.constants import OPEN_STATUSES, QUEUE_STATUSES, Status
from referrals.models import Referral

BOARD_LIMIT = 200


@dataclass(frozen=True)
class BoardRow:
    referral: Referral
    assessment: Assessment | None
    stage: str
    blocker: waits.Wait | None
    deadline_provision: str

    @property
    def stage_label(self) -> str:
        return waits.STAGE_LABELS[self.stage]


def board_rows(*, service_id: int, now: datetime, limit: int = BOARD_LIMIT) -> tuple[list[BoardRow], bool]:
    """Return the service's open cases, earliest deadline first (then arrival), and whether there were more.

    The earliest deadline is the one the referral carries as data (its earliest unmet deadline,
    set by referrals.services from the deadlines rule module); cases with none come last.
    Ordered through the index referral_board_order.
    """
    referrals = list(
        Referral.objects.filter(service_id=service_id, status__in=[s.value for s in OPEN_STATUSES])
        .select_related("person")
        .order_by(F("statutory_expires_at").asc(nulls_last=True), "received_at", "id")[: limit + 1]
    )
    more = len(referrals) > limit
    referrals = referrals[:limit]
    ids = [r.pk for r in referrals]
    live = {
        a.referral_id: a
        for a in Assessment.objects.filter(referral_id__in=ids)
        .exclude(status=AssessmentStatus.DECLINED)
        .select_related("amhp__user")
    }
    facts: dict[object, list[waits.RequestFact]] = {}
    for request in CaseRequest.objects.filter(referral_id__in=ids).order_by("requested_at", "id"):
        facts.setdefault(request.referral_id, []).append(fact_of(request))
    rows = []
    for referral in referrals:
        assessment = live.get(referral.pk)
        case_waits = waits.waits_by_kind(facts.get(referral.pk, []), now=now)
        in_queue = referral.status in [s.value for s in QUEUE_STATUSES] or assessment is None
        stage = waits.case_stage(
            allocated=not in_queue,
            seen=bool(assessment and assessment.seen_at),
            application_made=referral.status == Status.APPLICATION_MADE,
            waits=case_waits,
        )
        blocker = waits.current_blocker(case_waits)
        if stage == waits.AWAITING_AMHP:
            blocker = waits.amhp_wait(waiting_since=referral.received_at, now=now)
        provision = deadlines.RULES.get(referral.deadline_rule, ("", ""))[0]
        rows.append(BoardRow(referral, assessment, stage, blocker, provision))
    return rows, more
