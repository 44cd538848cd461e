"""Honesty: replaying the demo service's own month through its real rota with today's ranking
reproduces the TOIL the booking job actually booked and the late finishes recorded, within 15%."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pytest_django import DjangoDbBlocker

from amhp_hub.demo import seed_demo
from assessments import jobs
from planning import replay, selectors
from planning.solver import planner_policy_factory
from rota.timefmt import LONDON

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_history(django_db_setup: object, django_db_blocker: DjangoDbBlocker) -> selectors.History:
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            result = seed_demo(scale=1, seed=5, now=NOW, service_name="Replay Demo Hub")
            jobs.book_toil(now=NOW, service_id=result.service.pk)  # the real TOIL job books the ledger
            period = selectors.rota_period(service_id=result.service.pk)
            assert period is not None, "the demo has a rota"
            first, _ = period
            today = NOW.astimezone(LONDON).date()
            found = selectors.history(
                service_id=result.service.pk, start=first + timedelta(days=1), end=today - timedelta(days=2)
            )
            transaction.set_rollback(True)
    return found


def test_the_demo_month_has_late_working_to_reproduce(demo_history: selectors.History) -> None:
    assert len(demo_history.cases) > 50
    assert demo_history.toil_booked_minutes > 0
    assert demo_history.late_finishes > 0


def test_replaying_the_real_rota_with_the_greedy_ranking_reproduces_toil_and_late_finishes(
    demo_history: selectors.History,
) -> None:
    comparison = replay.replay(demo_history)
    assert comparison.toil_error is not None and comparison.toil_error <= 0.15
    assert comparison.late_finish_error is not None and comparison.late_finish_error <= 0.15


def test_the_planner_over_the_same_history_is_not_worse_on_breaches_and_cuts_work_past_shift_end(
    demo_history: selectors.History,
) -> None:
    greedy = replay.replay(demo_history).report
    planned = replay.replay(demo_history, policy=planner_policy_factory()).report
    assert planned.statutory_breaches <= greedy.statutory_breaches
    assert planned.hours_past_shift_end < greedy.hours_past_shift_end
