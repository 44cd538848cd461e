"""Rota pages: each role sees what it may; only managers change the rota."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rota import services
from rota.models import CalendarToken, Leave, Shift, SwapRequest

pytestmark = pytest.mark.django_db

READ_PAGES = ["/rota/", "/rota/on-duty/", "/rota/leave/", "/rota/swaps/"]


def _monday_next_week() -> Any:
    today = timezone.localdate()
    return today - timedelta(days=today.weekday()) + timedelta(days=7)


@pytest.mark.parametrize("who", ["consultant", "amhp", "manager"])
@pytest.mark.parametrize("url", READ_PAGES)
def test_every_role_can_read_the_rota_pages(
    logged_in_client: Any, request: Any, shift_types: Any, who: str, url: str
) -> None:
    response = logged_in_client(request.getfixturevalue(who)).get(url)
    assert response.status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client: Any) -> None:
    response = client.get("/rota/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("who", ["consultant", "manager"])
def test_the_duty_frequency_page_is_for_managers_and_consultants(logged_in_client: Any, request: Any, who: str) -> None:
    assert logged_in_client(request.getfixturevalue(who)).get("/rota/frequency/").status_code == 200


def test_amhps_may_not_see_the_duty_frequency_page(logged_in_client: Any, amhp: Any) -> None:
    assert logged_in_client(amhp).get("/rota/frequency/").status_code == 403


def test_the_frequency_page_shows_hours_and_the_balance_score(
    logged_in_client: Any, manager: Any, place: Any, amhp: Any
) -> None:
    place(amhp, "late", timezone.localdate() - timedelta(days=1))
    response = logged_in_client(manager).get("/rota/frequency/")
    assert amhp.display_name in response.content.decode()
    assert 'id="balance-score"' in response.content.decode()
    bad = logged_in_client(manager).get("/rota/frequency/", {"start": "2026-05-10", "end": "2026-05-01"})
    assert bad.status_code == 400


def test_the_week_shows_amhps_gaps_and_bank_holidays(
    logged_in_client: Any, manager: Any, place: Any, amhp: Any
) -> None:
    place(amhp, "late", timezone.localdate().replace(year=2030, month=12, day=23))
    response = logged_in_client(manager).get("/rota/", {"week": "2030-12-25"})  # Monday 23 December 2030
    html = response.content.decode()
    assert "Week of Mon 23 Dec" in html
    assert html.count("Bank holiday") == 2  # Christmas Day and Boxing Day
    assert amhp.display_name in html
    assert "Gap: 0 of 1" in html
    assert "Place an AMHP on a shift" in html


@pytest.mark.parametrize("who", ["consultant", "amhp"])
def test_only_managers_see_the_rota_forms(logged_in_client: Any, request: Any, shift_types: Any, who: str) -> None:
    html = logged_in_client(request.getfixturevalue(who)).get("/rota/").content.decode()
    assert "Place an AMHP on a shift" not in html


@pytest.mark.parametrize("who", ["consultant", "amhp"])
def test_only_managers_may_change_the_rota(
    logged_in_client: Any, request: Any, amhp: Any, shift_types: Any, place: Any, who: str
) -> None:
    shift = place(amhp, "late", _monday_next_week())
    client = logged_in_client(request.getfixturevalue(who))
    day = _monday_next_week().isoformat()
    posts = [
        ("/rota/shifts/", {"place-staff": amhp.pk, "place-shift_type": shift_types["day"].pk, "place-day": day}),
        (f"/rota/shifts/{shift.pk}/cancel/", {}),
        ("/rota/patterns/", {"action": "apply", "apply-start": day, "apply-end": day}),
        ("/rota/leave/", {"staff": amhp.pk, "kind": "annual", "starts_at": f"{day}T00:00", "ends_at": f"{day}T23:00"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert client.get("/rota/patterns/").status_code == 403
    assert Shift.objects.filter(cancelled_at__isnull=True).count() == 1
    assert not Leave.objects.exists()


def test_a_manager_places_an_amhp_through_the_week_page(
    logged_in_client: Any, manager: Any, amhp: Any, shift_types: Any
) -> None:
    client = logged_in_client(manager)
    day = _monday_next_week()
    data = {"place-staff": amhp.pk, "place-shift_type": shift_types["late"].pk, "place-day": day.isoformat()}
    response = client.post("/rota/shifts/", data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?week={day.isoformat()}")
    assert Shift.objects.get().staff == amhp
    again = client.post("/rota/shifts/", data)
    assert again.status_code == 400
    assert "already on the Late shift" in again.content.decode()
    missing = client.post("/rota/shifts/", {"place-day": "not a date"})
    assert missing.status_code == 400
    assert "Choose an AMHP" in missing.content.decode()


def test_a_manager_cancels_a_future_shift_from_the_week_page(
    logged_in_client: Any, manager: Any, amhp: Any, place: Any
) -> None:
    shift = place(amhp, "late", _monday_next_week())
    response = logged_in_client(manager).post(f"/rota/shifts/{shift.pk}/cancel/")
    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.cancelled_at is not None


def test_a_manager_cannot_reach_another_services_shift(
    logged_in_client: Any, make_staff: Any, other_service: Any, amhp: Any, place: Any
) -> None:
    shift = place(amhp, "late", _monday_next_week())
    outsider = make_staff("manager", other_service)
    assert logged_in_client(outsider).post(f"/rota/shifts/{shift.pk}/cancel/").status_code == 404


def test_a_manager_creates_and_applies_a_pattern(
    logged_in_client: Any, manager: Any, amhp: Any, shift_types: Any
) -> None:
    client = logged_in_client(manager)
    day = _monday_next_week()
    response = client.post(
        "/rota/patterns/",
        {
            "action": "create",
            "pattern-staff": amhp.pk,
            "pattern-name": "Lates",
            "pattern-cycle": "late, off",
            "pattern-starts_on": day.isoformat(),
        },
    )
    assert response.status_code == 302
    end = (day + timedelta(days=3)).isoformat()
    response = client.post("/rota/patterns/", {"action": "apply", "apply-start": day.isoformat(), "apply-end": end})
    assert response.status_code == 302
    assert sorted(s.day for s in Shift.objects.all()) == [day, day + timedelta(days=2)]
    bad = client.post("/rota/patterns/", {"action": "create", "pattern-staff": amhp.pk, "pattern-cycle": "moon"})
    assert bad.status_code == 400


def test_the_week_page_takes_a_constant_number_of_queries(
    logged_in_client: Any, manager: Any, make_staff: Any, service: Any, place: Any
) -> None:
    client = logged_in_client(manager)
    day = _monday_next_week()
    place(make_staff("amhp", service), "late", day)
    with CaptureQueriesContext(connection) as few:
        client.get("/rota/", {"week": day.isoformat()})
    for i in range(10):
        place(make_staff("amhp", service), ["late", "night", "early"][i % 3], day + timedelta(days=i % 7))
    with CaptureQueriesContext(connection) as many:
        response = client.get("/rota/", {"week": day.isoformat()})
    assert response.status_code == 200
    assert len(many) == len(few)


def test_managers_record_leave_and_amhps_see_only_their_own(
    logged_in_client: Any, manager: Any, amhp: Any, make_staff: Any, service: Any
) -> None:
    other = make_staff("amhp", service, first_name="Other", last_name="Person")
    day = _monday_next_week().isoformat()
    client = logged_in_client(manager)
    for person in (amhp, other):
        response = client.post(
            "/rota/leave/",
            {"staff": person.pk, "kind": "annual", "starts_at": f"{day}T00:00", "ends_at": f"{day}T23:59"},
        )
        assert response.status_code == 302
    bad = client.post(
        "/rota/leave/", {"staff": amhp.pk, "kind": "annual", "starts_at": f"{day}T10:00", "ends_at": f"{day}T09:00"}
    )
    assert bad.status_code == 400
    assert Leave.objects.count() == 2
    html = logged_in_client(amhp).get("/rota/leave/").content.decode()
    assert amhp.display_name in html and "Other Person" not in html


def test_an_amhp_requests_a_swap_and_a_manager_approves_it(
    logged_in_client: Any, manager: Any, amhp: Any, make_staff: Any, service: Any, place: Any
) -> None:
    colleague = make_staff("amhp", service, first_name="Cal", last_name="League")
    shift = place(amhp, "late", _monday_next_week())
    response = logged_in_client(amhp).post(
        "/rota/swaps/", {"shift": shift.pk, "proposed_staff": colleague.pk, "reason": "Dentist"}
    )
    assert response.status_code == 302
    swap = SwapRequest.objects.get()
    assert logged_in_client(amhp).post(f"/rota/swaps/{swap.pk}/decide/", {"decision": "approve"}).status_code == 403
    manager_client = logged_in_client(manager)
    assert "Dentist" in manager_client.get("/rota/swaps/").content.decode()
    manager_client.post(f"/rota/swaps/{swap.pk}/decide/", {"decision": "approve", "note": "OK"})
    swap.refresh_from_db()
    assert swap.status == "approved"
    assert Shift.objects.get(cancelled_at__isnull=True).staff == colleague


def test_a_manager_rejects_a_swap_with_a_note(
    logged_in_client: Any, manager: Any, amhp: Any, make_staff: Any, service: Any, place: Any
) -> None:
    colleague = make_staff("amhp", service)
    shift = place(amhp, "late", _monday_next_week())
    swap = services.swap_request_create(actor=amhp.user, shift=shift, proposed_staff=colleague, reason="x")
    client = logged_in_client(manager)
    client.post(f"/rota/swaps/{swap.pk}/decide/", {"decision": "reject", "note": ""})
    swap.refresh_from_db()
    assert swap.status == "open"  # a rejection needs a note
    client.post(f"/rota/swaps/{swap.pk}/decide/", {"decision": "reject", "note": "Short of nights"})
    swap.refresh_from_db()
    assert swap.status == "rejected"


def test_managers_and_consultants_cannot_request_swaps(logged_in_client: Any, manager: Any, consultant: Any) -> None:
    for who in (manager, consultant):
        assert logged_in_client(who).post("/rota/swaps/", {"reason": "x"}).status_code == 403


def test_my_rota_shows_shifts_and_manages_the_feed(logged_in_client: Any, amhp: Any, place: Any) -> None:
    place(amhp, "late", timezone.localdate() + timedelta(days=1))
    client = logged_in_client(amhp)
    html = client.get("/rota/mine/").content.decode()
    assert "Late" in html and "You have no calendar feed" in html
    client.post("/rota/mine/calendar-token/", {"action": "issue"})
    token = CalendarToken.objects.get(staff=amhp, revoked_at__isnull=True)
    html = client.get("/rota/mine/").content.decode()
    assert f"/rota/calendar/{token.token}.ics" in html
    client.post("/rota/mine/calendar-token/", {"action": "revoke"})
    assert not CalendarToken.objects.filter(staff=amhp, revoked_at__isnull=True).exists()


@pytest.mark.parametrize("who", ["consultant", "manager"])
def test_my_rota_is_for_amhps(logged_in_client: Any, request: Any, who: str) -> None:
    client = logged_in_client(request.getfixturevalue(who))
    assert client.get("/rota/mine/").status_code == 403
    assert client.post("/rota/mine/calendar-token/", {"action": "issue"}).status_code == 403


def test_on_duty_page_lists_who_is_on_now(
    logged_in_client: Any, consultant: Any, amhp: Any, manager: Any, shift_types: Any
) -> None:
    now = timezone.now()
    Shift.objects.create(
        service=amhp.service,
        shift_type=shift_types["day"],
        staff=amhp,
        day=timezone.localdate(),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
    )
    html = logged_in_client(consultant).get("/rota/on-duty/").content.decode()
    assert amhp.display_name in html
    assert "1 AMHP on duty" in html


def test_an_unreadable_week_shows_this_week_with_a_message(logged_in_client: Any, manager: Any) -> None:
    response = logged_in_client(manager).get("/rota/", {"week": "next tuesday"})
    assert response.status_code == 200
    assert "could not be read" in response.content.decode()


def test_managers_see_working_time_warnings_above_the_week(
    logged_in_client: Any, manager: Any, amhp: Any, place: Any, consultant: Any
) -> None:
    monday = _monday_next_week()
    place(amhp, "night", monday)
    place(amhp, "late", monday + timedelta(days=1))  # 3 hours after the night ends
    html = logged_in_client(manager).get("/rota/", {"week": monday.isoformat()}).content.decode()
    assert "Working time warnings (1)" in html
    assert "Only 3 h rest" in html
    assert html.index("Working time warnings") < html.index('id="rota-table"')
    assert (
        "Working time warnings"
        not in logged_in_client(consultant).get("/rota/", {"week": monday.isoformat()}).content.decode()
    )
