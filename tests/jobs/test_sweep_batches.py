"""Sweeps at scale: batches, one notification per person per run, one runner at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from assessments import jobs
from assessments.models import Assessment, AssessmentStatus, LateFlag, Notification, SweepMark, ToilEntry
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
        q
        for q in ctx.captured_queries
        if 'INSERT INTO "assessments_toilentry"' in q["sql"]  # or "N times: INSERT"
    ]
    # Ten completed assessments walked three at a time in order of shift end (the 3 that earn nothing
    # ended earliest, so the first batch books nothing): one INSERT for each batch with work that earns.
    in_order = list(Assessment.objects.order_by("shift_ends_at").values_list("pk", flat=True))
    earning = {a.pk for a in booked}
    batches = [in_order[i : i + 3] for i in range(0, len(in_order), 3)]
    assert [bool(earning & set(batch)) for batch in batches] == [False, True, True, True]
    assert len(inserts) == 3
    minutes = dict(ToilEntry.objects.values_list("assessment_id", "minutes"))
    assert [minutes[a.pk] for a in booked] == [30 + 15 * i for i in range(7)]
    # Again, as a full sweep: the unique constraint turns every repeat into nothing.
    monkeypatch.setattr(jobs, "_window_start", lambda *a: None)
    assert jobs.book_toil(now=now + M) == 0
    assert ToilEntry.objects.count() == 7


@override_settings(TOIL_MONTHLY_CAP_HOURS=15, TOIL_BLOCK_MINUTES=15)
def test_in_batches_the_monthly_cap_goes_to_the_work_done_first(
    amhp: StaffProfile, assessment_row: Callable[..., Any], now: datetime, monkeypatch: Any
) -> None:
    # Four overruns of 5 hours each after separate shift ends in February 2026: 20 hours against a
    # cap of 15, so the first three in the order the work was done book 5 hours each and the last
    # books nothing (5 hours over the cap), whatever the order of their ids.
    ends = [datetime(2026, 2, day, 17, 0, tzinfo=UTC) for day in (2, 9, 16, 23)]
    rows = [
        assessment_row(
            amhp,
            status=AssessmentStatus.COMPLETED,
            shift_ends_at=end,
            work_started_at=end - H,
            work_ended_at=end + 5 * H,
        )
        for end in reversed(ends)  # made latest first
    ]
    monkeypatch.setattr(jobs, "TOIL_SWEEP_BATCH", 1)

    assert jobs.book_toil(now=now) == 4

    minutes = dict(ToilEntry.objects.values_list("assessment_id", "minutes"))
    by_end = {row.shift_ends_at: minutes[row.pk] for row in rows}
    assert [by_end[end] for end in ends] == [300, 300, 300, 0]
    assert "5 hours over the monthly cap" in ToilEntry.objects.get(assessment=rows[0]).note


def test_a_batch_never_splits_the_work_after_one_shift_end(
    amhp: StaffProfile, assessment_row: Callable[..., Any], now: datetime, monkeypatch: Any
) -> None:
    # Three pieces of work after one 17:00 shift end, ending 18:00, 19:00 and 20:00, with a batch of one:
    # the batch takes all three (the shift end is its bound), and the union of the late intervals is
    # 3 hours, booked once, in the order the work ended: 60, 60 and 60 minutes.
    end = now - 30 * H
    rows = [
        assessment_row(
            amhp,
            status=AssessmentStatus.COMPLETED,
            shift_ends_at=end,
            work_started_at=end - H,
            work_ended_at=end + h * H,
        )
        for h in (3, 1, 2)
    ]
    monkeypatch.setattr(jobs, "TOIL_SWEEP_BATCH", 1)

    with CaptureQueriesContext(connection) as ctx:
        assert jobs.book_toil(now=now) == 3

    assert len([q for q in ctx.captured_queries if 'INTO "assessments_toilentry"' in q["sql"]]) == 1
    minutes = dict(ToilEntry.objects.values_list("assessment_id", "minutes"))
    assert [minutes[row.pk] for row in rows] == [60, 60, 60]


def _full_sweep_statements(now: datetime) -> tuple[int, int]:
    """Statements of a first full TOIL sweep, and the entries it booked, from an empty ledger and no mark."""
    SweepMark.objects.filter(job="book_toil").delete()
    ToilEntry.objects.filter(kind=ToilEntry.Kind.ACCRUAL).delete()
    with CaptureQueriesContext(connection) as ctx:
        booked = jobs.book_toil(now=now)
    return len(ctx.captured_queries), booked


def test_a_batch_of_a_full_toil_sweep_runs_the_same_statements_for_4_rows_and_for_40(
    amhp: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    assessment_row: Callable[..., Any],
    now: datetime,
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(jobs, "TOIL_SWEEP_BATCH", 100)  # one batch either way
    others = [make_staff("amhp", amhp.service) for _ in range(3)]

    def work(days: range) -> None:
        # An overrun of one hour after a shift end on each of DAYS (days ago), shared among four AMHPs.
        for i in days:
            end = now - (i + 2) * 24 * H
            staff = [amhp, *others][i % 4]
            assessment_row(staff, status=AssessmentStatus.COMPLETED, shift_ends_at=end, work_ended_at=end + H)

    work(range(4))
    few = _full_sweep_statements(now)
    work(range(4, 40))
    many = _full_sweep_statements(now)

    assert few[1] == 4 and many[1] == 40
    assert many[0] == few[0]


def test_each_batch_of_a_full_toil_sweep_adds_the_same_few_statements(
    amhp: StaffProfile, assessment_row: Callable[..., Any], now: datetime, monkeypatch: Any
) -> None:
    # Twelve one-hour overruns after shift ends a day apart: in batches of 3 and of 6 the sweep walks
    # 4 and 2 batches; each batch costs the same statements, so the difference is 2 batches' worth.
    for i in range(12):
        end = now - (i + 2) * 24 * H
        assessment_row(amhp, status=AssessmentStatus.COMPLETED, shift_ends_at=end, work_ended_at=end + H)
    counts = {}
    for size in (3, 6, 12):
        monkeypatch.setattr(jobs, "TOIL_SWEEP_BATCH", size)
        counts[size], booked = _full_sweep_statements(now)
        assert booked == 12
    per_batch = (counts[3] - counts[6]) // 2
    assert counts[3] - counts[6] == 2 * per_batch
    assert counts[6] - counts[12] == per_batch
    # A batch: where it ends, its new work, the lock on its AMHPs, the booked work of its shifts, the
    # month totals and the insert, in a transaction of its own (two more statements under a test's
    # savepoints).
    assert per_batch <= 8


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


def test_the_month_totals_for_the_cap_follow_the_london_calendar_month_and_leave_out_rejected_time(
    amhp: StaffProfile, make_staff: Callable[..., StaffProfile]
) -> None:
    other = make_staff("amhp", amhp.service)

    def accrual(staff: StaffProfile, worked_from: datetime, minutes: int, status: str = "pending") -> None:
        ToilEntry.objects.create(
            staff=staff, service=staff.service, kind="accrual", minutes=minutes, worked_from=worked_from, status=status
        )

    # 31 March 2026 23:30 UTC is 1 April 00:30 in London (BST began on 29 March): April's.
    accrual(amhp, datetime(2026, 3, 31, 23, 30, tzinfo=UTC), 60)
    accrual(amhp, datetime(2026, 4, 2, 17, 0, tzinfo=UTC), 45)
    accrual(amhp, datetime(2026, 4, 2, 17, 0, tzinfo=UTC), 30)  # the same shift end: summed
    accrual(amhp, datetime(2026, 3, 31, 22, 30, tzinfo=UTC), 15)  # 23:30 on 31 March in London: March's
    accrual(amhp, datetime(2026, 4, 9, 17, 0, tzinfo=UTC), 120, status="rejected")
    accrual(other, datetime(2026, 4, 9, 17, 0, tzinfo=UTC), 90)
    accrual(amhp, datetime(2026, 5, 1, 9, 0, tzinfo=UTC), 240)  # outside the months asked for

    totals = jobs.accrued_by_month(
        [amhp.pk, other.pk], datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 4, 20, tzinfo=UTC)
    )

    march, april = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 31, 23, 0, tzinfo=UTC)  # London midnights
    assert totals == {(str(amhp.pk), march): 15, (str(amhp.pk), april): 135, (str(other.pk), april): 90}


def test_work_another_worker_books_between_the_read_and_the_lock_counts_as_booked(
    amhp: StaffProfile, assessment_row: Callable[..., Any], now: datetime, monkeypatch: Any
) -> None:
    # After a 17:00 shift end: A worked 16:00-19:00 and B 18:00-21:00, a union of 4 hours (17:00-21:00).
    # Another worker books B's 3 hours after this run read both as new and before it locked the AMHP:
    # this run must then book A for what it adds to B, 1 hour, so the shift's total stays 4 hours.
    end = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    done = AssessmentStatus.COMPLETED
    a = assessment_row(amhp, status=done, shift_ends_at=end, work_started_at=end - H, work_ended_at=end + 2 * H)
    b = assessment_row(amhp, status=done, shift_ends_at=end, work_started_at=end + H, work_ended_at=end + 4 * H)
    atomic = jobs.transaction.atomic
    raced: list[bool] = []

    def other_worker_first(*args: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            ToilEntry.objects.create(
                staff=amhp, service=amhp.service, assessment=b, kind="accrual", minutes=180, worked_from=end
            )
        return atomic(*args, **kwargs)

    monkeypatch.setattr(jobs.transaction, "atomic", other_worker_first)

    assert jobs.book_toil(now=now) == 1

    assert raced
    assert dict(ToilEntry.objects.values_list("assessment_id", "minutes")) == {a.pk: 60, b.pk: 180}
