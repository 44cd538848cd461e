"""The whole-queue planner: hard rules, objectives in order, and a reason for every proposal."""

from __future__ import annotations

from datetime import timedelta

from planning.solver import Workload, plan_queue
from tests.planning.helpers import at, case, person, shift, span


def test_routine_work_goes_to_tomorrows_shift_rather_than_running_past_todays_end() -> None:
    # 15:00; A's shift ends 16:00, a 6 h community visit would run 5 h over. A is on again 09:00
    # tomorrow (17 h rest): the plan puts it there, with no work past shift end.
    shifts = [shift("a", at(8), at(16)), shift("a", at(9, 1), at(17, 1))]
    plan = plan_queue([case("r1", at(14), hours=6.0)], shifts, [person("a")], now=at(15))
    (proposal,) = plan.proposals
    assert proposal.shift_id == shifts[1].id
    assert proposal.minutes_past_shift_end == 0
    assert proposal.starts_at == at(9, 1)


def test_urgent_work_is_done_now_even_past_shift_end_rather_than_tomorrow() -> None:
    # 10:00, A on to 14:00 and again at 09:00 tomorrow. Two overdue urgent 4 h cases: both now
    # (the second 14:00-18:00, 4 h over) beat one waiting until tomorrow.
    shifts = [shift("a", at(6), at(14)), shift("a", at(9, 1), at(17, 1))]
    overdue = [case(f"r{i}", at(5), "community", due_at=at(8), priority_rank=2) for i in range(2)]
    plan = plan_queue(overdue, shifts, [person("a")], now=at(10))
    assert [p.shift_id for p in plan.proposals] == [shifts[0].id, shifts[0].id]
    assert plan.minutes_past_shift_end == 240


def test_a_statutory_deadline_comes_before_work_past_shift_end() -> None:
    # s136 arrival 06:00 ends 06:00 tomorrow (s136(2A)). At 15:00 only A is on (to 16:00), then nobody
    # until 09:00 tomorrow: only doing it now (4 h, to 19:00, 3 h over) meets the deadline.
    shifts = [shift("a", at(8), at(16)), shift("a", at(9, 1), at(17, 1))]
    c = case("r1", at(6), "s136", legal_power_started_at=at(6))
    plan = plan_queue([c], shifts, [person("a")], now=at(15))
    (proposal,) = plan.proposals
    assert proposal.shift_id == shifts[0].id
    assert proposal.ends_at == at(19)
    assert proposal.meets_deadline is True
    assert proposal.minutes_past_shift_end == 180
    assert any(
        "(s136(2A))" in reason and "before the section 136 detention ends" in reason for reason in proposal.reasons
    )


def test_work_never_cuts_into_the_11_hour_rest_before_the_next_shift() -> None:
    # A: late to 20:00 and early at 07:00 (exactly 11 h). At 19:00 a 4 h case cannot go to A's late
    # shift (it would end 23:00, leaving 8 h before 07:00); with only A on the rota it goes to A's early.
    shifts = [shift("a", at(12), at(20)), shift("a", at(7, 1), at(15, 1))]
    plan = plan_queue([case("r1", at(18), "community", priority_rank=4)], shifts, [person("a")], now=at(19))
    assert plan.proposals[0].shift_id == shifts[1].id


def test_nobody_with_an_expired_approval_or_on_leave_is_proposed_and_the_reasons_say_so() -> None:
    expired = person("a", approval=at(0).date() - timedelta(days=1), name="Ann")
    away = person("b", leave=((at(0), at(48)),), name="Bob")
    shifts = [shift("a", at(9), at(17)), shift("b", at(9), at(17))]
    plan = plan_queue([case("r1", at(9))], shifts, [expired, away], now=at(10))
    (proposal,) = plan.proposals
    assert proposal.amhp_id is None
    assert any("Ann: AMHP approval ends" in reason for reason in proposal.reasons)
    assert any("Bob: on leave" in reason for reason in proposal.reasons)


def test_an_amhp_is_never_double_booked() -> None:
    # Three 3 h cases and one AMHP 09:00-20:00: planned one after another, never overlapping.
    plan = plan_queue(
        [case(f"r{i}", at(9), hours=3.0) for i in range(3)], [shift("a", at(9), at(20))], [person("a")], now=at(9)
    )
    spans = sorted(span(p) for p in plan.proposals)
    assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:], strict=False))
    assert spans[0][0] == at(9) and spans[-1][1] == at(18)


def test_fair_duty_spreads_work_when_deadlines_and_overrun_are_equal() -> None:
    # Two AMHPs on 09:00-21:00 and two 4 h cases: one each (the busiest then has 4 h, not 8 h).
    shifts = [shift("a", at(9), at(21)), shift("b", at(9), at(21))]
    plan = plan_queue([case("r1", at(9)), case("r2", at(9))], shifts, [person("a"), person("b")], now=at(9))
    assert {p.amhp_id for p in plan.proposals} == {"a", "b"}
    assert plan.busiest_load_minutes == 240


def test_open_work_counts_as_busy_time() -> None:
    # A has 6 h of open work (busy to 15:00); B is free. An s5(4) case ending 14:00 must go to B.
    shifts = [shift("a", at(9), at(17)), shift("b", at(9), at(17))]
    workload = {"a": Workload(open_allocations=1, open_hours=6.0, busy_until=at(15))}
    c = case("r1", at(8.5), "s5_4", hours=4.0, legal_power_started_at=at(8))
    plan = plan_queue([c], shifts, [person("a"), person("b")], now=at(9), workload=workload)
    assert plan.proposals[0].amhp_id == "b"
    assert plan.missed_deadlines == 0


def test_continuity_breaks_a_tie_and_is_given_as_a_reason() -> None:
    shifts = [shift("a", at(9), at(21)), shift("b", at(9), at(21))]
    plan = plan_queue(
        [case("r1", at(9))], shifts, [person("a"), person("b")], now=at(9), assessed_before={"r1": frozenset({"b"})}
    )
    assert plan.proposals[0].amhp_id == "b"
    assert "Assessed this person before" in plan.proposals[0].reasons


def test_overdue_work_fills_the_shift_on_now_first_and_the_rest_goes_to_the_next_shift() -> None:
    # 10:00. A is on to 14:00, then on again at 03:00 tomorrow, so work today must end by 16:00 (11 h
    # rest). Two urgent 4 h cases already past their due time: one is done now (10:00-14:00); the other
    # cannot also be (it would end 18:00), so it goes to tomorrow's shift rather than to nobody.
    shifts = [shift("a", at(6), at(14)), shift("a", at(3, 1), at(11, 1))]
    overdue = [case(f"r{i}", at(5), "community", due_at=at(8), priority_rank=2) for i in range(2)]
    plan = plan_queue(overdue, shifts, [person("a")], now=at(10))
    chosen = [p.shift_id for p in plan.proposals if p.shift_id is not None]
    assert len(chosen) == len(plan.proposals) and sorted(chosen) == sorted(s.id for s in shifts)
    assert plan.unassigned == 0
