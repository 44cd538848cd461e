"""Celery task for the rota designer: a thin wrapper taking the run's id."""

from __future__ import annotations

from celery import shared_task

from assessments.tasks import JobTask
from planning import services


@shared_task(base=JobTask, name="planning.tasks.run_design", soft_time_limit=600, time_limit=660)
def run_design(run_id: int) -> None:
    """Run a rota designer comparison; a finished run is left alone, so a repeat delivery does nothing."""
    services.design_run_execute(run_id=run_id)


@shared_task(base=JobTask, name="planning.tasks.send_queued_designs")
def send_queued_designs() -> int:
    """Send again the comparisons queued more than five minutes ago and never started; return how many."""
    from datetime import timedelta

    from django.utils import timezone

    from planning.models import DesignRun

    waiting = list(
        DesignRun.objects.filter(
            status=DesignRun.Status.QUEUED, created_at__lt=timezone.now() - timedelta(minutes=5)
        ).values_list("pk", flat=True)[:50]
    )
    for run_id in waiting:
        run_design.delay(run_id)
    return len(waiting)
