"""Shift bounds from Europe/London wall-clock times, and repeating rota patterns.

A shift type is defined by its local wall-clock start and end ("09:00-17:00",
"EDT night 17:00-09:00"), never by a start and a duration. On the two clock-change
Sundays a night shift therefore lasts 15 or 17 elapsed hours while still running
"17:00 to 09:00", and a day shift stays 8 hours because the change happens at 01:00.

Pure module: no database access and no model imports.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from rota.timefmt import LONDON


def local_instant(day: date, at: time, tz: tzinfo = LONDON) -> datetime:
    """Return the aware UTC instant of wall-clock ``at`` on ``day`` in ``tz``.

    Non-existent and ambiguous local times are resolved with ``fold=0`` (PEP 495):

    * A time in the spring-forward gap (01:00-02:00 on the last Sunday of March in
      Europe/London) does not exist. With ``fold=0`` it is read with the offset in
      force *before* the change, so it moves forward by the length of the gap:
      01:30 becomes 01:30 UTC, which is 02:30 BST.
    * A time in the autumn overlap (01:00-02:00 on the last Sunday of October) happens
      twice. ``fold=0`` takes the *first* occurrence (BST): 01:30 becomes 00:30 UTC.

    Raise ``ValueError`` if ``at`` carries its own tzinfo: wall-clock times are
    interpreted in ``tz`` only.
    """
    if at.tzinfo is not None:
        raise ValueError(f"wall-clock time must be naive, got {at!r}")
    local = datetime.combine(day, at.replace(fold=0), tzinfo=tz)
    return local.astimezone(UTC)


def shift_bounds(day: date, start: time, end: time, tz: tzinfo = LONDON) -> tuple[datetime, datetime]:
    """Return the UTC start and end instants of a shift that starts on ``day``.

    ``start`` and ``end`` are wall-clock times in ``tz``. If ``end <= start`` the shift
    ends on the next calendar day (``17:00-09:00``, ``22:00-08:00``); ``end == start``
    is a 24-hour wall-clock shift. Gap and overlap times are resolved as described in
    :func:`local_instant` (forward through the spring gap, first occurrence in autumn).

    The elapsed length is ``end - start`` of the returned instants, which differs from
    the wall-clock length when the shift spans a clock change.

    Raise ``ValueError`` if the resolved end is not after the resolved start. That only
    happens when a shift starts inside the spring-forward gap and ends less than an hour
    later on the clock (e.g. 01:30-02:15 on the change Sunday).
    """
    end_day = day if end > start else day + timedelta(days=1)
    start_at = local_instant(day, start, tz)
    end_at = local_instant(end_day, end, tz)
    if end_at <= start_at:
        raise ValueError(
            f"shift {start:%H:%M}-{end:%H:%M} on {day.isoformat()} has no duration once the clock change is applied"
        )
    return start_at, end_at


def expand_pattern(
    *, pattern_start: date, cycle: Sequence[str | None], start: date, end: date
) -> list[tuple[date, str]]:
    """Return ``(day, shift_type_code)`` for each working day of a pattern in ``[start, end]``.

    ``cycle`` lists one entry per day: a shift-type code, or ``None`` for a day off. It
    repeats every ``len(cycle)`` days, with ``cycle[0]`` falling on ``pattern_start``.
    ``pattern_start`` only fixes the phase: the pattern repeats in both directions, so
    days before it are expanded too. A caller with an "effective from" date clamps
    ``start`` to it. Days off are left out. Both ends of the range are inclusive;
    ``end < start`` gives an empty list.

    Raise ``ValueError`` if ``cycle`` is empty.
    """
    if not cycle:
        raise ValueError("a pattern cycle needs at least one day")
    length = len(cycle)
    result: list[tuple[date, str]] = []
    day = start
    while day <= end:
        code = cycle[(day - pattern_start).days % length]
        if code is not None:
            result.append((day, code))
        day += timedelta(days=1)
    return result
