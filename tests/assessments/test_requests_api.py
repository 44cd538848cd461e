"""Requests on a case and their waits: /api/v1/referrals/{id}/requests/ (DESIGN.md section 8)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments.models import CaseRequest
from rota import doctor_services

pytestmark = pytest.mark.django_db


def url(referral: Any, request_id: int | None = None) -> str:
    base = f"/api/v1/referrals/{referral.pk}/requests/"
    return f"{base}{request_id}/" if request_id else base


def test_an_amhp_logs_two_doctor_calls_and_a_bed_request(api_client_for: Any, accepted: Any, consultant: Any) -> None:
    client = api_client_for(accepted.amhp)
    referral = accepted.referral
    doctor = doctor_services.doctor_create(
        service_id=referral.service_id, actor=consultant.user, data={"name": "Dr Okafor", "gmc_number": "7012345"}
    )
    t0 = timezone.now() - timedelta(hours=2)
    first = client.post(
        url(referral), {"kind": "s12_doctor", "requested_at": t0.isoformat(), "to": "Dr Patel", "outcome": "no_answer"}
    )
    assert first.status_code == 201, first.json()
    second = client.post(
        url(referral),
        {"kind": "s12_doctor", "requested_at": (t0 + timedelta(minutes=10)).isoformat(), "doctor": doctor.pk},
        format="json",
    )
    assert second.status_code == 201, second.json()
    assert second.json()["to"] == "Dr Okafor"
    bed = client.post(url(referral), {"kind": "bed", "requested_at": t0.isoformat(), "to": "Bed manager"})
    assert bed.status_code == 201
    listed = client.get(url(referral)).json()
    assert [r["kind"] for r in listed] == ["s12_doctor", "bed", "s12_doctor"]
    assert {r["outcome"] for r in listed} == {"no_answer", "pending"}


def test_patch_records_arrival_and_accepts(api_client_for: Any, accepted: Any) -> None:
    client = api_client_for(accepted.amhp)
    requested = timezone.now() - timedelta(hours=1)
    made = client.post(url(accepted.referral), {"kind": "ambulance", "requested_at": requested.isoformat()}).json()
    arrived = requested + timedelta(minutes=40)
    response = client.patch(url(accepted.referral, made["id"]), {"arrived_at": arrived.isoformat()}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["outcome"] == "accepted"
    assert CaseRequest.objects.get(pk=made["id"]).arrived_at == arrived
    # One request reads back on its own address, with its wait from request to arrival.
    one = client.get(url(accepted.referral, made["id"]))
    assert one.status_code == 200
    assert (one.json()["kind"], one.json()["outcome"]) == ("ambulance", "accepted")


def test_patch_with_arrival_before_request_is_400_and_changes_nothing(api_client_for: Any, accepted: Any) -> None:
    client = api_client_for(accepted.amhp)
    requested = timezone.now() - timedelta(hours=1)
    made = client.post(url(accepted.referral), {"kind": "police", "requested_at": requested.isoformat()}).json()
    response = client.patch(
        url(accepted.referral, made["id"]),
        {"arrived_at": (requested - timedelta(minutes=1)).isoformat(), "outcome": "accepted"},
        format="json",
    )
    assert response.status_code == 400
    assert "arrived_at" in response.json()
    row = CaseRequest.objects.get(pk=made["id"])
    assert row.arrived_at is None and row.outcome == "pending"


def test_unknown_kind_and_future_request_are_400(api_client_for: Any, accepted: Any) -> None:
    client = api_client_for(accepted.amhp)
    assert (
        client.post(url(accepted.referral), {"kind": "taxi", "requested_at": timezone.now().isoformat()}).status_code
        == 400
    )
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    response = client.post(url(accepted.referral), {"kind": "bed", "requested_at": future})
    assert response.status_code == 400 and "requested_at" in response.json()


def test_another_services_doctor_cannot_be_named(
    api_client_for: Any, accepted: Any, other_service: Any, consultant: Any
) -> None:
    elsewhere = doctor_services.doctor_create(
        service_id=other_service.pk, actor=consultant.user, data={"name": "Dr Far", "gmc_number": "7099999"}
    )
    response = api_client_for(accepted.amhp).post(
        url(accepted.referral),
        {"kind": "s12_doctor", "requested_at": timezone.now().isoformat(), "doctor": elsewhere.pk},
        format="json",
    )
    assert response.status_code == 400 and "doctor" in response.json()


def test_someone_elses_referral_is_404(api_client_for: Any, make_staff: Any, service: Any, accepted: Any) -> None:
    stranger = make_staff("amhp", service)
    assert api_client_for(stranger).get(url(accepted.referral)).status_code == 404
