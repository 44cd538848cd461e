"""DESIGN.md section 8: GET/POST /api/v1/rota/shift-types/ and GET /api/v1/staff/."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from amhp_hub.common.models import AuditEvent
from rota import services
from rota.models import LeaveKind, ShiftType

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
SHIFT_TYPES = "/api/v1/rota/shift-types/"
STAFF = "/api/v1/staff/"


def test_anyone_in_the_service_lists_its_shift_types_with_wall_clock_times(
    api_client_for: Any, amhp: Any, shift_types: Any, make_staff: Any, other_service: Any
) -> None:
    services.shift_type_create(
        actor=None, service=other_service, code="x", name="Elsewhere", start_time=shift_types["day"].start_time,
        end_time=shift_types["day"].end_time,
    )  # fmt: skip
    response = api_client_for(amhp).get(SHIFT_TYPES)
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert set(rows) == {"early", "day", "late", "night"}
    assert rows["night"] | {"id": 0} == {
        "id": 0,
        "code": "night",
        "name": "EDT night",
        "start": "17:00",
        "end": "09:00",
        "weekdays_only": False,
        "cover": 1,
        "kind": "night",
    }
    assert rows["day"]["weekdays_only"] is True and rows["day"]["cover"] == 2


def test_a_manager_adds_a_shift_type_and_it_is_audited(api_client_for: Any, manager: Any) -> None:
    body = {"code": "twilight", "name": "Twilight", "start": "16:00", "end": "00:00", "cover": 2}
    response = api_client_for(manager).post(SHIFT_TYPES, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["start"] == "16:00" and response.json()["end"] == "00:00"
    created = ShiftType.objects.get(service=manager.service, code="twilight")
    assert (created.required_cover, created.weekdays_only) == (2, False)
    assert AuditEvent.objects.filter(action="create", object_type="shifttype", actor=manager.user).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "day", "name": "Again", "start": "09:00", "end": "17:00"}, "code"),
        ({"code": "same", "name": "Same", "start": "09:00", "end": "09:00"}, "end"),
        ({"code": "big", "name": "Big", "start": "09:00", "end": "17:00", "cover": 99}, "cover"),
        ({"code": "bad", "name": "Bad", "start": "25:00", "end": "17:00"}, "start"),
        ({"code": "no name", "name": "", "start": "09:00", "end": "17:00"}, "code"),
    ],
)
def test_bad_shift_types_are_400_on_the_api_field(
    api_client_for: Any, manager: Any, shift_types: Any, body: dict[str, Any], field: str
) -> None:
    response = api_client_for(manager).post(SHIFT_TYPES, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_only_managers_add_shift_types(api_client_for: Any, consultant: Any, amhp: Any) -> None:
    body = {"code": "x", "name": "X", "start": "09:00", "end": "17:00"}
    for who in (consultant, amhp):
        assert api_client_for(who).post(SHIFT_TYPES, body, format="json").status_code == 403
    assert not ShiftType.objects.exists()


def test_staff_lists_the_service_with_roles_approval_dates_and_who_is_on_duty_now(
    api_client_for: Any,
    consultant: Any,
    make_staff: Any,
    service: Any,
    other_service: Any,
    manager: Any,
    django_assert_max_num_queries: Any,
) -> None:
    today = timezone.localdate()
    on = make_staff("amhp", service, first_name="Ona", last_name="Duty", warrant_expires_on=today + timedelta(days=30))
    off = make_staff("amhp", service, first_name="Otto", last_name="Leave", warrant_expires_on=date(2031, 1, 31))
    make_staff("amhp", other_service, first_name="Elsewhere")
    # A shift type running from an hour ago to two hours ahead (London wall clock) covers now.
    now = timezone.now()
    starts = (now - timedelta(hours=1)).astimezone(LONDON)
    ends = (now + timedelta(hours=2)).astimezone(LONDON)
    around_now = services.shift_type_create(
        actor=manager.user,
        service=service,
        code="now",
        name="Around now",
        start_time=time(starts.hour, starts.minute),
        end_time=time(ends.hour, ends.minute),
    )
    for person in (on, off):
        services.shift_place(actor=manager.user, staff=person, shift_type=around_now, day=starts.date())
    services.leave_record(
        actor=manager.user,
        staff=off,
        kind=LeaveKind.SICK,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=1),
    )
    client = api_client_for(consultant)
    with django_assert_max_num_queries(6):
        response = client.get(STAFF)
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()}
    assert "Elsewhere Number" not in " ".join(rows)
    assert rows["Ona Duty"]["role"] == "amhp"
    assert rows["Ona Duty"]["approval_expires_on"] == (today + timedelta(days=30)).isoformat()
    assert rows["Otto Leave"]["approval_expires_on"] == "2031-01-31"
    assert rows["Otto Leave"]["on_duty_now"] is False  # on leave
    assert rows[consultant.display_name] == {
        "id": str(consultant.pk),
        "role": "consultant",
        "name": consultant.display_name,
        "approval_expires_on": None,
        "on_duty_now": False,
    }
    assert rows["Ona Duty"]["on_duty_now"] is True
    only_amhps = client.get(STAFF, {"role": "amhp"}).json()
    assert {row["role"] for row in only_amhps} == {"amhp"}
    assert client.get(STAFF, {"role": "wizard"}).status_code == 400
