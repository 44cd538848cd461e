"""Reads that feed the planner and the simulation: the queue, the rota, the people and the service's history.

Each turns database rows into the plain data of ``planning.simulation`` in a fixed number
of queries, whatever the size of the queue or the period.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from django.conf import settings
from django.db.models import Max, Min, Sum

from assessments import toil
from assessments.models import OPEN_ASSESSMENT_STATUSES, Assessment, AssessmentStatus, ToilEntry
from assessments.selectors import language_needed
from planning import demand, solver
from planning.simulation import Case, Practitioner, ShiftSlot
from planning.simulation import Service as SimService
from referrals.constants import QUEUE_STATUSES
from referrals.models import Referral
from rota import ranking
from rota.models import Leave, Role, Service, Shift, StaffProfile
from rota.selectors import day_start

# Shifts this far beyond the plan's horizon are read too, so the 11 h rest before them is kept.
REST_LOOKAHEAD = timedelta(hours=24)


def _case_for(referral: Referral, service: Service) -> Case:
    legal = referral.legal_status or "community"
    return Case(
        id=str(referral.pk),
        reference=referral.reference,
        received_at=referral.received_at,
        legal_status=legal,
        expected_hours=ranking.expected_hours(legal),
        legal_power_started_at=referral.legal_power_started_at,
        extension_hours=referral.extension_hours,
        watched_deadline=referral.statutory_expires_at,
        due_at=referral.due_at,
        priority_rank=referral.priority_rank,
        person_id=str(referral.person_id),
        locality=service.locality_of(referral.person.postcode),
        language=language_needed(referral.person),
    )


def _slot_for(shift: Shift) -> ShiftSlot:
    return ShiftSlot(
        id=str(shift.pk),
        amhp_id=str(shift.staff_id),
        start=shift.starts_at,
        end=shift.ends_at,
        label=shift.shift_type.name,
    )


def practitioners(*, service_id: int, start: datetime, end: datetime) -> list[Practitioner]:
    """The service's AMHPs with their approval end and any leave overlapping [start, end). Two queries."""
    leave: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for staff_id, s, e in Leave.objects.filter(
        staff__service_id=service_id, cancelled_at__isnull=True, starts_at__lt=end, ends_at__gt=start
    ).values_list("staff_id", "starts_at", "ends_at"):
        leave[str(staff_id)].append((s, e))
    return [
        Practitioner(
            id=str(p.pk),
            name=p.display_name,
            approval_expires_on=p.warrant_expires_on,
            leave=tuple(sorted(leave.get(str(p.pk), []))),
            locality=p.locality or None,
            languages=frozenset(p.languages or []),
        )
        for p in StaffProfile.objects.filter(service_id=service_id, role=Role.AMHP).select_related("user")
    ]


def rota_slots(*, service_id: int, start: datetime, end: datetime) -> list[ShiftSlot]:
    """Live AMHP shifts overlapping [start, end). One query."""
    shifts = (
        Shift.objects.filter(
            service_id=service_id,
            cancelled_at__isnull=True,
            staff__role=Role.AMHP,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .select_related("shift_type")
        .order_by("starts_at", "id")
    )
    return [_slot_for(shift) for shift in shifts]


@dataclass(frozen=True)
class PlanContext:
    plan: solver.Plan
    referrals: dict[str, Referral]
    staff: dict[str, StaffProfile]
    shifts: dict[str, ShiftSlot]
    generated_at: datetime


def current_plan(*, service_id: int, now: datetime, budget: float = 0.7, limit: int | None = None) -> PlanContext:
    """Plan every referral in the service's queue over the next 24 hours (rules in ``planning.solver``).

    Seven queries whatever the queue's size: the service, the queue, the shifts, the AMHPs, their
    leave, their open work, who assessed these people before (and the proposed AMHPs' names).
    ``limit`` plans only the first referrals in queue order. ``budget`` is the seconds the whole
    call may take: the solver gets what the reads leave of it.
    """
    started = time.perf_counter()
    service = Service.objects.get(pk=service_id)
    queue = (
        Referral.objects.filter(service_id=service_id, status__in=QUEUE_STATUSES)
        .select_related("person")
        .order_by("priority_rank", "due_at", "received_at", "id")
    )
    referrals = list(queue[:limit] if limit is not None else queue)
    cases = [_case_for(r, service) for r in referrals]
    horizon_end = now + solver.HORIZON
    slots = rota_slots(service_id=service_id, start=now, end=horizon_end + REST_LOOKAHEAD)
    people = practitioners(service_id=service_id, start=now, end=horizon_end + REST_LOOKAHEAD)
    open_rows = Assessment.objects.filter(service_id=service_id, status__in=OPEN_ASSESSMENT_STATUSES).values_list(
        "amhp_id", "expected_hours", "planned_for"
    )
    counts: dict[str, int] = defaultdict(int)
    now_hours: dict[str, float] = defaultdict(float)
    planned: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for amhp_id, hours, planned_for in open_rows:
        key = str(amhp_id)
        counts[key] += 1
        if planned_for is not None and planned_for > now:
            planned[key].append((planned_for, float(hours)))
        else:
            now_hours[key] += float(hours)
    workload = {
        key: solver.Workload(
            open_allocations=counts[key],
            open_hours=now_hours[key],
            busy_until=now + timedelta(hours=now_hours[key]),
            planned=tuple(planned[key]),
        )
        for key in counts
    }
    by_person: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        by_person[case.person_id].append(case.id)
    assessed: dict[str, set[str]] = defaultdict(set)
    for person_id, amhp_id in (
        Assessment.objects.filter(referral__person_id__in=list(by_person), status=AssessmentStatus.COMPLETED)
        .values_list("referral__person_id", "amhp_id")
        .distinct()
    ):
        for case_id in by_person[str(person_id)]:
            assessed[case_id].add(str(amhp_id))
    plan = solver.plan_queue(
        cases,
        slots,
        people,
        now=now,
        workload=workload,
        assessed_before={k: frozenset(v) for k, v in assessed.items()},
        time_limit=max(0.1, budget - (time.perf_counter() - started) - 0.05),
    )
    staff = {
        str(p.pk): p
        for p in StaffProfile.objects.filter(pk__in={p.amhp_id for p in plan.proposals if p.amhp_id}).select_related(
            "user"
        )
    }
    return PlanContext(
        plan=plan,
        referrals={str(r.pk): r for r in referrals},
        staff=staff,
        shifts={s.id: s for s in slots},
        generated_at=now,
    )


# --- History, for the honest replay and the rota designer -------------------------------------


@dataclass(frozen=True)
class History:
    """A period of the service's own work: the cases, the rota and people of the time, and what was recorded."""

    cases: list[Case]
    service: SimService
    toil_booked_minutes: int
    late_finishes: int
    minutes_past_shift_end: float
    start: date
    end: date


def history(*, service_id: int, start: date, end: date) -> History:
    """The completed assessments of referrals received on local days START..END, as replayable cases.

    Each case carries what the records say happened outside the hub's control: when it was
    allocated (the consultant's triage), when work started (the doctors and the person were
    there: the doctors' availability) and the hours it actually took. Six queries.
    """
    service = Service.objects.get(pk=service_id)
    first, last = day_start(start), day_start(end + timedelta(days=1))
    rows = list(
        Assessment.objects.filter(
            service_id=service_id,
            status=AssessmentStatus.COMPLETED,
            referral__received_at__gte=first,
            referral__received_at__lt=last,
            work_started_at__isnull=False,
            work_ended_at__isnull=False,
        )
        .select_related("referral__person")
        .order_by("referral__received_at", "id")
    )
    cases: list[Case] = []
    late = 0
    past = 0.0
    for a in rows:
        referral = a.referral
        legal = referral.legal_status or "community"
        # The query keeps only assessments with both work times recorded.
        work_started_at, work_ended_at = cast(datetime, a.work_started_at), cast(datetime, a.work_ended_at)
        cases.append(
            Case(
                id=str(a.pk),
                reference=referral.reference,
                received_at=referral.received_at,
                legal_status=legal,
                expected_hours=float(a.expected_hours) or ranking.expected_hours(legal),
                actual_hours=max(0.0, (work_ended_at - work_started_at) / timedelta(hours=1)),
                legal_power_started_at=referral.legal_power_started_at,
                extension_hours=referral.extension_hours,
                watched_deadline=referral.statutory_expires_at,
                triaged_at=a.allocated_at,
                ready_at=a.work_started_at,
                due_at=referral.due_at,
                priority_rank=referral.priority_rank,
                person_id=str(referral.person_id),
                locality=service.locality_of(referral.person.postcode),
                language=language_needed(referral.person),
            )
        )
        if a.shift_ends_at is not None and work_ended_at > a.shift_ends_at:
            late += 1
            past += (work_ended_at - a.shift_ends_at) / timedelta(minutes=1)
    replayed = ToilEntry.objects.filter(
        kind=ToilEntry.Kind.ACCRUAL,
        assessment__service_id=service_id,
        assessment__status=AssessmentStatus.COMPLETED,
        assessment__referral__received_at__gte=first,
        assessment__referral__received_at__lt=last,
        assessment__work_started_at__isnull=False,
        assessment__work_ended_at__isnull=False,
    ).exclude(status=ToilEntry.Status.REJECTED)
    booked = replayed.aggregate(total=Sum("minutes"))["total"] or 0
    window_end = last + timedelta(days=3)
    # What the ledger holds for other work in the months the replay's shift ends fall in: it used up part
    # of each AMHP's monthly cap before (or beside) the replayed work, for the booking job as for the replay.
    others: dict[tuple[str, datetime], int] = defaultdict(int)
    for staff_id, worked_from, minutes in (
        ToilEntry.objects.filter(
            service_id=service_id,
            kind=ToilEntry.Kind.ACCRUAL,
            worked_from__gte=toil.month_start(first - timedelta(days=1)),
            worked_from__lt=toil.next_month_start(window_end),
        )
        .exclude(status=ToilEntry.Status.REJECTED)
        .exclude(pk__in=replayed.values("pk"))
        .values_list("staff_id", "worked_from", "minutes")
    ):
        others[(str(staff_id), toil.month_start(cast(datetime, worked_from)))] += minutes  # filtered: not null
    sim_service = SimService(
        shifts=tuple(rota_slots(service_id=service_id, start=first - timedelta(days=1), end=window_end)),
        practitioners=tuple(practitioners(service_id=service_id, start=first - timedelta(days=1), end=window_end)),
        toil_block_minutes=settings.TOIL_BLOCK_MINUTES,
        toil_monthly_cap_minutes=settings.TOIL_MONTHLY_CAP_HOURS * 60,
        toil_booked=dict(others),
    )
    return History(
        cases=cases,
        service=sim_service,
        toil_booked_minutes=int(booked),
        late_finishes=late,
        minutes_past_shift_end=past,
        start=start,
        end=end,
    )


def rota_period(*, service_id: int) -> tuple[date, date] | None:
    """The first and last local day the service has live shifts on, or None."""
    found = Shift.objects.filter(service_id=service_id, cancelled_at__isnull=True).aggregate(
        first=Min("day"), last=Max("day")
    )
    if found["first"] is None:
        return None
    return found["first"], found["last"]


@dataclass(frozen=True)
class AssessmentDemand:
    by_hour: list[float]  # assessment hours worked in each Europe/London hour of day
    total_hours: float
    after_5pm_share: float | None


def assessment_demand(*, service_id: int, start: date, end: date) -> AssessmentDemand:
    """When the work of assessments of referrals received on local days START..END happened. One query."""
    first, last = day_start(start), day_start(end + timedelta(days=1))
    intervals = Assessment.objects.filter(
        service_id=service_id,
        referral__received_at__gte=first,
        referral__received_at__lt=last,
        work_started_at__isnull=False,
        work_ended_at__isnull=False,
    ).values_list("work_started_at", "work_ended_at")
    # Both times are filtered to be set, so every row is a (start, end) pair of datetimes.
    by_hour = demand.hours_by_hour(cast("Iterator[tuple[datetime, datetime]]", intervals.iterator(chunk_size=5000)))
    return AssessmentDemand(by_hour=by_hour, total_hours=sum(by_hour), after_5pm_share=demand.after_5pm_share(by_hour))
