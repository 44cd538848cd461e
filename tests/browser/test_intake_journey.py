"""A consultant signs in, adds a referral and sees it at the top of the queue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from referrals.models import Referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consultant_adds_a_referral_and_sees_it_in_the_queue(
    live_server: Any, sign_in: Any, consultant: Any, make_referral: Any, service: Any, axe_violations: Any
) -> None:
    make_referral(service, consultant.user, given_name="Routine", family_name="Case", legal_status="community")
    page = sign_in(consultant)
    assert page.get_by_role("heading", name="Triage queue").is_visible()
    assert axe_violations() == []

    page.get_by_role("link", name="New referral").first.click()
    page.get_by_label("NHS number").fill("943 476 5918")  # wrong check digit
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Rivers")
    page.get_by_label("Legal situation").select_option("s136")
    started = timezone.localtime(timezone.now() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("When the legal power started").fill(started)
    page.get_by_label("Reason for referral").fill("Found on a bridge parapet; calmer now.")
    page.get_by_role("button", name="Submit referral").click()

    # The error is shown, and what was typed is still there.
    assert page.get_by_text("There is a problem").is_visible()
    assert "check digit" in page.locator(".govuk-error-summary").inner_text()
    assert page.get_by_label("Reason for referral").input_value() == "Found on a bridge parapet; calmer now."
    assert page.get_by_label("First name").input_value() == "Sam"
    assert not Referral.objects.filter(person__family_name="Rivers").exists()

    page.get_by_label("NHS number").fill("943 476 5919")
    page.get_by_role("button", name="Submit referral").click()
    assert page.get_by_text("added").first.is_visible()
    referral = Referral.objects.get(person__family_name="Rivers")
    assert referral.priority == "emergency"

    page.goto(f"{live_server.url}/queue/")
    first_row = page.locator("tbody tr").first
    assert "Sam Rivers" in first_row.inner_text()
    assert "Emergency" in first_row.inner_text()
    countdown = first_row.locator("time[data-countdown]")
    assert countdown.inner_text().startswith("due in")
    assert "Routine Case" in page.locator("tbody tr").nth(1).inner_text()
