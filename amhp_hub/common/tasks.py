"""The project's own periodic tasks: beat's heartbeat, which /healthz reads, and the audit partitions."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError, connection
from django.utils import timezone

from amhp_hub.common import audit_partitions as partitions
from amhp_hub.common.models import Heartbeat

log = logging.getLogger(__name__)

BEAT = "beat"


@shared_task(ignore_result=True, acks_late=True)
def beat_heartbeat() -> None:
    """Record that beat sent this and a worker ran it (every minute, CELERY_BEAT_SCHEDULE)."""
    Heartbeat.objects.update_or_create(name=BEAT, defaults={"at": timezone.now()})


@shared_task(ignore_result=True, acks_late=True)
def audit_partitions() -> None:
    """Make the audit trail's month partitions ahead and drop those past retention (daily).

    Needs the tables' owner. Where the worker connects as the least-privilege role, PostgreSQL refuses
    and this logs a warning: `manage.py audit_partitions` (run after migrate) keeps them instead; the
    default partition takes any row meanwhile, so nothing is lost either way.
    """
    try:
        made, dropped = partitions.maintain_as_configured(connection, timezone.now().date())
    except (DatabaseError, RuntimeError) as exc:
        log.warning("audit partitions not maintained: %s", exc)
        return
    if made or dropped:
        log.info("audit partitions made %s, dropped %s", made, dropped)
