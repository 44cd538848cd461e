"""Demand by when assessments happen: assessment hours by local hour, and the share after 5pm."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from assessments.models import Assessment, AssessmentStatus
from planning import demand, selectors
from referrals.models import Referral
from rota.models import Service, StaffProfile


def test_hours_are_split_at_each_hour_and_after_5pm_is_17_to_midnight() -> None:
    # 16:30-19:00 GMT: 0.5 h at 16, 1 h at 17 and 18: 2 of the 2.5 hours after 5pm (80%).
    by_hour = demand.hours_by_hour([(datetime(2026, 12, 1, 16, 30, tzinfo=UTC), datetime(2026, 12, 1, 19, tzinfo=UTC))])
    assert (by_hour[16], by_hour[17], by_hour[18]) == (0.5, 1.0, 1.0)
    assert demand.after_5pm_share(by_hour) == pytest.approx(0.8)
    assert demand.after_5pm_share([0.0] * 24) is None


def test_summer_time_puts_hours_at_the_wall_clock_hour() -> None:
    # 1 July 2026, BST: 16:00-17:00 UTC is 17:00-18:00 local, all after 5pm.
    by_hour = demand.hours_by_hour([(datetime(2026, 7, 1, 16, tzinfo=UTC), datetime(2026, 7, 1, 17, tzinfo=UTC))])
    assert by_hour[17] == 1.0 and sum(by_hour) == 1.0


@pytest.mark.django_db
def test_recorded_assessment_work_feeds_the_demand_dashboard(
    logged_in_client: Any,
    manager: StaffProfile,
    consultant: StaffProfile,
    service: Service,
    make_staff: Any,
    make_referral: Any,
) -> None:
    amhp = make_staff("amhp", service)
    received = datetime(2026, 11, 10, 15, tzinfo=UTC)
    referral: Referral = make_referral(
        service, consultant.user, received_at=received, now=received + timedelta(minutes=10)
    )
    Assessment.objects.create(
        service=service,
        referral=referral,
        amhp=amhp,
        status=AssessmentStatus.COMPLETED,
        allocated_at=received,
        allocated_by=consultant.user,
        expected_hours=Decimal(4),
        work_started_at=datetime(2026, 11, 10, 16, tzinfo=UTC),
        work_ended_at=datetime(2026, 11, 10, 20, tzinfo=UTC),
    )
    found = selectors.assessment_demand(service_id=service.pk, start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert found.total_hours == 4.0 and found.after_5pm_share == 0.75  # 17-20 of 16-20
    page = logged_in_client(manager).get("/dashboards/demand/?from=2026-11-01&to=2026-11-30").content.decode()
    assert "Assessment hours worked after 5pm" in page and "75%" in page
    csv_text = logged_in_client(manager).get("/dashboards/assessment-hours-by-hour.csv?from=2026-11-01&to=2026-11-30")
    assert "17:00,1.0" in csv_text.content.decode()
