"""Headers and cookies: CSP without inline script, no framing, no-store, HSTS, __Host- cookies, check --deploy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from referrals.models import Referral

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_ATTR = re.compile(r"\sstyle=", re.I)


def test_pages_carry_a_strict_csp_and_no_store(logged_in_client: Any, consultant: Any) -> None:
    response = logged_in_client(consultant).get("/queue/")
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    found = re.search(r"script-src ([^;]*)", csp)
    assert found is not None, csp
    script_src = found.group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_api_answers_holding_patient_data_are_not_stored(consultant_api: Any) -> None:
    assert "no-store" in consultant_api.get("/api/v1/queue/")["Cache-Control"]


def test_hsts_is_sent_over_https(client: Any, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 63072000
    response = client.get("/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=63072000")


@pytest.mark.parametrize("role", ["consultant", "manager", "amhp"])
def test_no_page_has_inline_script_or_style_attributes(
    role: str, logged_in_client: Any, make_staff: Any, service: Any, make_referral: Any, consultant: Any
) -> None:
    profile = make_staff(role, service)
    referral: Referral = make_referral(service, consultant.user)
    client = logged_in_client(profile)
    pages = {
        "consultant": ["/queue/", "/referrals/new/", f"/referrals/{referral.pk}/", f"/referrals/{referral.pk}/edit/"],
        "manager": [
            "/queue/",
            "/dashboards/",
            "/rota/",
            "/rota/staff/",
            "/toil/",
            f"/people/{referral.person_id}/access/",
        ],
        "amhp": ["/my/allocations/", "/rota/mine/", "/toil/", "/notifications/"],
    }[role]
    for path in pages:
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), f"inline script on {path}"
        assert not STYLE_ATTR.search(html), f"style attribute on {path}"


def test_secure_cookies_use_the_host_prefix() -> None:
    env = {**os.environ, "SECRET_KEY": "k" * 60, "SECURE_COOKIES": "true", "DEBUG": "0"}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME)",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "amhp_hub.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["__Host-sessionid", "__Host-csrftoken"]


def test_deploy_checks_pass_with_production_settings(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SECRET_KEY": "p" * 20 + "roduction-secret-key-for-the-deploy-check-0123456789",
        "STRICT_SECRET_KEY": "true",
        "DEBUG": "0",
        "SECURE_COOKIES": "true",
        "SECURE_SSL_REDIRECT": "true",
        "ALLOWED_HOSTS": "amhp.example.gov.uk",
        "VAR_DIR": str(tmp_path),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser journeys' conftest, never in deployment
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_short_secret_key_is_refused_in_production() -> None:
    env = {**os.environ, "SECRET_KEY": "too-short", "STRICT_SECRET_KEY": "true"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "at least 50 characters" in result.stderr
