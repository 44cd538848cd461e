"""Replay a period of referrals through a rota and an allocation policy, and report what it costs.

Pure module: no database and no Django. Plain data goes in (the referrals with their
received time, legal status and expected and actual durations; the rota's shifts; who is
approved and who is on leave; when doctors could attend) and a report comes out: TOIL
hours, work past shift end, 11 h rest breaks, statutory breaches, waits and call-ins.

The rules are the hub's own, called rather than copied:

* who gets the work: ``rota.ranking`` ("rank and take the best" is today's greedy
  one-at-a-time policy) or the whole-queue solver in ``planning.solver``;
* the statutory expiry: ``referrals.clocks.statutory_expiry`` and ``is_breached``;
* TOIL: ``assessments.toil.booking_plan``, as the booking job books it (the union of one
  AMHP's late work after one shift end in whole 15-minute blocks, capped each month);
* the 11 h daily rest: ``rota.working_time.daily_rest_breaches``.

How a case is replayed (the reading taken where the records are silent):

* A case can be allocated from ``triaged_at`` (default: when it was received). The greedy
  policy gives it to the best-ranked AMHP on duty then; if nobody is on duty it waits for
  the next shift, unless waiting would miss its statutory expiry, when someone off the
  rota (approved, not on leave, free now if anyone is) is **called in**. Work with no
  statutory clock is never a call-in: it waits in the queue.
* Work starts once the case has been allocated and the doctors can attend (``ready_at``,
  and any doctor availability windows), at the first time after that when the AMHP is free
  for the whole of it. Each AMHP keeps a diary of the work booked (an AMHP does one
  assessment at a time), so while they wait for one case's doctors they can do another that
  is ready, in the gap. It lasts ``actual_hours`` (the hours recorded), or if none is given
  a seeded draw around ``expected_hours``.
* Late working is measured, as the TOIL job does, against the end of the shift the work
  was allocated in; a call-in's whole time is past the end of a shift.
* A statutory breach is a case whose legal power ended (s136(2A), s135(3ZA), s5(2),
  s5(4), s4, s2, s3 clocks) before the assessment's decision, which is taken to come at
  the end of the work.
* Worked time for the rest check is each AMHP's rostered shifts (not on leave) joined
  with any work that ran past them or was done on a call-in.

The result is the same for the same input and seed.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from assessments.toil import DEFAULT_BLOCK_MINUTES, DEFAULT_MONTHLY_CAP_MINUTES, booking_plan
from planning import demand
from referrals import clocks
from rota import ranking, working_time
from rota.timefmt import LONDON, require_aware

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Case:
    """A referral to be assessed, as the simulation and the planner see it.

    ``watched_deadline`` is the earliest running legal deadline the hub stored for the referral;
    without it ``legal_power_started_at`` and ``extension_hours`` feed ``clocks.statutory_expiry``.
    ``ready_at`` is when the doctors (and the person) could be there, from the records or
    the doctor directory's availability; ``None`` means as soon as it is allocated.
    """

    id: str
    received_at: datetime
    legal_status: str
    expected_hours: float
    actual_hours: float | None = None
    legal_power_started_at: datetime | None = None
    extension_hours: int = 0
    watched_deadline: datetime | None = None
    triaged_at: datetime | None = None
    ready_at: datetime | None = None
    due_at: datetime | None = None
    priority_rank: int = 3
    person_id: str = ""
    locality: str | None = None
    language: str | None = None
    reference: str = ""

    def __post_init__(self) -> None:
        require_aware(self.received_at, "received_at")
        if not math.isfinite(self.expected_hours) or self.expected_hours <= 0:
            raise ValueError("expected_hours must be a positive number")
        if self.actual_hours is not None and (not math.isfinite(self.actual_hours) or self.actual_hours < 0):
            raise ValueError("actual_hours must be a non-negative number")

    @functools.cached_property
    def expires_at(self) -> datetime | None:
        """The deadline watched: the referral's earliest running legal deadline when the hub recorded
        one (``referrals.deadlines``, stored as its statutory expiry), else the legal power's own clock
        (``referrals.clocks``); None if there is neither."""
        if self.watched_deadline is not None:
            return self.watched_deadline
        return clocks.statutory_expiry(
            self.legal_status, self.legal_power_started_at, extension_hours=self.extension_hours
        )

    @property
    def allocatable_at(self) -> datetime:
        return self.triaged_at or self.received_at


@dataclass(frozen=True)
class ShiftSlot:
    """One AMHP on one shift, as UTC instants."""

    id: str
    amhp_id: str
    start: datetime
    end: datetime
    label: str = ""

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError("a shift must end after it starts")

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Practitioner:
    """An AMHP: their approval's last day (None: not approved), leave, locality and languages."""

    id: str
    name: str
    approval_expires_on: date | None
    leave: tuple[tuple[datetime, datetime], ...] = ()
    locality: str | None = None
    languages: frozenset[str] = frozenset()

    def approved_on(self, day: date) -> bool:
        """The approval runs to the end of its expiry date (Europe/London)."""
        return self.approval_expires_on is not None and day <= self.approval_expires_on

    def approved_at(self, at: datetime) -> bool:
        return self.approved_on(at.astimezone(LONDON).date())

    def on_leave(self, start: datetime, end: datetime | None = None) -> bool:
        """Whether any leave overlaps [start, end), or covers ``start`` when no end is given."""
        end = end or start + timedelta(microseconds=1)
        return any(s < end and e > start for s, e in self.leave)


@dataclass(frozen=True)
class Service:
    """Everything the simulation needs besides the cases: the rota, the people, the doctors."""

    shifts: tuple[ShiftSlot, ...]
    practitioners: tuple[Practitioner, ...]
    doctor_windows: tuple[tuple[datetime, datetime], ...] = ()
    toil_block_minutes: int = DEFAULT_BLOCK_MINUTES
    toil_monthly_cap_minutes: int | None = DEFAULT_MONTHLY_CAP_MINUTES  # None: no cap
    # TOIL already booked for other work, per (AMHP id, assessments.toil.month_start of the month): it counts
    # towards the monthly cap of the months the replay touches, as it did for the booking job.
    toil_booked: Mapping[tuple[str, datetime], int] = field(default_factory=dict)

    def practitioner(self, amhp_id: str) -> Practitioner:
        return self._people[amhp_id]

    @property
    def _people(self) -> dict[str, Practitioner]:
        return {p.id: p for p in self.practitioners}


@dataclass(frozen=True)
class Allocation:
    """What a policy decided for a case at ``at``: the AMHP and the shift whose end counts."""

    amhp_id: str
    shift: ShiftSlot | None  # None: a call-in, off the rota
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    amhp_id: str | None
    shift_id: str | None
    allocated_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    shift_end: datetime | None
    toil_minutes: int
    minutes_past_shift_end: float
    breached: bool
    called_in: bool


@dataclass
class Report:
    """Totals and by-hour series for a replay. Hours are elapsed hours; by-hour series are Europe/London hours."""

    results: list[CaseResult]
    toil_minutes: int
    late_finishes: int
    hours_past_shift_end: float
    rest_breaches: int
    statutory_breaches: int
    call_ins: int
    unallocated: int
    waits_hours: list[float]  # hours from receipt to the start of work
    queue_waits_hours: list[float]  # hours from receipt to allocation (time in the queue)
    wait_by_hour: list[float]  # mean hours from receipt to the start of work, by hour of receipt
    cover_needed_by_hour: list[float]  # mean AMHPs busy on assessments, by hour of day
    assessment_hours_by_hour: list[float]  # assessment hours worked in each hour of day
    rest_breach_messages: list[str] = field(default_factory=list)
    toil_over_cap_minutes: int = 0  # TOIL the monthly cap kept out of toil_minutes

    @property
    def toil_hours(self) -> float:
        return self.toil_minutes / 60

    @property
    def after_5pm_share(self) -> float:
        """Share of assessment hours worked from 17:00 to midnight (``planning.demand``); 0 with none."""
        return demand.after_5pm_share(self.assessment_hours_by_hour) or 0.0

    @property
    def median_wait_hours(self) -> float | None:
        if not self.waits_hours:
            return None
        ordered = sorted(self.waits_hours)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

    def summary(self) -> dict[str, float | int | None]:
        return {
            "toil_hours": round(self.toil_hours, 2),
            "late_finishes": self.late_finishes,
            "hours_past_shift_end": round(self.hours_past_shift_end, 2),
            "rest_breaches": self.rest_breaches,
            "statutory_breaches": self.statutory_breaches,
            "call_ins": self.call_ins,
            "unallocated": self.unallocated,
            "median_wait_hours": None if self.median_wait_hours is None else round(self.median_wait_hours, 2),
            "after_5pm_share": round(self.after_5pm_share, 3),
        }


@dataclass
class State:
    """What the policy may see at an instant: who is busy when, and their open work.

    ``booked`` is each AMHP's diary: the work given to them so far, as (start, end) in start
    order. ``free_at`` is when all of it is done (the end of the last piece); the diary may
    have gaps before then, left while they wait for a case's doctors, and ``free_for`` finds them.
    """

    now: datetime
    free_at: dict[str, datetime]
    open_work: dict[str, list[tuple[datetime, float]]]  # per AMHP: (expected end, expected hours) of work not done
    assessed: dict[str, set[str]]  # person id -> AMHPs who assessed them before
    planned_minutes: dict[str, float]  # per AMHP: minutes of assessment work given so far in the replay
    booked: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)  # per AMHP: work, in order

    def free_for(self, amhp_id: str, at: datetime, hours: float) -> datetime:
        """The first time at or after AT when AMHP_ID's diary has HOURS free (before the doctors' time is known)."""
        return _first_gap(self.booked.get(amhp_id, []), at, timedelta(hours=hours), ())

    def open_hours(self, amhp_id: str) -> tuple[int, float]:
        live = [(end, hours) for end, hours in self.open_work.get(amhp_id, []) if end > self.now]
        return len(live), sum(hours for _, hours in live)


Policy = Callable[[Case, State, Service], Allocation | None]
"""Return who takes the case now, or None to wait for the next shift to start."""


def on_duty(service: Service, at: datetime) -> list[ShiftSlot]:
    """Shifts covering AT whose AMHP is approved on that day and not on leave then."""
    people = service._people
    found = []
    for slot in service.shifts:
        if not slot.covers(at):
            continue
        person = people.get(slot.amhp_id)
        if person is None or not person.approved_at(at) or person.on_leave(at):
            continue
        found.append(slot)
    return found


def rank_on_duty(case: Case, state: State, service: Service) -> list[tuple[ranking.RankedCandidate, ShiftSlot]]:
    """Rank the AMHPs on duty at ``state.now`` for CASE with ``rota.ranking``; the shift ending last counts."""
    people = service._people
    best_slot: dict[str, ShiftSlot] = {}
    for slot in on_duty(service, state.now):
        held = best_slot.get(slot.amhp_id)
        if held is None or slot.end > held.end:
            best_slot[slot.amhp_id] = slot
    candidates = []
    for amhp_id, slot in best_slot.items():
        person = people[amhp_id]
        count, hours = state.open_hours(amhp_id)
        candidates.append(
            ranking.Candidate(
                amhp_id=amhp_id,
                name=person.name,
                shift_end=slot.end,
                open_allocations=count,
                open_hours=hours,
                assessed_person_before=amhp_id in state.assessed.get(case.person_id, set()),
                locality=person.locality,
                languages=person.languages,
            )
        )
    work = ranking.Work(
        expected_hours=case.expected_hours, locality=case.locality, language=case.language, now=state.now
    )
    return [(ranked, best_slot[ranked.candidate.amhp_id]) for ranked in ranking.rank_candidates(candidates, work)]


def greedy_policy(case: Case, state: State, service: Service) -> Allocation | None:
    """Today's hub: rank the AMHPs on duty now and take the best (None if nobody is on duty)."""
    ranked = rank_on_duty(case, state, service)
    if not ranked:
        return None
    best, slot = ranked[0]
    return Allocation(amhp_id=best.candidate.amhp_id, shift=slot, reasons=best.reasons)


def _next_window_start(at: datetime, windows: Sequence[tuple[datetime, datetime]]) -> datetime:
    """The first instant at or after AT inside a doctor window; AT itself if there are no windows."""
    if not windows:
        return at
    best: datetime | None = None
    for start, end in windows:
        if start <= at < end:
            return at
        if start > at and (best is None or start < best):
            best = start
    return best or at


def _first_gap(
    booked: Sequence[tuple[datetime, datetime]],
    earliest: datetime,
    length: timedelta,
    windows: Sequence[tuple[datetime, datetime]],
) -> datetime:
    """The first start at or after EARLIEST, inside a doctor window, where LENGTH of work overlaps none of BOOKED.

    BOOKED is one AMHP's work so far as (start, end) in start order: they do one assessment at a
    time, but a gap left while they waited for another case's doctors can take other work.
    """
    start = _next_window_start(earliest, windows)
    index = max(0, bisect.bisect_right(booked, (start, start)) - 1)
    while index < len(booked):
        busy_from, busy_to = booked[index]
        if busy_to <= start:
            index += 1
            continue
        if start + length <= busy_from:
            break  # fits in the gap before this piece of work
        start = _next_window_start(max(start, busy_to), windows)
        index += 1
    return start


def _next_duty_start(service: Service, after: datetime) -> datetime | None:
    starts = [slot.start for slot in service.shifts if slot.start > after]
    return min(starts) if starts else None


def call_in(case: Case, state: State, service: Service) -> Allocation | None:
    """Someone off the rota, approved and not on leave, with the least assessment work so far."""
    people = [
        p for p in service.practitioners if p.approved_at(state.now) and not p.on_leave(state.now, state.now + HOUR)
    ]
    if not people:
        return None
    # Someone free now first (a call-in is for work that cannot wait), then the least worked so far.
    chosen = min(
        people,
        key=lambda p: (
            state.free_at.get(p.id, state.now) > state.now,
            state.planned_minutes.get(p.id, 0.0),
            state.free_at.get(p.id, state.now),
            p.id,
        ),
    )
    return Allocation(amhp_id=chosen.id, shift=None, reasons=("Called in: nobody on duty could reach it in time",))


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def simulate(
    cases: Iterable[Case],
    service: Service,
    *,
    policy: Policy = greedy_policy,
    seed: int = 0,
    duration_spread: float = 0.35,
) -> Report:
    """Replay CASES through SERVICE's rota with POLICY and report the cost.

    Cases are taken in order of when they could be allocated (then receipt, then id), so
    the result does not depend on input order. A case with no ``actual_hours`` lasts a
    seeded log-normal draw around its expected hours (``duration_spread`` is the sigma).
    """
    rng = random.Random(seed)
    ordered = sorted(cases, key=lambda c: (_utc(c.allocatable_at), _utc(c.received_at), c.id))
    people = service._people
    state = State(
        now=ordered[0].allocatable_at if ordered else datetime.now(UTC),
        free_at={},
        open_work={},
        assessed={},
        planned_minutes={},
    )
    queue: list[tuple[datetime, int, Case]] = [(_utc(c.allocatable_at), i, c) for i, c in enumerate(ordered)]
    heapq.heapify(queue)
    durations = {
        c.id: c.actual_hours
        if c.actual_hours is not None
        else c.expected_hours * math.exp(rng.gauss(-(duration_spread**2) / 2, duration_spread))
        for c in ordered
    }
    results: dict[str, CaseResult] = {}
    extra_work: dict[str, list[working_time.Interval]] = defaultdict(list)
    while queue:
        at, order, case = heapq.heappop(queue)
        state.now = at
        allocation = policy(case, state, service)
        if allocation is None:
            expires = case.expires_at
            next_start = _next_duty_start(service, at)
            can_wait = next_start is not None and (
                expires is None or next_start + timedelta(hours=case.expected_hours) <= expires
            )
            if can_wait and next_start is not None:  # can_wait already implies a next start
                heapq.heappush(queue, (next_start, order, case))
                continue
            # Only a running statutory clock brings someone in off the rota; other work stays in the queue.
            allocation = call_in(case, state, service) if expires is not None else None
        if allocation is None or allocation.amhp_id not in people:
            results[case.id] = CaseResult(
                case.id,
                None,
                None,
                None,
                None,
                None,
                None,
                0,
                0.0,
                case.expires_at is not None and case.expires_at <= at,
                False,
            )
            continue
        amhp = allocation.amhp_id
        slot = allocation.shift
        start = max(at, case.ready_at or at)
        if slot is not None and slot.start > start:
            start = slot.start  # planned into a later shift
        hours = durations[case.id]
        diary = state.booked.setdefault(amhp, [])
        start = _first_gap(diary, start, timedelta(hours=hours), service.doctor_windows)
        end = start + timedelta(hours=hours)
        bisect.insort(diary, (start, end))
        shift_end = slot.end if slot is not None else start
        past = max(0.0, (end - shift_end) / timedelta(minutes=1))
        if past > 0:
            extra_work[amhp].append(working_time.Interval(max(start, shift_end), end))
        expires = case.expires_at
        results[case.id] = CaseResult(
            case_id=case.id,
            amhp_id=amhp,
            shift_id=slot.id if slot is not None else None,
            allocated_at=at,
            started_at=start,
            ended_at=end,
            shift_end=shift_end,
            toil_minutes=0,  # booked below, once all the work is known
            minutes_past_shift_end=past,
            breached=expires is not None and clocks.is_breached(expires, end),
            called_in=slot is None,
        )
        state.free_at[amhp] = max(end, state.free_at.get(amhp, end))
        # Open until done, as allocation counts it: the expected hours count until the work ends.
        state.open_work.setdefault(amhp, []).append((end, case.expected_hours))
        state.planned_minutes[amhp] = state.planned_minutes.get(amhp, 0.0) + hours * 60
        if case.person_id:
            state.assessed.setdefault(case.person_id, set()).add(amhp)
    over_cap = _book_toil(results, service)
    report = _report([results[c.id] for c in ordered if c.id in results], ordered, service, extra_work)
    report.toil_over_cap_minutes = over_cap
    return report


def _book_toil(results: dict[str, CaseResult], service: Service) -> int:
    """Set each result's TOIL as the booking job would book it; return the minutes over the monthly cap.

    ``assessments.toil.booking_plan``: the union of one AMHP's late work after one shift end,
    in whole blocks, capped per Europe/London month, counting what ``service.toil_booked`` says was
    booked for other work in the same months.
    """
    late = [
        (r.case_id, r.amhp_id, r.shift_end, r.started_at, r.ended_at)
        for r in results.values()
        if r.amhp_id is not None and r.shift_end is not None and r.ended_at is not None and r.ended_at > r.shift_end
    ]
    plan = booking_plan(
        late,
        [],
        dict(service.toil_booked),
        block_minutes=service.toil_block_minutes,
        monthly_cap_minutes=service.toil_monthly_cap_minutes,
    )
    over = 0
    for case_id, minutes, over_cap in plan:
        results[case_id] = replace(results[case_id], toil_minutes=minutes)
        over += over_cap
    return over


def _report(
    results: list[CaseResult],
    cases: Sequence[Case],
    service: Service,
    extra_work: Mapping[str, list[working_time.Interval]],
) -> Report:
    by_id = {c.id: c for c in cases}
    rest_messages: list[str] = []
    worked: dict[str, list[working_time.Interval]] = defaultdict(list)
    people = service._people
    for slot in service.shifts:
        person = people.get(slot.amhp_id)
        if person is not None and not person.on_leave(slot.start, slot.end):
            worked[slot.amhp_id].append(working_time.Interval(slot.start, slot.end))
    for amhp, intervals in extra_work.items():
        worked[amhp].extend(intervals)
    if results:
        first = min(r.allocated_at for r in results if r.allocated_at) if any(r.allocated_at for r in results) else None
        last = max((r.ended_at for r in results if r.ended_at), default=None)
    else:
        first = last = None
    breaches = 0
    for amhp in sorted(worked):
        for breach in working_time.daily_rest_breaches(worked[amhp]):
            # Only rests broken inside the replayed period (by the rota or by late working).
            if first is not None and last is not None and first <= breach.end <= last + timedelta(hours=24):
                breaches += 1
                rest_messages.append(f"{people[amhp].name if amhp in people else amhp}: {breach.message}")
    waits: list[float] = []
    queue_waits = [(r.allocated_at - by_id[r.case_id].received_at) / HOUR for r in results if r.allocated_at]
    wait_sum = [0.0] * 24
    wait_n = [0] * 24
    busy_hours = [0.0] * 24
    days: set[date] = set()
    for result in results:
        case = by_id[result.case_id]
        if result.started_at is None or result.ended_at is None:
            continue
        wait = (result.started_at - case.received_at) / HOUR
        waits.append(wait)
        hour = case.received_at.astimezone(LONDON).hour
        wait_sum[hour] += wait
        wait_n[hour] += 1
        demand.spread_by_hour(result.started_at, result.ended_at, busy_hours)
        days.update(_local_days(result.started_at, result.ended_at))
    day_count = max(1, len(days))
    return Report(
        results=results,
        toil_minutes=sum(r.toil_minutes for r in results),
        late_finishes=sum(1 for r in results if r.minutes_past_shift_end > 0),
        hours_past_shift_end=sum(r.minutes_past_shift_end for r in results) / 60,
        rest_breaches=breaches,
        statutory_breaches=sum(1 for r in results if r.breached),
        call_ins=sum(1 for r in results if r.called_in),
        unallocated=sum(1 for r in results if r.amhp_id is None),
        waits_hours=waits,
        queue_waits_hours=queue_waits,
        wait_by_hour=[wait_sum[h] / wait_n[h] if wait_n[h] else 0.0 for h in range(24)],
        cover_needed_by_hour=[busy_hours[h] / day_count for h in range(24)],
        assessment_hours_by_hour=busy_hours,
        rest_breach_messages=rest_messages,
    )


def _local_days(start: datetime, end: datetime) -> set[date]:
    first, last = start.astimezone(LONDON).date(), end.astimezone(LONDON).date()
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def with_rota(service: Service, shifts: Iterable[ShiftSlot]) -> Service:
    """The same service with a different rota (for the rota designer)."""
    return replace(service, shifts=tuple(shifts))
