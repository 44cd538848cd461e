"""Celery tasks for the dashboards: fold each service's closed days into the daily roll-up."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from assessments.tasks import JobTask
from dashboards import rollups
from rota.models import Service


@shared_task(base=JobTask)
def refresh_rollups_for_service(service_id: int) -> int | None:
    """Rebuild the service's days closed or changed since the last run; return how many days."""
    if not Service.objects.filter(pk=service_id).exists():
        return None
    return rollups.refresh_rollups(service_id=service_id, now=timezone.now())


@shared_task(base=JobTask)
def start_refresh_rollups() -> int:
    ids = list(Service.objects.order_by("pk").values_list("pk", flat=True))
    for service_id in ids:
        refresh_rollups_for_service.delay(service_id)
    return len(ids)
