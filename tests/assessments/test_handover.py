"""Handing work on, reassigning, planned work on a later shift, and off-rota call-ins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments.models import Assessment, Handover, Notification, TimelineEvent

pytestmark = pytest.mark.django_db


def test_day_amhp_hands_over_to_edt_starting_within_the_hour(
    api_client_for: Any, accepted: Assessment, make_staff: Any, service: Any, make_shift: Any
) -> None:
    edt = make_staff("amhp", service)
    make_shift(edt, starts=timezone.now() + timedelta(minutes=30), hours=15, code="edt")
    response = api_client_for(accepted.amhp).post(
        f"/api/v1/assessments/{accepted.pk}/handover/",
        {"to": str(edt.pk), "notes": "Dr Okafor coming at 18:00; bed manager chasing a bed"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    accepted.refresh_from_db()
    assert accepted.amhp_id == edt.pk
    handover = Handover.objects.get(assessment=accepted)
    assert handover.kind == "handover" and "bed manager" in handover.notes
    assert {n.recipient_id for n in Notification.objects.filter(dedupe_key__startswith="handover:")} == {
        edt.user_id,
        handover.from_amhp.user_id,
    }
    assert TimelineEvent.objects.filter(assessment=accepted, kind="note", note__startswith="Handed over").exists()
    # The history stays with the assessment and the new AMHP now sees it.
    listed = api_client_for(edt).get(f"/api/v1/assessments/{accepted.pk}/handover/").json()
    assert [h["to"] for h in listed] == [str(edt.pk)]


def test_handover_needs_notes_and_someone_on_duty(
    api_client_for: Any, accepted: Assessment, make_staff: Any, service: Any, make_shift: Any
) -> None:
    client = api_client_for(accepted.amhp)
    later = make_staff("amhp", service)
    make_shift(later, starts=timezone.now() + timedelta(hours=3))
    url = f"/api/v1/assessments/{accepted.pk}/handover/"
    assert client.post(url, {"to": str(later.pk), "notes": ""}, format="json").status_code == 400
    response = client.post(url, {"to": str(later.pk), "notes": "Please pick up"}, format="json")
    assert response.status_code == 400 and "not on duty" in str(response.json()["to"])
    assert Handover.objects.count() == 0


def test_consultant_reassigns_after_acceptance_with_a_reason(
    consultant_api: Any, accepted: Assessment, make_staff: Any, service: Any, make_shift: Any
) -> None:
    other = make_staff("amhp", service)
    make_shift(other)
    url = f"/api/v1/assessments/{accepted.pk}/reassign/"
    assert consultant_api.post(url, {"to": str(other.pk), "reason": ""}, format="json").status_code == 400
    response = consultant_api.post(url, {"to": str(other.pk), "reason": "AMHP called to an s136"}, format="json")
    assert response.status_code == 201
    assert Handover.objects.get().kind == "reassign"


def test_an_amhp_cannot_reassign(api_client_for: Any, accepted: Assessment) -> None:
    response = api_client_for(accepted.amhp).post(
        f"/api/v1/assessments/{accepted.pk}/reassign/", {"to": str(accepted.amhp.pk), "reason": "x"}, format="json"
    )
    assert response.status_code == 403


def test_planned_work_goes_to_a_later_shift_ranked_for_that_shift(
    consultant_api: Any, queued_referral: Any, amhp: Any, make_shift: Any
) -> None:
    later = timezone.now() + timedelta(days=3)
    shift = make_shift(amhp, starts=later - timedelta(hours=1))
    options = consultant_api.get(
        f"/api/v1/referrals/{queued_referral.pk}/candidates/", {"at": later.isoformat()}
    ).json()
    assert [o["shift"] for o in options] == [str(shift.pk)]
    assert consultant_api.get(f"/api/v1/referrals/{queued_referral.pk}/candidates/").json() == []
    response = consultant_api.post(
        f"/api/v1/referrals/{queued_referral.pk}/allocate/",
        {"amhp": str(amhp.pk), "planned_at": later.isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assessment = Assessment.objects.get(pk=response.json()["id"])
    assert assessment.planned_shift_id == shift.pk and assessment.shift_ends_at == shift.ends_at
    assert not assessment.called_in


def test_allocating_someone_off_duty_needs_a_call_in_reason_and_is_recorded(
    consultant_api: Any, queued_referral: Any, amhp: Any
) -> None:
    url = f"/api/v1/referrals/{queued_referral.pk}/allocate/"
    response = consultant_api.post(url, {"amhp": str(amhp.pk)}, format="json")
    assert response.status_code == 400 and "call them in" in str(response.json())
    response = consultant_api.post(
        url, {"amhp": str(amhp.pk), "call_in_reason": "Nobody on duty speaks Polish"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assessment = Assessment.objects.get(pk=response.json()["id"])
    assert assessment.called_in and assessment.call_in_reason == "Nobody on duty speaks Polish"
    assert assessment.shift_ends_at is None


def test_call_in_of_someone_on_duty_is_refused(consultant_api: Any, queued_referral: Any, on_duty_amhp: Any) -> None:
    response = consultant_api.post(
        f"/api/v1/referrals/{queued_referral.pk}/allocate/",
        {"amhp": str(on_duty_amhp.pk), "call_in_reason": "x"},
        format="json",
    )
    assert response.status_code == 400 and "call_in_reason" in response.json()


def test_candidates_warn_when_the_work_breaks_11h_rest(
    consultant_api: Any, queued_referral: Any, amhp: Any, make_shift: Any
) -> None:
    now = timezone.now()
    # On duty for one more hour; next shift starts 8 h from now. Community work needs 6 h.
    make_shift(amhp, starts=now - timedelta(hours=7), hours=8)
    make_shift(amhp, starts=now + timedelta(hours=8), hours=8, code="early")
    (option,) = consultant_api.get(f"/api/v1/referrals/{queued_referral.pk}/candidates/").json()
    assert any("breaks the 11 h rest" in w for w in option["working_time_warnings"])
