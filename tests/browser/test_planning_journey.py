"""A consultant plans the queue and accepts a proposal; a manager compares shift sets in the rota designer.

Every page passes axe-core (no serious or critical violations) at 1280 px, and the plan page reads at 390 px.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments.models import Assessment
from planning import services
from planning.models import DesignRun
from rota.models import Shift, ShiftType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consultant_accepts_a_planned_proposal_and_manager_compares_rotas(
    live_server: Any, sign_in: Any, page: Any, consultant: Any, manager: Any, make_staff: Any, make_referral: Any,
    service: Any, axe_violations: Any,
) -> None:  # fmt: skip
    amhp = make_staff("amhp", service, warrant_expires_on=date(2030, 1, 1), first_name="Priya", last_name="Patel")
    shift_type = ShiftType.objects.create(service=service, code="long", name="Long day", start_time=time(0),
                                          end_time=time(23, 59))  # fmt: skip
    now = timezone.now()
    Shift.objects.create(service=service, shift_type=shift_type, staff=amhp, day=now.date(),
                         starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=10))  # fmt: skip
    referral = make_referral(
        service, consultant.user, legal_status="s136", legal_power_started_at=now - timedelta(hours=2),
        received_at=now - timedelta(hours=1),
    )  # fmt: skip

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(consultant)
    page.get_by_role("link", name="Plan", exact=True).click()
    assert page.get_by_role("heading", name="Plan the queue").is_visible()
    row = page.locator(f"tr[data-referral='{referral.pk}']")
    assert "Priya Patel" in row.inner_text()
    assert "before the section 136 detention ends" in row.inner_text()
    assert axe_violations() == []

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.get_by_role("button", name="Accept selected").is_visible()
    page.set_viewport_size({"width": 1280, "height": 900})
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Accept selected").click()
    assert page.get_by_text("1 proposal accepted and allocated").is_visible()
    assert Assessment.objects.get(referral=referral).amhp_id == amhp.pk
    assert axe_violations() == []

    page.context.clear_cookies()
    sign_in(manager)
    page.get_by_role("link", name="Rota designer").click()
    assert page.get_by_role("heading", name="Rota designer").is_visible()
    assert axe_violations() == []
    page.get_by_label("Name this comparison").fill("Evening cover")
    page.get_by_label("Your own shift set (optional)").fill("Late 14:00-22:00 x")
    page.get_by_role("button", name="Compare shift sets").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert page.get_by_label("Name this comparison").input_value() == "Evening cover"
    assert axe_violations() == []
    page.get_by_label("Your own shift set (optional)").fill("Late 14:00-22:00 x3, EDT night 22:00-08:00 x2")
    page.get_by_role("button", name="Compare shift sets").click()
    run = DesignRun.objects.get(name="Evening cover")
    assert page.get_by_role("status").is_visible()  # progress while it waits for the worker
    services.design_run_execute(run_id=run.pk)  # what the Celery worker does
    page.wait_for_selector("text=Show the results", timeout=10000)
    page.get_by_role("link", name="Show the results").click()
    # The results replace the progress page at the same address: wait for the new page, not the old one.
    results = page.get_by_role("heading", name="Each shift set replayed over the same referrals")
    results.wait_for()
    assert results.is_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('canvas-comparison'))")
    assert page.get_by_role("table", name="Each shift set replayed over the same referrals").is_visible()
    assert axe_violations() == []
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV of each shift set replayed over the same referrals").click()
    assert download_info.value.suggested_filename == f"designer-{run.pk}-comparison.csv"
