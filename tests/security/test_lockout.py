"""Lockout (django-axes): more than five failures for one username lock it for 15 minutes, web and token endpoint."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from amhp_hub.common import mfa
from amhp_hub.common.models import AuditEvent
from tests.conftest import PASSWORD, TEST_TOTP_SECRET


@pytest.fixture(autouse=True)
def fresh_sign_in_counters() -> None:
    """The per-address sign-in counters live in the shared cache (Redis when configured): start clean."""
    for address in ("203.0.113.9", "198.51.100.7", "192.0.2.44", "192.0.2.45", "127.0.0.1"):
        cache.delete_many([f"sign-in-rate:{address}", f"sign-in-burst:{address}"])


pytestmark = pytest.mark.real_mfa


def test_five_failed_sign_ins_lock_the_username_even_with_the_right_password(consultant: Any, caplog: Any) -> None:
    username = consultant.user.username
    with caplog.at_level(logging.WARNING, logger="amhp_hub.security"):
        statuses = [
            Client(REMOTE_ADDR="203.0.113.9")
            .post("/login/", {"username": username, "password": "wrong-pass-1"})
            .status_code
            for _ in range(5)
        ]
    # The fifth failure locks the username: from then on even the right password is refused, from anywhere.
    assert statuses == [200, 200, 200, 200, 429]
    locked = Client(REMOTE_ADDR="198.51.100.7").post("/login/", {"username": username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Try again in 15 minutes" in locked.content.decode()
    # Each failure is logged and audited with the username and the address.
    assert f"username={username!r} from ip=203.0.113.9" in caplog.text
    failures = AuditEvent.objects.filter(action="sign_in_failed", object_id=username)
    assert failures.count() >= 5 and set(failures.values_list("ip", flat=True)) >= {"203.0.113.9"}
    assert set(failures.values_list("outcome", flat=True)) == {"failed"}


def test_the_token_endpoint_locks_the_username_too(consultant: Any) -> None:
    device = mfa.provision_totp(consultant.user, TEST_TOTP_SECRET)
    api = APIClient()
    for _ in range(5):
        api.post(
            "/api/v1/auth/token/", {"username": consultant.user.username, "password": "nope-nope-nope", "otp": "1"}
        )
    response = api.post(
        "/api/v1/auth/token/",
        {"username": consultant.user.username, "password": PASSWORD, "otp": mfa.current_code(device)},
    )
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_wrong_authentication_codes_count_towards_the_lockout(consultant: Any) -> None:
    mfa.provision_totp(consultant.user, TEST_TOTP_SECRET)
    client = Client()
    client.post("/login/", {"username": consultant.user.username, "password": PASSWORD})
    statuses = [client.post("/mfa/verify/", {"code": "000001"}).status_code for _ in range(5)]
    # The fifth wrong code locks the account and signs the session out.
    assert statuses == [400, 400, 400, 400, 429]
    assert client.get("/queue/")["Location"].startswith("/login/")


def test_sign_in_attempts_from_one_address_are_rate_limited(consultant: Any, settings: Any) -> None:
    settings.SIGN_IN_ATTEMPTS_PER_MINUTE = 3
    client = Client(REMOTE_ADDR="192.0.2.44")
    statuses = [
        client.post("/login/", {"username": f"guess{i}", "password": "x-password-123"}).status_code for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_a_burst_of_attempts_from_one_address_is_refused_before_any_password_is_checked(
    consultant: Any, settings: Any
) -> None:
    settings.SIGN_IN_BURST = 2
    client = Client(REMOTE_ADDR="192.0.2.44")
    statuses = [
        client.post("/login/", {"username": f"burst{i}", "password": "x-password-123"}).status_code for i in range(3)
    ]
    assert statuses == [200, 200, 429]
    # The refused attempt reached no password check, so axes counted only the first two.
    assert AuditEvent.objects.filter(action="sign_in_failed", ip="192.0.2.44").count() == 2


def test_an_attempt_over_the_limit_is_refused_before_any_session_csrf_or_lockout_work(
    consultant: Any, settings: Any
) -> None:
    settings.SIGN_IN_BURST = 1
    client = Client(REMOTE_ADDR="192.0.2.45", enforce_csrf_checks=True)
    guess = {"username": consultant.user.username, "password": "x-password-123"}
    # Within the limit the attempt goes on through the usual checks: CSRF refuses a form without its token.
    assert client.post("/login/", guess).status_code == 403
    refused = client.post("/login/", guess)
    assert refused.status_code == 429
    assert "Too many sign-in attempts from your network" in refused.content.decode()
    assert refused["Retry-After"] == "60"
    # The headers every page carries, though the later middleware never saw it.
    assert "no-store" in refused["Cache-Control"]
    assert refused["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in refused["Content-Security-Policy"]
    assert refused["X-Correlation-ID"]
    # No session was started for it, and it reached no password check (axes saw nothing).
    assert settings.SESSION_COOKIE_NAME not in refused.cookies
    assert not AuditEvent.objects.filter(action="sign_in_failed", ip="192.0.2.45").exists()


def test_the_token_endpoint_shares_the_address_limit(consultant: Any, settings: Any) -> None:
    settings.SIGN_IN_BURST = 1
    api = APIClient(REMOTE_ADDR="192.0.2.44")
    body = {"username": consultant.user.username, "password": "nope-nope-nope", "otp": "1"}
    assert api.post("/api/v1/auth/token/", body).status_code == 400
    refused = api.post("/api/v1/auth/token/", body)
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.json()["detail"]


def test_while_a_process_is_busy_checking_passwords_another_attempt_is_refused_at_once(
    consultant: Any, settings: Any
) -> None:
    from amhp_hub.common import sign_in_guard

    settings.SIGN_IN_CONCURRENCY = 1
    with sign_in_guard.password_check_slot() as held:  # another thread's password check
        assert held
        page = Client(REMOTE_ADDR="198.51.100.7").post("/login/", {"username": "x", "password": "y-password-123"})
        token = APIClient(REMOTE_ADDR="198.51.100.7").post(
            "/api/v1/auth/token/", {"username": "x", "password": "y-password-123", "otp": "1"}
        )
    assert page.status_code == 429 and "Many people are signing in at once" in page.content.decode()
    assert token.status_code == 429
    # Free again: the next attempt is checked as usual (and fails on its wrong password).
    assert Client(REMOTE_ADDR="198.51.100.7").post("/login/", {"username": "x", "password": "y"}).status_code == 200
