"""Accepting, declining and recording an assessment: services and the API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amhp_hub.common.errors import ConflictError
from assessments import services
from assessments.models import Assessment
from referrals.models import Referral

pytestmark = pytest.mark.django_db


def url(assessment: Assessment, action: str = "") -> str:
    return f"/api/v1/assessments/{assessment.pk}/{action + '/' if action else ''}"


def test_the_amhp_accepts_an_offered_allocation(
    api_client_for: Any, allocate: Any, queued_referral: Referral, on_duty_amhp: Any
) -> None:
    assessment = allocate(queued_referral, on_duty_amhp)
    response = api_client_for(on_duty_amhp).post(url(assessment, "accept"))
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert [e["kind"] for e in response.json()["timeline"]] == ["allocated", "accepted"]
    assert api_client_for(on_duty_amhp).post(url(assessment, "accept")).status_code == 409


def test_declining_needs_a_reason_and_returns_the_referral_to_the_queue(
    api_client_for: Any, allocate: Any, queued_referral: Referral, on_duty_amhp: Any
) -> None:
    assessment = allocate(queued_referral, on_duty_amhp)
    client = api_client_for(on_duty_amhp)
    response = client.post(url(assessment, "decline"), {"reason": "  "}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    response = client.post(url(assessment, "decline"), {"reason": "On a warrant until 22:00"}, format="json")
    assert response.status_code == 200
    assert response.json()["decline_reason"] == "On a warrant until 22:00"
    queued_referral.refresh_from_db()
    assert queued_referral.status == "accepted"
    # Having declined, the AMHP no longer sees the work at all.
    assert client.post(url(assessment, "decline"), {"reason": "again"}, format="json").status_code == 404
    assert client.get(f"/api/v1/referrals/{queued_referral.pk}/").status_code == 404


def test_only_the_allocated_amhp_may_accept_and_consultants_may_not(
    api_client_for: Any, allocate: Any, queued_referral: Referral, on_duty_amhp: Any, make_staff: Any, service: Any
) -> None:
    assessment = allocate(queued_referral, on_duty_amhp)
    colleague = make_staff("amhp", service)
    consultant = make_staff("consultant", service)
    assert api_client_for(colleague).post(url(assessment, "accept")).status_code == 404
    assert api_client_for(consultant).post(url(assessment, "accept")).status_code == 403


def test_the_record_is_read_by_the_desk_and_hidden_from_others(
    api_client_for: Any, accepted: Assessment, make_staff: Any, service: Any, other_service: Any, consultant: Any
) -> None:
    assert api_client_for(consultant).get(url(accepted)).status_code == 200
    assert api_client_for(make_staff("manager", service)).get(url(accepted)).status_code == 200
    assert api_client_for(make_staff("amhp", service)).get(url(accepted)).status_code == 404
    assert api_client_for(make_staff("manager", other_service)).get(url(accepted)).status_code == 404
    assert (
        api_client_for(consultant).patch(url(accepted), {"outcome": "cto_revocation_agreed"}, format="json").status_code
        == 403
    )


def test_recording_events_sets_times_and_puts_work_in_progress(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any
) -> None:
    client = api_client_for(on_duty_amhp)
    seen = timezone.now() - timedelta(minutes=30)
    response = client.post(url(accepted, "timeline"), {"kind": "seen", "at": seen.isoformat(), "note": "At home"})
    assert response.status_code == 201, response.content
    accepted.refresh_from_db()
    assert accepted.seen_at == seen
    assert accepted.status == "in_progress"
    response = client.post(url(accepted, "timeline"), {"kind": "allocated", "at": seen.isoformat()})
    assert response.status_code == 400
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    response = client.post(url(accepted, "timeline"), {"kind": "note", "at": future})
    assert response.status_code == 400
    assert response.json()["at"] == ["The time must be in the past"]


def test_events_cannot_be_recorded_before_accepting(
    allocate: Any, queued_referral: Referral, on_duty_amhp: Any
) -> None:
    assessment = allocate(queued_referral, on_duty_amhp)
    with pytest.raises(ConflictError, match="Accept the allocation"):
        services.assessment_record_event(assessment=assessment, actor=on_duty_amhp.user, kind="seen", at=timezone.now())


def test_patching_the_record_adds_doctors_and_computes_hours(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any
) -> None:
    start = timezone.now() - timedelta(hours=5)
    end = start + timedelta(hours=3, minutes=45)
    response = api_client_for(on_duty_amhp).patch(
        url(accepted),
        {
            "nearest_relative_action": "consulted",
            "delay_reasons": ["no_bed", "ambulance"],
            "work_started_at": start.isoformat(),
            "work_ended_at": end.isoformat(),
            "doctors": [
                {"name": "Dr Okafor", "s12_approved": True, "examined_at": start.isoformat()},
                {"name": "Dr Green", "previous_acquaintance": True, "examined_at": start.isoformat()},
            ],
            "outcome": "detained_s2",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["hours_worked"] == "3.75"
    assert {d["name"] for d in body["doctors"]} == {"Dr Okafor", "Dr Green"}
    doctor_id = next(d["id"] for d in body["doctors"] if d["name"] == "Dr Green")
    response = api_client_for(on_duty_amhp).patch(
        url(accepted),
        {"doctors": [{"id": doctor_id, "recommendation_signed": True}], "hours_worked": "4.5"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["hours_worked"] == "4.50"
    assert accepted.doctors.get(pk=doctor_id).recommendation_signed is True


def test_an_unknown_outcome_or_delay_reason_gets_a_field_message(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any
) -> None:
    client = api_client_for(on_duty_amhp)
    response = client.patch(url(accepted), {"outcome": "sectioned", "delay_reasons": ["traffic"]}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"outcome", "delay_reasons"}


def test_work_must_end_after_it_starts(accepted: Assessment, on_duty_amhp: Any) -> None:
    start = timezone.now() - timedelta(hours=2)
    with pytest.raises(ValidationError) as info:
        services.assessment_update_record(
            assessment=accepted,
            actor=on_duty_amhp.user,
            data={"work_started_at": start, "work_ended_at": start - timedelta(minutes=1)},
        )
    assert info.value.message_dict["work_ended_at"] == ["The time work ended must be after the time it started"]
    accepted.refresh_from_db()
    assert accepted.work_started_at is None  # nothing saved


def test_a_nearest_relative_objection_bars_section_3(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any
) -> None:
    response = api_client_for(on_duty_amhp).patch(
        url(accepted), {"outcome": "detained_s3", "nearest_relative_action": "objected"}, format="json"
    )
    assert response.status_code == 400
    assert "s11(4)" in response.json()["outcome"][0]
    # The same objection does not bar section 2.
    response = api_client_for(on_duty_amhp).patch(
        url(accepted), {"outcome": "detained_s2", "nearest_relative_action": "objected"}, format="json"
    )
    assert response.status_code == 200


def test_medical_examinations_more_than_5_clear_days_apart_are_refused_for_detention(
    accepted: Assessment, on_duty_amhp: Any
) -> None:
    now = timezone.now()
    doctors = [
        {"name": "Dr A", "s12_approved": True, "examined_at": now - timedelta(days=8)},
        {"name": "Dr B", "examined_at": now - timedelta(hours=1)},
    ]
    with pytest.raises(ValidationError) as info:
        services.assessment_update_record(
            assessment=accepted, actor=on_duty_amhp.user, data={"outcome": "detained_s2"}, doctors=doctors
        )
    assert "more than 5 clear days apart" in info.value.message_dict["doctors"][0]
    # Not a detention: the gap does not matter.
    services.assessment_update_record(
        assessment=accepted, actor=on_duty_amhp.user, data={"outcome": "informal_admission"}, doctors=doctors
    )
    assert accepted.doctors.count() == 2


def test_completing_needs_an_outcome_and_work_times(accepted: Assessment, on_duty_amhp: Any) -> None:
    with pytest.raises(ValidationError) as info:
        services.assessment_complete(assessment=accepted, actor=on_duty_amhp.user)
    assert set(info.value.message_dict) == {"outcome", "work_started_at", "work_ended_at"}


def test_completing_sets_the_referral_assessed_and_cannot_happen_twice(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, queued_referral: Referral
) -> None:
    client = api_client_for(on_duty_amhp)
    start = timezone.now() - timedelta(hours=3)
    client.patch(
        url(accepted),
        {
            "outcome": "crisis_home_treatment",
            "work_started_at": start.isoformat(),
            "work_ended_at": (start + timedelta(hours=2)).isoformat(),
        },
        format="json",
    )
    response = client.post(url(accepted, "complete"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    assert response.json()["hours_worked"] == "2.00"
    queued_referral.refresh_from_db()
    assert queued_referral.status == "assessed"
    assert queued_referral.closed_at is not None
    assert client.post(url(accepted, "complete")).status_code == 409
    assert client.get("/api/v1/me/allocations/").json() == []


def test_my_allocations_lists_the_callers_open_work_in_constant_queries(
    api_client_for: Any,
    make_referral: Any,
    service: Any,
    consultant: Any,
    on_duty_amhp: Any,
    allocate: Any,
    make_staff: Any,
    make_shift: Any,
) -> None:
    client = api_client_for(on_duty_amhp)
    colleague = make_staff("amhp", service)
    make_shift(colleague)
    allocate(make_referral(service, consultant.user), colleague)

    def measure(expected: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/api/v1/me/allocations/").json()
        assert len(body) == expected
        return len(queries)

    allocate(make_referral(service, consultant.user, given_name="First"), on_duty_amhp)
    few = measure(1)
    for i in range(6):
        allocate(make_referral(service, consultant.user, given_name=f"Case{i}"), on_duty_amhp)
    many = measure(7)
    assert few == many
    body = client.get("/api/v1/me/allocations/").json()
    assert body[0]["person"] == "Case5 Example"
    assert {"id", "referral", "status", "due_at", "shift_ends_at"} <= set(body[0])


def test_record_details_read_in_constant_queries(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, consultant: Any
) -> None:
    client = api_client_for(consultant)

    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(accepted)).status_code == 200
        return len(queries)

    few = measure()
    for i in range(5):
        services.assessment_record_event(
            assessment=accepted, actor=on_duty_amhp.user, kind="note", at=timezone.now(), note=f"call {i}"
        )
    services.assessment_update_record(
        assessment=accepted, actor=on_duty_amhp.user, data={}, doctors=[{"name": "Dr A"}, {"name": "Dr B"}]
    )
    assert measure() == few


def test_hours_worked_may_be_entered_without_times(accepted: Assessment, on_duty_amhp: Any) -> None:
    services.assessment_update_record(
        assessment=accepted, actor=on_duty_amhp.user, data={"hours_worked": Decimal("2.5")}
    )
    accepted.refresh_from_db()
    assert accepted.hours_worked == Decimal("2.50")
    with pytest.raises(ValidationError):
        services.assessment_update_record(
            assessment=accepted, actor=on_duty_amhp.user, data={"hours_worked": Decimal("-1")}
        )


def test_a_completed_record_is_closed_to_further_changes(accepted: Assessment, on_duty_amhp: Any) -> None:
    start = timezone.now() - timedelta(hours=2)
    services.assessment_update_record(
        assessment=accepted,
        actor=on_duty_amhp.user,
        data={"outcome": "no_further_action", "work_started_at": start, "work_ended_at": start + timedelta(hours=1)},
    )
    services.assessment_complete(assessment=accepted, actor=on_duty_amhp.user)
    with pytest.raises(ConflictError, match="completed"):
        services.assessment_update_record(assessment=accepted, actor=on_duty_amhp.user, data={"outcome": ""})
    with pytest.raises(ConflictError, match="completed"):
        services.assessment_record_event(assessment=accepted, actor=on_duty_amhp.user, kind="note", at=timezone.now())


def test_a_stale_record_save_is_refused_with_409_and_the_other_change(
    accepted: Assessment, on_duty_amhp: Any, api_client_for: Any
) -> None:
    # Two clients (the AMHP's phone and laptop) read the same version of the record.
    phone, laptop = api_client_for(on_duty_amhp), api_client_for(on_duty_amhp)
    etag = phone.get(url(accepted))["ETag"]
    assert laptop.get(url(accepted))["ETag"] == etag
    saved = phone.patch(url(accepted), {"outcome_notes": "Seen at home"}, format="json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200 and saved["ETag"] != etag
    stale = laptop.patch(url(accepted), {"outcome_notes": "Seen at A&E"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 409
    assert stale.json()["other_change"]["fields"] == ["outcome_notes"]
    accepted.refresh_from_db()
    assert accepted.outcome_notes == "Seen at home"


def _record_form_data(form: Any, **changes: str) -> dict[str, Any]:
    """What the record form posts: the values it was shown with (hidden version included), then CHANGES."""
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value in (None, "", False) or isinstance(value, list | tuple) and not value:
            continue
        key = form.add_prefix(name)
        data[key] = field.widget.format_value(value) if hasattr(value, "isoformat") else value
    data.update({form.add_prefix(k): v for k, v in changes.items()})
    return data


def test_a_stale_web_record_save_keeps_what_was_typed_and_shows_the_other_change(
    accepted: Assessment, on_duty_amhp: Any
) -> None:
    from django.test import Client

    # The AMHP has the record open on a phone and a laptop: both forms show version 1.
    phone, laptop = Client(), Client()
    phone.force_login(on_duty_amhp.user)
    laptop.force_login(on_duty_amhp.user)
    page = f"/assessments/{accepted.pk}/"
    form_phone = phone.get(page).context["record_form"]
    form_laptop = laptop.get(page).context["record_form"]
    assert form_phone.initial["version"] == form_laptop.initial["version"] == 1
    saved = phone.post(f"{page}record/", _record_form_data(form_phone, outcome_notes="Seen at home with her sister"))
    assert saved.status_code == 302
    stale = laptop.post(
        f"{page}record/",
        _record_form_data(form_laptop, outcome="informal_admission", outcome_notes="Agreed to go in informally"),
    )
    assert stale.status_code == 409
    html = stale.content.decode()
    # The error summary says someone else saved, when, and what they changed (by field name, never value).
    assert "There is a problem" in html
    assert "Someone else changed this record since you opened it" in html and "outcome notes" in html
    assert on_duty_amhp.user.get_full_name() in html
    # What the laptop typed is still in the form, now carrying the new version so that saving again applies it.
    assert "Agreed to go in informally" in html
    assert 'value="informal_admission" selected' in html
    assert 'name="record-version" value="2"' in html
    accepted.refresh_from_db()
    assert (accepted.outcome_notes, accepted.outcome, accepted.version) == ("Seen at home with her sister", "", 2)
    # Sent again from the form as it came back (the newer version), the laptop's change is saved.
    resent = stale.context["record_form"]
    again = laptop.post(f"{page}record/", {k: v for k, v in resent.data.lists() if k != "csrfmiddlewaretoken"})
    assert again.status_code == 302
    accepted.refresh_from_db()
    assert (accepted.outcome_notes, accepted.outcome, accepted.version) == (
        "Agreed to go in informally",
        "informal_admission",
        3,
    )
