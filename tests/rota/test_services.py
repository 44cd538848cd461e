"""Rota writes: placing, leave, patterns across clock changes, swaps and calendar tokens."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from amhp_hub.common.errors import ConflictError
from amhp_hub.common.models import AuditEvent
from rota import services
from rota.models import CalendarToken, LeaveKind, Shift, SwapRequest
from rota.shift_times import local_instant

pytestmark = pytest.mark.django_db

FUTURE = date(2031, 6, 2)  # a Monday well after any test run
NOW = datetime(2031, 5, 1, 12, tzinfo=UTC)


def _leave(manager: Any, staff: Any, first: date, days: int = 1, kind: str = LeaveKind.ANNUAL) -> Any:
    return services.leave_record(
        actor=manager.user,
        staff=staff,
        kind=kind,
        starts_at=local_instant(first, time(0)),
        ends_at=local_instant(first + timedelta(days=days), time(0)),
    )


def test_placing_an_amhp_builds_utc_bounds_from_wall_clock_times_and_audits(place: Any, amhp: Any) -> None:
    shift = place(amhp, "day", date(2031, 7, 1))
    assert shift.starts_at == datetime(2031, 7, 1, 8, tzinfo=UTC)  # 09:00 BST
    assert shift.ends_at == datetime(2031, 7, 1, 16, tzinfo=UTC)
    assert shift.source == Shift.Source.MANUAL
    assert AuditEvent.objects.filter(object_type="shift", object_id=str(shift.pk), action="create").exists()


def test_placing_the_same_amhp_twice_on_one_shift_is_a_conflict(place: Any, amhp: Any) -> None:
    place(amhp, "late", FUTURE)
    with pytest.raises(ConflictError):
        place(amhp, "late", FUTURE)
    assert Shift.objects.filter(staff=amhp).count() == 1


def test_placing_an_amhp_on_an_overlapping_shift_is_refused(place: Any, amhp: Any) -> None:
    place(amhp, "early", FUTURE)
    with pytest.raises(ValidationError) as exc:
        place(amhp, "day", FUTURE)
    assert "already on the Early shift" in str(exc.value.message_dict["day"])


def test_back_to_back_shifts_are_allowed(place: Any, amhp: Any) -> None:
    place(amhp, "day", FUTURE)
    night = place(amhp, "night", FUTURE)
    assert night.starts_at == datetime(2031, 6, 2, 16, tzinfo=UTC)


def test_leave_blocks_placing_an_amhp(place: Any, amhp: Any, manager: Any) -> None:
    _leave(manager, amhp, FUTURE, days=3)
    with pytest.raises(ValidationError) as exc:
        place(amhp, "late", FUTURE + timedelta(days=1))
    assert "annual leave" in str(exc.value.message_dict["staff"])
    # A night starting the evening before the leave runs into it, so it is refused too.
    with pytest.raises(ValidationError):
        place(amhp, "night", FUTURE - timedelta(days=1))
    place(amhp, "day", FUTURE - timedelta(days=1))


def test_cancelled_leave_no_longer_blocks(place: Any, amhp: Any, manager: Any) -> None:
    leave = _leave(manager, amhp, FUTURE)
    services.leave_cancel(actor=manager.user, leave=leave)
    assert place(amhp, "late", FUTURE).pk
    with pytest.raises(ConflictError):
        services.leave_cancel(actor=manager.user, leave=leave)


def test_leave_must_end_after_it_starts(manager: Any, amhp: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        services.leave_record(
            actor=manager.user, staff=amhp, starts_at=NOW, ends_at=NOW - timedelta(hours=1), kind="annual"
        )
    assert "ends_at" in exc.value.message_dict


def test_only_amhps_can_be_placed_on_shifts(place: Any, consultant: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        place(consultant, "day", FUTURE)
    assert "not an AMHP" in str(exc.value.message_dict["staff"])


def test_staff_of_another_service_cannot_be_placed(place: Any, make_staff: Any, other_service: Any) -> None:
    stranger = make_staff("amhp", other_service)
    with pytest.raises(ValidationError):
        place(stranger, "day", FUTURE)


def test_a_future_shift_can_be_cancelled_but_a_past_one_is_read_only(place: Any, amhp: Any, manager: Any) -> None:
    shift = place(amhp, "late", FUTURE)
    services.shift_cancel(actor=manager.user, shift=shift, now=NOW)
    shift.refresh_from_db()
    assert shift.cancelled_at == NOW
    past = place(amhp, "late", date(2020, 1, 6))
    with pytest.raises(ConflictError):
        services.shift_cancel(actor=manager.user, shift=past, now=NOW)
    # Once cancelled, the person can be placed on that shift again.
    assert place(amhp, "late", FUTURE).pk != shift.pk


def test_a_shift_type_code_is_unique_in_the_service(manager: Any, service: Any, shift_types: Any) -> None:
    with pytest.raises(ValidationError):
        services.shift_type_create(
            actor=manager.user, service=service, code="day", name="Day", start_time=time(9), end_time=time(17)
        )


def _pattern(manager: Any, amhp: Any, cycle: list[Any], starts_on: date) -> Any:
    return services.pattern_create(actor=manager.user, staff=amhp, name="Test", cycle=cycle, starts_on=starts_on)


def test_applying_a_pattern_creates_its_shifts_and_is_idempotent(manager: Any, amhp: Any, shift_types: Any) -> None:
    pattern = _pattern(manager, amhp, ["day", "day", None, "late"], FUTURE)
    first = services.pattern_apply(actor=manager.user, pattern=pattern, start=FUTURE, end=FUTURE + timedelta(days=7))
    assert [(s.day, s.shift_type.code) for s in first.created] == [
        (FUTURE, "day"),
        (FUTURE + timedelta(days=1), "day"),
        (FUTURE + timedelta(days=3), "late"),
        (FUTURE + timedelta(days=4), "day"),
        (FUTURE + timedelta(days=5), "day"),
        (FUTURE + timedelta(days=7), "late"),
    ]
    assert all(s.source == Shift.Source.PATTERN and s.pattern_id == pattern.pk for s in first.created)
    again = services.pattern_apply(actor=manager.user, pattern=pattern, start=FUTURE, end=FUTURE + timedelta(days=7))
    assert again.created == []
    assert len(again.skipped) == 6
    assert Shift.objects.filter(staff=amhp).count() == 6


def test_applying_a_pattern_skips_days_on_leave(manager: Any, amhp: Any, shift_types: Any) -> None:
    _leave(manager, amhp, FUTURE + timedelta(days=1))
    pattern = _pattern(manager, amhp, ["late"], FUTURE)
    result = services.pattern_apply(actor=manager.user, pattern=pattern, start=FUTURE, end=FUTURE + timedelta(days=2))
    assert [s.day for s in result.created] == [FUTURE, FUTURE + timedelta(days=2)]
    assert result.skipped == [(FUTURE + timedelta(days=1), "late", "on leave")]


def test_a_pattern_with_an_unknown_shift_code_is_refused(manager: Any, amhp: Any, shift_types: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        _pattern(manager, amhp, ["day", "twilight"], FUTURE)
    assert "twilight" in str(exc.value.message_dict["cycle"])


def test_an_edt_night_over_the_october_clock_change_is_17_hours_and_ends_at_9_gmt(
    manager: Any, amhp: Any, shift_types: Any
) -> None:
    saturday = date(2026, 10, 24)
    pattern = _pattern(manager, amhp, ["night", None], saturday)
    result = services.pattern_apply(actor=manager.user, pattern=pattern, start=saturday, end=saturday)
    (night,) = result.created
    assert night.starts_at == datetime(2026, 10, 24, 16, tzinfo=UTC)  # 17:00 BST
    assert night.ends_at == datetime(2026, 10, 25, 9, tzinfo=UTC)  # 09:00 GMT
    assert night.ends_at - night.starts_at == timedelta(hours=17)


def test_an_edt_night_over_the_march_clock_change_is_15_hours_and_ends_at_9_bst(
    manager: Any, amhp: Any, shift_types: Any
) -> None:
    saturday = date(2026, 3, 28)
    pattern = _pattern(manager, amhp, ["night"], saturday)
    result = services.pattern_apply(
        actor=manager.user, pattern=pattern, start=saturday, end=saturday + timedelta(days=1)
    )
    night, sunday_night = result.created
    assert night.starts_at == datetime(2026, 3, 28, 17, tzinfo=UTC)  # 17:00 GMT
    assert night.ends_at == datetime(2026, 3, 29, 8, tzinfo=UTC)  # 09:00 BST
    assert night.ends_at - night.starts_at == timedelta(hours=15)
    assert sunday_night.starts_at == datetime(2026, 3, 29, 16, tzinfo=UTC)  # 17:00 BST
    assert sunday_night.ends_at - sunday_night.starts_at == timedelta(hours=16)


def test_day_shifts_on_the_clock_change_sundays_stay_8_hours(manager: Any, amhp: Any, shift_types: Any) -> None:
    for sunday, offset in ((date(2026, 3, 29), 1), (date(2026, 10, 25), 0)):
        pattern = _pattern(manager, amhp, ["day"], sunday)
        (shift,) = services.pattern_apply(actor=manager.user, pattern=pattern, start=sunday, end=sunday).created
        assert shift.ends_at - shift.starts_at == timedelta(hours=8)
        assert shift.starts_at == datetime.combine(sunday, time(9 - offset), tzinfo=UTC)


@pytest.fixture
def colleague(make_staff: Any, service: Any) -> Any:
    return make_staff("amhp", service, first_name="Cal", last_name="League")


@pytest.fixture
def swap(place: Any, amhp: Any, colleague: Any) -> SwapRequest:
    shift = place(amhp, "late", FUTURE)
    return services.swap_request_create(
        actor=amhp.user, shift=shift, proposed_staff=colleague, reason="Wedding", now=NOW
    )


def test_approving_a_swap_moves_the_shift_to_the_colleague(swap: SwapRequest, manager: Any, colleague: Any) -> None:
    old = swap.shift
    new = services.swap_approve(actor=manager.user, swap=swap, note="Fine", now=NOW)
    old.refresh_from_db()
    swap.refresh_from_db()
    assert old.cancelled_at == NOW
    assert (new.staff, new.source, new.starts_at, new.ends_at) == (
        colleague,
        Shift.Source.SWAP,
        old.starts_at,
        old.ends_at,
    )
    assert (swap.status, swap.decided_by, swap.decision_note) == ("approved", manager.user, "Fine")
    assert AuditEvent.objects.filter(object_type="swaprequest", object_id=str(swap.pk), action="update").exists()
    with pytest.raises(ConflictError):
        services.swap_reject(actor=manager.user, swap=swap, note="Too late", now=NOW)


def test_a_swap_is_refused_when_the_colleague_is_on_leave(swap: SwapRequest, manager: Any, colleague: Any) -> None:
    _leave(manager, colleague, FUTURE)
    with pytest.raises(ConflictError, match="leave"):
        services.swap_approve(actor=manager.user, swap=swap, now=NOW)
    swap.refresh_from_db()
    assert swap.status == "open"
    assert swap.shift.cancelled_at is None
    assert Shift.objects.filter(staff=colleague).count() == 0


def test_a_swap_is_refused_when_the_colleague_is_already_on_a_shift_then(
    swap: SwapRequest, manager: Any, colleague: Any, place: Any
) -> None:
    place(colleague, "day", FUTURE)
    with pytest.raises(ConflictError, match="already on a shift"):
        services.swap_approve(actor=manager.user, swap=swap, now=NOW)
    assert Shift.objects.get(pk=swap.shift_id).cancelled_at is None


def test_rejecting_a_swap_needs_a_note_and_leaves_the_shift(swap: SwapRequest, manager: Any, amhp: Any) -> None:
    with pytest.raises(ValidationError):
        services.swap_reject(actor=manager.user, swap=swap, note=" ", now=NOW)
    services.swap_reject(actor=manager.user, swap=swap, note="No cover for nights", now=NOW)
    swap.refresh_from_db()
    assert swap.status == "rejected"
    assert Shift.objects.get(pk=swap.shift_id).staff == amhp


def test_only_the_amhp_on_the_shift_can_ask_to_swap_it(place: Any, amhp: Any, colleague: Any) -> None:
    shift = place(amhp, "late", FUTURE)
    with pytest.raises(ValidationError) as exc:
        services.swap_request_create(actor=colleague.user, shift=shift, proposed_staff=colleague, reason="x", now=NOW)
    assert "shift" in exc.value.message_dict


def test_a_shift_has_at_most_one_open_swap_request(swap: SwapRequest, amhp: Any, make_staff: Any, service: Any) -> None:
    third = make_staff("amhp", service)
    with pytest.raises(ConflictError):
        services.swap_request_create(actor=amhp.user, shift=swap.shift, proposed_staff=third, reason="x", now=NOW)


def test_a_started_shift_cannot_be_swapped(place: Any, amhp: Any, colleague: Any) -> None:
    shift = place(amhp, "late", date(2020, 1, 6))
    with pytest.raises(ConflictError):
        services.swap_request_create(actor=amhp.user, shift=shift, proposed_staff=colleague, reason="x", now=NOW)


def test_issuing_a_calendar_token_revokes_the_previous_one(amhp: Any) -> None:
    first = services.calendar_token_issue(actor=amhp.user, staff=amhp)
    second = services.calendar_token_issue(actor=amhp.user, staff=amhp)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.revoked_at is None
    assert first.token != second.token and len(second.token) >= 40
    assert services.calendar_token_revoke(actor=amhp.user, staff=amhp) == 1
    assert not CalendarToken.objects.filter(staff=amhp, revoked_at__isnull=True).exists()


def test_every_rota_change_writes_an_audit_row(manager: Any, amhp: Any, shift_types: Any) -> None:
    before = AuditEvent.objects.count()
    leave = _leave(manager, amhp, FUTURE + timedelta(days=10))
    services.leave_cancel(actor=manager.user, leave=leave)
    pattern = _pattern(manager, amhp, ["late"], FUTURE)
    services.pattern_apply(actor=manager.user, pattern=pattern, start=FUTURE, end=FUTURE + timedelta(days=2))
    services.calendar_token_issue(actor=amhp.user, staff=amhp)
    services.calendar_token_revoke(actor=amhp.user, staff=amhp)
    actions = list(AuditEvent.objects.order_by("id").values_list("object_type", "action")[before:])
    assert actions == [
        ("leave", "create"),
        ("leave", "delete"),
        ("rotapattern", "create"),
        ("shift", "create"),
        ("calendartoken", "create"),
        ("calendartoken", "update"),
    ]
    applied = AuditEvent.objects.get(object_type="shift", action="create", object_id="")
    assert len(applied.object_ids) == 3
