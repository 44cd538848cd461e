"""Rules for the doctor directory: availability windows and whether an s12 approval is in date.

Availability windows are Europe/London wall-clock times on a weekday (Monday 0 ... Sunday 6),
as doctors give them on the s12 register's application form ("in hours", "evenings",
"weekends"). A window whose end is not after its start runs past midnight into the next day.
Whether a doctor is *likely* available is only that: the window says they usually take calls
then, not that they will answer.

Pure module: no database access and no model imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

from rota.timefmt import LONDON, require_aware

IN_HOURS = "in_hours"
EVENINGS = "evenings"
WEEKENDS = "weekends"
BAND_LABELS = {IN_HOURS: "In hours", EVENINGS: "Evenings", WEEKENDS: "Weekends"}
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_START, _DAY_END = time(9), time(17)


@dataclass(frozen=True)
class Window:
    """A weekly availability window: ``weekday`` 0-6 (Monday 0), local ``start`` and ``end``."""

    weekday: int
    start: time
    end: time

    @property
    def overnight(self) -> bool:
        return self.end <= self.start


def _parse_time(value: object) -> time | None:
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        return None
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def parse_windows(raw: Iterable[Mapping[str, object]]) -> tuple[list[Window], list[str]]:
    """Return the windows in RAW and a message for each entry that is not a valid window.

    An entry needs ``weekday`` (0-6, Monday 0), ``start`` and ``end`` as "HH:MM". A start equal
    to the end is refused (a window of no time, or of a whole day: say which with two windows).
    """
    windows: list[Window] = []
    errors: list[str] = []
    for index, entry in enumerate(raw, start=1):
        weekday = entry.get("weekday") if isinstance(entry, Mapping) else None
        start = _parse_time(entry.get("start")) if isinstance(entry, Mapping) else None
        end = _parse_time(entry.get("end")) if isinstance(entry, Mapping) else None
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            errors.append(f"Window {index}: choose a weekday from 0 (Monday) to 6 (Sunday)")
        elif start is None or end is None:
            errors.append(f"Window {index}: enter the start and end as HH:MM, like 17:00")
        elif start == end:
            errors.append(f"Window {index}: the end must differ from the start")
        else:
            windows.append(Window(weekday, start, end))
    return windows, errors


def window_covers(window: Window, at: datetime) -> bool:
    """Return True if the local wall-clock time of AT (aware) falls in WINDOW (start inclusive, end exclusive)."""
    require_aware(at, "at")
    local = at.astimezone(LONDON)
    day, clock = local.weekday(), local.time().replace(tzinfo=None)
    if not window.overnight:
        return day == window.weekday and window.start <= clock < window.end
    if day == window.weekday and clock >= window.start:
        return True
    return day == (window.weekday + 1) % 7 and clock < window.end


def likely_available(windows: Iterable[Window], at: datetime) -> bool:
    """Return True if any of the doctor's windows covers AT: the consultant's "likely available now"."""
    return any(window_covers(w, at) for w in windows)


def availability_bands(windows: Iterable[Window]) -> list[str]:
    """Return which of in hours (Mon-Fri 09:00-17:00), evenings (Mon-Fri outside it) and weekends the windows touch."""
    bands: set[str] = set()
    for w in windows:
        if w.weekday >= 5 or (w.overnight and w.weekday == 4):
            bands.add(WEEKENDS)
        if w.weekday < 5:
            end = time(23, 59, 59) if w.overnight else w.end
            if w.start < _DAY_END and end > _DAY_START:
                bands.add(IN_HOURS)
            if w.overnight or w.start < _DAY_START or end > _DAY_END:
                bands.add(EVENINGS)
    return [b for b in (IN_HOURS, EVENINGS, WEEKENDS) if b in bands]


def s12_approval_in_date(*, approved: bool, expires_on: date | None, on_day: date) -> bool:
    """s12(2): a recommendation counts as from an approved doctor only if the approval is in date on ON_DAY.

    ON_DAY is the day of the examination (or today when it has not happened yet). The approval
    runs to the end of its expiry day; no expiry date recorded means none is known to have passed.
    """
    if not approved:
        return False
    return expires_on is None or on_day <= expires_on
