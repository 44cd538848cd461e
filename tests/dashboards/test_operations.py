"""Operations dashboard: figures worked by hand from requests, admissions, police handovers and call-ins."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments.models import CaseRequest
from dashboards.operations import call_ins_by_month, doctor_calls, police_handovers, request_waits
from dashboards.selectors import Period

pytestmark = pytest.mark.django_db


@pytest.fixture
def period() -> Period:
    return Period.default(timezone.localdate())


def _request(referral: Any, kind: str, requested: Any, arrived: Any = None, outcome: str = "pending") -> None:
    CaseRequest.objects.create(
        service=referral.service,
        referral=referral,
        kind=kind,
        requested_at=requested,
        arrived_at=arrived,
        outcome=outcome,
    )


def test_waits_by_kind_and_calls_per_case(service: Any, add_referral: Any, period: Period) -> None:
    t = timezone.now() - timedelta(days=3)
    one = add_referral(service, t)
    two = add_referral(service, t)
    # Case one: three doctor calls, the doctor arrives 2 h after the first call.
    _request(one, "s12_doctor", t, outcome="no_answer")
    _request(one, "s12_doctor", t + timedelta(minutes=10), outcome="refused")
    _request(one, "s12_doctor", t + timedelta(minutes=20), t + timedelta(hours=2), "accepted")
    # Case two: one call, doctor after 4 h; a bed after 10 h.
    _request(two, "s12_doctor", t, t + timedelta(hours=4), "accepted")
    _request(two, "bed", t, t + timedelta(hours=10), "accepted")
    rows = {row[0]: row for row in request_waits(service_id=service.pk, period=period)}
    # Doctor waits 2 h and 4 h: median 3 h, p90 = 2 + 0.9 * (4 - 2) = 3.8 h.
    assert rows["Section 12 doctor"] == ["Section 12 doctor", 2, 2, 3.0, 3.8]
    assert rows["Bed"] == ["Bed", 1, 1, 10.0, 10.0]
    assert rows["Ambulance"] == ["Ambulance", 0, 0, None, None]
    calls, mean = doctor_calls(service_id=service.pk, period=period)
    assert dict((label, n) for label, n in calls) == {"1": 1, "2": 0, "3": 1, "4": 0, "5 or more": 0}
    assert mean == 2.0  # (3 + 1) / 2


def test_police_handovers_against_the_target(service: Any, add_referral: Any, period: Period, settings: Any) -> None:
    settings.POLICE_HANDOVER_TARGET_MINUTES = 60
    t = timezone.now() - timedelta(days=2)
    for minutes in (30, 60, 150):
        add_referral(service, t, police_arrived_at=t, police_handover_at=t + timedelta(minutes=minutes))
    (row,), target = police_handovers(service_id=service.pk, period=period)
    # 30, 60, 150: median 60; p90 = 60 + 0.8 * (150 - 60) = 132; exactly 60 meets the target.
    assert row == ["Police arrival to handover", 3, 60.0, 132.0, 2, 1]
    assert target == 60


def test_call_ins_per_month(service: Any, make_staff: Any, add_assessment: Any, period: Period) -> None:
    amhp = make_staff("amhp", service)
    when = timezone.now() - timedelta(days=1)
    add_assessment(amhp, allocated_at=when, called_in=True, call_in_reason="No one on duty")
    add_assessment(amhp, allocated_at=when)
    months = dict(call_ins_by_month(service_id=service.pk, period=period))
    assert months[timezone.localtime(when).strftime("%B %Y")] == 1
    assert sum(months.values()) == 1


def test_operations_page_and_csv(client: Any, manager: Any, service: Any, add_referral: Any) -> None:
    t = timezone.now() - timedelta(days=3)
    referral = add_referral(service, t)
    _request(referral, "ambulance", t, t + timedelta(hours=1, minutes=30), "accepted")
    client.force_login(manager.user)
    page = client.get("/dashboards/operations/").content.decode()
    assert "Waits by kind" in page and "Off-rota call-ins by month" in page
    response = client.get("/dashboards/request-waits.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Waiting for", "Cases", "Waits ended", "Median hours", "90th percentile hours"]
    assert ["Ambulance", "1", "1", "1.5", "1.5"] in rows
