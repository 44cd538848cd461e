"""A manager signs in and builds a week of rota through the rota page."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from rota import services
from rota.models import Shift, ShiftKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_builds_a_week_of_rota(
    live_server: Any, sign_in: Any, manager: Any, make_staff: Any, service: Any, axe_violations: Any
) -> None:
    for code, name, kind, start, end, cover in [
        ("early", "Early", ShiftKind.EARLY, time(8), time(16), 1),
        ("late", "Late", ShiftKind.LATE, time(12), time(20), 2),
        ("night", "EDT night", ShiftKind.NIGHT, time(17), time(9), 1),
    ]:
        services.shift_type_create(
            actor=manager.user,
            service=service,
            code=code,
            name=name,
            kind=kind,
            start_time=start,
            end_time=end,
            required_cover=cover,
        )
    amhps = [
        make_staff("amhp", service, first_name=first, last_name=last)
        for first, last in [("Asha", "Okafor"), ("Ben", "Nowak"), ("Cara", "Young"), ("Dev", "Patel")]
    ]
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    week = monday.isoformat()

    page = sign_in(manager)
    page.goto(f"{live_server.url}/rota/?week={week}")
    assert page.get_by_role("heading", name="Rota").is_visible()
    assert axe_violations() == []

    def cell(code: str, offset: int) -> Any:
        day = (monday + timedelta(days=offset)).isoformat()
        return page.locator(f'tr[data-shift-type="{code}"] td[data-day="{day}"]')

    def place(person: Any, shift: str, offset: int) -> None:
        page.get_by_label("AMHP", exact=True).select_option(label=person.display_name)
        page.get_by_label("Shift", exact=True).select_option(label=shift)
        page.get_by_label("Day", exact=True).fill((monday + timedelta(days=offset)).isoformat())
        page.get_by_role("button", name="Place on shift").click()
        page.wait_for_load_state()
        assert page.locator(".govuk-notification-banner--success").is_visible()

    assert "Gap: 0 of 2" in cell("late", 0).inner_text()

    place(amhps[0], "Late 12:00 to 20:00", 0)
    late_monday = cell("late", 0).inner_text()
    assert "Asha Okafor" in late_monday
    assert "Gap: 1 of 2" in late_monday

    place(amhps[1], "Late 12:00 to 20:00", 0)
    late_monday = cell("late", 0)
    assert "Ben Nowak" in late_monday.inner_text()
    assert late_monday.locator(".govuk-tag--red").count() == 0  # the gap warning has gone
    assert "2 of 2" in late_monday.inner_text()

    place(amhps[2], "Early 08:00 to 16:00", 0)
    place(amhps[3], "EDT night 17:00 to 09:00", 0)
    place(amhps[2], "Early 08:00 to 16:00", 1)
    place(amhps[3], "Late 12:00 to 20:00", 2)  # after a night and a day off: fine
    assert "Cara Young" in cell("early", 1).inner_text()
    assert "Dev Patel" in cell("late", 2).inner_text()
    assert cell("early", 0).locator(".govuk-tag--red").count() == 0
    assert cell("night", 0).locator(".govuk-tag--red").count() == 0

    # A second placement of the same person on the same shift is refused with a clear message.
    page.get_by_label("AMHP", exact=True).select_option(label="Asha Okafor")
    page.get_by_label("Shift", exact=True).select_option(label="Late 12:00 to 20:00")
    page.get_by_label("Day", exact=True).fill(week)
    page.get_by_role("button", name="Place on shift").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert "already on the Late shift" in page.locator(".govuk-error-summary").inner_text()
    assert axe_violations() == []

    assert Shift.objects.filter(cancelled_at__isnull=True).count() == 6

    page.goto(f"{live_server.url}/rota/on-duty/")
    assert page.get_by_role("heading", name="On duty now").is_visible()
    assert axe_violations() == []

    page.goto(f"{live_server.url}/rota/shift-types/")
    assert page.get_by_role("heading", name="Shift types", exact=True).is_visible()
    assert "17:00–09:00 (next day)" in page.locator('tr[data-shift-type="night"]').inner_text()
    assert axe_violations() == []
    page.get_by_role("button", name="Add shift type").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert axe_violations() == []
