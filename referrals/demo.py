"""Demo referrals: a year of them with the real shape of demand, scaled up for benchmarks.

People and referrals are generated as plain rows (no model instances) and written with
COPY on PostgreSQL (amhp_hub.common.bulk), so a million referrals take about a minute and a half.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

from django.conf import settings

from amhp_hub.common.bulk import copy_rows
from amhp_hub.common.zone import LONDON
from referrals import clocks, deadlines
from referrals.constants import (
    PRIORITY_RANK,
    QUEUE_STATUSES,
    REFERENCE_ALPHABET,
    Flag,
    LegalStatus,
    Sex,
    Status,
    TriageDecision,
)
from referrals.models import Person, Referral, TriageRecord
from referrals.nhs_number import generate_nhs_number
from rota.demo import ETHNICITY_WEIGHTS, FAMILY, GIVEN, LANGUAGES, Weighted
from rota.models import Role, Service, StaffProfile

PLACES = {
    LegalStatus.S136: "Place of safety, Oak Ward suite",
    LegalStatus.S135_1: "Home address",
    LegalStatus.S135_2: "Home address",
    LegalStatus.S5_2: "Willow Ward, Riverside Hospital",
    LegalStatus.S5_4: "Willow Ward, Riverside Hospital",
    LegalStatus.S4: "Emergency department, General Hospital",
    LegalStatus.S2: "Cedar Ward, Riverside Hospital",
    LegalStatus.S3: "Cedar Ward, Riverside Hospital",
    LegalStatus.INFORMAL_INPATIENT: "Birch Ward, Riverside Hospital",
    LegalStatus.COMMUNITY: "Home address",
    LegalStatus.POLICE_CUSTODY: "Central police station custody suite",
    LegalStatus.NR_REQUEST: "Home address",
}
# Relative demand by hour of day: a rise through the afternoon and a peak after 5pm (DOMAIN.md).
HOUR_WEIGHTS = [2, 1.5, 1, 1, 1, 1, 1.5, 2, 3, 5, 6, 6.5, 6.5, 7, 7.5, 8, 9, 10, 9.5, 8, 6.5, 5, 4, 3]
WEEKDAY_WEIGHTS = [1.15, 1.1, 1.1, 1.1, 1.1, 0.75, 0.7]  # Monday .. Sunday
# Legal situations of daytime and night-time referrals (s136 dominates the night).
DAY_STATUS_WEIGHTS: dict[LegalStatus, int] = {
    LegalStatus.COMMUNITY: 30,
    LegalStatus.INFORMAL_INPATIENT: 12,
    LegalStatus.S5_2: 10,
    LegalStatus.S5_4: 3,
    LegalStatus.S2: 10,
    LegalStatus.S136: 12,
    LegalStatus.S135_1: 4,
    LegalStatus.S135_2: 2,
    LegalStatus.S4: 2,
    LegalStatus.S3: 3,
    LegalStatus.POLICE_CUSTODY: 6,
    LegalStatus.NR_REQUEST: 6,
}
NIGHT_STATUS_WEIGHTS: dict[LegalStatus, int] = {
    **DAY_STATUS_WEIGHTS,
    LegalStatus.S136: 40,
    LegalStatus.COMMUNITY: 10,
    LegalStatus.POLICE_CUSTODY: 12,
    LegalStatus.NR_REQUEST: 1,
}


def _arrival_times(rng: random.Random, *, start: datetime, end: datetime, count: int) -> list[datetime]:
    """COUNT arrival instants in [START, END), shaped by hour of day and weekday."""
    days = max(1, (end.date() - start.date()).days)
    day_weights = [WEEKDAY_WEIGHTS[(start.date() + timedelta(days=d)).weekday()] for d in range(days)]
    chosen_days = rng.choices(range(days), weights=day_weights, k=count)
    hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
    times = []
    for d, h in zip(chosen_days, hours, strict=True):
        local_day = start.astimezone(LONDON).date() + timedelta(days=d)
        moment = datetime(local_day.year, local_day.month, local_day.day, h, rng.randint(0, 59), tzinfo=LONDON)
        times.append(min(moment, end - timedelta(minutes=1)))
    return sorted(times)


PERSON_COLUMNS = (
    "id",
    "service",
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "language",
    "interpreter_needed",
    "postcode",
    "gp_practice",
)


def _people(rng: random.Random, service: Service, count: int, nhs_numbers: Callable[[], str]) -> Iterator[tuple]:
    """COUNT people as rows for PERSON_COLUMNS."""
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    ethnicity = Weighted(ETHNICITY_WEIGHTS)
    for _ in range(count):
        yield (
            uuid.UUID(int=rng.getrandbits(128), version=4),
            service.pk,
            nhs_numbers() if rng.random() > 0.06 else "",
            rng.choice(GIVEN),
            rng.choice(FAMILY),
            date(rng.randint(1940, 2007), rng.randint(1, 12), rng.randint(1, 28)),
            rng.choice([Sex.FEMALE, Sex.MALE, Sex.MALE, Sex.FEMALE, Sex.OTHER]).value,
            ethnicity(rng),
            "English" if rng.random() > 0.1 else rng.choice(LANGUAGES),
            rng.random() < 0.05,
            f"AB{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}",
            f"{rng.choice(FAMILY)} Medical Centre",
        )


REFERRAL_COLUMNS = (
    "id",
    "reference",
    "service",
    "person",
    "status",
    "priority",
    "priority_rank",
    "legal_status",
    "legal_power_started_at",
    "location",
    "received_at",
    "statutory_expires_at",
    "deadline_rule",
    "due_at",
    "referrer_name",
    "referrer_role",
    "referrer_organisation",
    "reason",
    "risk_violence",
    "risk_weapons",
    "risk_children",
    "nearest_relative_name",
    "nearest_relative_relationship",
    "flags",
    "closed_at",
    "recorded_given_name",
    "recorded_family_name",
    "recorded_date_of_birth",
    "updated_at",
)
REFERRER_ROLES = [
    "Consultant psychiatrist",
    "GP",
    "Care coordinator",
    "Police sergeant",
    "Ward nurse",
    "Crisis team practitioner",
    "Nearest relative",
]
REFERRER_ORGANISATIONS = ["Riverside Hospital", "City CMHT", "Police", "Crisis team", "GP"]


def demo_reference(number: int, noise: int) -> str:
    """A reference in the hub's own format (R-XXXX-XXXX from REFERENCE_ALPHABET, so the search box reads it
    as one): NUMBER in five base-32 digits, unique up to 33 million, then three digits of NOISE."""
    size = len(REFERENCE_ALPHABET)
    digits = []
    for _ in range(5):
        number, digit = divmod(number, size)
        digits.append(REFERENCE_ALPHABET[digit])
    for _ in range(3):
        noise, digit = divmod(noise, size)
        digits.append(REFERENCE_ALPHABET[digit])
    body = "".join(digits[4::-1]) + "".join(digits[5:])
    return f"R-{body[:4]}-{body[4:]}"


TRIAGE_COLUMNS = ("referral", "decision", "priority", "reason", "decided_by", "decided_at")
# The triage decision behind each status a demo referral can be seeded in (new ones await triage).
TRIAGE_DECISIONS = {
    Status.ACCEPTED: TriageDecision.ACCEPT,
    Status.ASSESSED: TriageDecision.ACCEPT,
    Status.MORE_INFO: TriageDecision.MORE_INFO,
    Status.REDIRECTED: TriageDecision.REDIRECT,
    Status.CLOSED: TriageDecision.CLOSE,
}
TRIAGE_REASONS = {
    TriageDecision.ACCEPT: "Meets the threshold for a Mental Health Act assessment.",
    TriageDecision.MORE_INFO: "Need the current risk assessment and the nearest relative's details.",
    TriageDecision.REDIRECT: "Better met by the crisis team; referrer informed.",
    TriageDecision.CLOSE: "Referrer withdrew the request; no assessment needed.",
}


def seed_referrals(
    *,
    service: Service,
    rng: random.Random,
    now: datetime,
    total: int,
    open_count: int,
    progress: Callable[[str], None] = lambda s: None,
) -> dict[str, int]:
    """Create TOTAL referrals over the past year, the newest OPEN_COUNT of them still open.

    About one referral in six is a repeat of someone referred before. Closed referrals
    are mostly assessed; some were redirected or closed at triage.
    """
    margin = timedelta(hours=settings.STATUTORY_SAFETY_MARGIN_HOURS)
    targets = {band: timedelta(hours=h) for band, h in settings.PRIORITY_TARGET_HOURS.items()}
    seen_numbers: set[str] = set(Person.objects.filter(service=service).values_list("nhs_number", flat=True))

    def unique_nhs() -> str:
        while True:
            number = generate_nhs_number(rng)
            if number not in seen_numbers:
                seen_numbers.add(number)
                return number

    distinct_people = max(1, int(total * 0.83))
    # (id, nhs_number, family_name, given_name, date_of_birth) of each person: all a referral needs of them.
    people: list[tuple[uuid.UUID, str, str, str, date]] = []

    def kept(rows: Iterator[tuple]) -> Iterator[tuple]:
        for row in rows:
            people.append((row[0], row[2], row[4], row[3], row[5]))
            yield row

    copy_rows(Person, PERSON_COLUMNS, kept(_people(rng, service, distinct_people, unique_nhs)))
    progress(f"{len(people)} people")

    # Open referrals arrive over the last few days (the queue now); closed ones over the year before.
    open_window = timedelta(hours=18) if open_count <= 200 else timedelta(days=30)
    closed_times = _arrival_times(rng, start=now - timedelta(days=365), end=now - open_window, count=total - open_count)
    open_times = _arrival_times(rng, start=now - open_window, end=now, count=open_count)
    counts = {"referrals": 0, "open": 0, "triage_records": 0}
    # References stay unique when a service is seeded more than once: number on from what it has.
    first_index = Referral.objects.filter(service=service).count()
    last_seen: dict[int, datetime] = {}
    # Every referral past triage carries the decision that put it there, made by the service's desk.
    triager = (
        StaffProfile.objects.filter(service=service, role__in=[Role.CONSULTANT, Role.MANAGER])
        .order_by("role", "user__username")
        .values_list("user_id", flat=True)
        .first()
    )
    triage: list[tuple] = []
    repeat_window = timedelta(days=settings.REPEAT_REFERRAL_DAYS)
    open_choices = [Status.NEW, Status.NEW, Status.ACCEPTED, Status.ACCEPTED, Status.MORE_INFO]
    queue_values = {str(s) for s in QUEUE_STATUSES}
    intake_deadline, priority_of, due_of = deadlines.intake_deadline, clocks.default_priority, clocks.due_at
    night_status, day_status = Weighted(NIGHT_STATUS_WEIGHTS), Weighted(DAY_STATUS_WEIGHTS)
    closed_status = Weighted({Status.ASSESSED: 80, Status.REDIRECTED: 12, Status.CLOSED: 8})

    def referrals() -> Iterator[tuple]:
        for index, received in enumerate([*closed_times, *open_times]):
            is_open = index >= len(closed_times)
            person_index = rng.randrange(len(people)) if index >= distinct_people or rng.random() < 0.17 else index
            person_index = min(person_index, len(people) - 1)
            person_id, nhs_number, family_name, given_name, born = people[person_index]
            hour = received.astimezone(LONDON).hour
            legal = (night_status if hour >= 20 or hour < 8 else day_status)(rng)
            started = received - timedelta(minutes=rng.randint(10, 240)) if legal in clocks.CLOCKED_STATUSES else None
            if legal in (LegalStatus.S2, LegalStatus.S3):
                started = received - timedelta(days=rng.randint(5, 27))
            watched = intake_deadline(legal, started, now=now)
            expiry = watched.due_at if watched else None
            priority = priority_of(legal, statutory_expires_at=expiry, now=received)
            flags: list[str] = []
            previous = last_seen.get(person_index)
            if previous is not None and received - previous <= repeat_window:
                flags.append(str(Flag.REPEAT))
            last_seen[person_index] = received
            if not nhs_number:
                flags.append(str(Flag.MISSING_NHS_NUMBER))
            nr = rng.random() > 0.2
            if not nr:
                flags.append(str(Flag.MISSING_NEAREST_RELATIVE))
            violence = rng.random() < 0.15
            if violence:
                flags.append(str(Flag.RISK_VIOLENCE))
            if is_open:
                status = rng.choice(open_choices)
                closed_at = None
            else:
                status = closed_status(rng)
                closed_at = received + timedelta(hours=rng.uniform(2, 30))
            counts["open"] += int(status in queue_values)
            referral_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            decision = TRIAGE_DECISIONS.get(status)
            # When the referral last changed (its updated_at): closed, else triaged, else received. A year of
            # history seeded in minutes must not all look changed just now to the jobs that look for changes.
            last_changed = min(closed_at or received, now)
            if decision is not None and triager is not None:
                decided_at = min(received + timedelta(minutes=15), closed_at or now, now)
                last_changed = max(last_changed, decided_at)
                priority_given = str(priority) if decision == TriageDecision.ACCEPT else ""
                triage.append(
                    (referral_id, str(decision), priority_given, TRIAGE_REASONS[decision], triager, decided_at)
                )
            yield (
                referral_id,
                demo_reference(first_index + index, rng.getrandbits(16)),
                service.pk,
                person_id,
                str(status),
                str(priority),
                PRIORITY_RANK[priority],
                str(legal),
                started,
                PLACES[legal],
                received,
                expiry,
                watched.rule if watched else "",
                due_of(
                    received_at=received,
                    priority=priority,
                    statutory_expires_at=expiry,
                    safety_margin=margin,
                    targets=targets,
                ),
                f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                rng.choice(REFERRER_ROLES),
                rng.choice(REFERRER_ORGANISATIONS),
                "Deterioration in mental state; concerns for safety.",
                violence,
                violence and rng.random() < 0.2,
                rng.random() < 0.1,
                f"{rng.choice(GIVEN)} {family_name}" if nr else "",
                "Parent" if nr else "",
                flags,
                closed_at,
                # The person's details as recorded on the referral (Referral.record_person).
                given_name,
                family_name,
                born,
                last_changed,
            )
            if index % 50_000 == 49_999:
                progress(f"{index + 1} referrals")

    counts["referrals"] = copy_rows(Referral, REFERRAL_COLUMNS, referrals())
    counts["triage_records"] = copy_rows(TriageRecord, TRIAGE_COLUMNS, triage)
    counts["people"] = len(people)
    return counts
