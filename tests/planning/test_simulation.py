"""The simulation core: a pure, seeded replay of referrals through a rota and an allocation policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from planning import simulation
from planning.simulation import Service, simulate
from tests.planning.helpers import at, case, person, shift


def test_greedy_gives_the_case_to_the_amhp_it_fits_and_books_no_toil_inside_the_shift() -> None:
    # A at 09:00-17:00, B at 09:00-12:00. A 4 h case at 10:00 fits only A (7 h left against B's 2 h).
    service = Service(
        shifts=(shift("a", at(9), at(17)), shift("b", at(9), at(12))), practitioners=(person("a"), person("b"))
    )
    report = simulate([case("r1", at(10), actual_hours=4.0)], service)
    (result,) = report.results
    assert result.amhp_id == "a"
    assert result.toil_minutes == 0
    assert report.late_finishes == 0


def test_work_past_shift_end_earns_toil_in_whole_15_minute_blocks() -> None:
    # Shift ends 17:00; work 13:00 + 4 h 20 min ends 17:20: 20 minutes over, one 15-minute block.
    service = Service(shifts=(shift("a", at(9), at(17)),), practitioners=(person("a"),))
    report = simulate([case("r1", at(13), actual_hours=4 + 20 / 60)], service)
    assert report.toil_minutes == 15
    assert report.late_finishes == 1
    assert round(report.hours_past_shift_end * 60) == 20


def test_an_amhp_does_one_assessment_at_a_time() -> None:
    # One AMHP, two 3 h cases at 09:00: the second starts at 12:00 when the first ends.
    service = Service(shifts=(shift("a", at(9), at(17)),), practitioners=(person("a"),))
    report = simulate([case("r1", at(9), actual_hours=3.0), case("r2", at(9), actual_hours=3.0)], service)
    starts = sorted(r.started_at for r in report.results if r.started_at is not None)
    assert len(starts) == len(report.results) and starts == [at(9), at(12)]


def test_a_case_waits_for_the_next_shift_when_its_deadline_allows() -> None:
    # Community referral at 07:00, nobody on until 09:00: allocated at 09:00, 2 h in the queue.
    service = Service(shifts=(shift("a", at(9), at(17)),), practitioners=(person("a"),))
    report = simulate([case("r1", at(7), actual_hours=2.0)], service)
    assert report.results[0].allocated_at == at(9)
    assert report.queue_waits_hours == [2.0]
    assert report.call_ins == 0


def test_someone_is_called_in_when_waiting_would_miss_a_s5_4_expiry() -> None:
    # s5(4): 6 h from the nurse's record at 02:00, so it ends 08:00 (s5(4)). Nobody on until 09:00:
    # waiting cannot meet it, so someone off the rota is called in at 02:30; all their work is past a shift end.
    service = Service(shifts=(shift("a", at(9), at(17)),), practitioners=(person("a"),))
    report = simulate([case("r1", at(2.5), "s5_4", hours=4.0, actual_hours=3.0, legal_power_started_at=at(2))], service)
    (result,) = report.results
    assert result.called_in
    assert report.call_ins == 1
    assert result.toil_minutes == 180
    assert not result.breached  # decision at 05:30, before 08:00


def test_a_s136_decided_after_24_hours_is_a_statutory_breach() -> None:
    # s136(2A): arrival 10:00 on day 0, so the detention ends 10:00 on day 1. Work 09:00-11:00 on day 1
    # (doctors only then) ends after it: a breach.
    service = Service(shifts=(shift("a", at(9, 1), at(17, 1)),), practitioners=(person("a"),))
    c = case("r1", at(10), "s136", actual_hours=2.0, legal_power_started_at=at(10), ready_at=at(9, 1))
    report = simulate([c], service)
    assert report.statutory_breaches == 1


def test_late_working_that_cuts_the_rest_before_the_next_shift_is_an_11_hour_rest_break() -> None:
    # Late 12:00-20:00, early 08:00-16:00 next day: 12 h rest on the rota. Work 17:00-23:00 leaves
    # 23:00 to 08:00, 9 h: one break of WTR reg. 10.
    service = Service(
        shifts=(shift("a", at(12), at(20)), shift("a", at(8, 1), at(16, 1))), practitioners=(person("a"),)
    )
    report = simulate([case("r1", at(17), actual_hours=6.0)], service)
    assert report.rest_breaches == 1
    assert "9 h rest" in report.rest_breach_messages[0]


def test_nobody_with_an_expired_approval_or_on_leave_is_given_work() -> None:
    # A's approval ended the day before; B is on leave all day; only C may take it.
    service = Service(
        shifts=(shift("a", at(9), at(17)), shift("b", at(9), at(17)), shift("c", at(9), at(17))),
        practitioners=(
            person("a", approval=at(0).date() - timedelta(days=1)),
            person("b", leave=((at(0), at(24)),)),
            person("c"),
        ),
    )
    report = simulate([case("r1", at(10), actual_hours=2.0)], service)
    assert report.results[0].amhp_id == "c"


def test_the_same_seed_gives_the_same_report_whatever_the_input_order() -> None:
    service = Service(
        shifts=(shift("a", at(9), at(17)), shift("b", at(12), at(20))), practitioners=(person("a"), person("b"))
    )
    cases = [case(f"r{i}", at(9 + i / 2)) for i in range(8)]  # no actual hours: seeded draws
    first = simulate(cases, service, seed=7)
    again = simulate(list(reversed(cases)), service, seed=7)
    other = simulate(cases, service, seed=8)
    assert first.summary() == again.summary()
    assert [r.ended_at for r in first.results] == [r.ended_at for r in again.results]
    assert [r.ended_at for r in first.results] != [r.ended_at for r in other.results]


def test_assessment_hours_after_5pm_are_counted_by_local_hour() -> None:
    # Work 16:00-18:00: one hour before 17:00 and one after, so half the assessment hours are after 5pm.
    service = Service(shifts=(shift("a", at(9), at(20)),), practitioners=(person("a"),))
    report = simulate([case("r1", at(16), actual_hours=2.0)], service)
    assert report.assessment_hours_by_hour[16] == 1.0
    assert report.assessment_hours_by_hour[17] == 1.0
    assert report.after_5pm_share == 0.5  # 17:00-18:00 of 16:00-18:00


def test_hours_are_counted_in_london_time_across_the_autumn_clock_change() -> None:
    # 25 October 2026: clocks go back at 02:00 BST. Work from 00:30 BST (23:30 UTC on the 24th) for
    # 3 elapsed hours ends 02:30 GMT: local hours 00 and 01 (twice) and 02, half an hour in the last.
    start = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
    service = Service(
        shifts=(shift("a", start - timedelta(hours=1), start + timedelta(hours=8)),), practitioners=(person("a"),)
    )
    report = simulate([case("r1", start, actual_hours=3.0)], service)
    hours = report.assessment_hours_by_hour
    assert (hours[0], hours[1], hours[2]) == (0.5, 2.0, 0.5)


def test_with_rota_keeps_the_people_and_swaps_the_shifts() -> None:
    service = Service(shifts=(shift("a", at(9), at(17)),), practitioners=(person("a"),))
    other = simulation.with_rota(service, [shift("a", at(12), at(20))])
    assert other.practitioners == service.practitioners
    assert [s.start for s in other.shifts] == [at(12)]


def test_simulated_toil_is_booked_as_the_booking_job_books_it_counting_from_the_shift_end_once() -> None:
    # Shift ends 17:00. r1 13:00 + 4 h 25 min ends 17:25; r2 follows at once, 10 min, ends 17:35. The
    # late work after the 17:00 end is 17:00-17:35, 35 minutes: two whole 15-minute blocks, 30 minutes
    # (DOMAIN.md "TOIL overlap": the union after one shift end). Each measured from the shift end and
    # added (25 -> 15, 35 -> 30) would be 45.
    service = Service(shifts=(shift("a", at(9), at(17)),), practitioners=(person("a"),))
    report = simulate(
        [case("r1", at(13), actual_hours=4 + 25 / 60), case("r2", at(13.5), actual_hours=10 / 60)], service
    )
    assert report.toil_minutes == 30
    assert report.late_finishes == 2


def test_simulated_toil_stops_at_the_monthly_cap_of_each_london_month() -> None:
    # Five hours past a 09:00-17:00 shift on 28, 29 and 30 November and on 1 and 2 December (work 09:00-22:00).
    # November: 3 x 5 h = 15 h, all of it under the 15 h cap. December: 2 x 5 h = 10 h, all booked.
    # With the cap at 12 h: November books 12 h (3 h over), December 10 h: 22 h booked, 3 h over the cap.
    days = [-3, -2, -1, 0, 1]
    cases = [case(f"r{d}", at(9, d), actual_hours=13.0) for d in days]
    shifts = tuple(shift("a", at(9, d), at(17, d)) for d in days)
    uncapped = simulate(cases, Service(shifts=shifts, practitioners=(person("a"),)))
    assert uncapped.toil_minutes == 25 * 60
    assert uncapped.toil_over_cap_minutes == 0
    capped = simulate(cases, Service(shifts=shifts, practitioners=(person("a"),), toil_monthly_cap_minutes=12 * 60))
    assert capped.toil_minutes == 22 * 60
    assert capped.toil_over_cap_minutes == 3 * 60
    by_case = {r.case_id: r.toil_minutes for r in capped.results}
    assert by_case == {"r-3": 300, "r-2": 300, "r-1": 120, "r0": 300, "r1": 300}


def test_toil_booked_for_other_work_in_the_month_counts_towards_the_cap() -> None:
    # 14 h of December already in the ledger for other work; the 15 h cap leaves 1 h for the 5 h past
    # the shift on 1 December. November has nothing booked, so its 5 h stand.
    from assessments.toil import month_start

    days = [-1, 0]
    cases = [case(f"r{d}", at(9, d), actual_hours=13.0) for d in days]
    shifts = tuple(shift("a", at(9, d), at(17, d)) for d in days)
    december = month_start(at(12, 0))
    report = simulate(
        cases, Service(shifts=shifts, practitioners=(person("a"),), toil_booked={("a", december): 14 * 60})
    )
    assert {r.case_id: r.toil_minutes for r in report.results} == {"r-1": 300, "r0": 60}
    assert report.toil_over_cap_minutes == 240


def test_while_an_amhp_waits_for_one_cases_doctors_they_do_another_case_that_is_ready() -> None:
    # One AMHP 09:00-21:00. r1 (09:00, 2 h) can only start at 15:00, when its doctors can attend;
    # r2 (09:30, 3 h) is ready at once. r2 is done in the gap, 09:30-12:30, and r1 15:00-17:00: with
    # one "free from" time per AMHP r2 would wait behind r1 until 17:00 and end 20:00.
    service = Service(shifts=(shift("a", at(9), at(21)),), practitioners=(person("a"),))
    report = simulate(
        [case("r1", at(9), actual_hours=2.0, ready_at=at(15)), case("r2", at(9.5), actual_hours=3.0)], service
    )
    spans = {r.case_id: (r.started_at, r.ended_at) for r in report.results}
    assert spans == {"r1": (at(15), at(17)), "r2": (at(9.5), at(12.5))}


def test_work_too_long_for_the_gap_goes_after_the_work_booked_later() -> None:
    # As above, but r2 takes 6 h: 09:30-15:30 would overlap r1 at 15:00, so it starts when r1 ends at
    # 17:00 and ends 23:00, two hours past the 21:00 shift end.
    service = Service(shifts=(shift("a", at(9), at(21)),), practitioners=(person("a"),))
    report = simulate(
        [case("r1", at(9), actual_hours=2.0, ready_at=at(15)), case("r2", at(9.5), actual_hours=6.0)], service
    )
    r2 = next(r for r in report.results if r.case_id == "r2")
    assert (r2.started_at, r2.ended_at) == (at(17), at(23))
    assert r2.minutes_past_shift_end == 120


def test_a_gap_between_two_booked_assessments_takes_work_that_fits_it_exactly() -> None:
    # Booked 10:00-12:00 (r1, doctors at 10:00) and 15:00-16:00 (r2, doctors at 15:00). r3 (3 h, ready
    # at 12:00) fits 12:00-15:00 exactly; r4 (1 h, ready at 11:00) fits nowhere before 16:00.
    service = Service(shifts=(shift("a", at(9), at(21)),), practitioners=(person("a"),))
    cases = [
        case("r1", at(9), actual_hours=2.0, ready_at=at(10)),
        case("r2", at(9.1), actual_hours=1.0, ready_at=at(15)),
        case("r3", at(9.2), actual_hours=3.0, ready_at=at(12)),
        case("r4", at(9.3), actual_hours=1.0, ready_at=at(11)),
    ]
    report = simulate(cases, service)
    starts = {r.case_id: r.started_at for r in report.results}
    assert starts == {"r1": at(10), "r2": at(15), "r3": at(12), "r4": at(16)}


def test_a_gap_is_used_only_from_a_time_the_doctors_can_attend() -> None:
    # Doctors attend 09:00-10:00 and 14:00-18:00. r1 (doctors ready 14:00, 2 h) is booked 14:00-16:00.
    # r2 (1 h) at 10:30 cannot start in the morning gap outside the doctors' hours, nor at 14:00
    # (r1), so it starts at 16:00, still inside the afternoon window.
    service = Service(
        shifts=(shift("a", at(9), at(21)),),
        practitioners=(person("a"),),
        doctor_windows=((at(9), at(10)), (at(14), at(18))),
    )
    report = simulate(
        [case("r1", at(9.5), actual_hours=2.0, ready_at=at(14)), case("r2", at(10.5), actual_hours=1.0)], service
    )
    assert {r.case_id: r.started_at for r in report.results} == {"r1": at(14), "r2": at(16)}


def test_the_state_shows_a_policy_the_gaps_in_each_amhps_diary() -> None:
    # A is booked 15:00-17:00 (r1's doctors at 15:00). Seen at 09:30: free at once for 3 h (to 12:30),
    # but 6 h from 09:30 would reach 15:00, so 6 h are free only from 17:00; free_at is 17:00.
    seen: list[tuple] = []

    def policy(c: simulation.Case, state: simulation.State, service: Service) -> simulation.Allocation | None:
        if c.id == "r2":
            seen.append((state.free_for("a", state.now, 3.0), state.free_for("a", state.now, 6.0), state.free_at["a"]))
        return simulation.greedy_policy(c, state, service)

    service = Service(shifts=(shift("a", at(9), at(21)),), practitioners=(person("a"),))
    simulate(
        [case("r1", at(9), actual_hours=2.0, ready_at=at(15)), case("r2", at(9.5), actual_hours=1.0)],
        service,
        policy=policy,
    )
    assert seen == [(at(9.5), at(17), at(17))]
