"""The monthly report: one printable page of the figures a service reports, and its PDF."""

from __future__ import annotations

from typing import Any

import pytest

from tests.dashboards.conftest import utc

pytestmark = pytest.mark.django_db


def test_monthly_report_puts_the_months_figures_together_and_downloads_as_pdf(
    client: Any, manager: Any, amhp: Any, add_assessment: Any
) -> None:
    add_assessment(amhp, allocated_at=utc(2026, 11, 3, 10), status="completed", outcome="detained_s2")
    add_assessment(amhp, allocated_at=utc(2026, 10, 31, 10), status="completed", outcome="detained_s3")  # October
    client.force_login(manager.user)

    page = client.get("/dashboards/monthly/?month=2026-11")

    body = page.content.decode()
    assert page.status_code == 200
    assert "Monthly report: November 2026" in body and "from 1 November 2026 to 30 November 2026" in body
    for heading in ("Demand", "Waiting times", "Statutory breaches", "Outcomes, delays and bed waits"):
        assert f">{heading}</h2>" in body
    assert "Assessments arranged</th>" in body
    report = body.split("<h1", 1)[1].split("</main>", 1)[0]
    assert 'style="' not in report and "<script" not in report

    pdf = client.get("/dashboards/monthly/?month=2026-11&format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="monthly-report-2026-11.pdf"'
    assert pdf.content.startswith(b"%PDF")


def test_a_month_that_is_not_one_is_refused_with_a_message(client: Any, manager: Any) -> None:
    client.force_login(manager.user)
    response = client.get("/dashboards/monthly/?month=November")
    assert response.status_code == 400
    assert "Enter the month as a year and month, for example 2026-11" in response.content.decode()
    assert client.get("/dashboards/monthly/?month=2026-13&format=pdf").status_code == 400


def test_only_managers_see_the_monthly_report(client: Any, consultant: Any) -> None:
    client.force_login(consultant.user)
    assert client.get("/dashboards/monthly/").status_code == 403
