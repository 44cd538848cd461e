"""Reads of a case's requests and the waits derived from them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet

from assessments import waits
from assessments.models import CaseRequest


def requests_for(*, referral_id: UUID | str) -> QuerySet[CaseRequest]:
    """The referral's requests, oldest first (index request_referral_time)."""
    return CaseRequest.objects.filter(referral_id=referral_id).select_related("doctor").order_by("requested_at", "id")


def fact_of(request: CaseRequest) -> waits.RequestFact:
    return waits.RequestFact(
        kind=request.kind,
        requested_at=request.requested_at,
        outcome=request.outcome,
        arrived_at=request.arrived_at,
        times_known=request.times_known,
    )


def case_waits(requests: list[CaseRequest], *, now: datetime, open_case: bool) -> list[waits.Wait]:
    return waits.waits_by_kind([fact_of(r) for r in requests], now=now, open_case=open_case)
