"""The set-based sweeps: right rows, idempotent, a fixed number of statements whatever the table size."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import jobs
from assessments.models import AssessmentStatus, LateFlag, Notification, ToilEntry
from rota.models import Shift, ShiftType, StaffProfile

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
M = timedelta(minutes=1)


def live_flags() -> set[tuple[str, str]]:
    return {(str(r), k) for r, k in LateFlag.objects.filter(cleared_at__isnull=True).values_list("referral_id", "kind")}


def test_flag_late_work_raises_exactly_the_flags_that_hold(
    service: Any,
    amhp: StaffProfile,
    referral_row: Callable[..., Any],
    assessment_row: Callable[..., Any],
    now: datetime,
) -> None:
    on_time = referral_row(service, due_at=now + H)
    past_due = referral_row(service, due_at=now - M)
    near = referral_row(service, statutory_expires_at=now + 3 * H)
    far = referral_row(service, statutory_expires_at=now + 5 * H)
    breached = referral_row(service, statutory_expires_at=now - M)
    closed_past_due = referral_row(service, status="closed", due_at=now - H, statutory_expires_at=now - H)
    draft = referral_row(service, status="draft", due_at=now - H)
    overrun = assessment_row(amhp, shift_ends_at=now - M)
    within_shift = assessment_row(amhp, shift_ends_at=now + M)
    completed_late = assessment_row(amhp, status=AssessmentStatus.COMPLETED, shift_ends_at=now - H)

    counts = jobs.flag_late_work(now=now)

    assert live_flags() == {
        (str(past_due.pk), "past_due"),
        (str(near.pk), "near_statutory_expiry"),
        (str(breached.pk), "statutory_breach"),
        (str(overrun.referral_id), "past_shift_end"),
    }
    assert counts == {
        "raised_past_due": 1,
        "raised_near_statutory_expiry": 1,
        "raised_statutory_breach": 1,
        "raised_past_shift_end": 1,
        "cleared": 0,
    }
    flag = LateFlag.objects.get(kind="past_shift_end")
    assert flag.assessment_id == overrun.pk and flag.service_id == service.pk and flag.raised_at == now
    del on_time, far, closed_past_due, draft, within_shift, completed_late


def test_referral_flags_carry_the_open_assessment(
    amhp: StaffProfile, referral_row: Callable[..., Any], assessment_row: Callable[..., Any], now: datetime
) -> None:
    referral = referral_row(amhp.service, status="allocated", due_at=now - H)
    assessment = assessment_row(amhp, referral=referral)

    jobs.flag_late_work(now=now)

    assert LateFlag.objects.get(kind="past_due").assessment_id == assessment.pk


def test_flags_clear_when_their_condition_no_longer_holds(
    service: Any,
    amhp: StaffProfile,
    referral_row: Callable[..., Any],
    assessment_row: Callable[..., Any],
    now: datetime,
) -> None:
    past_due = referral_row(service, due_at=now - M)
    retriaged = referral_row(service, due_at=now - M)
    breached = referral_row(service, statutory_expires_at=now - M)
    overrun = assessment_row(amhp, shift_ends_at=now - M)
    jobs.flag_late_work(now=now)
    assert len(live_flags()) == 4

    type(past_due).objects.filter(pk=past_due.pk).update(status="closed")
    type(retriaged).objects.filter(pk=retriaged.pk).update(due_at=now + H)
    type(overrun).objects.filter(pk=overrun.pk).update(status=AssessmentStatus.COMPLETED)
    later = now + 10 * M
    counts = jobs.flag_late_work(now=later)

    assert counts["cleared"] == 3
    assert live_flags() == {(str(breached.pk), "statutory_breach")}
    assert set(LateFlag.objects.filter(cleared_at=later).values_list("kind", flat=True)) == {
        "past_due",
        "past_shift_end",
    }


def test_near_expiry_flag_stays_when_the_power_runs_out_and_a_breach_joins_it(
    service: Any, referral_row: Callable[..., Any], now: datetime
) -> None:
    referral = referral_row(service, statutory_expires_at=now + H)
    jobs.flag_late_work(now=now)
    jobs.flag_late_work(now=now + 2 * H)

    assert live_flags() == {(str(referral.pk), "near_statutory_expiry"), (str(referral.pk), "statutory_breach")}


def test_the_margin_for_near_expiry_is_a_setting(
    settings: Any, service: Any, referral_row: Callable[..., Any], now: datetime
) -> None:
    settings.LATE_STATUTORY_MARGIN_HOURS = 1
    referral_row(service, statutory_expires_at=now + 2 * H)

    assert jobs.flag_late_work(now=now)["raised_near_statutory_expiry"] == 0


def test_a_flag_raised_again_after_clearing_is_a_new_row(
    service: Any, referral_row: Callable[..., Any], now: datetime
) -> None:
    referral = referral_row(service, due_at=now - M)
    jobs.flag_late_work(now=now)
    type(referral).objects.filter(pk=referral.pk).update(due_at=now + M)
    jobs.flag_late_work(now=now)
    jobs.flag_late_work(now=now + H)

    assert LateFlag.objects.filter(referral=referral, kind="past_due").count() == 2
    assert LateFlag.objects.filter(referral=referral, kind="past_due", cleared_at__isnull=True).count() == 1


def test_flag_late_work_for_one_service_leaves_others_alone(
    service: Any, other_service: Any, referral_row: Callable[..., Any], now: datetime
) -> None:
    referral_row(service, due_at=now - H)
    referral_row(other_service, due_at=now - H)

    jobs.flag_late_work(now=now, service_id=other_service.pk)

    assert list(LateFlag.objects.values_list("service_id", flat=True)) == [other_service.pk]


# --- TOIL --------------------------------------------------------------------------------


def test_book_toil_books_whole_blocks_of_overrun_for_completed_work(
    amhp: StaffProfile, assessment_row: Callable[..., Any], now: datetime
) -> None:
    end = now - 5 * H
    done = AssessmentStatus.COMPLETED
    long = assessment_row(amhp, status=done, shift_ends_at=end, work_ended_at=end + 74 * M, completed_at=now)
    exact = assessment_row(amhp, status=done, shift_ends_at=end, work_ended_at=end + 15 * M, completed_at=now)
    assessment_row(amhp, status=done, shift_ends_at=end, work_ended_at=end + 14 * M + timedelta(seconds=59))
    assessment_row(amhp, status=done, shift_ends_at=end, work_ended_at=end - H)
    assessment_row(amhp, status=done, shift_ends_at=None, work_ended_at=end)
    assessment_row(amhp, status=AssessmentStatus.IN_PROGRESS, shift_ends_at=end, work_ended_at=end + 2 * H)

    assert jobs.book_toil(now=now) == 2

    # Both ran past the same shift end: the union is the longer one, 74 min -> 60 min in whole blocks.
    # Booked in the order the work ended: the 15-minute one first (15), then what the other adds (45).
    entries = {e.assessment_id: e for e in ToilEntry.objects.all()}
    assert entries[exact.pk].minutes == 15 and entries[long.pk].minutes == 45
    entry = entries[long.pk]
    assert (entry.kind, entry.status, entry.staff_id, entry.service_id) == (
        "accrual",
        "pending",
        amhp.pk,
        amhp.service_id,
    )
    assert (entry.worked_from, entry.worked_to) == (end, end + 74 * M)


def test_book_toil_counts_elapsed_time_across_the_clock_change(
    amhp: StaffProfile, assessment_row: Callable[..., Any]
) -> None:
    # Shift ends 00:30 GMT on 29 March 2026; work ends 03:10 BST = 02:10 UTC: 100 minutes.
    from datetime import UTC

    shift_end = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assessment_row(amhp, status=AssessmentStatus.COMPLETED, shift_ends_at=shift_end, work_ended_at=shift_end + 100 * M)

    jobs.book_toil(now=datetime(2026, 3, 29, 9, 0, tzinfo=UTC))

    assert ToilEntry.objects.get().minutes == 90


def test_book_toil_twice_books_nothing_more(
    amhp: StaffProfile, assessment_row: Callable[..., Any], now: datetime
) -> None:
    assessment_row(amhp, status=AssessmentStatus.COMPLETED, shift_ends_at=now - 2 * H, work_ended_at=now - H)

    assert jobs.book_toil(now=now) == 1
    assert jobs.book_toil(now=now + H) == 0
    assert ToilEntry.objects.count() == 1


# --- Warnings ------------------------------------------------------------------------------


def test_warrant_warnings_go_to_the_amhp_and_each_manager_once(
    service: Any,
    other_service: Any,
    make_staff: Callable[..., StaffProfile],
    manager: StaffProfile,
    now: datetime,
) -> None:
    second_manager = make_staff("manager", service)
    other_manager = make_staff("manager", other_service)
    expiring = make_staff("amhp", service, warrant_expires_on=date(2026, 6, 1))
    make_staff("amhp", service, warrant_expires_on=date(2026, 6, 30))  # 112 days away
    make_staff("amhp", service, warrant_expires_on=date(2026, 3, 1))  # already ended
    make_staff("amhp", service)  # no warrant date

    assert jobs.warn_expiring_warrants(now=now) == 3
    assert jobs.warn_expiring_warrants(now=now + timedelta(days=1)) == 0

    rows = Notification.objects.all()
    assert {n.recipient_id for n in rows} == {expiring.user_id, manager.user_id, second_manager.user_id}
    keys = {n.dedupe_key for n in rows}
    assert len(keys) == 1 and keys.pop().endswith(":2026-06-01")
    assert all("2026-06-01" in n.title and n.service_id == service.pk for n in rows)
    assert not Notification.objects.filter(recipient=other_manager.user).exists()


def test_a_renewed_warrant_warns_again_when_it_nears_its_new_end(
    service: Any, make_staff: Callable[..., StaffProfile], now: datetime
) -> None:
    amhp = make_staff("amhp", service, warrant_expires_on=date(2026, 5, 1))
    jobs.warn_expiring_warrants(now=now)
    StaffProfile.objects.filter(pk=amhp.pk).update(warrant_expires_on=date(2031, 5, 1))
    jobs.warn_expiring_warrants(now=datetime(2031, 3, 1, 9, tzinfo=now.tzinfo))

    assert Notification.objects.filter(recipient=amhp.user).count() == 2


def make_shift_type(service: Any, code: str, cover: int, weekdays_only: bool = False) -> ShiftType:
    from datetime import time

    return ShiftType.objects.create(
        service=service,
        code=code,
        name=code.title(),
        start_time=time(9),
        end_time=time(17),
        required_cover=cover,
        weekdays_only=weekdays_only,
    )


def place(shift_type: ShiftType, staff: StaffProfile, day: date, cancelled: bool = False) -> Shift:
    from datetime import UTC, time

    starts = datetime.combine(day, time(9), tzinfo=UTC)
    return Shift.objects.create(
        service=shift_type.service,
        shift_type=shift_type,
        staff=staff,
        day=day,
        starts_at=starts,
        ends_at=starts + 8 * H,
        cancelled_at=starts if cancelled else None,
    )


def test_rota_gaps_in_the_next_fortnight_warn_managers_once_per_shift_and_day(
    service: Any, manager: StaffProfile, make_staff: Callable[..., StaffProfile], now: datetime
) -> None:
    # now is Tuesday 10 March 2026; the fortnight is 10-23 March.
    day_type = make_shift_type(service, "day", 2)
    office = make_shift_type(service, "office", 1, weekdays_only=True)
    a, b = make_staff("amhp", service), make_staff("amhp", service)
    for n in range(14):
        day = date(2026, 3, 10) + timedelta(days=n)
        place(day_type, a, day)
        if n != 3:  # Friday 13th has one AMHP of two
            place(day_type, b, day)
        if day.weekday() < 5 and n != 1:  # Wednesday 11th: office shift empty
            place(office, a, day, cancelled=(n == 2))  # Thursday 12th: cancelled, so empty too
    place(day_type, b, date(2026, 3, 25))  # outside the window, irrelevant

    assert jobs.warn_rota_gaps(now=now) == 3
    assert jobs.warn_rota_gaps(now=now) == 0

    keys = set(Notification.objects.filter(recipient=manager.user).values_list("dedupe_key", flat=True))
    assert keys == {
        f"gap:{day_type.pk}:2026-03-13",
        f"gap:{office.pk}:2026-03-11",
        f"gap:{office.pk}:2026-03-12",
    }
    assert Notification.objects.get(dedupe_key=f"gap:{day_type.pk}:2026-03-13").title == (
        "Rota gap: Day on Fri 13 Mar 2026: 1 of 2 AMHPs"
    )


# --- Late flag notifications and email -----------------------------------------------------


def test_new_late_flags_notify_the_allocated_amhp_and_the_consultants_once_each_per_run(
    service: Any,
    other_service: Any,
    amhp: StaffProfile,
    consultant: StaffProfile,
    manager: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    referral_row: Callable[..., Any],
    assessment_row: Callable[..., Any],
    now: datetime,
) -> None:
    make_staff("consultant", other_service)
    overrun = assessment_row(amhp, shift_ends_at=now - M)
    unallocated = referral_row(service, due_at=now - M)
    jobs.flag_late_work(now=now)

    # The AMHP has one new flag and is told which; the consultant has two and gets one digest.
    assert jobs.notify_new_late_flags(now=now) == 2
    assert jobs.notify_new_late_flags(now=now) == 0

    got = {(n.recipient_id, n.url, n.title) for n in Notification.objects.all()}
    assert got == {
        (
            amhp.user_id,
            f"/referrals/{overrun.referral_id}/",
            f"Running late: {overrun.referral.reference}: Running past the AMHP's shift end",
        ),
        (consultant.user_id, "/queue/", "Running late: 2 referrals"),
    }
    del unallocated
    assert not LateFlag.objects.filter(notified_at__isnull=True).exists()


def test_pending_emails_go_out_through_the_configured_backend_and_are_marked(
    settings: Any, amhp: StaffProfile, manager: StaffProfile, now: datetime
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    type(amhp.user).objects.filter(pk=amhp.user_id).update(email="amhp@example.org")
    type(manager.user).objects.filter(pk=manager.user_id).update(email="")
    for user in (amhp.user, manager.user):
        Notification.objects.create(recipient=user, service=amhp.service, kind="x", title="Hello", dedupe_key="k")

    assert jobs.send_pending_emails(now=now) == 1
    assert jobs.send_pending_emails(now=now) == 0

    assert [m.to for m in mail.outbox] == [["amhp@example.org"]]
    assert mail.outbox[0].subject == "AMHP Hub: Hello"
    assert Notification.objects.get(recipient=amhp.user).emailed_at == now
    assert Notification.objects.get(recipient=manager.user).emailed_at is None


def test_a_failed_send_leaves_the_emails_for_the_next_run(settings: Any, amhp: StaffProfile, now: datetime) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    type(amhp.user).objects.filter(pk=amhp.user_id).update(email="amhp@example.org")
    Notification.objects.create(recipient=amhp.user, service=amhp.service, kind="x", title="Hello", dedupe_key="k")

    with pytest.raises(OSError):
        jobs.send_pending_emails(now=now)

    assert Notification.objects.get().emailed_at is None


# --- Idempotency and set-basedness ---------------------------------------------------------


def build_world(
    n: int,
    service: Any,
    make_staff: Callable[..., StaffProfile],
    referral_row: Callable[..., Any],
    assessment_row: Callable[..., Any],
    now: datetime,
) -> None:
    """N of every kind of late and overrunning case, plus expiring warrants and rota gaps."""
    make_staff("manager", service)
    make_staff("consultant", service)
    amhps = [make_staff("amhp", service, warrant_expires_on=date(2026, 4, 1)) for _ in range(max(1, n // 10))]
    gap_type = make_shift_type(service, f"gap{n}", 1)
    for i in range(n):
        amhp = amhps[i % len(amhps)]
        referral_row(service, due_at=now - H, statutory_expires_at=now + H)
        referral_row(service, statutory_expires_at=now - H)
        assessment_row(amhp, shift_ends_at=now - H)
        assessment_row(
            amhp,
            status=AssessmentStatus.COMPLETED,
            shift_ends_at=now - 3 * H,
            work_ended_at=now - 3 * H + (15 + i) * M,
        )
        if i < 14:
            place(gap_type, amhp, date(2026, 3, 10) + timedelta(days=i), cancelled=True)


def snapshot() -> dict[str, list[Any]]:
    return {
        "flags": sorted(LateFlag.objects.values_list("referral_id", "kind", "raised_at", "cleared_at", "notified_at")),
        "toil": sorted(ToilEntry.objects.values_list("assessment_id", "minutes", "status")),
        "notes": sorted(Notification.objects.values_list("recipient_id", "dedupe_key", "title", "emailed_at")),
    }


def run_every_job(now: datetime) -> dict[str, Any]:
    return {
        "flags": jobs.flag_late_work(now=now),
        "notified": jobs.notify_new_late_flags(now=now),
        "toil": jobs.book_toil(now=now),
        "warrants": jobs.warn_expiring_warrants(now=now),
        "gaps": jobs.warn_rota_gaps(now=now),
        "emails": jobs.send_pending_emails(now=now),
    }


def test_running_every_job_twice_changes_nothing_more(
    settings: Any,
    service: Any,
    make_staff: Callable[..., StaffProfile],
    referral_row: Callable[..., Any],
    assessment_row: Callable[..., Any],
    now: datetime,
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    build_world(5, service, make_staff, referral_row, assessment_row, now)

    first = run_every_job(now)
    after_first = snapshot()
    second = run_every_job(now)

    assert first["flags"]["raised_past_due"] == 5 and first["toil"] == 5 and first["notified"] > 0
    assert second == {
        "flags": dict.fromkeys(first["flags"], 0),
        "notified": 0,
        "toil": 0,
        "warrants": 0,
        "gaps": 0,
        "emails": 0,
    }
    assert snapshot() == after_first


SWEEPS: dict[str, Callable[[datetime], Any]] = {
    "flag_late_work": lambda now: jobs.flag_late_work(now=now),
    "notify_new_late_flags": lambda now: jobs.notify_new_late_flags(now=now),
    "book_toil": lambda now: jobs.book_toil(now=now),
    "warn_expiring_warrants": lambda now: jobs.warn_expiring_warrants(now=now),
    "warn_rota_gaps": lambda now: jobs.warn_rota_gaps(now=now),
    "send_pending_emails": lambda now: jobs.send_pending_emails(now=now),
}


def count_queries(
    n: int, service: Any, make_staff: Any, referral_row: Any, assessment_row: Any, now: datetime
) -> dict[str, int]:
    build_world(n, service, make_staff, referral_row, assessment_row, now)
    counts = {}
    for name, sweep in SWEEPS.items():
        with CaptureQueriesContext(connection) as ctx:
            sweep(now)
        counts[name] = len(ctx.captured_queries)
    return counts


def test_each_sweep_runs_the_same_number_of_statements_for_3_rows_and_for_60(
    settings: Any,
    service: Any,
    other_service: Any,
    make_staff: Callable[..., StaffProfile],
    referral_row: Callable[..., Any],
    assessment_row: Callable[..., Any],
    now: datetime,
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SWEEP_FULL_EVERY_MINUTES = 0  # both worlds swept in full, so only the number of rows differs
    few = count_queries(3, service, make_staff, referral_row, assessment_row, now)
    assert Notification.objects.filter(service=service).count() > 3
    LateFlag.objects.all().delete()
    ToilEntry.objects.all().delete()
    Notification.objects.all().delete()
    many = count_queries(60, other_service, make_staff, referral_row, assessment_row, now)

    assert ToilEntry.objects.count() == 63  # both worlds: the first was cleared and booked again
    assert many == few
    # A full late-work sweep: its mark, four raises (each the batch's keys, then its insert), four clears and
    # the mark's upsert, in one transaction.
    assert few["flag_late_work"] <= 16
    # A full TOIL sweep: its lock and mark, one batch's work, what that work already booked (the union of
    # overtime after one shift end needs it), the month's booked total for the cap, the insert, the mark.
    assert few["book_toil"] <= 13
    assert max(few.values()) <= 16


def test_the_booked_minutes_agree_with_the_pure_function_for_work_after_separate_shift_ends(
    amhp: StaffProfile, make_staff: Callable[..., StaffProfile], assessment_row: Callable[..., Any], now: datetime
) -> None:
    from assessments.toil import overrun_minutes

    end = now - 30 * H
    overruns = [
        timedelta(minutes=m, seconds=s, microseconds=us)
        for m in (14, 15, 29, 30, 44, 45, 59, 60, 61, 119, 120, 599, 600, 1439)
        for s, us in ((0, 0), (0, 1), (59, 999_999))
    ]
    # One AMHP per piece of work, so no overtime overlaps and no monthly cap is reached.
    rows = {
        assessment_row(
            make_staff("amhp", amhp.service),
            status=AssessmentStatus.COMPLETED,
            shift_ends_at=end,
            work_ended_at=end + o,
        ).pk: o
        for o in overruns
    }

    jobs.book_toil(now=now)

    booked = dict(ToilEntry.objects.values_list("assessment_id", "minutes"))
    assert {pk: booked.get(pk, 0) for pk in rows} == {
        pk: min(overrun_minutes(end, end + o), 15 * 60) for pk, o in rows.items()
    }


def test_a_backlog_of_late_work_is_raised_in_batches_and_every_referral_is_flagged_once(
    settings: Any, service: Any, referral_row: Callable[..., Any], now: datetime
) -> None:
    """After an outage: 7 referrals past due with batches of 3 are raised in three inserts, each flagged once."""
    settings.SWEEP_FULL_EVERY_MINUTES = 0
    late = [referral_row(service=service, due_at=now - timedelta(minutes=10 + i)) for i in range(7)]
    with patch.object(jobs, "LATE_FLAG_BATCH", 3), CaptureQueriesContext(connection) as ctx:
        raised = jobs.flag_late_work(now=now)
    assert raised["raised_past_due"] == 7
    flagged = LateFlag.objects.filter(kind=LateFlag.Kind.PAST_DUE, cleared_at__isnull=True)
    assert sorted(flagged.values_list("referral_id", flat=True)) == sorted(r.pk for r in late)
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "assessments_lateflag"')]
    assert len(inserts) == 3  # 3 + 3 + 1
    with patch.object(jobs, "LATE_FLAG_BATCH", 3):
        assert jobs.flag_late_work(now=now + timedelta(minutes=1))["raised_past_due"] == 0
