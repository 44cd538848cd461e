"""Demand by when assessments happen, not only when referrals arrive.

Pure: worked intervals in, assessment hours by Europe/London hour of day out. Most
assessments run into the evening (doctors are free then), so the share of assessment
hours after 5pm is what a shift pattern has to cover; the rota designer and the
dashboards both read it from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from rota.timefmt import LONDON, require_aware

AFTER_5PM_FROM = time(17, 0)
"""Work and arrivals "after 5pm" run from 17:00 local to the next local midnight, each day: the one
definition the demand dashboard, the monthly report, the roll-ups and the rota designer all use."""
AFTER_5PM = range(AFTER_5PM_FROM.hour, 24)
"""The local hours of day counted as after 5pm."""

_HOUR = timedelta(hours=1)


def spread_by_hour(start: datetime, end: datetime, totals: list[float]) -> None:
    """Add the elapsed hours of [start, end) to TOTALS (24 slots) by the Europe/London hour they fall in.

    Elapsed time is split at each UTC hour, which is a local hour boundary too in Europe/London, so an
    interval across a clock change puts its hours where the wall clock showed them.
    """
    require_aware(start, "start")
    require_aware(end, "end")
    cursor = start.astimezone(UTC)
    end = end.astimezone(UTC)
    while cursor < end:
        step_end = min(end, cursor.replace(minute=0, second=0, microsecond=0) + _HOUR)
        totals[cursor.astimezone(LONDON).hour] += (step_end - cursor) / _HOUR
        cursor = step_end


def hours_by_hour(intervals: Iterable[tuple[datetime, datetime]]) -> list[float]:
    """Assessment hours worked in each local hour of day over all INTERVALS (start, end); empty ones add nothing."""
    totals = [0.0] * 24
    for start, end in intervals:
        if end > start:
            spread_by_hour(start, end, totals)
    return totals


def after_5pm_share(by_hour: list[float]) -> float | None:
    """Share of the hours worked from 17:00 to midnight; None when no hours were worked."""
    total = sum(by_hour)
    if total == 0:
        return None
    return sum(by_hour[h] for h in AFTER_5PM) / total


def after_5pm_seconds(start: datetime, end: datetime) -> tuple[int, int]:
    """Return (elapsed seconds from START to END, those of them at or after 17:00 local, before midnight).

    Both must be aware; an END before START counts nothing. Each local day's evening runs from
    17:00 to the next local midnight, both read on the wall clock, so the instants are right on
    the days the clocks change (a stretch across a change counts the hours that really passed).
    """
    require_aware(start, "start")
    require_aware(end, "end")
    if end <= start:
        return 0, 0
    total = int((end - start).total_seconds())
    after = 0
    day = start.astimezone(LONDON).date()
    last = end.astimezone(LONDON).date()
    while day <= last:
        evening = datetime.combine(day, AFTER_5PM_FROM, tzinfo=LONDON)
        midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON)
        lo, hi = max(start, evening), min(end, midnight)
        if hi > lo:
            after += int((hi - lo).total_seconds())
        day += timedelta(days=1)
    return total, after
