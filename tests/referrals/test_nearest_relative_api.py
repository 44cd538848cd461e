"""The nearest relative belongs to the person: GET/POST /api/v1/people/{id}/nearest-relative/."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.models import Person

pytestmark = pytest.mark.django_db


def url(person: Person) -> str:
    return f"/api/v1/people/{person.pk}/nearest-relative/"


@pytest.fixture
def person(make_referral: Any, service: Any, consultant: Any) -> Person:
    return make_referral(service, consultant.user, date_of_birth=date(1980, 4, 2)).person


def test_relatives_entered_once_give_the_nearest_relative_with_its_reasons(consultant_api: Any, person: Person) -> None:
    payload = {
        "relatives": [
            {"name": "Kim", "relationship": "child", "date_of_birth": "1999-01-01"},
            {"name": "Sue", "relationship": "sibling", "date_of_birth": "1975-01-01", "cares_for_patient": True},
            {"name": "Lee", "relationship": "sibling", "date_of_birth": "1970-01-01", "ordinarily_resident_uk": False},
        ]
    }
    response = consultant_api.post(url(person), payload, format="json")
    assert response.status_code == 200, response.json()
    nearest = response.json()["nearest_relative"]
    assert (nearest["name"], nearest["relationship"]) == ("Sue", "sibling")
    assert any("s26(4)" in r for r in nearest["reasons"])
    assert any("s26(5)(a)" in r for r in nearest["reasons"])
    assert [r["name"] for r in consultant_api.get(url(person)).json()["relatives"]] == ["Kim", "Sue", "Lee"]
    # relatives are replaced, not added to
    consultant_api.post(url(person), {"relatives": [{"name": "Kim", "relationship": "child"}]}, format="json")
    assert consultant_api.get(url(person)).json()["nearest_relative"]["name"] == "Kim"


def test_objections_and_displacement_are_added_and_kept(consultant_api: Any, person: Person) -> None:
    today = timezone.localdate()
    consultant_api.post(url(person), {"relatives": [{"name": "Kim", "relationship": "child"}]}, format="json")
    response = consultant_api.post(
        url(person),
        {
            "objections": [{"date": today.isoformat(), "to": "s3"}],
            "displacement": [{"ground": "c", "applied_on": today.isoformat()}],
        },
        format="json",
    )
    body = response.json()
    assert body["objections"] == [{"date": today.isoformat(), "to": "s3", "relative": "Kim", "notes": ""}]
    assert body["displaced"] is False
    decided = {"ground": "c", "applied_on": today.isoformat(), "decided_on": today.isoformat(), "order_made": True}
    body = consultant_api.post(url(person), {"displacement": [decided]}, format="json").json()
    assert body["displaced"] is True
    assert len(body["displacement"]) == 2


def test_bad_input_is_refused_with_field_messages(consultant_api: Any, person: Person) -> None:
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = consultant_api.post(url(person), {"objections": [{"date": future, "to": "s3"}]}, format="json")
    assert response.status_code == 400
    assert "future" in response.json()["objections"][0]
    response = consultant_api.post(url(person), {"relatives": [{"name": "X", "relationship": "cousin"}]}, format="json")
    assert response.status_code == 400


def test_s13_4_no_application_needs_written_reasons(consultant_api: Any, person: Person) -> None:
    request = {"relative": "Kim", "requested_on": timezone.localdate().isoformat(), "outcome": "no_application"}
    response = consultant_api.post(url(person), {"s13_requests": [request]}, format="json")
    assert response.status_code == 400
    assert [e["provision"] for e in response.json()["errors"]] == ["s13(4)"]
    request["reasons"] = "Kim's concerns were met by the crisis team visiting twice daily."
    response = consultant_api.post(url(person), {"s13_requests": [request]}, format="json")
    assert response.status_code == 200
    assert response.json()["s13_requests"][0]["outcome"] == "no_application"


def test_a_child_in_care_has_the_council_as_nearest_relative(
    consultant_api: Any, make_referral: Any, service: Any, consultant: Any
) -> None:
    child = make_referral(
        service,
        consultant.user,
        date_of_birth=timezone.localdate() - timedelta(days=15 * 365 + 10),  # aged 15
    ).person
    payload = {
        "relatives": [{"name": "Ana", "relationship": "parent"}],
        "in_care_of": "Riverside Council",
        "parental_responsibility": "Riverside Council (care order) and Ana (mother)",
    }
    body = consultant_api.post(url(child), payload, format="json").json()
    assert body["nearest_relative"]["name"] == "Riverside Council"
    assert body["age"] == 15
    assert {n["provision"] for n in body["under_18"]} == {"Code 19", "s131A", "s27"}


def test_an_amhp_sees_only_people_allocated_to_them(
    api_client_for: Any, make_staff: Any, service: Any, person: Person
) -> None:
    assert api_client_for(make_staff("amhp", service)).get(url(person)).status_code == 404


def test_the_record_reads_in_a_fixed_number_of_queries(consultant_api: Any, person: Person) -> None:
    relatives = [{"name": f"R{i}", "relationship": "sibling"} for i in range(12)]
    consultant_api.post(url(person), {"relatives": relatives}, format="json")
    with CaptureQueriesContext(connection) as few:
        consultant_api.get(url(person))
    consultant_api.post(url(person), {"relatives": relatives * 2}, format="json")
    with CaptureQueriesContext(connection) as many:
        consultant_api.get(url(person))
    assert len(many.captured_queries) == len(few.captured_queries)
