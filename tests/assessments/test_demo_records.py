"""Demo assessments: every assessed or allocated referral gets one, in bulk, with a believable mix."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from amhp_hub.common.bulk import COPY_BATCH, INSERT_BATCH
from amhp_hub.common.zone import LONDON
from amhp_hub.demo import seed_demo
from assessments.demo_records import seed_assessments
from assessments.models import (
    DETENTION_OUTCOMES,
    OPEN_ASSESSMENT_STATUSES,
    Assessment,
    AssessmentStatus,
    Doctor,
    TimelineEvent,
)
from referrals.constants import ETHNIC_GROUP, Status, TriageDecision
from referrals.demo import seed_referrals
from referrals.models import Referral, TriageRecord
from rota.models import Leave, Service, Shift, WorkedPeriod
from tests.conftest import is_write

pytestmark = pytest.mark.django_db

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
    times = []
    for r in rows:
        started, ended, shift_end = r[3], r[4], r[5]
        assert started is not None and ended is not None, r
        times.append((started, ended, shift_end))
    assert all(ended > started for started, ended, _ in times)
    # some work ran past the shift end: TOIL
    assert any(shift_end is not None and ended > shift_end for _, ended, shift_end in times)
    assert all(r[6] is not None and r[6] > 0 for r in rows)
    assert all(r[7] == r[8] for r in rows)  # the referral closed when the assessment completed
    # Most work on evening referrals starts after 17:00 London time.
    evening = [t for t in times if 17 <= t[0].astimezone(LONDON).hour <= 23]
    assert len(evening) / len(rows) > 0.3
    # The demo AMHPs have open work to see.
    assert Assessment.objects.filter(
        status__in=["offered", "accepted", "in_progress"], amhp__user__username="amhp"
    ).exists()


def _write_statements(rows: int) -> int:
    """Statements copy_rows takes for ROWS new rows on this database: a COPY per COPY_BATCH on PostgreSQL,
    an executemany per INSERT_BATCH elsewhere."""
    return math.ceil(rows / (COPY_BATCH if connection.vendor == "postgresql" else INSERT_BATCH))


def test_seed_assessments_takes_the_same_queries_for_few_or_many_referrals() -> None:
    service = seed_demo(scale=1, seed=5, now=NOW).service

    def measure() -> tuple[int, int, int]:
        Assessment.objects.filter(service=service).delete()
        WorkedPeriod.objects.filter(staff__service=service, source="assessment").delete()
        Referral.objects.filter(service=service, status=Status.ALLOCATED).update(status=Status.ACCEPTED)
        with CaptureQueriesContext(connection) as queries:
            seed_assessments(service=service, rng=random.Random(1), now=NOW)
        inserts = sum(1 for q in queries if is_write(q["sql"]))
        expected_inserts = sum(
            _write_statements(model.objects.filter(**{lookup: service}).count())
            for model, lookup in (
                (Assessment, "service"),
                (TimelineEvent, "assessment__service"),
                (Doctor, "assessment__service"),
            )
        )
        # ... and the AMHPs' worked periods are made from the assessments, and their spans merged from those
        # periods, by one INSERT ... SELECT each.
        return len(queries) - inserts, inserts, expected_inserts + 2

    few = measure()
    seed_referrals(service=service, rng=random.Random(2), now=NOW, total=2000, open_count=10)
    many = measure()
    assert Assessment.objects.filter(service=service).count() > 1000
    # Both fit one batch of 5,000: the staff, shift and referral reads and the set-based updates
    # take the same queries whatever the number of referrals ...
    assert few[0] == many[0]
    # ... and the rows go in as plain rows, one COPY per model on PostgreSQL (one executemany elsewhere).
    assert few[1] == few[2]
    assert many[1] == many[2]


def test_demo_open_allocations_sit_within_a_shift_of_their_amhp_without_leave() -> None:
    service = seed_demo(scale=1, seed=4, now=NOW).service
    live = list(
        Assessment.objects.filter(service=service, status__in=OPEN_ASSESSMENT_STATUSES).select_related("referral")
    )
    assert len(live) >= 3
    for assessment in live:
        shift = Shift.objects.filter(
            staff_id=assessment.amhp_id,
            cancelled_at__isnull=True,
            starts_at__lte=assessment.allocated_at,
            ends_at__gt=assessment.allocated_at,
        ).first()
        assert shift is not None, f"{assessment.referral.reference} allocated outside its AMHP's shifts"
        assert assessment.shift_ends_at == shift.ends_at
        assert not Leave.objects.filter(
            staff_id=assessment.amhp_id,
            cancelled_at__isnull=True,
            starts_at__lt=shift.ends_at,
            ends_at__gt=shift.starts_at,
        ).exists()
        assert assessment.referral.received_at < assessment.allocated_at < NOW
    # The demo sign-ins amhp, amhp2 and amhp3 each have open work to see.
    usernames = {a.amhp.user.username for a in Assessment.objects.filter(pk__in=[a.pk for a in live])}
    assert {"amhp", "amhp2", "amhp3"} <= usernames


def test_demo_referrals_past_triage_each_carry_their_triage_record() -> None:
    service = seed_demo(scale=1, seed=6, now=NOW).service
    referrals = Referral.objects.filter(service=service)
    past_triage = referrals.exclude(status=Status.NEW)
    assert past_triage.filter(status__in=[Status.ACCEPTED, Status.ALLOCATED]).exists()
    assert not past_triage.filter(triage_records__isnull=True).exists()
    assert not referrals.filter(status=Status.NEW, triage_records__isnull=False).exists()
    accepted = TriageRecord.objects.filter(
        referral__service=service, referral__status__in=[Status.ACCEPTED, Status.ALLOCATED, Status.ASSESSED]
    )
    assert set(accepted.values_list("decision", flat=True)) == {TriageDecision.ACCEPT}
    assert not accepted.filter(decided_at__lt=F("referral__received_at")).exists()


def test_seed_assessments_does_nothing_without_amhps(service: Service) -> None:
    assert seed_assessments(service=service, rng=random.Random(1), now=NOW) == 0


def test_no_demo_amhp_holds_more_than_a_caseload_of_open_allocations_however_long_the_queue() -> None:
    """A queue of 1,500 open referrals is far more than the demo's AMHPs could hold: most wait unallocated."""
    from django.db.models import Count

    from assessments.demo_records import OPEN_CASELOAD

    result = seed_demo(scale=1, open_count=1500, seed=5, now=NOW)
    held = (
        Assessment.objects.filter(referral__service=result.service, status__in=OPEN_ASSESSMENT_STATUSES)
        .values("amhp")
        .annotate(n=Count("id"))
    )
    counts = [row["n"] for row in held]
    assert counts and max(counts) <= OPEN_CASELOAD == 4
    waiting = Referral.objects.filter(service=result.service, status=Status.ACCEPTED).count()
    assert waiting > sum(counts)


def test_seeded_history_says_when_it_last_changed_so_the_roll_up_sees_nothing_new_after_its_run() -> None:
    """A year of demo history is written in seconds; each row must still say when it last changed (closed,
    answered, allocated), or the roll-up would count the whole year live on every dashboard read."""
    from datetime import timedelta

    from assessments.models import CaseRequest
    from dashboards import rollups

    result = seed_demo(scale=1, seed=9, now=NOW)
    service = result.service
    assert not Referral.objects.filter(service=service, updated_at__gt=NOW).exists()
    assert not Assessment.objects.filter(service=service, updated_at__gt=NOW).exists()
    assert not CaseRequest.objects.filter(service_id=service.pk, updated_at__gt=NOW).exists()
    closed = Referral.objects.filter(service=service, status=Status.ASSESSED).first()
    assert closed is not None and closed.closed_at is not None
    assert closed.updated_at == min(closed.closed_at, NOW)

    rollups.refresh_rollups(service_id=service.pk, now=NOW + timedelta(minutes=10))
    assert rollups.Rollup(service_id=service.pk, now=NOW + timedelta(minutes=20)).dirty == set()


def test_no_demo_work_is_recorded_after_now_even_when_the_rota_cannot_absorb_the_demand() -> None:
    # One AMHP left on the rota for far more referrals than one person can assess: the work waits for them to
    # finish what they were doing, and the desk's queue would run on past now.
    service = seed_demo(scale=1, seed=6, now=NOW).service
    Assessment.objects.filter(service=service).delete()
    WorkedPeriod.objects.filter(staff__service=service, source="assessment").delete()
    kept = Shift.objects.filter(service=service, staff__user__username="amhp").values("staff_id")[:1]
    Shift.objects.filter(service=service).exclude(staff_id__in=kept).update(cancelled_at=NOW)
    seed_referrals(service=service, rng=random.Random(7), now=NOW, total=20000, open_count=10)
    seed_assessments(service=service, rng=random.Random(8), now=NOW)
    completed = Assessment.objects.filter(service=service, status=AssessmentStatus.COMPLETED)
    assert completed.count() > 15000
    for field in ("seen_at", "completed_at", "work_ended_at", "updated_at"):
        assert not completed.filter(**{f"{field}__gt": NOW}).exists(), field
    assert not Referral.objects.filter(service=service, closed_at__gt=NOW).exists()
    assert not WorkedPeriod.objects.filter(staff__service=service, ended_at__gt=NOW).exists()
    assert not TimelineEvent.objects.filter(assessment__service=service, at__gt=NOW).exists()
    assert not Doctor.objects.filter(assessment__service=service, examined_at__gt=NOW).exists()
