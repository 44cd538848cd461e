"""Operator commands (DESIGN.md section 7) and the production compose file."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
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
    call_command("seed_demo", stdout=out)  # the default seed, as ./hub run loads it
    service = Service.objects.get()
    assert StaffProfile.objects.filter(service=service, role="amhp").count() == 30
    assert Referral.objects.filter(service=service).count() == 2000
    assert Referral.objects.filter(service=service, status__in=OPEN_STATUSES).count() == 30
    assert "consultant" in out.getvalue() and "amhp-demo-2026" in out.getvalue()
    # The sign-in table names the person behind each account ...
    readme = (ROOT / "README.md").read_text()
    lines = {line.split()[1]: line for line in out.getvalue().splitlines() if "amhp-demo-2026" in line}
    for username in ("consultant", "manager", "amhp", "amhp2", "amhp3"):
        person = StaffProfile.objects.get(user__username=username)
        assert lines[username].rstrip().endswith(person.display_name)
        assert person.user.get_full_name()
        # ... and so does the README's table of them.
        assert f"| `{username}` |" in readme
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{username}` |"))
        assert f"| {person.display_name}" in row
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


def _processes_with(marker: str) -> list[int]:
    """Pids of live processes whose environment holds MARKER (children inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in environ and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find the processes left behind")
def test_ctrl_c_or_a_closed_terminal_on_hub_run_stops_the_web_server_worker_and_beat(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    env["VAR_DIR"] = str(var_dir)
    marker = f"VAR_DIR={var_dir}"
    # Ctrl-C sends SIGINT to the terminal's foreground process group, closing the terminal SIGHUP.
    # The second run finds the demo data loaded and starts at once.
    for sig in (signal.SIGINT, signal.SIGHUP):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env["PORT"] = str(port)
        log = tmp_path / f"run-{sig.name}.log"
        with log.open("w") as out:
            hub = subprocess.Popen(
                [str(ROOT / "hub"), "run"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 300
            while "celery@" not in log.read_text() or "Starting development server" not in log.read_text():
                assert hub.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(1)
            page = urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=30)
            assert page.status == 200
            assert f"http://127.0.0.1:{port}/" in log.read_text()
            assert len(_processes_with(marker)) >= 4  # hub, honcho, runserver (and its reloader), worker with beat
            os.killpg(hub.pid, sig)
            hub.wait(timeout=60)
            deadline = time.monotonic() + 30
            while _processes_with(marker) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert _processes_with(marker) == [], f"left running after {sig.name}"
        finally:
            for pid in _processes_with(marker):
                os.kill(pid, signal.SIGKILL)
