from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from amhp_hub.common.zone import LONDON
from rota.shift_times import expand_pattern, local_instant, shift_bounds

# 2026 clock changes in the UK: forward on Sun 29 March, back on Sun 25 October.
SPRING_SUNDAY = date(2026, 3, 29)
AUTUMN_SUNDAY = date(2026, 10, 25)
ORDINARY_DAY = date(2026, 6, 10)


def hours(bounds: tuple[datetime, datetime]) -> float:
    start, end = bounds
    return (end - start).total_seconds() / 3600


# --- local_instant -------------------------------------------------------------------


def test_it_returns_utc_instants() -> None:
    instant = local_instant(ORDINARY_DAY, time(9))
    assert instant.tzinfo is UTC
    assert instant == datetime(2026, 6, 10, 8, tzinfo=UTC)  # BST is UTC+1


def test_it_uses_gmt_in_winter() -> None:
    assert local_instant(date(2026, 1, 15), time(9)) == datetime(2026, 1, 15, 9, tzinfo=UTC)


def test_it_moves_a_time_in_the_spring_gap_forward_by_an_hour() -> None:
    instant = local_instant(SPRING_SUNDAY, time(1, 30))
    assert instant == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert instant.astimezone(LONDON).time() == time(2, 30)


def test_it_takes_the_first_occurrence_of_an_ambiguous_autumn_time() -> None:
    instant = local_instant(AUTUMN_SUNDAY, time(1, 30))
    assert instant == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # still BST
    assert instant.astimezone(LONDON).utcoffset() == timedelta(hours=1)


def test_it_ignores_a_fold_on_the_given_time() -> None:
    assert local_instant(AUTUMN_SUNDAY, time(1, 30, fold=1)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_it_rejects_an_aware_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_instant(ORDINARY_DAY, time(9, tzinfo=UTC))


# --- shift_bounds --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected_hours"),
    [
        (time(9), time(17), 8),  # day
        (time(8), time(16), 8),  # early
        (time(12), time(20), 8),  # late
        (time(17), time(9), 16),  # EDT night
        (time(22), time(8), 10),  # night
        (time(9), time(9), 24),  # 24-hour shift
    ],
)
def test_it_gives_wall_clock_lengths_on_an_ordinary_day(start: time, end: time, expected_hours: int) -> None:
    assert hours(shift_bounds(ORDINARY_DAY, start, end)) == expected_hours


@pytest.mark.parametrize("day", [SPRING_SUNDAY, AUTUMN_SUNDAY])
@pytest.mark.parametrize(
    ("start", "end"),
    [(time(9), time(17)), (time(8), time(16)), (time(12), time(20))],
)
def test_it_keeps_daytime_shifts_at_eight_hours_on_change_sundays(day: date, start: time, end: time) -> None:
    start_at, end_at = shift_bounds(day, start, end)
    assert hours((start_at, end_at)) == 8
    assert start_at.astimezone(LONDON).time() == start
    assert end_at.astimezone(LONDON).time() == end


def test_it_makes_the_edt_night_spanning_the_spring_change_fifteen_hours() -> None:
    start_at, end_at = shift_bounds(SPRING_SUNDAY - timedelta(days=1), time(17), time(9))
    assert start_at == datetime(2026, 3, 28, 17, tzinfo=UTC)  # GMT
    assert end_at == datetime(2026, 3, 29, 8, tzinfo=UTC)  # 09:00 BST
    assert hours((start_at, end_at)) == 15


def test_it_makes_the_edt_night_spanning_the_autumn_change_seventeen_hours() -> None:
    start_at, end_at = shift_bounds(AUTUMN_SUNDAY - timedelta(days=1), time(17), time(9))
    assert start_at == datetime(2026, 10, 24, 16, tzinfo=UTC)  # 17:00 BST
    assert end_at == datetime(2026, 10, 25, 9, tzinfo=UTC)  # 09:00 GMT
    assert hours((start_at, end_at)) == 17


def test_it_makes_the_22_to_08_night_nine_hours_in_spring_and_eleven_in_autumn() -> None:
    assert hours(shift_bounds(SPRING_SUNDAY - timedelta(days=1), time(22), time(8))) == 9
    assert hours(shift_bounds(AUTUMN_SUNDAY - timedelta(days=1), time(22), time(8))) == 11


@pytest.mark.parametrize("day", [SPRING_SUNDAY, AUTUMN_SUNDAY])
def test_a_night_starting_on_the_change_sunday_evening_is_unaffected(day: date) -> None:
    assert hours(shift_bounds(day, time(17), time(9))) == 16
    assert hours(shift_bounds(day, time(22), time(8))) == 10


def test_it_shows_the_night_end_as_09_00_local_after_either_change() -> None:
    for sunday in (SPRING_SUNDAY, AUTUMN_SUNDAY):
        _, end_at = shift_bounds(sunday - timedelta(days=1), time(17), time(9))
        assert end_at.astimezone(LONDON) == datetime.combine(sunday, time(9), tzinfo=LONDON)


def test_a_24_hour_shift_over_a_change_is_23_or_25_hours() -> None:
    assert hours(shift_bounds(SPRING_SUNDAY - timedelta(days=1), time(9), time(9))) == 23
    assert hours(shift_bounds(AUTUMN_SUNDAY - timedelta(days=1), time(9), time(9))) == 25


def test_a_shift_starting_in_the_spring_gap_starts_an_hour_later_on_the_clock() -> None:
    start_at, end_at = shift_bounds(SPRING_SUNDAY, time(1, 30), time(9))
    assert start_at.astimezone(LONDON).time() == time(2, 30)
    assert hours((start_at, end_at)) == 6.5


def test_a_shift_ending_in_the_autumn_overlap_ends_at_the_first_occurrence() -> None:
    _, end_at = shift_bounds(AUTUMN_SUNDAY - timedelta(days=1), time(17), time(1, 30))
    assert end_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_it_rejects_a_shift_left_without_duration_by_the_spring_gap() -> None:
    with pytest.raises(ValueError, match="no duration"):
        shift_bounds(SPRING_SUNDAY, time(1, 30), time(2, 15))


def test_it_accepts_another_zone() -> None:
    start_at, end_at = shift_bounds(ORDINARY_DAY, time(9), time(17), tz=ZoneInfo("UTC"))
    assert start_at == datetime(2026, 6, 10, 9, tzinfo=UTC)
    assert end_at == datetime(2026, 6, 10, 17, tzinfo=UTC)


def test_a_week_of_nights_across_the_autumn_change_tiles_without_gaps() -> None:
    # Each EDT night ends exactly when the next day shift (09:00) begins.
    for offset in range(7):
        day = AUTUMN_SUNDAY - timedelta(days=3) + timedelta(days=offset)
        _, night_end = shift_bounds(day, time(17), time(9))
        next_day_start, _ = shift_bounds(day + timedelta(days=1), time(9), time(17))
        assert night_end == next_day_start


# --- expand_pattern ------------------------------------------------------------------


def test_it_expands_a_one_day_cycle_every_day() -> None:
    result = expand_pattern(pattern_start=date(2026, 1, 1), cycle=["DAY"], start=date(2026, 1, 5), end=date(2026, 1, 7))
    assert result == [(date(2026, 1, 5), "DAY"), (date(2026, 1, 6), "DAY"), (date(2026, 1, 7), "DAY")]


def test_it_leaves_out_days_off() -> None:
    cycle = ["EARLY", "LATE", None, None]
    result = expand_pattern(pattern_start=date(2026, 1, 1), cycle=cycle, start=date(2026, 1, 1), end=date(2026, 1, 8))
    assert result == [
        (date(2026, 1, 1), "EARLY"),
        (date(2026, 1, 2), "LATE"),
        (date(2026, 1, 5), "EARLY"),
        (date(2026, 1, 6), "LATE"),
    ]


def test_it_follows_the_phase_when_the_anchor_is_before_the_range() -> None:
    cycle = ["A", "B", "C"]
    # 10 days after the anchor: 10 % 3 == 1, so the range starts on "B".
    result = expand_pattern(pattern_start=date(2026, 1, 1), cycle=cycle, start=date(2026, 1, 11), end=date(2026, 1, 14))
    assert [code for _, code in result] == ["B", "C", "A", "B"]


def test_it_repeats_backwards_when_the_anchor_is_after_the_range() -> None:
    cycle = ["A", "B", "C"]
    # 1 day before the anchor is cycle[-1]; 3 days before is cycle[0].
    result = expand_pattern(pattern_start=date(2026, 1, 10), cycle=cycle, start=date(2026, 1, 6), end=date(2026, 1, 9))
    assert result == [
        (date(2026, 1, 6), "C"),
        (date(2026, 1, 7), "A"),
        (date(2026, 1, 8), "B"),
        (date(2026, 1, 9), "C"),
    ]


def test_it_starts_the_cycle_on_the_anchor_inside_the_range() -> None:
    result = expand_pattern(
        pattern_start=date(2026, 1, 3), cycle=["A", None], start=date(2026, 1, 1), end=date(2026, 1, 5)
    )
    assert result == [(date(2026, 1, 1), "A"), (date(2026, 1, 3), "A"), (date(2026, 1, 5), "A")]


def test_it_includes_both_ends_of_the_range() -> None:
    result = expand_pattern(pattern_start=date(2026, 1, 1), cycle=["X"], start=date(2026, 2, 1), end=date(2026, 2, 1))
    assert result == [(date(2026, 2, 1), "X")]


def test_it_returns_nothing_for_a_reversed_range() -> None:
    assert (
        expand_pattern(pattern_start=date(2026, 1, 1), cycle=["X"], start=date(2026, 2, 2), end=date(2026, 2, 1)) == []
    )


def test_it_returns_nothing_for_an_all_off_cycle() -> None:
    assert (
        expand_pattern(
            pattern_start=date(2026, 1, 1), cycle=[None, None], start=date(2026, 1, 1), end=date(2026, 1, 31)
        )
        == []
    )


def test_it_rejects_an_empty_cycle() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        expand_pattern(pattern_start=date(2026, 1, 1), cycle=[], start=date(2026, 1, 1), end=date(2026, 1, 2))


def test_a_weekly_pattern_keeps_its_weekdays_across_years_and_clock_changes() -> None:
    # Mon-Fri days, weekends off, anchored on Monday 5 January 2026.
    cycle = ["DAY"] * 5 + [None, None]
    result = expand_pattern(pattern_start=date(2026, 1, 5), cycle=cycle, start=date(2026, 1, 1), end=date(2027, 12, 31))
    assert result
    assert all(day.weekday() < 5 for day, _ in result)
    working_days = sum(1 for offset in range(730) if (date(2026, 1, 1) + timedelta(days=offset)).weekday() < 5)
    assert len(result) == working_days


def test_a_rolling_four_week_rota_gives_each_person_one_week_in_four() -> None:
    cycle = ["EDT"] * 7 + [None] * 21
    anchor = date(2026, 3, 2)
    people = {name: anchor + timedelta(weeks=index) for index, name in enumerate(["ana", "bo", "cy", "di"])}
    start, end = date(2026, 3, 2), date(2026, 5, 24)  # twelve weeks
    covered: dict[date, list[str]] = {}
    for name, person_anchor in people.items():
        days = expand_pattern(pattern_start=person_anchor, cycle=cycle, start=start, end=end)
        assert len(days) == 21
        for day, _ in days:
            covered.setdefault(day, []).append(name)
    assert len(covered) == 84
    assert all(len(names) == 1 for names in covered.values())


def test_it_accepts_a_tuple_cycle() -> None:
    result = expand_pattern(
        pattern_start=date(2026, 1, 1), cycle=("A", None), start=date(2026, 1, 1), end=date(2026, 1, 2)
    )
    assert result == [(date(2026, 1, 1), "A")]


def test_bounds_of_expanded_shifts_use_wall_clock_times() -> None:
    days = expand_pattern(
        pattern_start=date(2026, 3, 23), cycle=["EDT"], start=date(2026, 3, 27), end=date(2026, 3, 30)
    )
    lengths = [hours(shift_bounds(day, time(17), time(9))) for day, _ in days]
    assert lengths == [16, 15, 16, 16]
