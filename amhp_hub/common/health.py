"""Health checks for /healthz: the database, the broker, a worker's answer and beat's heartbeat.

Each check returns (ok, detail) and never raises; the endpoint is unhealthy (503) if any fails.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone

Check = tuple[bool, str]


def check_database(connection: Any = None) -> Check:
    conn = connection if connection is not None else connections["default"]
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        conn.close_if_unusable_or_obsolete()
        return False, f"database unreachable: {type(exc).__name__}"
    return True, "ok"


def check_broker(app: Any) -> Check:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_WORKER_TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001 - kombu raises many kinds; any means the broker is down
        return False, f"broker unreachable: {type(exc).__name__}"
    return True, "ok"


def check_worker(app: Any) -> Check:
    try:
        # limit=1: the first worker's answer is enough; without it the ping always waits out the timeout.
        replies = app.control.ping(timeout=settings.HEALTH_WORKER_TIMEOUT_SECONDS, limit=1)
    except Exception as exc:  # noqa: BLE001 - no broker means no worker can answer
        return False, f"no worker answered: {type(exc).__name__}"
    if not replies:
        return False, "no worker answered"
    return True, f"{len(replies)} answered"


def check_beat(now: Any = None) -> Check:
    from amhp_hub.common.models import Heartbeat
    from amhp_hub.common.tasks import BEAT

    now = now or timezone.now()
    try:
        last = Heartbeat.objects.filter(name=BEAT).values_list("at", flat=True).first()
    except DatabaseError:
        return False, "heartbeat unreadable"
    if last is None:
        return False, "beat has never ticked"
    age = now - last
    if age > timedelta(seconds=settings.HEALTH_BEAT_STALE_SECONDS):
        return False, f"beat last ticked {int(age.total_seconds())} s ago"
    return True, f"ticked {int(age.total_seconds())} s ago"


def run_checks(app: Any, connection: Any = None) -> dict[str, Check]:
    database = check_database(connection)
    return {
        "database": database,
        "broker": check_broker(app),
        "worker": check_worker(app),
        "beat": check_beat() if database[0] else (False, "database unreachable"),
    }
