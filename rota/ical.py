"""Build an AMHP's personal iCalendar feed from their shifts (RFC 5545, via the icalendar package)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from icalendar import Calendar, Event

from rota.models import Shift, StaffProfile

PRODID = "-//AMHP Hub//Rota feed//EN"


def shifts_calendar(*, staff: StaffProfile, shifts: Iterable[Shift], now: datetime) -> bytes:
    """Return a VCALENDAR with one VEVENT per shift: UTC start and end, the shift's id as a stable UID."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"AMHP rota: {staff.display_name}")
    stamp = now.astimezone(UTC)
    for shift in shifts:
        event = Event()
        event.add("uid", f"{shift.pk}@amhp-hub")
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.starts_at.astimezone(UTC))
        event.add("dtend", shift.ends_at.astimezone(UTC))
        event.add("summary", f"{shift.shift_type.name} shift")
        event.add("categories", [shift.shift_type.get_kind_display()])
        if staff.locality:
            event.add("location", staff.locality)
        calendar.add_component(event)
    return calendar.to_ical()
