"""The dashboards API: managers only, same figures as the pages, 400 on a bad period."""

from __future__ import annotations

from typing import Any


def test_managers_get_a_section_as_json(api_client_for: Any, manager: Any, make_staff: Any, service: Any) -> None:
    make_staff("amhp", service, first_name="Ann", last_name="Able")
    response = api_client_for(manager).get("/api/v1/dashboards/workforce/?from=2026-01-01&to=2026-01-31")
    assert response.status_code == 200
    body = response.json()
    assert (body["section"], body["from"], body["to"]) == ("workforce", "2026-01-01", "2026-01-31")
    assert body["figures"]["AMHPs"] == "1"
    duty = next(t for t in body["tables"] if t["slug"] == "duty")
    assert duty["rows"] == [["Ann Able", 0, 0.0, 37.0]]


def test_other_roles_are_refused(api_client_for: Any, consultant: Any, amhp: Any) -> None:
    assert api_client_for(consultant).get("/api/v1/dashboards/demand/").status_code == 403
    assert api_client_for(amhp).get("/api/v1/dashboards/demand/").status_code == 403


def test_a_bad_period_is_400_with_field_messages(api_client_for: Any, manager: Any) -> None:
    response = api_client_for(manager).get("/api/v1/dashboards/demand/?from=yesterday")
    assert response.status_code == 400
    assert response.json() == {"from": ["Enter the start date as a real date, for example 31/01/2026"]}
    assert api_client_for(manager).get("/api/v1/dashboards/nope/").status_code == 404
