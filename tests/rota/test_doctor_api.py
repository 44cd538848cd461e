"""The doctor directory API: GET, POST /api/v1/doctors/ (DESIGN.md section 8)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rota import doctor_services
from rota.models import DirectoryDoctor

pytestmark = pytest.mark.django_db

DOCTORS = "/api/v1/doctors/"
ALL_WEEK = [{"weekday": d, "start": "00:00", "end": "23:59"} for d in range(7)]


def test_a_consultant_adds_a_doctor_with_windows(consultant_api: Any) -> None:
    body = {
        "name": "Dr Amara Okafor",
        "gmc_number": "7012345",
        "s12_approval_expires_on": "2028-03-31",
        "languages": ["Yoruba", "English"],
        "areas": ["North"],
        "availability": [
            {"weekday": 0, "start": "17:00", "end": "22:00"},
            {"weekday": 5, "start": "09:00", "end": "13:00"},
        ],
        "phone": "07700 900123",
    }
    response = consultant_api.post(DOCTORS, body, format="json")
    assert response.status_code == 201, response.json()
    out = response.json()
    assert out["gmc_number"] == "7012345"
    assert out["availability"][0] == {"weekday": 0, "start": "17:00", "end": "22:00"}
    assert out["availability_bands"] == ["evenings", "weekends"]
    assert DirectoryDoctor.objects.filter(pk=out["id"], name="Dr Amara Okafor").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"gmc_number": "12345"}, "gmc_number"),
        ({"name": "  "}, "name"),
        ({"availability": [{"weekday": 2, "start": "10:00", "end": "10:00"}]}, "availability"),
        ({"availability": [{"weekday": 9, "start": "10:00", "end": "12:00"}]}, "availability"),
    ],
)
def test_bad_doctor_input_is_400_and_names_the_field(consultant_api: Any, change: dict[str, Any], field: str) -> None:
    body = {"name": "Dr B", "gmc_number": "7000001", **change}
    response = consultant_api.post(DOCTORS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_the_same_gmc_number_twice_is_refused(consultant_api: Any) -> None:
    assert consultant_api.post(DOCTORS, {"name": "Dr A", "gmc_number": "7000001"}, format="json").status_code == 201
    response = consultant_api.post(DOCTORS, {"name": "Dr A again", "gmc_number": "7000001"}, format="json")
    assert response.status_code == 400 and "gmc_number" in response.json()


def test_list_shows_who_is_likely_available_now_and_whose_approval_expired(
    consultant_api: Any, consultant: Any, other_service: Any
) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    doctor_services.doctor_create(
        service_id=consultant.service_id,
        actor=consultant.user,
        data={"name": "Dr Always", "gmc_number": "7000002", "availability": ALL_WEEK},
    )
    doctor_services.doctor_create(
        service_id=consultant.service_id,
        actor=consultant.user,
        data={"name": "Dr Expired", "gmc_number": "7000003", "s12_approval_expires_on": yesterday},
    )
    doctor_services.doctor_create(
        service_id=other_service.pk, actor=consultant.user, data={"name": "Dr Elsewhere", "gmc_number": "7000004"}
    )
    with CaptureQueriesContext(connection) as queries:
        response = consultant_api.get(DOCTORS + "?available=1")
    rows = response.json()
    assert [r["name"] for r in rows] == ["Dr Always", "Dr Expired"]
    assert rows[0]["likely_available_now"] is True and rows[0]["s12_in_date"] is True
    assert rows[1]["likely_available_now"] is False and rows[1]["s12_in_date"] is False
    assert len(queries) <= 4  # session/token user, profile, doctors: never one per doctor


def test_an_amhp_reads_but_cannot_add(api_client_for: Any, amhp: Any) -> None:
    client = api_client_for(amhp)
    assert client.get(DOCTORS).status_code == 200
    assert client.post(DOCTORS, {"name": "Dr X", "gmc_number": "7000009"}, format="json").status_code == 403


def test_patch_updates_the_approval_expiry(consultant_api: Any, consultant: Any) -> None:
    doctor = doctor_services.doctor_create(
        service_id=consultant.service_id, actor=consultant.user, data={"name": "Dr C", "gmc_number": "7000005"}
    )
    response = consultant_api.patch(f"{DOCTORS}{doctor.pk}/", {"s12_approval_expires_on": "2030-01-31"}, format="json")
    assert response.status_code == 200
    doctor.refresh_from_db()
    assert doctor.s12_approval_expires_on == date(2030, 1, 31)
    read = consultant_api.get(f"{DOCTORS}{doctor.pk}/")
    assert read.status_code == 200
    assert (read.json()["gmc_number"], read.json()["s12_approval_expires_on"]) == ("7000005", "2030-01-31")
