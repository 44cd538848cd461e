"""The manager's TOIL page: a reason is required to reject, filters, pages, bulk approval; TOIL in the menu."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from assessments.models import ToilEntry
from rota.models import StaffProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry_for() -> Callable[..., ToilEntry]:
    def make(staff: StaffProfile, minutes: int = 60, status: str = "pending") -> ToilEntry:
        return ToilEntry.objects.create(
            staff=staff, service=staff.service, kind="adjustment", minutes=minutes, status=status
        )

    return make


def test_rejecting_asks_for_a_reason_and_refuses_a_blank_one(
    logged_in_client: Callable[..., Any], manager: StaffProfile, amhp: StaffProfile, entry_for: Any
) -> None:
    entry = entry_for(amhp, 45)
    client = logged_in_client(manager)
    page = client.get(f"/toil/{entry.pk}/reject/")
    assert page.status_code == 200
    assert "Why are you rejecting this?" in page.content.decode()
    blank = client.post(f"/toil/{entry.pk}/reject/", {"reason": "   "})
    assert blank.status_code == 400
    html = blank.content.decode()
    assert html.index("govuk-error-summary") < html.index("<h1")
    assert "Enter why you are rejecting this TOIL" in html
    entry.refresh_from_db()
    assert entry.status == "pending"
    done = client.post(f"/toil/{entry.pk}/reject/", {"reason": "Claimed twice"}, follow=True)
    entry.refresh_from_db()
    assert (entry.status, entry.note) == ("rejected", "Claimed twice")
    assert "rejected" in done.content.decode()


def test_the_manager_approves_ticked_entries_at_once_and_skips_decided_ones(
    logged_in_client: Callable[..., Any],
    manager: StaffProfile,
    amhp: StaffProfile,
    make_staff: Any,
    other_service: Any,
    entry_for: Any,
) -> None:
    first, second = entry_for(amhp, 30), entry_for(amhp, 45)
    decided = entry_for(amhp, 15, status="rejected")
    elsewhere = entry_for(make_staff("amhp", other_service), 60)
    client = logged_in_client(manager)
    ids = [first.pk, second.pk, decided.pk, elsewhere.pk]
    response = client.post("/toil/approve/", {"entry": ids}, follow=True)
    assert "Approved 2 TOIL entries (1 hour 15 minutes)" in response.content.decode()
    statuses = dict(ToilEntry.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == {first.pk: "approved", second.pk: "approved", decided.pk: "rejected", elsewhere.pk: "pending"}
    assert "Select the TOIL to approve" in client.post("/toil/approve/", {}, follow=True).content.decode()


def test_the_toil_page_filters_pages_and_shows_years(
    logged_in_client: Callable[..., Any], manager: StaffProfile, amhp: StaffProfile, make_staff: Any, entry_for: Any
) -> None:
    other = make_staff("amhp", manager.service, first_name="Zed", last_name="Other")
    for _ in range(55):
        entry_for(amhp, 15)
    entry_for(other, 30, status="approved")
    client = logged_in_client(manager)
    html = client.get("/toil/").content.decode()
    assert html.count('name="entry"') == 50  # a page of pending entries, each with a checkbox
    assert 'class="govuk-pagination"' in html
    assert html.count('name="entry"') == 50
    second = client.get("/toil/?page=2").content.decode()
    assert second.count('name="entry"') == 5
    approved = client.get("/toil/", {"status": "approved"}).content.decode()
    assert "Zed Other" in approved and 'name="entry"' not in approved
    only_other = client.get("/toil/", {"status": "all", "staff": str(other.pk)}).content.decode()
    table = only_other[only_other.index("<table") : only_other.index("Balances")]
    assert "Zed Other" in table and amhp.display_name not in table
    import re

    assert re.search(r"\d{1,2} \w{3} 20\d\d \d\d:\d\d", html)  # dates carry their year


def test_toil_is_in_the_navigation_for_amhps_and_managers_only(
    logged_in_client: Callable[..., Any], manager: StaffProfile, amhp: StaffProfile, consultant: StaffProfile
) -> None:
    for who in (manager, amhp):
        assert 'href="/toil/"' in logged_in_client(who).get("/rota/on-duty/").content.decode()
    assert 'href="/toil/"' not in logged_in_client(consultant).get("/rota/on-duty/").content.decode()
