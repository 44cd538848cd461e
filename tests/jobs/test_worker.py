"""A job through a real Celery worker process on Redis, against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from assessments.models import AssessmentStatus, LateFlag, ToilEntry
from assessments.tasks import book_toil_for_service, flag_late_work_for_service
from rota.models import StaffProfile

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30


def _unavailable(reason: str) -> None:
    """Skip locally; in CI (env CI set) a missing Redis or PostgreSQL is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"CI needs this test to run: {reason}")
    pytest.skip(reason)


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        _unavailable("REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis at {url} is unreachable: {exc}")
    return url


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        _unavailable("the worker needs a shared database: run the tests on PostgreSQL (DATABASE_URL)")
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker_queue() -> Iterator[str]:
    """Start `celery -A amhp_hub worker` on a queue of its own; yield the queue name; stop the worker."""
    redis_url = _redis_url()
    database_url = _database_url()
    queue = f"test-jobs-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only-secret-key"),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DB_CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "amhp_hub",
        "worker",
        "--pool",
        "solo",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "INFO",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
    ]
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        yield queue
    except BaseException:
        log.seek(0)
        sys.stderr.write(f"--- worker log ---\n{log.read()[-5000:]}\n")
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
        # Drop anything left on the test's own queue.
        import redis

        redis.Redis.from_url(redis_url).delete(queue)


def _wait_for(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return False


def test_a_worker_process_books_toil_from_a_task_sent_through_redis(
    worker_queue: str, amhp: StaffProfile, assessment_row: Callable[..., Any]
) -> None:
    now = timezone.now()
    assessment = assessment_row(
        amhp,
        status=AssessmentStatus.COMPLETED,
        shift_ends_at=now - timedelta(hours=2),
        work_ended_at=now - timedelta(minutes=50),
        completed_at=now - timedelta(minutes=50),
    )

    book_toil_for_service.apply_async(args=(amhp.service_id,), queue=worker_queue)

    assert _wait_for(lambda: ToilEntry.objects.filter(assessment=assessment).exists()), "the worker booked nothing"
    entry = ToilEntry.objects.get(assessment=assessment)
    assert (entry.minutes, entry.status, entry.kind) == (60, "pending", "accrual")

    # The late-flag task too, and a second run of TOIL books nothing more.
    referral = assessment_row(amhp, shift_ends_at=now - timedelta(minutes=5)).referral
    # One solo worker takes its queue in order: once the flags are notified, the TOIL run is done.
    book_toil_for_service.apply_async(args=(amhp.service_id,), queue=worker_queue)
    flag_late_work_for_service.apply_async(args=(amhp.service_id,), queue=worker_queue)
    assert _wait_for(lambda: LateFlag.objects.filter(referral=referral, notified_at__isnull=False).exists())
    assert ToilEntry.objects.count() == 1


def test_a_task_for_a_service_that_has_gone_returns_quietly() -> None:
    assert book_toil_for_service.run(987654321) is None
    assert flag_late_work_for_service.run(987654321) is None
