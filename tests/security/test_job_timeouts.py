"""Requests get the short statement timeout; jobs and commands (migrations, seeding, sweeps) the long one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from amhp_hub.celery import use_job_timeouts
from tests.conftest import requires_postgres

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "from django.db import connection; c = connection.cursor(); "
    "c.execute('SHOW statement_timeout'); print(c.fetchone()[0])"
)


def _test_database_url() -> str:
    db = connection.settings_dict
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{quote(db.get('USER') or '', safe='')}@{host}:{port}/{db['NAME']}"


def test_a_job_may_run_longer_statements_than_a_request() -> None:
    assert settings.DB_STATEMENT_TIMEOUT_MS <= 5000 < settings.DB_JOB_STATEMENT_TIMEOUT_MS
    # Both keep the lock timeout: a job waiting on a row lock fails fast too.
    assert "-c lock_timeout=3000 -c statement_timeout=600000" == settings.DB_JOB_OPTIONS
    assert "-c lock_timeout=3000 -c statement_timeout=4500" == settings.DB_REQUEST_OPTIONS


@requires_postgres
def test_management_commands_run_with_the_job_timeout_and_requests_with_the_short_one(db: Any) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AMHP_PROCESS"}
    env["DATABASE_URL"] = _test_database_url()
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "10min"
    # This test process is not a job: its connections keep the requests' timeout.
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] in (f"{settings.DB_STATEMENT_TIMEOUT_MS}ms", "4500ms")


@requires_postgres
def test_the_worker_and_beat_switch_their_connections_to_the_job_timeout(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", dict(connection.settings_dict.get("OPTIONS", {})))
    use_job_timeouts()
    assert f"statement_timeout={settings.DB_JOB_STATEMENT_TIMEOUT_MS}" in connection.settings_dict["OPTIONS"]["options"]
