"""Referral pages: intake form, drafts, detail, triage and who may see what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from amhp_hub.common.models import AuditEvent
from referrals.models import Referral

pytestmark = pytest.mark.django_db


def form_data(**overrides: Any) -> dict[str, Any]:
    started = timezone.localtime(timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "nhs_number": "943 476 5919",
        "given_name": "Sam",
        "family_name": "Rivers",
        "sex": "male",
        "ethnicity": "A",
        "legal_status": "s5_2",
        "legal_power_started_at": started,
        "reason": "Wants to leave the ward; doctor's report furnished.",
        "action": "submit",
    }
    data.update(overrides)
    return data


def test_new_referral_goes_to_its_page_and_the_queue(client: Any, consultant: Any) -> None:
    client.force_login(consultant.user)
    response = client.post("/referrals/new/", form_data())
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/{referral.pk}/"
    assert referral.status == "new"
    assert referral.statutory_expires_at is not None and referral.legal_power_started_at is not None
    assert referral.statutory_expires_at - referral.legal_power_started_at == timedelta(hours=72)
    page = client.get(response["Location"]).content.decode()
    assert "Sam Rivers" in page
    assert "943 476 5919" in page
    assert "Sam Rivers" in client.get("/queue/").content.decode()


def test_invalid_submission_keeps_what_was_typed_and_says_what_is_wrong(client: Any, consultant: Any) -> None:
    client.force_login(consultant.user)
    response = client.post(
        "/referrals/new/",
        form_data(nhs_number="1234567890", legal_power_started_at="", risk_notes="Knife seen last week"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "check digit" in page
    assert "Enter when the legal power started" in page
    assert 'value="1234567890"' in page
    assert "Knife seen last week" in page
    assert "Wants to leave the ward" in page
    assert Referral.objects.count() == 0


def test_nonsense_date_is_a_clear_error(client: Any, consultant: Any) -> None:
    client.force_login(consultant.user)
    response = client.post("/referrals/new/", form_data(legal_power_started_at="yesterday-ish"))
    assert response.status_code == 400
    assert "as a real date and time" in response.content.decode()


def test_draft_saves_incomplete_work_and_can_be_submitted_later(client: Any, consultant: Any) -> None:
    client.force_login(consultant.user)
    response = client.post(
        "/referrals/new/", {"given_name": "Kim", "sex": "not_known", "ethnicity": "99", "action": "draft"}
    )
    draft = Referral.objects.get()
    assert response.status_code == 302
    assert draft.status == "draft"
    assert "Kim" not in client.get("/queue/").content.decode()
    # Submitting from the edit page with the rest filled in puts it in the queue.
    response = client.post(f"/referrals/{draft.pk}/edit/", form_data(given_name="Kim", family_name="Lee"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "new"
    assert "Kim Lee" in client.get("/queue/").content.decode()


def test_detail_page_view_is_audited(client: Any, consultant: Any, make_referral: Any, service: Any) -> None:
    referral = make_referral(service, consultant.user)
    client.force_login(consultant.user)
    assert client.get(f"/referrals/{referral.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="view", object_id=str(referral.pk), actor=consultant.user).count() == 1


def test_triage_from_the_page_needs_a_reason_and_then_records_it(
    client: Any, consultant: Any, make_referral: Any, service: Any
) -> None:
    referral = make_referral(service, consultant.user)
    client.force_login(consultant.user)
    response = client.post(f"/referrals/{referral.pk}/triage/", {"decision": "accept", "reason": ""})
    assert response.status_code == 400
    assert "Enter the reason for this decision" in response.content.decode()
    response = client.post(
        f"/referrals/{referral.pk}/triage/", {"decision": "accept", "priority": "urgent", "reason": "Risk rising"}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.priority) == ("accepted", "urgent")
    assert "Risk rising" in client.get(f"/referrals/{referral.pk}/").content.decode()


def test_amhp_may_not_use_the_queue_intake_or_triage(
    client: Any, amhp: Any, consultant: Any, make_referral: Any, service: Any
) -> None:
    referral = make_referral(service, consultant.user)
    client.force_login(amhp.user)
    assert client.get("/queue/").status_code == 403
    assert client.get("/referrals/new/").status_code == 403
    assert client.post(f"/referrals/{referral.pk}/triage/", {"decision": "close", "reason": "x"}).status_code == 403
    # Not allocated to them: they cannot see it at all.
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404


def test_another_services_referral_is_not_found_on_pages(
    client: Any, make_staff: Any, other_service: Any, consultant: Any, make_referral: Any, service: Any
) -> None:
    referral = make_referral(service, consultant.user)
    client.force_login(make_staff("consultant", other_service).user)
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404
    assert client.get(f"/referrals/{referral.pk}/edit/").status_code == 404
    assert client.post(f"/referrals/{referral.pk}/triage/", {"decision": "close", "reason": "x"}).status_code == 404
    assert "Alex Example" not in client.get("/queue/").content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client: Any) -> None:
    response = client.get("/queue/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_htmx_refresh_returns_just_the_queue(client: Any, consultant: Any, make_referral: Any, service: Any) -> None:
    make_referral(service, consultant.user)
    client.force_login(consultant.user)
    page = client.get("/queue/", HTTP_HX_REQUEST="true").content.decode()
    assert page.lstrip().startswith('<div id="queue"')
    assert "<html" not in page


def test_extension_form_on_the_referral_page(client: Any, consultant: Any, make_referral: Any, service: Any) -> None:
    referral = make_referral(
        service, consultant.user, legal_status="s136", legal_power_started_at=timezone.now() - timedelta(hours=3)
    )
    client.force_login(consultant.user)
    assert "Record an s136B extension" in client.get(f"/referrals/{referral.pk}/").content.decode()
    response = client.post(
        f"/referrals/{referral.pk}/extend/", {"hours": "20", "authorised_by": "Dr A", "reason": "Unconscious"}
    )
    assert response.status_code == 400
    assert "from 1 to 12" in response.content.decode()
    response = client.post(
        f"/referrals/{referral.pk}/extend/", {"hours": "4", "authorised_by": "Dr A", "reason": "Unconscious"}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.extension_hours == 4


def test_failed_sign_in_says_what_to_do(client: Any, consultant: Any) -> None:
    response = client.post("/login/", {"username": consultant.user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Enter a correct username and password" in response.content.decode()
    response = client.post("/login/", {"username": "", "password": ""})
    assert "Enter your username" in response.content.decode()


def test_each_role_lands_where_its_work_starts(client: Any, consultant: Any, amhp: Any, manager: Any) -> None:
    for profile, place in ((consultant, "/queue/"), (manager, "/queue/"), (amhp, "/my/allocations/")):
        client.force_login(profile.user)
        assert client.get("/")["Location"] == place
