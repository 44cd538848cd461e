"""An s136 from referral through the signed application to admission; the deadlines move on the way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from referrals.models import Referral
from tests.browser.test_allocation_journey import local, put_on_duty

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def deadline(page: Any, rule: str) -> Any:
    return page.locator(f'[data-testid="deadlines"] [data-rule="{rule}"]')


def test_s136_through_application_to_admission_with_the_deadlines_moving(
    live_server: Any,
    sign_in: Any,
    consultant: Any,
    make_staff: Any,
    service: Any,
    make_referral: Any,
    axe_violations: Any,
) -> None:
    amhp = make_staff("amhp", service, first_name="Priya", last_name="Shah")
    put_on_duty(amhp, hours=10)
    arrived = timezone.now() - timedelta(hours=3)
    referral = make_referral(
        service,
        consultant.user,
        given_name="Dana",
        family_name="Okoro",
        legal_status="s136",
        legal_power_started_at=arrived,
        place_of_safety_type="health_based",
    )
    referral_url = f"{live_server.url}/referrals/{referral.pk}/"

    # The consultant, at a desk, sees the s136 clock running and allocates.
    page = sign_in(consultant)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(referral_url)
    s136 = deadline(page, "detention_s136")
    assert s136.get_attribute("data-state") == "running"
    assert "due in 20 h" in s136.locator("time[data-countdown]").inner_text()
    assert "(s136(2A))" in s136.inner_text()
    assert axe_violations() == []
    page.get_by_role("link", name="Allocate").click()
    page.get_by_role("button", name="Allocate to Priya Shah").click()

    # The AMHP, on a phone, accepts, records the doctors' examinations and the signed application.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    mobile = sign_in(amhp)
    mobile.locator(".app-card").first.get_by_role("button", name="Accept").click()
    mobile.locator(".app-card").first.get_by_role("link", name="Open the record").click()
    now = timezone.now()
    for name, minutes in (("Dr Adeyemi", 90), ("Dr Brook", 60)):
        mobile.get_by_text("Add a doctor").click()
        mobile.get_by_label("Doctor's name").fill(name)
        mobile.get_by_label("Section 12 approved").set_checked(name == "Dr Adeyemi")
        mobile.get_by_label("When the doctor examined the person").fill(local(now - timedelta(minutes=minutes)))
        mobile.get_by_role("button", name="Add doctor").click()
    mobile.get_by_text("Add to the timeline").click()
    mobile.get_by_label("What happened").select_option("application_signed")
    mobile.get_by_label("When it happened").fill(local(now - timedelta(minutes=20)))
    mobile.get_by_role("button", name="Add event").click()
    assert mobile.get_by_text("Added to the timeline").is_visible()
    assert Referral.objects.get(pk=referral.pk).status == "application_made"

    # On the referral page the s136 is met by the application; the s6 conveyance clock now runs.
    mobile.goto(referral_url)
    assert mobile.get_by_text("Application made, awaiting admission").first.is_visible()
    assert deadline(mobile, "detention_s136").get_attribute("data-state") == "met"
    conveyance = deadline(mobile, "conveyance_s6")
    assert conveyance.get_attribute("data-state") == "running"
    assert "(s6(1)(a))" in conveyance.inner_text()
    assert mobile.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations() == []

    # The person reaches the ward: admission meets the conveyance deadline and closes the case.
    mobile.get_by_label("When the application reached the hospital managers").fill(local(timezone.now()))
    mobile.get_by_role("button", name="Record admission").click()
    assert mobile.get_by_text("Admission recorded").is_visible()
    assert deadline(mobile, "conveyance_s6").get_attribute("data-state") == "met"
    assert deadline(mobile, "detention_s136").get_attribute("data-state") == "met"
    assert not mobile.locator('[data-state="breached"]').count()
    assert axe_violations() == []
    assert Referral.objects.get(pk=referral.pk).status == "admitted"
