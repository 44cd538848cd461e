"""Sweeps at scale: batches, one notification per person per run, one runner at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import jobs
from assessments.models import Assessment, AssessmentStatus, LateFlag, Notification, ToilEntry
from rota.models import StaffProfile
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
M = timedelta(minutes=1)


def test_a_full_toil_sweep_in_batches_books_what_one_statement_would(
    amhp: StaffProfile, assessment_row: Callable[..., Any], now: datetime, monkeypatch: Any
) -> None:
    done = AssessmentStatus.COMPLETED
    # 7 overruns of 30 to 120 minutes (whole 15-minute blocks: 30, 45, ... 120) and 3 of 10 minutes that
    # earn nothing, each after its own shift end 4 hours from the next, so no two overlap and each
    # books its own overrun (8 h 45 min in all, under the monthly cap of 15 h).
    ends = [now - 5 * H - 4 * i * H for i in range(10)]
    booked = [
        assessment_row(
            amhp,
            status=done,
            shift_ends_at=ends[i],
            work_started_at=ends[i] - H,
            work_ended_at=ends[i] + (30 + 15 * i) * M,
        )
        for i in range(7)
    ]
    for i in range(7, 10):
        assessment_row(
            amhp, status=done, shift_ends_at=ends[i], work_started_at=ends[i] - H, work_ended_at=ends[i] + 10 * M
        )
    monkeypatch.setattr(jobs, "TOIL_SWEEP_BATCH", 3)

    with CaptureQueriesContext(connection) as ctx:
        assert jobs.book_toil(now=now) == 7

    inserts = [
        q for q in ctx.captured_queries if q["sql"].startswith("INSERT") and 'INTO "assessments_toilentry"' in q["sql"]
    ]
    # Ten completed assessments walked three at a time by id: one INSERT for each batch with work that earns.
    ids = sorted(str(pk) for pk in Assessment.objects.values_list("pk", flat=True))
    earning = {str(a.pk) for a in booked}
    batches = [ids[i : i + 3] for i in range(0, len(ids), 3)]
    assert len(inserts) == sum(1 for batch in batches if earning & set(batch))
    minutes = dict(ToilEntry.objects.values_list("assessment_id", "minutes"))
    assert [minutes[a.pk] for a in booked] == [30 + 15 * i for i in range(7)]
    # Again, as a full sweep: the unique constraint turns every repeat into nothing.
    monkeypatch.setattr(jobs, "_window_start", lambda *a: None)
    assert jobs.book_toil(now=now + M) == 0
    assert ToilEntry.objects.count() == 7


def test_an_outage_of_many_late_referrals_sends_each_consultant_one_notification(
    service: Any,
    consultant: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    referral_row: Callable[..., Any],
    now: datetime,
) -> None:
    second = make_staff("consultant", service)
    for i in range(40):
        referral_row(service, due_at=now - (i + 1) * M)
    jobs.flag_late_work(now=now)
    assert LateFlag.objects.count() == 40

    with CaptureQueriesContext(connection) as ctx:
        assert jobs.notify_new_late_flags(now=now) == 2

    assert {(n.recipient_id, n.title, n.url) for n in Notification.objects.all()} == {
        (consultant.user_id, "Running late: 40 referrals", "/queue/"),
        (second.user_id, "Running late: 40 referrals", "/queue/"),
    }
    few = len(ctx.captured_queries)
    for i in range(60):
        referral_row(service, due_at=now - (i + 1) * H)
    jobs.flag_late_work(now=now + M)
    with CaptureQueriesContext(connection) as ctx:
        assert jobs.notify_new_late_flags(now=now + M) == 2
    assert len(ctx.captured_queries) == few  # the cost does not grow with the flags
    assert Notification.objects.filter(recipient=consultant.user).count() == 2


@requires_postgres
def test_a_second_runner_of_a_sweep_does_nothing_while_the_first_holds_it(
    amhp: StaffProfile,
    consultant: StaffProfile,
    assessment_row: Callable[..., Any],
    now: datetime,
    service: Any,
    referral_row: Any,
) -> None:
    from django.db import connections

    assessment_row(amhp, status=AssessmentStatus.COMPLETED, shift_ends_at=now - 2 * H, work_ended_at=now - H)
    referral_row(service, due_at=now - M)
    jobs.flag_late_work(now=now)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:  # another worker is running both jobs for every service
            for job in ("book_toil", "notify_new_late_flags"):
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [jobs.LOCK_NAMESPACE, jobs._lock_key(job, None)])
        assert jobs.book_toil(now=now) == 0
        assert jobs.notify_new_late_flags(now=now) == 0
        assert not ToilEntry.objects.exists() and not Notification.objects.exists()
    finally:
        with other.cursor() as cursor:  # the other worker finishes
            cursor.execute("SELECT pg_advisory_unlock_all()")
        other.close()
    assert jobs.book_toil(now=now) == 1
    assert jobs.notify_new_late_flags(now=now) == 1


def test_a_consultants_digest_names_the_first_ten_and_counts_the_rest(
    service: Any, consultant: StaffProfile, referral_row: Callable[..., Any], now: datetime
) -> None:
    made = [referral_row(service, due_at=now - (i + 1) * M) for i in range(12)]
    jobs.flag_late_work(now=now)
    jobs.notify_new_late_flags(now=now)
    digest = Notification.objects.get(recipient=consultant.user)
    lines = digest.body.splitlines()
    assert digest.title == "Running late: 12 referrals"
    assert len(lines) == 1 + 10 + 1 and lines[-1] == "and 2 more"
    assert {line.split(":")[0] for line in lines[1:11]} <= {r.reference for r in made}
