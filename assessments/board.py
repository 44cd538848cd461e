"""The consultant's live board: every open case, its stage, its current blocker and wait, earliest deadline and AMHP.

Paged by keyset (amhp_hub.common.pagination), BOARD_PAGE_SIZE cases a page, so the hundredth
page costs what the first does. Three queries a page whatever the number of cases: the page of
open referrals (with the person, and the capped count in the same statement), their live
assessments (with the AMHP) and their requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from amhp_hub.common.pagination import KeysetPage, KeysetPaginator
from assessments import waits
from assessments.models import Assessment, AssessmentStatus, CaseRequest
from assessments.request_selectors import fact_of
from referrals import deadlines
from referrals.constants import OPEN_STATUSES, QUEUE_STATUSES, Status
from referrals.models import Referral

BOARD_PAGE_SIZE = 200
# The order of the index referral_board_order: earliest deadline first (none last), then arrival.
BOARD_ORDER = ("statutory_expires_at", "received_at", "id")


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


@dataclass(frozen=True)
class BoardPage:
    rows: list[BoardRow]
    page: KeysetPage
    size: int

    @property
    def pages(self) -> int:
        """How many pages the (capped) count fills."""
        return -(-self.page.count // self.size)


def board_page(*, service_id: int, now: datetime, cursor: str | None = None, size: int | None = None) -> BoardPage:
    """Return one page of the service's open cases, earliest deadline first (then arrival), with its neighbours.

    The earliest deadline is the one the referral carries as data (its earliest unmet deadline,
    set by referrals.services from the deadlines rule module); cases with none come last.
    CURSOR is a page link's (None: the first page); a cursor this board did not write raises
    amhp_hub.common.pagination.CursorError. Ordered through the index referral_board_order.
    """
    referrals = Referral.objects.filter(
        service_id=service_id, status__in=[s.value for s in OPEN_STATUSES]
    ).select_related("person")
    size = size or BOARD_PAGE_SIZE
    page = KeysetPaginator(referrals, BOARD_ORDER, size, nulls_last=True).page(cursor)
    return BoardPage(rows=board_rows(page.rows, now=now), page=page, size=size)


def board_rows(referrals: list[Referral], *, now: datetime) -> list[BoardRow]:
    """Return the board's row for each of REFERRALS (open, with their person loaded): two queries for all of them."""
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
    return rows
