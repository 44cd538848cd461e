"""How much of a stretch of work fell after 5pm, in Europe/London wall-clock time (pure, no database).

The demand dashboard shows the after-5pm share of assessment *hours* beside the share of
arrivals: work from 17:00 to midnight local time, each day, counted in elapsed seconds, so a
stretch across a clock change counts the hours that really passed.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
AFTER_HOURS_FROM = time(17, 0)


def after_hours_seconds(start: datetime, end: datetime) -> tuple[int, int]:
    """Return (elapsed seconds from START to END, those of them at or after 17:00 local, before midnight).

    Both must be aware; an END before START counts nothing. Each local day's evening runs from
    17:00 to the next local midnight, both read on the wall clock, so the instants are right on
    the days the clocks change.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        return 0, 0
    total = int((end - start).total_seconds())
    after = 0
    day = start.astimezone(LONDON).date()
    last = end.astimezone(LONDON).date()
    while day <= last:
        evening = datetime.combine(day, AFTER_HOURS_FROM, tzinfo=LONDON)
        midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON)
        lo, hi = max(start, evening), min(end, midnight)
        if hi > lo:
            after += int((hi - lo).total_seconds())
        day += timedelta(days=1)
    return total, after
