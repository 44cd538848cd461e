"""The project's own periodic task: beat's heartbeat, which /healthz reads."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from amhp_hub.common.models import Heartbeat

BEAT = "beat"


@shared_task(ignore_result=True, acks_late=True)
def beat_heartbeat() -> None:
    """Record that beat sent this and a worker ran it (every minute, CELERY_BEAT_SCHEDULE)."""
    Heartbeat.objects.update_or_create(name=BEAT, defaults={"at": timezone.now()})
