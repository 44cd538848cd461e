"""The planner as a replay policy: one case at a time, planned with the solver against each AMHP's diary."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planning.simulation import Service, simulate
from planning.solver import planner_policy_factory
from tests.planning.helpers import at, case, person, shift


def two_on_duty_with_work_waiting_for_doctors() -> tuple[Service, list]:
    # A and B on duty 08:00-20:00. At 08:00 each is given an s2 review whose doctors can only come on
    # day 10 and day 12 (28-day clock, far off). Then at 09:00 a s136 arrives (s136(2A): ends 09:00 on
    # day 1) and at 09:30 a s5(4) recorded at 09:00 (s5(4): ends 15:00).
    service = Service(
        shifts=(shift("a", at(8), at(20)), shift("b", at(8), at(20))), practitioners=(person("a"), person("b"))
    )
    cases = [
        case("p1", at(8), "s2", actual_hours=4.0, watched_deadline=at(0, 30), ready_at=at(8, 10)),
        case("p2", at(8), "s2", actual_hours=4.0, watched_deadline=at(0, 30), ready_at=at(8, 12)),
        case("x", at(9), "s136", actual_hours=4.0, legal_power_started_at=at(9)),
        case("y", at(9.5), "s5_4", hours=3.0, actual_hours=3.0, legal_power_started_at=at(9)),
    ]
    return service, cases


def test_work_booked_for_later_does_not_stop_an_amhp_keeping_a_clock_now() -> None:
    # A plan meets every clock: the s136 to one AMHP 09:00-13:00, the s5(4) to the other 09:30-12:30
    # (before 15:00), the two reviews on their doctors' days. Waiting behind the reviews would miss both.
    service, cases = two_on_duty_with_work_waiting_for_doctors()
    report = simulate(cases, service, policy=planner_policy_factory())
    by_case = {r.case_id: r for r in report.results}
    assert report.statutory_breaches == 0
    assert (by_case["x"].started_at, by_case["x"].ended_at) == (at(9), at(13))
    assert (by_case["y"].started_at, by_case["y"].ended_at) == (at(9.5), at(12.5))
    assert by_case["x"].amhp_id != by_case["y"].amhp_id
    assert {by_case["p1"].started_at, by_case["p2"].started_at} == {at(8, 10), at(8, 12)}
    assert report.call_ins == 0  # both were on duty with time to spare


def test_a_case_whose_clock_is_already_lost_is_done_at_once_by_someone_on_duty() -> None:
    # The s136 began at 08:00 yesterday, so it ended at 08:00 today (s136(2A)); it reaches the hub at
    # 09:00. A is on duty to 20:00 with only a review booked for day 10: the lost case is still done now,
    # 09:00-13:00, inside A's shift (no call-in), not after the review.
    service = Service(shifts=(shift("a", at(8), at(20)),), practitioners=(person("a"),))
    cases = [
        case("p1", at(8), "s2", actual_hours=4.0, watched_deadline=at(0, 30), ready_at=at(8, 10)),
        case("late", at(9), "s136", actual_hours=4.0, legal_power_started_at=at(8, -1)),
    ]
    report = simulate(cases, service, policy=planner_policy_factory())
    late = next(r for r in report.results if r.case_id == "late")
    assert late.breached
    assert (late.started_at, late.ended_at) == (at(9), at(13))
    assert not late.called_in and late.minutes_past_shift_end == 0


@st.composite
def clocks_among_work_waiting_for_doctors(draw: st.DrawFn) -> tuple[Service, list]:
    """AMHPs on duty 09:00-21:00; work whose doctors come on day 3 or later; s136s, one per AMHP at most.

    Each s136 (3 to 5 h, arriving 09:00-10:00, its 24 h running from arrival) can go to an AMHP of its
    own at once and end by 15:00, so a plan meeting every clock exists.
    """
    count = draw(st.integers(1, 3))
    people = tuple(person(f"p{i}") for i in range(count))
    shifts = tuple(shift(p.id, at(9), at(21)) for p in people)
    cases = []
    for i in range(draw(st.integers(0, 6))):
        legal = draw(st.sampled_from(["s2", "community", "informal_inpatient"]))
        cases.append(
            case(
                f"w{i}",
                at(9) - timedelta(minutes=draw(st.integers(1, 60))),
                legal,
                actual_hours=draw(st.sampled_from([2.0, 6.0])),
                watched_deadline=at(9, 30) if legal == "s2" else None,
                ready_at=at(9, draw(st.integers(3, 20))),
            )
        )
    for i in range(draw(st.integers(1, count))):
        arrived = at(9) + timedelta(minutes=draw(st.integers(0, 60)))
        hours = draw(st.sampled_from([3.0, 4.0, 5.0]))
        cases.append(case(f"s{i}", arrived, "s136", hours=hours, actual_hours=hours, legal_power_started_at=arrived))
    return Service(shifts=shifts, practitioners=people), cases


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clocks_among_work_waiting_for_doctors())
def test_when_a_plan_keeps_every_s136_the_planner_policy_keeps_every_s136(data: tuple) -> None:
    service, cases = data
    report = simulate(cases, service, policy=planner_policy_factory())
    for result in report.results:
        if result.case_id.startswith("s"):
            assert result.ended_at is not None and not result.breached, result
