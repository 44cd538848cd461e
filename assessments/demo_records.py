"""Demo assessments for the demo referrals: allocations, outcomes, delays, work times and a few timeline events.

Set-based: referrals are read in chunks, assessments, events, doctors and worked periods generated
as plain rows (no model instances) and written with COPY (amhp_hub.common.bulk.copy_rows) in batches,
and the referrals' closing times aligned in one UPDATE, so a million referrals take a minute or two
and no query runs per row.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from django.db import connection
from django.db.models import DateTimeField, F, Value
from django.utils import timezone

from amhp_hub.common.bulk import UuidText, copy_rows, insert_select
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
from assessments.selectors import language_to_speak
from referrals.constants import ETHNIC_GROUP, Status
from referrals.models import Referral
from referrals.transitions import referrals_move_bulk
from rota import ranking
from rota import services as rota_services
from rota.demo import Weighted
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


# The columns an assessment row gives (every other field takes its default), and where the desk finds them.
ASSESSMENT_COLUMNS = (
    "id",
    "service",
    "referral",
    "amhp",
    "status",
    "allocated_at",
    "allocated_by",
    "responded_at",
    "expected_hours",
    "shift_ends_at",
    "late_after",
    "seen_at",
    "completed_at",
    "outcome",
    "nearest_relative_action",
    "delay_reasons",
    "application_signed_at",
    "bed_found_at",
    "conveyed_at",
    "work_started_at",
    "work_ended_at",
    "hours_worked",
    "updated_at",
)
_REFERRAL, _AMHP, _ALLOCATED, _RESPONDED, _SHIFT_ENDS, _COMPLETED, _STARTED, _ENDED, _UPDATED = (
    ASSESSMENT_COLUMNS.index(name)
    for name in (
        "referral",
        "amhp",
        "allocated_at",
        "responded_at",
        "shift_ends_at",
        "completed_at",
        "work_started_at",
        "work_ended_at",
        "updated_at",
    )
)
# The times that move when the work waits for its AMHP to finish what they were doing.
_WORK_TIMES = tuple(
    ASSESSMENT_COLUMNS.index(name)
    for name in (
        "seen_at",
        "completed_at",
        "application_signed_at",
        "bed_found_at",
        "conveyed_at",
        "work_started_at",
        "work_ended_at",
    )
)
EVENT_COLUMNS = ("assessment", "kind", "at", "recorded_by")
DOCTOR_COLUMNS = ("assessment", "name", "s12_approved", "previous_acquaintance", "examined_at", "recommendation_signed")
_AT, _EXAMINED = EVENT_COLUMNS.index("at"), DOCTOR_COLUMNS.index("examined_at")


class _Desk:
    """The rota as the demo consultant saw it: who was on duty, and what work each AMHP still had open."""

    def __init__(self, service: Service) -> None:
        self.service = service
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
        # Each AMHP's work as (end, expected hours), ordered by end, so the work still open at a time is a tail.
        self.open_ends: dict[UUID, list[datetime]] = defaultdict(list)
        self.open_hours: dict[UUID, list[float]] = defaultdict(list)
        self.assessed: dict[object, set[UUID]] = defaultdict(set)

    def covers(self, at: datetime) -> bool:
        """Whether any AMHP shift is under way at AT (the rota covers only its own weeks)."""
        return bisect.bisect_left(self.starts, at - self.longest) < bisect.bisect_right(self.starts, at)

    def on_duty(self, at: datetime) -> dict[UUID, datetime]:
        """The AMHPs on duty at AT (with a warrant in date and not on leave), each with their shift's end."""
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
        return ends

    def ranked(
        self,
        *,
        at: datetime,
        ends: dict[UUID, datetime],
        expected: float,
        person_id: object,
        locality: str | None,
        language: str | None,
    ) -> list[tuple[UUID, datetime]]:
        """The AMHPs on duty (ENDS) in the order the ranking puts them for the work at AT, each with their shift's
        end."""
        candidates = []
        for staff_id, end in ends.items():
            # The work still open at AT: what ends after it. The hours are whole hours, so their sum is exact in
            # any order.
            still_open = bisect.bisect_right(self.open_ends[staff_id], at)
            hours = self.open_hours[staff_id]
            person = self.people[staff_id]
            candidates.append(
                ranking.Candidate(
                    amhp_id=str(staff_id),
                    name=person.display_name,
                    shift_end=end,
                    open_allocations=len(hours) - still_open,
                    open_hours=sum(hours[still_open:]),
                    assessed_person_before=staff_id in self.assessed[person_id],
                    locality=person.locality or None,
                    languages=frozenset(person.languages or []),
                )
            )
        work = ranking.Work(expected_hours=expected, locality=locality, language=language, now=at)
        by_id = {str(staff_id): (staff_id, end) for staff_id, end in ends.items()}
        return [by_id[r.candidate.amhp_id] for r in ranking.rank_candidates(candidates, work)]

    def done(self, *, amhp: UUID, person_id: object, ended: datetime, expected: float) -> None:
        self.free_at[amhp] = ended
        place = bisect.bisect_right(self.open_ends[amhp], ended)
        self.open_ends[amhp].insert(place, ended)
        self.open_hours[amhp].insert(place, expected)
        self.assessed[person_id].add(amhp)

    def settle(self, pending: list[_Pending], now: datetime) -> None:
        """Where the rota covers the time, give each completed assessment, in order of allocation, to the AMHP
        the ranking put first (as allocation does live); work waits for that AMHP to finish what they were doing.
        Completed work has finished by NOW: where waiting would take it past NOW (more demand than the rota can
        absorb), it goes to the first AMHP in the ranking who could have finished it, and stays as drawn if none.
        """
        for item in sorted(pending, key=lambda p: (p.row[_ALLOCATED], str(p.row[_REFERRAL]))):
            row = item.row
            at = row[_ALLOCATED]
            ends = self.on_duty(at)
            if not ends:
                continue
            # The completed assessments made here always have both work times.
            started = row[_STARTED]
            latest = max([row[_COMPLETED], *(e[_AT] for e in item.events), *(d[_EXAMINED] for d in item.doctors)])
            ranked = self.ranked(
                at=at,
                ends=ends,
                expected=item.expected,
                person_id=item.person_id,
                locality=self.service.locality_of(item.postcode),
                language=language_to_speak(item.language, interpreter_needed=item.interpreter_needed),
            )
            waits = ((amhp, end, max(timedelta(0), self.free_at.get(amhp, started) - started)) for amhp, end in ranked)
            chosen = next(((amhp, end, wait) for amhp, end, wait in waits if latest + wait <= now), None)
            if chosen is None:
                continue
            amhp_id, row[_SHIFT_ENDS], delay = chosen
            row[_AMHP] = amhp_id
            if delay:
                for index in _WORK_TIMES:
                    if row[index] is not None:
                        row[index] += delay
                for event in item.events:
                    event[_AT] += delay
                for doctor in item.doctors:
                    doctor[_EXAMINED] += delay
            self.done(amhp=amhp_id, person_id=item.person_id, ended=row[_ENDED], expected=item.expected)


@dataclass(slots=True)
class _Pending:
    """A completed assessment the desk may give to the AMHP the ranking puts first, with what the ranking reads."""

    row: list[Any]
    person_id: object
    postcode: str
    language: str
    interpreter_needed: bool
    expected: float
    events: list[list[Any]]  # its events that move with the work: seen and decision
    doctors: list[list[Any]]


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

    # Plain rows (lists, which the desk may still change) for ASSESSMENT_COLUMNS, EVENT_COLUMNS and
    # DOCTOR_COLUMNS, written with COPY: no model instance per row. The referrals are read whole first, as the
    # connection carries the COPY of the assessments while they are made.
    events: list[list[Any]] = []
    doctors: list[list[Any]] = []
    detail_from = now - timedelta(days=DETAIL_DAYS)
    rows = list(
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
    )
    desk = _Desk(service)

    def made() -> Iterator[list[Any]]:
        """The assessments' rows, BATCH at a time, each batch as the desk settled it."""
        batch: list[list[Any]] = []
        pending: list[_Pending] = []

        # Worked out once, not per row; every draw from RNG comes in the same order as it always has.
        randint, uniform, choice, chance = rng.randint, rng.uniform, rng.choice, rng.random
        detentions, other_outcomes, delay_reason = (
            Weighted(_values(DETENTIONS)),
            Weighted(_values(OTHER_OUTCOMES)),
            Weighted(_values(DELAYS)),
        )
        detention_rate = {
            ethnicity: DETENTION_RATE.get(group, DEFAULT_DETENTION_RATE) for ethnicity, group in ETHNIC_GROUP.items()
        }
        expected_of: dict[str, tuple[float, Decimal]] = {}
        live_statuses = [
            str(s) for s in (AssessmentStatus.OFFERED, AssessmentStatus.ACCEPTED, AssessmentStatus.IN_PROGRESS)
        ]
        offered, completed_status, allocated_status = (
            str(AssessmentStatus.OFFERED),
            str(AssessmentStatus.COMPLETED),
            str(Status.ALLOCATED),
        )
        not_yet = str(NearestRelativeAction.NOT_YET)
        detained_s3, detained_other, no_bed = (
            str(Outcome.DETAINED_S3),
            {str(Outcome.DETAINED_S2), str(Outcome.DETAINED_S4)},
            str(DelayReason.NO_BED),
        )
        nr_if_detained = [
            str(NearestRelativeAction.INFORMED),
            str(NearestRelativeAction.INFORMED),
            str(NearestRelativeAction.NOT_PRACTICABLE),
        ]
        nr_otherwise = [
            str(NearestRelativeAction.CONSULTED),
            str(NearestRelativeAction.INFORMED),
            str(NearestRelativeAction.NONE_IDENTIFIED),
        ]
        consulted = str(NearestRelativeAction.CONSULTED)
        allocated_kind, accepted_kind = str(TimelineEvent.Kind.ALLOCATED), str(TimelineEvent.Kind.ACCEPTED)
        seen_kind, decision_kind = str(TimelineEvent.Kind.SEEN), str(TimelineEvent.Kind.DECISION)
        service_id = service.pk
        an_hour, cent = Decimal(3600), Decimal("0.01")
        five, fifteen, twenty, thirty, sixty = (timedelta(minutes=m) for m in (5, 15, 20, 30, 60))

        for pk, status, received, legal_status, ethnicity, person_id, postcode, language, interpreter in rows:
            legal = legal_status or "community"
            if legal not in expected_of:
                hours = ranking.expected_hours(legal)
                expected_of[legal] = hours, Decimal(str(hours))
            expected, expected_hours = expected_of[legal]
            allocated_at = received + timedelta(minutes=randint(10, 180))
            if status == allocated_status:
                slot = slots.get(pk)
                if slot is None:  # allocated before this run (a second seeding): leave it as it is
                    continue
                live = choice(live_statuses)
                allocated_at = slot.allocated_at
                assessment_id = uuid4()
                batch.append(
                    [
                        assessment_id,
                        service_id,
                        pk,
                        slot.amhp_id,
                        live,
                        allocated_at,
                        allocator,
                        None if live == offered else min(allocated_at + five, now),
                        expected_hours,
                        slot.shift_ends_at,
                        slot.shift_ends_at,  # late after the shift's end
                        None,
                        None,
                        "",
                        not_yet,
                        [],
                        *[None] * 7,  # no work done yet (and updated_at is set as the batch is written)
                    ]
                )
                events.append([assessment_id, allocated_kind, allocated_at, allocator])
            else:
                detained = chance() < detention_rate.get(ethnicity, DEFAULT_DETENTION_RATE)
                outcome = (detentions if detained else other_outcomes)(rng)
                started = allocated_at + timedelta(minutes=randint(15, 120))
                # Assessments overrun their expected length as often as not: beds, doctors and conveyance.
                worked = timedelta(hours=expected * uniform(0.5, 1.7))
                ended = started + worked
                delays = sorted({delay_reason(rng) for _ in range(choice([1, 1, 2]))}) if chance() < 0.3 else []
                if delays and no_bed in delays:
                    ended += timedelta(hours=uniform(1, 6))
                # Closed referrals arrived at least 18 hours ago: a long wait for a bed on one of the latest ends,
                # and its assessment completes, before now.
                ended = min(ended, now - sixty)
                if outcome == detained_s3:
                    nr = consulted
                elif outcome in detained_other:
                    nr = choice(nr_if_detained)
                else:
                    nr = choice(nr_otherwise)
                amhp = choice(amhps)
                shift_ends_at = _shift_end(allocated_at)
                seen = started + timedelta(minutes=randint(20, 90))
                responded_at = allocated_at + timedelta(minutes=randint(2, 20))
                completed_at = ended + timedelta(minutes=randint(5, 60))
                seen_at = min(seen, ended)
                assessment_id = uuid4()
                row = [
                    assessment_id,
                    service_id,
                    pk,
                    amhp,
                    completed_status,
                    allocated_at,
                    allocator,
                    responded_at,
                    expected_hours,
                    shift_ends_at,
                    None,
                    seen_at,
                    completed_at,
                    outcome,
                    nr,
                    delays,
                    ended - thirty if detained else None,
                    ended - fifteen if detained else None,
                    ended if detained else None,
                    started,
                    ended,
                    (Decimal((ended - started).total_seconds()) / an_hour).quantize(cent),
                    None,
                ]
                batch.append(row)
                moving: list[list[Any]] = []
                examined: list[list[Any]] = []
                if allocated_at >= detail_from:
                    moving = [
                        [assessment_id, seen_kind, seen_at, allocator],
                        [assessment_id, decision_kind, ended, allocator],
                    ]
                    events.append([assessment_id, allocated_kind, allocated_at, allocator])
                    events.append([assessment_id, accepted_kind, responded_at, allocator])
                    events.extend(moving)
                    if detained:
                        names = rng.sample(DOCTOR_NAMES, 2)
                        examined = [
                            [assessment_id, names[0], True, False, seen, True],
                            [assessment_id, names[1], False, True, seen + twenty, True],
                        ]
                        doctors.extend(examined)
                if desk.covers(allocated_at):  # elsewhere no AMHP is on duty: the desk leaves the row as it is
                    pending.append(
                        _Pending(
                            row=row,
                            person_id=person_id,
                            postcode=postcode or "",
                            language=language or "",
                            interpreter_needed=interpreter,
                            expected=expected,
                            events=moving,
                            doctors=examined,
                        )
                    )
            if len(batch) >= BATCH:
                yield from _settled(desk, pending, batch, now)
                batch = []
                pending = []
        if batch:
            yield from _settled(desk, pending, batch, now)

    created = copy_rows(Assessment, ASSESSMENT_COLUMNS, made())
    copy_rows(TimelineEvent, EVENT_COLUMNS, events)
    copy_rows(Doctor, DOCTOR_COLUMNS, doctors)
    # The work done, for the working-time checks: one statement over the service's assessments (those it has
    # already skip, as their periods exist).
    insert_select(
        WorkedPeriod,
        {
            "staff": F("amhp_id"),
            "started_at": F("work_started_at"),
            "ended_at": F("work_ended_at"),
            "source": Value("assessment"),
            "source_id": UuidText("pk"),
            "updated_at": Value(timezone.now(), output_field=DateTimeField()),
        },
        Assessment.objects.filter(
            service=service, work_started_at__isnull=False, work_ended_at__gt=F("work_started_at")
        ),
    )
    rota_services.rebuild_worked_spans(service_id=service.pk)
    # The referral closes when its assessment completes: align the demo referrals in one statement, a
    # join (UPDATE ... FROM) rather than a subquery per referral, as the seeding may run while the
    # assessments' indexes are deferred. Each takes its assessment's updated_at.
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
    progress(f"{created} assessments")
    return created


def _settled(desk: _Desk, pending: list[_Pending], batch: list[list[Any]], now: datetime) -> list[list[Any]]:
    """BATCH once the desk has given its PENDING completed work to the AMHPs the ranking put first."""
    desk.settle(pending, now)
    for row in batch:
        # When the row last changed (completed, answered or allocated), not when it was seeded: a year of history
        # written in minutes must not all look changed just now to the jobs that look for changes (the
        # dashboards' roll-up above all). Nothing here happened after NOW.
        row[_UPDATED] = min(row[_COMPLETED] or row[_RESPONDED] or row[_ALLOCATED], now)
    return batch


def _values(weights: dict[Any, int]) -> dict[str, int]:
    """WEIGHTS keyed by the choices' plain values, as the rows store them."""
    return {str(key): weight for key, weight in weights.items()}
