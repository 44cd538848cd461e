"""TOIL and notifications in a real browser: an AMHP records time off on a phone, a manager approves it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from assessments.models import ToilEntry
from rota.models import StaffProfile
from tests.browser.conftest import axe_violations, browser_type_launch_args, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_amhp_records_time_off_on_a_phone_and_a_manager_approves_it(
    live_server: Any,
    page: Any,
    sign_in: Callable[[StaffProfile], Any],  # noqa: F811
    axe_violations: Callable[[], list[dict[str, Any]]],  # noqa: F811
    amhp: StaffProfile,
    manager: StaffProfile,
) -> None:
    ToilEntry.objects.create(staff=amhp, service=amhp.service, kind="adjustment", minutes=150, status="approved")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(amhp)
    page.goto(f"{live_server.url}/toil/")
    assert page.get_by_test_id("toil-balance").inner_text() == "2 hours 30 minutes"
    assert axe_violations() == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_label("Date you took the time off").fill("2026-03-02")
    page.get_by_label("Hours").fill("3")
    page.get_by_role("button", name="Record time off").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert "2 hours 30 minutes of TOIL available" in page.locator(".govuk-error-summary").inner_text()

    page.get_by_label("Hours").fill("1")
    page.get_by_label("Minutes").select_option("30")
    page.get_by_role("button", name="Record time off").click()
    assert page.get_by_text("recorded; it awaits approval").is_visible()
    assert ToilEntry.objects.get(kind="taken").minutes == -90

    page.context.clear_cookies()
    sign_in(manager)
    page.goto(f"{live_server.url}/toil/")
    assert axe_violations() == []
    page.get_by_role("button", name="Approve").first.click()
    assert ToilEntry.objects.get(kind="taken").status == "approved"

    page.context.clear_cookies()
    sign_in(amhp)
    page.goto(f"{live_server.url}/notifications/")
    assert page.get_by_role("link", name="TOIL approved: time off taken, 1 hour 30 minutes").is_visible()
    assert axe_violations() == []
    page.get_by_role("button", name="Mark as read").first.click()
    assert page.get_by_role("link", name="TOIL approved").is_visible()
    assert page.get_by_role("button", name="Mark as read").count() == 0
