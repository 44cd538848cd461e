"""One rule, one home: the rota page, the rota-gap job and the dashboards count cover, duty and warrants alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from amhp_hub.common.zone import LONDON
from assessments import jobs
from assessments.models import Notification
from dashboards import selectors as dashboard_selectors
from dashboards.selectors import Period
from referrals import clocks
from referrals.constants import LegalStatus
from rota import ranking
from rota import services as rota_services
from rota.models import ShiftKind, StaffProfile
from rota.shift_times import local_instant

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_amhps_one_on_leave_tomorrow(
    service: Any, manager: StaffProfile, make_staff: Callable[..., StaffProfile]
) -> dict[str, Any]:
    """Two AMHPs on tomorrow's day shift (cover 2); one then goes on leave for the whole day."""
    tomorrow = timezone.now().astimezone(LONDON).date() + timedelta(days=1)
    day_type = rota_services.shift_type_create(
        actor=manager.user,
        service=service,
        code="day",
        name="Day",
        kind=ShiftKind.DAY,
        start_time=time(9),
        end_time=time(17),
        required_cover=2,
        weekdays_only=False,
    )
    a = make_staff("amhp", service, first_name="Ada", last_name="Able")
    b = make_staff("amhp", service, first_name="Bea", last_name="Busy")
    for staff in (a, b):
        rota_services.shift_place(actor=manager.user, staff=staff, shift_type=day_type, day=tomorrow)
    rota_services.leave_record(
        actor=manager.user,
        staff=b,
        starts_at=local_instant(tomorrow, time(0)),
        ends_at=local_instant(tomorrow + timedelta(days=1), time(0)),
    )
    return {"day": tomorrow, "type": day_type, "a": a, "b": b}


def test_an_amhp_on_leave_leaves_a_gap_on_the_rota_page_in_the_job_and_not_in_the_duty_counts(
    two_amhps_one_on_leave_tomorrow: dict[str, Any], manager: StaffProfile, logged_in_client: Callable[..., Any]
) -> None:
    setup = two_amhps_one_on_leave_tomorrow
    day, day_type = setup["day"], setup["type"]
    client = logged_in_client(manager)

    # The rota page: tomorrow's day shift shows 1 of 2 filled.
    grid = client.get("/rota/", {"week": day.isoformat()}).context["grid"]
    cell = next(row for row in grid.rows if row.shift_type == day_type).cells[grid.days.index(day)]
    page_gap = (cell.filled, cell.required) if cell.gap else None

    # The job warns the manager of the same gap (it used to count the AMHP on leave and see none).
    jobs.warn_rota_gaps(now=timezone.now())
    note = Notification.objects.get(recipient=manager.user, kind="rota_gap", dedupe_key=f"gap:{day_type.pk}:{day}")
    assert page_gap == (1, 2)
    assert note.title.endswith(": 1 of 2 AMHPs")

    # Duty: the dashboard and the rota's frequency page both leave out the shift blocked by leave.
    frequency = client.get("/rota/frequency/", {"start": day.isoformat(), "end": day.isoformat()}).context["report"]
    page_duty = {row.staff.display_name: row.shifts for row in frequency.rows}
    workforce = dashboard_selectors.workforce(
        service_id=manager.service_id, period=Period(first=day, last=day), today=day
    )
    dashboard_duty = {row.name: row.shifts for row in workforce.duty}
    assert page_duty == dashboard_duty == {"Ada Able": 1, "Bea Busy": 0}


@override_settings(WARRANT_WARNING_DAYS=30)
def test_the_warrant_window_setting_is_the_one_the_job_and_the_dashboard_use(
    service: Any, manager: StaffProfile, make_staff: Callable[..., StaffProfile]
) -> None:
    now = timezone.now()
    today = now.astimezone(LONDON).date()
    # Day 30 is inside a 30-day window (today .. today + 30 inclusive); day 31 and day 60 are not.
    inside = make_staff("amhp", service, first_name="In", last_name="Side", warrant_expires_on=today + timedelta(30))
    make_staff("amhp", service, first_name="Out", last_name="Side", warrant_expires_on=today + timedelta(31))
    make_staff("amhp", service, first_name="Far", last_name="Off", warrant_expires_on=today + timedelta(60))

    jobs.warn_expiring_warrants(now=now)
    workforce = dashboard_selectors.workforce(
        service_id=service.pk, period=Period(first=today - timedelta(days=6), last=today), today=today
    )

    warned = set(
        Notification.objects.filter(kind="warrant_expiring", recipient=inside.user).values_list("title", flat=True)
    )
    assert len(warned) == 1
    assert [s.name for s in workforce.expiring] == ["In Side"]
    assert set(Notification.objects.filter(kind="warrant_expiring").values_list("recipient_id", flat=True)) == {
        inside.user_id,
        manager.user_id,
    }


def test_the_legal_status_list_is_defined_once_and_every_rule_covers_it() -> None:
    values = set(LegalStatus.values)
    assert clocks.LEGAL_STATUSES == values
    assert set(ranking.EXPECTED_HOURS_BY_LEGAL_STATUS) == values


def test_the_service_time_zone_is_defined_once() -> None:
    from django.conf import settings

    from amhp_hub.common import wall_clock
    from referrals import clocks as referral_clocks
    from rota import timefmt

    assert settings.TIME_ZONE == "Europe/London"
    assert referral_clocks.LONDON is timefmt.LONDON is jobs.LONDON is dashboard_selectors.LONDON is LONDON
    assert wall_clock.LONDON is LONDON
    assert local_instant(date(2026, 7, 1), time(12)).astimezone(LONDON).hour == 12
