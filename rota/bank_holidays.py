"""English bank holidays (England and Wales), from the ``holidays`` package.

The rota marks these days so that cover and pay rules can treat them like weekends.
Pure module: no database access and no model imports. The figures come from the
installed ``holidays`` release, so a one-off holiday announced later (a coronation, a
state funeral) appears once that package is upgraded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import holidays

SUBSTITUTE_SUFFIX = " (substitute day)"
"""Appended to the name of a holiday moved off a weekend, as GOV.UK words it."""


@lru_cache(maxsize=64)
def _year(year: int) -> tuple[tuple[date, str], ...]:
    # subdiv "ENG" gives the England and Wales list; Scotland's (2 January, St Andrew's
    # Day) and Northern Ireland's are separate subdivisions and are not included.
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=year)
    days: list[tuple[date, str]] = []
    for day, name in sorted(calendar.items()):
        # When a holiday falls at a weekend the package lists both the weekend date and
        # the weekday substitute. Only the substitute is a bank holiday (GOV.UK lists
        # just that day), and the weekend is already a weekend, so weekends are dropped.
        if day.weekday() >= 5:
            continue
        days.append((day, name.replace(" (observed)", SUBSTITUTE_SUFFIX)))
    return tuple(days)


def english_bank_holidays(years: Iterable[int]) -> dict[date, str]:
    """Return the England and Wales bank holidays in ``years``, keyed and sorted by date.

    Every returned day is a weekday. A holiday that falls at a weekend appears only as
    its weekday substitute, named e.g. ``"Boxing Day (substitute day)"``. Scottish and
    Northern Irish bank holidays are not included. The result is a new dict each call,
    so callers may change it.
    """
    result: dict[date, str] = {}
    for year in sorted(set(years)):
        result.update(_year(year))
    return result


def is_bank_holiday(day: date) -> bool:
    """Return True if ``day`` is an England and Wales bank holiday (see :func:`english_bank_holidays`)."""
    return any(holiday == day for holiday, _ in _year(day.year))
