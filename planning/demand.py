"""Demand by when assessments happen, not only when referrals arrive.

Pure: worked intervals in, assessment hours by Europe/London hour of day out. Most
assessments run into the evening (doctors are free then), so the share of assessment
hours after 5pm is what a shift pattern has to cover; the rota designer and the
dashboards both read it from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from rota.timefmt import LONDON, require_aware

AFTER_5PM = range(17, 24)
"""Hours counted as after 5pm: 17:00 to midnight, as the referral demand dashboard counts them."""

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
