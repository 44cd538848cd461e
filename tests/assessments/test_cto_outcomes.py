"""The AMHP's agreement to a CTO (s17A(4)) or to its revocation (s17F(4)) on the record: the learning disability
qualifier (s1(2A), s1(2B)) is enforced by the service, on the page and through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from amhp_hub.common.errors import RuleError
from assessments import services
from assessments.models import Assessment

pytestmark = pytest.mark.django_db


def api_url(assessment: Assessment) -> str:
    return f"/api/v1/assessments/{assessment.pk}/"


def provisions(response: Any) -> list[str]:
    return [e["provision"] for e in response.json()["errors"]]


@pytest.mark.parametrize("outcome", ["cto_agreed", "cto_revocation_agreed"])
def test_s1_2b_the_api_refuses_agreeing_to_a_cto_on_a_learning_disability_alone(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any, outcome: str
) -> None:
    client = api_client_for(on_duty_amhp)
    body = {"outcome": outcome, "learning_disability": True}
    response = client.patch(api_url(accepted), body, format="json")
    assert response.status_code == 400
    assert provisions(response) == ["s1(2B)"]
    assert "abnormally_aggressive_or_seriously_irresponsible" in response.json()
    accepted.refresh_from_db()
    assert (accepted.outcome, accepted.learning_disability, accepted.version) == ("", False, 1)  # nothing saved
    body["abnormally_aggressive_or_seriously_irresponsible"] = True
    response = client.patch(api_url(accepted), body, format="json")
    assert response.status_code == 200, response.json()
    out = response.json()
    assert (out["outcome"], out["learning_disability"], out["abnormally_aggressive_or_seriously_irresponsible"]) == (
        outcome,
        True,
        True,
    )


def test_s1_2b_not_agreeing_to_revocation_is_recorded_whatever_the_disorder(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any
) -> None:
    body = {"outcome": "cto_revocation_not_agreed", "learning_disability": True}
    assert api_client_for(on_duty_amhp).patch(api_url(accepted), body, format="json").status_code == 200


def test_s1_2b_a_later_change_cannot_leave_an_agreement_resting_on_a_learning_disability_alone(
    api_client_for: Any, accepted: Assessment, on_duty_amhp: Any
) -> None:
    client = api_client_for(on_duty_amhp)
    body = {
        "outcome": "cto_agreed",
        "learning_disability": True,
        "abnormally_aggressive_or_seriously_irresponsible": True,
    }
    assert client.patch(api_url(accepted), body, format="json").status_code == 200
    # Unticking the conduct alone, with the agreement still recorded, is refused.
    response = client.patch(
        api_url(accepted), {"abnormally_aggressive_or_seriously_irresponsible": False}, format="json"
    )
    assert provisions(response) == ["s1(2B)"]


def test_s1_2b_the_page_refuses_the_agreement_keeps_what_was_typed_then_saves_it_with_the_conduct(
    logged_in_client: Any, accepted: Assessment, on_duty_amhp: Any
) -> None:
    client = logged_in_client(on_duty_amhp)
    page = f"/assessments/{accepted.pk}/"
    html = client.get(page).content.decode()
    assert 'name="record-learning_disability"' in html
    assert 'name="record-abnormally_aggressive_or_seriously_irresponsible"' in html
    record = {
        "record-outcome": "cto_agreed",
        "record-outcome_notes": "Agreed with the RC after meeting Kasia and her carer",
        "record-learning_disability": "on",
        "record-nearest_relative_action": "not_yet",
        "record-version": "1",
    }
    response = client.post(f"{page}record/", record)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and "s1(2B)" in html
    assert "Agreed with the RC after meeting Kasia and her carer" in html  # nothing typed is lost
    accepted.refresh_from_db()
    assert accepted.outcome == ""
    record["record-abnormally_aggressive_or_seriously_irresponsible"] = "on"
    assert client.post(f"{page}record/", record).status_code == 302
    accepted.refresh_from_db()
    assert (
        accepted.outcome,
        accepted.learning_disability,
        accepted.abnormally_aggressive_or_seriously_irresponsible,
    ) == (
        "cto_agreed",
        True,
        True,
    )
    assert (
        "Associated with abnormally aggressive or seriously irresponsible conduct" in client.get(page).content.decode()
    )


def test_s1_2b_completing_rechecks_an_agreement_recorded_before_the_rule(
    accepted: Assessment, on_duty_amhp: Any
) -> None:
    now = timezone.now()
    services.assessment_update_record(
        assessment=accepted,
        actor=on_duty_amhp.user,
        data={"work_started_at": now - timedelta(hours=2), "work_ended_at": now - timedelta(minutes=5)},
    )
    # A record written before the qualifier was checked: the agreement rests on a learning disability alone.
    Assessment.objects.filter(pk=accepted.pk).update(outcome="cto_revocation_agreed", learning_disability=True)
    with pytest.raises(RuleError) as info:
        services.assessment_complete(assessment=accepted, actor=on_duty_amhp.user)
    assert [v[0] for v in info.value.violations] == ["s1(2B)"]
    accepted.refresh_from_db()
    assert accepted.status != "completed"
