"""Sweeps look only at what became due or changed since their last run, with a periodic full sweep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import jobs
from assessments.models import Assessment, LateFlag, SweepMark, ToilEntry
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


def statements_of(at: datetime) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        jobs.flag_late_work(now=at)
    return [q["sql"] for q in ctx.captured_queries]


def test_a_windowed_sweep_runs_no_more_statements_than_a_full_one(
    service: Any, referral_row: Callable[..., Referral], assessment_row: Callable[..., Any], amhp: Any, now: datetime
) -> None:
    # Rows written during the window, in both tables: the windowed run checks them as a full one would.
    referral_row(service, due_at=now - timedelta(hours=1))
    assessment_row(amhp, shift_ends_at=now - timedelta(hours=1))
    full = statements_of(now)
    assert len(statements_of(now + timedelta(minutes=1))) <= len(full)


def test_with_nothing_written_since_the_last_run_no_flag_clears_and_no_clearing_update_runs(
    service: Any, referral_row: Callable[..., Referral], assessment_row: Callable[..., Any], amhp: Any, now: datetime
) -> None:
    due = referral_row(service, due_at=now - timedelta(hours=1))
    late = assessment_row(amhp, shift_ends_at=now - timedelta(hours=1))
    jobs.flag_late_work(now=now)
    Referral.objects.update(updated_at=now - timedelta(days=1))
    Assessment.objects.update(updated_at=now - timedelta(days=1))

    run = statements_of(now + timedelta(minutes=1))

    assert not [sql for sql in run if sql.startswith("UPDATE")]
    assert live_flags(due) == {"past_due"}
    assert live_flags(late.referral) == {"past_shift_end"}


def test_an_assessment_completed_in_the_window_clears_its_flag_though_no_referral_changed(
    service: Any, assessment_row: Callable[..., Any], amhp: Any, now: datetime
) -> None:
    late = assessment_row(amhp, shift_ends_at=now - timedelta(hours=1))
    jobs.flag_late_work(now=now)
    Referral.objects.update(updated_at=now - timedelta(days=1))
    Assessment.objects.filter(pk=late.pk).update(
        status="completed", completed_at=now + timedelta(seconds=30), updated_at=now + timedelta(seconds=30)
    )

    counts = jobs.flag_late_work(now=now + timedelta(minutes=1))

    assert counts["cleared"] == 1
    assert live_flags(late.referral) == set()
