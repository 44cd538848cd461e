"""Under-18s: age from the date of birth drives s136A (no police station) and the s131A flag."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from referrals.models import Referral

pytestmark = pytest.mark.django_db


def payload(date_of_birth: str, place: str) -> dict[str, Any]:
    return {
        "legal_status": "s136",
        "legal_power_started_at": (timezone.now() - timedelta(hours=2)).isoformat(),
        "place_of_safety_type": place,
        "reason": "Found on a bridge parapet, distressed.",
        "person": {"given_name": "Ava", "family_name": "Reed", "date_of_birth": date_of_birth},
    }


def years_ago(years: int, days: int = 0) -> str:
    today = timezone.localdate()
    if (today.month, today.day) == (2, 29):  # a 29 February birthday falls on 1 March in a common year
        today = today + timedelta(days=1)
    return (today.replace(year=today.year - years) - timedelta(days=days)).isoformat()


def test_s136a_a_child_at_a_police_station_is_refused_naming_the_provision(consultant_api: Any) -> None:
    # 18th birthday tomorrow: still 17 today, so a police station is refused.
    response = consultant_api.post(
        "/api/v1/referrals/", payload(years_ago(18, days=-1), "police_station"), format="json"
    )
    assert response.status_code == 400
    assert [e["provision"] for e in response.json()["errors"]] == ["s136A"]
    assert "place_of_safety_type" in response.json()
    assert not Referral.objects.exists()


def test_s136a_an_adult_at_a_police_station_and_a_child_at_a_health_based_place_are_accepted(
    consultant_api: Any,
) -> None:
    # 18 today: an adult.
    assert (
        consultant_api.post("/api/v1/referrals/", payload(years_ago(18), "police_station"), format="json").status_code
        == 201
    )
    response = consultant_api.post("/api/v1/referrals/", payload(years_ago(15), "health_based"), format="json")
    assert response.status_code == 201
    assert "under_18" in response.json()["flags"]


def test_s136a_moving_a_child_to_a_police_station_later_is_refused(consultant_api: Any) -> None:
    created = consultant_api.post("/api/v1/referrals/", payload(years_ago(16), "health_based"), format="json").json()
    response = consultant_api.patch(
        f"/api/v1/referrals/{created['id']}/", {"place_of_safety_type": "police_station"}, format="json"
    )
    assert response.status_code == 400
    assert [e["provision"] for e in response.json()["errors"]] == ["s136A"]
