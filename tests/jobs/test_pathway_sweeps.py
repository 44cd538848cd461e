"""The sweeps watch open cases through application_made, and stop once the person is admitted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import jobs
from assessments.models import LateFlag, Notification
from referrals.models import Referral
from rota.models import Service, StaffProfile

pytestmark = pytest.mark.django_db


def _awaiting(referral_row: Callable[..., Referral], service: Service, now: datetime, hours_left: float) -> Referral:
    """A signed application awaiting a bed: the s6(1)(a) conveyance deadline is the one watched."""
    return referral_row(
        service,
        status="application_made",
        statutory_expires_at=now + timedelta(hours=hours_left),
        deadline_rule="conveyance_s6",
        due_at=now + timedelta(hours=hours_left),
    )


def test_application_made_cases_get_near_expiry_and_breach_flags_naming_the_deadline(
    service: Service,
    consultant: StaffProfile,
    referral_row: Callable[..., Referral],
    now: datetime,
) -> None:
    near = _awaiting(referral_row, service, now, 1)
    gone = _awaiting(referral_row, service, now, -2)
    admitted = referral_row(service, status="admitted", statutory_expires_at=now - timedelta(hours=5))
    jobs.flag_late_work(now=now)
    kinds = set(LateFlag.objects.values_list("referral_id", "kind"))
    assert (near.pk, "near_statutory_expiry") in kinds
    assert (gone.pk, "statutory_breach") in kinds
    assert not [k for k in kinds if k[0] == admitted.pk]  # no false breach once admitted
    jobs.notify_new_late_flags(now=now)
    # One notification a person per run: with two flags, a digest that names each of them.
    texts = Notification.objects.filter(recipient=consultant.user).values_list("title", "body")
    assert f"{near.reference}: Close to the statutory limit (s6(1)(a): " in " ".join(t + " " + b for t, b in texts)


def test_admission_clears_the_flags_and_running_again_adds_nothing(
    service: Service, consultant: StaffProfile, referral_row: Callable[..., Referral], now: datetime
) -> None:
    gone = _awaiting(referral_row, service, now, -2)
    jobs.flag_late_work(now=now)
    assert jobs.flag_late_work(now=now + timedelta(minutes=1))["raised_statutory_breach"] == 0
    Referral.objects.filter(pk=gone.pk).update(status="admitted", updated_at=now + timedelta(minutes=2))
    jobs.flag_late_work(now=now + timedelta(minutes=3))
    assert not LateFlag.objects.filter(referral=gone, cleared_at__isnull=True).exists()


def test_the_late_work_sweep_takes_the_same_statements_for_5_or_50_application_made_cases(
    service: Service, referral_row: Callable[..., Referral], now: datetime, settings: Any
) -> None:
    def measure(n: int, at: datetime) -> int:
        for i in range(n):
            _awaiting(referral_row, service, at, (i % 5) - 2)
        with CaptureQueriesContext(connection) as ctx:
            jobs.flag_late_work(now=at)
            jobs.notify_new_late_flags(now=at)
        return len(ctx.captured_queries)

    settings.SWEEP_FULL_EVERY_MINUTES = 0  # a full sweep each time
    # Five apart, so both worlds hold every kind of case (i % 5) and differ only in how many.
    assert measure(5, now) == measure(50, now + timedelta(hours=1))
