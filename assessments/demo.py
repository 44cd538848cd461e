"""Believable demo data for a whole service (DESIGN.md section 6), scaled up for benchmarks.

Everything is drawn from one seeded random generator, so the same seed gives the same
service. Referrals are written with bulk_create in batches: a million rows is minutes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assessments.demo_records import seed_assessments
from dashboards.demo import seed_population
from referrals import clocks
from referrals.constants import PRIORITY_RANK, QUEUE_STATUSES, Ethnicity, Flag, LegalStatus, Sex, Status
from referrals.models import Person, Referral
from referrals.nhs_number import generate_nhs_number
from rota.demo import seed_rota
from rota.models import Role, Service
from rota.services import staff_create

LONDON = ZoneInfo("Europe/London")
BATCH = 5000

GIVEN = [
    "Amira",
    "Ben",
    "Chloe",
    "Dariusz",
    "Ebony",
    "Faisal",
    "Grace",
    "Hassan",
    "Isla",
    "Jamal",
    "Kasia",
    "Liam",
    "Maya",
    "Nathan",
    "Olu",
    "Priya",
    "Qasim",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Victor",
    "Wendy",
    "Xavier",
    "Yasmin",
    "Zack",
    "Aoife",
    "Bogdan",
    "Chidi",
    "Deepa",
]
FAMILY = [
    "Adeyemi",
    "Brown",
    "Chowdhury",
    "Davies",
    "Evans",
    "Fernandes",
    "Green",
    "Hussain",
    "Iqbal",
    "Jones",
    "Kowalski",
    "Lewis",
    "Mensah",
    "Nowak",
    "Okafor",
    "Patel",
    "Quinn",
    "Roberts",
    "Smith",
    "Taylor",
    "Usman",
    "Visser",
    "Williams",
    "Xu",
    "Young",
    "Zielinski",
    "Ahmed",
    "Begum",
    "Campbell",
    "Murphy",
]
LOCALITIES = ["North", "South", "East", "West", "City"]
LANGUAGES = ["Polish", "Urdu", "Punjabi", "Bengali", "Somali", "Romanian", "Arabic", "Portuguese"]
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
DAY_STATUS_WEIGHTS = {
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
NIGHT_STATUS_WEIGHTS = {
    **DAY_STATUS_WEIGHTS,
    LegalStatus.S136: 40,
    LegalStatus.COMMUNITY: 10,
    LegalStatus.POLICE_CUSTODY: 12,
    LegalStatus.NR_REQUEST: 1,
}
# Share of each NHS ethnic category among people referred (broadly an English city's mix,
# with the over-representation of Black people that detention statistics show).
ETHNICITY_WEIGHTS = {
    "A": 58,
    "B": 1,
    "C": 6,
    "D": 2,
    "E": 1,
    "F": 1,
    "G": 1,
    "H": 4,
    "J": 4,
    "K": 2,
    "L": 2,
    "M": 5,
    "N": 5,
    "P": 2,
    "R": 1,
    "S": 2,
    "Z": 2,
    "99": 1,
}
DEMO_PASSWORD = "amhp-demo-2026"  # noqa: S105 - demo accounts only, printed by seed_demo


@dataclass
class DemoResult:
    service: Service
    credentials: list[tuple[str, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _choice(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def seed_staff(*, service: Service, rng: random.Random, today: date, amhps: int = 30) -> list[tuple[str, str, str]]:
    """Create the consultants, managers and AMHPs of SERVICE; return (role, username, password)."""
    credentials: list[tuple[str, str, str]] = []
    fixed = [
        ("consultant", "consultant", "Cara", "Consultant"),
        ("consultant", "consultant2", "Colin", "Patel"),
        ("manager", "manager", "Maggie", "Manager"),
    ]
    for role, username, first, last in fixed:
        staff_create(
            username=username,
            service=service,
            role=role,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
            check_password=False,
        )
        credentials.append((role, username, DEMO_PASSWORD))
    for i in range(1, amhps + 1):
        username = "amhp" if i == 1 else f"amhp{i}"
        first, last = GIVEN[(i * 7) % len(GIVEN)], FAMILY[(i * 11) % len(FAMILY)]
        # A few warrants expiring within 90 days, a few people near retirement, some part-timers.
        warrant = today + timedelta(days=rng.randint(20, 85) if i % 8 == 0 else rng.randint(120, 5 * 365))
        age = rng.randint(56, 59) if i % 6 == 0 else rng.randint(30, 54)
        dob = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        staff_create(
            username=username,
            service=service,
            role=Role.AMHP,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
            check_password=False,
            warrant_expires_on=warrant,
            date_of_birth=dob,
            contracted_hours=22.5 if i % 5 == 0 else 37,
            locality=LOCALITIES[i % len(LOCALITIES)],
            languages=[LANGUAGES[i % len(LANGUAGES)]] if i % 4 == 0 else [],
            ethnicity=_choice(rng, ETHNICITY_WEIGHTS),
        )
        if i <= 3:
            credentials.append(("amhp", username, DEMO_PASSWORD))
    return credentials


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


def _people(rng: random.Random, service: Service, count: int, nhs_numbers: Callable[[], str]) -> Iterator[Person]:
    for _ in range(count):
        yield Person(
            service=service,
            nhs_number=nhs_numbers() if rng.random() > 0.06 else "",
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(FAMILY),
            date_of_birth=date(rng.randint(1940, 2007), rng.randint(1, 12), rng.randint(1, 28)),
            sex=rng.choice([Sex.FEMALE, Sex.MALE, Sex.MALE, Sex.FEMALE, Sex.OTHER]),
            ethnicity=_choice(rng, ETHNICITY_WEIGHTS),
            language="English" if rng.random() > 0.1 else rng.choice(LANGUAGES),
            interpreter_needed=rng.random() < 0.05,
            postcode=f"AB{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            gp_practice=f"{rng.choice(FAMILY)} Medical Centre",
        )


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
    people: list[Person] = []
    for batch_start in range(0, distinct_people, BATCH):
        size = min(BATCH, distinct_people - batch_start)
        created = Person.objects.bulk_create(list(_people(rng, service, size, unique_nhs)))
        people.extend(created)
    progress(f"{len(people)} people")

    # Open referrals arrive over the last few days (the queue now); closed ones over the year before.
    open_window = timedelta(hours=18) if open_count <= 200 else timedelta(days=30)
    closed_times = _arrival_times(rng, start=now - timedelta(days=365), end=now - open_window, count=total - open_count)
    open_times = _arrival_times(rng, start=now - open_window, end=now, count=open_count)
    counts = {"referrals": 0, "open": 0}
    last_seen: dict[int, datetime] = {}
    batch: list[Referral] = []
    for index, received in enumerate([*closed_times, *open_times]):
        is_open = index >= len(closed_times)
        person_index = rng.randrange(len(people)) if index >= distinct_people or rng.random() < 0.17 else index
        person_index = min(person_index, len(people) - 1)
        person = people[person_index]
        night = received.astimezone(LONDON).hour >= 20 or received.astimezone(LONDON).hour < 8
        legal = _choice(rng, NIGHT_STATUS_WEIGHTS if night else DAY_STATUS_WEIGHTS)
        started = received - timedelta(minutes=rng.randint(10, 240)) if legal in clocks.CLOCKED_STATUSES else None
        if legal in (LegalStatus.S2, LegalStatus.S3):
            started = received - timedelta(days=rng.randint(5, 27))
        expiry = clocks.statutory_expiry(legal, started)
        priority = clocks.default_priority(legal, statutory_expires_at=expiry, now=received)
        flags: list[str] = []
        previous = last_seen.get(person_index)
        if previous is not None and received - previous <= timedelta(days=settings.REPEAT_REFERRAL_DAYS):
            flags.append(Flag.REPEAT)
        last_seen[person_index] = received
        if not person.nhs_number:
            flags.append(Flag.MISSING_NHS_NUMBER)
        nr = rng.random() > 0.2
        if not nr:
            flags.append(Flag.MISSING_NEAREST_RELATIVE)
        violence = rng.random() < 0.15
        if violence:
            flags.append(Flag.RISK_VIOLENCE)
        if is_open:
            status = rng.choice([Status.NEW, Status.NEW, Status.ACCEPTED, Status.ACCEPTED, Status.MORE_INFO])
            closed_at = None
        else:
            status = rng.choices([Status.ASSESSED, Status.REDIRECTED, Status.CLOSED], weights=[80, 12, 8])[0]
            closed_at = received + timedelta(hours=rng.uniform(2, 30))
        batch.append(
            Referral(
                reference=f"R-{index:04X}-{rng.getrandbits(16):04X}"[:20],
                service=service,
                person=person,
                status=status,
                priority=priority,
                priority_rank=PRIORITY_RANK[priority],
                legal_status=legal,
                legal_power_started_at=started,
                location=PLACES[LegalStatus(legal)],
                received_at=received,
                statutory_expires_at=expiry,
                due_at=clocks.due_at(
                    received_at=received,
                    priority=priority,
                    statutory_expires_at=expiry,
                    safety_margin=margin,
                    targets=targets,
                ),
                referrer_name=f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                referrer_role=rng.choice(
                    [
                        "Consultant psychiatrist",
                        "GP",
                        "Care coordinator",
                        "Police sergeant",
                        "Ward nurse",
                        "Crisis team practitioner",
                        "Nearest relative",
                    ]
                ),
                referrer_organisation=rng.choice(["Riverside Hospital", "City CMHT", "Police", "Crisis team", "GP"]),
                reason="Deterioration in mental state; concerns for safety.",
                risk_violence=violence,
                risk_weapons=violence and rng.random() < 0.2,
                risk_children=rng.random() < 0.1,
                nearest_relative_name=f"{rng.choice(GIVEN)} {person.family_name}" if nr else "",
                nearest_relative_relationship="Parent" if nr else "",
                flags=[str(f) for f in flags],
                closed_at=closed_at,
            )
        )
        if len(batch) >= BATCH:
            Referral.objects.bulk_create(batch)
            counts["referrals"] += len(batch)
            batch = []
            progress(f"{counts['referrals']} referrals")
        counts["open"] += int(status in QUEUE_STATUSES)
    if batch:
        Referral.objects.bulk_create(batch)
        counts["referrals"] += len(batch)
    counts["people"] = len(people)
    return counts


@transaction.atomic
def seed_demo(
    *,
    service_name: str = "Riverside AMHP Hub",
    scale: int = 1,
    open_count: int | None = None,
    seed: int = 1,
    now: datetime | None = None,
    progress: Callable[[str], None] = lambda s: None,
) -> DemoResult:
    """Build a whole demo service; SCALE multiplies the year of referrals (2,000 at scale 1)."""
    now = now or timezone.now()
    rng = random.Random(seed)
    service = Service.objects.create(name=service_name, slug=service_name.lower().replace(" ", "-")[:120])
    result = DemoResult(service=service)
    result.credentials = seed_staff(service=service, rng=rng, today=now.astimezone(LONDON).date())
    seed_rota(service=service, rng=random.Random(f"rota-{seed}"), now=now)  # own stream: referrals stay as they were
    seed_population(service=service)
    total = 2000 * scale
    result.counts = seed_referrals(
        service=service,
        rng=rng,
        now=now,
        total=total,
        open_count=min(total, open_count or 30 * scale),
        progress=progress,
    )
    result.counts["assessments"] = seed_assessments(service=service, rng=rng, now=now)
    return result


__all__ = ["DemoResult", "seed_demo", "seed_referrals", "seed_staff", "Ethnicity"]
