"""Ranking on-duty AMHPs for a referral and allocating it: services and the API."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amhp_hub.common.errors import ConflictError
from amhp_hub.common.models import AuditEvent
from assessments import selectors, services
from assessments.models import Assessment, AssessmentStatus, TimelineEvent
from referrals.models import Referral
from rota.models import Leave
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db


def candidates_url(referral: Referral) -> str:
    return f"/api/v1/referrals/{referral.pk}/candidates/"


def allocate_url(referral: Referral) -> str:
    return f"/api/v1/referrals/{referral.pk}/allocate/"


def test_candidates_rank_fitting_amhps_first_and_say_why(
    consultant_api: Any, queued_referral: Referral, make_staff: Any, service: Any, make_shift: Any
) -> None:
    ending_soon = make_staff("amhp", service, first_name="Ending", last_name="Soon")
    make_shift(ending_soon, starts=timezone.now() - timedelta(hours=7), hours=8)
    plenty = make_staff("amhp", service, first_name="Plenty", last_name="Left")
    make_shift(plenty, hours=10)
    make_staff("amhp", service, first_name="Off", last_name="Duty")

    response = consultant_api.get(candidates_url(queued_referral))

    assert response.status_code == 200
    body = response.json()
    assert [c["name"] for c in body] == ["Plenty Left", "Ending Soon"]
    best, worst = body
    assert best["fits_in_shift"] is True and worst["fits_in_shift"] is False
    assert best["reasons"][0].startswith("Fits:")
    assert "past the end of shift" in worst["reasons"][0]
    assert best["open_allocations"] == 0 and "No open allocations" in best["reasons"]
    assert set(best) >= {"amhp", "name", "score", "fits_in_shift", "hours_left", "shift_ends_at", "reasons"}
    assert best["amhp"] == str(plenty.pk)


def test_candidates_count_workload_continuity_and_language(
    consultant: Any, make_referral: Any, service: Any, make_staff: Any, make_shift: Any, allocate: Any
) -> None:
    polish = make_staff("amhp", service, first_name="Ola", last_name="Speaker", languages=["Polish"])
    busy = make_staff("amhp", service, first_name="Busy", last_name="Bee")
    for staff in (polish, busy):
        make_shift(staff, hours=12)
    earlier = make_referral(service, consultant.user, nhs_number="9434765919", language="Polish")
    first = allocate(earlier, busy)
    services.assessment_accept(assessment=first, actor=busy.user)
    Assessment.objects.filter(pk=first.pk).update(status=AssessmentStatus.COMPLETED)
    other = make_referral(service, consultant.user)
    allocate(other, busy)
    again = make_referral(service, consultant.user, nhs_number="9434765919", language="Polish")

    ranked = {r.candidate.name: r for r in selectors.candidates_for(again, timezone.now())}

    assert "Speaks Polish" in ranked["Ola Speaker"].reasons
    assert "Assessed this person before" in ranked["Busy Bee"].reasons
    assert "1 open allocation" in ranked["Busy Bee"].reasons
    assert ranked["Busy Bee"].candidate.open_hours == pytest.approx(6.0)


def test_candidates_skip_amhps_on_leave(consultant_api: Any, queued_referral: Referral, on_duty_amhp: Any) -> None:
    now = timezone.now()
    Leave.objects.create(staff=on_duty_amhp, starts_at=now - timedelta(hours=2), ends_at=now + timedelta(hours=5))
    assert consultant_api.get(candidates_url(queued_referral)).json() == []


def test_candidates_take_the_same_number_of_queries_for_2_or_10_amhps(
    consultant_api: Any, queued_referral: Referral, make_staff: Any, service: Any, make_shift: Any, allocate: Any
) -> None:
    def measure(expected: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = consultant_api.get(candidates_url(queued_referral))
        assert len(response.json()) == expected
        return len(queries)

    def add(count: int) -> None:
        for _ in range(count):
            staff = make_staff("amhp", service)
            make_shift(staff)

    add(2)
    few = measure(2)
    add(8)
    for staff in service.staff.filter(role="amhp")[:4]:  # some with open work
        allocate(
            queued_referral.__class__.objects.create(
                reference=f"R-X{staff.pk.hex[:6]}",
                service=service,
                person=queued_referral.person,
                status="accepted",
                received_at=timezone.now(),
            ),
            staff,
        )
    many = measure(10)
    # token, user and staff profile in one; referral with person, on-duty shifts, workload, continuity,
    # declines, and the shifts and recorded work around now (read together) for the working-time warnings
    assert few == many == 7


def test_candidates_are_for_the_desk_only(api_client_for: Any, amhp: Any, queued_referral: Referral) -> None:
    assert api_client_for(amhp).get(candidates_url(queued_referral)).status_code == 403


def test_candidates_of_another_service_referral_are_not_found(
    api_client_for: Any, make_staff: Any, other_service: Any, queued_referral: Referral
) -> None:
    outsider = make_staff("consultant", other_service)
    assert api_client_for(outsider).get(candidates_url(queued_referral)).status_code == 404


def test_allocating_gives_201_and_puts_the_referral_out_of_the_queue(
    consultant_api: Any, queued_referral: Referral, on_duty_amhp: Any
) -> None:
    response = consultant_api.post(allocate_url(queued_referral), {"amhp": str(on_duty_amhp.pk)}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "offered"
    assert body["amhp"] == str(on_duty_amhp.pk)
    assert [e["kind"] for e in body["timeline"]] == ["allocated"]
    assessment = Assessment.objects.get(pk=body["id"])
    assert assessment.shift_ends_at == on_duty_amhp.shifts.get().ends_at
    assert float(assessment.expected_hours) == 6.0  # community
    queued_referral.refresh_from_db()
    assert queued_referral.status == "allocated"
    actions = set(AuditEvent.objects.values_list("object_type", "action"))
    assert {("assessment", "allocate"), ("referral", "update")} <= actions


def test_allocating_twice_gives_409(consultant_api: Any, queued_referral: Referral, on_duty_amhp: Any) -> None:
    payload = {"amhp": str(on_duty_amhp.pk)}
    assert consultant_api.post(allocate_url(queued_referral), payload, format="json").status_code == 201
    response = consultant_api.post(allocate_url(queued_referral), payload, format="json")
    assert response.status_code == 409
    assert "already allocated" in response.json()["detail"]
    assert Assessment.objects.count() == 1


def test_allocating_a_closed_referral_gives_409(
    consultant_api: Any, consultant: Any, queued_referral: Referral, on_duty_amhp: Any
) -> None:
    from referrals.services import referral_triage

    referral_triage(referral=queued_referral, actor=consultant.user, decision="close", reason="Withdrawn")
    response = consultant_api.post(allocate_url(queued_referral), {"amhp": str(on_duty_amhp.pk)}, format="json")
    assert response.status_code == 409


def test_allocating_to_an_amhp_off_duty_gives_400(consultant_api: Any, queued_referral: Referral, amhp: Any) -> None:
    response = consultant_api.post(allocate_url(queued_referral), {"amhp": str(amhp.pk)}, format="json")
    assert response.status_code == 400
    assert "not on duty" in response.json()["amhp"][0]


def test_allocating_to_an_amhp_on_leave_gives_400(
    consultant_api: Any, queued_referral: Referral, on_duty_amhp: Any
) -> None:
    now = timezone.now()
    Leave.objects.create(staff=on_duty_amhp, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    response = consultant_api.post(allocate_url(queued_referral), {"amhp": str(on_duty_amhp.pk)}, format="json")
    assert response.status_code == 400
    assert "on leave" in response.json()["amhp"][0]


def test_allocating_to_an_amhp_of_another_service_gives_400(
    consultant_api: Any, queued_referral: Referral, make_staff: Any, other_service: Any, make_shift: Any
) -> None:
    outsider = make_staff("amhp", other_service)
    make_shift(outsider)
    response = consultant_api.post(allocate_url(queued_referral), {"amhp": str(outsider.pk)}, format="json")
    assert response.status_code == 400
    response = consultant_api.post(
        allocate_url(queued_referral), {"amhp": "00000000-0000-0000-0000-000000000000"}, format="json"
    )
    assert response.status_code == 400


def test_allocating_is_forbidden_to_amhps_and_hidden_across_services(
    api_client_for: Any, queued_referral: Referral, on_duty_amhp: Any, make_staff: Any, other_service: Any
) -> None:
    payload = {"amhp": str(on_duty_amhp.pk)}
    assert api_client_for(on_duty_amhp).post(allocate_url(queued_referral), payload, format="json").status_code == 403
    outsider = make_staff("consultant", other_service)
    assert api_client_for(outsider).post(allocate_url(queued_referral), payload, format="json").status_code == 404
    assert not Assessment.objects.exists()


def test_a_declined_referral_can_be_allocated_again(
    queued_referral: Referral, on_duty_amhp: Any, allocate: Any, make_staff: Any, service: Any, make_shift: Any
) -> None:
    first = allocate(queued_referral, on_duty_amhp)
    services.assessment_decline(assessment=first, actor=on_duty_amhp.user, reason="Already on a s135 warrant")
    queued_referral.refresh_from_db()
    assert queued_referral.status == "accepted"
    colleague = make_staff("amhp", service)
    make_shift(colleague)
    second = allocate(queued_referral, colleague)
    assert second.status == "offered"
    with pytest.raises(ConflictError):
        allocate(queued_referral, colleague)


def test_allocation_writes_the_allocated_timeline_event(
    queued_referral: Referral, on_duty_amhp: Any, allocate: Any
) -> None:
    assessment = allocate(queued_referral, on_duty_amhp)
    assert list(TimelineEvent.objects.filter(assessment=assessment).values_list("kind", flat=True)) == ["allocated"]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_allocations_of_one_referral_give_one_201_and_one_409(
    api_client_for: Any, make_staff: Any, service: Any, make_referral: Any, make_shift: Any
) -> None:
    consultants = [make_staff("consultant", service), make_staff("consultant", service)]
    referral = make_referral(service, consultants[0].user)
    amhps = [make_staff("amhp", service), make_staff("amhp", service)]
    for staff in amhps:
        make_shift(staff)
    clients = [api_client_for(c) for c in consultants]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def allocate(index: int) -> None:
        try:
            barrier.wait()
            response = clients[index].post(allocate_url(referral), {"amhp": str(amhps[index].pk)}, format="json")
            results.append(response.status_code)
        finally:
            connections.close_all()  # each thread has its own connection; give it back

    threads = [threading.Thread(target=allocate, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [201, 409]
    assert Assessment.objects.filter(referral=referral).count() == 1
    referral.refresh_from_db()
    assert referral.status == "allocated"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_allocations_race_straight_to_the_services(
    make_staff: Any, service: Any, make_referral: Any, make_shift: Any
) -> None:
    consultant = make_staff("consultant", service)
    referral = make_referral(service, consultant.user)
    amhp = make_staff("amhp", service)
    make_shift(amhp)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        try:
            barrier.wait()
            services.assessment_allocate(
                referral=Referral.objects.get(pk=referral.pk), amhp=amhp, actor=consultant.user
            )
            outcomes.append("allocated")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["allocated", "conflict"]
    assert Assessment.objects.filter(referral=referral).count() == 1


def test_the_openapi_schema_documents_the_allocation_endpoints(consultant_api: Any) -> None:
    response = consultant_api.get("/api/v1/schema/?format=json")
    paths = response.json()["paths"]
    for path in (
        "/api/v1/referrals/{id}/candidates/",
        "/api/v1/referrals/{id}/allocate/",
        "/api/v1/me/allocations/",
        "/api/v1/assessments/{id}/",
        "/api/v1/assessments/{id}/accept/",
        "/api/v1/assessments/{id}/decline/",
        "/api/v1/assessments/{id}/timeline/",
        "/api/v1/assessments/{id}/complete/",
    ):
        assert path in paths, path


def test_an_amhp_in_the_persons_locality_ranks_higher_and_says_why(
    make_staff: Any, make_shift: Any, make_referral: Any, service: Any, consultant: Any
) -> None:
    service.postcode_localities = {"AB3": "North", "AB9": "South"}
    service.save(update_fields=["postcode_localities"])
    north = make_staff("amhp", service, locality="North", first_name="Nia", last_name="North")
    south = make_staff("amhp", service, locality="South", first_name="Sol", last_name="South")
    make_shift(north)
    make_shift(south)
    referral = make_referral(service, consultant.user, postcode="AB3 1XY")
    referral.refresh_from_db()
    ranked = selectors.candidates_for(referral, timezone.now())
    assert [r.candidate.name for r in ranked][0] == north.display_name
    assert any("North" in reason for reason in ranked[0].reasons)
    assert not any("locality" in reason for reason in ranked[1].reasons)
