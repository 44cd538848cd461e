"""Doctor directory pages."""

from __future__ import annotations

from typing import Any

import pytest

from rota.models import DirectoryDoctor

pytestmark = pytest.mark.django_db


def test_consultant_adds_a_doctor_with_windows_typed_one_a_line(logged_in_client: Any, consultant: Any) -> None:
    client = logged_in_client(consultant)
    response = client.post(
        "/doctors/new/",
        {
            "name": "Dr Mensah",
            "gmc_number": "7123456",
            "s12_approved": "on",
            "s12_approval_expires_on": "2028-03-31",
            "languages": "Twi, English",
            "areas": "North",
            "availability": "Mon 17:00-22:00\nsat 9:00 - 13:00",
            "phone": "07700 900456",
        },
    )
    assert response.status_code == 302
    doctor = DirectoryDoctor.objects.get(gmc_number="7123456")
    assert doctor.availability == [
        {"weekday": 0, "start": "17:00", "end": "22:00"},
        {"weekday": 5, "start": "09:00", "end": "13:00"},
    ]
    page = client.get("/doctors/").content.decode()
    assert "Dr Mensah" in page and "Evenings, Weekends" in page


def test_a_bad_window_line_keeps_what_was_typed(logged_in_client: Any, consultant: Any) -> None:
    response = logged_in_client(consultant).post(
        "/doctors/new/", {"name": "Dr Lee", "gmc_number": "7123457", "availability": "evenings"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Line 1: write a window like Mon 17:00-22:00" in html and "Dr Lee" in html


def test_an_amhp_sees_the_directory_but_cannot_add(logged_in_client: Any, amhp: Any) -> None:
    client = logged_in_client(amhp)
    assert client.get("/doctors/").status_code == 200
    assert client.get("/doctors/new/").status_code == 403
