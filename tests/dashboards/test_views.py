"""Dashboard pages and CSV downloads: who may see them, what they show, constant queries, bad periods."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import ToilEntry
from dashboards.reports import SECTIONS, TABLE_SECTIONS
from dashboards.selectors import LONDON

SECTION_URLS = [f"/dashboards/{slug}/" for slug in SECTIONS]
CSV_URLS = [f"/dashboards/{slug}.csv" for slug in TABLE_SECTIONS]


@pytest.fixture
def manager_client(client: Any, manager: Any) -> Any:
    client.force_login(manager.user)
    return client


def _populate(service: Any, make_staff: Any, add_referral: Any, add_assessment: Any, add_shift: Any, n: int) -> None:
    """N AMHPs, each with a referral, an assessment, a shift and TOIL, all in the default period."""
    now = timezone.now()
    for i in range(n):
        staff = make_staff(
            "amhp", service, warrant_expires_on=date.today() + timedelta(days=30 + i), date_of_birth=date(1967, 1, 1)
        )
        referral = add_referral(
            service,
            now - timedelta(days=2, hours=i),
            legal_status="s136",
            statutory_expires_at=now - timedelta(days=1),
            ethnicity="AMNZ"[i % 4] if i % 4 != 3 else "99",
        )
        add_assessment(
            staff,
            referral=referral,
            allocated_at=referral.received_at + timedelta(hours=1),
            seen_at=referral.received_at + timedelta(hours=3),
            status="completed",
            outcome="detained_s2",
            delay_reasons=["no_bed", "police"],
            application_signed_at=referral.received_at + timedelta(hours=4),
            bed_found_at=referral.received_at + timedelta(hours=9),
            shift_ends_at=referral.received_at + timedelta(hours=2),
            work_ended_at=referral.received_at + timedelta(hours=5),
        )
        add_shift(staff, now - timedelta(days=3), 8)
        ToilEntry.objects.create(staff=staff, service=service, kind="accrual", minutes=30, worked_from=now)


@pytest.mark.parametrize("role", ["amhp", "consultant"])
@pytest.mark.parametrize("url", ["/dashboards/", "/dashboards/demand/", "/dashboards/equality.csv"])
def test_only_managers_may_see_dashboards(client: Any, make_staff: Any, service: Any, role: str, url: str) -> None:
    client.force_login(make_staff(role, service).user)
    assert client.get(url).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client: Any, db: Any) -> None:
    response = client.get("/dashboards/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_unknown_sections_and_tables_are_not_found(manager_client: Any) -> None:
    assert manager_client.get("/dashboards/nonsense/").status_code == 404
    assert manager_client.get("/dashboards/nonsense.csv").status_code == 404


def test_index_lists_every_section_with_the_period(manager_client: Any) -> None:
    response = manager_client.get("/dashboards/?from=2026-01-01&to=2026-01-31")
    assert response.status_code == 200
    page = response.content.decode()
    for slug in SECTIONS:
        assert f"/dashboards/{slug}/?from=2026-01-01&amp;to=2026-01-31" in page


@pytest.mark.parametrize("url", SECTION_URLS)
def test_every_chart_is_an_image_with_a_name_followed_by_its_table_and_csv_link(manager_client: Any, url: str,
    service: Any, make_staff: Any, add_referral: Any, add_assessment: Any, add_shift: Any) -> None:  # fmt: skip
    _populate(service, make_staff, add_referral, add_assessment, add_shift, 2)
    response = manager_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>" not in page.split("<main")[1].split("</main>")[0]  # no inline scripts in the content
    for table in response.context["report"].tables:
        if table.chart:
            canvas = page.index(f'id="canvas-{table.slug}"')
            assert 'role="img"' in page[canvas - 80 : canvas + 200]
            assert f'aria-label="{table.chart.label}"' in page
            assert page.index(f'id="table-{table.slug}"') > canvas
            assert f'<script id="chart-{table.slug}" type="application/json">' in page
        assert f"/dashboards/{table.slug}.csv?from=" in page
        assert f'<caption class="govuk-table__caption govuk-visually-hidden">{table.caption}</caption>' in page


@pytest.mark.parametrize("url", [*SECTION_URLS, *CSV_URLS, "/dashboards/"])
def test_each_page_and_csv_runs_the_same_number_of_queries_for_few_or_many_rows(
    manager_client: Any, service: Any, make_staff: Any, add_referral: Any, add_assessment: Any, add_shift: Any,
    url: str,
) -> None:  # fmt: skip
    _populate(service, make_staff, add_referral, add_assessment, add_shift, 1)
    with CaptureQueriesContext(connection) as few:
        assert manager_client.get(url).status_code == 200
    _populate(service, make_staff, add_referral, add_assessment, add_shift, 6)
    with CaptureQueriesContext(connection) as many:
        assert manager_client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert len(few) <= 10


def test_another_services_data_is_never_counted(
    client: Any, service: Any, other_service: Any, make_staff: Any, add_referral: Any, add_assessment: Any,
    add_shift: Any,
) -> None:  # fmt: skip
    _populate(other_service, make_staff, add_referral, add_assessment, add_shift, 3)
    client.force_login(make_staff("manager", service).user)
    for slug in TABLE_SECTIONS:
        rows = list(csv.reader(io.StringIO(client.get(f"/dashboards/{slug}.csv").content.decode())))[1:]
        cells = [cell for row in rows for cell in row[1:]]
        assert not any(cell.startswith("fewer than") for cell in cells), (slug, rows)  # a suppressed count is one
        numbers = [cell for cell in cells if cell.replace(".", "", 1).isdigit() and cell not in ("0", "0.0")]
        populations = {"432000", "84000", "42000", "24000", "18000"}
        assert not set(numbers) - populations, (slug, rows)


def test_csv_is_an_attachment_with_headers_and_quoted_values(
    manager_client: Any, service: Any, make_staff: Any, add_referral: Any, add_assessment: Any, add_shift: Any
) -> None:
    _populate(service, make_staff, add_referral, add_assessment, add_shift, 2)
    today = timezone.now().astimezone(LONDON).date()
    response = manager_client.get(f"/dashboards/breaches.csv?from={today - timedelta(days=6)}&to={today}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="breaches-{today - timedelta(days=6)}-to-{today}.csv"'
    )
    text = response.content.decode()
    assert text.splitlines()[1] == '"Section 136 (police, place of safety)",2,0,0'
    assert list(csv.reader(io.StringIO(text))) == [
        ["Legal situation", "With a time limit", "Held past the limit", "Still held past it"],
        ["Section 136 (police, place of safety)", "2", "0", "0"],
    ]


def test_csv_guards_text_against_spreadsheet_formulas(manager_client: Any, service: Any, make_staff: Any) -> None:
    make_staff("amhp", service, first_name="=HYPERLINK(1)", last_name="X")
    rows = list(csv.reader(io.StringIO(manager_client.get("/dashboards/toil.csv").content.decode())))
    assert rows[1][0] == "'=HYPERLINK(1) X"


def test_workforce_csv_lists_warrants_ending_soon_with_iso_dates(
    manager_client: Any, service: Any, make_staff: Any
) -> None:
    soon = timezone.now().astimezone(LONDON).date() + timedelta(days=10)
    make_staff("amhp", service, first_name="Ann", last_name="Able", warrant_expires_on=soon)
    rows = list(csv.reader(io.StringIO(manager_client.get("/dashboards/warrants-expiring.csv").content.decode())))
    assert rows == [["AMHP", "Warrant ends"], ["Ann Able", soon.isoformat()]]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=not-a-date", "Enter the start date as a real date"),
        ("to=2026-02-30", "Enter the end date as a real date"),
        ("from=2026-03-01&to=2026-01-01", "The start date must be on or before the end date"),
        ("from=2020-01-01&to=2026-01-01", "Choose a period of 3 years or less"),
    ],
)
def test_a_bad_period_gives_400_with_a_clear_message(manager_client: Any, query: str, message: str) -> None:
    page = manager_client.get(f"/dashboards/demand/?{query}")
    assert page.status_code == 400
    assert "There is a problem" in page.content.decode()
    assert message in page.content.decode()
    assert manager_client.get(f"/dashboards/?{query}").status_code == 400
    download = manager_client.get(f"/dashboards/demand-by-hour.csv?{query}")
    assert download.status_code == 400
    assert message in download.content.decode()


def test_the_period_defaults_to_the_last_90_days(manager_client: Any) -> None:
    response = manager_client.get("/dashboards/waits/")
    period = response.context["period"]
    assert period.last == timezone.now().astimezone(LONDON).date()
    assert period.days == 90
