"""A consultant allocates a referral from the ranked candidates; the AMHP, on a phone, records the outcome."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments.models import Assessment
from referrals.models import Referral
from rota.models import Shift, ShiftType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def put_on_duty(staff: Any, hours: float) -> None:
    start = timezone.now() - timedelta(hours=1)
    shift_type, _ = ShiftType.objects.get_or_create(
        service=staff.service, code="day", defaults={"name": "Day", "start_time": "09:00", "end_time": "17:00"}
    )
    Shift.objects.create(
        service=staff.service,
        shift_type=shift_type,
        staff=staff,
        day=timezone.localdate(start),
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
    )


def local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_consultant_allocates_and_the_amhp_records_the_outcome_on_a_phone(
    live_server: Any,
    sign_in: Any,
    consultant: Any,
    make_staff: Any,
    service: Any,
    make_referral: Any,
    axe_violations: Any,
) -> None:
    amhp = make_staff("amhp", service, first_name="Priya", last_name="Shah", languages=["Polish"])
    put_on_duty(amhp, hours=10)
    tired = make_staff("amhp", service, first_name="Tom", last_name="Late")
    put_on_duty(tired, hours=2)
    # Received an hour ago, so the AMHP's recorded work (from 55 minutes ago) starts after it.
    referral = make_referral(
        service,
        consultant.user,
        given_name="Marek",
        family_name="Nowak",
        language="Polish",
        interpreter_needed=True,
        received_at=timezone.now() - timedelta(hours=1),
    )

    page = sign_in(consultant)
    page.get_by_role("link", name="Marek Nowak").click()
    page.get_by_role("link", name="Allocate").click()
    assert page.get_by_role("heading", name="Allocate to an on-duty AMHP").is_visible()
    rows = page.locator("tbody tr")
    assert "Priya Shah" in rows.nth(0).inner_text()
    assert "Speaks Polish" in rows.nth(0).inner_text()
    assert "Fits:" in rows.nth(0).inner_text()
    assert "past the end of shift" in rows.nth(1).inner_text()
    assert axe_violations() == []
    page.get_by_role("button", name="Allocate to Priya Shah").click()
    assert page.locator(".govuk-notification-banner--success").get_by_text("allocated to Priya Shah").is_visible()
    referral.refresh_from_db()
    assert referral.status == "allocated"

    # The AMHP signs in afresh on a phone-sized screen.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    mobile = sign_in(amhp)
    assert mobile.get_by_role("heading", name="My allocations").is_visible()
    card = mobile.locator(".app-card").first
    assert "Marek Nowak" in card.inner_text()
    # The cards fit the phone: nothing scrolls sideways.
    assert mobile.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations() == []
    card.get_by_role("button", name="Accept").click()
    assert mobile.get_by_text("You accepted").is_visible()

    mobile.locator(".app-card").first.get_by_role("link", name="Open the record").click()
    assert mobile.get_by_role("heading", name="Marek Nowak").is_visible()
    assert mobile.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations() == []
    now = timezone.now()
    mobile.get_by_text("Add to the timeline").click()
    mobile.get_by_label("What happened").select_option("seen")
    mobile.get_by_label("When it happened").fill(local(now - timedelta(minutes=40)))
    mobile.get_by_label("Note (optional)").fill("Seen at home with an interpreter")
    mobile.get_by_role("button", name="Add event").click()
    assert mobile.get_by_text("Added to the timeline").is_visible()
    assert "Person seen" in mobile.locator("#timeline + table").inner_text()

    mobile.get_by_label("Outcome", exact=True).select_option("crisis_home_treatment")
    mobile.get_by_label("Nearest relative", exact=True).select_option("informed")
    mobile.get_by_label("No AMHP available").check()
    mobile.get_by_label("When work started").fill(local(now - timedelta(minutes=55)))
    mobile.get_by_label("When work ended").fill(local(now - timedelta(minutes=5)))
    mobile.get_by_role("button", name="Save the record").click()
    assert mobile.get_by_text("Record saved").is_visible()
    mobile.get_by_role("button", name="Complete assessment").click()
    mobile.get_by_role("button", name="Yes, complete the assessment").click()
    assert mobile.get_by_text("completed").first.is_visible()

    assessment = Assessment.objects.get(referral=referral)
    assert assessment.status == "completed"
    assert assessment.outcome == "crisis_home_treatment"
    assert assessment.delay_reasons == ["no_amhp"]
    assert assessment.hours_worked is not None
    assert float(assessment.hours_worked) == pytest.approx(50 / 60, abs=0.02)
    assert Referral.objects.get(pk=referral.pk).status == "assessed"
