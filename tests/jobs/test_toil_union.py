"""TOIL is never double-counted: union of overtime per AMHP per shift end, a monthly cap, expiry, recompute."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments import jobs, toil, toil_selectors
from assessments.models import AssessmentStatus, ToilEntry
from rota.models import StaffProfile

H = timedelta(hours=1)
M = timedelta(minutes=1)
DONE = AssessmentStatus.COMPLETED
# 10 March 2026 is in GMT, so UTC and London wall-clock agree.
SHIFT_END = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 10, hour, minute, tzinfo=UTC)


# --- the rule ---------------------------------------------------------------------------


def test_two_evening_assessments_after_a_17_00_shift_end_earn_4_hours_not_6() -> None:
    # 17:00-19:00 and 17:00-21:00 overlap; their union is 17:00-21:00 = 4 h (the sum would be 2 + 4 = 6 h).
    work = [(at(15), at(19)), (at(16), at(21))]
    assert toil.shift_overtime_minutes(SHIFT_END, work) == 240


def test_a_second_call_out_after_a_break_adds_only_its_own_time() -> None:
    # 17:00-18:30 and a call-out 20:00-21:15: 1 h 30 + 1 h 15 = 2 h 45 = 165 min (no overlap, nothing in between).
    work = [(at(14), at(18, 30)), (at(20), at(21, 15))]
    assert toil.shift_overtime_minutes(SHIFT_END, work) == 165


def test_the_union_is_rounded_down_to_whole_blocks_once_not_piece_by_piece() -> None:
    # 17:00-17:10 and 17:08-17:20: union 17:00-17:20 = 20 min -> one 15-minute block
    # (each alone, 10 and 12 minutes, would earn nothing).
    work = [(at(16), at(17, 10)), (at(17, 8), at(17, 20))]
    assert toil.shift_overtime_minutes(SHIFT_END, work) == 15


def test_marginal_minutes_add_up_to_the_union() -> None:
    # Booked 17:00-19:00 (2 h). New: 17:00-21:00 adds 2 h; then 20:00-20:30 adds nothing (inside the union).
    assert toil.marginal_overtime(SHIFT_END, [(at(15), at(19))], [(at(16), at(21)), (at(20), at(20, 30))]) == [120, 0]


def test_the_monthly_cap_books_only_what_is_left() -> None:
    # 15 h = 900 min cap; 840 already booked this month leaves 60 of a 90-minute overrun.
    assert toil.capped_minutes(90, already_this_month=840, monthly_cap_minutes=900) == 60
    assert toil.capped_minutes(90, already_this_month=900, monthly_cap_minutes=900) == 0
    assert toil.capped_minutes(90, already_this_month=0, monthly_cap_minutes=900) == 90


def test_earned_time_not_taken_within_the_expiry_lapses_oldest_first() -> None:
    # Earned 120 on 1 Jan and 60 on 1 Mar; took 90 on 15 Jan (from the oldest: 30 of January's left).
    # On 1 Apr (90 days after 1 Jan is 1 Apr) January's remaining 30 lapse; March's 60 remain.
    entries = [(date(2026, 1, 1), 120), (date(2026, 1, 15), -90), (date(2026, 3, 1), 60)]
    assert toil.balance_with_expiry(entries, today=date(2026, 3, 31), expiry_days=90) == toil.Balance(90, 0)
    assert toil.balance_with_expiry(entries, today=date(2026, 4, 1), expiry_days=90) == toil.Balance(60, 30)
    assert toil.balance_with_expiry(entries, today=date(2027, 1, 1), expiry_days=None) == toil.Balance(90, 0)


# --- the job ----------------------------------------------------------------------------


def test_book_toil_books_4_hours_for_assessments_ending_19_00_and_21_00(
    amhp: StaffProfile, assessment_row: Callable[..., Any]
) -> None:
    first = assessment_row(
        amhp, status=DONE, shift_ends_at=SHIFT_END, work_started_at=at(15), work_ended_at=at(19), completed_at=at(19)
    )
    second = assessment_row(
        amhp, status=DONE, shift_ends_at=SHIFT_END, work_started_at=at(16), work_ended_at=at(21), completed_at=at(21)
    )

    assert jobs.book_toil(now=at(22)) == 2

    minutes = dict(ToilEntry.objects.values_list("assessment_id", "minutes"))
    # 17:00-19:00 = 120, then 19:00-21:00 added = 120: 240 in all, not 120 + 240 = 360.
    assert minutes == {first.pk: 120, second.pk: 120}


def test_work_booked_in_an_earlier_run_is_not_counted_again(
    amhp: StaffProfile, assessment_row: Callable[..., Any]
) -> None:
    assessment_row(amhp, status=DONE, shift_ends_at=SHIFT_END, work_started_at=at(15), work_ended_at=at(19))
    jobs.book_toil(now=at(19, 30))
    later = assessment_row(
        amhp, status=DONE, shift_ends_at=SHIFT_END, work_started_at=at(16), work_ended_at=at(21), completed_at=at(21)
    )

    assert jobs.book_toil(now=at(22)) == 1

    # The earlier run booked 17:00-19:00; this one adds only 19:00-21:00.
    assert ToilEntry.objects.get(assessment=later).minutes == 120
    assert sum(ToilEntry.objects.values_list("minutes", flat=True)) == 240


def test_different_amhps_each_earn_their_own_overtime(
    amhp: StaffProfile, make_staff: Callable[..., StaffProfile], assessment_row: Callable[..., Any]
) -> None:
    other = make_staff("amhp", amhp.service)
    assessment_row(amhp, status=DONE, shift_ends_at=SHIFT_END, work_ended_at=at(19))
    assessment_row(other, status=DONE, shift_ends_at=SHIFT_END, work_ended_at=at(19))

    jobs.book_toil(now=at(22))

    assert sorted(ToilEntry.objects.values_list("minutes", flat=True)) == [120, 120]


@override_settings(TOIL_MONTHLY_CAP_HOURS=15)
def test_book_toil_stops_at_the_monthly_cap(amhp: StaffProfile, assessment_row: Callable[..., Any]) -> None:
    # 14 h already accrued in March 2026; a 3 h overrun books the last 1 h of the 15 h cap.
    ToilEntry.objects.create(
        staff=amhp, service=amhp.service, kind="accrual", minutes=14 * 60, worked_from=at(9) - 5 * 24 * H
    )
    late = assessment_row(amhp, status=DONE, shift_ends_at=SHIFT_END, work_ended_at=at(20))

    jobs.book_toil(now=at(22))

    entry = ToilEntry.objects.get(assessment=late)
    assert entry.minutes == 60
    assert "2 hours over the monthly cap" in entry.note


def test_the_recompute_command_fixes_entries_booked_twice(
    amhp: StaffProfile, assessment_row: Callable[..., Any]
) -> None:
    # Entries booked before the union rule: 120 and 240 minutes for overlapping work after one 17:00 end.
    first = assessment_row(amhp, status=DONE, shift_ends_at=SHIFT_END, work_started_at=at(15), work_ended_at=at(19))
    second = assessment_row(amhp, status=DONE, shift_ends_at=SHIFT_END, work_started_at=at(16), work_ended_at=at(21))
    for assessment, minutes in ((first, 120), (second, 240)):
        ToilEntry.objects.create(
            staff=amhp,
            service=amhp.service,
            assessment=assessment,
            kind="accrual",
            minutes=minutes,
            worked_from=SHIFT_END,
            worked_to=assessment.work_ended_at,
            status="approved",
        )
    out = StringIO()

    call_command("recompute_toil", stdout=out)

    assert dict(ToilEntry.objects.values_list("assessment_id", "minutes")) == {first.pk: 120, second.pk: 120}
    assert "1 entries changed" in out.getvalue()
    call_command("recompute_toil", stdout=out)  # a second run changes nothing
    assert "0 entries changed" in out.getvalue()


@override_settings(TOIL_EXPIRY_DAYS=90)
def test_the_balance_leaves_out_toil_that_lapsed(amhp: StaffProfile) -> None:
    # 60 min earned on 1 Nov 2025, never taken: on 10 Mar 2026 (129 days later) it has lapsed.
    entry = ToilEntry.objects.create(
        staff=amhp,
        service=amhp.service,
        kind="accrual",
        minutes=60,
        status="approved",
        worked_from=datetime(2025, 11, 1, 18, 0, tzinfo=UTC),
    )
    assert toil_selectors.toil_balance(amhp.pk, today=date(2026, 1, 29)) == 60  # day 89
    assert toil_selectors.toil_balance(amhp.pk, today=date(2026, 3, 10)) == 0
    assert entry.pk


pytestmark = pytest.mark.django_db


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 600), st.integers(0, 600)), max_size=6),
    st.lists(st.tuples(st.integers(0, 600), st.integers(0, 600)), min_size=1, max_size=12),
)
def test_booking_piece_by_piece_adds_up_to_the_union_of_everything_after_each_piece(
    booked_minutes: list[tuple[int, int]], new_minutes: list[tuple[int, int]]
) -> None:
    # Work from 14:00 (SHIFT_END is 17:00) in whole minutes: each piece books what the union of everything
    # so far gains, in whole 15-minute blocks (DOMAIN.md "TOIL overlap"); worked against the plain definition.
    def piece(a: int, b: int) -> tuple[datetime, datetime]:
        return at(14) + timedelta(minutes=min(a, b)), at(14) + timedelta(minutes=max(a, b))

    booked = [piece(a, b) for a, b in booked_minutes]
    new = [piece(a, b) for a, b in new_minutes]
    added = toil.marginal_overtime(SHIFT_END, booked, new)
    for n in range(1, len(new) + 1):
        everything = toil.shift_overtime_minutes(SHIFT_END, booked + new[:n])
        before = toil.shift_overtime_minutes(SHIFT_END, booked) if booked else 0
        assert sum(added[:n]) == everything - before
