"""A consultant meets a known NHS number with a new name, confirms it, then finds the person by search;
an AMHP on a phone sees what they need on the assessment page and can tap to call."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments import services as assessment_services
from referrals.models import Person, Referral
from rota.models import Shift, ShiftType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_name_on_a_known_nhs_number_is_confirmed_and_the_person_found_by_search(
    live_server: Any, sign_in: Any, consultant: Any, make_referral: Any, service: Any, axe_violations: Any
) -> None:
    make_referral(
        service,
        consultant.user,
        nhs_number="9434765919",
        given_name="Jane",
        family_name="Smith",
        date_of_birth=date(1980, 1, 2),
    )
    page = sign_in(consultant)
    page.get_by_role("link", name="New referral").first.click()
    page.get_by_label("NHS number").fill("943 476 5919")
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Last name").fill("Jones")
    page.get_by_label("Legal situation").select_option("community")
    page.get_by_label("Reason for referral").fill("Not eating, family worried")
    page.get_by_role("button", name="Submit referral").click()

    assert page.get_by_text("This NHS number is already on record").is_visible()
    assert page.get_by_label("Reason for referral").input_value() == "Not eating, family worried"
    assert axe_violations() == []
    page.get_by_label("Update the record to the details entered here", exact=False).check()
    page.get_by_role("button", name="Submit referral").click()
    assert page.get_by_text("added").first.is_visible()
    assert Person.objects.get().family_name == "Jones"

    page.get_by_role("link", name="Search").first.click()
    page.get_by_label("Name, NHS number or referral reference").fill("9434765919")
    page.get_by_role("button", name="Search").click()
    assert "9434765919" not in page.url and "Jones" not in page.url
    assert page.get_by_text("2 referrals found").is_visible()
    assert axe_violations() == []
    page.get_by_role("link", name="Jane Smith").click()
    assert page.get_by_role("heading", name="Jane Jones").is_visible()
    assert "Smith" in page.locator("table").inner_text()
    assert axe_violations() == []


def test_the_amhp_sees_reason_risks_and_tap_to_call_numbers_on_a_phone(
    live_server: Any,
    sign_in: Any,
    consultant: Any,
    amhp: Any,
    make_referral: Any,
    service: Any,
    axe_violations: Any,
    page: Any,
) -> None:
    now = timezone.now()
    shift_type = ShiftType.objects.create(
        service=service, code="day", name="Day", start_time=time(9), end_time=time(17)
    )
    Shift.objects.create(
        service=service,
        shift_type=shift_type,
        staff=amhp,
        day=timezone.localdate(),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=7),
    )
    referral = make_referral(
        service,
        consultant.user,
        reason="Hearing voices, not sleeping",
        risk_violence=True,
        location="Home address",
        referrer_phone="01632 960 001",
        nearest_relative_name="Tom",
        nearest_relative_phone="07700 900123",
    )
    assessment = assessment_services.assessment_allocate(referral=referral, amhp=amhp, actor=consultant.user)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(amhp)
    page.goto(f"{live_server.url}/assessments/{assessment.pk}/")

    assert page.get_by_text("Hearing voices, not sleeping").is_visible()
    assert page.get_by_role("link", name="Call the referrer on 01632 960 001").get_attribute("href") == (
        "tel:01632960001"
    )
    assert page.get_by_role("link", name="Call the nearest relative on 07700 900123").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations() == []
    assert Referral.objects.get(pk=referral.pk).status == "allocated"
