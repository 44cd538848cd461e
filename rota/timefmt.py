"""Time-zone constant and human-readable formatting shared by the pure rota rules.

Everything here is pure: no database access and no Django imports. Instants are
stored and compared in UTC; they are only shown to people in Europe/London time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from amhp_hub.common.zone import LONDON

"""The service's wall-clock zone: shifts are defined and times are shown in it."""


def require_aware(value: datetime, name: str) -> None:
    """Raise ``ValueError`` if ``value`` is a naive datetime.

    Rota arithmetic is done on instants; a naive datetime has no instant.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


def format_duration(value: timedelta) -> str:
    """Return ``value`` rounded to the nearest minute as e.g. ``"1 h 30 min"``.

    Whole hours are shown as ``"2 h"``, under an hour as ``"45 min"`` and zero as
    ``"0 min"``. Negative durations are shown by magnitude with a leading minus sign.
    """
    total_minutes = round(value.total_seconds() / 60)
    sign = "-" if total_minutes < 0 else ""
    hours, minutes = divmod(abs(total_minutes), 60)
    if hours and minutes:
        return f"{sign}{hours} h {minutes} min"
    if hours:
        return f"{sign}{hours} h"
    return f"{sign}{minutes} min"


def format_hours(hours: float) -> str:
    """Return a number of hours formatted like :func:`format_duration`."""
    return format_duration(timedelta(hours=hours))


def format_local_time(value: datetime) -> str:
    """Return the Europe/London wall-clock time of an aware ``value``, e.g. ``"17:00"``."""
    require_aware(value, "value")
    return value.astimezone(LONDON).strftime("%H:%M")


def format_day(value: date) -> str:
    """Return a calendar day as e.g. ``"Mon 23 Nov"`` (no year, day not zero-padded)."""
    # Built by hand because "%-d" (day without padding) is not portable.
    return f"{value:%a} {value.day} {value:%b}"


def format_local_day(value: datetime) -> str:
    """Return the Europe/London day of an aware ``value``, e.g. ``"Mon 23 Nov"``."""
    require_aware(value, "value")
    return format_day(value.astimezone(LONDON).date())


def format_local(value: datetime) -> str:
    """Return the Europe/London day and time of an aware ``value``, e.g. ``"Mon 23 Nov 22:00"``."""
    return f"{format_local_day(value)} {format_local_time(value)}"
