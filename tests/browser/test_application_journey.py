"""An AMHP records a section 3 application that is refused for lack of nearest relative consultation (s11(4)),
fixes it, and it is accepted: on a phone (390 px) and on a desktop (1280 px), with axe on every state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments import services
from referrals.models import Referral
from referrals.nr_services import nearest_relative_save
from rota.models import Shift, ShiftType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def put_on_duty(staff: Any) -> None:
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
        ends_at=start + timedelta(hours=10),
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_amhp_s3_application_refused_without_consultation_then_accepted(
    width: int,
    live_server: Any,
    sign_in: Any,
    consultant: Any,
    make_staff: Any,
    service: Any,
    make_referral: Any,
    axe_violations: Any,
) -> None:
    amhp = make_staff("amhp", service, first_name="Priya", last_name="Shah")
    put_on_duty(amhp)
    referral = make_referral(service, consultant.user, given_name="Marta", family_name="Silva")
    assessment = services.assessment_allocate(referral=referral, amhp=amhp, actor=consultant.user)
    services.assessment_accept(assessment=assessment, actor=amhp.user)
    nearest_relative_save(
        person=referral.person, actor=consultant.user, relatives=[{"name": "Rui Silva", "relationship": "spouse"}]
    )
    day = timezone.localdate() - timedelta(days=1)

    page = sign_in(amhp)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/assessments/{assessment.pk}/")
    page.get_by_role("link", name="Make or review the application").click()
    assert page.get_by_role("heading", name="Application for Marta Silva").is_visible()
    assert page.get_by_text("Rui Silva (spouse)").is_visible()
    violations = axe_violations()
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]

    page.get_by_label("Section 3 (admission for treatment)").check()
    page.get_by_label("When you signed the application").fill(f"{day:%Y-%m-%d}T15:00")
    page.get_by_label("When you last saw the person").fill(f"{day:%Y-%m-%d}T13:30")
    first = page.locator("fieldset", has_text="Medical recommendation 1")
    first.get_by_label("Doctor's name").fill("Dr Adeyemi")
    first.get_by_label("Date of the examination").fill(f"{day:%Y-%m-%d}")
    first.get_by_label("Date the recommendation was signed").fill(f"{day:%Y-%m-%d}")
    first.get_by_label("Approved under section 12").check()
    second = page.locator("fieldset", has_text="Medical recommendation 2")
    second.get_by_label("Doctor's name").fill("Dr Brennan")
    second.get_by_label("Date of the examination").fill(f"{day:%Y-%m-%d}")
    second.get_by_label("Date the recommendation was signed").fill(f"{day:%Y-%m-%d}")
    second.get_by_label("Knew the person before").check()
    page.get_by_label("Informed (s11(3))").check()
    page.get_by_role("button", name="Make the application").click()

    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "s11(4)" in summary.inner_text()
    assert "s11(4)" in page.locator("#provisions-broken").inner_text()
    assert page.get_by_label("Doctor's name").first.input_value() == "Dr Adeyemi"  # nothing typed is lost
    assert Referral.objects.get(pk=referral.pk).status == "allocated"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    violations = axe_violations()
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]

    page.get_by_label("Consulted (s11(4))").check()
    page.get_by_role("button", name="Make the application").click()
    banner = page.locator(".govuk-notification-banner--success")
    assert "waiting for admission" in banner.inner_text()
    assert Referral.objects.get(pk=referral.pk).status == "application_made"
    assert page.locator("#documents").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    violations = axe_violations()
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
