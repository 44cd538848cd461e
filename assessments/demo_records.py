"""Demo assessments for the demo referrals: allocations, outcomes, delays, work times and a few timeline events.

Set-based: referrals are read in chunks, assessments and events generated as plain rows and
written with COPY on PostgreSQL (amhp_hub.common.bulk), and the referrals' closing times
aligned in one UPDATE, so a million referrals take
minutes and no query runs per row.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Subquery

from amhp_hub.common.bulk import copy_rows
from amhp_hub.common.zone import LONDON
from assessments.models import (
    Assessment,
    AssessmentStatus,
    DelayReason,
    Doctor,
    NearestRelativeAction,
    Outcome,
    TimelineEvent,
)
from referrals.constants import ETHNIC_GROUP, Status
from referrals.models import Referral
from referrals.transitions import referrals_move_bulk
from rota import ranking
from rota.models import Role, Service, StaffProfile
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
    "late_after",
)
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


def _allocation_slots(
    *, service: Service, amhps: list[Any], open_rows: list[tuple[Any, datetime]], rng: random.Random, now: datetime
) -> dict[Any, _Slot]:
    """Choose which open referrals are allocated, to whom and when: always inside a live shift of that AMHP.

    Each of the first three demo AMHPs gets the earliest referral they can take (so their My
    allocations page has work); about a third of the rest go to any AMHP. An allocation happens
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
    for amhp in amhps[:3]:  # the demo sign-ins: the earliest referral each can take
        for pk, received in open_rows:
            found = None if pk in chosen else slot(amhp, received)
            if found is not None:
                chosen[pk] = found
                break
    for pk, received in open_rows:
        if pk in chosen or rng.random() >= 0.34:
            continue
        start = rng.randrange(len(amhps))
        found = next((s for s in (slot(a, received) for a in amhps[start:] + amhps[:start]) if s is not None), None)
        if found is not None:
            chosen[pk] = found
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

    events: list[tuple] = []
    doctors: list[tuple] = []
    detail_from = now - timedelta(days=DETAIL_DAYS)
    rows = (
        Referral.objects.filter(service=service, status__in=[Status.ASSESSED, Status.ALLOCATED])
        .order_by()
        .values_list("pk", "status", "received_at", "legal_status", "person__ethnicity")
        .iterator(chunk_size=BATCH)
    )
    K = TimelineEvent.Kind

    def assessments() -> Iterator[tuple]:
        for pk, status, received, legal_status, ethnicity in rows:
            legal = legal_status or "community"
            expected = ranking.expected_hours(legal)
            allocated_at = received + timedelta(minutes=rng.randint(10, 180))
            assessment_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            if status == Status.ALLOCATED:
                slot = slots.get(pk)
                if slot is None:  # allocated before this run (a second seeding): leave it as it is
                    continue
                live = rng.choice([AssessmentStatus.OFFERED, AssessmentStatus.ACCEPTED, AssessmentStatus.IN_PROGRESS])
                allocated_at = slot.allocated_at
                yield (
                    assessment_id, service.pk, pk, slot.amhp_id, str(live), allocated_at, allocator,
                    None if live == AssessmentStatus.OFFERED else min(allocated_at + timedelta(minutes=5), now),
                    Decimal(str(expected)), slot.shift_ends_at,
                    None, None, "", str(NearestRelativeAction.NOT_YET), [], None, None, None, None, None, None,
                    slot.shift_ends_at,
                )  # fmt: skip
                events.append((assessment_id, str(K.ALLOCATED), allocated_at, allocator))
                continue
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
            seen = min(started + timedelta(minutes=rng.randint(20, 90)), ended)
            responded = allocated_at + timedelta(minutes=rng.randint(2, 20))
            yield (
                assessment_id, service.pk, pk, amhp, str(AssessmentStatus.COMPLETED), allocated_at, allocator,
                responded, Decimal(str(expected)), _shift_end(allocated_at),
                seen, ended + timedelta(minutes=rng.randint(5, 60)), str(outcome), str(nr), delays,
                ended - timedelta(minutes=30) if detained else None,
                ended - timedelta(minutes=15) if detained else None,
                ended if detained else None,
                started, ended,
                (Decimal((ended - started).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01")),
                None,
            )  # fmt: skip
            if allocated_at >= detail_from:
                for kind, at in (
                    (K.ALLOCATED, allocated_at),
                    (K.ACCEPTED, responded),
                    (K.SEEN, seen),
                    (K.DECISION, ended),
                ):
                    events.append((assessment_id, str(kind), at, allocator))
                if detained:
                    names = rng.sample(DOCTOR_NAMES, 2)
                    doctors.append((assessment_id, names[0], True, False, seen, True))
                    doctors.append((assessment_id, names[1], False, True, seen + timedelta(minutes=20), True))

    progress("allocations")
    created = copy_rows(Assessment, ASSESSMENT_COLUMNS, assessments())
    progress(f"{created} assessments")
    copy_rows(TimelineEvent, ("assessment", "kind", "at", "recorded_by"), events)
    copy_rows(
        Doctor,
        ("assessment", "name", "s12_approved", "previous_acquaintance", "examined_at", "recommendation_signed"),
        doctors,
    )
    # The referral closes when its assessment completes: align the demo referrals in one statement.
    progress("timeline events and doctors")
    if connection.vendor == "postgresql":  # one join, not a sub-select per referral
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE referrals_referral r SET closed_at = a.completed_at FROM assessments_assessment a"
                " WHERE a.referral_id = r.id AND a.status = %s AND r.service_id = %s AND r.status = %s",
                [str(AssessmentStatus.COMPLETED), service.pk, str(Status.ASSESSED)],
            )
    else:
        Referral.objects.filter(service=service, status=Status.ASSESSED).update(
            closed_at=Subquery(
                Assessment.objects.filter(referral=OuterRef("pk"), status=AssessmentStatus.COMPLETED).values(
                    "completed_at"
                )[:1]
            )
        )
    return created
