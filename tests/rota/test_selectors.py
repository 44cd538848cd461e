"""Rota reads: who is on duty, cover gaps, duty frequency and working-time warnings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rota import selectors, services, working_time
from rota.models import LeaveKind
from rota.shift_times import local_instant

pytestmark = pytest.mark.django_db

MONDAY = date(2031, 6, 2)


def _leave(manager: Any, staff: Any, start: datetime, end: datetime) -> Any:
    return services.leave_record(actor=manager.user, staff=staff, kind=LeaveKind.SICK, starts_at=start, ends_at=end)


def _on_duty(service: Any, at: datetime) -> list[Any]:
    return list(selectors.on_duty_at(service_id=service.pk, at=at))


def test_on_duty_covers_the_shift_start_but_not_its_end(place: Any, amhp: Any, service: Any) -> None:
    shift = place(amhp, "day", date(2031, 7, 1))  # 09:00-17:00 BST
    assert _on_duty(service, shift.starts_at) == [shift]
    assert _on_duty(service, shift.ends_at - timedelta(seconds=1)) == [shift]
    assert _on_duty(service, datetime(2031, 7, 1, 16, tzinfo=UTC)) == []  # 17:00 BST


def test_on_duty_leaves_out_people_on_leave_and_cancelled_shifts(
    place: Any, amhp: Any, make_staff: Any, service: Any, manager: Any
) -> None:
    other = make_staff("amhp", service)
    third = make_staff("amhp", service)
    kept = place(amhp, "late", MONDAY)
    place(other, "late", MONDAY)
    cancelled = place(third, "late", MONDAY)
    services.shift_cancel(actor=manager.user, shift=cancelled, now=datetime(2031, 1, 1, tzinfo=UTC))
    at = kept.starts_at + timedelta(hours=1)
    _leave(manager, other, at - timedelta(minutes=30), at + timedelta(hours=2))
    assert _on_duty(service, at) == [kept]


def test_on_duty_never_shows_another_service(place: Any, amhp: Any, other_service: Any) -> None:
    shift = place(amhp, "late", MONDAY)
    assert _on_duty(other_service, shift.starts_at) == []


def test_gaps_list_shifts_under_cover_and_skip_weekday_only_shifts_at_weekends(
    place: Any, amhp: Any, make_staff: Any, service: Any
) -> None:
    for code in ("early", "late", "night"):
        place(make_staff("amhp", service), code, MONDAY)
    place(amhp, "day", MONDAY + timedelta(days=1))
    gaps = selectors.cover_gaps(service_id=service.pk, start=MONDAY, end=MONDAY + timedelta(days=6))
    by_key = {(g.day, g.shift_type.code): (g.required, g.filled) for g in gaps}
    assert by_key[(MONDAY, "day")] == (2, 0)
    assert by_key[(MONDAY + timedelta(days=1), "day")] == (2, 1)
    assert (MONDAY, "early") not in by_key and (MONDAY, "night") not in by_key
    saturday = MONDAY + timedelta(days=5)
    assert (saturday, "day") not in by_key  # weekdays only
    assert by_key[(saturday, "night")] == (1, 0)


def test_gaps_skip_weekday_only_shifts_on_english_bank_holidays(service: Any, shift_types: Any) -> None:
    # Monday 31 August 2026 is the summer bank holiday; Tuesday is an ordinary day.
    gaps = selectors.cover_gaps(service_id=service.pk, start=date(2026, 8, 31), end=date(2026, 9, 1))
    day_gaps = [g.day for g in gaps if g.shift_type.code == "day"]
    assert day_gaps == [date(2026, 9, 1)]
    assert len([g for g in gaps if g.day == date(2026, 8, 31)]) == 3  # early, late and night still needed


def test_a_shift_whose_amhp_is_on_leave_does_not_fill_cover(place: Any, amhp: Any, manager: Any, service: Any) -> None:
    shift = place(amhp, "late", MONDAY)
    _leave(manager, amhp, shift.starts_at, shift.ends_at)
    gaps = selectors.cover_gaps(service_id=service.pk, start=MONDAY, end=MONDAY)
    assert (MONDAY, "late", 1, 0) in [(g.day, g.shift_type.code, g.required, g.filled) for g in gaps]
    week = selectors.rota_week(service_id=service.pk, week_start=MONDAY)
    late = next(r for r in week.rows if r.shift_type.code == "late")
    assert late.cells[0].gap and getattr(late.cells[0].shifts[0], "on_leave", False)  # annotated by the query


def test_cover_gaps_take_a_constant_number_of_queries(place: Any, make_staff: Any, service: Any) -> None:
    with CaptureQueriesContext(connection) as few:
        selectors.cover_gaps(service_id=service.pk, start=MONDAY, end=MONDAY + timedelta(days=6))
    for i in range(6):
        place(make_staff("amhp", service), "late", MONDAY + timedelta(days=i))
    with CaptureQueriesContext(connection) as many:
        selectors.cover_gaps(service_id=service.pk, start=MONDAY, end=MONDAY + timedelta(days=27))
        selectors.rota_week(service_id=service.pk, week_start=MONDAY)
    assert len(many) == 2 * len(few)


def test_duty_frequency_counts_shifts_and_hours_per_amhp_with_a_balance_score(
    place: Any, amhp: Any, make_staff: Any, service: Any
) -> None:
    busy = make_staff("amhp", service)
    idle = make_staff("amhp", service)
    place(amhp, "day", MONDAY)
    place(busy, "night", MONDAY)
    place(busy, "late", MONDAY + timedelta(days=2))
    report = selectors.duty_frequency(service_id=service.pk, start=MONDAY, end=MONDAY + timedelta(days=6))
    rows = {r.staff.pk: (r.shifts, r.hours) for r in report.rows}
    assert rows[amhp.pk] == (1, 8.0)
    assert rows[busy.pk] == (2, 24.0)
    assert rows[idle.pk] == (0, 0.0)
    # Pairs: 8/24, 0/8, 0/24 -> (1/3 + 0 + 0) / 3
    assert report.balance == pytest.approx(1 / 9)


def test_duty_frequency_leaves_out_shifts_blocked_by_leave(place: Any, amhp: Any, manager: Any, service: Any) -> None:
    place(amhp, "late", MONDAY)
    blocked = place(amhp, "late", MONDAY + timedelta(days=1))
    _leave(manager, amhp, blocked.starts_at, blocked.ends_at)
    report = selectors.duty_frequency(service_id=service.pk, start=MONDAY, end=MONDAY + timedelta(days=6))
    assert (report.rows[0].shifts, report.rows[0].hours) == (1, 8.0)


def test_duty_frequency_clips_a_night_to_the_period(place: Any, amhp: Any, service: Any) -> None:
    place(amhp, "night", MONDAY)  # 17:00 Monday to 09:00 Tuesday
    report = selectors.duty_frequency(service_id=service.pk, start=MONDAY, end=MONDAY)
    assert (report.rows[0].shifts, report.rows[0].hours) == (1, 7.0)


def test_working_time_warns_of_a_nine_hour_turnaround(
    place: Any, amhp: Any, manager: Any, service: Any, shift_types: Any
) -> None:
    services.shift_type_create(
        actor=manager.user, service=service, code="twilight", name="Twilight", start_time=time(14), end_time=time(23)
    )
    shift_types_all = {t.code: t for t in selectors.shift_types_for(service_id=service.pk)}
    services.shift_place(actor=manager.user, staff=amhp, shift_type=shift_types_all["twilight"], day=MONDAY)
    place(amhp, "early", MONDAY + timedelta(days=1))  # 23:00 to 08:00 is 9 hours' rest
    warnings = selectors.working_time_warnings(
        service_id=service.pk,
        start=local_instant(MONDAY, time(0)),
        end=local_instant(MONDAY + timedelta(days=7), time(0)),
    )
    assert [(w.staff, w.rule) for w in warnings] == [(amhp, working_time.DAILY_REST)]
    assert "9 h rest" in warnings[0].message


def test_working_time_warns_of_a_weekly_average_over_48_hours(
    manager: Any, amhp: Any, service: Any, shift_types: Any, make_staff: Any
) -> None:
    steady = make_staff("amhp", service)
    start = MONDAY - timedelta(weeks=16)
    nights = services.pattern_create(
        actor=manager.user, staff=amhp, name="Nights", cycle=["night", None], starts_on=start
    )
    days = services.pattern_create(
        actor=manager.user, staff=steady, name="Days", cycle=["day"] * 5 + [None, None], starts_on=start
    )
    for pattern in (nights, days):
        services.pattern_apply(actor=manager.user, pattern=pattern, start=start, end=MONDAY + timedelta(days=6))
    warnings = selectors.working_time_warnings(
        service_id=service.pk,
        start=local_instant(MONDAY, time(0)),
        end=local_instant(MONDAY + timedelta(days=7), time(0)),
    )
    # Nights every other day average 56 hours a week; five day shifts are 40.
    assert [(w.staff, w.rule) for w in warnings] == [(amhp, working_time.WEEKLY_AVERAGE)]


def test_no_working_time_warnings_for_a_sensible_rota(place: Any, amhp: Any, service: Any) -> None:
    for i in range(5):
        place(amhp, "day", MONDAY + timedelta(days=i))
    assert (
        selectors.working_time_warnings(
            service_id=service.pk,
            start=local_instant(MONDAY, time(0)),
            end=local_instant(MONDAY + timedelta(days=7), time(0)),
        )
        == []
    )


def test_working_time_warnings_take_a_constant_number_of_queries(
    place: Any, make_staff: Any, service: Any, amhp: Any
) -> None:
    place(amhp, "day", MONDAY)
    start, end = local_instant(MONDAY, time(0)), local_instant(MONDAY + timedelta(days=7), time(0))
    with CaptureQueriesContext(connection) as few:
        selectors.working_time_warnings(service_id=service.pk, start=start, end=end)
    for i in range(8):
        person = make_staff("amhp", service)
        place(person, "night", MONDAY + timedelta(days=i % 6))
        place(person, "late", MONDAY + timedelta(days=i % 6 + 1))  # 3 hours after the night ends
    with CaptureQueriesContext(connection) as many:
        warnings = selectors.working_time_warnings(service_id=service.pk, start=start, end=end)
    assert len(warnings) == 8
    assert len(many) == len(few)
