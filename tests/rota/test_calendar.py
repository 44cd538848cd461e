"""The personal iCalendar feed: no sign-in, a revocable token, one VEVENT per live shift in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from icalendar import Calendar, vDDDTypes

from rota import selectors, services
from rota.ical import shifts_calendar

pytestmark = pytest.mark.django_db


def _feed(client: Any, token: str) -> Any:
    return client.get(f"/rota/calendar/{token}.ics")


def test_the_feed_is_a_calendar_of_the_amhps_live_shifts(
    client: Any, place: Any, amhp: Any, manager: Any, make_staff: Any, service: Any
) -> None:
    today = timezone.localdate()
    late = place(amhp, "late", today + timedelta(days=2))
    cancelled = place(amhp, "day", today + timedelta(days=5))
    services.shift_cancel(actor=manager.user, shift=cancelled)
    place(make_staff("amhp", service), "late", today + timedelta(days=2))  # someone else's
    token = services.calendar_token_issue(actor=amhp.user, staff=amhp)
    response = _feed(client, token.token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    (event,) = events
    assert str(event["UID"]) == f"{late.pk}@amhp-hub"
    assert str(event["SUMMARY"]) == "Late shift"
    assert event.decoded("DTSTART") == late.starts_at
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == late.ends_at
    dtstart = event["DTSTART"]
    assert isinstance(dtstart, vDDDTypes)
    assert dtstart.to_ical().endswith(b"Z")


def test_a_night_over_the_october_clock_change_is_exported_in_utc(client: Any, place: Any, amhp: Any) -> None:
    place(amhp, "night", date(2026, 10, 24))
    token = services.calendar_token_issue(actor=amhp.user, staff=amhp)
    feed = selectors.calendar_feed(token=token.token, since=datetime(2026, 10, 1, tzinfo=UTC))
    assert feed is not None
    staff, shifts = feed
    (event,) = Calendar.from_ical(shifts_calendar(staff=staff, shifts=shifts, now=timezone.now())).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2026, 10, 24, 16, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 10, 25, 9, tzinfo=UTC)


def test_a_revoked_or_unknown_token_is_404(client: Any, amhp: Any) -> None:
    token = services.calendar_token_issue(actor=amhp.user, staff=amhp)
    assert _feed(client, token.token).status_code == 200
    services.calendar_token_revoke(actor=amhp.user, staff=amhp)
    assert _feed(client, token.token).status_code == 404
    assert _feed(client, "not-a-token").status_code == 404


def test_issuing_a_new_token_stops_the_old_address(client: Any, amhp: Any) -> None:
    old = services.calendar_token_issue(actor=amhp.user, staff=amhp)
    new = services.calendar_token_issue(actor=amhp.user, staff=amhp)
    assert _feed(client, old.token).status_code == 404
    assert _feed(client, new.token).status_code == 200
