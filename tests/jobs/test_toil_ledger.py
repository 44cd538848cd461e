"""The TOIL ledger: approval, rejection, time taken, balances, the pages and the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amhp_hub.common.errors import ConflictError
from amhp_hub.common.models import AuditEvent
from assessments import toil_selectors, toil_services
from assessments.models import Notification, ToilEntry
from rota.models import StaffProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry_for() -> Callable[..., ToilEntry]:
    def make(staff: StaffProfile, minutes: int = 60, status: str = "pending", kind: str = "adjustment") -> ToilEntry:
        return ToilEntry.objects.create(staff=staff, service=staff.service, kind=kind, minutes=minutes, status=status)

    return make


def test_a_manager_approves_a_pending_entry_with_an_audit_row_and_a_notice(
    amhp: StaffProfile, manager: StaffProfile, entry_for: Callable[..., ToilEntry]
) -> None:
    entry = entry_for(amhp, 75)

    toil_services.toil_approve(entry_id=entry.pk, actor=manager.user)

    entry.refresh_from_db()
    assert (entry.status, entry.decided_by_id) == ("approved", manager.user_id) and entry.decided_at
    event = AuditEvent.objects.get(action="toil_approve")
    assert event.object_id == str(entry.pk) and event.changes == {"status": ["pending", "approved"]}
    note = Notification.objects.get(recipient=amhp.user)
    assert note.title == "TOIL approved: manager adjustment, 1 hour 15 minutes"
    assert toil_selectors.toil_balance(amhp.pk) == 75


def test_deciding_twice_is_a_conflict(
    amhp: StaffProfile, manager: StaffProfile, entry_for: Callable[..., ToilEntry]
) -> None:
    entry = entry_for(amhp)
    toil_services.toil_reject(entry_id=entry.pk, actor=manager.user, reason="Not agreed in advance")

    with pytest.raises(ConflictError):
        toil_services.toil_approve(entry_id=entry.pk, actor=manager.user)
    entry.refresh_from_db()
    assert (entry.status, entry.note) == ("rejected", "Not agreed in advance")


def test_only_a_manager_of_the_same_service_decides(
    amhp: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    other_service: Any,
    entry_for: Callable[..., ToilEntry],
) -> None:
    entry = entry_for(amhp)
    with pytest.raises(PermissionDenied):
        toil_services.toil_approve(entry_id=entry.pk, actor=amhp.user)
    with pytest.raises(ToilEntry.DoesNotExist):
        toil_services.toil_approve(entry_id=entry.pk, actor=make_staff("manager", other_service).user)
    assert ToilEntry.objects.get().status == "pending"


def test_balance_counts_approved_entries_only(amhp: StaffProfile, entry_for: Callable[..., ToilEntry]) -> None:
    entry_for(amhp, 120, "approved")
    entry_for(amhp, -30, "approved", kind="taken")
    entry_for(amhp, 45, "pending")
    entry_for(amhp, 600, "rejected")

    assert toil_selectors.toil_balance(amhp.pk) == 90


def test_time_taken_is_a_negative_pending_entry_within_what_is_available(
    amhp: StaffProfile, entry_for: Callable[..., ToilEntry]
) -> None:
    entry_for(amhp, 120, "approved")

    taken = toil_services.toil_take(actor=amhp.user, minutes=90, taken_on=date(2026, 3, 2), note="Afternoon off")

    assert (taken.kind, taken.minutes, taken.status) == ("taken", -90, "pending")
    assert toil_selectors.toil_balance(amhp.pk) == 120
    assert toil_selectors.toil_available(amhp.pk) == 30
    with pytest.raises(ValidationError) as exc:
        toil_services.toil_take(actor=amhp.user, minutes=45, taken_on=date(2026, 3, 3))
    assert exc.value.message_dict == {"minutes": ["You have 30 minutes of TOIL available"]}


@pytest.mark.parametrize(("minutes", "message"), [(0, "Enter how much"), (20, "blocks of 15 minutes")])
def test_time_taken_must_be_whole_blocks(amhp: StaffProfile, minutes: int, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        toil_services.toil_take(actor=amhp.user, minutes=minutes, taken_on=date(2026, 3, 3))
    assert message in exc.value.message_dict["minutes"][0]


# --- Pages -----------------------------------------------------------------------------------


def test_an_amhp_sees_their_ledger_and_balance_in_hours_and_minutes(
    logged_in_client: Callable[..., Any], amhp: StaffProfile, entry_for: Callable[..., ToilEntry]
) -> None:
    entry_for(amhp, 450, "approved")
    entry_for(amhp, 15, "pending")

    response = logged_in_client(amhp).get("/toil/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "7 hours 30 minutes" in body and "Awaiting approval" in body
    assert "/approve/" not in body


def test_an_amhp_records_time_off_and_bad_input_comes_back_with_a_message(
    logged_in_client: Callable[..., Any], amhp: StaffProfile, entry_for: Callable[..., ToilEntry]
) -> None:
    entry_for(amhp, 60, "approved")
    client = logged_in_client(amhp)

    bad = client.post("/toil/take/", {"taken_on": "2026-03-02", "hours": "2", "minutes": "0", "note": "Keep me"})
    assert bad.status_code == 400
    assert "You have 1 hour of TOIL available" in bad.content.decode()
    assert 'value="Keep me"' in bad.content.decode()

    good = client.post("/toil/take/", {"taken_on": "2026-03-02", "hours": "0", "minutes": "45"})
    assert good.status_code == 302
    assert ToilEntry.objects.get(kind="taken").minutes == -45


def test_a_manager_sees_pending_entries_and_balances_and_approves(
    logged_in_client: Callable[..., Any],
    manager: StaffProfile,
    amhp: StaffProfile,
    entry_for: Callable[..., ToilEntry],
) -> None:
    entry = entry_for(amhp, 30)
    client = logged_in_client(manager)

    page = client.get("/toil/")
    assert page.status_code == 200 and f"/toil/{entry.pk}/approve/" in page.content.decode()

    assert client.post(f"/toil/{entry.pk}/approve/").status_code == 302
    assert ToilEntry.objects.get().status == "approved"
    again = client.post(f"/toil/{entry.pk}/reject/", follow=True)
    assert "already been approved" in again.content.decode()


def test_the_manager_page_runs_the_same_queries_for_2_amhps_and_for_20(
    logged_in_client: Callable[..., Any],
    manager: StaffProfile,
    service: Any,
    make_staff: Callable[..., StaffProfile],
    entry_for: Callable[..., ToilEntry],
) -> None:
    client = logged_in_client(manager)

    def queries(n: int) -> int:
        for _ in range(n):
            staff = make_staff("amhp", service)
            entry_for(staff, 30)
            entry_for(staff, 60, "approved")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/toil/").status_code == 200
        return len(ctx.captured_queries)

    assert queries(2) == queries(18)


def test_consultants_may_not_see_toil_and_other_services_entries_are_not_found(
    logged_in_client: Callable[..., Any],
    consultant: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    other_service: Any,
    amhp: StaffProfile,
    entry_for: Callable[..., ToilEntry],
    client: Any,
) -> None:
    entry = entry_for(amhp)
    assert logged_in_client(consultant).get("/toil/").status_code == 403
    client.force_login(make_staff("manager", other_service).user)
    assert client.post(f"/toil/{entry.pk}/approve/").status_code == 404
    client.force_login(amhp.user)
    assert client.post(f"/toil/{entry.pk}/approve/").status_code == 403


# --- API --------------------------------------------------------------------------------------


def test_the_api_lists_an_amhps_own_entries_and_a_managers_service(
    api_client_for: Callable[..., Any],
    service: Any,
    other_service: Any,
    amhp: StaffProfile,
    manager: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    entry_for: Callable[..., ToilEntry],
) -> None:
    colleague = make_staff("amhp", service)
    mine = entry_for(amhp, 30)
    theirs = entry_for(colleague, 45, "approved")
    entry_for(make_staff("amhp", other_service), 60)

    own = api_client_for(amhp).get("/api/v1/toil/")
    assert own.status_code == 200
    assert [row["id"] for row in own.json()["results"]] == [mine.pk]

    team = api_client_for(manager).get("/api/v1/toil/")
    assert {row["id"] for row in team.json()["results"]} == {mine.pk, theirs.pk}
    approved = api_client_for(manager).get("/api/v1/toil/?status=approved").json()["results"]
    assert [(row["id"], row["minutes"], row["status"]) for row in approved] == [(theirs.pk, 45, "approved")]
    assert api_client_for(manager).get("/api/v1/toil/?status=lost").status_code == 400


def test_the_api_refuses_consultants_and_lets_only_managers_decide(
    api_client_for: Callable[..., Any],
    consultant: StaffProfile,
    amhp: StaffProfile,
    manager: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    other_service: Any,
    entry_for: Callable[..., ToilEntry],
) -> None:
    entry = entry_for(amhp, 30)
    assert api_client_for(consultant).get("/api/v1/toil/").status_code == 403
    assert api_client_for(amhp).post(f"/api/v1/toil/{entry.pk}/approve/").status_code == 403
    assert (
        api_client_for(make_staff("manager", other_service)).post(f"/api/v1/toil/{entry.pk}/approve/").status_code
        == 404
    )

    rejected = api_client_for(manager).post(f"/api/v1/toil/{entry.pk}/reject/", {"reason": "Not agreed"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert api_client_for(manager).post(f"/api/v1/toil/{entry.pk}/approve/").status_code == 409
    other = entry_for(amhp, 45)
    approved = api_client_for(manager).post(f"/api/v1/toil/{other.pk}/approve/")
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["minutes"]) == ("approved", 45)


def test_the_api_list_runs_the_same_queries_for_few_and_many_entries(
    api_client_for: Callable[..., Any], manager: StaffProfile, amhp: StaffProfile, entry_for: Callable[..., ToilEntry]
) -> None:
    client = api_client_for(manager)

    def queries(n: int) -> int:
        for _ in range(n):
            entry_for(amhp, 15)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/toil/").status_code == 200
        return len(ctx.captured_queries)

    assert queries(2) == queries(30)
