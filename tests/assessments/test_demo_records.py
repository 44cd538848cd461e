"""Demo assessments: every assessed or allocated referral gets one, in bulk, with a believable mix."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amhp_hub.demo import seed_demo
from assessments.demo_records import seed_assessments
from assessments.models import DETENTION_OUTCOMES, Assessment, AssessmentStatus
from referrals.constants import ETHNIC_GROUP, Status
from referrals.demo import seed_referrals
from referrals.models import Referral
from rota.models import Service

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_seed_demo_gives_every_assessed_and_allocated_referral_an_assessment() -> None:
    result = seed_demo(scale=1, seed=3, now=NOW)
    referrals = Referral.objects.filter(service=result.service)
    assessed = referrals.filter(status=Status.ASSESSED)
    allocated = referrals.filter(status=Status.ALLOCATED)
    assert allocated.exists()
    assert result.counts["assessments"] == assessed.count() + allocated.count()
    completed = Assessment.objects.filter(status=AssessmentStatus.COMPLETED)
    assert completed.count() == assessed.count()
    assert not assessed.filter(assessments__isnull=True).exists()

    rows = list(
        completed.values_list(
            "outcome",
            "delay_reasons",
            "referral__person__ethnicity",
            "work_started_at",
            "work_ended_at",
            "shift_ends_at",
            "hours_worked",
            "referral__closed_at",
            "completed_at",
        )
    )
    detained = [r for r in rows if r[0] in DETENTION_OUTCOMES]
    assert 0.38 < len(detained) / len(rows) < 0.52
    assert 0.2 < sum(1 for r in rows if r[1]) / len(rows) < 0.4

    def rate(group: str) -> float:
        subset = [r for r in rows if ETHNIC_GROUP.get(r[2]) == group]
        return sum(1 for r in subset if r[0] in DETENTION_OUTCOMES) / len(subset)

    assert rate("Black") > rate("White")
    assert all(r[4] > r[3] for r in rows)
    assert any(r[4] > r[5] for r in rows)  # some work ran past the shift end: TOIL
    assert all(r[6] is not None and r[6] > 0 for r in rows)
    assert all(r[7] == r[8] for r in rows)  # the referral closed when the assessment completed
    # Most work on evening referrals starts after 17:00 London time.
    evening = [r for r in rows if 17 <= r[3].astimezone(LONDON).hour <= 23]
    assert len(evening) / len(rows) > 0.3
    # The demo AMHPs have open work to see.
    assert Assessment.objects.filter(
        status__in=["offered", "accepted", "in_progress"], amhp__user__username="amhp"
    ).exists()


def test_seed_assessments_takes_the_same_queries_for_few_or_many_referrals() -> None:
    service = seed_demo(scale=1, seed=5, now=NOW).service

    def measure() -> int:
        Assessment.objects.filter(service=service).delete()
        Referral.objects.filter(service=service, status=Status.ALLOCATED).update(status=Status.ACCEPTED)
        with CaptureQueriesContext(connection) as queries:
            seed_assessments(service=service, rng=random.Random(1), now=NOW)
        return len(queries)

    few = measure()
    seed_referrals(service=service, rng=random.Random(2), now=NOW, total=2000, open_count=10)
    many = measure()
    # Both fit one batch: the staff and referral reads, one insert each of assessments, events and
    # doctors, and the set-based updates. More batches add a fixed number of inserts per 5,000 rows.
    assert few == many, (few, many)


def test_seed_assessments_does_nothing_without_amhps(service: Service) -> None:
    assert seed_assessments(service=service, rng=random.Random(1), now=NOW) == 0
