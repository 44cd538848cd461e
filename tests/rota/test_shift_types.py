"""Shift types: managers list, add and change them; times never change once a type exists."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amhp_hub.common.models import AuditEvent
from rota import services
from rota.models import ShiftKind, ShiftType

pytestmark = pytest.mark.django_db

URL = "/rota/shift-types/"


def _new(**overrides: Any) -> dict[str, Any]:
    data = {
        "new-name": "Twilight",
        "new-code": "twilight",
        "new-kind": "late",
        "new-start_time": "16:00",
        "new-end_time": "00:00",
        "new-required_cover": "2",
    }
    data.update(overrides)
    return data


def _edit(**overrides: Any) -> dict[str, Any]:
    data = {"name": "Early (08:00)", "required_cover": "3", "weekdays_only": "on"}
    data.update(overrides)
    return data


# --- the service ---------------------------------------------------------------------------------------------


def test_updating_a_shift_type_changes_only_name_cover_and_weekdays_and_audits_it(
    manager: Any, shift_types: dict[str, ShiftType]
) -> None:
    early = shift_types["early"]
    services.shift_type_update(
        actor=manager.user, shift_type=early, name="  Early cover ", required_cover=3, weekdays_only=True
    )
    early.refresh_from_db()
    assert (early.name, early.required_cover, early.weekdays_only) == ("Early cover", 3, True)
    assert (early.start_time, early.end_time) == (time(8), time(16))
    event = AuditEvent.objects.filter(object_type="shifttype", action="update").get()
    assert event.object_id == str(early.pk)
    assert event.changes == {
        "name": ["Early", "Early cover"],
        "required_cover": [1, 3],
        "weekdays_only": [False, True],
    }


def test_an_update_that_changes_nothing_writes_no_audit_row(manager: Any, shift_types: dict[str, ShiftType]) -> None:
    early = shift_types["early"]
    services.shift_type_update(
        actor=manager.user, shift_type=early, name="Early", required_cover=1, weekdays_only=False
    )
    assert not AuditEvent.objects.filter(object_type="shifttype", action="update").exists()


@pytest.mark.parametrize(
    ("name", "cover", "field"),
    [("", 1, "name"), ("   ", 1, "name"), ("Early", -1, "required_cover"), ("Early", 21, "required_cover")],
)
def test_an_update_needs_a_name_and_cover_from_0_to_20(
    manager: Any, shift_types: dict[str, ShiftType], name: str, cover: int, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.shift_type_update(
            actor=manager.user, shift_type=shift_types["early"], name=name, required_cover=cover, weekdays_only=False
        )
    assert field in caught.value.message_dict
    shift_types["early"].refresh_from_db()
    assert shift_types["early"].name == "Early"


@pytest.mark.parametrize("cover", [0, 20])
def test_cover_of_0_and_20_are_allowed(manager: Any, shift_types: dict[str, ShiftType], cover: int) -> None:
    services.shift_type_update(
        actor=manager.user, shift_type=shift_types["late"], name="Late", required_cover=cover, weekdays_only=False
    )
    shift_types["late"].refresh_from_db()
    assert shift_types["late"].required_cover == cover


def test_creating_a_shift_type_also_needs_a_name_and_cover_from_0_to_20(manager: Any, service: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        services.shift_type_create(
            actor=manager.user,
            service=service,
            code="x",
            name=" ",
            start_time=time(9),
            end_time=time(17),
            required_cover=21,
        )
    assert set(caught.value.message_dict) == {"name", "required_cover"}
    assert not ShiftType.objects.exists()


# --- the page: permissions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["amhp", "consultant"])
def test_amhps_and_consultants_may_not_see_or_change_shift_types(
    logged_in_client: Any, request: Any, shift_types: dict[str, ShiftType], who: str
) -> None:
    client = logged_in_client(request.getfixturevalue(who))
    early = shift_types["early"]
    assert client.get(URL).status_code == 403
    assert client.post(URL, _new()).status_code == 403
    assert client.get(f"{URL}{early.pk}/").status_code == 403
    assert client.post(f"{URL}{early.pk}/", _edit()).status_code == 403
    early.refresh_from_db()
    assert early.name == "Early"
    assert ShiftType.objects.count() == 4


def test_another_services_shift_types_are_not_found(
    logged_in_client: Any, manager: Any, make_staff: Any, other_service: Any
) -> None:
    other_manager = make_staff("manager", other_service)
    theirs = services.shift_type_create(
        actor=other_manager.user,
        service=other_service,
        code="day",
        name="Their day",
        start_time=time(9),
        end_time=time(17),
    )
    client = logged_in_client(manager)
    assert "Their day" not in client.get(URL).content.decode()
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.post(f"{URL}{theirs.pk}/", _edit()).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Their day"


def test_the_rota_pages_link_managers_to_shift_types(logged_in_client: Any, manager: Any, amhp: Any) -> None:
    assert f'href="{URL}"' in logged_in_client(manager).get("/rota/").content.decode()
    assert f'href="{URL}"' not in logged_in_client(amhp).get("/rota/").content.decode()


# --- the page: list, add, change -----------------------------------------------------------------------------


def test_the_page_lists_each_type_with_times_cover_and_next_day_ends(
    logged_in_client: Any, manager: Any, shift_types: dict[str, ShiftType]
) -> None:
    response = logged_in_client(manager).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "17:00–09:00 (next day)" in html
    assert "08:00–16:00<" in html  # a same-day shift has no "(next day)"
    assert "Night (EDT)" in html
    assert "cannot be changed" in html
    assert f'href="{URL}{shift_types["night"].pk}/"' in html


def test_a_manager_adds_a_shift_type(logged_in_client: Any, manager: Any, service: Any) -> None:
    response = logged_in_client(manager).post(URL, _new(**{"new-weekdays_only": "on"}))
    assert response.status_code == 302
    created = ShiftType.objects.get(service=service, code="twilight")
    assert (created.name, created.kind, created.start_time, created.end_time) == (
        "Twilight",
        ShiftKind.LATE,
        time(16),
        time(0),
    )
    assert (created.required_cover, created.weekdays_only) == (2, True)
    assert AuditEvent.objects.filter(object_type="shifttype", action="create", object_id=str(created.pk)).exists()
    assert "16:00–00:00 (next day)" in logged_in_client(manager).get(URL).content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"new-name": ""}, "Enter the shift type&#x27;s name"),
        ({"new-code": "day"}, "already has a shift type called"),
        ({"new-code": "two words"}, "Use only letters, numbers"),
        ({"new-end_time": "16:00"}, "must end at a different time"),
        ({"new-start_time": "25:00"}, "as a 24-hour clock time"),
        ({"new-required_cover": "21"}, "between 0 and 20"),
    ],
)
def test_bad_input_for_a_new_type_gets_a_400_with_the_typed_values_kept(
    logged_in_client: Any, manager: Any, shift_types: dict[str, ShiftType], overrides: dict[str, str], message: str
) -> None:
    response = logged_in_client(manager).post(URL, _new(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert message in html
    assert 'value="Twilight"' in html or overrides.get("new-name") == ""
    assert 'value="16:00"' in html or "new-start_time" in overrides
    assert ShiftType.objects.count() == 4


def test_a_manager_changes_a_shift_type(logged_in_client: Any, manager: Any, shift_types: dict[str, ShiftType]) -> None:
    early = shift_types["early"]
    client = logged_in_client(manager)
    page = client.get(f"{URL}{early.pk}/").content.decode()
    assert 'value="Early"' in page
    assert "cannot be changed" in page
    response = client.post(f"{URL}{early.pk}/", _edit(start_time="06:00"))
    assert response.status_code == 302
    early.refresh_from_db()
    assert (early.name, early.required_cover, early.weekdays_only) == ("Early (08:00)", 3, True)
    assert early.start_time == time(8)  # times are not editable, whatever is posted


def test_unticking_weekdays_only_clears_it(
    logged_in_client: Any, manager: Any, shift_types: dict[str, ShiftType]
) -> None:
    day = shift_types["day"]
    assert day.weekdays_only
    logged_in_client(manager).post(f"{URL}{day.pk}/", {"name": "Day", "required_cover": "2"})
    day.refresh_from_db()
    assert not day.weekdays_only


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "Enter the shift type&#x27;s name"),
        ({"required_cover": "21"}, "between 0 and 20"),
        ({"required_cover": "-1"}, "between 0 and 20"),
        ({"required_cover": "two"}, "whole number"),
    ],
)
def test_bad_changes_get_a_400_with_the_typed_values_kept(
    logged_in_client: Any, manager: Any, shift_types: dict[str, ShiftType], overrides: dict[str, str], message: str
) -> None:
    early = shift_types["early"]
    response = logged_in_client(manager).post(f"{URL}{early.pk}/", _edit(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert message in html
    typed = _edit(**overrides)
    if typed["name"]:
        assert f'value="{typed["name"]}"' in html
    if typed["required_cover"] != "two":
        assert f'value="{typed["required_cover"]}"' in html
    early.refresh_from_db()
    assert (early.name, early.required_cover) == ("Early", 1)


def test_the_shift_types_page_runs_the_same_number_of_queries_for_few_or_many_types(
    logged_in_client: Any, manager: Any, service: Any
) -> None:
    client = logged_in_client(manager)

    def add(count: int, start: int) -> None:
        for i in range(start, start + count):
            services.shift_type_create(
                actor=manager.user,
                service=service,
                code=f"t{i}",
                name=f"Type {i}",
                start_time=time(i % 24),
                end_time=time((i + 8) % 24),
            )

    add(2, 0)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    add(20, 2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert "Type 21" in response.content.decode()
    assert len(many) == len(few)
