"""Rota warnings a manager confirms: a placement that breaks the rests, leave that opens a cover gap.

The worked examples use the Working Time Regulations 1998: 11 consecutive hours' daily rest (reg. 10)
and 24 hours' uninterrupted rest in each Monday-to-Sunday week (reg. 11), counting the rota and the
work recorded beyond it (late finishes) together.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from rota import services
from rota.models import Leave, Shift
from rota.timefmt import LONDON

pytestmark = pytest.mark.django_db

# A winter week well clear of the clock changes: Mon 11 Jan to Sun 17 Jan 2027 (GMT).
MONDAY = date(2027, 1, 11)


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def place_data(staff: Any, shift_type: Any, day: date, **extra: str) -> dict[str, Any]:
    return {"place-staff": staff.pk, "place-shift_type": shift_type.pk, "place-day": day.isoformat(), **extra}


def late_finish(staff: Any, start: datetime, end: datetime) -> None:
    services.record_worked_period(
        staff_id=staff.pk, started_at=start, ended_at=end, source="assessment", source_id=f"test-{start:%s}"
    )


def test_a_placement_that_breaks_the_daily_rest_after_a_late_finish_asks_to_confirm(
    logged_in_client: Any, manager: Any, amhp: Any, place: Any, shift_types: Any
) -> None:
    # Late 12:00-20:00 on Monday, with the assessment's recorded work running on to 23:30.
    # An early on Tuesday starts at 08:00: 8 h 30 min of rest, under 11 h.
    place(amhp, "late", MONDAY)
    late_finish(amhp, london(MONDAY, 20), london(MONDAY, 23, 30))
    client = logged_in_client(manager)
    tuesday = MONDAY + timedelta(days=1)

    asked = client.post("/rota/shifts/", place_data(amhp, shift_types["early"], tuesday))

    assert asked.status_code == 400
    html = asked.content.decode()
    assert "There is a problem" in html
    assert "Tick the box to confirm you have checked the rest warning" in html
    assert (
        f"{amhp.display_name}, Working Time Regulations 1998: Only 8 h 30 min rest between shifts ending"
        " Mon 11 Jan 23:30 and starting Tue 12 Jan 08:00 (minimum 11 h) (reg. 10)"
    ) in html
    assert Shift.objects.filter(day=tuesday).count() == 0
    # What was typed is kept: the AMHP, the shift and the day are still chosen.
    assert f'<option value="{amhp.pk}" selected>' in html
    assert f'<option value="{shift_types["early"].pk}" selected>' in html
    assert f'value="{tuesday.isoformat()}"' in html

    confirmed = client.post("/rota/shifts/", place_data(amhp, shift_types["early"], tuesday, **{"place-confirm": "on"}))

    assert confirmed.status_code == 302
    assert Shift.objects.get(day=tuesday).shift_type == shift_types["early"]


def test_without_the_late_finish_the_same_placement_needs_no_confirmation(
    logged_in_client: Any, manager: Any, amhp: Any, place: Any, shift_types: Any
) -> None:
    # Late ends 20:00, early starts 08:00: 12 h of rest, nothing broken, nothing to confirm.
    place(amhp, "late", MONDAY)
    response = logged_in_client(manager).post(
        "/rota/shifts/", place_data(amhp, shift_types["early"], MONDAY + timedelta(days=1))
    )
    assert response.status_code == 302
    assert Shift.objects.filter(staff=amhp).count() == 2


def test_a_seventh_shift_in_a_row_asks_to_confirm_the_weekly_rest(
    logged_in_client: Any, manager: Any, amhp: Any, place: Any, shift_types: Any
) -> None:
    # Earlies 08:00-16:00 Monday to Saturday leave 32 h from Saturday 16:00 to the week's end;
    # a Sunday early leaves 16 h as the longest rest of the week.
    for i in range(6):
        place(amhp, "early", MONDAY + timedelta(days=i))
    sunday = MONDAY + timedelta(days=6)
    client = logged_in_client(manager)
    asked = client.post("/rota/shifts/", place_data(amhp, shift_types["early"], sunday))
    assert asked.status_code == 400
    assert "No 24 h uninterrupted rest in the 7 days Mon 11 Jan to Sun 17 Jan (longest rest 16 h) (reg. 11)" in (
        asked.content.decode()
    )
    assert not Shift.objects.filter(day=sunday).exists()
    assert (
        client.post(
            "/rota/shifts/", place_data(amhp, shift_types["early"], sunday, **{"place-confirm": "on"})
        ).status_code
        == 302
    )


def test_the_week_shows_the_weekly_rest_breach_of_seven_days_on(
    logged_in_client: Any, manager: Any, amhp: Any, place: Any
) -> None:
    for i in range(7):
        place(amhp, "early", MONDAY + timedelta(days=i))
    html = logged_in_client(manager).get("/rota/", {"week": MONDAY.isoformat()}).content.decode()
    warnings = html.split('id="working-time-heading"')[1].split("</ul>")[0]
    assert "Working time warnings (1)" in html
    assert (
        f"<strong>{amhp.display_name}</strong>: No 24 h uninterrupted rest in the 7 days Mon 11 Jan to Sun 17 Jan"
        " (longest rest 16 h)"
    ) in warnings


def test_a_late_finish_shows_on_the_week_as_a_short_daily_rest(
    logged_in_client: Any, manager: Any, amhp: Any, place: Any
) -> None:
    place(amhp, "late", MONDAY)
    place(amhp, "early", MONDAY + timedelta(days=1))
    client = logged_in_client(manager)
    before = client.get("/rota/", {"week": MONDAY.isoformat()}).content.decode()
    assert 'id="working-time-ok"' in before  # 20:00 to 08:00 is 12 h
    late_finish(amhp, london(MONDAY, 20), london(MONDAY, 22))
    after = client.get("/rota/", {"week": MONDAY.isoformat()}).content.decode()
    assert "Working time warnings (1)" in after
    assert "Only 10 h rest between shifts ending Mon 11 Jan 22:00 and starting Tue 12 Jan 08:00" in after


def _next_monday() -> date:
    today = timezone.localdate()
    return today - timedelta(days=today.weekday()) + timedelta(days=7)


def _label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def leave_data(staff: Any, start: str, end: str, **extra: str) -> dict[str, Any]:
    return {"staff": staff.pk, "kind": "annual", "starts_at": start, "ends_at": end, "note": "Booked long ago", **extra}


def test_leave_that_opens_a_cover_gap_asks_to_confirm(
    logged_in_client: Any, manager: Any, amhp: Any, place: Any
) -> None:
    # The early needs one AMHP and has exactly one: leave over it leaves 0 of 1.
    monday = _next_monday()
    place(amhp, "early", monday)
    client = logged_in_client(manager)
    data = leave_data(amhp, f"{monday.isoformat()}T00:00", f"{monday.isoformat()}T23:59")

    asked = client.post("/rota/leave/", data)

    assert asked.status_code == 400
    html = asked.content.decode()
    assert "There is a problem" in html
    assert "Tick the box to confirm you have checked the cover gap" in html
    assert f"Early on {_label(monday)} would have 0 of the 1 AMHP it needs" in html
    assert not Leave.objects.exists()
    assert f'value="{monday.isoformat()}T00:00"' in html and "Booked long ago" in html

    confirmed = client.post("/rota/leave/", {**data, "confirm": "on"})

    assert confirmed.status_code == 302
    assert Leave.objects.get().staff == amhp
    week = client.get("/rota/", {"week": monday.isoformat()}).content.decode()
    assert "Gap: 0 of 1" in week


def test_leave_that_leaves_cover_whole_needs_no_confirmation(
    logged_in_client: Any, manager: Any, amhp: Any, place: Any, make_staff: Any, service: Any
) -> None:
    # Two AMHPs on an early that needs one: one may take leave without a gap.
    monday = _next_monday()
    place(amhp, "early", monday)
    place(make_staff("amhp", service), "early", monday)
    response = logged_in_client(manager).post(
        "/rota/leave/", leave_data(amhp, f"{monday.isoformat()}T00:00", f"{monday.isoformat()}T23:59")
    )
    assert response.status_code == 302
    assert Leave.objects.count() == 1


def test_leave_over_a_night_that_started_the_day_before_counts_that_night(
    logged_in_client: Any, manager: Any, amhp: Any, place: Any
) -> None:
    # The EDT night runs 17:00 Monday to 09:00 Tuesday; leave from Tuesday 00:00 cuts into it.
    monday = _next_monday()
    place(amhp, "night", monday)
    tuesday = monday + timedelta(days=1)
    response = logged_in_client(manager).post(
        "/rota/leave/", leave_data(amhp, f"{tuesday.isoformat()}T00:00", f"{tuesday.isoformat()}T12:00")
    )
    assert response.status_code == 400
    assert f"EDT night on {_label(monday)} would have 0 of the 1 AMHP it needs" in response.content.decode()
    assert not Leave.objects.exists()


def test_recorded_work_is_read_merged_overlapping_and_touching_periods_joined(make_staff: Any, service: Any) -> None:
    from rota.selectors import worked_intervals
    from rota.working_time import Interval

    amhp, colleague = make_staff("amhp", service), make_staff("amhp", service)
    day = MONDAY
    late_finish(amhp, london(day, 17), london(day, 18))
    late_finish(amhp, london(day, 17, 30), london(day, 19))  # overlaps the first
    late_finish(amhp, london(day, 19), london(day, 20))  # touches the second: no rest between
    late_finish(amhp, london(day, 21), london(day, 22))  # an hour's gap: a period of its own
    late_finish(colleague, london(day, 17, 15), london(day, 18))  # someone else's stays apart
    worked = worked_intervals(
        staff_ids=[amhp.pk, colleague.pk], start=london(day, 0), end=london(day + timedelta(1), 0)
    )
    assert worked[amhp.pk] == [Interval(london(day, 17), london(day, 20)), Interval(london(day, 21), london(day, 22))]
    assert worked[colleague.pk] == [Interval(london(day, 17, 15), london(day, 18))]
