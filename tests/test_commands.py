"""Operator commands (DESIGN.md section 7) and the production compose file."""

from __future__ import annotations

import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from referrals.constants import OPEN_STATUSES
from referrals.models import Referral
from rota.models import Service, StaffProfile

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_add_staff_creates_the_service_and_a_user_who_can_sign_in() -> None:
    out = StringIO()
    call_command(
        "add_staff",
        "jo",
        "--service",
        "Eastshire AMHP Service",
        "--role",
        "amhp",
        "--password",
        "a-long-passphrase-9",
        stdout=out,
    )
    profile = StaffProfile.objects.get(user__username="jo")
    assert (profile.role, profile.service.name) == ("amhp", "Eastshire AMHP Service")
    assert authenticate(username="jo", password="a-long-passphrase-9") == profile.user
    assert "Created amhp jo" in out.getvalue()


@pytest.mark.django_db
def test_add_staff_refuses_a_taken_username_and_a_weak_password() -> None:
    call_command("add_staff", "jo", "--service", "S", "--role", "manager", "--password", "a-long-passphrase-9")
    with pytest.raises(CommandError, match="already exists"):
        call_command("add_staff", "jo", "--service", "S", "--role", "manager", "--password", "a-long-passphrase-9")
    with pytest.raises(CommandError, match="password"):
        call_command("add_staff", "kim", "--service", "S", "--role", "manager", "--password", "123")
    assert not StaffProfile.objects.filter(user__username="kim").exists()


@pytest.mark.django_db
def test_seed_demo_builds_a_service_and_prints_credentials() -> None:
    out = StringIO()
    call_command("seed_demo", "--seed", "7", stdout=out)
    service = Service.objects.get()
    assert StaffProfile.objects.filter(service=service, role="amhp").count() == 30
    assert Referral.objects.filter(service=service).count() == 2000
    assert Referral.objects.filter(service=service, status__in=OPEN_STATUSES).count() == 30
    assert "consultant" in out.getvalue() and "amhp-demo-2026" in out.getvalue()
    # Demand has the real shape: more referrals start after 5pm than before 9am.
    from zoneinfo import ZoneInfo

    hours = [
        r.astimezone(ZoneInfo("Europe/London")).hour for r in Referral.objects.values_list("received_at", flat=True)
    ]
    assert sum(h >= 17 for h in hours) > sum(h < 9 for h in hours)
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "already loaded" in out.getvalue()
    assert Service.objects.count() == 1


def test_compose_file_validates() -> None:
    if shutil.which("docker-compose"):
        command = ["docker-compose", "config", "-q"]
    elif (
        shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        command = ["docker", "compose", "config", "-q"]
    else:
        pytest.skip("no docker compose on this machine")
    env = {"SECRET_KEY": "x" * 50, "APP_DB_PASSWORD": "app-secret", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    shown = subprocess.run([c for c in command if c != "-q"], cwd=ROOT, capture_output=True, text=True, env=env)
    # The app runs as the least-privilege role, with secure cookies and a strict secret key by default.
    assert "postgres://amhp_app:" in shown.stdout
    assert (
        "SECURE_COOKIES: 'true'" in shown.stdout
        or 'SECURE_COOKIES: "true"' in shown.stdout
        or "SECURE_COOKIES: true" in shown.stdout
    )
    assert "STRICT_SECRET_KEY" in shown.stdout
