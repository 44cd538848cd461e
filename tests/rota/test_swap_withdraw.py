"""An AMHP withdraws their own open swap request; nobody else can, and a decided request stays decided."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from amhp_hub.common.errors import ConflictError
from amhp_hub.common.models import AuditEvent
from rota import services
from rota.models import Shift, SwapRequest

pytestmark = pytest.mark.django_db

FUTURE = date(2031, 6, 2)
NOW = datetime(2031, 5, 1, 12, tzinfo=UTC)


@pytest.fixture
def colleague(make_staff: Any, service: Any) -> Any:
    return make_staff("amhp", service, first_name="Cal", last_name="League")


@pytest.fixture
def swap(place: Any, amhp: Any, colleague: Any) -> SwapRequest:
    shift = place(amhp, "late", FUTURE)
    return services.swap_request_create(
        actor=amhp.user, shift=shift, proposed_staff=colleague, reason="Wedding", now=NOW
    )


def test_withdrawing_an_open_swap_cancels_it_keeps_the_shift_and_audits(swap: SwapRequest, amhp: Any) -> None:
    services.swap_withdraw(swap=swap, actor=amhp.user, now=NOW)
    swap.refresh_from_db()
    assert (swap.status, swap.decided_at) == (SwapRequest.Status.CANCELLED, NOW)
    assert Shift.objects.get(pk=swap.shift_id).cancelled_at is None
    assert Shift.objects.get(pk=swap.shift_id).staff == amhp
    event = AuditEvent.objects.filter(object_type="swaprequest", object_id=str(swap.pk), action="update").get()
    assert event.changes == {"status": ["open", "cancelled"]}


def test_after_withdrawing_the_amhp_may_ask_again(swap: SwapRequest, amhp: Any, colleague: Any) -> None:
    services.swap_withdraw(swap=swap, actor=amhp.user, now=NOW)
    again = services.swap_request_create(
        actor=amhp.user, shift=swap.shift, proposed_staff=colleague, reason="Still the wedding", now=NOW
    )
    assert again.status == SwapRequest.Status.OPEN


def test_only_the_requester_can_withdraw(swap: SwapRequest, colleague: Any, manager: Any) -> None:
    for who in (colleague, manager):
        with pytest.raises(PermissionDenied):
            services.swap_withdraw(swap=swap, actor=who.user, now=NOW)
    swap.refresh_from_db()
    assert swap.status == SwapRequest.Status.OPEN


@pytest.mark.parametrize("decision", ["approve", "reject", "withdraw"])
def test_a_request_that_is_no_longer_open_cannot_be_withdrawn(
    swap: SwapRequest, amhp: Any, manager: Any, decision: str
) -> None:
    if decision == "approve":
        services.swap_approve(actor=manager.user, swap=swap, now=NOW)
    elif decision == "reject":
        services.swap_reject(actor=manager.user, swap=swap, note="No", now=NOW)
    else:
        services.swap_withdraw(swap=swap, actor=amhp.user, now=NOW)
    status = SwapRequest.objects.get(pk=swap.pk).status
    with pytest.raises(ConflictError):
        services.swap_withdraw(swap=swap, actor=amhp.user, now=NOW)
    assert SwapRequest.objects.get(pk=swap.pk).status == status


# --- the swaps page ------------------------------------------------------------------------------------------


def test_the_requester_sees_a_withdraw_button_and_uses_it(logged_in_client: Any, swap: SwapRequest, amhp: Any) -> None:
    client = logged_in_client(amhp)
    url = f"/rota/swaps/{swap.pk}/withdraw/"
    assert f'action="{url}"' in client.get("/rota/swaps/").content.decode()
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1] == ("/rota/swaps/", 302)
    assert "Swap request withdrawn" in response.content.decode()
    assert f'action="{url}"' not in response.content.decode()
    swap.refresh_from_db()
    assert swap.status == SwapRequest.Status.CANCELLED


def test_the_offered_colleague_and_manager_see_no_withdraw_button(
    logged_in_client: Any, swap: SwapRequest, colleague: Any, manager: Any
) -> None:
    for who in (colleague, manager):
        assert "/withdraw/" not in logged_in_client(who).get("/rota/swaps/").content.decode()


def test_withdrawing_twice_shows_an_error_not_a_crash(logged_in_client: Any, swap: SwapRequest, amhp: Any) -> None:
    client = logged_in_client(amhp)
    client.post(f"/rota/swaps/{swap.pk}/withdraw/")
    response = client.post(f"/rota/swaps/{swap.pk}/withdraw/", follow=True)
    assert response.status_code == 200
    assert "already cancelled" in response.content.decode()


def test_other_amhps_get_404_and_managers_and_consultants_403(
    logged_in_client: Any,
    swap: SwapRequest,
    colleague: Any,
    manager: Any,
    consultant: Any,
    make_staff: Any,
    other_service: Any,
) -> None:
    url = f"/rota/swaps/{swap.pk}/withdraw/"
    assert logged_in_client(colleague).post(url).status_code == 404
    assert logged_in_client(make_staff("amhp", other_service)).post(url).status_code == 404
    assert logged_in_client(manager).post(url).status_code == 403
    assert logged_in_client(consultant).post(url).status_code == 403
    swap.refresh_from_db()
    assert swap.status == SwapRequest.Status.OPEN


def test_withdrawing_needs_a_post(logged_in_client: Any, swap: SwapRequest, amhp: Any) -> None:
    assert logged_in_client(amhp).get(f"/rota/swaps/{swap.pk}/withdraw/").status_code == 405
