"""A manager opens the dashboards, reads a chart and its table, downloads a CSV; every page passes axe-core."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dashboards.demo import seed_population
from dashboards.reports import SECTIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_reads_the_dashboards_and_downloads_a_csv(
    live_server: Any, sign_in: Any, manager: Any, consultant: Any, make_referral: Any, service: Any,
    axe_violations: Any,
) -> None:  # fmt: skip
    seed_population(service=service)
    now = timezone.now()
    for hours_ago in (1, 5, 30):
        make_referral(service, consultant.user, received_at=now - timedelta(hours=hours_ago), now=now)
    make_referral(service, consultant.user, legal_status="s136", received_at=now - timedelta(hours=2),
                  legal_power_started_at=now - timedelta(hours=3), now=now)  # fmt: skip

    page = sign_in(manager)
    assert page.get_by_role("heading", name="Triage queue").is_visible()
    assert axe_violations() == []

    page.get_by_role("link", name="Dashboards").first.click()
    assert page.get_by_role("heading", name="Dashboards", level=1).is_visible()
    assert axe_violations() == []

    page.get_by_role("link", name="Demand", exact=True).click()
    assert page.get_by_role("heading", name="Demand", level=1).is_visible()
    chart = page.get_by_role("img", name="Bar chart of referrals received by hour of day")
    assert chart.is_visible()
    assert chart.evaluate("el => el.tagName") == "CANVAS"
    # Chart.js drew it (the canvas has a size and a chart instance).
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('canvas-demand-by-hour'))")
    table = page.get_by_role("table", name="Referrals received by hour of day (UK time)")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 24
    assert page.get_by_text("Referrals received", exact=True).is_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV of referrals received by hour of day (uk time)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("demand-by-hour-")
    text = open(download.path(), encoding="utf-8").read()
    lines = text.splitlines()
    assert lines[0] == "Hour starting,Referrals"
    assert len(lines) == 25
    assert sum(int(line.split(",")[1]) for line in lines[1:]) == 4

    for slug in SECTIONS:
        page.goto(f"{live_server.url}/dashboards/{slug}/")
        assert page.get_by_role("heading", level=1).is_visible()
        assert axe_violations() == [], slug

    # A bad period is explained, not a crash.
    page.goto(f"{live_server.url}/dashboards/demand/")
    page.get_by_label("From").fill("2026-03-01")
    page.get_by_label("To").fill("2026-01-01")
    page.get_by_role("button", name="Show period").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert "The start date must be on or before the end date" in page.locator(".govuk-error-summary").inner_text()
    assert axe_violations() == []
