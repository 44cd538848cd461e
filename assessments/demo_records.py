"""Demo assessments for the demo referrals: allocations, outcomes, delays, work times and a few timeline events.

Set-based: referrals are read in chunks, assessments and events written with bulk_create in
batches, and the referrals' closing times aligned in one UPDATE, so a million referrals take
minutes and no query runs per row.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from django.db import connection
from django.db.models import Value
from django.db.models.functions import Coalesce, Least

from amhp_hub.common.zone import LONDON
from assessments.models import (
    OPEN_ASSESSMENT_STATUSES,
    Assessment,
    AssessmentStatus,
    DelayReason,
    Doctor,
    NearestRelativeAction,
    Outcome,
    TimelineEvent,
)
from assessments.selectors import language_needed
from referrals.constants import ETHNIC_GROUP, Status
from referrals.models import Person, Referral
from referrals.transitions import referrals_move_bulk
from rota import ranking
from rota import services as rota_services
from rota.models import Leave, Role, Service, Shift, StaffProfile, WorkedPeriod
from rota.selectors import shifts_on_days

BATCH = 5000
# Chance that an assessment ends in detention, by broad ethnic group. The gap mirrors the
# national over-representation of Black people among those detained (DOMAIN.md section 5).
DETENTION_RATE = {"White": 0.40, "Mixed": 0.50, "Asian": 0.45, "Black": 0.62, "Other": 0.45}
DEFAULT_DETENTION_RATE = 0.40
DETENTIONS = {Outcome.DETAINED_S2: 60, Outcome.DETAINED_S3: 28, Outcome.DETAINED_S4: 12}
OTHER_OUTCOMES = {
    Outcome.INFORMAL_ADMISSION: 15,
    Outcome.CRISIS_HOME_TREATMENT: 25,
    Outcome.COMMUNITY_SUPPORT: 22,
    Outcome.NO_FURTHER_ACTION: 20,
    Outcome.NOT_COMPLETED_NO_ACCESS: 5,
    Outcome.NOT_COMPLETED_ABSENT: 4,
    Outcome.APPLICATION_AWAITING_BED: 3,
    Outcome.CTO_REVOCATION_AGREED: 1,
    Outcome.CTO_REVOCATION_NOT_AGREED: 1,
    Outcome.GUARDIANSHIP: 1,
    Outcome.MEDICAL_RECOMMENDATIONS_EXPIRED: 1,
}
DELAYS = {
    DelayReason.NO_BED: 40,
    DelayReason.NO_S12_DOCTOR: 25,
    DelayReason.POLICE: 10,
    DelayReason.AMBULANCE: 12,
    DelayReason.WARRANT: 4,
    DelayReason.INTERPRETER: 4,
    DelayReason.OTHER: 5,
}
DOCTOR_NAMES = ["Dr Okafor", "Dr Green", "Dr Iqbal", "Dr Murphy", "Dr Kowalski", "Dr Mensah", "Dr Evans", "Dr Xu"]
# Assessments this recent also get their timeline events and doctors (older ones keep only the record).
DETAIL_DAYS = 30


def _weighted(rng: random.Random, weights: dict) -> str:
    keys = list(weights)
    return str(rng.choices(keys, weights=[weights[k] for k in keys])[0])


@dataclass(frozen=True)
class _Slot:
    amhp_id: Any
    allocated_at: datetime
    shift_ends_at: datetime


# The most open allocations one demo AMHP holds: a real caseload, whatever the size of the queue.
OPEN_CASELOAD = 4


def _allocation_slots(
    *, service: Service, amhps: list[Any], open_rows: list[tuple[Any, datetime]], rng: random.Random, now: datetime
) -> dict[Any, _Slot]:
    """Choose which open referrals are allocated, to whom and when: always inside a live shift of that AMHP.

    Each of the first three demo AMHPs gets the earliest referral they can take (so their My
    allocations page has work); about a third of the rest go to any AMHP with room, none holding more
    than OPEN_CASELOAD (so at a large scale most of the queue waits unallocated). An allocation happens
    between the referral's arrival (plus ten minutes) and five minutes ago, during one of the AMHP's
    shifts that leave does not overlap; a referral no AMHP's shift can take stays unallocated. One
    query for the shifts.
    """
    if not open_rows:
        return {}
    latest = now - timedelta(minutes=5)
    first_day = min(received for _, received in open_rows).astimezone(LONDON).date() - timedelta(days=1)
    shifts: dict[Any, list[tuple[datetime, datetime]]] = {pk: [] for pk in amhps}
    for row in (
        shifts_on_days(service_id=service.pk, first=first_day, last=now.astimezone(LONDON).date())  # type: ignore[misc]
        .filter(staff_id__in=amhps, starts_at__lt=latest)
        .values("staff_id", "starts_at", "ends_at", "on_leave")
    ):
        if not row["on_leave"]:
            shifts[row["staff_id"]].append((row["starts_at"], row["ends_at"]))

    def slot(amhp: Any, received: datetime) -> _Slot | None:
        wanted = received + timedelta(minutes=rng.randint(10, 180))
        best: _Slot | None = None
        for starts, ends in sorted(shifts[amhp]):
            lo, hi = max(starts, received + timedelta(minutes=10)), min(ends, latest)
            if lo >= hi:
                continue
            at = wanted if lo <= wanted < hi else lo + (hi - lo) * rng.random()
            best = _Slot(amhp, at, ends)
            if lo <= wanted < hi:
                break
        return best

    chosen: dict[Any, _Slot] = {}
    held: dict[Any, int] = dict.fromkeys(amhps, 0)
    for amhp in amhps[:3]:  # the demo sign-ins: the earliest referral each can take
        for pk, received in open_rows:
            found = None if pk in chosen else slot(amhp, received)
            if found is not None:
                chosen[pk] = found
                held[amhp] += 1
                break
    room = [a for a in amhps if held[a] < OPEN_CASELOAD]
    for pk, received in open_rows:
        if not room:
            break  # every AMHP holds a full caseload: the rest of the queue waits, as it would
        if pk in chosen or rng.random() >= 0.34:
            continue
        start = rng.randrange(len(room))
        found = next((s for s in (slot(a, received) for a in room[start:] + room[:start]) if s is not None), None)
        if found is not None:
            chosen[pk] = found
            held[found.amhp_id] += 1
            if held[found.amhp_id] >= OPEN_CASELOAD:
                room.remove(found.amhp_id)
    return chosen


def _shift_end(at: datetime) -> datetime:
    """End of the demo shift covering AT: day 09-17 (some late 12-20), evening to 22:00, EDT night to 08:00."""
    local = at.astimezone(LONDON)
    day = local.date()

    def at_hour(d: date, hour: int) -> datetime:
        return datetime(d.year, d.month, d.day, hour, tzinfo=LONDON)

    if 8 <= local.hour < 17:
        return at_hour(day, 20 if local.minute % 3 == 0 else 17)
    if 17 <= local.hour < 22:
        return at_hour(day, 22)
    return at_hour(day + timedelta(days=1) if local.hour >= 22 else day, 8)


class _Desk:
    """The rota as the demo consultant saw it: who was on duty, and what work each AMHP still had open."""

    def __init__(self, service: Service) -> None:
        self.shifts = sorted(
            Shift.objects.filter(service=service, cancelled_at__isnull=True, staff__role=Role.AMHP).values_list(
                "starts_at", "ends_at", "staff_id"
            )
        )
        self.starts = [s for s, _, _ in self.shifts]
        self.longest = max((e - s for s, e, _ in self.shifts), default=timedelta(0))
        self.leave: dict[UUID, list[tuple[datetime, datetime]]] = defaultdict(list)
        for staff_id, s, e in Leave.objects.filter(staff__service=service, cancelled_at__isnull=True).values_list(
            "staff_id", "starts_at", "ends_at"
        ):
            self.leave[staff_id].append((s, e))
        self.people = {
            p.pk: p for p in StaffProfile.objects.filter(service=service, role=Role.AMHP).select_related("user")
        }
        self.free_at: dict[UUID, datetime] = {}
        self.open: dict[UUID, list[tuple[datetime, float]]] = defaultdict(list)
        self.assessed: dict[object, set[UUID]] = defaultdict(set)

    def allocate(
        self, *, at: datetime, expected: float, person_id: object, locality: str | None, language: str | None
    ) -> tuple[UUID, datetime] | None:
        """The best-ranked AMHP on duty at AT and their shift's end, or None when the rota does not cover AT."""
        first = bisect.bisect_left(self.starts, at - self.longest)
        last = bisect.bisect_right(self.starts, at)
        ends: dict[UUID, datetime] = {}
        for s, e, staff_id in self.shifts[first:last]:
            person = self.people.get(staff_id)
            if not (s <= at < e) or person is None:
                continue
            if person.warrant_expires_on is not None and person.warrant_expires_on < at.astimezone(LONDON).date():
                continue
            if any(ls <= at < le for ls, le in self.leave.get(staff_id, [])):
                continue
            ends[staff_id] = max(e, ends.get(staff_id, e))
        if not ends:
            return None
        candidates = []
        for staff_id, end in ends.items():
            live = [hours for done, hours in self.open[staff_id] if done > at]
            person = self.people[staff_id]
            candidates.append(
                ranking.Candidate(
                    amhp_id=str(staff_id),
                    name=person.display_name,
                    shift_end=end,
                    open_allocations=len(live),
                    open_hours=sum(live),
                    assessed_person_before=staff_id in self.assessed[person_id],
                    locality=person.locality or None,
                    languages=frozenset(person.languages or []),
                )
            )
        work = ranking.Work(expected_hours=expected, locality=locality, language=language, now=at)
        best = ranking.rank_candidates(candidates, work)[0]
        staff_id = next(k for k in ends if str(k) == best.candidate.amhp_id)
        return staff_id, ends[staff_id]

    def done(self, *, amhp: UUID, person_id: object, ended: datetime, expected: float) -> None:
        self.free_at[amhp] = ended
        self.open[amhp].append((ended, expected))
        self.assessed[person_id].add(amhp)

    def settle(self, pending: list[_Pending]) -> None:
        """Where the rota covers the time, give each completed assessment, in order of allocation, to the AMHP
        the ranking put first (as allocation does live); work waits for that AMHP to finish what they were doing.
        """
        for item in sorted(pending, key=lambda p: (p.assessment.allocated_at, str(p.assessment.referral_id))):
            a = item.assessment
            chosen = self.allocate(
                at=a.allocated_at,
                expected=item.expected,
                person_id=item.person_id,
                locality=item.locality,
                language=item.language,
            )
            if chosen is None:
                continue
            amhp_id, a.shift_ends_at = chosen
            a.amhp_id = amhp_id
            # The completed assessments made here always have both work times.
            started = cast(datetime, a.work_started_at)
            delay = max(timedelta(0), self.free_at.get(amhp_id, started) - started)
            if delay:
                for name in _WORK_TIMES:
                    if getattr(a, name) is not None:
                        setattr(a, name, getattr(a, name) + delay)
                for event in item.events:
                    if event.kind in (TimelineEvent.Kind.SEEN, TimelineEvent.Kind.DECISION):
                        event.at += delay
                for doctor in item.doctors:
                    doctor.examined_at = doctor.examined_at + delay if doctor.examined_at else None
            self.done(
                amhp=amhp_id, person_id=item.person_id, ended=cast(datetime, a.work_ended_at), expected=item.expected
            )


_WORK_TIMES = (
    "seen_at",
    "completed_at",
    "application_signed_at",
    "bed_found_at",
    "conveyed_at",
    "work_started_at",
    "work_ended_at",
)


@dataclass
class _Pending:
    assessment: Assessment
    person_id: object
    locality: str | None
    language: str | None
    expected: float
    events: list[TimelineEvent]
    doctors: list[Doctor]


def seed_assessments(
    *, service: Service, rng: random.Random, now: datetime, progress: Callable[[str], None] = lambda s: None
) -> int:
    """Create an assessment for each assessed or allocated referral of SERVICE; return how many.

    Assessed referrals get a completed assessment with an outcome (about 45% detentions,
    more for Black people), delay reasons for about 30%, work times starting soon after
    the referral (so evening referrals are worked in the evening) and sometimes running
    past the shift end, and the hours worked. About a third of the open accepted referrals
    are allocated to the first demo AMHPs so that their My allocations page has work.
    """
    # In natural order (amhp, amhp2, amhp3, ... amhp10), so the first are the sign-ins seed_demo prints.
    amhps = [
        pk
        for _, pk in sorted(
            ((len(username), username), pk)
            for username, pk in StaffProfile.objects.filter(service=service, role=Role.AMHP).values_list(
                "user__username", "pk"
            )
        )
    ]
    allocator = (
        StaffProfile.objects.filter(service=service, role__in=[Role.CONSULTANT, Role.MANAGER])
        .order_by("role", "user__username")
        .values_list("user_id", flat=True)
        .first()
    )
    if not amhps or allocator is None:
        return 0
    open_rows = list(
        Referral.objects.filter(service=service, status=Status.ACCEPTED)
        .order_by("received_at")
        .values_list("pk", "received_at")
    )
    # About a third, and at least one each for the demo AMHPs whose sign-ins seed_demo prints, each
    # to an AMHP on a shift (and not on leave) when it was allocated.
    slots = _allocation_slots(service=service, amhps=amhps, open_rows=open_rows, rng=rng, now=now)
    referrals_move_bulk(Referral.objects.filter(pk__in=slots), Status.ACCEPTED, Status.ALLOCATED)

    created = 0
    batch: list[Assessment] = []
    events: list[TimelineEvent] = []
    doctors: list[Doctor] = []
    detail_from = now - timedelta(days=DETAIL_DAYS)
    rows = (
        Referral.objects.filter(service=service, status__in=[Status.ASSESSED, Status.ALLOCATED])
        .order_by("received_at", "pk")
        .values_list(
            "pk",
            "status",
            "received_at",
            "legal_status",
            "person__ethnicity",
            "person_id",
            "person__postcode",
            "person__language",
            "person__interpreter_needed",
        )
        .iterator(chunk_size=BATCH)
    )
    desk = _Desk(service)

    pending: list[_Pending] = []

    def flush() -> None:
        nonlocal created
        desk.settle(pending)
        pending.clear()
        Assessment.objects.bulk_create(batch)
        TimelineEvent.objects.bulk_create(events)
        Doctor.objects.bulk_create(doctors)
        WorkedPeriod.objects.bulk_create(
            [
                WorkedPeriod(
                    staff_id=a.amhp_id,
                    started_at=a.work_started_at,
                    ended_at=a.work_ended_at,
                    source="assessment",
                    source_id=str(a.pk),
                )
                for a in batch
                if a.work_started_at and a.work_ended_at and a.work_ended_at > a.work_started_at
            ]
        )
        created += len(batch)
        batch.clear()
        events.clear()
        doctors.clear()

    for pk, status, received, legal_status, ethnicity, person_id, postcode, language, interpreter in rows:
        legal = legal_status or "community"
        expected = ranking.expected_hours(legal)
        allocated_at = received + timedelta(minutes=rng.randint(10, 180))
        if status == Status.ALLOCATED:
            slot = slots.get(pk)
            if slot is None:  # allocated before this run (a second seeding): leave it as it is
                continue
            live = rng.choice([AssessmentStatus.OFFERED, AssessmentStatus.ACCEPTED, AssessmentStatus.IN_PROGRESS])
            allocated_at = slot.allocated_at
            assessment = Assessment(
                service=service,
                referral_id=pk,
                amhp_id=slot.amhp_id,
                status=live,
                allocated_at=allocated_at,
                allocated_by_id=allocator,
                responded_at=None
                if live == AssessmentStatus.OFFERED
                else min(allocated_at + timedelta(minutes=5), now),
                expected_hours=Decimal(str(expected)),
                shift_ends_at=slot.shift_ends_at,
                late_after=slot.shift_ends_at,
            )
            batch.append(assessment)
            events.append(
                TimelineEvent(
                    assessment=assessment, kind=TimelineEvent.Kind.ALLOCATED, at=allocated_at, recorded_by_id=allocator
                )
            )
        else:
            detained = rng.random() < DETENTION_RATE.get(ETHNIC_GROUP.get(ethnicity, ""), DEFAULT_DETENTION_RATE)
            outcome = _weighted(rng, DETENTIONS if detained else OTHER_OUTCOMES)
            started = allocated_at + timedelta(minutes=rng.randint(15, 120))
            # Assessments overrun their expected length as often as not: beds, doctors and conveyance.
            worked = timedelta(hours=expected * rng.uniform(0.5, 1.7))
            ended = started + worked
            delays = (
                sorted({_weighted(rng, DELAYS) for _ in range(rng.choice([1, 1, 2]))}) if rng.random() < 0.3 else []
            )
            if delays and DelayReason.NO_BED in delays:
                ended += timedelta(hours=rng.uniform(1, 6))
            if outcome == Outcome.DETAINED_S3:
                nr = NearestRelativeAction.CONSULTED
            elif outcome in (Outcome.DETAINED_S2, Outcome.DETAINED_S4):
                nr = rng.choice(
                    [
                        NearestRelativeAction.INFORMED,
                        NearestRelativeAction.INFORMED,
                        NearestRelativeAction.NOT_PRACTICABLE,
                    ]
                )
            else:
                nr = rng.choice(
                    [
                        NearestRelativeAction.CONSULTED,
                        NearestRelativeAction.INFORMED,
                        NearestRelativeAction.NONE_IDENTIFIED,
                    ]
                )
            amhp = rng.choice(amhps)
            shift_ends_at = _shift_end(allocated_at)
            seen = started + timedelta(minutes=rng.randint(20, 90))
            assessment = Assessment(
                service=service,
                referral_id=pk,
                amhp_id=amhp,
                status=AssessmentStatus.COMPLETED,
                allocated_at=allocated_at,
                allocated_by_id=allocator,
                responded_at=allocated_at + timedelta(minutes=rng.randint(2, 20)),
                expected_hours=Decimal(str(expected)),
                shift_ends_at=shift_ends_at,
                seen_at=min(seen, ended),
                completed_at=ended + timedelta(minutes=rng.randint(5, 60)),
                outcome=outcome,
                nearest_relative_action=nr,
                delay_reasons=delays,
                application_signed_at=ended - timedelta(minutes=30) if detained else None,
                bed_found_at=ended - timedelta(minutes=15) if detained else None,
                conveyed_at=ended if detained else None,
                work_started_at=started,
                work_ended_at=ended,
                hours_worked=(Decimal((ended - started).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01")),
            )
            batch.append(assessment)
            first_event, first_doctor = len(events), len(doctors)
            if allocated_at >= detail_from:
                for kind, at in (
                    (TimelineEvent.Kind.ALLOCATED, allocated_at),
                    (TimelineEvent.Kind.ACCEPTED, assessment.responded_at),
                    (TimelineEvent.Kind.SEEN, assessment.seen_at),
                    (TimelineEvent.Kind.DECISION, ended),
                ):
                    events.append(TimelineEvent(assessment=assessment, kind=kind, at=at, recorded_by_id=allocator))  # type: ignore[misc]
                if detained:
                    names = rng.sample(DOCTOR_NAMES, 2)
                    doctors.append(
                        Doctor(
                            assessment=assessment,
                            name=names[0],
                            s12_approved=True,
                            examined_at=seen,
                            recommendation_signed=True,
                        )
                    )
                    doctors.append(
                        Doctor(
                            assessment=assessment,
                            name=names[1],
                            previous_acquaintance=True,
                            examined_at=seen + timedelta(minutes=20),
                            recommendation_signed=True,
                        )
                    )
            person = Person(postcode=postcode or "", language=language or "", interpreter_needed=interpreter)
            pending.append(
                _Pending(
                    assessment=assessment,
                    person_id=person_id,
                    locality=service.locality_of(person.postcode),
                    language=language_needed(person),
                    expected=expected,
                    events=events[first_event:],
                    doctors=doctors[first_doctor:],
                )
            )
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    rota_services.rebuild_worked_spans(service_id=service.pk)
    # The referral closes when its assessment completes: align the demo referrals in one statement, a
    # join (UPDATE ... FROM) rather than a subquery per referral, as the seeding may run while the
    # assessments' indexes are deferred.
    # Each row says when it last changed (completed, answered or allocated), not when it was seeded: a
    # year of history written in minutes must not all look changed just now to the jobs that look for
    # changes (the dashboards' roll-up above all). At the latest NOW: when the rota cannot absorb a large
    # scale's demand, the desk's queue runs on past it.
    Assessment.objects.filter(service=service).update(
        updated_at=Least(Coalesce("completed_at", "responded_at", "allocated_at"), Value(now))
    )
    referrals, assessments = Referral._meta.db_table, Assessment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {referrals} SET closed_at = a.completed_at, updated_at = a.updated_at "  # noqa: S608
            f"FROM {assessments} a WHERE a.referral_id = {referrals}.id AND a.status = %s "
            f"AND {referrals}.service_id = %s AND {referrals}.status = %s",
            [AssessmentStatus.COMPLETED, service.pk, Status.ASSESSED],
        )
        open_statuses = ", ".join(["%s"] * len(OPEN_ASSESSMENT_STATUSES))
        cursor.execute(
            f"UPDATE {referrals} SET updated_at = a.updated_at FROM {assessments} a "  # noqa: S608
            f"WHERE a.referral_id = {referrals}.id AND a.status IN ({open_statuses}) "
            f"AND {referrals}.service_id = %s AND {referrals}.status = %s",
            [*OPEN_ASSESSMENT_STATUSES, service.pk, Status.ALLOCATED],
        )
    return created
