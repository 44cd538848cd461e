"""A manager (1280 px) places a shift that breaks the 11 h rest and records leave that opens a cover gap:
each time the page shows the warning, keeps what was typed and saves only once confirmed. Axe on each state."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from rota import services
from rota.models import Leave, Shift, ShiftKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_confirms_a_short_rest_and_a_cover_gap(
    live_server: Any, sign_in: Any, page: Any, manager: Any, make_staff: Any, service: Any, axe_violations: Any
) -> None:
    types = {
        code: services.shift_type_create(
            actor=manager.user,
            service=service,
            code=code,
            name=name,
            kind=kind,
            start_time=start,
            end_time=end,
            required_cover=1,
        )
        for code, name, kind, start, end in [
            ("early", "Early", ShiftKind.EARLY, time(8), time(16)),
            ("twilight", "Twilight", ShiftKind.LATE, time(14), time(23)),
        ]
    }
    asha = make_staff("amhp", service, first_name="Asha", last_name="Okafor")
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    tuesday = monday + timedelta(days=1)
    services.shift_place(actor=manager.user, staff=asha, shift_type=types["twilight"], day=monday)

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(manager)
    page.goto(f"{live_server.url}/rota/?week={monday.isoformat()}")
    page.get_by_role("heading", name="Rota").wait_for()

    # Twilight ends 23:00 Monday; an early from 08:00 Tuesday leaves 9 h of rest.
    page.get_by_label("AMHP", exact=True).select_option(label="Asha Okafor")
    page.get_by_label("Shift", exact=True).select_option(label="Early 08:00 to 16:00")
    page.get_by_label("Day", exact=True).fill(tuesday.isoformat())
    page.get_by_role("button", name="Place on shift").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "confirm you have checked the rest warning" in summary.inner_text()
    assert "Only 9 h rest" in page.locator('[data-testid="confirm-warnings"]').inner_text()
    assert page.get_by_label("Day", exact=True).input_value() == tuesday.isoformat()
    assert not Shift.objects.filter(day=tuesday).exists()
    assert axe_violations() == []
    page.get_by_label("I have checked the rest warning").check()
    page.get_by_role("button", name="Place on shift").click()
    page.locator(".govuk-notification-banner--success").wait_for()
    assert Shift.objects.filter(day=tuesday, staff=asha).exists()

    # Leave over Tuesday takes the only AMHP off the early: a gap, to confirm.
    page.goto(f"{live_server.url}/rota/leave/")
    page.get_by_label("AMHP", exact=True).select_option(label="Asha Okafor")
    page.get_by_label("Start", exact=True).fill(f"{tuesday.isoformat()}T00:00")
    page.get_by_label("End", exact=True).fill(f"{tuesday.isoformat()}T23:59")
    page.get_by_role("button", name="Record leave").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "confirm you have checked the cover gap" in summary.inner_text()
    assert "would have 0 of the 1 AMHP it needs" in page.locator('[data-testid="confirm-warnings"]').inner_text()
    assert not Leave.objects.exists()
    assert axe_violations() == []
    page.get_by_label("I have checked the cover gap").check()
    page.get_by_role("button", name="Record leave").click()
    page.locator(".govuk-notification-banner--success").wait_for()
    assert Leave.objects.get().staff == asha
