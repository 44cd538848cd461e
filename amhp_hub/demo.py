"""Believable demo data for a whole service (DESIGN.md section 6), scaled up for benchmarks.

Each app seeds its own part (rota: staff, shifts and the doctor directory; referrals: a year of
referrals; assessments: their assessments and the requests logged on them; dashboards:
population figures); this puts them together.
Everything is drawn from seeded random generators, so the same seed gives the same service.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from amhp_hub.common.bulk import deferred_indexes
from amhp_hub.common.zone import LONDON
from assessments.demo_records import seed_assessments
from assessments.demo_requests import seed_requests
from assessments.models import Assessment, CaseRequest, Doctor, TimelineEvent
from dashboards.demo import seed_population
from referrals.demo import seed_referrals
from referrals.models import Person, Referral, TriageRecord
from rota.demo import seed_doctors, seed_rota, seed_staff
from rota.models import Service, WorkedPeriod, WorkedSpan

# The authenticator secret of every demo user: for demo data only, printed by seed_demo and ./hub run.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclass
class DemoResult:
    service: Service
    credentials: list[tuple[str, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


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
    directory = seed_doctors(service=service, rng=random.Random(f"doctors-{seed}"), today=now.astimezone(LONDON).date())
    progress("staff, rota and doctor directory")
    total = 2000 * scale
    # Every table the seeding fills in bulk: their foreign keys are checked once at the end, not row by row.
    bulk = (Person, Referral, TriageRecord, Assessment, TimelineEvent, Doctor, CaseRequest, WorkedPeriod, WorkedSpan)
    with deferred_indexes(*bulk) as deferred:
        result.counts = seed_referrals(
            service=service,
            rng=rng,
            now=now,
            total=total,
            open_count=min(total, open_count or 30 * scale),
            progress=progress,
        )
        result.counts["assessments"] = seed_assessments(service=service, rng=rng, now=now, progress=progress)
        # Own streams, like the rota's: the referrals and assessments stay as they were before these existed.
        result.counts["requests"] = seed_requests(
            service=service, rng=random.Random(f"requests-{seed}"), now=now, progress=progress
        )
        progress("assessments and requests" + (", rebuilding indexes" if deferred else ""))
    result.counts["doctors"] = len(directory)
    return result
