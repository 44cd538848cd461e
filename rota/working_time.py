"""Working Time Regulations 1998 checks on worked intervals.

Three rules from the Regulations (see DOMAIN.md, Rules table, WTR):

* **Daily rest** (reg. 10): at least 11 consecutive hours' rest between working
  periods. Checked as the gap between consecutive worked intervals.
* **Weekly average** (reg. 4): at most 48 hours a week on average over a 17-week
  reference period, unless the worker has opted out in writing (callers skip the check
  for them).
* **Weekly rest** (reg. 11): an uninterrupted 24 hours' rest in each 7-day period, or,
  if the employer so decides, 48 hours (or two separate 24-hour rests) in each 14 days.

All durations are elapsed time between UTC instants, so a rest that spans a clock
change is 1 hour shorter or longer than the wall clock suggests. Calendar periods
(weeks) start at local midnight in Europe/London. Messages show Europe/London times.

Pure module: no database access and no model imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import pairwise

from rota.shift_times import local_instant
from rota.timefmt import LONDON, format_day, format_duration, format_local, require_aware

DAILY_REST = "daily_rest"
WEEKLY_AVERAGE = "weekly_average"
WEEKLY_REST = "weekly_rest"


@dataclass(frozen=True)
class Interval:
    """A worked period from ``start`` to ``end``, both aware, with ``end`` after ``start``."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError(f"interval must end after it starts: {self.start} to {self.end}")


@dataclass(frozen=True)
class Breach:
    """A broken rule (one of the module's rule constants) over ``start`` to ``end``.

    For daily rest the span is the short rest itself; for the weekly rules it is the
    reference period checked. ``message`` is a sentence for a manager to read.
    """

    rule: str
    message: str
    start: datetime
    end: datetime


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Return ``intervals`` sorted, with overlapping or touching ones merged.

    Back-to-back shifts (one ends as the next starts) are one working period: there is
    no rest between them at all, so they are joined rather than reported as a zero rest.
    """
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: (i.start, i.end)):
        if merged and interval.start <= merged[-1].end:
            last = merged[-1]
            if interval.end > last.end:
                merged[-1] = Interval(last.start, interval.end)
        else:
            merged.append(interval)
    return merged


def _worked(merged: list[Interval], start: datetime, end: datetime) -> timedelta:
    total = timedelta(0)
    for interval in merged:
        overlap = min(interval.end, end) - max(interval.start, start)
        if overlap > timedelta(0):
            total += overlap
    return total


def _rests(merged: list[Interval], start: datetime, end: datetime) -> list[timedelta]:
    """Return the uninterrupted rests inside ``[start, end)``, clipped to it."""
    rests: list[timedelta] = []
    cursor = start
    for interval in merged:
        if interval.end <= start or interval.start >= end:
            continue
        if interval.start > cursor:
            rests.append(interval.start - cursor)
        cursor = max(cursor, interval.end)
    if end > cursor:
        rests.append(end - cursor)
    return rests


def daily_rest_breaches(intervals: Iterable[Interval], *, min_rest: timedelta = timedelta(hours=11)) -> list[Breach]:
    """Return a breach for each rest between working periods shorter than ``min_rest``.

    Intervals are merged first (:func:`merge_intervals`). Each gap between one merged
    period's end and the next one's start is a rest; gaps shorter than ``min_rest`` are
    breaches, in time order. Pass whole shifts or working periods: a meal break split
    out as two intervals would be reported as a short rest. The rest before the first
    and after the last interval is unknown and never reported.
    """
    merged = merge_intervals(intervals)
    breaches: list[Breach] = []
    for before, after in pairwise(merged):
        rest = after.start - before.end
        if rest < min_rest:
            breaches.append(
                Breach(
                    rule=DAILY_REST,
                    message=(
                        f"Only {format_duration(rest)} rest between shifts ending {format_local(before.end)} "
                        f"and starting {format_local(after.start)} (minimum {format_duration(min_rest)})"
                    ),
                    start=before.end,
                    end=after.start,
                )
            )
    return breaches


def weekly_average_breaches(
    intervals: Iterable[Interval], *, reference_end: datetime, weeks: int = 17, limit_hours: float = 48
) -> list[Breach]:
    """Return a breach if average weekly hours over the reference period exceed the limit.

    The reference period is the ``weeks`` * 7 * 24 elapsed hours ending at
    ``reference_end`` (half-open: work at ``reference_end`` is outside it). Work is
    clipped to the period and overlapping intervals count once. Averaging exactly
    ``limit_hours`` is allowed. Return an empty list or a single breach.

    Raise ``ValueError`` if ``reference_end`` is naive or ``weeks`` is not positive.
    """
    require_aware(reference_end, "reference_end")
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    reference_start = reference_end - timedelta(weeks=weeks)
    worked = _worked(merge_intervals(intervals), reference_start, reference_end)
    average = worked / weeks
    if average <= timedelta(hours=limit_hours):
        return []
    return [
        Breach(
            rule=WEEKLY_AVERAGE,
            message=(
                f"Averaged {format_duration(average)} a week over the {weeks} weeks ending "
                f"{format_local(reference_end)} (limit {format_duration(timedelta(hours=limit_hours))})"
            ),
            start=reference_start,
            end=reference_end,
        )
    ]


def weekly_rest_breaches(
    intervals: Iterable[Interval],
    *,
    start: date,
    end: date,
    min_rest: timedelta = timedelta(hours=24),
    fortnightly: bool = False,
    tz: tzinfo = LONDON,
) -> list[Breach]:
    """Return a breach for each reference period without enough uninterrupted rest.

    Reference periods are consecutive blocks of 7 calendar days (14 if ``fortnightly``)
    starting at local midnight on ``start``; only whole periods ending on or before the
    last day ``end`` are checked, because rest after ``end`` is unknown. Pass a Monday
    for ``start`` to use the Regulations' default week (from midnight between Sunday
    and Monday). A period lasts 7 local days, so 167 or 169 elapsed hours across a
    clock change.

    Rest is the time inside the period not covered by any interval, so a rest that
    straddles two periods counts in each only for the part inside it. A 7-day period
    needs one rest of at least ``min_rest``; a 14-day period needs one rest of at least
    twice ``min_rest`` or two separate rests of at least ``min_rest``.

    ``min_rest`` defaults to the 24 hours in reg. 11. Reg. 11(7) says weekly rest
    should not include the 11-hour daily rest unless objectively justified, so a
    service applying that strictly passes ``timedelta(hours=35)``.
    """
    period_days = 14 if fortnightly else 7
    merged = merge_intervals(intervals)
    breaches: list[Breach] = []
    first = start
    while first + timedelta(days=period_days - 1) <= end:
        following = first + timedelta(days=period_days)
        period_start = local_instant(first, time(0), tz)
        period_end = local_instant(following, time(0), tz)
        rests = _rests(merged, period_start, period_end)
        longest = max(rests, default=timedelta(0))
        if fortnightly:
            enough = longest >= 2 * min_rest or sum(1 for rest in rests if rest >= min_rest) >= 2
            needed = f"No {format_duration(2 * min_rest)} rest, or two {format_duration(min_rest)} rests,"
        else:
            enough = longest >= min_rest
            needed = f"No {format_duration(min_rest)} uninterrupted rest"
        if not enough:
            last_day = following - timedelta(days=1)
            breaches.append(
                Breach(
                    rule=WEEKLY_REST,
                    message=(
                        f"{needed} in the {period_days} days "
                        f"{format_day(first)} to {format_day(last_day)} (longest rest {format_duration(longest)})"
                    ),
                    start=period_start,
                    end=period_end,
                )
            )
        first = following
    return breaches


def allocation_breaches(
    worked: Iterable[Interval],
    projected: Interval,
    *,
    min_rest: timedelta = timedelta(hours=11),
    weekly_min_rest: timedelta = timedelta(hours=24),
    tz: tzinfo = LONDON,
) -> list[Breach]:
    """Return the rest breaches that taking on work over PROJECTED would create, given what is WORKED already.

    WORKED is the AMHP's shifts and recorded work (late finishes) around the time; PROJECTED is
    the new work from its start to when it is expected to end. Only breaches that exist with the
    projected work and not without it are returned: the daily rest (reg. 10, 11 h) before their
    next shift, and the weekly rest (reg. 11, 24 h in the Monday-to-Sunday week in which the work
    ends). The messages speak to the consultant allocating.
    """
    worked = list(worked)
    before = {(b.start, b.end) for b in daily_rest_breaches(worked, min_rest=min_rest)}
    found: list[Breach] = []
    for b in daily_rest_breaches([*worked, projected], min_rest=min_rest):
        if (b.start, b.end) in before:
            continue
        rest = b.end - b.start
        found.append(
            Breach(
                rule=DAILY_REST,
                message=(
                    f"Allocating this breaks the {format_duration(min_rest)} rest before the shift at "
                    f"{format_local(b.end)}: work expected to end {format_local(b.start)} leaves "
                    f"{format_duration(rest)}"
                ),
                start=b.start,
                end=b.end,
            )
        )
    end_day = projected.end.astimezone(tz).date()
    monday = end_day - timedelta(days=end_day.weekday())
    sunday = monday + timedelta(days=6)
    had = weekly_rest_breaches(worked, start=monday, end=sunday, min_rest=weekly_min_rest, tz=tz)
    if not had:
        for b in weekly_rest_breaches([*worked, projected], start=monday, end=sunday, min_rest=weekly_min_rest, tz=tz):
            found.append(
                Breach(
                    rule=WEEKLY_REST,
                    message=f"Allocating this leaves no {format_duration(weekly_min_rest)} rest in the week "
                    f"{format_day(monday)} to {format_day(sunday)}",
                    start=b.start,
                    end=b.end,
                )
            )
    return found
