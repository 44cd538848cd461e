"""Bad input: page size capped, free text capped, dates bounded, unknown fields refused, docs behind sign-in."""

from __future__ import annotations

from datetime import date
from typing import Any

from rest_framework.test import APIClient


def test_page_size_is_capped_at_200(consultant_api: Any, consultant: Any, make_referral: Any, service: Any) -> None:
    response = consultant_api.get("/api/v1/referrals/?limit=100000")
    assert response.status_code == 200
    next_url = response.json()["next"]
    assert next_url is None or "limit=200" in next_url


def test_unknown_fields_in_an_api_body_are_refused(
    consultant_api: Any, consultant: Any, make_referral: Any, service: Any
) -> None:
    referral = make_referral(service, consultant.user)
    response = consultant_api.patch(
        f"/api/v1/referrals/{referral.pk}/", {"statutory_expiry": "2026-01-01"}, format="json"
    )
    assert response.status_code == 400 and "statutory_expiry" in response.json()
    nested = consultant_api.patch(f"/api/v1/referrals/{referral.pk}/", {"person": {"shoe_size": 9}}, format="json")
    assert nested.status_code == 400


def test_free_text_has_a_length_cap(consultant_api: Any, consultant: Any, make_referral: Any, service: Any) -> None:
    referral = make_referral(service, consultant.user)
    response = consultant_api.patch(f"/api/v1/referrals/{referral.pk}/", {"reason": "x" * 5001}, format="json")
    assert response.status_code == 400 and "5,000 characters or fewer" in str(response.json())


def test_dates_are_bounded_to_sensible_ranges(
    consultant_api: Any, consultant: Any, make_referral: Any, service: Any
) -> None:
    referral = make_referral(service, consultant.user)
    url = f"/api/v1/referrals/{referral.pk}/"
    born = consultant_api.patch(url, {"person": {"date_of_birth": "1850-01-01"}}, format="json")
    assert born.status_code == 400 and "1900" in str(born.json())
    started = consultant_api.patch(url, {"legal_power_started_at": "2001-01-01T10:00:00Z"}, format="json")
    assert started.status_code == 400
    assert (
        consultant_api.patch(
            url, {"person": {"date_of_birth": date(1960, 5, 1).isoformat()}}, format="json"
        ).status_code
        == 200
    )


def test_the_schema_and_docs_need_sign_in_and_redoc_comes_from_static(logged_in_client: Any, consultant: Any) -> None:
    anonymous = APIClient()
    assert anonymous.get("/api/v1/schema/").status_code in (401, 403)
    assert anonymous.get("/api/v1/docs/").status_code in (401, 403)
    client = logged_in_client(consultant)
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in html
    assert "http://" not in html and "https://" not in html
    assert client.get("/api/v1/schema/").status_code == 200
