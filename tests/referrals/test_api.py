"""The referral API contract (DESIGN.md section 5): intake, errors, triage, permissions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from amhp_hub.common.models import AuditEvent
from referrals.models import Person, Referral, TriageRecord

pytestmark = pytest.mark.django_db


def s136_payload(**overrides: Any) -> dict[str, Any]:
    started = timezone.now() - timedelta(hours=2)
    payload: dict[str, Any] = {
        "legal_status": "s136",
        "legal_power_started_at": started.isoformat(),
        "location": "Place of safety, Oak suite",
        "reason": "Found on a bridge parapet, distressed.",
        "referrer_name": "PS Khan",
        "referrer_organisation": "Police",
        "person": {
            "nhs_number": "943 476 5919",
            "given_name": "Sam",
            "family_name": "Rivers",
            "date_of_birth": "1990-04-01",
            "ethnicity": "M",
        },
    }
    payload.update(overrides)
    return payload


def test_token_endpoint_gives_a_token_that_authenticates(consultant: Any, otp_for: Any) -> None:
    from tests.conftest import PASSWORD

    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/",
        {"username": consultant.user.username, "password": PASSWORD, "otp": otp_for(consultant)},
    )
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/queue/").status_code == 200


def test_unauthenticated_requests_are_refused() -> None:
    assert APIClient().get("/api/v1/queue/").status_code in (401, 403)


def test_create_s136_referral_computes_clock_and_due_time(consultant_api: APIClient) -> None:
    response = consultant_api.post("/api/v1/referrals/", s136_payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "new"
    assert body["priority"] == "emergency"
    assert body["person"]["nhs_number"] == "9434765919"
    started = datetime.fromisoformat(body["legal_power_started_at"])
    expires = datetime.fromisoformat(body["statutory_expires_at"])
    assert expires - started == timedelta(hours=24)
    # Due is the earlier of expiry less the margin and the emergency band's target from receipt.
    received = datetime.fromisoformat(body["received_at"])
    assert datetime.fromisoformat(body["due_at"]) == min(expires - timedelta(hours=2), received + timedelta(hours=2))
    assert body["reference"].startswith("R-")
    for key in ("id", "flags", "received_at"):
        assert key in body
    assert "+" in body["due_at"] or body["due_at"].endswith("Z")


def test_bad_nhs_number_gives_400_with_field_message_and_saves_nothing(consultant_api: APIClient) -> None:
    payload = s136_payload()
    payload["person"]["nhs_number"] = "9434765918"
    response = consultant_api.post("/api/v1/referrals/", payload, format="json")
    assert response.status_code == 400
    assert "check digit" in response.json()["person"]["nhs_number"][0]
    assert Referral.objects.count() == 0
    assert Person.objects.count() == 0


def test_missing_legal_start_for_a_clocked_power_is_a_field_error(consultant_api: APIClient) -> None:
    payload = s136_payload()
    del payload["legal_power_started_at"]
    response = consultant_api.post("/api/v1/referrals/", payload, format="json")
    assert response.status_code == 400
    assert "legal_power_started_at" in response.json()


def test_unknown_legal_status_and_future_start_are_field_errors(consultant_api: APIClient) -> None:
    future = (timezone.now() + timedelta(hours=3)).isoformat()
    response = consultant_api.post(
        "/api/v1/referrals/", s136_payload(legal_status="s999", legal_power_started_at=future), format="json"
    )
    assert response.status_code == 400
    assert "legal_status" in response.json()
    response = consultant_api.post("/api/v1/referrals/", s136_payload(legal_power_started_at=future), format="json")
    assert response.status_code == 400
    assert response.json()["legal_power_started_at"] == ["The date and time must be in the past"]


def test_draft_may_be_incomplete_and_stays_out_of_the_queue(consultant_api: APIClient) -> None:
    response = consultant_api.post(
        "/api/v1/referrals/", {"draft": True, "person": {"given_name": "Kim"}}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "draft"
    assert consultant_api.get("/api/v1/queue/").json()["count"] == 0
    # Submitting it needs the missing details...
    draft_id = response.json()["id"]
    response = consultant_api.patch(f"/api/v1/referrals/{draft_id}/", {"submit": True}, format="json")
    assert response.status_code == 400
    assert {"legal_status", "reason"} <= set(response.json())
    assert response.json()["person"]["family_name"]
    # ...and with them it joins the queue.
    response = consultant_api.patch(
        f"/api/v1/referrals/{draft_id}/",
        {
            "submit": True,
            "legal_status": "community",
            "reason": "Withdrawn, not eating",
            "person": {"family_name": "Lee"},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "new"
    assert consultant_api.get("/api/v1/queue/").json()["count"] == 1


def test_patch_changes_fields_and_recomputes_the_clock(consultant_api: APIClient) -> None:
    created = consultant_api.post("/api/v1/referrals/", s136_payload(), format="json").json()
    started = timezone.now() - timedelta(hours=1)
    response = consultant_api.patch(
        f"/api/v1/referrals/{created['id']}/",
        {"legal_status": "s5_4", "legal_power_started_at": started.isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    expires = datetime.fromisoformat(response.json()["statutory_expires_at"])
    assert abs(expires - (started + timedelta(hours=6))) < timedelta(seconds=1)
    assert AuditEvent.objects.filter(action="update", object_id=created["id"]).exists()


def test_list_filters_by_status_and_priority_and_rejects_unknown_values(
    consultant_api: APIClient, consultant: Any, make_referral: Any, service: Any
) -> None:
    make_referral(
        service, consultant.user, legal_status="s136", legal_power_started_at=timezone.now() - timedelta(hours=1)
    )
    make_referral(service, consultant.user, legal_status="community")
    assert consultant_api.get("/api/v1/referrals/?priority=emergency").json()["count"] == 1
    assert consultant_api.get("/api/v1/referrals/?status=new").json()["count"] == 2
    response = consultant_api.get("/api/v1/referrals/?status=bogus")
    assert response.status_code == 400
    assert "status" in response.json()


def test_triage_accept_records_decision_reason_and_who(
    consultant_api: APIClient, consultant: Any, make_referral: Any, service: Any
) -> None:
    referral = make_referral(service, consultant.user)
    response = consultant_api.post(
        f"/api/v1/referrals/{referral.pk}/triage/",
        {"decision": "accept", "priority": "urgent", "reason": "Escalating risk at home"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["decided_by"] == consultant.user.username
    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert referral.priority == "urgent"
    assert referral.due_at == referral.received_at + timedelta(hours=6)
    record = TriageRecord.objects.get(referral=referral)
    assert (record.decision, record.reason, record.decided_by) == ("accept", "Escalating risk at home", consultant.user)


def test_triage_needs_a_reason(consultant_api: APIClient, consultant: Any, make_referral: Any, service: Any) -> None:
    referral = make_referral(service, consultant.user)
    response = consultant_api.post(
        f"/api/v1/referrals/{referral.pk}/triage/", {"decision": "close", "reason": "  "}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()
    referral.refresh_from_db()
    assert referral.status == "new"


def test_triage_of_a_closed_referral_is_a_conflict(
    consultant_api: APIClient, consultant: Any, make_referral: Any, service: Any
) -> None:
    referral = make_referral(service, consultant.user)
    url = f"/api/v1/referrals/{referral.pk}/triage/"
    assert consultant_api.post(url, {"decision": "redirect", "reason": "Crisis team"}, format="json").status_code == 201
    response = consultant_api.post(url, {"decision": "accept", "reason": "Changed my mind"}, format="json")
    assert response.status_code == 409
    assert "cannot be triaged" in response.json()["detail"]


def test_amhp_cannot_triage(api_client_for: Any, amhp: Any, consultant: Any, make_referral: Any, service: Any) -> None:
    referral = make_referral(service, consultant.user)
    response = api_client_for(amhp).post(
        f"/api/v1/referrals/{referral.pk}/triage/", {"decision": "close", "reason": "no"}, format="json"
    )
    assert response.status_code == 403
    assert api_client_for(amhp).get("/api/v1/queue/").status_code == 403


def test_another_services_referral_is_not_found(
    api_client_for: Any, make_staff: Any, other_service: Any, consultant: Any, make_referral: Any, service: Any
) -> None:
    referral = make_referral(service, consultant.user)
    outsider = api_client_for(make_staff("consultant", other_service))
    assert outsider.get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
    assert outsider.patch(f"/api/v1/referrals/{referral.pk}/", {"reason": "x"}, format="json").status_code == 404
    response = outsider.post(
        f"/api/v1/referrals/{referral.pk}/triage/", {"decision": "close", "reason": "x"}, format="json"
    )
    assert response.status_code == 404
    assert outsider.get("/api/v1/queue/").json()["count"] == 0
    assert outsider.get("/api/v1/referrals/").json()["count"] == 0


def test_amhp_sees_only_referrals_allocated_to_them(
    api_client_for: Any, amhp: Any, consultant: Any, make_referral: Any, service: Any
) -> None:
    from assessments.models import Assessment

    mine = make_referral(service, consultant.user)
    make_referral(service, consultant.user)
    Assessment.objects.create(
        service=service, referral=mine, amhp=amhp, allocated_at=timezone.now(), allocated_by=consultant.user
    )
    client = api_client_for(amhp)
    listed = client.get("/api/v1/referrals/").json()
    assert [r["id"] for r in listed["results"]] == [str(mine.pk)]


def test_viewing_a_referral_is_audited(
    consultant_api: APIClient, consultant: Any, make_referral: Any, service: Any
) -> None:
    referral = make_referral(service, consultant.user)
    consultant_api.get(f"/api/v1/referrals/{referral.pk}/")
    event = AuditEvent.objects.filter(action="view", object_id=str(referral.pk)).get()
    assert (event.actor, event.channel, event.service) == (consultant.user, "api", service)
    consultant_api.get("/api/v1/queue/")
    listed = AuditEvent.objects.filter(action="list").latest("at")
    assert listed.object_ids == [str(referral.pk)]


def test_schema_documents_the_contract(consultant_api: APIClient) -> None:
    response = consultant_api.get("/api/v1/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/api/v1/referrals/", "/api/v1/referrals/{id}/triage/", "/api/v1/queue/"):
        assert path in text


def test_extension_api_moves_the_clock_or_explains_the_refusal(consultant_api: APIClient) -> None:
    created = consultant_api.post("/api/v1/referrals/", s136_payload(), format="json").json()
    url = f"/api/v1/referrals/{created['id']}/extend/"
    response = consultant_api.post(url, {"hours": 6, "authorised_by": "Dr Obi", "reason": "Sedated"}, format="json")
    assert response.status_code == 200, response.json()
    before = datetime.fromisoformat(created["statutory_expires_at"])
    assert datetime.fromisoformat(response.json()["statutory_expires_at"]) - before == timedelta(hours=6)
    response = consultant_api.post(url, {"hours": 7, "authorised_by": "Dr Obi", "reason": "Sedated"}, format="json")
    assert response.status_code == 400
    assert "hours" in response.json()
