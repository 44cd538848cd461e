from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from amhp_hub.common.zone import LONDON
from rota.fairness import DutyStats, balance_score, duty_frequency
from rota.shift_times import shift_bounds

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)


def hours_after(start: datetime, hours: float) -> tuple[datetime, datetime]:
    return start, start + timedelta(hours=hours)


# --- duty_frequency ------------------------------------------------------------------


def test_it_counts_shifts_and_hours_per_person() -> None:
    assignments = [
        ("ana", *hours_after(datetime(2026, 11, 2, 9, tzinfo=UTC), 8)),
        ("ana", *hours_after(datetime(2026, 11, 3, 9, tzinfo=UTC), 8)),
        ("bo", *hours_after(datetime(2026, 11, 2, 17, tzinfo=UTC), 16)),
    ]
    assert duty_frequency(assignments, period_start=START, period_end=END) == {
        "ana": DutyStats(shifts=2, hours=16.0),
        "bo": DutyStats(shifts=1, hours=16.0),
    }


def test_it_clips_shifts_to_the_period() -> None:
    assignments = [
        ("ana", *hours_after(START - timedelta(hours=6), 10)),  # 4 h inside
        ("ana", *hours_after(END - timedelta(hours=3), 8)),  # 3 h inside
    ]
    assert duty_frequency(assignments, period_start=START, period_end=END) == {"ana": DutyStats(shifts=2, hours=7.0)}


def test_it_ignores_shifts_outside_or_touching_the_period() -> None:
    assignments = [
        ("ana", *hours_after(START - timedelta(hours=8), 8)),  # ends as the period starts
        ("ana", *hours_after(END, 8)),  # starts as it ends
        ("bo", *hours_after(START - timedelta(days=10), 8)),
    ]
    assert duty_frequency(assignments, period_start=START, period_end=END) == {}


def test_it_includes_people_with_no_duty_when_asked() -> None:
    assignments = [("ana", *hours_after(datetime(2026, 11, 2, 9, tzinfo=UTC), 8))]
    result = duty_frequency(assignments, period_start=START, period_end=END, people=["cy", "ana"])
    assert result == {"ana": DutyStats(shifts=1, hours=8.0), "cy": DutyStats(shifts=0, hours=0.0)}
    assert list(result) == ["ana", "cy"]


def test_it_orders_the_result_by_person() -> None:
    assignments = [(name, *hours_after(datetime(2026, 11, 2, 9, tzinfo=UTC), 1)) for name in ["zoe", "amy", "kim"]]
    assert list(duty_frequency(assignments, period_start=START, period_end=END)) == ["amy", "kim", "zoe"]


def test_night_shifts_across_clock_changes_count_elapsed_hours() -> None:
    spring_night = shift_bounds(datetime(2026, 3, 28).date(), time(17), time(9))
    autumn_night = shift_bounds(datetime(2026, 10, 24).date(), time(17), time(9))
    result = duty_frequency(
        [("ana", *spring_night), ("bo", *autumn_night)],
        period_start=datetime(2026, 1, 1, tzinfo=UTC),
        period_end=datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert result["ana"].hours == 15.0
    assert result["bo"].hours == 17.0


def test_it_accepts_non_utc_aware_datetimes() -> None:
    start = datetime(2026, 11, 2, 9, tzinfo=LONDON)
    result = duty_frequency([("ana", start, start + timedelta(hours=8))], period_start=START, period_end=END)
    assert result["ana"].hours == 8.0


def test_overlapping_assignments_both_count() -> None:
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    result = duty_frequency(
        [("ana", *hours_after(start, 8)), ("ana", *hours_after(start, 8))], period_start=START, period_end=END
    )
    assert result["ana"] == DutyStats(shifts=2, hours=16.0)


def test_no_assignments_gives_an_empty_result() -> None:
    assert duty_frequency([], period_start=START, period_end=END) == {}


@pytest.mark.parametrize(
    "assignment",
    [
        ("ana", datetime(2026, 11, 2, 9), datetime(2026, 11, 2, 17, tzinfo=UTC)),
        ("ana", datetime(2026, 11, 2, 9, tzinfo=UTC), datetime(2026, 11, 2, 17)),
        ("ana", datetime(2026, 11, 2, 17, tzinfo=UTC), datetime(2026, 11, 2, 9, tzinfo=UTC)),
        ("ana", datetime(2026, 11, 2, 9, tzinfo=UTC), datetime(2026, 11, 2, 9, tzinfo=UTC)),
    ],
)
def test_it_rejects_a_bad_assignment(assignment: tuple[str, datetime, datetime]) -> None:
    with pytest.raises(ValueError):
        duty_frequency([assignment], period_start=START, period_end=END)


def test_it_rejects_a_bad_period() -> None:
    with pytest.raises(ValueError):
        duty_frequency([], period_start=END, period_end=START)
    with pytest.raises(ValueError):
        duty_frequency([], period_start=datetime(2026, 11, 1), period_end=END)


# --- balance_score -------------------------------------------------------------------


def test_nobody_or_one_person_is_balanced() -> None:
    assert balance_score({}) == 1.0
    assert balance_score({"ana": 40.0}) == 1.0


def test_equal_hours_are_perfectly_balanced() -> None:
    assert balance_score({"ana": 40.0, "bo": 40.0, "cy": 40.0}) == 1.0


def test_two_people_score_the_ratio_of_their_hours() -> None:
    assert balance_score({"ana": 30.0, "bo": 40.0}) == pytest.approx(0.75)
    assert balance_score({"ana": 40.0, "bo": 30.0}) == pytest.approx(0.75)


def test_it_averages_over_every_pair() -> None:
    # Pairs: 10/20 = 0.5, 10/40 = 0.25, 20/40 = 0.5.
    assert balance_score({"ana": 10.0, "bo": 20.0, "cy": 40.0}) == pytest.approx(1.25 / 3)


def test_someone_with_no_hours_pulls_the_score_down() -> None:
    assert balance_score({"ana": 0.0, "bo": 40.0}) == 0.0
    # Pairs: 0/40, 0/40, 40/40.
    assert balance_score({"ana": 0.0, "bo": 40.0, "cy": 40.0}) == pytest.approx(1 / 3)


def test_everyone_with_no_hours_is_balanced() -> None:
    assert balance_score({"ana": 0.0, "bo": 0.0}) == 1.0


def test_it_rejects_negative_hours() -> None:
    with pytest.raises(ValueError):
        balance_score({"ana": -1.0, "bo": 2.0})


def test_the_score_stays_between_zero_and_one() -> None:
    score = balance_score({str(n): float(n) for n in range(10)})
    assert 0.0 < score < 1.0


def test_it_works_with_duty_frequency_output() -> None:
    assignments = [
        ("ana", *hours_after(datetime(2026, 11, 2, 9, tzinfo=UTC), 8)),
        ("bo", *hours_after(datetime(2026, 11, 3, 9, tzinfo=UTC), 4)),
    ]
    stats = duty_frequency(assignments, period_start=START, period_end=END, people=["ana", "bo", "cy"])
    # Pairs: 4/8 = 0.5, 0/8 = 0, 0/4 = 0.
    assert balance_score({person: s.hours for person, s in stats.items()}) == pytest.approx(0.5 / 3)
