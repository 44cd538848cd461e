"""The application as a record: GET/POST /api/v1/assessments/{id}/application/ and the completion service."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amhp_hub.common.models import AuditEvent
from assessments import services
from assessments.models import Application, Assessment
from referrals.models import Referral
from referrals.nr_services import nearest_relative_save

pytestmark = pytest.mark.django_db


def url(assessment: Assessment) -> str:
    return f"/api/v1/assessments/{assessment.pk}/application/"


def provisions(response: Any) -> list[str]:
    return [e["provision"] for e in response.json()["errors"]]


def test_a_valid_s3_application_is_recorded_and_moves_the_referral_to_application_made(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any
) -> None:
    client = api_client_for(on_duty_amhp)
    assert client.get(url(accepted)).status_code == 404
    response = client.post(url(accepted), s3_payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["section"] == "s3"
    assert body["referral_status"] == "application_made"
    assert [r["doctor"] for r in body["recommendations"]] == ["Dr Adeyemi", "Dr Brennan"]
    referral = Referral.objects.get(pk=accepted.referral_id)
    assert referral.status == "application_made"
    accepted.refresh_from_db()
    assert accepted.application_signed_at is not None
    assert AuditEvent.objects.filter(object_type="application", action="create").count() == 1
    assert client.get(url(accepted)).json()["signed_at"] == body["signed_at"]


def test_s3_without_consulting_the_nearest_relative_is_refused_under_s11_4(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any
) -> None:
    response = api_client_for(on_duty_amhp).post(
        url(accepted), s3_payload(nearest_relative_step="informed"), format="json"
    )
    assert response.status_code == 400
    assert provisions(response) == ["s11(4)"]
    assert "nearest_relative_step" in response.json()  # the field messages, alongside "errors"
    assert not Application.objects.exists()
    assert Referral.objects.get(pk=accepted.referral_id).status == "allocated"


def test_s3_not_practicable_needs_its_reason_under_s11_4(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any
) -> None:
    client = api_client_for(on_duty_amhp)
    response = client.post(url(accepted), s3_payload(nearest_relative_step="not_practicable"), format="json")
    assert provisions(response) == ["s11(4)"]
    response = client.post(
        url(accepted),
        s3_payload(nearest_relative_step="not_practicable", nearest_relative_reason="Abroad, no contact details"),
        format="json",
    )
    assert response.status_code == 201


def test_s2_on_one_recommendation_from_a_doctor_not_approved_is_refused(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any
) -> None:
    payload = s3_payload(section="s2")
    payload["recommendations"] = payload["recommendations"][1:]  # Dr Brennan only, not s12 approved
    response = api_client_for(on_duty_amhp).post(url(accepted), payload, format="json")
    assert response.status_code == 400
    assert provisions(response) == ["s2(3)"]


def test_s12_1_examinations_six_clear_days_apart_are_refused(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any, application_day: Any
) -> None:
    from datetime import timedelta

    payload = s3_payload()
    # 7 days before: the clear days between are days -6..-1, six of them; five is the most allowed.
    first = (application_day - timedelta(days=7)).isoformat()
    payload["recommendations"][0].update(examined_on=first, signed_on=first)
    response = api_client_for(on_duty_amhp).post(url(accepted), payload, format="json")
    assert provisions(response) == ["s12(1)"]


def test_an_objection_on_the_persons_record_bars_s3_from_any_referral(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any, application_day: Any
) -> None:
    person = accepted.referral.person
    nearest_relative_save(
        person=person,
        actor=on_duty_amhp.user,
        relatives=[{"name": "Jo Example", "relationship": "parent"}],
        objections=[{"date": application_day, "to": "s3", "relative": "Jo Example"}],
    )
    client = api_client_for(on_duty_amhp)
    response = client.post(url(accepted), s3_payload(), format="json")
    assert provisions(response) == ["s11(4)"]
    assert "objects" in response.json()["errors"][0]["message"]
    # an s2 is not barred by an objection to s3, and it reminds the AMHP to inform (s11(3)).
    response = client.post(url(accepted), s3_payload(section="s2", nearest_relative_step=""), format="json")
    assert response.status_code == 201
    assert [p["provision"] for p in response.json()["prompts"]] == ["s11(3)"]


def test_a_consultant_reads_the_application_but_cannot_make_it(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, consultant: Any, s3_payload: Any
) -> None:
    assert api_client_for(consultant).post(url(accepted), s3_payload(), format="json").status_code == 403
    api_client_for(on_duty_amhp).post(url(accepted), s3_payload(), format="json")
    with CaptureQueriesContext(connection) as ctx:
        response = api_client_for(consultant).get(url(accepted))
    assert response.status_code == 200
    assert len(ctx.captured_queries) <= 16


def test_completing_as_detained_under_s3_needs_a_valid_application(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any
) -> None:
    from datetime import timedelta

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    now = timezone.now()
    services.assessment_update_record(
        assessment=accepted,
        actor=on_duty_amhp.user,
        data={"outcome": "detained_s3", "work_started_at": now - timedelta(hours=3), "work_ended_at": now},
    )
    with pytest.raises(ValidationError) as info:
        services.assessment_complete(assessment=accepted, actor=on_duty_amhp.user)
    assert "application_signed_at" in info.value.message_dict
    assert api_client_for(on_duty_amhp).post(url(accepted), s3_payload(), format="json").status_code == 201
    completed = services.assessment_complete(assessment=accepted, actor=on_duty_amhp.user)
    assert completed.status == "completed"
    assert Referral.objects.get(pk=accepted.referral_id).status == "application_made"


def test_s29_displacement_on_ground_c_keeps_the_s2_running_until_decided(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any, consultant: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from referrals.services import referral_admit

    client = api_client_for(on_duty_amhp)
    assert (
        client.post(
            url(accepted), s3_payload(section="s2", nearest_relative_step="informed"), format="json"
        ).status_code
        == 201
    )
    admitted = timezone.now() - timedelta(hours=1)
    referral_admit(referral=accepted.referral, actor=on_duty_amhp.user, at=admitted)
    desk = api_client_for(consultant)

    def s2_due() -> str | None:
        rows = desk.get(f"/api/v1/referrals/{accepted.referral_id}/deadlines/").json()
        return next(d["due_at"] for d in rows if d["rule"] == "detention_s2")

    # s2(4): 28 days beginning with the day of admission, so it ends at the start of day 29.
    first = s2_due()
    assert first is not None
    person_url = f"/api/v1/people/{accepted.referral.person_id}/nearest-relative/"
    today = timezone.localdate()
    body = {"displacement": [{"ground": "c", "applied_on": today.isoformat()}]}
    assert desk.post(person_url, body, format="json").status_code == 200
    assert s2_due() is None  # s29(4): the s2 continues until the application is disposed of


# s12(2) with the doctor directory: a recommendation may name a directory doctor (doctor_id), whose approval counts.


def _listed(service: Any, name: str, expires_on: Any, *, approved: bool = True, gmc: str = "7012345") -> Any:
    from rota.models import DirectoryDoctor

    return DirectoryDoctor.objects.create(
        service=service, name=name, gmc_number=gmc, s12_approved=approved, s12_approval_expires_on=expires_on
    )


def _from_directory(payload: dict[str, Any], listed: Any, **changes: Any) -> dict[str, Any]:
    """The payload with its first recommendation (the s12-approved one) naming LISTED instead of a typed name."""
    first = payload["recommendations"][0]
    first.pop("doctor")
    first.pop("s12_approved")
    first.update(doctor_id=listed.pk, **changes)
    return payload


def test_s12_2_a_directory_doctor_in_date_founds_the_application_with_the_directory_s_approval(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any, application_day: Any
) -> None:
    from datetime import timedelta

    from assessments.models import Recommendation

    doctor = _listed(accepted.service, "Dr Amara Okafor", application_day + timedelta(days=200))
    # Whatever is typed beside doctor_id, the directory's name and approval are the ones recorded.
    payload = _from_directory(s3_payload(), doctor, doctor="Dr Someone Else", s12_approved=False)
    response = api_client_for(on_duty_amhp).post(url(accepted), payload, format="json")
    assert response.status_code == 201, response.json()
    first = response.json()["recommendations"][0]
    assert (first["doctor_id"], first["doctor"], first["s12_approved"]) == (doctor.pk, "Dr Amara Okafor", True)
    assert first["s12_approval_expires_on"] == (application_day + timedelta(days=200)).isoformat()
    assert response.json()["recommendations"][1]["doctor_id"] is None  # Dr Brennan typed freely
    stored = Recommendation.objects.get(position=0)
    assert stored.directory_doctor_id == doctor.pk and stored.doctor == "Dr Amara Okafor"


def test_s12_2_a_directory_doctor_whose_approval_expired_before_the_examination_is_refused(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any, application_day: Any
) -> None:
    from datetime import timedelta

    # Dr Okafor examined the day before the application; the directory says her approval ended the day before that.
    examined_on = application_day - timedelta(days=1)
    doctor = _listed(accepted.service, "Dr Amara Okafor", examined_on - timedelta(days=1))
    payload = _from_directory(s3_payload(), doctor, s12_approved=True)  # the client's "approved" does not count
    response = api_client_for(on_duty_amhp).post(url(accepted), payload, format="json")
    assert response.status_code == 400
    assert provisions(response) == ["s12(2)"]
    message = response.json()["errors"][0]["message"]
    assert "Dr Amara Okafor" in message and f"before the examination on {examined_on:%d/%m/%Y}" in message
    assert not Application.objects.exists()
    assert Referral.objects.get(pk=accepted.referral_id).status == "allocated"


def test_s12_2_a_directory_approval_ending_between_the_examination_and_the_application_is_refused(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any, application_day: Any
) -> None:
    from datetime import timedelta

    # In date on the examination day (it runs to the end of its last day), lapsed by the application the day after.
    doctor = _listed(accepted.service, "Dr Amara Okafor", application_day - timedelta(days=1))
    response = api_client_for(on_duty_amhp).post(url(accepted), _from_directory(s3_payload(), doctor), format="json")
    assert provisions(response) == ["s12(2)"]
    assert f"before the application on {application_day:%d/%m/%Y}" in response.json()["errors"][0]["message"]
    # Ending on the application day itself, it is in date.
    doctor.s12_approval_expires_on = application_day
    doctor.save()
    response = api_client_for(on_duty_amhp).post(url(accepted), _from_directory(s3_payload(), doctor), format="json")
    assert response.status_code == 201, response.json()


def test_s12_2_a_directory_doctor_not_approved_cannot_be_the_approved_one(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any, application_day: Any
) -> None:
    from datetime import timedelta

    doctor = _listed(accepted.service, "Dr Peter Hale", application_day + timedelta(days=90), approved=False)
    payload = _from_directory(s3_payload(), doctor, s12_approved=True)
    response = api_client_for(on_duty_amhp).post(url(accepted), payload, format="json")
    assert provisions(response) == ["s12(2)"]


def test_s12_2_a_doctor_of_another_service_is_refused_like_one_that_does_not_exist(
    api_client_for: Any,
    accepted: Assessment,
    on_duty_amhp: Any,
    s3_payload: Any,
    application_day: Any,
    other_service: Any,
) -> None:
    from datetime import timedelta

    from rota.models import DirectoryDoctor

    theirs = _listed(other_service, "Dr Hidden Elsewhere", application_day + timedelta(days=90))
    client = api_client_for(on_duty_amhp)
    refused = client.post(url(accepted), _from_directory(s3_payload(), theirs), format="json")
    missing_id = DirectoryDoctor.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    missing = DirectoryDoctor(pk=missing_id)
    unknown = client.post(url(accepted), _from_directory(s3_payload(), missing), format="json")
    assert refused.status_code == unknown.status_code == 400
    assert (
        refused.json()
        == unknown.json()
        == {"recommendations": ["Recommendation 1: choose a doctor from this service's directory"]}
    )
    assert "Hidden" not in refused.content.decode()
    assert not Application.objects.exists()


def test_a_recommendation_needs_a_doctor_s_name_or_a_directory_doctor(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any
) -> None:
    payload = s3_payload()
    payload["recommendations"][0].pop("doctor")
    response = api_client_for(on_duty_amhp).post(url(accepted), payload, format="json")
    assert response.status_code == 400
    assert "doctor" in response.json()["recommendations"]["0"]  # DRF names the list item by its index
