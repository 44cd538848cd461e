"""Fixtures for the background jobs: referrals and assessments made directly through the ORM."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from assessments.models import Assessment, AssessmentStatus
from referrals.models import Person, Referral
from rota.models import Service, StaffProfile

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
_refs = itertools.count(1)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def person_in(db: Any) -> Callable[[Service], Person]:
    def make(service: Service) -> Person:
        return Person.objects.create(service=service, given_name="Sam", family_name="Case")

    return make


@pytest.fixture
def referral_row(person_in: Callable[[Service], Person]) -> Callable[..., Referral]:
    """An open referral row; pass due_at, statutory_expires_at, status... to shape it."""

    def make(service: Service, **fields: Any) -> Referral:
        values: dict[str, Any] = {
            "reference": f"R{next(_refs):06d}",
            "status": "accepted",
            "received_at": NOW - timedelta(hours=6),
            "due_at": NOW + timedelta(hours=12),
            "statutory_expires_at": None,
        }
        values.update(fields)
        return Referral.objects.create(service=service, person=person_in(service), **values)

    return make


@pytest.fixture
def assessment_row(referral_row: Callable[..., Referral]) -> Callable[..., Assessment]:
    """An assessment row for AMHP on a new allocated referral; pass status, shift_ends_at... to shape it."""

    def make(amhp: StaffProfile, *, referral: Referral | None = None, **fields: Any) -> Assessment:
        referral = referral or referral_row(amhp.service, status="allocated")
        values: dict[str, Any] = {
            "status": AssessmentStatus.ACCEPTED,
            "allocated_at": NOW - timedelta(hours=3),
            "shift_ends_at": NOW + timedelta(hours=3),
        }
        values.update(fields)
        return Assessment.objects.create(
            service=amhp.service, referral=referral, amhp=amhp, allocated_by=amhp.user, **values
        )

    return make
