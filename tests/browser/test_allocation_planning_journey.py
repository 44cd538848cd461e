"""A consultant (1280 px) confirms a working-time warning, plans work for a later shift and calls an AMHP
in off the rota; the AMHP, on a phone (390 px), sees the planned work. Axe on every state."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments.models import Assessment
from rota.models import Shift, ShiftType
from rota.timefmt import LONDON, format_local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def on_shift(staff: Any, start: datetime, hours: float, code: str = "day") -> Shift:
    shift_type, _ = ShiftType.objects.get_or_create(
        service=staff.service, code=code, defaults={"name": code.title(), "start_time": time(9), "end_time": time(17)}
    )
    return Shift.objects.create(
        service=staff.service,
        shift_type=shift_type,
        staff=staff,
        day=start.astimezone(LONDON).date(),
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
    )


def test_consultant_confirms_warnings_plans_later_and_calls_in(
    live_server: Any,
    sign_in: Any,
    page: Any,
    consultant: Any,
    make_staff: Any,
    service: Any,
    make_referral: Any,
    axe_violations: Any,
) -> None:
    now = timezone.now()
    tired = make_staff("amhp", service, first_name="Tom", last_name="Tired")
    on_shift(tired, now - timedelta(hours=7), 8)
    on_shift(tired, now + timedelta(hours=8), 8, code="early")  # 6 h of work now leaves 2 h of rest
    later = make_staff("amhp", service, first_name="Lou", last_name="Later")
    when = (now + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    on_shift(later, when - timedelta(hours=2), 8)
    spare = make_staff("amhp", service, first_name="Sam", last_name="Spare")
    first, second, third = (
        make_referral(service, consultant.user, given_name=name, family_name="Nowak") for name in ("Ada", "Ben", "Cal")
    )

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(consultant)

    # 1. A candidate with a working-time warning: allocating asks to confirm first.
    page.goto(f"{live_server.url}/referrals/{first.pk}/candidates/")
    row = page.locator(f'tr[data-amhp="{tired.pk}"]')
    row.wait_for()
    assert "Working-time warning" in row.inner_text()
    assert "breaks the 11 h rest" in row.inner_text()
    assert axe_violations() == []
    row.get_by_role("button", name="Allocate to Tom Tired").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Tom Tired, Working Time Regulations 1998: Allocating this breaks the 11 h rest" in summary.inner_text()
    assert not Assessment.objects.exists()
    assert axe_violations() == []
    summary.get_by_role("link", name="I have checked").click()
    page.get_by_label("I have checked the working-time warnings for Tom Tired").check()
    page.get_by_role("button", name="Allocate to Tom Tired").click()
    banner = page.locator(".govuk-notification-banner--success")
    banner.wait_for()
    assert "allocated to Tom Tired" in banner.inner_text()

    # 2. Planning for a later shift: who is on the rota then, with the shift the work falls in.
    page.goto(f"{live_server.url}/referrals/{second.pk}/candidates/")
    page.get_by_label("Plan for").first.fill(when.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Show who is on duty then").click()
    heading = page.get_by_role("heading", name="Plan for a later shift")
    heading.wait_for()
    row = page.locator(f'tr[data-amhp="{later.pk}"]')
    assert "Day," in row.locator('[data-testid="shift"]').inner_text()
    assert page.locator(f'tr[data-amhp="{tired.pk}"]').count() == 0
    assert axe_violations() == []
    row.get_by_role("button", name="Plan for Lou Later").click()
    banner = page.locator(".govuk-notification-banner--success")
    banner.wait_for()
    assert f"planned for {format_local(when)} in the Day shift" in banner.inner_text()
    assert Assessment.objects.get(referral=second).planned_for == when

    # 3. An off-rota call-in needs its reason; what was chosen is kept.
    page.goto(f"{live_server.url}/referrals/{third.pk}/candidates/")
    page.get_by_label("AMHP to call in").select_option(label="Sam Spare")
    page.get_by_role("button", name="Call in and allocate").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Give the reason for calling them in off the rota" in summary.inner_text()
    assert page.get_by_label("AMHP to call in").input_value() == str(spare.pk)
    assert axe_violations() == []
    page.get_by_label("Why they are being called in").fill("Nobody on duty can reach the ward before 6pm")
    page.get_by_role("button", name="Call in and allocate").click()
    page.locator(".govuk-notification-banner--success").wait_for()
    called = Assessment.objects.get(referral=third)
    assert called.amhp == spare and called.called_in

    # 4. The AMHP sees the planned work on a phone.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(later)
    planned = page.locator('[data-testid="planned-work"]')
    planned.wait_for()
    assert f"Planned for {format_local(when)} in the Day shift" in planned.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations() == []
