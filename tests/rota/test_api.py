"""The rota API contract: GET/POST /api/v1/rota/shifts/ and GET /api/v1/rota/on-duty/."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rota import services
from rota.models import LeaveKind, Shift
from rota.shift_times import local_instant

pytestmark = pytest.mark.django_db

SHIFTS = "/api/v1/rota/shifts/"
ON_DUTY = "/api/v1/rota/on-duty/"
DAY = date(2031, 6, 3)  # a Tuesday in BST


@pytest.fixture
def manager_api(api_client_for: Any, manager: Any) -> Any:
    return api_client_for(manager)


def test_a_manager_places_a_shift_and_gets_its_bounds_with_an_offset(
    manager_api: Any, amhp: Any, shift_types: Any
) -> None:
    response = manager_api.post(SHIFTS, {"staff": str(amhp.pk), "shift_type": "night", "day": DAY.isoformat()})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["staff"] == str(amhp.pk)
    assert body["shift_type"] == "night"
    assert body["starts_at"] == "2031-06-03T17:00:00+01:00"
    assert body["ends_at"] == "2031-06-04T09:00:00+01:00"
    assert body["locality"] == "North"
    assert Shift.objects.get(pk=body["id"]).source == "manual"


def test_placing_a_duplicate_shift_is_409(manager_api: Any, amhp: Any, shift_types: Any) -> None:
    data = {"staff": str(amhp.pk), "shift_type": "late", "day": DAY.isoformat()}
    assert manager_api.post(SHIFTS, data).status_code == 201
    response = manager_api.post(SHIFTS, data)
    assert response.status_code == 409
    assert "already on the Late shift" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"staff": "00000000-0000-0000-0000-000000000000"}, "staff"),
        ({"shift_type": "twilight"}, "shift_type"),
        ({"day": "31/02/2031"}, "day"),
        ({"staff": None}, "staff"),
    ],
)
def test_bad_shift_input_is_400_with_field_errors(
    manager_api: Any, amhp: Any, shift_types: Any, change: dict[str, Any], field: str
) -> None:
    data = {"staff": str(amhp.pk), "shift_type": "late", "day": DAY.isoformat(), **change}
    response = manager_api.post(SHIFTS, data)
    assert response.status_code == 400
    assert field in response.json()


def test_placing_a_non_amhp_or_someone_on_leave_is_400(
    manager_api: Any, amhp: Any, consultant: Any, manager: Any, shift_types: Any
) -> None:
    response = manager_api.post(SHIFTS, {"staff": str(consultant.pk), "shift_type": "late", "day": DAY.isoformat()})
    assert response.status_code == 400
    assert "not an AMHP" in response.json()["staff"][0]
    services.leave_record(
        actor=manager.user,
        staff=amhp,
        kind=LeaveKind.ANNUAL,
        starts_at=local_instant(DAY, time(0)),
        ends_at=local_instant(DAY + timedelta(days=1), time(0)),
    )
    response = manager_api.post(SHIFTS, {"staff": str(amhp.pk), "shift_type": "late", "day": DAY.isoformat()})
    assert response.status_code == 400
    assert "leave" in response.json()["staff"][0]


def test_an_amhp_of_another_service_is_unknown(
    manager_api: Any, make_staff: Any, other_service: Any, shift_types: Any
) -> None:
    stranger = make_staff("amhp", other_service)
    response = manager_api.post(SHIFTS, {"staff": str(stranger.pk), "shift_type": "late", "day": DAY.isoformat()})
    assert response.status_code == 400
    assert "staff" in response.json()


@pytest.mark.parametrize("who", ["amhp", "consultant"])
def test_only_managers_may_place_shifts(
    api_client_for: Any, request: Any, amhp: Any, shift_types: Any, who: str
) -> None:
    client = api_client_for(request.getfixturevalue(who))
    response = client.post(SHIFTS, {"staff": str(amhp.pk), "shift_type": "late", "day": DAY.isoformat()})
    assert response.status_code == 403
    assert not Shift.objects.exists()


def test_anonymous_callers_get_nothing(client: Any) -> None:
    assert client.get(SHIFTS).status_code in (401, 403)
    assert client.get(ON_DUTY).status_code in (401, 403)


@pytest.mark.parametrize("who", ["amhp", "consultant", "manager"])
def test_every_role_reads_shifts_between_from_and_to(
    api_client_for: Any, request: Any, place: Any, amhp: Any, who: str
) -> None:
    inside = place(amhp, "late", DAY)
    place(amhp, "late", DAY + timedelta(days=10))
    client = api_client_for(request.getfixturevalue(who))
    response = client.get(SHIFTS, {"from": DAY.isoformat(), "to": (DAY + timedelta(days=1)).isoformat()})
    assert response.status_code == 200
    assert [s["id"] for s in response.json()["results"]] == [str(inside.pk)]


def test_shifts_from_another_service_are_invisible(
    api_client_for: Any, make_staff: Any, other_service: Any, place: Any, amhp: Any
) -> None:
    place(amhp, "late", DAY)
    outsider = make_staff("manager", other_service)
    response = api_client_for(outsider).get(SHIFTS, {"from": DAY.isoformat(), "to": "2031-06-10"})
    assert response.json()["results"] == []


def test_bad_from_or_to_is_400(manager_api: Any) -> None:
    assert "from" in manager_api.get(SHIFTS, {"from": "yesterday"}).json()
    assert "to" in manager_api.get(SHIFTS, {"from": "2031-06-03", "to": "2031-06-01"}).json()


def test_shift_list_takes_a_constant_number_of_queries(
    manager_api: Any, place: Any, make_staff: Any, service: Any
) -> None:
    params = {"from": DAY.isoformat(), "to": (DAY + timedelta(days=7)).isoformat()}
    place(make_staff("amhp", service), "late", DAY)
    with CaptureQueriesContext(connection) as few:
        assert manager_api.get(SHIFTS, params).status_code == 200
    for i in range(12):
        place(make_staff("amhp", service), ["late", "night", "early"][i % 3], DAY + timedelta(days=i % 7))
    with CaptureQueriesContext(connection) as many:
        response = manager_api.get(SHIFTS, params)
    assert response.json()["count"] == 13
    assert len(many) == len(few)


def test_on_duty_at_an_instant_lists_who_is_on(api_client_for: Any, place: Any, amhp: Any, consultant: Any) -> None:
    shift = place(amhp, "day", DAY)
    response = api_client_for(consultant).get(ON_DUTY, {"at": "2031-06-03T10:00:00+01:00"})
    assert response.status_code == 200
    (entry,) = response.json()["results"]
    assert entry == {
        "staff": str(amhp.pk),
        "name": amhp.display_name,
        "shift_type": "day",
        "shift_type_name": "Day",
        "starts_at": "2031-06-03T09:00:00+01:00",
        "ends_at": "2031-06-03T17:00:00+01:00",
        "locality": "North",
    }
    # At 17:00 the day shift has ended.
    assert api_client_for(consultant).get(ON_DUTY, {"at": shift.ends_at.isoformat()}).json()["results"] == []


def test_on_duty_defaults_to_now_and_rejects_a_bad_instant(manager_api: Any) -> None:
    response = manager_api.get(ON_DUTY)
    assert response.status_code == 200
    assert response.json()["results"] == []
    bad = manager_api.get(ON_DUTY, {"at": "teatime"})
    assert bad.status_code == 400
    assert "at" in bad.json()


def test_on_duty_takes_a_constant_number_of_queries(
    manager_api: Any, place: Any, make_staff: Any, service: Any
) -> None:
    at = datetime(2031, 6, 3, 13, tzinfo=UTC)
    place(make_staff("amhp", service), "late", DAY)
    with CaptureQueriesContext(connection) as few:
        manager_api.get(ON_DUTY, {"at": at.isoformat()})
    for _ in range(10):
        place(make_staff("amhp", service), "late", DAY)
    with CaptureQueriesContext(connection) as many:
        response = manager_api.get(ON_DUTY, {"at": at.isoformat()})
    assert len(response.json()["results"]) == 11
    assert len(many) == len(few)
