from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from rota.timefmt import (
    format_day,
    format_duration,
    format_hours,
    format_local,
    format_local_day,
    format_local_time,
    require_aware,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "0 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=1, minutes=30), "1 h 30 min"),
        (timedelta(hours=3, minutes=10, seconds=29), "3 h 10 min"),
        (timedelta(hours=3, minutes=10, seconds=31), "3 h 11 min"),
        (timedelta(hours=26), "26 h"),
        (timedelta(minutes=-90), "-1 h 30 min"),
    ],
)
def test_it_formats_durations(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


def test_it_formats_fractional_hours() -> None:
    assert format_hours(1.5) == "1 h 30 min"
    assert format_hours(0.25) == "15 min"


def test_it_shows_london_time_in_winter_and_summer() -> None:
    assert format_local_time(datetime(2026, 11, 23, 22, tzinfo=UTC)) == "22:00"
    assert format_local_time(datetime(2026, 6, 10, 16, tzinfo=UTC)) == "17:00"


def test_it_shows_the_day_without_padding() -> None:
    assert format_local_day(datetime(2026, 11, 3, 9, tzinfo=UTC)) == "Tue 3 Nov"
    assert format_local(datetime(2026, 11, 23, 22, tzinfo=UTC)) == "Mon 23 Nov 22:00"


def test_it_shows_the_london_day_of_a_late_utc_instant() -> None:
    # 23:30 UTC on 10 June is 00:30 BST on 11 June.
    assert format_local(datetime(2026, 6, 10, 23, 30, tzinfo=UTC)) == "Thu 11 Jun 00:30"


def test_it_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        require_aware(datetime(2026, 1, 1), "when")
    with pytest.raises(ValueError):
        format_local(datetime(2026, 1, 1))


def test_it_formats_a_calendar_day() -> None:
    assert format_day(date(2026, 3, 1)) == "Sun 1 Mar"
