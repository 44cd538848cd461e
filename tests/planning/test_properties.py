"""Property tests (hypothesis) for the planner and the simulation."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planning.simulation import Service, simulate
from planning.solver import plan_queue
from tests.planning.helpers import APPROVED, at, case, person, shift, span

LEGAL = ["community", "s136", "s5_2", "s5_4", "s2", "informal_inpatient", "nr_request"]
CLOCKED = {"s136", "s5_2", "s5_4", "s2"}


@st.composite
def queues(draw: st.DrawFn) -> tuple[list, list, list]:
    people = []
    for i in range(draw(st.integers(1, 5))):
        expired = draw(st.booleans())
        on_leave = draw(st.booleans())
        people.append(
            person(
                f"p{i}",
                approval=at(0).date() - timedelta(days=1) if expired else APPROVED,
                leave=((at(0), at(48)),) if on_leave else (),
            )
        )
    shifts = []
    for p in people:
        for _ in range(draw(st.integers(0, 2))):
            start = draw(st.integers(0, 30))
            length = draw(st.sampled_from([8, 10, 16]))
            shifts.append(shift(p.id, at(start), at(start + length)))
    cases = []
    for i in range(draw(st.integers(1, 8))):
        legal = draw(st.sampled_from(LEGAL))
        received = at(draw(st.integers(0, 9)))
        started = received - timedelta(hours=draw(st.integers(0, 3))) if legal in CLOCKED else None
        cases.append(
            case(f"r{i}", received, legal, hours=draw(st.sampled_from([2.0, 4.0, 6.0])), legal_power_started_at=started)
        )
    return cases, shifts, people


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queues())
def test_a_plan_never_uses_an_expired_approval_someone_on_leave_or_a_double_booking(data: tuple) -> None:
    cases, shifts, people = data
    now = at(10)
    plan = plan_queue(cases, shifts, people, now=now, time_limit=2.0)
    by_id = {p.id: p for p in people}
    slots = {s.id: s for s in shifts}
    for proposal in plan.proposals:
        if proposal.amhp_id is None:
            continue
        who, slot = by_id[proposal.amhp_id], slots[proposal.shift_id]
        starts_at, ends_at = span(proposal)
        assert slot.amhp_id == who.id
        assert who.approved_at(slot.end)
        assert not who.on_leave(starts_at, ends_at)
        assert starts_at >= now
    for amhp in by_id:
        spans = sorted(span(p) for p in plan.proposals if p.amhp_id == amhp)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


@st.composite
def feasible_s136_queues(draw: st.DrawFn) -> tuple[list, list, list]:
    """s136 cases, each with an AMHP of its own on duty now with time to spare before its expiry."""
    count = draw(st.integers(1, 6))
    people = [person(f"p{i}") for i in range(count)]
    shifts = [shift(f"p{i}", at(9), at(21)) for i in range(count)]
    cases = []
    for i in range(count):
        arrived = at(10) - timedelta(hours=draw(st.integers(8, 17)))  # 7 to 16 h of the 24 left at 10:00
        cases.append(
            case(f"r{i}", arrived, "s136", hours=draw(st.sampled_from([3.0, 4.0, 5.0])), legal_power_started_at=arrived)
        )
    # Distractions: routine work that would be tempting to put first.
    cases += [case(f"c{i}", at(9), "community", hours=6.0) for i in range(draw(st.integers(0, 4)))]
    return cases, shifts, people


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feasible_s136_queues())
def test_with_a_feasible_plan_no_s136_expiry_is_missed(data: tuple) -> None:
    cases, shifts, people = data
    plan = plan_queue(cases, shifts, people, now=at(10), time_limit=2.0)
    by_case = {c.id: c for c in cases}
    for proposal in plan.proposals:
        c = by_case[proposal.case_id]
        if c.legal_status == "s136":
            assert proposal.amhp_id is not None
            assert proposal.ends_at <= c.expires_at


@st.composite
def rota_and_more(draw: st.DrawFn) -> tuple[list, list, list, list]:
    people = [person(f"p{i}") for i in range(draw(st.integers(1, 4)))]
    shifts = [
        shift(p.id, at(s), at(s + draw(st.sampled_from([8, 12]))))
        for p in people
        for s in draw(st.lists(st.integers(0, 40), max_size=2, unique=True))
    ]
    extra = [
        shift(p.id, at(s), at(s + 8), "Extra")
        for p in people
        for s in draw(st.lists(st.integers(0, 40), max_size=2, unique=True))
    ]
    cases = [
        case(
            f"r{i}",
            at(draw(st.integers(0, 36))),
            draw(st.sampled_from(["community", "informal_inpatient", "nr_request"])),
            actual_hours=draw(st.sampled_from([1.0, 3.0, 5.0])),
        )
        for i in range(draw(st.integers(1, 10)))
    ]
    return people, shifts, extra, cases


@settings(max_examples=80, deadline=None)
@given(rota_and_more())
def test_more_cover_never_makes_simulated_queue_waits_worse(data: tuple) -> None:
    # Work with no statutory clock waits in the queue until someone is on duty; adding shifts
    # can only bring that moment forward, whoever the ranking then chooses.
    people, shifts, extra, cases = data
    base = simulate(cases, Service(shifts=tuple(shifts), practitioners=tuple(people)))
    more = simulate(cases, Service(shifts=tuple(shifts + extra), practitioners=tuple(people)))
    before = {r.case_id: r.allocated_at for r in base.results}
    after = {r.case_id: r.allocated_at for r in more.results}
    for case_id, allocated in before.items():
        if allocated is not None:
            later = after[case_id]
            assert later is not None and later <= allocated
    assert more.unallocated <= base.unallocated


@st.composite
def cases_with_doctor_times(draw: st.DrawFn) -> tuple[list, list, list, tuple]:
    """Cases whose doctors come at scattered times, so an AMHP's diary has gaps to fill."""
    people = [person(f"p{i}") for i in range(draw(st.integers(1, 3)))]
    shifts = [shift(p.id, at(s), at(s + 12)) for p in people for s in draw(st.lists(st.integers(0, 48), max_size=3))]
    cases = []
    for i in range(draw(st.integers(1, 12))):
        received = at(draw(st.integers(0, 48)))
        ready = received + timedelta(hours=draw(st.integers(0, 72))) if draw(st.booleans()) else None
        legal = draw(st.sampled_from(["community", "s136", "s2"]))
        started = received if legal != "community" else None
        cases.append(
            case(
                f"r{i}",
                received,
                legal,
                actual_hours=draw(st.sampled_from([0.5, 2.0, 5.0, 9.0])),
                ready_at=ready,
                legal_power_started_at=started,
            )
        )
    windows = tuple((at(d * 24 + 9), at(d * 24 + 21)) for d in range(6)) if draw(st.booleans()) else ()
    return people, shifts, cases, windows


@settings(max_examples=80, deadline=None)
@given(cases_with_doctor_times())
def test_an_amhp_never_does_two_assessments_at_once_and_none_starts_before_its_doctors(data: tuple) -> None:
    people, shifts, cases, windows = data
    service = Service(shifts=tuple(shifts), practitioners=tuple(people), doctor_windows=windows)
    report = simulate(cases, service)
    by_id = {c.id: c for c in cases}
    spans: dict[str, list] = {}
    for r in report.results:
        if r.amhp_id is None or r.started_at is None or r.ended_at is None:
            continue
        c = by_id[r.case_id]
        assert r.allocated_at is not None and r.started_at >= r.allocated_at
        assert c.ready_at is None or r.started_at >= c.ready_at
        assert not windows or any(s <= r.started_at < e for s, e in windows) or r.started_at >= windows[-1][1]
        spans.setdefault(r.amhp_id, []).append((r.started_at, r.ended_at))
    for booked in spans.values():
        booked.sort()
        assert all(a[1] <= b[0] for a, b in zip(booked, booked[1:], strict=False))
