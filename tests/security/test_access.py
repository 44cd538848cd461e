"""Anonymous access to every URL, the role-by-endpoint matrix, and 404s across services."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

# Reachable without signing in, on purpose: sign-in, the second factor's pages (they need a session
# themselves), the health check for the load balancer, and calendar feeds behind their own secret token.
PUBLIC = {"/login/", "/logout/", "/healthz", "/api/v1/auth/token/"}
PUBLIC_PREFIXES = ("/rota/calendar/", "/static/")


def _paths() -> list[str]:
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                found.append(prefix + str(p.pattern))

    walk(get_resolver().url_patterns, "")
    concrete = []
    for raw in found:
        path = "/" + raw.replace("^", "").replace("$", "").replace("\\Z", "")
        for token, value in (
            ("<uuid:pk>", "6f0c3a4e-0000-4000-8000-000000000001"),
            ("<int:pk>", "1"),
            ("<str:token>", "x"),
            ("<slug:table>", "demand"),
            ("<slug:slug>", "demand"),
            ("<slug:section>", "demand"),
            ("<path:object_id>", "1"),
        ):
            path = path.replace(token, value)
        if "<" in path or "(?P" in path or path.startswith("/admin/"):
            continue
        concrete.append(path)
    return sorted(set(concrete))


@pytest.mark.parametrize("path", _paths())
def test_anonymous_users_reach_nothing_but_sign_in(path: str, db: Any) -> None:
    from django.test import Client

    if path in PUBLIC or path.startswith(PUBLIC_PREFIXES):
        return
    for method in ("get", "post"):
        response = getattr(Client(), method)(path)
        if path.startswith("/api/"):
            assert response.status_code in (401, 403, 405), (method, path, response.status_code)
        else:
            assert response.status_code in (302, 405), (method, path, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith(("/login/", "/mfa/")), (path, response["Location"])


def test_admin_asks_anonymous_users_to_sign_in(client: Any, db: Any) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# (method, path template, roles allowed). {r} is a referral of the caller's service.
MATRIX = [
    ("get", "/api/v1/queue/", {"consultant", "manager"}),
    ("get", "/api/v1/referrals/", {"consultant", "manager", "amhp"}),
    ("get", "/api/v1/referrals/{r}/candidates/", {"consultant", "manager"}),
    ("get", "/api/v1/me/allocations/", {"consultant", "manager", "amhp"}),
    ("get", "/api/v1/dashboards/demand/", {"manager"}),
    ("get", "/api/v1/toil/", {"manager", "amhp"}),
    ("get", "/api/v1/rota/shifts/", {"consultant", "manager", "amhp"}),
]
PAGES = [
    ("/queue/", {"consultant", "manager"}),
    ("/referrals/new/", {"consultant", "manager"}),
    ("/dashboards/", {"manager"}),
    ("/rota/staff/", {"manager"}),
    ("/my/allocations/", {"amhp"}),
]


@pytest.mark.parametrize("role", ["consultant", "manager", "amhp"])
def test_each_role_reaches_exactly_its_endpoints(
    role: str,
    make_staff: Any,
    service: Any,
    make_referral: Any,
    consultant: Any,
    api_client_for: Any,
    logged_in_client: Any,
) -> None:
    referral = make_referral(service, consultant.user)
    profile = make_staff(role, service)
    api = api_client_for(profile)
    for method, template, allowed in MATRIX:
        status = getattr(api, method)(template.format(r=referral.pk)).status_code
        if role in allowed:
            assert status == 200, (role, template, status)
        else:
            assert status in (403, 404), (role, template, status)
    web = logged_in_client(profile)
    for path, allowed in PAGES:
        status = web.get(path).status_code
        assert (status == 200) == (role in allowed), (role, path, status)


def test_another_services_records_are_404_not_403(
    make_staff: Any, service: Any, other_service: Any, make_referral: Any, api_client_for: Any, logged_in_client: Any
) -> None:
    theirs = make_referral(other_service, make_staff("consultant", other_service).user)
    ours = make_staff("consultant", service)
    api: APIClient = api_client_for(ours)
    assert api.get(f"/api/v1/referrals/{theirs.pk}/").status_code == 404
    assert api.patch(f"/api/v1/referrals/{theirs.pk}/", {"reason": "x"}, format="json").status_code == 404
    assert api.post(f"/api/v1/referrals/{theirs.pk}/triage/", {"decision": "close", "reason": "x"}).status_code == 404
    assert logged_in_client(ours).get(f"/referrals/{theirs.pk}/").status_code == 404
    manager = make_staff("manager", service)
    assert logged_in_client(manager).get(f"/people/{theirs.person_id}/access/").status_code == 404
