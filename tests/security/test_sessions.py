"""Sessions and tokens: 30 idle minutes, 12 hours at most, expiring tokens, revocation, leavers switched off."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token

from amhp_hub.common.models import AuditEvent
from amhp_hub.common.security import SESSION_AUTH_AT, SESSION_SEEN_AT


def _age_session(client: Any, **ages: float) -> None:
    session = client.session
    for key, seconds in ages.items():
        session[key] = time.time() - seconds
    session.save()


def test_a_session_ends_after_30_idle_minutes(client: Any, consultant: Any) -> None:
    client.force_login(consultant.user)
    assert client.get("/queue/").status_code == 200
    _age_session(client, **{SESSION_SEEN_AT: 31 * 60})
    response = client.get("/queue/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_activity_keeps_a_session_alive_but_not_beyond_12_hours(client: Any, consultant: Any) -> None:
    client.force_login(consultant.user)
    _age_session(client, **{SESSION_AUTH_AT: 11 * 3600, SESSION_SEEN_AT: 29 * 60})
    assert client.get("/queue/").status_code == 200
    _age_session(client, **{SESSION_AUTH_AT: 12 * 3600 + 60, SESSION_SEEN_AT: 10})
    assert client.get("/queue/").status_code == 302


def test_api_tokens_expire(api_client_for: Any, consultant: Any, settings: Any) -> None:
    api = api_client_for(consultant)
    assert api.get("/api/v1/queue/").status_code == 200
    Token.objects.filter(user=consultant.user).update(
        created=Token.objects.get(user=consultant.user).created - timedelta(hours=13)
    )
    assert api.get("/api/v1/queue/").status_code == 401
    assert not Token.objects.filter(user=consultant.user).exists()


def test_a_password_change_revokes_every_token(api_client_for: Any, consultant: Any) -> None:
    api = api_client_for(consultant)
    consultant.user.set_password("a-brand-new-passphrase")
    consultant.user.save()
    assert api.get("/api/v1/queue/").status_code == 401


def test_a_manager_switches_off_a_leaver_ending_every_session_and_token(
    client: Any, logged_in_client: Any, manager: Any, consultant: Any, api_client_for: Any
) -> None:
    from django.test import Client

    leaver_web = Client()
    leaver_web.force_login(consultant.user)
    leaver_api = api_client_for(consultant)
    assert leaver_web.get("/queue/").status_code == 200
    desk = logged_in_client(manager)
    page = desk.get("/rota/staff/")
    assert page.status_code == 200 and consultant.user.username in page.content.decode()
    response = desk.post(f"/rota/staff/{consultant.pk}/deactivate/")
    assert response.status_code == 302
    assert leaver_web.get("/queue/").status_code == 302
    assert leaver_api.get("/api/v1/queue/").status_code == 401
    assert AuditEvent.objects.filter(action="deactivate", object_id=str(consultant.pk), actor=manager.user).exists()


def test_only_managers_may_switch_accounts_off(logged_in_client: Any, consultant: Any, manager: Any) -> None:
    assert logged_in_client(consultant).post(f"/rota/staff/{manager.pk}/deactivate/").status_code == 403
    manager.user.refresh_from_db()
    assert manager.user.is_active


def test_passwords_need_at_least_12_characters() -> None:
    with pytest.raises(ValidationError, match="at least 12"):
        validate_password("Qx7#vLp2!zR")  # 11 characters
    validate_password("Qx7#vLp2!zRw")  # 12
