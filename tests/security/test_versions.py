"""No lost updates: two people edit the same record; the second, stale, write is refused and told why."""

from __future__ import annotations

from typing import Any

from django.test import Client


def test_a_stale_api_write_gets_409_with_the_other_change(
    make_staff: Any, service: Any, make_referral: Any, api_client_for: Any
) -> None:
    first, second = make_staff("consultant", service), make_staff("consultant", service)
    referral = make_referral(service, first.user)
    a, b = api_client_for(first), api_client_for(second)
    url = f"/api/v1/referrals/{referral.pk}/"
    etag_a, etag_b = a.get(url)["ETag"], b.get(url)["ETag"]
    assert etag_a == etag_b == '"1"'
    saved = a.patch(url, {"location": "Ward 3"}, format="json", HTTP_IF_MATCH=etag_a)
    assert saved.status_code == 200 and saved["ETag"] == '"2"'
    stale = b.patch(url, {"location": "A&E"}, format="json", HTTP_IF_MATCH=etag_b)
    assert stale.status_code == 409
    body = stale.json()
    assert body["current_version"] == 2 and body["other_change"]["fields"] == ["location"]
    assert first.user.first_name in body["detail"]
    referral.refresh_from_db()
    assert referral.location == "Ward 3"
    # Having read the new version, the second writer may save.
    assert b.patch(url, {"location": "A&E"}, format="json", HTTP_IF_MATCH=stale["ETag"]).status_code == 200


def test_a_malformed_if_match_is_a_400(consultant_api: Any, consultant: Any, make_referral: Any, service: Any) -> None:
    referral = make_referral(service, consultant.user)
    response = consultant_api.patch(
        f"/api/v1/referrals/{referral.pk}/", {"location": "x"}, format="json", HTTP_IF_MATCH="yesterday"
    )
    assert response.status_code == 400 and "If-Match" in response.json()


def test_a_stale_web_form_keeps_what_was_typed_and_shows_the_other_change(
    make_staff: Any, service: Any, make_referral: Any
) -> None:
    first, second = make_staff("consultant", service), make_staff("consultant", service)
    referral = make_referral(service, first.user)
    a, b = Client(), Client()
    a.force_login(first.user)
    b.force_login(second.user)
    form_a = a.get(f"/referrals/{referral.pk}/edit/").context["form"]
    form_b = b.get(f"/referrals/{referral.pk}/edit/").context["form"]

    def post(client: Client, form: Any, **changes: Any) -> Any:
        data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, bool)}
        data.update({k: "on" for k, v in form.initial.items() if v is True})
        data.update(changes, action="submit")
        for key in ("legal_power_started_at", "seen_by_referrer_at"):
            data.pop(key, None)
        return client.post(f"/referrals/{referral.pk}/edit/", data)

    assert post(a, form_a, location="Ward 3").status_code == 302
    response = post(b, form_b, location="Custody suite")
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this record" in html and "location" in html
    assert 'value="Custody suite"' in html
    referral.refresh_from_db()
    assert referral.location == "Ward 3" and referral.version == 2
