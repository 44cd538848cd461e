"""The demo rota: believable cover a month either side of now, some leave and open swaps."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import Exists, OuterRef

from rota import selectors
from rota.demo import seed_rota, seed_staff
from rota.models import Leave, LeaveKind, Shift, ShiftType, SwapRequest

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_the_demo_rota_covers_most_shifts_and_respects_annual_leave(service: Any) -> None:
    seed_staff(service=service, rng=random.Random(1), today=NOW.date())
    counts = seed_rota(service=service, rng=random.Random(2), now=NOW)
    assert ShiftType.objects.filter(service=service).count() == 4
    assert counts["shifts"] > 300
    assert SwapRequest.objects.filter(status="open").count() == 2
    annual_clash = Shift.objects.filter(
        Exists(
            Leave.objects.filter(
                staff_id=OuterRef("staff_id"),
                kind=LeaveKind.ANNUAL,
                starts_at__lt=OuterRef("ends_at"),
                ends_at__gt=OuterRef("starts_at"),
            )
        )
    )
    assert not annual_clash.exists()
    today = NOW.date()
    gaps = selectors.cover_gaps(service_id=service.pk, start=today - timedelta(days=28), end=today + timedelta(days=28))
    assert len(gaps) < 20  # of about 280 shift-days needing cover in those eight weeks
    assert list(selectors.on_duty_at(service_id=service.pk, at=NOW))
