"""GET /api/v1/plan/ (DESIGN.md section 8), accepting proposals, and the consultant's plan page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Assessment
from referrals.models import Referral
from rota import services as rota_services
from rota.models import Service, StaffProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_duty(service: Service, make_staff: Callable[..., StaffProfile]) -> Callable[..., StaffProfile]:
    """An AMHP on a shift covering now (from an hour ago for HOURS hours)."""
    shift_type = rota_services.shift_type_create(
        actor=None, service=service, code="any", name="Any", start_time=time(0), end_time=time(23, 59)
    )

    def make(hours: float = 8, **profile: Any) -> StaffProfile:
        staff = make_staff("amhp", service, warrant_expires_on=profile.pop("approval", date(2030, 1, 1)), **profile)
        now = timezone.now()
        from rota.models import Shift

        Shift.objects.create(
            service=service,
            shift_type=shift_type,
            staff=staff,
            day=now.date(),
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=hours),
        )
        return staff

    return make


def test_plan_proposes_an_amhp_for_each_open_referral_with_reasons(
    consultant_api: Any,
    consultant: StaffProfile,
    service: Service,
    on_duty: Callable[..., StaffProfile],
    make_referral: Callable[..., Referral],
) -> None:
    amhp = on_duty(hours=10)
    referral = make_referral(service, consultant.user, legal_status="community")
    response = consultant_api.get("/api/v1/plan/")
    assert response.status_code == 200
    (row,) = response.json()
    assert row["referral"] == str(referral.pk)
    assert row["amhp"] == str(amhp.pk)
    assert row["shift"]
    assert row["reasons"][0].startswith("On duty now until")


def test_plan_says_why_when_no_amhp_fits(
    consultant_api: Any,
    consultant: StaffProfile,
    service: Service,
    make_referral: Callable[..., Referral],
    on_duty: Callable[..., StaffProfile],
) -> None:
    on_duty(approval=date(2020, 1, 1), first_name="Expired", last_name="Approval")
    make_referral(service, consultant.user, legal_status="community")
    (row,) = consultant_api.get("/api/v1/plan/").json()
    assert row["amhp"] is None
    assert any("Expired Approval: AMHP approval ends 01/01/2020" in r for r in row["reasons"])


def test_plan_is_refused_to_amhps_and_shows_only_the_callers_service(
    api_client_for: Callable[[StaffProfile], Any],
    make_staff: Callable[..., StaffProfile],
    service: Service,
    other_service: Service,
    consultant: StaffProfile,
    make_referral: Callable[..., Referral],
) -> None:
    assert api_client_for(make_staff("amhp", service)).get("/api/v1/plan/").status_code == 403
    make_referral(service, consultant.user)
    other = make_staff("consultant", other_service)
    assert api_client_for(other).get("/api/v1/plan/").json() == []


def test_plan_queries_do_not_grow_with_the_queue(
    consultant_api: Any,
    consultant: StaffProfile,
    service: Service,
    on_duty: Callable[..., StaffProfile],
    make_referral: Callable[..., Referral],
) -> None:
    on_duty()
    on_duty()
    make_referral(service, consultant.user)
    with CaptureQueriesContext(connection) as few:
        consultant_api.get("/api/v1/plan/")
    for _ in range(6):
        make_referral(service, consultant.user, legal_status="s5_2", legal_power_started_at=timezone.now())
    with CaptureQueriesContext(connection) as many:
        consultant_api.get("/api/v1/plan/")
    assert len(many) == len(few)


def test_accepting_proposals_makes_normal_allocations_and_a_second_accept_is_409(
    consultant_api: Any,
    consultant: StaffProfile,
    service: Service,
    on_duty: Callable[..., StaffProfile],
    make_referral: Callable[..., Referral],
) -> None:
    on_duty(hours=12)
    on_duty(hours=12)
    first = make_referral(service, consultant.user)
    second = make_referral(service, consultant.user)
    rows = consultant_api.get("/api/v1/plan/").json()
    body = {"proposals": [{"referral": r["referral"], "amhp": r["amhp"]} for r in rows]}
    response = consultant_api.post("/api/v1/plan/accept/", body, format="json")
    assert response.status_code == 201, response.json()
    assert {r["status"] for r in response.json()} == {201}
    assert Assessment.objects.filter(referral__in=[first, second]).count() == 2
    again = consultant_api.post("/api/v1/plan/accept/", body, format="json")
    assert again.status_code == 409
    assert all("already allocated" in r["messages"][0] for r in again.json())
    assert Assessment.objects.filter(referral__in=[first, second]).count() == 2


def test_accepting_a_proposal_for_someone_no_longer_on_duty_is_refused_and_allocates_nothing(
    consultant_api: Any,
    consultant: StaffProfile,
    service: Service,
    make_staff: Callable[..., StaffProfile],
    make_referral: Callable[..., Referral],
) -> None:
    off = make_staff("amhp", service, warrant_expires_on=date(2030, 1, 1))
    referral = make_referral(service, consultant.user)
    response = consultant_api.post(
        "/api/v1/plan/accept/", {"proposals": [{"referral": str(referral.pk), "amhp": str(off.pk)}]}, format="json"
    )
    assert response.status_code == 400
    assert "not on duty" in response.json()[0]["messages"][0]
    assert not Assessment.objects.filter(referral=referral).exists()


def test_the_plan_page_lists_proposals_and_accepts_the_selected_one(
    logged_in_client: Callable[[StaffProfile], Any],
    consultant: StaffProfile,
    service: Service,
    on_duty: Callable[..., StaffProfile],
    make_referral: Callable[..., Referral],
) -> None:
    amhp = on_duty(hours=12)
    referral = make_referral(service, consultant.user)
    client = logged_in_client(consultant)
    page = client.get("/planning/plan/")
    assert page.status_code == 200
    assert referral.reference in page.content.decode()
    assert "style=" not in page.content.decode().split("<main", 1)[1]
    response = client.post("/planning/plan/", {"accept_selected": "1", "proposal": f"{referral.pk}:{amhp.pk}"})
    assert response.status_code == 302
    assert Assessment.objects.get(referral=referral).amhp_id == amhp.pk
    follow = client.get("/planning/plan/")
    assert "1 proposal accepted and allocated" in follow.content.decode()


def test_the_plan_page_with_nothing_chosen_explains_and_allocates_nothing(
    logged_in_client: Callable[[StaffProfile], Any],
    consultant: StaffProfile,
    service: Service,
    make_referral: Callable[..., Referral],
) -> None:
    make_referral(service, consultant.user)
    client = logged_in_client(consultant)
    response = client.post("/planning/plan/", {"accept_selected": "1"}, follow=True)
    assert "Choose at least one proposal to accept" in response.content.decode()
    assert not Assessment.objects.exists()


def test_accepting_a_later_shift_proposal_plans_the_work_into_that_shift(
    consultant_api: Any,
    consultant: StaffProfile,
    service: Service,
    make_staff: Callable[..., StaffProfile],
    make_referral: Callable[..., Referral],
) -> None:
    from rota.models import Shift, ShiftType

    later = make_staff("amhp", service, warrant_expires_on=date(2030, 1, 1))
    shift_type = ShiftType.objects.create(
        service=service, code="later", name="Later", start_time=time(9), end_time=time(17)
    )
    start = timezone.now() + timedelta(hours=3)
    shift = Shift.objects.create(
        service=service,
        shift_type=shift_type,
        staff=later,
        day=start.date(),
        starts_at=start,
        ends_at=start + timedelta(hours=8),
    )
    referral = make_referral(service, consultant.user, legal_status="community")
    (row,) = consultant_api.get("/api/v1/plan/").json()
    assert row["amhp"] == str(later.pk) and row["shift"] == str(shift.pk)
    response = consultant_api.post(
        "/api/v1/plan/accept/",
        {"proposals": [{"referral": row["referral"], "amhp": row["amhp"], "shift": row["shift"]}]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assessment = Assessment.objects.get(referral=referral)
    assert assessment.planned_shift_id == shift.pk and assessment.planned_for == shift.starts_at
    # The planned work now fills the start of that shift for the next plan.
    second = make_referral(service, consultant.user, legal_status="community")
    (next_row,) = consultant_api.get("/api/v1/plan/").json()
    assert next_row["referral"] == str(second.pk)
    assert next_row["starts_at"] > row["starts_at"]
