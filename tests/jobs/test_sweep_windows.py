"""Sweeps look only at what became due or changed since their last run, with a periodic full sweep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import jobs
from assessments.models import LateFlag, SweepMark, ToilEntry
from referrals.models import Referral

pytestmark = pytest.mark.django_db


def live_flags(referral: Referral) -> set[str]:
    return set(LateFlag.objects.filter(referral=referral, cleared_at__isnull=True).values_list("kind", flat=True))


def age(referral: Referral, updated_at: datetime) -> None:
    """Pretend the row was last written at UPDATED_AT."""
    Referral.objects.filter(pk=referral.pk).update(updated_at=updated_at)


def test_a_windowed_sweep_flags_what_fell_due_since_the_last_run(
    service: Any, referral_row: Callable[..., Referral], now: datetime
) -> None:
    referral = referral_row(service, due_at=now + timedelta(minutes=20))
    age(referral, now - timedelta(hours=2))
    jobs.flag_late_work(now=now)
    assert live_flags(referral) == set()
    mark = SweepMark.objects.get(job="flag_late_work")
    assert mark.swept_until == mark.full_swept_at == now

    jobs.flag_late_work(now=now + timedelta(minutes=30))
    assert live_flags(referral) == {"past_due"}
    mark.refresh_from_db()
    assert (mark.swept_until, mark.full_swept_at) == (now + timedelta(minutes=30), now)


def test_an_unchanged_old_row_waits_for_the_periodic_full_sweep(
    service: Any, referral_row: Callable[..., Referral], now: datetime, settings: Any
) -> None:
    settings.SWEEP_FULL_EVERY_MINUTES = 60
    jobs.flag_late_work(now=now)
    # Written by some path that left its deadline and change time in the past.
    referral = referral_row(service, due_at=now - timedelta(hours=3))
    age(referral, now - timedelta(hours=3))
    jobs.flag_late_work(now=now + timedelta(minutes=10))
    assert live_flags(referral) == set()
    jobs.flag_late_work(now=now + timedelta(minutes=61))
    assert live_flags(referral) == {"past_due"}


def test_closing_a_referral_clears_its_flag_in_the_next_windowed_run(
    service: Any, referral_row: Callable[..., Referral], now: datetime
) -> None:
    referral = referral_row(service, due_at=now - timedelta(hours=1))
    jobs.flag_late_work(now=now)
    assert live_flags(referral) == {"past_due"}
    Referral.objects.filter(pk=referral.pk).update(status="closed", updated_at=now + timedelta(minutes=1))
    counts = jobs.flag_late_work(now=now + timedelta(minutes=2))
    assert counts["cleared"] == 1
    assert live_flags(referral) == set()


def test_a_clock_that_went_back_gets_a_full_sweep(
    service: Any, referral_row: Callable[..., Referral], now: datetime
) -> None:
    jobs.flag_late_work(now=now)
    referral = referral_row(service, due_at=now - timedelta(days=2))
    age(referral, now - timedelta(days=2))
    jobs.flag_late_work(now=now - timedelta(days=1))
    assert live_flags(referral) == {"past_due"}


def test_toil_for_work_completed_since_the_last_run_is_booked(
    amhp: Any, assessment_row: Callable[..., Any], now: datetime
) -> None:
    jobs.book_toil(now=now)
    done = assessment_row(
        amhp,
        status="completed",
        shift_ends_at=now - timedelta(hours=2),
        work_started_at=now - timedelta(hours=4),
        work_ended_at=now - timedelta(minutes=30),
        completed_at=now - timedelta(minutes=20),
    )
    assert jobs.book_toil(now=now + timedelta(minutes=5)) == 1
    assert ToilEntry.objects.get(assessment=done).minutes == 90
    assert jobs.book_toil(now=now + timedelta(minutes=10)) == 0


def test_a_windowed_sweep_runs_the_same_statements_as_a_full_one(
    service: Any, referral_row: Callable[..., Referral], now: datetime
) -> None:
    referral_row(service, due_at=now - timedelta(hours=1))

    def statements(at: datetime) -> int:
        with CaptureQueriesContext(connection) as ctx:
            jobs.flag_late_work(now=at)
        return len(ctx.captured_queries)

    assert statements(now) == statements(now + timedelta(minutes=1))
