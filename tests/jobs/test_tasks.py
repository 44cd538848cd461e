"""The Celery tasks: safe settings on every task, and the periodic fan-out to one task per service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError
from django.utils import timezone

from amhp_hub.celery import app
from assessments import tasks
from assessments.models import AssessmentStatus, LateFlag, ToilEntry
from rota.models import StaffProfile

TASKS = [
    value
    for name, value in vars(tasks).items()
    if hasattr(value, "delay") and str(getattr(value, "name", "")).startswith("assessments.tasks.")
]


def test_every_task_acks_late_and_retries_a_lost_database() -> None:
    assert len(TASKS) == 14  # with the retention job, its per-service task, and the swap notices per service
    for task in TASKS:
        assert task.acks_late and task.reject_on_worker_lost, task.name
        assert OperationalError in task.autoretry_for and task.retry_backoff, task.name


def test_the_beat_schedule_names_real_tasks(settings: Any) -> None:
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


@pytest.fixture
def eager() -> Iterator[None]:
    """Run tasks in-process (Celery's own eager mode) so the fan-out can be followed in one test."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before


@pytest.mark.django_db
def test_the_periodic_tasks_sweep_every_service(
    eager: None,
    service: Any,
    other_service: Any,
    make_staff: Callable[..., StaffProfile],
    assessment_row: Callable[..., Any],
    referral_row: Callable[..., Any],
) -> None:
    now = timezone.now()
    for svc in (service, other_service):
        amhp = make_staff("amhp", svc)
        assessment_row(
            amhp,
            status=AssessmentStatus.COMPLETED,
            shift_ends_at=now - timedelta(hours=2),
            work_ended_at=now - timedelta(hours=1),
        )
        referral_row(svc, due_at=now - timedelta(minutes=1))

    assert tasks.start_book_toil.delay().get() == 2
    assert tasks.start_flag_late_work.delay().get() == 2

    assert sorted(ToilEntry.objects.values_list("service_id", "minutes")) == [(service.pk, 60), (other_service.pk, 60)]
    assert set(LateFlag.objects.values_list("service_id", flat=True)) == {service.pk, other_service.pk}
    assert not LateFlag.objects.filter(notified_at__isnull=True).exists()
