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
# Where each rule comes from, for warnings that name their provision.
PROVISIONS = {DAILY_REST: "reg. 10", WEEKLY_AVERAGE: "reg. 4", WEEKLY_REST: "reg. 11"}


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


def _weeks_touched(interval: Interval, tz: tzinfo) -> tuple[date, date]:
    """Return the Monday starting the week of INTERVAL's start and the Sunday ending the week of its end."""
    first = interval.start.astimezone(tz).date()
    last = (interval.end - timedelta(microseconds=1)).astimezone(tz).date()
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def added_breaches(
    worked: Iterable[Interval],
    added: Interval,
    *,
    min_rest: timedelta = timedelta(hours=11),
    weekly_min_rest: timedelta = timedelta(hours=24),
    tz: tzinfo = LONDON,
) -> list[Breach]:
    """Return the rest breaches that working ADDED creates, given what is WORKED already.

    Only breaches that exist with ADDED and not without it: each daily rest (reg. 10, 11 h)
    made short, and each Monday-to-Sunday week touched by ADDED that had its uninterrupted
    weekly rest (reg. 11, 24 h) and would lose it. A rest that was already short is not blamed
    on ADDED. Messages are those of daily_rest_breaches and weekly_rest_breaches; daily ones
    come first, in time order.
    """
    worked = list(worked)
    before = {(b.start, b.end) for b in daily_rest_breaches(worked, min_rest=min_rest)}
    found = [b for b in daily_rest_breaches([*worked, added], min_rest=min_rest) if (b.start, b.end) not in before]
    monday, sunday = _weeks_touched(added, tz)
    had = {b.start for b in weekly_rest_breaches(worked, start=monday, end=sunday, min_rest=weekly_min_rest, tz=tz)}
    found += [
        b
        for b in weekly_rest_breaches([*worked, added], start=monday, end=sunday, min_rest=weekly_min_rest, tz=tz)
        if b.start not in had
    ]
    return found


def allocation_breaches(
    worked: Iterable[Interval],
    projected: Interval,
    *,
    min_rest: timedelta = timedelta(hours=11),
    weekly_min_rest: timedelta = timedelta(hours=24),
    weeks: int = 17,
    limit_hours: float = 48,
    tz: tzinfo = LONDON,
) -> list[Breach]:
    """Return the Working Time Regulations 1998 limits that taking on work over PROJECTED would break.

    WORKED is the AMHP's shifts and recorded work (late finishes) around the time, reaching back
    at least WEEKS weeks; PROJECTED is the new work from its start to when it is expected to end.
    The rests are those of added_breaches: the daily rest (reg. 10, 11 h) before their next shift
    and the weekly rest (reg. 11, 24 h in each Monday-to-Sunday week the work touches), each only
    when the work breaks it. The weekly average (reg. 4, 48 h over the 17-week reference period,
    weekly_average_breaches) is judged over the WEEKS weeks ending when the work ends, with the
    work counted; it is reported whenever the average is over the limit, since every hour added
    deepens a breach that is there already. The messages speak to the consultant allocating.
    """
    worked = list(worked)
    found: list[Breach] = []
    for b in added_breaches(worked, projected, min_rest=min_rest, weekly_min_rest=weekly_min_rest, tz=tz):
        if b.rule == DAILY_REST:
            message = (
                f"Allocating this breaks the {format_duration(min_rest)} rest before the shift at "
                f"{format_local(b.end)}: work expected to end {format_local(b.start)} leaves "
                f"{format_duration(b.end - b.start)} ({PROVISIONS[DAILY_REST]})"
            )
        else:
            last_day = b.end.astimezone(tz).date() - timedelta(days=1)
            message = (
                f"Allocating this leaves no {format_duration(weekly_min_rest)} rest in the week "
                f"{format_day(b.start.astimezone(tz).date())} to {format_day(last_day)} ({PROVISIONS[WEEKLY_REST]})"
            )
        found.append(Breach(rule=b.rule, message=message, start=b.start, end=b.end))
    for b in weekly_average_breaches(
        [*worked, projected], reference_end=projected.end, weeks=weeks, limit_hours=limit_hours
    ):
        average = _worked(merge_intervals([*worked, projected]), b.start, b.end) / weeks
        found.append(
            Breach(
                rule=WEEKLY_AVERAGE,
                message=(
                    f"Allocating this takes their working week to an average of {format_duration(average)} over "
                    f"the {weeks} weeks ending {format_local(b.end)} (limit "
                    f"{format_duration(timedelta(hours=limit_hours))}, {PROVISIONS[WEEKLY_AVERAGE]})"
                ),
                start=b.start,
                end=b.end,
            )
        )
    return found
