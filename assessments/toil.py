"""TOIL arithmetic: pure functions, no database.

DOMAIN.md: time off in lieu accrues in 15-minute blocks; an overrun shorter than one
block earns nothing. Elapsed time is measured between instants (UTC), never between
wall-clock readings, so a clock change inside the overrun neither adds nor loses an hour.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from amhp_hub.common.zone import LONDON

DEFAULT_BLOCK_MINUTES = 15
DEFAULT_MONTHLY_CAP_MINUTES = 15 * 60  # DOMAIN.md section 3: at most 15 hours a month (TOIL_MONTHLY_CAP_HOURS)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def elapsed_minutes(start: datetime, end: datetime) -> float:
    """Return the minutes elapsed from START to END (negative if END is earlier).

    Both are converted to UTC first: subtracting two datetimes that share a tzinfo
    object would otherwise give the wall-clock difference across a clock change.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60


def overrun_minutes(
    shift_ends_at: datetime | None, work_ended_at: datetime | None, *, block_minutes: int = DEFAULT_BLOCK_MINUTES
) -> int:
    """Return the TOIL earned by work ending at WORK_ENDED_AT on a shift ending at SHIFT_ENDS_AT.

    The overrun is rounded down to whole blocks of BLOCK_MINUTES. Return 0 when either
    time is missing, the work ended on or before the shift end, or the overrun is
    shorter than one block.
    """
    if block_minutes <= 0:
        raise ValueError("block_minutes must be positive")
    if shift_ends_at is None or work_ended_at is None:
        return 0
    _require_aware(shift_ends_at, "shift_ends_at")
    _require_aware(work_ended_at, "work_ended_at")
    delta = work_ended_at.astimezone(UTC) - shift_ends_at.astimezone(UTC)
    # Whole microseconds, integer arithmetic: no float rounding at a block boundary.
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if micros <= 0:
        return 0
    blocks = micros // (block_minutes * 60 * 1_000_000)
    return int(blocks * block_minutes)


def split_minutes(minutes: int) -> tuple[int, int]:
    """Return (hours, minutes) of a signed number of minutes; both carry the sign."""
    sign = -1 if minutes < 0 else 1
    hours, rest = divmod(abs(minutes), 60)
    return sign * hours, sign * rest


def format_minutes(minutes: int) -> str:
    """Return e.g. '7 hours 30 minutes', '45 minutes', '-1 hour 15 minutes' or '0 minutes'."""
    hours, rest = divmod(abs(minutes), 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    text = " ".join(parts)
    return f"-{text}" if minutes < 0 else text


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def overtime_interval(
    shift_ends_at: datetime, work_started_at: datetime | None, work_ended_at: datetime
) -> tuple[datetime, datetime] | None:
    """Return the part of one piece of work that lies after the shift end, or None if there is none.

    Work that started before the shift end counts from the shift end; work that started after
    it (a second call-out) counts from its own start.
    """
    _require_aware(shift_ends_at, "shift_ends_at")
    _require_aware(work_ended_at, "work_ended_at")
    start = shift_ends_at.astimezone(UTC)
    if work_started_at is not None:
        _require_aware(work_started_at, "work_started_at")
        start = max(start, work_started_at.astimezone(UTC))
    end = work_ended_at.astimezone(UTC)
    return (start, end) if end > start else None


def union_micros(intervals: Iterable[tuple[datetime, datetime]]) -> int:
    """Return the length in microseconds of the union of INTERVALS ([start, end) pairs, UTC-comparable)."""
    total = 0
    current: tuple[datetime, datetime] | None = None
    for start, end in sorted((s.astimezone(UTC), e.astimezone(UTC)) for s, e in intervals):
        if end <= start:
            continue
        if current is None or start > current[1]:
            if current is not None:
                total += _micros(current[1] - current[0])
            current = (start, end)
        elif end > current[1]:
            current = (current[0], end)
    if current is not None:
        total += _micros(current[1] - current[0])
    return total


def shift_overtime_minutes(
    shift_ends_at: datetime,
    work: Iterable[tuple[datetime | None, datetime]],
    *,
    block_minutes: int = DEFAULT_BLOCK_MINUTES,
) -> int:
    """Return the TOIL one AMHP earns after one shift end for all the WORK (start, end) done past it.

    DOMAIN.md rules table, "TOIL overlap": the overtime is the union of the late intervals,
    never their sum, so two assessments ending 19:00 and 21:00 after a 17:00 shift end earn
    4 hours, not 6. The union is rounded down to whole blocks of BLOCK_MINUTES.
    """
    if block_minutes <= 0:
        raise ValueError("block_minutes must be positive")
    intervals = [iv for start, end in work if (iv := overtime_interval(shift_ends_at, start, end)) is not None]
    blocks = union_micros(intervals) // (block_minutes * 60 * 1_000_000)
    return int(blocks * block_minutes)


def capped_minutes(minutes: int, *, already_this_month: int, monthly_cap_minutes: int) -> int:
    """Return how much of MINUTES may be booked when ALREADY_THIS_MONTH are booked under a monthly cap.

    DOMAIN.md section 3 (example NHS policy): at most 15 hours of TOIL accrue in a month.
    Never negative: a month already at or over the cap books nothing more.
    """
    room = max(0, monthly_cap_minutes - max(0, already_this_month))
    return max(0, min(minutes, room))


@dataclass(frozen=True)
class Balance:
    """An AMHP's TOIL: minutes still available and minutes that lapsed untaken."""

    available: int
    expired: int


def balance_with_expiry(entries: Iterable[tuple[date, int]], *, today: date, expiry_days: int | None) -> Balance:
    """Return the balance of approved ledger ENTRIES (day earned or taken, signed minutes) on TODAY.

    Reading taken (the Act and DOMAIN.md are silent; example NHS policies say TOIL must be
    taken within a set time of being earned): time taken and negative adjustments use up
    the oldest earned time first; earned time not used within EXPIRY_DAYS of the day it was
    earned lapses. EXPIRY_DAYS None means earned time never lapses.
    """
    credits: list[list[Any]] = []  # [day, minutes left], oldest first
    debt = 0  # time taken beyond what was earned so far (an overdrawn balance)
    expired = 0

    def lapse(until: date) -> None:
        nonlocal expired
        if expiry_days is None:
            return
        while credits and credits[0][0] + timedelta(days=expiry_days) <= until:
            expired += credits.pop(0)[1]

    for day, minutes in sorted(entries, key=lambda e: (e[0], -e[1])):
        lapse(day)
        if minutes >= 0:
            use = min(debt, minutes)
            debt -= use
            if minutes - use:
                credits.append([day, minutes - use])
            continue
        need = -minutes
        while need and credits:
            use = min(need, credits[0][1])
            credits[0][1] -= use
            need -= use
            if credits[0][1] == 0:
                credits.pop(0)
        debt += need
    lapse(today)
    return Balance(available=sum(c[1] for c in credits) - debt, expired=expired)


class _Union:
    """A growing union of [start, end) intervals, kept as sorted disjoint intervals, and its length in microseconds."""

    def __init__(self) -> None:
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self.micros = 0

    def add(self, start: datetime, end: datetime) -> None:
        if end <= start:
            return
        i = bisect.bisect_left(self.starts, start)
        if i > 0 and self.ends[i - 1] >= start:  # overlaps or touches the one before
            i -= 1
        j = i
        removed = 0
        while j < len(self.starts) and self.starts[j] <= end:
            start, end = min(start, self.starts[j]), max(end, self.ends[j])
            removed += _micros(self.ends[j] - self.starts[j])
            j += 1
        self.starts[i:j] = [start]
        self.ends[i:j] = [end]
        self.micros += _micros(end - start) - removed


def marginal_overtime(
    shift_ends_at: datetime,
    booked: Iterable[tuple[datetime | None, datetime]],
    new: Iterable[tuple[datetime | None, datetime]],
    *,
    block_minutes: int = DEFAULT_BLOCK_MINUTES,
) -> list[int]:
    """Return, for each piece of NEW work in turn, the TOIL minutes it adds to the BOOKED work of the same shift.

    The minutes of all the pieces together equal shift_overtime_minutes of everything, so
    booking them one by one never counts an overlap twice. The union grows piece by piece, so
    a shift with many pieces of late work costs n log n, not n squared.
    """
    if block_minutes <= 0:
        raise ValueError("block_minutes must be positive")
    block = block_minutes * 60 * 1_000_000
    union = _Union()
    for start, end in booked:
        if (interval := overtime_interval(shift_ends_at, start, end)) is not None:
            union.add(*interval)
    done = union.micros // block * block_minutes
    added: list[int] = []
    for start, end in new:
        if (interval := overtime_interval(shift_ends_at, start, end)) is not None:
            union.add(*interval)
        total = union.micros // block * block_minutes
        added.append(total - done)
        done = total
    return added


def month_start(at: datetime) -> datetime:
    """Return the UTC instant the Europe/London calendar month containing AT began."""
    _require_aware(at, "at")
    local = at.astimezone(LONDON)
    return datetime(local.year, local.month, 1, tzinfo=LONDON).astimezone(UTC)


def next_month_start(start: datetime) -> datetime:
    """Return the UTC instant the Europe/London calendar month after the one containing START began."""
    local = start.astimezone(LONDON)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=LONDON).astimezone(UTC)


def booking_plan(
    new: Sequence[tuple[Any, Any, datetime, datetime | None, datetime]],
    booked: Iterable[tuple[Any, datetime, datetime | None, datetime]],
    month_totals: dict[tuple[Any, datetime], int],
    *,
    block_minutes: int = DEFAULT_BLOCK_MINUTES,
    monthly_cap_minutes: int | None = None,
) -> list[tuple[Any, int, int]]:
    """Return (work id, minutes to book, minutes over the cap) for each NEW piece of work.

    The TOIL rule, in one home for the booking job, the recomputation and the simulation:
    NEW rows are (work id, AMHP id, shift end, work started, work ended); BOOKED rows are
    (AMHP id, shift end, work started, work ended) of work already in the ledger. Overtime
    after one shift end is the union of the late intervals (DOMAIN.md, "TOIL overlap";
    ``marginal_overtime``), booked in the order the work ended; each AMHP's total in a
    Europe/London calendar month (of the shift end) stops at MONTHLY_CAP_MINUTES (DOMAIN.md
    section 3; ``capped_minutes``; None is no cap). MONTH_TOTALS, keyed (AMHP id,
    ``month_start``), holds what is booked already and is updated with what is booked here.
    """
    booked_by_group: dict[tuple[Any, datetime], list[tuple[datetime | None, datetime]]] = defaultdict(list)
    for amhp_id, shift_end, started, ended in booked:
        booked_by_group[(amhp_id, shift_end)].append((started, ended))
    new_by_group: dict[tuple[Any, datetime], list[tuple[Any, datetime | None, datetime]]] = defaultdict(list)
    for pk, amhp_id, shift_end, started, ended in new:
        new_by_group[(amhp_id, shift_end)].append((pk, started, ended))
    plan: list[tuple[Any, int, int]] = []
    for (amhp_id, shift_end), pieces in sorted(new_by_group.items(), key=lambda item: (item[0][1], str(item[0][0]))):
        pieces.sort(key=lambda p: (p[2], str(p[0])))
        added = marginal_overtime(
            shift_end,
            booked_by_group[(amhp_id, shift_end)],
            [(s, e) for _, s, e in pieces],
            block_minutes=block_minutes,
        )
        month = (amhp_id, month_start(shift_end))
        for (pk, _, _), minutes in zip(pieces, added, strict=True):
            allowed = (
                minutes
                if monthly_cap_minutes is None
                else capped_minutes(
                    minutes, already_this_month=month_totals.get(month, 0), monthly_cap_minutes=monthly_cap_minutes
                )
            )
            month_totals[month] = month_totals.get(month, 0) + allowed
            plan.append((pk, allowed, minutes - allowed))
    return plan
