"""TOIL arithmetic: pure functions, no database.

DOMAIN.md: time off in lieu accrues in 15-minute blocks; an overrun shorter than one
block earns nothing. Elapsed time is measured between instants (UTC), never between
wall-clock readings, so a clock change inside the overrun neither adds nor loses an hour.
"""

from __future__ import annotations

from datetime import UTC, datetime

DEFAULT_BLOCK_MINUTES = 15


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
