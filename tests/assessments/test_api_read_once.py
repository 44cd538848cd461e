"""The API's serializers that build their fields once read referrals, queue rows, allocations and candidates
exactly as DRF's own to_representation does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from assessments import selectors as assessment_selectors
from assessments import services as assessment_services
from assessments.api import AllocationListSerializer, CandidateOptionSerializer
from referrals.api import QueueEntrySerializer, ReferralSerializer
from tests.common.test_serializers import plain


@pytest.mark.django_db
def test_referrals_queue_rows_allocations_and_candidates_read_as_drf_reads_them(
    monkeypatch: pytest.MonkeyPatch, service: Any, consultant: Any, on_duty_amhp: Any, make_referral: Any
) -> None:
    now = datetime.now(UTC)
    amhp = on_duty_amhp
    summer = make_referral(service, consultant.user, received_at=datetime(2026, 7, 1, 9, tzinfo=UTC))
    winter = make_referral(
        service,
        consultant.user,
        legal_status="s136",
        location="Place of safety",
        legal_power_started_at=now - timedelta(hours=2),
        received_at=now - timedelta(hours=1),
    )
    draft = make_referral(service, consultant.user, draft=True, given_name="", reason="")
    for referral in (summer, winter, draft):
        assert ReferralSerializer(referral).data == plain(monkeypatch, lambda r=referral: ReferralSerializer(r).data)
    rows = [summer, winter]
    assert QueueEntrySerializer(rows, many=True).data == plain(
        monkeypatch, lambda: QueueEntrySerializer(rows, many=True).data
    )
    options = assessment_selectors.candidate_options(winter, now)
    assert options
    assert CandidateOptionSerializer(options, many=True).data == plain(
        monkeypatch, lambda: CandidateOptionSerializer(options, many=True).data
    )
    assessment_services.assessment_allocate(referral=winter, amhp=amhp, actor=consultant.user, now=now)
    mine = list(assessment_selectors.my_allocations(amhp))
    assert mine
    assert AllocationListSerializer(mine, many=True).data == plain(
        monkeypatch, lambda: AllocationListSerializer(mine, many=True).data
    )
