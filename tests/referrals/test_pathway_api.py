"""The detention pathway API (DESIGN.md section 8): deadlines, legal status history, s136B extensions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from referrals.models import DetentionExtension, Referral
from rota.models import Service, StaffProfile

pytestmark = pytest.mark.django_db


def url(referral: Referral, tail: str) -> str:
    return f"/api/v1/referrals/{referral.pk}/{tail}/"


@pytest.fixture
def s136(make_referral: Callable[..., Referral], service: Service, consultant: StaffProfile) -> Referral:
    return make_referral(
        service,
        consultant.user,
        legal_status="s136",
        legal_power_started_at=timezone.now() - timedelta(hours=2),
        place_of_safety_type="health_based",
    )


def test_deadlines_lists_the_s136_detention_with_rule_provision_and_state(
    consultant_api: APIClient, s136: Referral
) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = consultant_api.get(url(s136, "deadlines"))
    assert response.status_code == 200
    body = response.json()
    assert [set(d) for d in body] == [{"rule", "provision", "due_at", "state", "met_at"}]
    assert body[0]["rule"] == "detention_s136"
    assert body[0]["provision"] == "s136(2A)"
    assert body[0]["state"] == "running"
    assert body[0]["met_at"] is None
    # 24 h from the recorded arrival.
    assert s136.legal_power_started_at is not None
    assert body[0]["due_at"] == (s136.legal_power_started_at + timedelta(hours=24)).isoformat().replace("+00:00", "Z")
    assert len(queries) <= 8


def test_legal_status_history_starts_with_what_the_referral_recorded(consultant_api: APIClient, s136: Referral) -> None:
    body = consultant_api.get(url(s136, "legal-status")).json()
    assert [(e["legal_status"], e["change"]) for e in body] == [("s136", "recorded")]


def test_s5_4_then_s5_2_counts_72_hours_from_the_s5_4_record(
    consultant_api: APIClient, make_referral: Callable[..., Referral], service: Service, consultant: StaffProfile
) -> None:
    nurse = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    referral = make_referral(service, consultant.user, legal_status="s5_4", legal_power_started_at=nurse)
    doctor = nurse + timedelta(hours=2)
    response = consultant_api.post(
        url(referral, "legal-status"),
        {"legal_status": "s5_2", "started_at": doctor.isoformat(), "reason": "Doctor's report furnished"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    deadlines = {d["rule"]: d for d in consultant_api.get(url(referral, "deadlines")).json()}
    assert deadlines["holding_s5_4"]["state"] == "met"
    # s5(5): 72 h from the nurse's record, not from the doctor's report.
    referral.refresh_from_db()
    assert referral.statutory_expires_at == nurse + timedelta(hours=72)
    assert referral.deadline_rule == "holding_s5_2"


def test_a_change_the_act_does_not_allow_is_400_with_its_provision(consultant_api: APIClient, s136: Referral) -> None:
    response = consultant_api.post(
        url(s136, "legal-status"),
        {"legal_status": "s3", "change": "revoked", "started_at": timezone.now().isoformat(), "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["provision"] == "s17F(4)"
    assert body["errors"][0]["field"] == "legal_status"
    assert "legal_status" in body


def test_cto_recall_then_revocation_moves_the_deadline_then_meets_it(
    consultant_api: APIClient, make_referral: Callable[..., Referral], service: Service, consultant: StaffProfile
) -> None:
    referral = make_referral(service, consultant.user, legal_status="community")
    recalled = timezone.now().replace(microsecond=0) - timedelta(hours=5)
    response = consultant_api.post(
        url(referral, "legal-status"),
        {"legal_status": "cto_recall", "started_at": recalled.isoformat(), "reason": "Recalled by the RC (s17E)"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    referral.refresh_from_db()
    assert (referral.deadline_rule, referral.statutory_expires_at) == (
        "cto_recall_s17e",
        recalled + timedelta(hours=72),
    )
    response = consultant_api.post(
        url(referral, "legal-status"),
        {
            "legal_status": "s3",
            "change": "revoked",
            "started_at": timezone.now().isoformat(),
            "reason": "AMHP agrees to revocation",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    recall = next(d for d in consultant_api.get(url(referral, "deadlines")).json() if d["rule"] == "cto_recall_s17e")
    assert recall["state"] == "met"
    history = consultant_api.get(url(referral, "legal-status")).json()
    assert [(e["legal_status"], e["change"]) for e in history] == [
        ("community", "recorded"),
        ("cto_recall", "changed"),
        ("s3", "revoked"),
    ]


def test_s136b_uses_the_doctors_authorisation_time_not_the_time_it_was_typed(
    consultant_api: APIClient, make_referral: Callable[..., Referral], service: Service, consultant: StaffProfile
) -> None:
    arrived = timezone.now() - timedelta(hours=25)
    referral = make_referral(
        service, consultant.user, legal_status="s136", legal_power_started_at=arrived, place_of_safety_type="ward"
    )
    authorised = arrived + timedelta(hours=23)  # before the 24 h ran out, typed 2 h later
    response = consultant_api.post(
        url(referral, "extend"),
        {
            "hours": 12,
            "authorised_at": authorised.isoformat(),
            "authorised_by": "Dr Okafor",
            "reason": "Too intoxicated to be assessed",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["statutory_expires_at"].startswith((arrived + timedelta(hours=36)).strftime("%Y-%m-%dT%H"))
    extension = DetentionExtension.objects.get(referral=referral)
    assert (extension.authorised_at, extension.authorised_by) == (authorised, "Dr Okafor")


def test_s136b_authorised_after_24_hours_is_refused_with_the_provision(
    consultant_api: APIClient, make_referral: Callable[..., Referral], service: Service, consultant: StaffProfile
) -> None:
    arrived = timezone.now() - timedelta(hours=25)
    referral = make_referral(service, consultant.user, legal_status="s136", legal_power_started_at=arrived)
    response = consultant_api.post(
        url(referral, "extend"), {"hours": 6, "authorised_by": "Dr Okafor", "reason": "Intoxicated"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["provision"] == "s136B"


def test_s136b_at_a_police_station_needs_a_superintendent(
    consultant_api: APIClient, make_referral: Callable[..., Referral], service: Service, consultant: StaffProfile
) -> None:
    referral = make_referral(
        service,
        consultant.user,
        legal_status="s136",
        legal_power_started_at=timezone.now() - timedelta(hours=3),
        place_of_safety_type="police_station",
    )
    body = {"hours": 6, "authorised_by": "Dr Okafor", "reason": "Intoxicated"}
    refused = consultant_api.post(url(referral, "extend"), body, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0] == {
        "provision": "s136B",
        "field": "superintendent_approved",
        "message": "At a police station a superintendent must approve the extension",
    }
    allowed = consultant_api.post(url(referral, "extend"), {**body, "superintendent_approved": True}, format="json")
    assert allowed.status_code == 200, allowed.json()


def test_s135_2_retaking_warrant_cannot_be_extended(
    consultant_api: APIClient, make_referral: Callable[..., Referral], service: Service, consultant: StaffProfile
) -> None:
    referral = make_referral(
        service, consultant.user, legal_status="s135_2", legal_power_started_at=timezone.now() - timedelta(hours=1)
    )
    response = consultant_api.post(
        url(referral, "extend"), {"hours": 6, "authorised_by": "Dr Okafor", "reason": "Intoxicated"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["provision"] == "s136B"
    deadlines = consultant_api.get(url(referral, "deadlines")).json()
    assert [(d["rule"], d["state"]) for d in deadlines] == [("detention_s135", "not_applicable")]


def test_admitting_a_referral_without_an_application_is_a_409(consultant_api: APIClient, s136: Referral) -> None:
    response = consultant_api.post(url(s136, "admit"), {"admitted_at": timezone.now().isoformat()}, format="json")
    assert response.status_code == 409
    assert "cannot become admitted" in response.json()["detail"]
