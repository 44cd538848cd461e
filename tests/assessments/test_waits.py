"""Waits and the current blocker, worked by hand from the request times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assessments.waits import RequestFact, arrival_error, current_blocker, doctor_calls, waits_by_kind


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def test_refused_and_unanswered_calls_do_not_end_the_doctor_wait() -> None:
    facts = [
        RequestFact("s12_doctor", at(14), "no_answer"),
        RequestFact("s12_doctor", at(14, 10), "refused"),
        RequestFact("s12_doctor", at(14, 20), "accepted", arrived_at=at(16)),
    ]
    (wait,) = waits_by_kind(facts, now=at(18))
    # 14:00 first call to 16:00 arrival = 2 h, three calls.
    assert wait.duration == timedelta(hours=2)
    assert wait.requests == 3
    assert not wait.running
    assert doctor_calls(facts) == 3


def test_a_wait_with_nothing_arrived_runs_until_now() -> None:
    facts = [RequestFact("bed", at(16, 30), "pending")]
    (wait,) = waits_by_kind(facts, now=at(19))
    assert wait.running and wait.duration == timedelta(hours=2, minutes=30)


def test_a_closed_case_has_no_running_wait() -> None:
    (wait,) = waits_by_kind([RequestFact("bed", at(16), "refused")], now=at(19), open_case=False)
    assert not wait.running and wait.duration is None


def test_wait_across_the_october_clock_change_counts_elapsed_hours() -> None:
    # Sat 24 Oct 2026 23:00 BST (22:00 UTC) to Sun 25 Oct 02:00 GMT (02:00 UTC): the wall clock
    # shows 3 h, but the clocks went back at 02:00 BST, so 4 h elapsed.
    start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    end = datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    (wait,) = waits_by_kind([RequestFact("ambulance", start, "accepted", arrived_at=end)], now=end)
    assert wait.duration == timedelta(hours=4)


def test_carried_over_requests_count_but_have_no_duration() -> None:
    (wait,) = waits_by_kind([RequestFact("police", at(9), "accepted", times_known=False)], now=at(12))
    assert wait.requests == 1 and wait.duration is None and not wait.running


def test_current_blocker_is_the_longest_running_wait() -> None:
    facts = [
        RequestFact("s12_doctor", at(10), "accepted", arrived_at=at(11)),
        RequestFact("bed", at(12), "pending"),
        RequestFact("ambulance", at(13), "pending"),
    ]
    blocker = current_blocker(waits_by_kind(facts, now=at(15)))
    assert blocker is not None and blocker.kind == "bed" and blocker.duration == timedelta(hours=3)


def test_ties_go_to_the_earlier_step_of_the_pathway() -> None:
    facts = [RequestFact("ambulance", at(12), "pending"), RequestFact("bed", at(12), "pending")]
    blocker = current_blocker(waits_by_kind(facts, now=at(13)))
    assert blocker is not None and blocker.kind == "bed"


def test_nothing_awaited_means_no_blocker() -> None:
    facts = [RequestFact("bed", at(12), "accepted", arrived_at=at(14))]
    assert current_blocker(waits_by_kind(facts, now=at(15))) is None
    assert current_blocker([]) is None


def test_arrival_before_request_is_an_error() -> None:
    assert arrival_error(at(12), at(11, 59)) is not None
    assert arrival_error(at(12), at(12)) is None
    assert arrival_error(at(12), None) is None


# --- the stage of a case ------------------------------------------------------------------------

from assessments.waits import (  # noqa: E402
    APPLICATION_MADE,
    AWAITING_AMHP,
    AWAITING_ASSESSMENT,
    AWAITING_BED,
    AWAITING_CONVEYANCE,
    AWAITING_DOCTORS,
    SEEN,
    amhp_wait,
    case_stage,
)


def stage(facts: list[RequestFact], **flags: bool) -> str:
    values = {"allocated": True, "seen": False, "application_made": False, **flags}
    return case_stage(waits=waits_by_kind(facts, now=at(20)), **values)


def test_stages_through_the_pathway() -> None:
    doctor = RequestFact("s12_doctor", at(14), "accepted", arrived_at=at(16))
    bed = RequestFact("bed", at(17), "pending")
    bed_found = RequestFact("bed", at(17), "accepted", arrived_at=at(18))
    ambulance = RequestFact("ambulance", at(18), "pending")
    assert stage([], allocated=False) == AWAITING_AMHP
    assert stage([]) == AWAITING_DOCTORS
    assert stage([RequestFact("s12_doctor", at(14), "no_answer")]) == AWAITING_DOCTORS
    assert stage([doctor]) == AWAITING_ASSESSMENT
    assert stage([doctor], seen=True) == SEEN
    assert stage([doctor, bed], seen=True, application_made=True) == AWAITING_BED
    assert stage([doctor, bed_found, ambulance], seen=True, application_made=True) == AWAITING_CONVEYANCE
    assert stage([doctor, bed_found], seen=True, application_made=True) == APPLICATION_MADE


def test_no_amhp_wait_runs_from_when_the_case_was_waiting() -> None:
    wait = amhp_wait(waiting_since=at(9), now=at(11, 30))
    assert wait.kind == "no_amhp" and wait.running and wait.duration == timedelta(hours=2, minutes=30)
