from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from amhp_hub.common.zone import LONDON
from rota.working_time import (
    DAILY_REST,
    WEEKLY_AVERAGE,
    WEEKLY_REST,
    Interval,
    daily_rest_breaches,
    merge_intervals,
    weekly_average_breaches,
    weekly_rest_breaches,
)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant given as Europe/London wall-clock time (fold=0), in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def shift(start: datetime, end: datetime) -> Interval:
    return Interval(start, end)


# --- Interval ------------------------------------------------------------------------


def test_an_interval_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="end after"):
        Interval(at(2026, 1, 1, 9), at(2026, 1, 1, 9))


def test_an_interval_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Interval(datetime(2026, 1, 1, 9), at(2026, 1, 1, 17))


# --- merge_intervals -----------------------------------------------------------------


def test_it_merges_overlapping_and_touching_intervals_and_sorts() -> None:
    a = shift(at(2026, 1, 5, 9), at(2026, 1, 5, 17))
    b = shift(at(2026, 1, 5, 16), at(2026, 1, 5, 20))
    c = shift(at(2026, 1, 5, 20), at(2026, 1, 5, 22))
    d = shift(at(2026, 1, 6, 9), at(2026, 1, 6, 17))
    inside = shift(at(2026, 1, 5, 10), at(2026, 1, 5, 11))
    assert merge_intervals([d, c, inside, b, a]) == [shift(at(2026, 1, 5, 9), at(2026, 1, 5, 22)), d]


def test_merging_nothing_gives_nothing() -> None:
    assert merge_intervals([]) == []


# --- daily rest ----------------------------------------------------------------------


def test_it_reports_a_short_rest_with_a_clear_message() -> None:
    late = shift(at(2026, 11, 23, 14), at(2026, 11, 23, 22))
    early = shift(at(2026, 11, 24, 7), at(2026, 11, 24, 15))
    [breach] = daily_rest_breaches([late, early])
    assert breach.rule == DAILY_REST
    assert breach.message == (
        "Only 9 h rest between shifts ending Mon 23 Nov 22:00 and starting Tue 24 Nov 07:00 (minimum 11 h)"
    )
    assert (breach.start, breach.end) == (late.end, early.start)


def test_exactly_eleven_hours_is_enough() -> None:
    assert (
        daily_rest_breaches(
            [shift(at(2026, 11, 23, 12), at(2026, 11, 23, 22)), shift(at(2026, 11, 24, 9), at(2026, 11, 24, 17))]
        )
        == []
    )


def test_a_rest_one_minute_short_is_a_breach() -> None:
    breaches = daily_rest_breaches(
        [shift(at(2026, 11, 23, 12), at(2026, 11, 23, 22, 1)), shift(at(2026, 11, 24, 9), at(2026, 11, 24, 17))]
    )
    assert [b.message.split(" rest")[0] for b in breaches] == ["Only 10 h 59 min"]


def test_ordinary_day_shifts_have_no_breaches() -> None:
    days = [shift(at(2026, 11, d, 9), at(2026, 11, d, 17)) for d in range(16, 21)]
    assert daily_rest_breaches(days) == []


def test_it_finds_every_short_rest_in_time_order() -> None:
    intervals = [
        shift(at(2026, 11, 25, 7), at(2026, 11, 25, 15)),
        shift(at(2026, 11, 23, 14), at(2026, 11, 23, 22)),
        shift(at(2026, 11, 24, 7), at(2026, 11, 24, 22)),
    ]
    breaches = daily_rest_breaches(intervals)
    assert [b.start for b in breaches] == [at(2026, 11, 23, 22), at(2026, 11, 24, 22)]


def test_overlapping_intervals_are_merged_before_measuring_rest() -> None:
    # A call-out overlapping the end of a shift: the rest runs from the end of the call-out.
    intervals = [
        shift(at(2026, 11, 23, 9), at(2026, 11, 23, 17)),
        shift(at(2026, 11, 23, 16), at(2026, 11, 23, 23)),
        shift(at(2026, 11, 24, 9), at(2026, 11, 24, 17)),
    ]
    [breach] = daily_rest_breaches(intervals)
    assert breach.message.startswith("Only 10 h rest between shifts ending Mon 23 Nov 23:00")


def test_back_to_back_shifts_are_one_working_period() -> None:
    intervals = [shift(at(2026, 11, 23, 9), at(2026, 11, 23, 17)), shift(at(2026, 11, 23, 17), at(2026, 11, 24, 9))]
    assert daily_rest_breaches(intervals) == []


def test_the_minimum_can_be_changed() -> None:
    intervals = [shift(at(2026, 11, 23, 9), at(2026, 11, 23, 17)), shift(at(2026, 11, 24, 5), at(2026, 11, 24, 13))]
    assert daily_rest_breaches(intervals) == []
    [breach] = daily_rest_breaches(intervals, min_rest=timedelta(hours=13))
    assert breach.message.endswith("(minimum 13 h)")


def test_no_or_one_interval_has_no_rest_to_check() -> None:
    assert daily_rest_breaches([]) == []
    assert daily_rest_breaches([shift(at(2026, 11, 23, 9), at(2026, 11, 23, 17))]) == []


def test_rest_over_the_spring_change_is_an_hour_shorter_than_the_clock() -> None:
    # 22:00 GMT Saturday to 09:00 BST Sunday: 11 h on the clock, 10 h elapsed.
    intervals = [shift(at(2026, 3, 28, 14), at(2026, 3, 28, 22)), shift(at(2026, 3, 29, 9), at(2026, 3, 29, 17))]
    [breach] = daily_rest_breaches(intervals)
    assert breach.message == (
        "Only 10 h rest between shifts ending Sat 28 Mar 22:00 and starting Sun 29 Mar 09:00 (minimum 11 h)"
    )


def test_rest_over_the_autumn_change_is_an_hour_longer_than_the_clock() -> None:
    # 22:00 BST Saturday to 08:00 GMT Sunday: 10 h on the clock, 11 h elapsed.
    intervals = [shift(at(2026, 10, 24, 14), at(2026, 10, 24, 22)), shift(at(2026, 10, 25, 8), at(2026, 10, 25, 16))]
    assert daily_rest_breaches(intervals) == []


def test_an_edt_night_then_a_day_shift_the_same_morning_is_a_breach() -> None:
    night = shift(at(2026, 11, 23, 17), at(2026, 11, 24, 9))
    day = shift(at(2026, 11, 24, 12), at(2026, 11, 24, 17))
    [breach] = daily_rest_breaches([night, day])
    assert breach.message.startswith(
        "Only 3 h rest between shifts ending Tue 24 Nov 09:00 and starting Tue 24 Nov 12:00"
    )


# --- weekly average ------------------------------------------------------------------

REFERENCE_END = at(2026, 11, 23)  # Monday 23 November 2026, midnight


def weekdays(hours_per_day: float, weeks: int = 17, end: datetime = REFERENCE_END) -> list[Interval]:
    """Monday-to-Friday shifts starting at 08:00 for ``weeks`` weeks before ``end``."""
    intervals = []
    first_monday = end.astimezone(LONDON).date() - timedelta(weeks=weeks)
    for offset in range(weeks * 7):
        day = first_monday + timedelta(days=offset)
        if day.weekday() < 5:
            start = at(day.year, day.month, day.day, 8)
            intervals.append(shift(start, start + timedelta(hours=hours_per_day)))
    return intervals


def test_fifty_hours_a_week_breaches_the_48_hour_average() -> None:
    [breach] = weekly_average_breaches(weekdays(10), reference_end=REFERENCE_END)
    assert breach.rule == WEEKLY_AVERAGE
    assert breach.message == "Averaged 50 h a week over the 17 weeks ending Mon 23 Nov 00:00 (limit 48 h)"
    assert breach.end == REFERENCE_END
    assert breach.start == REFERENCE_END - timedelta(weeks=17)


def test_exactly_48_hours_a_week_is_allowed() -> None:
    assert weekly_average_breaches(weekdays(9.6), reference_end=REFERENCE_END) == []


def test_a_heavy_few_weeks_can_average_out() -> None:
    # Six weeks at 60 h and eleven at 40 h average 47.06 h.
    heavy = weekdays(12, weeks=6)
    light = weekdays(8, weeks=11, end=REFERENCE_END - timedelta(weeks=6))
    assert weekly_average_breaches(heavy + light, reference_end=REFERENCE_END) == []


def test_work_outside_the_reference_period_is_ignored_and_edges_are_clipped() -> None:
    start = REFERENCE_END - timedelta(weeks=17)
    long_before = shift(start - timedelta(days=30), start - timedelta(days=20))
    # Straddles the start: only 100 h fall inside. Straddles the end: only 100 h inside.
    straddle_start = shift(start - timedelta(hours=400), start + timedelta(hours=100))
    straddle_end = shift(REFERENCE_END - timedelta(hours=100), REFERENCE_END + timedelta(hours=400))
    assert weekly_average_breaches([long_before, straddle_start, straddle_end], reference_end=REFERENCE_END) == []
    # 200 h over 4 weeks is 50 h a week.
    [breach] = weekly_average_breaches(
        [
            straddle_end,
            shift(REFERENCE_END - timedelta(weeks=3), REFERENCE_END - timedelta(weeks=3) + timedelta(hours=100)),
        ],
        reference_end=REFERENCE_END,
        weeks=4,
    )
    assert "Averaged 50 h a week over the 4 weeks" in breach.message


def test_overlapping_intervals_count_once() -> None:
    intervals = weekdays(9.6)
    assert weekly_average_breaches(intervals + intervals, reference_end=REFERENCE_END) == []


def test_the_limit_can_be_changed() -> None:
    [breach] = weekly_average_breaches(weekdays(8), reference_end=REFERENCE_END, limit_hours=37.5)
    assert breach.message.endswith("(limit 37 h 30 min)")


def test_a_fractional_average_is_shown_to_the_minute() -> None:
    [breach] = weekly_average_breaches(weekdays(9.75), reference_end=REFERENCE_END)
    assert "Averaged 48 h 45 min a week" in breach.message


def test_no_work_is_no_breach() -> None:
    assert weekly_average_breaches([], reference_end=REFERENCE_END) == []


def test_weekly_average_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        weekly_average_breaches([], reference_end=datetime(2026, 11, 23))
    with pytest.raises(ValueError):
        weekly_average_breaches([], reference_end=REFERENCE_END, weeks=0)


def test_the_reference_period_is_elapsed_weeks_across_clock_changes() -> None:
    # 17 weeks ending 2 Nov 2026 00:00 GMT include the October change: the period starts at
    # 01:00 BST on 6 July on the wall clock, not midnight.
    end = at(2026, 11, 2)
    [breach] = weekly_average_breaches(weekdays(10, end=end), reference_end=end)
    assert breach.start.astimezone(LONDON) == datetime(2026, 7, 6, 1, tzinfo=LONDON)


# --- weekly rest ---------------------------------------------------------------------


def working_except(*rests: tuple[datetime, datetime], around: tuple[datetime, datetime]) -> list[Interval]:
    """Work all of ``around`` except the given rests."""
    intervals = []
    cursor = around[0]
    for rest_start, rest_end in sorted(rests):
        intervals.append(shift(cursor, rest_start))
        cursor = rest_end
    intervals.append(shift(cursor, around[1]))
    return intervals


def test_every_day_worked_with_only_overnight_rests_breaches() -> None:
    week = [shift(at(2026, 11, d, 9), at(2026, 11, d, 17)) for d in range(16, 23)]
    [breach] = weekly_rest_breaches(week, start=date(2026, 11, 16), end=date(2026, 11, 22))
    assert breach.rule == WEEKLY_REST
    assert breach.message == "No 24 h uninterrupted rest in the 7 days Mon 16 Nov to Sun 22 Nov (longest rest 16 h)"
    assert (breach.start, breach.end) == (at(2026, 11, 16), at(2026, 11, 23))


def test_a_weekend_off_is_enough() -> None:
    week = [shift(at(2026, 11, d, 9), at(2026, 11, d, 17)) for d in range(16, 21)]
    assert weekly_rest_breaches(week, start=date(2026, 11, 16), end=date(2026, 11, 22)) == []


def test_no_work_at_all_is_no_breach() -> None:
    assert weekly_rest_breaches([], start=date(2026, 11, 16), end=date(2026, 11, 29)) == []


def test_exactly_24_hours_is_enough() -> None:
    around = (at(2026, 11, 10), at(2026, 11, 30))
    intervals = working_except((at(2026, 11, 18, 9), at(2026, 11, 19, 9)), around=around)
    assert weekly_rest_breaches(intervals, start=date(2026, 11, 16), end=date(2026, 11, 22)) == []


def test_a_rest_straddling_two_weeks_counts_only_inside_each() -> None:
    # Rest from Sunday 12:00 to Monday 12:00: 12 h in each week, so both breach.
    around = (at(2026, 11, 9), at(2026, 12, 7))
    intervals = working_except((at(2026, 11, 22, 12), at(2026, 11, 23, 12)), around=around)
    breaches = weekly_rest_breaches(intervals, start=date(2026, 11, 16), end=date(2026, 11, 29))
    assert [b.start for b in breaches] == [at(2026, 11, 16), at(2026, 11, 23)]
    assert all(b.message.endswith("(longest rest 12 h)") for b in breaches)


def test_it_checks_each_whole_week_and_skips_a_trailing_part_week() -> None:
    around = (at(2026, 11, 1), at(2026, 12, 31))
    intervals = working_except(around=around)
    breaches = weekly_rest_breaches(intervals, start=date(2026, 11, 2), end=date(2026, 11, 25))
    assert [b.message.split(" in the 7 days ")[1].split(" (")[0] for b in breaches] == [
        "Mon 2 Nov to Sun 8 Nov",
        "Mon 9 Nov to Sun 15 Nov",
        "Mon 16 Nov to Sun 22 Nov",
    ]
    assert breaches[0].message.endswith("(longest rest 0 min)")


def test_a_range_shorter_than_a_week_checks_nothing() -> None:
    intervals = working_except(around=(at(2026, 11, 1), at(2026, 12, 31)))
    assert weekly_rest_breaches(intervals, start=date(2026, 11, 2), end=date(2026, 11, 7)) == []


def test_a_weekly_rest_over_the_spring_change_is_an_hour_short() -> None:
    # Saturday 09:00 GMT to Sunday 09:00 BST is 24 h on the clock but 23 h elapsed.
    around = (at(2026, 3, 20), at(2026, 4, 3))
    intervals = working_except((at(2026, 3, 28, 9), at(2026, 3, 29, 9)), around=around)
    [breach] = weekly_rest_breaches(intervals, start=date(2026, 3, 23), end=date(2026, 3, 29))
    assert breach.message.endswith("(longest rest 23 h)")
    assert breach.end - breach.start == timedelta(hours=167)


def test_a_weekly_rest_over_the_autumn_change_gains_an_hour() -> None:
    # Saturday 10:00 BST to Sunday 09:00 GMT is 23 h on the clock but 24 h elapsed.
    around = (at(2026, 10, 16), at(2026, 10, 30))
    intervals = working_except((at(2026, 10, 24, 10), at(2026, 10, 25, 9)), around=around)
    assert weekly_rest_breaches(intervals, start=date(2026, 10, 19), end=date(2026, 10, 25)) == []
    # The week is 169 elapsed hours long.
    [breach] = weekly_rest_breaches(
        intervals, start=date(2026, 10, 19), end=date(2026, 10, 25), min_rest=timedelta(hours=25)
    )
    assert breach.end - breach.start == timedelta(hours=169)


def test_a_stricter_weekly_rest_can_be_required() -> None:
    week = [shift(at(2026, 11, d, 9), at(2026, 11, d, 17)) for d in range(16, 21)]
    weekend_rest_is_64_h = weekly_rest_breaches(
        week, start=date(2026, 11, 16), end=date(2026, 11, 22), min_rest=timedelta(hours=35)
    )
    assert weekend_rest_is_64_h == []
    six_days = [shift(at(2026, 11, d, 9), at(2026, 11, d, 17)) for d in range(16, 22)]
    [breach] = weekly_rest_breaches(
        six_days, start=date(2026, 11, 16), end=date(2026, 11, 22), min_rest=timedelta(hours=35)
    )
    assert breach.message.startswith("No 35 h uninterrupted rest")


FORTNIGHT = (date(2026, 11, 2), date(2026, 11, 15))
AROUND_FORTNIGHT = (at(2026, 10, 26), at(2026, 11, 23))


def test_fortnightly_one_48_hour_rest_is_enough() -> None:
    intervals = working_except((at(2026, 11, 7), at(2026, 11, 9)), around=AROUND_FORTNIGHT)
    assert weekly_rest_breaches(intervals, start=FORTNIGHT[0], end=FORTNIGHT[1], fortnightly=True) == []
    # ...though under the 7-day rule the second week has no rest at all.
    assert len(weekly_rest_breaches(intervals, start=FORTNIGHT[0], end=FORTNIGHT[1])) == 1


def test_fortnightly_two_separate_24_hour_rests_are_enough() -> None:
    intervals = working_except(
        (at(2026, 11, 3), at(2026, 11, 4)), (at(2026, 11, 13), at(2026, 11, 14)), around=AROUND_FORTNIGHT
    )
    assert weekly_rest_breaches(intervals, start=FORTNIGHT[0], end=FORTNIGHT[1], fortnightly=True) == []


def test_fortnightly_one_rest_between_24_and_48_hours_is_not_enough() -> None:
    intervals = working_except((at(2026, 11, 7), at(2026, 11, 8, 6)), around=AROUND_FORTNIGHT)
    [breach] = weekly_rest_breaches(intervals, start=FORTNIGHT[0], end=FORTNIGHT[1], fortnightly=True)
    assert breach.message == (
        "No 48 h rest, or two 24 h rests, in the 14 days Mon 2 Nov to Sun 15 Nov (longest rest 30 h)"
    )
    assert (breach.start, breach.end) == (at(2026, 11, 2), at(2026, 11, 16))


# --- allocation_breaches: what new work would break -------------------------------------------------


def _london(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    from rota.timefmt import LONDON as _L

    return datetime(y, m, d, h, mi, tzinfo=_L)


def test_allocating_late_work_breaks_11h_rest_before_tomorrows_early() -> None:
    from rota.working_time import DAILY_REST, Interval, allocation_breaches

    # Tue 1 Dec 2026 day shift 09:00-17:00, Wed 2 Dec early 07:00-15:00 (GMT).
    worked = [
        Interval(_london(2026, 12, 1, 9), _london(2026, 12, 1, 17)),
        Interval(_london(2026, 12, 2, 7), _london(2026, 12, 2, 15)),
    ]
    # New work from 16:00 expected to take 6 h: ends 22:00, then 9 h until 07:00 (< 11 h).
    projected = Interval(_london(2026, 12, 1, 16), _london(2026, 12, 1, 22))
    (breach,) = allocation_breaches(worked, projected)
    assert breach.rule == DAILY_REST
    assert breach.end - breach.start == timedelta(hours=9)
    assert "Wed 2 Dec 07:00" in breach.message and "9 h" in breach.message


def test_work_inside_the_shift_breaks_nothing() -> None:
    from rota.working_time import Interval, allocation_breaches

    worked = [
        Interval(_london(2026, 12, 1, 9), _london(2026, 12, 1, 17)),
        Interval(_london(2026, 12, 2, 7), _london(2026, 12, 2, 15)),
    ]
    assert allocation_breaches(worked, Interval(_london(2026, 12, 1, 10), _london(2026, 12, 1, 14))) == []


def test_an_existing_short_rest_is_not_blamed_on_the_allocation() -> None:
    from rota.working_time import Interval, allocation_breaches

    # Already short: late 14:00-22:00 Mon 30 Nov, then early 07:00 Tue = 9 h, before any allocation.
    worked = [
        Interval(_london(2026, 11, 30, 14), _london(2026, 11, 30, 22)),
        Interval(_london(2026, 12, 1, 7), _london(2026, 12, 1, 15)),
    ]
    assert allocation_breaches(worked, Interval(_london(2026, 11, 30, 15), _london(2026, 11, 30, 20))) == []


def test_allocation_that_takes_the_only_24h_rest_of_the_week() -> None:
    from rota.working_time import WEEKLY_REST, Interval, allocation_breaches

    # Mon 30 Nov to Sun 6 Dec 2026: shifts 08:00-20:00 every day except Thursday, so the only
    # 24 h rest is Wed 20:00 to Fri 08:00 (36 h). Work on Thu 3 Dec 09:00-13:00 splits it into
    # 13 h and 19 h: no 24 h rest is left in the week.
    days = [30, 1, 2, 4, 5, 6]
    months = [11, 12, 12, 12, 12, 12]
    worked = [Interval(_london(2026, mo, d, 8), _london(2026, mo, d, 20)) for d, mo in zip(days, months, strict=True)]
    breaches = allocation_breaches(worked, Interval(_london(2026, 12, 3, 9), _london(2026, 12, 3, 13)))
    assert [b.rule for b in breaches] == [WEEKLY_REST]
    assert "Mon 30 Nov to Sun 6 Dec" in breaches[0].message


# --- added_breaches: what a new shift would break ---------------------------------------------------


def test_a_shift_placed_after_a_late_finish_breaks_the_11h_rest() -> None:
    from rota.working_time import added_breaches

    # Mon 30 Nov 2026: a late shift 12:00-20:00 and work recorded on to 23:00. An early on
    # Tue 1 Dec from 08:00 leaves 9 h (23:00 to 08:00), under the 11 h of reg. 10.
    worked = [Interval(_london(2026, 11, 30, 12), _london(2026, 11, 30, 20))]
    worked.append(Interval(_london(2026, 11, 30, 20), _london(2026, 11, 30, 23)))
    (breach,) = added_breaches(worked, Interval(_london(2026, 12, 1, 8), _london(2026, 12, 1, 16)))
    assert breach.rule == DAILY_REST
    assert breach.message == (
        "Only 9 h rest between shifts ending Mon 30 Nov 23:00 and starting Tue 1 Dec 08:00 (minimum 11 h)"
    )


def test_a_shift_with_its_rests_in_place_adds_no_breach() -> None:
    from rota.working_time import added_breaches

    # Late 12:00-20:00 then early 08:00: 12 h of rest, and the week keeps its weekend.
    worked = [Interval(_london(2026, 11, 30, 12), _london(2026, 11, 30, 20))]
    assert added_breaches(worked, Interval(_london(2026, 12, 1, 8), _london(2026, 12, 1, 16))) == []


def test_a_seventh_early_in_a_row_takes_the_weekly_rest() -> None:
    from rota.working_time import added_breaches

    # Earlies 08:00-16:00 Mon 30 Nov to Sat 5 Dec 2026: Sat 16:00 to the week's end is 32 h of rest.
    # One more on Sun 6 Dec leaves 16 h between earlies as the longest rest: no 24 h (reg. 11).
    days = [(11, 30), (12, 1), (12, 2), (12, 3), (12, 4), (12, 5)]
    worked = [Interval(_london(2026, m, d, 8), _london(2026, m, d, 16)) for m, d in days]
    (breach,) = added_breaches(worked, Interval(_london(2026, 12, 6, 8), _london(2026, 12, 6, 16)))
    assert breach.rule == WEEKLY_REST
    assert breach.message == "No 24 h uninterrupted rest in the 7 days Mon 30 Nov to Sun 6 Dec (longest rest 16 h)"


# --- allocation_breaches: the 48-hour average (reg. 4) ---------------------------------------------


def _six_days_a_week(weeks: int, *, skip: int = 0) -> list[Interval]:
    """Shifts 09:00-17:00 Monday to Saturday for WEEKS weeks from Mon 2 Nov 2026 (48 h a week, all GMT),
    leaving out the first SKIP of them."""
    first = date(2026, 11, 2)
    days = [first + timedelta(days=7 * w + d) for w in range(weeks) for d in range(6)]
    return [Interval(_london(d.year, d.month, d.day, 9), _london(d.year, d.month, d.day, 17)) for d in days[skip:]]


def test_work_that_takes_the_17_week_average_over_48_hours_is_warned_of() -> None:
    from rota.working_time import allocation_breaches

    # 17 weeks of 48 h (Mon 2 Nov 2026 to Sat 27 Feb 2027) is 816 h: exactly the limit, allowed.
    # Four more hours on Sun 28 Feb 20:00 to midnight: 820 h / 17 = 48 h 14 min a week over the
    # 17 weeks ending Mon 1 Mar 00:00, over the 48 h of reg. 4. The rests are kept (27 h from Saturday).
    worked = _six_days_a_week(17)
    breaches = allocation_breaches(worked, Interval(_london(2027, 2, 28, 20), _london(2027, 3, 1, 0)))
    assert [b.rule for b in breaches] == [WEEKLY_AVERAGE]
    assert "average of 48 h 14 min over the 17 weeks ending Mon 1 Mar 00:00" in breaches[0].message
    assert "limit 48 h, reg. 4" in breaches[0].message


def test_work_that_leaves_the_average_at_or_under_48_hours_is_not_warned_of() -> None:
    from rota.working_time import allocation_breaches

    # One shift fewer: 808 h + 4 h = 812 h, 47 h 46 min a week.
    worked = _six_days_a_week(17, skip=1)
    assert allocation_breaches(worked, Interval(_london(2027, 2, 28, 20), _london(2027, 3, 1, 0))) == []


def test_allocation_warnings_name_their_regulation() -> None:
    from rota.working_time import allocation_breaches

    worked = [
        Interval(_london(2026, 12, 1, 9), _london(2026, 12, 1, 17)),
        Interval(_london(2026, 12, 2, 7), _london(2026, 12, 2, 15)),
    ]
    (breach,) = allocation_breaches(worked, Interval(_london(2026, 12, 1, 16), _london(2026, 12, 1, 22)))
    assert breach.message.endswith("(reg. 10)")
