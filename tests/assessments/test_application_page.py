"""The AMHP's application page and the documents rendered from the record."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from assessments.models import Assessment
from referrals.models import Referral
from referrals.nr_services import nearest_relative_save, nr_request_record

pytestmark = pytest.mark.django_db


def page(assessment: Assessment) -> str:
    return f"/assessments/{assessment.pk}/application/"


def form_data(payload: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The API payload as the page's form posts it."""
    from datetime import datetime

    data: dict[str, Any] = {
        "app-section": payload["section"],
        "app-signed_at": datetime.fromisoformat(payload["signed_at"]).strftime("%Y-%m-%dT%H:%M"),
        "app-applicant_seen_at": datetime.fromisoformat(payload["applicant_seen_at"]).strftime("%Y-%m-%dT%H:%M"),
        "app-nearest_relative_step": payload["nearest_relative_step"],
        "app-grounds": payload["grounds"],
    }
    for n, rec in enumerate(payload["recommendations"], start=1):
        for key, value in rec.items():
            if value is True:
                data[f"app-rec{n}_{key}"] = "on"
            elif value:
                data[f"app-rec{n}_{key}"] = value
    data.update({f"app-{k}": v for k, v in changes.items()})
    return data


def test_the_page_refuses_s3_without_consultation_keeps_what_was_typed_then_accepts_it(
    logged_in_client: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any
) -> None:
    client = logged_in_client(on_duty_amhp)
    assert client.get(page(accepted)).status_code == 200
    response = client.post(page(accepted), form_data(s3_payload(), nearest_relative_step="informed"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "s11(4)" in html and "There is a problem" in html
    assert 'value="Dr Adeyemi"' in html  # nothing typed is lost
    assert Referral.objects.get(pk=accepted.referral_id).status == "allocated"
    response = client.post(page(accepted), form_data(s3_payload()))
    assert response.status_code == 302
    assert Referral.objects.get(pk=accepted.referral_id).status == "application_made"
    html = client.get(page(accepted)).content.decode()
    assert "Section 3 (admission for treatment)" in html
    assert "AMHP&#x27;s outline report" in html or "AMHP's outline report" in html


def test_the_page_shows_the_learning_disability_qualifier(
    logged_in_client: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any
) -> None:
    client = logged_in_client(on_duty_amhp)
    response = client.post(page(accepted), form_data(s3_payload(), learning_disability="on"))
    assert response.status_code == 400
    assert "s1(2B)" in response.content.decode()


def test_a_consultant_sees_the_page_without_the_form(
    logged_in_client: Any, accepted: Assessment, consultant: Any
) -> None:
    response = logged_in_client(consultant).get(page(accepted))
    assert response.status_code == 200
    assert "Make the application" not in response.content.decode()


def _made(client: Any, accepted: Assessment, s3_payload: Any, amhp: Any) -> None:
    nearest_relative_save(
        person=accepted.referral.person,
        actor=amhp.user,
        relatives=[{"name": "Jo Example", "relationship": "spouse", "address": "4 Mill Lane\nRiverside RV1 2AB"}],
    )
    payload = s3_payload(section="s2", nearest_relative_step="informed")
    assert client.post(f"/api/v1/assessments/{accepted.pk}/application/", payload, format="json").status_code == 201


def pdf_text(content: bytes) -> str:
    # PDF text wraps inside table cells: compare with the whitespace folded.
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())


def test_the_s11_3_information_letter_names_the_relative_the_section_and_the_power_to_discharge(
    api_client_for: Any, logged_in_client: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any
) -> None:
    _made(api_client_for(on_duty_amhp), accepted, s3_payload, on_duty_amhp)
    client = logged_in_client(on_duty_amhp)
    html = client.get(f"/assessments/{accepted.pk}/documents/nr-information/").content.decode()
    assert "Dear Jo Example" in html and "4 Mill Lane" in html
    assert "Section 2 (admission for assessment)" in html
    assert "section 23(2)(a)" in html and "72 hours" in html
    assert "<script" not in html and "style=" not in html
    response = client.get(f"/assessments/{accepted.pk}/documents/nr-information.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Jo Example" in text and "Section 2" in text and "72 hours" in text


def test_the_outline_report_carries_the_recommendations_and_the_nearest_relative_step(
    api_client_for: Any, logged_in_client: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any
) -> None:
    _made(api_client_for(on_duty_amhp), accepted, s3_payload, on_duty_amhp)
    response = logged_in_client(on_duty_amhp).get(f"/assessments/{accepted.pk}/documents/outline-report.pdf")
    text = pdf_text(response.content)
    for expected in (
        "Dr Adeyemi",
        "Dr Brennan",
        "Section 12 approved",
        "Informed (s11(3))",
        "Jo Example",
        "Kasia Nowak",
    ):
        assert expected in text, expected


def test_the_s13_4_letter_gives_the_written_reasons(
    logged_in_client: Any, accepted: Assessment, on_duty_amhp: Any
) -> None:
    from django.utils import timezone

    client = logged_in_client(on_duty_amhp)
    assert client.get(f"/assessments/{accepted.pk}/documents/s13-reasons/").status_code == 404
    nr_request_record(
        person=accepted.referral.person,
        actor=on_duty_amhp.user,
        relative="Jo Example",
        requested_on=timezone.localdate(),
        referral=accepted.referral,
        outcome="no_application",
        reasons="Kasia agreed to informal admission to Riverside ward.",
    )
    html = client.get(f"/assessments/{accepted.pk}/documents/s13-reasons/").content.decode()
    assert "Dear Jo Example" in html and "Section 13(4)" in html
    assert "Kasia agreed to informal admission to Riverside ward." in html
    text = pdf_text(client.get(f"/assessments/{accepted.pk}/documents/s13-reasons.pdf").content)
    assert "informal admission" in text and "13(4)" in text


# s12(2) with the doctor directory, on the page: each recommendation offers the service's directory doctors.


def _listed(service: Any, name: str, expires_on: Any, gmc: str) -> Any:
    from rota.models import DirectoryDoctor

    return DirectoryDoctor.objects.create(
        service=service, name=name, gmc_number=gmc, s12_approved=True, s12_approval_expires_on=expires_on
    )


def _choosing(payload: dict[str, Any], doctor: Any) -> dict[str, Any]:
    """The form as posted when the first recommendation is chosen from the directory (name and s12 left blank)."""
    data = form_data(payload)
    data.pop("app-rec1_doctor")
    data.pop("app-rec1_s12_approved")
    data["app-rec1_doctor_id"] = str(doctor.pk)
    return data


def test_s12_2_the_page_offers_the_service_s_directory_doctors_only(
    logged_in_client: Any, accepted: Assessment, on_duty_amhp: Any, application_day: Any, other_service: Any
) -> None:
    from datetime import timedelta

    ours = _listed(accepted.service, "Dr Amara Okafor", application_day + timedelta(days=30), "7012345")
    _listed(other_service, "Dr Hidden Elsewhere", application_day + timedelta(days=30), "7054321")
    html = logged_in_client(on_duty_amhp).get(page(accepted)).content.decode()
    assert 'name="app-rec1_doctor_id"' in html and 'name="app-rec2_doctor_id"' in html
    ends = (application_day + timedelta(days=30)).strftime("%d/%m/%Y")
    assert f'value="{ours.pk}">Dr Amara Okafor (GMC 7012345, s12 approval ends {ends})</option>' in html
    assert "Dr Hidden Elsewhere" not in html
    assert 'name="app-rec1_doctor"' in html  # free entry is still there


def test_s12_2_the_page_refuses_a_directory_doctor_whose_approval_expired_before_the_examination(
    logged_in_client: Any, accepted: Assessment, on_duty_amhp: Any, s3_payload: Any, application_day: Any
) -> None:
    from datetime import timedelta

    from assessments.models import Recommendation

    client = logged_in_client(on_duty_amhp)
    examined_on = application_day - timedelta(days=1)  # the first recommendation's examination (the fixture)
    doctor = _listed(accepted.service, "Dr Amara Okafor", examined_on - timedelta(days=1), "7012345")
    response = client.post(page(accepted), _choosing(s3_payload(), doctor))
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and "s12(2)" in html
    assert f"before the examination on {examined_on:%d/%m/%Y}" in html
    assert f'value="{doctor.pk}" selected' in html  # the choice is kept
    assert Referral.objects.get(pk=accepted.referral_id).status == "allocated"
    # Renewed in the directory, the same choice founds the application.
    doctor.s12_approval_expires_on = application_day + timedelta(days=365)
    doctor.save()
    assert client.post(page(accepted), _choosing(s3_payload(), doctor)).status_code == 302
    assert Referral.objects.get(pk=accepted.referral_id).status == "application_made"
    first = Recommendation.objects.get(position=0)
    assert (first.directory_doctor_id, first.doctor, first.s12_approved) == (doctor.pk, "Dr Amara Okafor", True)
    html = client.get(page(accepted)).content.decode()
    assert f'value="{doctor.pk}" selected' in html  # the recorded choice is shown again


def test_s12_2_the_page_refuses_a_doctor_of_another_service_without_naming_them(
    logged_in_client: Any,
    accepted: Assessment,
    on_duty_amhp: Any,
    s3_payload: Any,
    application_day: Any,
    other_service: Any,
) -> None:
    from datetime import timedelta

    theirs = _listed(other_service, "Dr Hidden Elsewhere", application_day + timedelta(days=30), "7054321")
    response = logged_in_client(on_duty_amhp).post(page(accepted), _choosing(s3_payload(), theirs))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a doctor from this service&#x27;s directory" in html
    assert "Hidden Elsewhere" not in html
    assert Referral.objects.get(pk=accepted.referral_id).status == "allocated"
