"""The Celery app. Configuration lives in Django settings under the CELERY_ namespace."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import beat_init, worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amhp_hub.settings")

app = Celery("amhp_hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@worker_process_init.connect
@beat_init.connect
def use_job_timeouts(**kwargs: object) -> None:
    """The worker and beat run jobs: their connections get the jobs' statement timeout, not the requests'.

    A set-based sweep or roll-up over a large service may rightly run longer than a request may.
    The lock timeout stays. It runs before the process opens its connection (Celery's Django fix-up
    closes any inherited from the parent in each pool process).
    """
    from django.conf import settings
    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "postgresql":
        return
    connection.settings_dict.setdefault("OPTIONS", {})["options"] = settings.DB_JOB_OPTIONS
