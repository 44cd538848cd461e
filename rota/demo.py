"""Demo rota for a service: shift types, staggered patterns, two months of shifts back and one ahead, leave, swaps.

Built through the services (so the same rules and audit apply), with patterns applied in bulk.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Hashable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Generic, TypeVar

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError

from amhp_hub.common.errors import ConflictError
from rota import services
from rota.bank_holidays import is_bank_holiday
from rota.models import DirectoryDoctor, LeaveKind, Role, Service, Shift, ShiftKind, ShiftType, StaffProfile
from rota.shift_times import local_instant, shift_bounds
from rota.timefmt import LONDON

# code, name, kind, start, end, required cover, weekdays only
SHIFT_TYPES = [
    ("early", "Early", ShiftKind.EARLY, time(8), time(16), 1, False),
    ("day", "Day", ShiftKind.DAY, time(9), time(17), 3, True),
    ("late", "Late", ShiftKind.LATE, time(12), time(20), 2, False),
    ("night", "EDT night", ShiftKind.NIGHT, time(17), time(9), 2, False),
]
HOURS = {"early": 8, "day": 8, "late": 8, "night": 16}
CYCLE_DAYS = 14


def _slots(anchor: date) -> list[tuple[int, str]]:
    """The cover a fortnight needs, as (day offset, shift code), nights first so they are spread out."""
    slots: list[tuple[int, str]] = []
    for code in ("night", "early", "late", "day"):
        for offset in range(CYCLE_DAYS):
            weekend = (anchor + timedelta(days=offset)).weekday() >= 5
            needed = {"night": 2, "early": 1, "late": 2, "day": 0 if weekend else 3}[code]
            slots += [(offset, code)] * needed
    return slots


def _free(cycle: list[str | None], offset: int, code: str) -> bool:
    """Whether a cycle can take CODE on day OFFSET: the day is off, and a night is followed by a day off.

    The cycle repeats, so its last day is followed by its first.
    """
    before = cycle[(offset - 1) % CYCLE_DAYS]
    after = cycle[(offset + 1) % CYCLE_DAYS]
    return cycle[offset] is None and before != "night" and not (code == "night" and after is not None)


def _cycles(amhps: list[StaffProfile], anchor: date, rng: random.Random) -> dict[object, list[str | None]]:
    """Share a fortnight's cover among AMHPs, least loaded (for their hours) first, with rest after nights."""
    cycles: dict[object, list[str | None]] = {p.pk: [None] * CYCLE_DAYS for p in amhps}
    load: dict[object, float] = dict.fromkeys(cycles, 0.0)
    order = list(amhps)
    rng.shuffle(order)
    for offset, code in _slots(anchor):
        candidates = [p for p in order if _free(cycles[p.pk], offset, code)]
        if not candidates:
            continue
        chosen = min(candidates, key=lambda p: load[p.pk] / float(p.contracted_hours))
        cycles[chosen.pk][offset] = code
        load[chosen.pk] += HOURS[code]
    return cycles


def _put_on_duty(person: StaffProfile, types: Iterable[ShiftType], now: datetime) -> None:
    """Place PERSON on a shift that covers NOW unless they already work one (the rota's own rules apply)."""
    if Shift.objects.filter(staff=person, cancelled_at__isnull=True, starts_at__lte=now, ends_at__gt=now).exists():
        return
    today = now.astimezone(LONDON).date()
    for shift_type in types:
        for day in (today, today - timedelta(days=1)):
            starts, ends = shift_bounds(day, shift_type.start_time, shift_type.end_time)
            if not starts <= now < ends or (shift_type.weekdays_only and (day.weekday() >= 5 or is_bank_holiday(day))):
                continue
            try:
                services.shift_place(actor=None, staff=person, shift_type=shift_type, day=day)
            except (ValidationError, ConflictError):
                continue
            return


def seed_rota(*, service: Service, rng: random.Random, now: datetime) -> dict[str, int]:
    """Create the service's shift types, a pattern per AMHP and the shifts a month either side of NOW."""
    today = now.astimezone(LONDON).date()
    anchor = today - timedelta(days=today.weekday() + 35)  # a Monday five weeks back
    types = {
        code: services.shift_type_create(
            actor=None,
            service=service,
            code=code,
            name=name,
            kind=kind,
            start_time=start,
            end_time=end,
            required_cover=cover,
            weekdays_only=weekdays_only,
        )
        for code, name, kind, start, end, cover, weekdays_only in SHIFT_TYPES
    }
    amhps = list(
        StaffProfile.objects.filter(service=service, role=Role.AMHP).select_related("user").order_by("user__username")
    )
    # The AMHPs whose sign-ins seed_demo prints (amhp, amhp2, amhp3) are on duty now, to show their work.
    sign_ins = sorted(amhps, key=lambda p: (len(p.user.username), p.user.username))[:3]
    # Leave first, so the patterns skip those days and the gaps show on the rota.
    leave = 0
    others = [p for p in amhps if p not in sign_ins]
    for person in rng.sample(others, k=min(4, len(others))):
        first = today + timedelta(days=rng.randint(-20, 20))
        services.leave_record(
            actor=None,
            staff=person,
            kind=LeaveKind.ANNUAL,
            starts_at=local_instant(first, time(0)),
            ends_at=local_instant(first + timedelta(days=rng.randint(3, 7)), time(0)),
            note="Annual leave",
        )
        leave += 1
    cycles = _cycles(amhps, anchor, rng)
    # Two months back, so a past month of work can be replayed against the rota it was done on.
    start, end = today - timedelta(days=62), today + timedelta(days=31)
    shifts = 0
    for person in amhps:
        cycle = cycles[person.pk]
        if all(code is None for code in cycle):
            continue
        pattern = services.pattern_create(
            actor=None, staff=person, name=f"Fortnight for {person.display_name}", cycle=cycle, starts_on=anchor
        )
        shifts += len(services.pattern_apply(actor=None, pattern=pattern, start=start, end=end).created)
    # A sickness absence recorded after the rota was built: it blocks duty on shifts already placed.
    if amhps:
        services.leave_record(
            actor=None,
            staff=amhps[-1],
            kind=LeaveKind.SICK,
            starts_at=local_instant(today + timedelta(days=2), time(0)),
            ends_at=local_instant(today + timedelta(days=4), time(0)),
            note="Off sick",
        )
        leave += 1
    for person in sign_ins:
        _put_on_duty(person, types.values(), now)
    swaps = 0
    future = list(
        Shift.objects.filter(service=service, cancelled_at__isnull=True, starts_at__gt=now + timedelta(days=3))
        .select_related("staff__user", "shift_type")
        .order_by("starts_at")[:40]
    )
    for shift in rng.sample(future, k=min(2, len(future))):
        colleague = next((p for p in amhps if p.pk != shift.staff_id), None)
        if colleague is None:
            continue
        services.swap_request_create(
            actor=shift.staff.user,
            shift=shift,
            proposed_staff=colleague,
            reason="Hospital appointment; they have agreed to cover.",
            now=now,
        )
        swaps += 1
    return {"shift_types": len(types), "patterns": len(cycles), "shifts": shifts, "leave": leave, "swaps": swaps}


# --- Staff ------------------------------------------------------------------------------

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


K = TypeVar("K", bound=Hashable)


class Weighted(Generic[K]):
    """A weighted choice among the keys of WEIGHTS, drawn exactly as ``rng.choices(keys, weights)[0]`` draws it
    (one ``rng.random()``, the same key for the same stream), with the cumulative weights summed once, not on
    every draw: the demo draws millions."""

    def __init__(self, weights: Mapping[K, float]) -> None:
        self.keys = list(weights)
        self.cumulative = list(accumulate(weights[k] for k in self.keys))
        self.total = self.cumulative[-1] + 0.0
        self.last = len(self.keys) - 1

    def __call__(self, rng: random.Random) -> K:
        return self.keys[bisect(self.cumulative, rng.random() * self.total, 0, self.last)]


def choose_weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    return Weighted(weights)(rng)


def seed_staff(*, service: Service, rng: random.Random, today: date, amhps: int = 30) -> list[tuple[str, str, str]]:
    """Create the consultants, managers and AMHPs of SERVICE; return (role, username, password)."""
    credentials: list[tuple[str, str, str]] = []
    hashed = make_password(DEMO_PASSWORD)  # one hash for every demo account: hashing is slow by design
    # The demo people's postcodes run AB1 to AB20: four districts to each locality.
    service.postcode_localities = {f"AB{n}": LOCALITIES[(n - 1) // 4] for n in range(1, 21)}
    service.save(update_fields=["postcode_localities"])
    fixed = [
        ("consultant", "consultant", "Cara", "Consultant"),
        ("consultant", "consultant2", "Colin", "Patel"),
        ("manager", "manager", "Maggie", "Manager"),
    ]
    for role, username, first, last in fixed:
        services.staff_create(
            username=username,
            service=service,
            role=role,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
            check_password=False,
            password_hash=hashed,
        )
        credentials.append((role, username, DEMO_PASSWORD))
    for i in range(1, amhps + 1):
        username = "amhp" if i == 1 else f"amhp{i}"
        first, last = GIVEN[(i * 7) % len(GIVEN)], FAMILY[(i * 11) % len(FAMILY)]
        # A few warrants expiring within 90 days, a few people near retirement, some part-timers.
        warrant = today + timedelta(days=rng.randint(20, 85) if i % 8 == 0 else rng.randint(120, 5 * 365))
        age = rng.randint(56, 59) if i % 6 == 0 else rng.randint(30, 54)
        dob = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        services.staff_create(
            username=username,
            service=service,
            role=Role.AMHP,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
            check_password=False,
            password_hash=hashed,
            warrant_expires_on=warrant,
            date_of_birth=dob,
            contracted_hours=22.5 if i % 5 == 0 else 37,
            locality=LOCALITIES[i % len(LOCALITIES)],
            languages=[LANGUAGES[i % len(LANGUAGES)]] if i % 4 == 0 else [],
            ethnicity=choose_weighted(rng, ETHNICITY_WEIGHTS),
        )
        if i <= 3:
            credentials.append(("amhp", username, DEMO_PASSWORD))
    return credentials


# --- The doctor directory -----------------------------------------------------------------

DOCTOR_GIVEN = ["Amara", "Tomasz", "Farah", "Sean", "Grace", "Imran", "Helen", "Kwame", "Li", "Rhys", "Priya"]
DOCTOR_FAMILY = [
    "Okafor",
    "Green",
    "Iqbal",
    "Murphy",
    "Kowalski",
    "Mensah",
    "Evans",
    "Xu",
    "Chaudhry",
    "O'Neill",
    "Nwosu",
    "Hughes",
    "Sandhu",
    "Novak",
    "Begum",
    "Fletcher",
]
# Availability patterns as doctors give them for the s12 register: weekday 0 (Monday) to 6.
_WEEKDAYS, _WEEKEND = range(5), (5, 6)
DOCTOR_PATTERNS = {
    "in_hours": [(d, "09:00", "17:00") for d in _WEEKDAYS],
    "evenings": [(d, "17:00", "22:00") for d in _WEEKDAYS],
    "nights": [(d, "20:00", "09:00") for d in range(7)],
    "weekends": [(d, "09:00", "21:00") for d in _WEEKEND],
    "lunchtimes": [(d, "12:00", "14:00") for d in _WEEKDAYS],
}
FIXED_PATTERNS = {0: ["nights"], 1: ["evenings", "weekends"], 3: ["in_hours"]}
DOCTOR_LANGUAGES = ["Polish", "Urdu", "Punjabi", "Bengali", "Yoruba", "Mandarin", "Welsh", "Irish"]


def seed_doctors(*, service: Service, rng: random.Random, today: date, count: int = 16) -> list[DirectoryDoctor]:
    """Create SERVICE's directory of doctors in one INSERT; return them.

    Most are s12 approved, with approvals ending one to five years ahead; a few end within the
    next two months and one ended last month (so the directory shows it out of date); two are GPs
    without s12 approval, who can be the second doctor. Each gives one to three availability
    patterns (in hours, evenings, nights, weekends, lunchtimes); three in date between them cover
    every hour of the week (nights 20:00-09:00 daily; weekday evenings and weekends; in hours).
    GMC numbers are seven digits, distinct within the service.
    """
    gmc_numbers = rng.sample(range(3_000_000, 7_999_999), count)
    doctors = []
    for i in range(count):
        family = DOCTOR_FAMILY[i % len(DOCTOR_FAMILY)]
        given = DOCTOR_GIVEN[(i * 5) % len(DOCTOR_GIVEN)]
        gp = i in (4, 11)
        if gp:
            expires: date | None = None
        elif i == 6:
            expires = today - timedelta(days=rng.randint(10, 40))  # lapsed: shown as out of date
        elif i % 5 == 2:
            expires = today + timedelta(days=rng.randint(5, 60))  # due for renewal soon
        else:
            expires = today + timedelta(days=rng.randint(365, 5 * 365))
        if gp:
            patterns = ["in_hours"]
        elif i in FIXED_PATTERNS:  # between them, some s12 doctor in date is likely free at every hour of the week
            patterns = FIXED_PATTERNS[i]
        else:
            patterns = rng.sample(sorted(DOCTOR_PATTERNS), k=rng.choice([1, 2, 2, 3]))
        windows = sorted(w for p in patterns for w in DOCTOR_PATTERNS[p])
        doctors.append(
            DirectoryDoctor(
                service=service,
                name=f"Dr {given} {family}",
                gmc_number=str(gmc_numbers[i]),
                s12_approved=not gp,
                s12_approval_expires_on=expires,
                languages=rng.sample(DOCTOR_LANGUAGES, k=1) if i % 3 == 0 else [],
                areas=sorted(rng.sample(LOCALITIES, k=rng.randint(1, 3))),
                availability=[{"weekday": d, "start": s, "end": e} for d, s, e in windows],
                phone=f"07700 900{100 + i * 37:03d}",  # Ofcom's numbers set aside for drama
                email=f"{given.lower()}.{family.lower().replace(chr(39), '')}@nhs.example.org",
            )
        )
    return DirectoryDoctor.objects.bulk_create(doctors)
