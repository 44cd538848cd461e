"""Builders for hand-made dashboard data: rows written straight through the ORM."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from assessments.models import Assessment
from referrals.models import Person, Referral
from rota.models import Service, Shift, ShiftType, StaffProfile

_refs = itertools.count(1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """These tests create many staff and never sign in with a password: hash quickly."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_person(db: Any) -> Callable[..., Person]:
    def make(service: Service, *, ethnicity: str = "A", **fields: Any) -> Person:
        return Person.objects.create(
            service=service, given_name="Pat", family_name=f"Person{next(_refs)}", ethnicity=ethnicity, **fields
        )

    return make


@pytest.fixture
def add_referral(make_person: Callable[..., Person]) -> Callable[..., Referral]:
    def make(service: Service, received_at: datetime, *, person: Person | None = None, **fields: Any) -> Referral:
        fields.setdefault("status", "accepted")
        fields.setdefault("legal_status", "community")
        return Referral.objects.create(
            service=service,
            person=person or make_person(service, ethnicity=fields.pop("ethnicity", "A")),
            reference=f"T-{next(_refs)}",
            received_at=received_at,
            **fields,
        )

    return make


@pytest.fixture
def add_assessment(add_referral: Callable[..., Referral]) -> Callable[..., Assessment]:
    def make(
        amhp: StaffProfile, *, referral: Referral | None = None, allocated_at: datetime | None = None, **fields: Any
    ) -> Assessment:
        received = fields.pop("received_at", None)
        if referral is None:
            referral = add_referral(amhp.service, received or allocated_at, status="allocated")
        fields.setdefault("status", "accepted")
        return Assessment.objects.create(
            service=amhp.service,
            referral=referral,
            amhp=amhp,
            allocated_at=allocated_at or referral.received_at,
            allocated_by=amhp.user,
            **fields,
        )

    return make


@pytest.fixture
def add_shift(db: Any) -> Callable[..., Shift]:
    def make(staff: StaffProfile, starts_at: datetime, hours: float, **fields: Any) -> Shift:
        shift_type, _ = ShiftType.objects.get_or_create(
            service=staff.service, code="day", defaults={"name": "Day", "start_time": time(9), "end_time": time(17)}
        )
        return Shift.objects.create(
            service=staff.service,
            shift_type=shift_type,
            staff=staff,
            day=starts_at.date(),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=hours),
            **fields,
        )

    return make
