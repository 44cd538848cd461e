"""Plan the whole queue: give every open referral to an AMHP's current or later shift over the next 24 hours.

Pure module: no database. The model is solved with OR-Tools CP-SAT (see README,
"Libraries", for why CP-SAT rather than an assignment solver).

Hard rules (a proposal never breaks them):

* nobody whose AMHP approval has ended by the end of the shift (approval runs to the end
  of its expiry date);
* nobody on leave during the shift;
* no double-booking: an AMHP does one assessment at a time, so the work planned into a
  shift is done one piece after another from when they are free;
* the 11 h daily rest (Working Time Regulations 1998, reg. 10): work planned into a
  shift must end at least 11 hours before the same AMHP's next shift starts.

Objectives, in strict order (each solved to its best before the next is considered):

1. no statutory deadline missed where any plan avoids it (a deadline is met when the
   expected end of the work is before the legal power ends, ``referrals.clocks``), and
   then as few referrals left without an AMHP as possible;
2. the least work past shift end (minutes of expected work after each shift's end);
3. fair duty: the least planned workload (open work plus this plan) of the busiest AMHP;
   then, as a tie-break, the ``rota.ranking`` score (continuity, locality, language).

Within a shift, work is done in order of statutory expiry, then due time, then band and
arrival ("earliest deadline first"), which is the order that meets the most deadlines on
one person's time; the deadline constraints are written for that order.
"""

from __future__ import annotations

import dataclasses
import os
import time as _time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from ortools.sat.python import cp_model

from planning.simulation import Case, Policy, Practitioner, ShiftSlot
from referrals import clocks
from rota import ranking
from rota.timefmt import LONDON, format_hours, format_local, format_local_time, require_aware

REST = timedelta(hours=11)
"""WTR reg. 10: 11 consecutive hours' rest in each 24 hours."""

MAX_OVERRUN = timedelta(hours=6)
"""No plan runs a shift more than this past its end, even with no later shift to protect."""

HORIZON = timedelta(hours=24)

DEADLINE_BUFFER = 0.75
"""A statutory deadline counts as kept only if the work is expected to end this share of its expected
length before it: assessments overrun (beds, doctors, conveyance), and the records show work taking up
to about 1.7 times its expected hours."""

# The provision that sets each clock, for the reasons shown to the consultant.
CLOCK_PROVISION = {
    "s136": "s136(2A)",
    "s135_1": "s135(3ZA)",
    "s135_2": "s135(3ZA)",
    "s5_2": "s5(2)",
    "s5_4": "s5(4)",
    "s4": "s4(4)",
    "s2": "s2(4)",
    "s3": "s20(1)",
}
CLOCK_NAME = {
    "s136": "section 136 detention",
    "s135_1": "section 135 detention",
    "s135_2": "section 135 detention",
    "s5_2": "section 5(2) holding power",
    "s5_4": "section 5(4) holding power",
    "s4": "section 4 detention",
    "s2": "section 2 detention",
    "s3": "section 3 detention",
}


@dataclass(frozen=True)
class Proposal:
    """One referral's proposed AMHP and shift (both None when nothing fits), with reasons in plain English."""

    case_id: str
    amhp_id: str | None
    shift_id: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    minutes_past_shift_end: int
    meets_deadline: bool | None  # None: no statutory clock
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    proposals: tuple[Proposal, ...]
    missed_deadlines: int
    unassigned: int
    minutes_past_shift_end: int
    busiest_load_minutes: int
    optimal: bool
    seconds: float
    stages: tuple[str, ...] = field(default_factory=tuple)

    def for_case(self, case_id: str) -> Proposal | None:
        return next((p for p in self.proposals if p.case_id == case_id), None)


@dataclass(frozen=True)
class Workload:
    """What an AMHP already has: open allocations, their expected hours, and when that work should end."""

    open_allocations: int = 0
    open_hours: float = 0.0
    busy_until: datetime | None = None
    planned: tuple[tuple[datetime, float], ...] = ()  # work already planned into later shifts: (start, hours)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


_FAR = datetime.max.replace(tzinfo=LONDON)


def _edf_key(case: Case) -> tuple:
    """Order of work inside a shift: due time (which is before any statutory expiry), expiry, band, arrival."""
    expires = case.expires_at
    return (case.due_at or expires or _FAR, expires or _FAR, case.priority_rank, case.received_at, case.id)


@dataclass
class _Slot:
    slot: ShiftSlot
    person: Practitioner
    free_from: datetime
    rest_limit: datetime
    next_shift: ShiftSlot | None


def urgent_now(case: Case, now: datetime) -> bool:
    """Emergency-band work, and work already past its due time, goes to someone on duty now if anyone can take it."""
    return case.priority_rank == 1 or (case.due_at is not None and case.due_at <= now)


def _merge_overlapping(shifts: list[ShiftSlot]) -> list[ShiftSlot]:
    """One AMHP's shifts with overlapping ones joined (they cannot work both at once).

    A joined shift keeps the id and name of the one ending last, as allocation counts that one's end.
    """
    merged: list[ShiftSlot] = []
    for slot in sorted(shifts, key=lambda s: (s.start, s.end, s.id)):
        if merged and slot.start < merged[-1].end:
            last = merged[-1]
            keep = slot if slot.end > last.end else last
            merged[-1] = dataclasses.replace(keep, start=last.start, end=max(last.end, slot.end))
        else:
            merged.append(slot)
    return merged


def _slots(
    shifts: Sequence[ShiftSlot],
    people: Mapping[str, Practitioner],
    workload: Mapping[str, Workload],
    now: datetime,
    horizon_end: datetime,
) -> tuple[list[_Slot], dict[str, list[str]]]:
    """Usable shifts in the horizon and, per AMHP, why any of theirs were left out."""
    by_amhp: dict[str, list[ShiftSlot]] = defaultdict(list)
    for slot in shifts:
        by_amhp[slot.amhp_id].append(slot)
    usable: list[_Slot] = []
    excluded: dict[str, list[str]] = defaultdict(list)
    for amhp_id, listed in by_amhp.items():
        own = _merge_overlapping(listed)
        person = people.get(amhp_id)
        for index, slot in enumerate(own):
            if slot.end <= now or slot.start >= horizon_end:
                continue
            if person is None:
                continue
            if not person.approved_at(slot.end):
                excluded[amhp_id].append(
                    f"{person.name}: AMHP approval "
                    + (
                        "not recorded"
                        if person.approval_expires_on is None
                        else f"ends {person.approval_expires_on:%d/%m/%Y}"
                    )
                )
                continue
            load = workload.get(amhp_id, Workload())
            free_from = max(now, slot.start, load.busy_until or now)
            # Work already planned into this shift comes first in it.
            free_from += sum(
                (timedelta(hours=h) for at, h in load.planned if slot.start <= at < slot.end), timedelta(0)
            )
            if person.on_leave(free_from if free_from < slot.end else slot.start, slot.end):
                excluded[amhp_id].append(f"{person.name}: on leave")
                continue
            if free_from >= slot.end:
                excluded[amhp_id].append(f"{person.name}: already busy to the end of the shift")
                continue
            following = next((s for s in own[index + 1 :] if s.start >= slot.end), None)
            limit = slot.end + MAX_OVERRUN
            if following is not None:
                limit = min(limit, following.start - REST)
            if limit < slot.end:
                limit = slot.end  # a rota that already breaks the rest: plan inside the shift only
            usable.append(_Slot(slot=slot, person=person, free_from=free_from, rest_limit=limit, next_shift=following))
    usable.sort(key=lambda u: (u.slot.start, u.person.name, u.slot.id))
    return usable, excluded


def _ranking_scores(
    cases: Sequence[Case],
    slots: Sequence[_Slot],
    eligible: Mapping[int, list[int]],
    workload: Mapping[str, Workload],
    assessed_before: Mapping[str, frozenset[str]],
) -> dict[tuple[int, int], ranking.RankedCandidate]:
    """``rota.ranking``'s view of each eligible (case, shift), seen from when that shift is free.

    Cases alike in what the ranking reads (hours, locality, language, continuity) share one call.
    """
    scores: dict[tuple[int, int], ranking.RankedCandidate] = {}
    memo: dict[tuple, ranking.RankedCandidate] = {}
    for r, case in enumerate(cases):
        before = assessed_before.get(case.id, frozenset())
        for s in eligible[r]:
            u = slots[s]
            known = u.person.id in before
            key = (s, case.expected_hours, case.locality, case.language, known)
            found = memo.get(key)
            if found is None:
                load = workload.get(u.person.id, Workload())
                candidate = ranking.Candidate(
                    amhp_id=u.person.id,
                    name=u.person.name,
                    shift_end=u.slot.end,
                    open_allocations=load.open_allocations,
                    open_hours=0.0,
                    assessed_person_before=known,
                    locality=u.person.locality,
                    languages=u.person.languages,
                )
                work = ranking.Work(
                    expected_hours=case.expected_hours, locality=case.locality, language=case.language, now=u.free_from
                )
                found = memo[key] = ranking.rank_candidates([candidate], work)[0]
            scores[(r, s)] = found
    return scores


def _greedy_hint(
    cases: Sequence[Case],
    slots: Sequence[_Slot],
    eligible: Mapping[int, list[int]],
    minutes: Sequence[int],
    now: datetime,
) -> dict[int, int | None]:
    """Earliest deadline first, each to the shift that meets it with the least overrun and then the least load."""
    used = [0] * len(slots)
    hint: dict[int, int | None] = {}
    for r in sorted(range(len(cases)), key=lambda i: _edf_key(cases[i])):
        best: tuple | None = None
        expires = cases[r].expires_at
        urgent = urgent_now(cases[r], now)
        for s in eligible[r]:
            u = slots[s]
            finish = u.free_from + timedelta(minutes=used[s] + minutes[r])
            if finish > u.rest_limit:
                continue
            miss = expires is not None and finish > expires
            tight = expires is not None and finish + timedelta(minutes=minutes[r] * DEADLINE_BUFFER) > expires
            deferred = urgent and u.slot.start > now
            over = max(0, _minutes(finish - u.slot.end))
            key = (miss, tight or deferred, over, used[s], u.slot.start, s)
            if best is None or key < best:
                best = key
        if best is None:
            hint[r] = None
        else:
            hint[r] = best[-1]
            used[best[-1]] += minutes[r]
    return hint


def plan_queue(
    cases: Iterable[Case],
    shifts: Iterable[ShiftSlot],
    practitioners: Iterable[Practitioner],
    *,
    now: datetime,
    workload: Mapping[str, Workload] | None = None,
    assessed_before: Mapping[str, frozenset[str]] | None = None,
    horizon: timedelta = HORIZON,
    time_limit: float = 0.8,
    now_only: Callable[[Case, datetime], bool] | None = None,
) -> Plan:
    """Propose an AMHP and shift for every case over ``now`` to ``now + horizon``.

    ``workload`` is each AMHP's open work; ``assessed_before`` maps a case id to the AMHPs
    who assessed that person before. ``time_limit`` caps the solver's wall time in
    seconds; if a stage is cut short the best plan found so far is kept and ``optimal``
    is False. The result never breaks a hard rule.
    """
    require_aware(now, "now")
    started = _time.perf_counter()
    cases = sorted(cases, key=_edf_key)
    people = {p.id: p for p in practitioners}
    workload = workload or {}
    assessed_before = assessed_before or {}
    horizon_end = now + horizon
    slots, excluded = _slots(list(shifts), people, workload, now, horizon_end)
    minutes = [max(1, round(case.expected_hours * 60)) for case in cases]
    eligible: dict[int, list[int]] = {}
    for r, case in enumerate(cases):
        ready = case.ready_at or now
        alone = timedelta(minutes=minutes[r])
        eligible[r] = [s for s, u in enumerate(slots) if ready < u.slot.end and u.free_from + alone <= u.rest_limit]
        if now_only is not None and now_only(case, now):
            current = [s for s in eligible[r] if slots[s].slot.start <= now]
            eligible[r] = current or eligible[r]
    hint = _greedy_hint(cases, slots, eligible, minutes, now)
    scores = _ranking_scores(cases, slots, eligible, workload, assessed_before)

    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    s: int | None  # a slot index; the greedy hint uses None for "no slot"
    for r in range(len(cases)):
        for s in eligible[r]:
            x[(r, s)] = model.NewBoolVar(f"x{r}_{s}")
    unassigned = [model.NewBoolVar(f"u{r}") for r in range(len(cases))]
    for r in range(len(cases)):
        model.AddExactlyOne([*(x[(r, s)] for s in eligible[r]), unassigned[r]])

    by_slot: dict[int, list[int]] = defaultdict(list)
    for r, s in x:
        by_slot[s].append(r)
    overrun_terms = []
    over_of: dict[int, cp_model.IntVar] = {}
    loads: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for s, rs in by_slot.items():
        u = slots[s]
        base = _minutes(u.free_from - now)
        capacity = _minutes(u.rest_limit - now) - base
        load = sum(minutes[r] * x[(r, s)] for r in rs)
        model.Add(load <= capacity)
        spare = _minutes(u.slot.end - u.free_from)
        over = model.NewIntVar(0, max(0, capacity - spare), f"over{s}")
        model.Add(over >= load - spare)
        overrun_terms.append(over)
        over_of[s] = over
        for r in rs:
            loads[u.person.id].append((minutes[r], r, s))

    # Deadlines, written for earliest-deadline-first order inside each shift: the running total of
    # work ahead of a case in its shift (prefix sums) must end before its statutory expiry, and
    # (less important) before its due time, unless that case is counted as missed.
    missed: list[cp_model.IntVar] = []
    late: list[cp_model.IntVar] = []
    big = _minutes(horizon) * 4 + sum(minutes)
    miss_of: dict[int, cp_model.IntVar] = {}
    late_of: dict[int, cp_model.IntVar] = {}
    tight_of: dict[int, cp_model.IntVar] = {}  # deadline kept, but without room for the work to overrun
    for r, case in enumerate(cases):
        expires = case.expires_at
        if expires is not None and expires > now:
            miss_of[r] = model.NewBoolVar(f"miss{r}")
            missed.append(miss_of[r])
            tight_of[r] = model.NewBoolVar(f"tight{r}")
            late.append(tight_of[r])
            model.AddImplication(miss_of[r], tight_of[r])
            if expires <= horizon_end:
                model.AddImplication(unassigned[r], miss_of[r])
        if case.due_at is not None and case.due_at > now:
            late_of[r] = model.NewBoolVar(f"late{r}")
            late.append(late_of[r])
            if case.due_at <= horizon_end:
                model.AddImplication(unassigned[r], late_of[r])
        if urgent_now(case, now):
            # Emergency-band or overdue: counted late unless someone on duty now takes it, so the shifts
            # on now fill with the most urgent work first and the rest goes to the next shifts.
            flag = late_of.get(r)
            if flag is None:
                flag = late_of[r] = model.NewBoolVar(f"late{r}")
                late.append(flag)
                model.AddImplication(unassigned[r], flag)
            for s in eligible[r]:
                if slots[s].slot.start > now:
                    model.AddImplication(x[(r, s)], flag)
    for s, rs in by_slot.items():
        u = slots[s]
        start = _minutes(u.free_from - now)
        limit = _minutes(u.rest_limit - now)
        ahead: cp_model.IntVar | int = 0  # work ahead in this shift so far, as a running-total variable
        pending: list[tuple[int, int]] = []  # (minutes, case) not yet folded into the running total
        for r in sorted(rs, key=lambda i: _edf_key(cases[i])):
            pending.append((minutes[r], r))
            checks = [
                (deadline, flag)
                for deadline, flag in ((cases[r].expires_at, miss_of.get(r)), (cases[r].due_at, late_of.get(r)))
                if flag is not None and deadline is not None and now < deadline < u.rest_limit
            ]
            if not checks:
                continue  # the shift's capacity already keeps this case's deadlines
            running = model.NewIntVar(0, max(0, limit - start), f"ahead{s}_{r}")
            model.Add(running == ahead + sum(m * x[(q, s)] for m, q in pending))
            ahead, pending = running, []
            for deadline, flag in checks:
                model.Add(start + running <= _minutes(deadline - now) + big * (1 - x[(r, s)]) + big * flag)
                if flag is miss_of.get(r):
                    # Less important than keeping the deadline itself: room for the work to overrun.
                    allowed = _minutes(deadline - now) - round(minutes[r] * DEADLINE_BUFFER)
                    model.Add(start + running <= allowed + big * (1 - x[(r, s)]) + big * tight_of[r])

    bases = {a: round(w.open_hours * 60) for a, w in workload.items()}
    busiest = model.NewIntVar(0, sum(minutes) + max(bases.values(), default=0) + 1, "busiest")
    for amhp_id, items in loads.items():
        model.Add(busiest >= bases.get(amhp_id, 0) + sum(m * x[(r, s)] for m, r, s in items))

    # A complete first solution (the greedy one) for the solver to start from.
    finish_at = _sequence(cases, slots, hint, minutes, use_ready=False)
    for (r, s), var in x.items():
        model.AddHint(var, 1 if hint.get(r) == s else 0)
    for r, var in enumerate(unassigned):
        model.AddHint(var, 1 if hint.get(r) is None else 0)
    used: dict[int, int] = defaultdict(int)
    per_amhp: dict[str, int] = defaultdict(int)
    for r, s in hint.items():
        if s is not None:
            used[s] += minutes[r]
            per_amhp[slots[s].person.id] += minutes[r]
    for s, var in over_of.items():
        model.AddHint(var, max(0, used[s] - _minutes(slots[s].slot.end - slots[s].free_from)))
    for r, var in miss_of.items():
        end = finish_at.get(r)
        buffer = timedelta(minutes=round(minutes[r] * DEADLINE_BUFFER))
        # miss_of only holds cases whose legal clock is running, so expires_at is set.
        expires_at = cast(datetime, cases[r].expires_at)
        model.AddHint(var, 1 if end is None or end > expires_at else 0)
        model.AddHint(tight_of[r], 1 if end is None or end + buffer > expires_at else 0)
    for r, var in late_of.items():
        end, chosen = finish_at.get(r), hint.get(r)
        deferred = chosen is not None and slots[chosen].slot.start > now and urgent_now(cases[r], now)
        due = cases[r].due_at
        model.AddHint(var, 1 if end is None or deferred or (due is not None and due > now and end > due) else 0)
    model.AddHint(busiest, max((bases.get(a, 0) + m for a, m in per_amhp.items()), default=0))

    # The objectives in strict order as one weighted sum: each weight is larger than the most the
    # levels below it can ever add up to, so no amount of a lower objective buys a higher one.
    worst = max((score.score for score in scores.values()), default=0.0)
    tie_cost = {key: round((worst - score.score) / 10) for key, score in scores.items()}
    tie = sum(tie_cost[key] * var for key, var in x.items())
    fair_weight = sum(tie_cost.values()) + 1
    busiest_bound = sum(minutes) + max(bases.values(), default=0) + 1
    over_weight = fair_weight * (busiest_bound + 1)
    over_bound = sum(max(0, _minutes(u.rest_limit - u.slot.end)) for u in slots) + 1
    cover_weight = over_weight * (over_bound + 1)
    n = len(cases)
    cover = sum(missed) * (2 * n + 1) + sum(late) + sum(unassigned)
    model.Minimize(cover * cover_weight + sum(overrun_terms) * over_weight + busiest * fair_weight + tie)

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 1
    # Symmetry detection and repeated presolve cost more than they save on a model this size.
    solver.parameters.symmetry_level = 0
    solver.parameters.max_presolve_iterations = 1
    solver.parameters.log_search_progress = bool(os.environ.get("PLANNING_SOLVER_LOG"))
    solver.parameters.max_time_in_seconds = max(0.05, time_limit - (_time.perf_counter() - started))
    status = solver.Solve(model)
    optimal = status == cp_model.OPTIMAL
    solution: dict[int, int | None] | None = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solution = {}
        for r in range(n):
            picked = [s for s in eligible[r] if solver.Value(x[(r, s)])]
            solution[r] = picked[0] if picked else None
        stages: tuple[str, ...] = ("optimal" if optimal else "best found in the time allowed",)
    else:
        stages = ("no better plan found in the time allowed: earliest deadline first",)
    if solution is None:
        solution = hint
    return _build_plan(cases, slots, solution, minutes, scores, excluded, workload, now, optimal, started, stages)


def _sequence(
    cases: Sequence[Case],
    slots: Sequence[_Slot],
    solution: Mapping[int, int | None],
    minutes: Sequence[int],
    *,
    use_ready: bool,
) -> dict[int, datetime]:
    """Expected finish of each planned case: each shift's work one after another, earliest deadline first."""
    per_slot: dict[int, list[int]] = defaultdict(list)
    for r, s in solution.items():
        if s is not None:
            per_slot[s].append(r)
    finish_at: dict[int, datetime] = {}
    for s, rs in per_slot.items():
        cursor = slots[s].free_from
        for r in sorted(rs, key=lambda i: _edf_key(cases[i])):
            begin = max(cursor, cases[r].ready_at or cursor) if use_ready else cursor
            cursor = finish_at[r] = begin + timedelta(minutes=minutes[r])
    return finish_at


def _build_plan(
    cases: Sequence[Case],
    slots: Sequence[_Slot],
    solution: Mapping[int, int | None],
    minutes: Sequence[int],
    scores: Mapping[tuple[int, int], ranking.RankedCandidate],
    excluded: Mapping[str, list[str]],
    workload: Mapping[str, Workload],
    now: datetime,
    optimal: bool,
    started: float,
    stages: tuple[str, ...],
) -> Plan:
    finishes = _sequence(cases, slots, solution, minutes, use_ready=True)
    timing = {r: (end - timedelta(minutes=minutes[r]), end) for r, end in finishes.items()}
    planned: dict[str, int] = defaultdict(int)
    for r, s in solution.items():
        if s is not None:
            planned[slots[s].person.id] += minutes[r]
    proposals: list[Proposal] = []
    missed = 0
    over_total = 0
    for r, case in enumerate(cases):
        s = solution.get(r)
        expires = case.expires_at
        if s is None:
            why_none = _why_none(case, slots, excluded, now)
            meets = None if expires is None else False
            if expires is not None and expires > now and expires <= now + HORIZON:
                missed += 1
            proposals.append(Proposal(case.id, None, None, None, None, 0, meets, why_none))
            continue
        u = slots[s]
        begin, finish = timing[r]
        over = max(0, _minutes(finish - u.slot.end))
        over_total += over
        meets = None if expires is None else finish <= expires
        if meets is False and expires is not None and expires > now:
            missed += 1
        reasons: list[str] = []
        if u.slot.covers(now):
            reasons.append(f"On duty now until {format_local_time(u.slot.end)}")
        else:
            label = f"{u.slot.label} shift" if u.slot.label else "Shift"
            reasons.append(f"{label} {format_local(u.slot.start)} to {format_local_time(u.slot.end)}")
        if over:
            reasons.append(
                f"Expected to run {format_hours(over / 60)} past the end of shift: "
                "the least any plan allows with this queue"
            )
        else:
            spare = (u.slot.end - finish) / timedelta(hours=1)
            reasons.append(
                f"Fits: about {format_local_time(begin)} to {format_local_time(finish)}, "
                f"{format_hours(spare)} before the shift ends"
            )
        if expires is not None:
            provision = CLOCK_PROVISION.get(case.legal_status, case.legal_status)
            name = CLOCK_NAME.get(case.legal_status, "legal power")
            if meets:
                reasons.append(
                    f"Finishes {format_hours((expires - finish) / timedelta(hours=1))} before the {name} "
                    f"ends at {format_local(expires)} ({provision})"
                )
            else:
                reasons.append(
                    f"No plan finishes before the {name} ends at {format_local(expires)} ({provision}): "
                    "this is the earliest it can be done"
                )
        if u.next_shift is not None:
            reasons.append(f"Leaves 11 h rest before their next shift at {format_local(u.next_shift.start)}")
        base = round(workload.get(u.person.id, Workload()).open_hours * 60)
        reasons.append(f"Planned workload {format_hours((base + planned[u.person.id]) / 60)} including this")
        ranked = scores.get((r, s))
        if ranked is not None:
            reasons.extend(reason for reason in ranked.reasons[2:])
        proposals.append(Proposal(case.id, u.person.id, u.slot.id, begin, finish, over, meets, tuple(reasons)))
    busiest = 0
    for amhp_id, m in planned.items():
        busiest = max(busiest, m + round(workload.get(amhp_id, Workload()).open_hours * 60))
    return Plan(
        proposals=tuple(proposals),
        missed_deadlines=missed,
        unassigned=sum(1 for p in proposals if p.amhp_id is None),
        minutes_past_shift_end=over_total,
        busiest_load_minutes=busiest,
        optimal=optimal,
        seconds=_time.perf_counter() - started,
        stages=stages,
    )


def _why_none(case: Case, slots: Sequence[_Slot], excluded: Mapping[str, list[str]], now: datetime) -> tuple[str, ...]:
    reasons: list[str] = []
    if not slots:
        reasons.append("No AMHP who may take work is on the rota in the next 24 hours")
    else:
        ready = case.ready_at or now
        if all(ready >= u.slot.end for u in slots):
            reasons.append(f"Not ready until {format_local(ready)}, after every shift in the next 24 hours")
        else:
            reasons.append(
                "Every AMHP on the rota in the next 24 hours is fully planned, "
                "up to the 11 h rest before their next shift"
            )
    for items in excluded.values():
        reasons.extend(dict.fromkeys(items))
    if case.expires_at is not None and case.expires_at > now:
        provision = CLOCK_PROVISION.get(case.legal_status, case.legal_status)
        reasons.append(
            f"Its legal power ends at {format_local(case.expires_at)} ({provision}): call someone in or extend cover"
        )
    return tuple(reasons[:6])


CALL_IN_AFTER = timedelta(hours=1)
"""In the replay, a case with a running clock that nobody on duty can start within this is a call-in."""


def _clock_running(case: Case, now: datetime) -> bool:
    """In the replay a detention's clock is never spent waiting for a later shift."""
    return case.expires_at is not None or urgent_now(case, now)


def planner_policy_factory(horizon: timedelta = HORIZON, time_limit: float = 0.3) -> Policy:
    """A simulation policy: each new case is planned with the solver across current and later shifts."""
    from planning import simulation

    def policy(case: Case, state: simulation.State, service: simulation.Service) -> simulation.Allocation | None:
        now = state.now
        nearby = [s for s in service.shifts if s.end > now and s.start < now + horizon + REST + MAX_OVERRUN]
        workload = {}
        for amhp_id in state.free_at:
            count, hours = state.open_hours(amhp_id)
            # Busy until the first gap in their diary that holds this case's expected hours: work
            # booked for later (waiting for its doctors) does not stop them taking this now.
            busy = state.free_for(amhp_id, now, case.expected_hours)
            workload[amhp_id] = Workload(open_allocations=count, open_hours=hours, busy_until=busy)
        assessed = {case.id: frozenset(state.assessed.get(case.person_id, set()))} if case.person_id else {}
        # Without the ready time: the policy sees the doctors' time only once work starts.
        plain = dataclasses.replace(case, ready_at=None)
        result = plan_queue(
            [plain],
            nearby,
            service.practitioners,
            now=now,
            workload=workload,
            assessed_before=assessed,
            horizon=horizon,
            time_limit=time_limit,
            now_only=_clock_running,
        )
        proposal = result.proposals[0]
        planned = None
        if proposal.amhp_id is not None:
            slot = next(s for s in nearby if s.id == proposal.shift_id)
            planned = simulation.Allocation(amhp_id=proposal.amhp_id, shift=slot, reasons=proposal.reasons)
        expires = case.expires_at
        if expires is None:
            return planned  # no clock: the plan's choice, or wait in the queue for the next shift
        starts_soon = proposal.starts_at is not None and proposal.starts_at <= now + CALL_IN_AFTER
        if planned is not None and proposal.meets_deadline and starts_soon:
            return planned
        # A running clock the plan cannot meet soon: call someone in, as the hub would; but if the person
        # called in cannot finish before the power ends either, take the ranking's best on duty now if they
        # can, else whichever of the three finishes first, and of those finishing together the one with the
        # least work past shift end (someone on duty with time left before a call-in, whose whole time is).
        called = simulation.call_in(case, state, service)
        ranked = simulation.greedy_policy(case, state, service)
        options = [option for option in (called, ranked, planned) if option is not None]
        if not options:
            return None

        def finish(option: simulation.Allocation) -> datetime:
            earliest = now if option.shift is None else max(now, option.shift.start)
            return state.free_for(option.amhp_id, earliest, case.expected_hours) + timedelta(hours=case.expected_hours)

        def past_shift_end(option: simulation.Allocation) -> timedelta:
            if option.shift is None:
                return timedelta(hours=case.expected_hours)
            return max(timedelta(0), finish(option) - option.shift.end)

        meeting = [option for option in options[:2] if not clocks.is_breached(expires, finish(option))]
        return meeting[0] if meeting else min(options, key=lambda option: (finish(option), past_shift_end(option)))

    return policy
