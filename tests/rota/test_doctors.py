"""Doctor availability windows and the s12(2) approval date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from rota.doctors import (
    EVENINGS,
    IN_HOURS,
    WEEKENDS,
    Window,
    availability_bands,
    likely_available,
    parse_windows,
    s12_approval_in_date,
    window_covers,
)

EVENING_MON = Window(0, time(17), time(23))
OVERNIGHT_FRI = Window(4, time(20), time(8))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Mon 30 Nov 2026 is GMT, so UTC = London. 17:00 is the window's first minute.
        (datetime(2026, 11, 30, 17, 0, tzinfo=UTC), True),
        (datetime(2026, 11, 30, 16, 59, tzinfo=UTC), False),
        # 23:00 is the end, which is outside the window (half-open).
        (datetime(2026, 11, 30, 23, 0, tzinfo=UTC), False),
        # Tuesday 18:00 is a different weekday.
        (datetime(2026, 12, 1, 18, 0, tzinfo=UTC), False),
        # Mon 29 Jun 2026 is BST: 16:30 UTC is 17:30 in London, inside the window.
        (datetime(2026, 6, 29, 16, 30, tzinfo=UTC), True),
        # 15:30 UTC in June is 16:30 London, before the window.
        (datetime(2026, 6, 29, 15, 30, tzinfo=UTC), False),
    ],
)
def test_evening_window_is_local_wall_clock(at: datetime, expected: bool) -> None:
    assert window_covers(EVENING_MON, at) is expected


def test_overnight_window_runs_into_the_next_morning() -> None:
    # Fri 4 Dec 2026 20:00 to Sat 5 Dec 08:00 (GMT).
    assert likely_available([OVERNIGHT_FRI], datetime(2026, 12, 4, 22, 0, tzinfo=UTC))
    assert likely_available([OVERNIGHT_FRI], datetime(2026, 12, 5, 7, 59, tzinfo=UTC))
    assert not likely_available([OVERNIGHT_FRI], datetime(2026, 12, 5, 8, 0, tzinfo=UTC))
    assert not likely_available([OVERNIGHT_FRI], datetime(2026, 12, 4, 19, 59, tzinfo=UTC))


def test_no_windows_means_not_likely_available() -> None:
    assert not likely_available([], datetime(2026, 12, 4, 12, 0, tzinfo=UTC))


def test_bands_from_windows() -> None:
    assert availability_bands([Window(1, time(9), time(17))]) == [IN_HOURS]
    assert availability_bands([EVENING_MON]) == [EVENINGS]
    assert availability_bands([Window(6, time(10), time(14))]) == [WEEKENDS]
    # Friday overnight reaches into Saturday.
    assert availability_bands([OVERNIGHT_FRI]) == [EVENINGS, WEEKENDS]
    assert availability_bands([Window(2, time(8), time(18))]) == [IN_HOURS, EVENINGS]


def test_parse_windows_reports_each_bad_entry() -> None:
    windows, errors = parse_windows(
        [
            {"weekday": 0, "start": "17:00", "end": "23:00"},
            {"weekday": 7, "start": "09:00", "end": "17:00"},
            {"weekday": 2, "start": "9am", "end": "17:00"},
            {"weekday": 3, "start": "09:00", "end": "09:00"},
        ]
    )
    assert windows == [EVENING_MON]
    assert len(errors) == 3
    assert errors[0].startswith("Window 2:") and errors[1].startswith("Window 3:") and errors[2].startswith("Window 4:")


@pytest.mark.parametrize(
    ("approved", "expires_on", "on_day", "expected"),
    [
        # s12(2): in date up to and including the expiry day.
        (True, date(2026, 12, 1), date(2026, 12, 1), True),
        (True, date(2026, 12, 1), date(2026, 12, 2), False),
        (True, None, date(2026, 12, 2), True),
        (False, None, date(2026, 12, 2), False),
    ],
)
def test_s12_approval_in_date(approved: bool, expires_on: date | None, on_day: date, expected: bool) -> None:
    assert s12_approval_in_date(approved=approved, expires_on=expires_on, on_day=on_day) is expected
