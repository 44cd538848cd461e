"""TOIL arithmetic: whole 15-minute blocks of elapsed overrun, measured between instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from amhp_hub.common.zone import LONDON
from assessments.toil import elapsed_minutes, format_minutes, overrun_minutes, split_minutes

END = datetime(2026, 6, 1, 17, 0, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("overrun", "expected"),
    [
        (timedelta(0), 0),
        (timedelta(seconds=1), 0),
        (timedelta(minutes=14, seconds=59, microseconds=999_999), 0),
        (timedelta(minutes=15), 15),
        (timedelta(minutes=15, microseconds=1), 15),
        (timedelta(minutes=29, seconds=59), 15),
        (timedelta(minutes=30), 30),
        (timedelta(minutes=44), 30),
        (timedelta(minutes=45), 45),
        (timedelta(minutes=74), 60),
        (timedelta(hours=3, minutes=7), 180),
        (timedelta(hours=12), 720),
        (timedelta(days=1, minutes=20), 1455),
        (timedelta(minutes=-1), 0),
        (timedelta(hours=-5), 0),
    ],
)
def test_overrun_rounds_down_to_whole_blocks(overrun: timedelta, expected: int) -> None:
    assert overrun_minutes(END, END + overrun) == expected


@pytest.mark.parametrize("minutes", range(0, 181))
def test_every_minute_of_a_three_hour_overrun_books_the_blocks_below_it(minutes: int) -> None:
    assert overrun_minutes(END, END + timedelta(minutes=minutes)) == (minutes // 15) * 15


def test_missing_times_book_nothing() -> None:
    assert overrun_minutes(None, END) == 0
    assert overrun_minutes(END, None) == 0


def test_the_block_size_is_a_parameter() -> None:
    assert overrun_minutes(END, END + timedelta(minutes=59), block_minutes=30) == 30
    assert overrun_minutes(END, END + timedelta(minutes=59), block_minutes=1) == 59
    with pytest.raises(ValueError):
        overrun_minutes(END, END, block_minutes=0)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        overrun_minutes(datetime(2026, 6, 1, 17), END)


def test_spring_forward_counts_elapsed_not_wall_clock_minutes() -> None:
    # 29 March 2026: clocks go 01:00 GMT -> 02:00 BST. 00:45 GMT to 02:15 BST is 30 minutes elapsed.
    shift_end = datetime(2026, 3, 29, 0, 45, tzinfo=LONDON)
    work_end = datetime(2026, 3, 29, 2, 15, tzinfo=LONDON)
    assert elapsed_minutes(shift_end, work_end) == 30
    assert overrun_minutes(shift_end, work_end) == 30


def test_fall_back_counts_the_repeated_hour() -> None:
    # 25 October 2026: clocks go 02:00 BST -> 01:00 GMT. 00:30 BST to 01:30 GMT (fold=1) is 2 hours elapsed.
    shift_end = datetime(2026, 10, 25, 0, 30, tzinfo=LONDON)
    work_end = datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=LONDON)
    assert elapsed_minutes(shift_end, work_end) == 120
    assert overrun_minutes(shift_end, work_end) == 120


def test_instants_in_different_zones_compare_as_instants() -> None:
    shift_end = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)  # 17:00 BST
    work_end = datetime(2026, 6, 1, 17, 20, tzinfo=LONDON)
    assert overrun_minutes(shift_end, work_end) == 15


@pytest.mark.parametrize(
    ("minutes", "text", "parts"),
    [
        (0, "0 minutes", (0, 0)),
        (1, "1 minute", (0, 1)),
        (45, "45 minutes", (0, 45)),
        (60, "1 hour", (1, 0)),
        (75, "1 hour 15 minutes", (1, 15)),
        (450, "7 hours 30 minutes", (7, 30)),
        (-75, "-1 hour 15 minutes", (-1, -15)),
    ],
)
def test_minutes_read_as_hours_and_minutes(minutes: int, text: str, parts: tuple[int, int]) -> None:
    assert format_minutes(minutes) == text
    assert split_minutes(minutes) == parts
