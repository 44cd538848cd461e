"""Demo requests on the demo assessments: calls to doctors, beds, ambulances, police, interpreters and warrants.

The times fit each assessment's record, so the waits worked out from them (assessments.waits)
agree with it: the doctors arrive when the person is seen, the bed comes when a bed was found,
the ambulance when the person was conveyed. Work still open has calls under way and pending
requests. Set-based: one read of the directory, one of the assessments, and the rows written
in bulk (amhp_hub.common.bulk.copy_rows), so the cost does not grow by query with the service.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q

from amhp_hub.common.bulk import copy_rows
from amhp_hub.common.zone import LONDON
from assessments.models import (
    DETENTION_OUTCOMES,
    Assessment,
    AssessmentStatus,
    CaseRequest,
    DelayReason,
    Outcome,
    RequestKind,
    RequestOutcome,
)
from rota import doctors as doctor_rules
from rota.models import DirectoryDoctor, Service

# Completed work this recent gets its requests: the dashboards' default period of 90 days.
REQUEST_DAYS = 90
COLUMNS = (
    "service",
    "referral",
    "assessment",
    "kind",
    "requested_at",
    "to",
    "doctor",
    "outcome",
    "arrived_at",
    "ward",
    "out_of_area",
    "created_by",
)
WARDS = ["Willow Ward, Riverside Hospital", "Oak Ward, Riverside Hospital", "Cedar Ward, City General"]
OUT_OF_AREA_WARDS = ["Beech Ward, Hillside Hospital", "Rowan Unit, Northgate Priory"]
BED_MANAGERS = ["Bed manager, Riverside Trust", "Bed manager, Hillside Trust", "Private sector bed bureau"]
AMBULANCE = "Ambulance control"
POLICE = "Police control room"
SECOND_OPINIONS = ["GP surgery", "Community team consultant"]


@dataclass(frozen=True)
class _Doctor:
    pk: int
    name: str
    s12_approved: bool
    expires_on: date | None
    windows: list[doctor_rules.Window]

    def s12_in_day(self, day: date) -> bool:
        """Whether the doctor's s12 approval is in date on DAY (London)."""
        return doctor_rules.s12_approval_in_date(approved=self.s12_approved, expires_on=self.expires_on, on_day=day)


class _Requests:
    """The rows for one assessment, in the order they are made."""

    def __init__(self, *, service_id: int, referral_id: Any, assessment_id: Any, by: Any) -> None:
        self.ids = (service_id, referral_id, assessment_id)
        self.by = by
        self.rows: list[tuple[Any, ...]] = []

    def add(
        self,
        kind: str,
        requested_at: datetime,
        *,
        to: str,
        outcome: str = RequestOutcome.PENDING,
        arrived_at: datetime | None = None,
        doctor: int | None = None,
        ward: str = "",
        out_of_area: bool | None = None,
    ) -> None:
        self.rows.append((*self.ids, kind, requested_at, to, doctor, outcome, arrived_at, ward, out_of_area, self.by))


def _failed(rng: random.Random) -> str:
    return RequestOutcome.NO_ANSWER if rng.random() < 0.6 else RequestOutcome.REFUSED


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rng.random() if end > start else start


class _Directory:
    def __init__(self, service: Service) -> None:
        self.doctors = [
            _Doctor(pk, name, approved, expires, doctor_rules.parse_windows(availability or [])[0])
            for pk, name, approved, expires, availability in DirectoryDoctor.objects.filter(
                service=service, active=True
            )
            .order_by("name", "pk")
            .values_list("pk", "name", "s12_approved", "s12_approval_expires_on", "availability")
        ]
        # Whether each doctor is likely available, by London weekday, hour and minute: windows start and end on
        # the minute, so that is all likely_available reads of the time (worked out once per minute of the week).
        self.on_the_minute = all(
            w.start.second == w.start.microsecond == w.end.second == w.end.microsecond == 0
            for d in self.doctors
            for w in d.windows
        )
        self.likely_at: dict[tuple[int, int, int], list[bool]] = {}

    def ring(self, rng: random.Random, at: datetime, k: int, *, s12: bool) -> list[_Doctor]:
        """K different doctors an AMHP would ring at AT: likely available then first (and s12 in date if S12)."""
        local = at.astimezone(LONDON)
        minute = (local.weekday(), local.hour, local.minute)
        likely_now = self.likely_at.get(minute) if self.on_the_minute else None
        if likely_now is None:
            likely_now = [doctor_rules.likely_available(d.windows, at) for d in self.doctors]
            if self.on_the_minute:
                self.likely_at[minute] = likely_now
        day = local.date()
        likely: list[_Doctor] = []
        rest: list[_Doctor] = []
        for doctor, available in zip(self.doctors, likely_now, strict=True):
            if s12 and not doctor.s12_in_day(day):
                continue
            (likely if available else rest).append(doctor)
        rng.shuffle(likely)
        rng.shuffle(rest)
        return (likely + rest)[:k]


def _doctor_calls(
    out: _Requests,
    rng: random.Random,
    directory: _Directory,
    *,
    first: datetime,
    arrived: datetime | None,
    latest: datetime,
    calls: int,
    kind: str = RequestKind.S12_DOCTOR,
) -> None:
    """CALLS calls from FIRST, each to another doctor; the last is accepted and that doctor arrives at ARRIVED.

    With ARRIVED None (work still open) the last call is accepted or still pending. No call is
    made after LATEST.
    """
    end = min(arrived or latest, latest)
    gap = max((end - first) * 0.5 / calls, timedelta(minutes=1)) if end > first else timedelta(minutes=1)
    people = directory.ring(rng, first, calls, s12=kind == RequestKind.S12_DOCTOR)
    for n in range(calls):
        at = min(first + gap * n + timedelta(minutes=rng.randint(0, 4)), end)
        doctor = people[n] if n < len(people) else None
        to = doctor.name if doctor else rng.choice(SECOND_OPINIONS)
        pk = doctor.pk if doctor else None
        if n < calls - 1:
            out.add(kind, at, to=to, doctor=pk, outcome=_failed(rng))
        elif arrived is not None:
            out.add(kind, at, to=to, doctor=pk, outcome=RequestOutcome.ACCEPTED, arrived_at=arrived)
        else:
            outcome = RequestOutcome.ACCEPTED if rng.random() < 0.5 else RequestOutcome.PENDING
            out.add(kind, at, to=to, doctor=pk, outcome=outcome)


def _completed(out: _Requests, rng: random.Random, directory: _Directory, row: dict[str, Any], now: datetime) -> None:
    """Requests whose times fit a completed record: every arrival at or before the time the record gives for it."""
    delays = set(row["delay_reasons"] or [])
    accepted_at = row["responded_at"] or row["allocated_at"]
    seen, ended = row["seen_at"], row["work_ended_at"]
    if seen is None or ended is None or ended > now:
        return
    first = min(accepted_at + timedelta(minutes=rng.randint(0, 10)), seen)
    s12_calls = rng.randint(3, 6) if DelayReason.NO_S12_DOCTOR in delays else rng.choices([1, 2, 3], [55, 30, 15])[0]
    _doctor_calls(out, rng, directory, first=first, arrived=seen, latest=seen, calls=s12_calls)
    second_at = min(first + timedelta(minutes=rng.randint(0, 20)), seen)
    second_arrives = min(seen + timedelta(minutes=rng.randint(0, 20)), ended)
    _doctor_calls(
        out,
        rng,
        directory,
        first=second_at,
        arrived=second_arrives,
        latest=second_arrives,
        calls=rng.choices([1, 2], [70, 30])[0],
        kind=RequestKind.SECOND_DOCTOR,
    )
    if DelayReason.INTERPRETER in delays or row["interpreter_needed"]:
        out.add(
            RequestKind.INTERPRETER,
            accepted_at,
            to="Interpreting service",
            outcome=RequestOutcome.ACCEPTED,
            arrived_at=max(seen - timedelta(minutes=rng.randint(0, 15)), accepted_at),
        )
    if DelayReason.WARRANT in delays:
        out.add(
            RequestKind.WARRANT,
            row["allocated_at"],
            to="Magistrates' court",
            outcome=RequestOutcome.ACCEPTED,
            arrived_at=max(row["work_started_at"] or seen, row["allocated_at"]),
        )
    detained = row["outcome"] in DETENTION_OUTCOMES
    if row["outcome"] == Outcome.APPLICATION_AWAITING_BED:
        # The application was made but no bed came before the assessment closed: a wait with no end.
        out.add(RequestKind.BED, _between(rng, seen, ended), to=rng.choice(BED_MANAGERS), outcome=_failed(rng))
        return
    bed_found, conveyed = row["bed_found_at"], row["conveyed_at"]
    if not detained or bed_found is None or conveyed is None:
        return
    no_bed = DelayReason.NO_BED in delays
    asked = min(seen + timedelta(minutes=rng.randint(10, 60)), bed_found)
    if no_bed:  # the first trust had none
        out.add(RequestKind.BED, asked, to=BED_MANAGERS[0], outcome=RequestOutcome.REFUSED)
        asked = _between(rng, asked, bed_found)
    out_of_area = rng.random() < (0.6 if no_bed else 0.1)
    out.add(
        RequestKind.BED,
        asked,
        to=rng.choice(BED_MANAGERS[1:] if no_bed else BED_MANAGERS[:1]),
        outcome=RequestOutcome.ACCEPTED,
        arrived_at=bed_found,
        ward=rng.choice(OUT_OF_AREA_WARDS if out_of_area else WARDS),
        out_of_area=out_of_area,
    )
    if DelayReason.AMBULANCE in delays:
        booked = max(seen, conveyed - timedelta(minutes=rng.randint(120, 300)))
    else:
        booked = max(seen, (row["application_signed_at"] or conveyed) - timedelta(minutes=rng.randint(0, 45)))
    out.add(RequestKind.AMBULANCE, booked, to=AMBULANCE, outcome=RequestOutcome.ACCEPTED, arrived_at=conveyed)
    if DelayReason.POLICE in delays:
        out.add(
            RequestKind.POLICE,
            booked,
            to=POLICE,
            outcome=RequestOutcome.ACCEPTED,
            arrived_at=max(conveyed - timedelta(minutes=rng.randint(0, 15)), booked),
        )


def _open(out: _Requests, rng: random.Random, directory: _Directory, row: dict[str, Any], now: datetime) -> None:
    """Work under way: calls to doctors made since it was accepted; some doctors already there, a bed asked for."""
    accepted_at = row["responded_at"]
    latest = now - timedelta(minutes=1)
    if accepted_at is None or latest - accepted_at < timedelta(minutes=5):
        return
    first = _between(rng, accepted_at, min(accepted_at + timedelta(minutes=15), latest))
    calls = rng.choices([1, 2, 3], [40, 40, 20])[0]
    arrival = first + timedelta(minutes=rng.randint(40, 150))
    arrived = arrival if arrival <= latest and rng.random() < 0.5 else None
    _doctor_calls(out, rng, directory, first=first, arrived=arrived, latest=latest, calls=calls)
    if arrived is not None and rng.random() < 0.5:
        asked = _between(rng, arrived, latest)
        out.add(RequestKind.BED, asked, to=BED_MANAGERS[0], outcome=RequestOutcome.PENDING)


def seed_requests(
    *,
    service: Service,
    rng: random.Random,
    now: datetime,
    days: int = REQUEST_DAYS,
    progress: Callable[[str], None] = lambda s: None,
) -> int:
    """Log believable requests on SERVICE's assessments that have none; return how many were written.

    Completed assessments allocated in the last DAYS get the calls to both doctors (more, and
    some refused or unanswered, where the record says a doctor was hard to find), an interpreter
    or a warrant where they delayed the work, and for a detention the bed (a refusal first when
    beds were short, sometimes out of area) and the ambulance (and police where they delayed
    conveyance). Accepted work still open has calls under way and now and then a pending bed.
    """
    directory = _Directory(service)
    fields = (
        "pk",
        "referral_id",
        "status",
        "allocated_at",
        "responded_at",
        "seen_at",
        "application_signed_at",
        "bed_found_at",
        "conveyed_at",
        "work_started_at",
        "work_ended_at",
        "outcome",
        "delay_reasons",
        "amhp__user_id",
        "referral__person__interpreter_needed",
    )
    names = [f.replace("referral__person__", "") for f in fields]
    # Read whole before any request is written: copy_rows sends its COPY while the next rows are made, so the
    # connection cannot be reading meanwhile.
    rows = list(
        Assessment.objects.filter(service=service)
        .filter(
            Q(status=AssessmentStatus.COMPLETED, allocated_at__gte=now - timedelta(days=days))
            | Q(status__in=[AssessmentStatus.ACCEPTED, AssessmentStatus.IN_PROGRESS])
        )
        .filter(~Exists(CaseRequest.objects.filter(assessment=OuterRef("pk"))))
        .order_by("allocated_at", "referral__received_at", "referral_id", "pk")
        .values_list(*fields)
    )

    def generated() -> Iterator[tuple[Any, ...]]:
        for values in rows:
            row = dict(zip(names, values, strict=True))
            out = _Requests(
                service_id=service.pk, referral_id=row["referral_id"], assessment_id=row["pk"], by=row["amhp__user_id"]
            )
            if row["status"] == AssessmentStatus.COMPLETED:
                _completed(out, rng, directory, row, now)
            else:
                _open(out, rng, directory, row, now)
            # Each request last changed when it was answered (or made), not when it was seeded.
            for request in out.rows:
                yield (*request, request[arrived] or request[requested])

    arrived, requested = COLUMNS.index("arrived_at"), COLUMNS.index("requested_at")
    written = copy_rows(CaseRequest, (*COLUMNS, "updated_at"), generated())
    progress(f"{written} requests")
    return written
