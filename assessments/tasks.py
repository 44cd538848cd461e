"""Celery tasks: thin wrappers that run the sweeps in assessments.jobs.

Tasks take ids, never objects; they re-read what they need and return quietly when the
service has gone. Every task acknowledges late, so a worker that dies mid-run leaves the
message on the broker for another worker, which is safe because every sweep is idempotent.
The periodic start_* tasks fan out one task per service so one slow service holds up no other.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from assessments import jobs
from rota.models import Service

logger = logging.getLogger(__name__)


class JobTask(Task):
    """Base for the hub's jobs: late acks, retry with backoff on a lost database, start and finish logged."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (OperationalError,)
    retry_backoff = 5
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 5
    ignore_result = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        logger.info("job %s%s started", self.name, args or "")
        result = super().__call__(*args, **kwargs)
        logger.info("job %s%s finished in %.2fs: %s", self.name, args or "", time.monotonic() - started, result)
        return result


def _service_exists(service_id: int) -> bool:
    exists = Service.objects.filter(pk=service_id).exists()
    if not exists:
        logger.info("service %s no longer exists; nothing to do", service_id)
    return exists


def _service_ids() -> list[int]:
    return list(Service.objects.order_by("pk").values_list("pk", flat=True))


# --- Per-service work -----------------------------------------------------------------


@shared_task(base=JobTask)
def flag_late_work_for_service(service_id: int) -> dict[str, int] | None:
    """Raise and clear the service's late flags, then notify about the new ones."""
    if not _service_exists(service_id):
        return None
    now = timezone.now()
    counts = jobs.flag_late_work(now=now, service_id=service_id)
    counts["notified"] = jobs.notify_new_late_flags(now=now, service_id=service_id)
    return counts


@shared_task(base=JobTask)
def book_toil_for_service(service_id: int) -> int | None:
    """Book pending TOIL accruals for the service's completed work that overran a shift."""
    if not _service_exists(service_id):
        return None
    return jobs.book_toil(now=timezone.now(), service_id=service_id)


@shared_task(base=JobTask)
def notify_late_flags_for_service(service_id: int) -> int | None:
    if not _service_exists(service_id):
        return None
    return jobs.notify_new_late_flags(now=timezone.now(), service_id=service_id)


@shared_task(base=JobTask)
def notify_swaps_for_service(service_id: int) -> int | None:
    if not _service_exists(service_id):
        return None
    return jobs.notify_swaps(now=timezone.now(), service_id=service_id)


@shared_task(base=JobTask)
def warn_expiring_warrants_for_service(service_id: int) -> int | None:
    if not _service_exists(service_id):
        return None
    return jobs.warn_expiring_warrants(now=timezone.now(), service_id=service_id)


@shared_task(base=JobTask)
def warn_rota_gaps_for_service(service_id: int) -> int | None:
    if not _service_exists(service_id):
        return None
    return jobs.warn_rota_gaps(now=timezone.now(), service_id=service_id)


@shared_task(base=JobTask)
def send_pending_emails() -> int:
    """Email a batch of notifications not yet emailed; a failure is retried by the next run."""
    return jobs.send_pending_emails(now=timezone.now(), limit=settings.NOTIFICATION_EMAIL_BATCH)


# --- Periodic fan-out (CELERY_BEAT_SCHEDULE) --------------------------------------------


@shared_task(base=JobTask)
def start_flag_late_work() -> int:
    ids = _service_ids()
    for service_id in ids:
        flag_late_work_for_service.delay(service_id)
    return len(ids)


@shared_task(base=JobTask)
def start_book_toil() -> int:
    ids = _service_ids()
    for service_id in ids:
        book_toil_for_service.delay(service_id)
    return len(ids)


@shared_task(base=JobTask)
def start_notifications() -> int:
    ids = _service_ids()
    for service_id in ids:
        notify_late_flags_for_service.delay(service_id)
        notify_swaps_for_service.delay(service_id)
    send_pending_emails.delay()
    return len(ids)


@shared_task(base=JobTask)
def start_warrant_warnings() -> int:
    ids = _service_ids()
    for service_id in ids:
        warn_expiring_warrants_for_service.delay(service_id)
    return len(ids)


@shared_task(base=JobTask)
def start_rota_gap_warnings() -> int:
    ids = _service_ids()
    for service_id in ids:
        warn_rota_gaps_for_service.delay(service_id)
    return len(ids)


# Free text on an assessment record that goes when its person is anonymised (referrals.retention).
ASSESSMENT_BLANKS = {"outcome_notes": "", "nearest_relative_notes": "", "decline_reason": ""}


def anonymise_service(service_id: int) -> int:
    """Anonymise the service's people past retention, their referrals' and assessments' free text; one transaction."""
    from django.db import transaction

    from assessments.models import Assessment, TimelineEvent
    from referrals.retention import anonymise_past_retention

    with transaction.atomic():
        ids = anonymise_past_retention(service_id=service_id)
        if ids:
            Assessment.objects.filter(referral__person_id__in=ids).update(**ASSESSMENT_BLANKS)
            TimelineEvent.objects.filter(assessment__referral__person_id__in=ids).update(note="")
    return len(ids)


@shared_task(base=JobTask)
def anonymise_past_retention_for_service(service_id: int) -> int:
    if not _service_exists(service_id):
        return 0
    return anonymise_service(service_id)


@shared_task(base=JobTask)
def start_retention() -> int:
    """Daily: anonymise records past RETENTION_YEARS in every service (the audit trail is kept)."""
    ids = _service_ids()
    for service_id in ids:
        anonymise_past_retention_for_service.delay(service_id)
    return len(ids)
