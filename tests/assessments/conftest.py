"""Fixtures for allocation and the assessment record: shifts placed directly on the rota."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import Assessment
from referrals.models import Referral
from rota.models import Service, Shift, ShiftType, StaffProfile
from rota.timefmt import LONDON


@pytest.fixture
def make_shift(db: Any) -> Callable[..., Shift]:
    """Put STAFF on duty from STARTS (default: an hour ago) for HOURS (default 8)."""

    def make(staff: StaffProfile, *, starts: datetime | None = None, hours: float = 8, code: str = "day") -> Shift:
        starts = starts or timezone.now() - timedelta(hours=1)
        local = starts.astimezone(LONDON)
        ends = starts + timedelta(hours=hours)
        shift_type, _ = ShiftType.objects.get_or_create(
            service=staff.service,
            code=code,
            defaults={"name": code.title(), "start_time": time(9), "end_time": time(17)},
        )
        return Shift.objects.create(
            service=staff.service, shift_type=shift_type, staff=staff, day=local.date(), starts_at=starts, ends_at=ends
        )

    return make


@pytest.fixture
def on_duty_amhp(amhp: StaffProfile, make_shift: Callable[..., Shift]) -> StaffProfile:
    make_shift(amhp)
    return amhp


@pytest.fixture
def queued_referral(make_referral: Callable[..., Referral], service: Service, consultant: StaffProfile) -> Referral:
    # Received in the morning: the record's work times (hours ago) must not start before it arrived.
    return make_referral(
        service,
        consultant.user,
        given_name="Kasia",
        family_name="Nowak",
        received_at=timezone.now() - timedelta(hours=12),
    )


@pytest.fixture
def allocate(consultant: StaffProfile) -> Callable[..., Assessment]:
    def do(referral: Referral, amhp: StaffProfile, **kwargs: Any) -> Assessment:
        return services.assessment_allocate(referral=referral, amhp=amhp, actor=consultant.user, **kwargs)

    return do


@pytest.fixture
def accepted(allocate: Callable[..., Assessment], queued_referral: Referral, on_duty_amhp: StaffProfile) -> Assessment:
    assessment = allocate(queued_referral, on_duty_amhp)
    return services.assessment_accept(assessment=assessment, actor=on_duty_amhp.user)
