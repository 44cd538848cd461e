"""Rota fixtures: the service's shift types, and a helper to place AMHPs through the service layer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

import pytest

from rota import services
from rota.models import Service, Shift, ShiftKind, ShiftType, StaffProfile


@pytest.fixture
def shift_types(service: Service, manager: StaffProfile) -> dict[str, ShiftType]:
    spec = [
        ("early", "Early", ShiftKind.EARLY, time(8), time(16), 1, False),
        ("day", "Day", ShiftKind.DAY, time(9), time(17), 2, True),
        ("late", "Late", ShiftKind.LATE, time(12), time(20), 1, False),
        ("night", "EDT night", ShiftKind.NIGHT, time(17), time(9), 1, False),
    ]
    return {
        code: services.shift_type_create(
            actor=manager.user,
            service=service,
            code=code,
            name=name,
            kind=kind,
            start_time=start,
            end_time=end,
            required_cover=cover,
            weekdays_only=weekdays,
        )
        for code, name, kind, start, end, cover, weekdays in spec
    }


@pytest.fixture
def place(manager: StaffProfile, shift_types: dict[str, ShiftType]) -> Callable[..., Shift]:
    def make(staff: StaffProfile, code: str, day: date, **kwargs: Any) -> Shift:
        return services.shift_place(actor=manager.user, staff=staff, shift_type=shift_types[code], day=day, **kwargs)

    return make
