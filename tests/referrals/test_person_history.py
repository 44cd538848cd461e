"""A person is never silently renamed: a different name on a matching NHS number is shown and confirmed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals import services
from referrals.models import Person, PersonHistory, Referral
from rota.models import StaffProfile

pytestmark = pytest.mark.django_db
NHS = "9434765919"


@pytest.fixture
def first_referral(service: Any, consultant: StaffProfile, make_referral: Callable[..., Referral]) -> Referral:
    return make_referral(
        service, consultant.user, nhs_number=NHS, given_name="Jane", family_name="Smith", date_of_birth=date(1980, 1, 2)
    )


def test_a_different_name_on_a_known_nhs_number_is_refused_until_confirmed(
    first_referral: Referral, service: Any, consultant: StaffProfile, make_referral: Callable[..., Referral]
) -> None:
    with pytest.raises(services.PersonMatchConflict) as caught:
        make_referral(service, consultant.user, nhs_number=NHS, given_name="Janet", family_name="Jones")

    assert caught.value.person.pk == first_referral.person_id
    assert caught.value.differences["family_name"] == {"on_record": "Smith", "entered": "Jones"}
    assert Referral.objects.count() == 1
    assert Person.objects.get().full_name == "Jane Smith"


def test_confirming_the_new_name_keeps_the_earlier_referral_as_it_was_with_history(
    first_referral: Referral, service: Any, consultant: StaffProfile, make_referral: Callable[..., Referral]
) -> None:
    second = make_referral(
        service, consultant.user, nhs_number=NHS, given_name="Jane", family_name="Jones", person_match="update"
    )

    first_referral.refresh_from_db()
    assert second.person_id == first_referral.person_id
    assert first_referral.person_name == "Jane Smith"  # what was true when it was made
    assert second.person_name == "Jane Jones"
    assert Person.objects.get().family_name == "Jones"
    change = PersonHistory.objects.get()
    assert (change.family_name, change.changed_by_id, change.referral_id) == ("Smith", consultant.user_id, second.pk)
    assert change.changes == {"family_name": ["Smith", "Jones"]}


def test_keeping_the_name_on_record_changes_nobody(
    first_referral: Referral, service: Any, consultant: StaffProfile, make_referral: Callable[..., Referral]
) -> None:
    second = make_referral(
        service, consultant.user, nhs_number=NHS, given_name="Janet", family_name="Smith", person_match="keep"
    )

    assert second.person_name == "Jane Smith"
    assert Person.objects.get().given_name == "Jane"
    assert not PersonHistory.objects.exists()


def test_the_same_name_in_other_case_is_no_conflict(
    first_referral: Referral, service: Any, consultant: StaffProfile, make_referral: Callable[..., Referral]
) -> None:
    second = make_referral(service, consultant.user, nhs_number=NHS, given_name="JANE", family_name=" smith")
    assert second.person_id == first_referral.person_id


def test_the_api_answers_409_with_the_match_unless_told(first_referral: Referral, consultant_api: Any) -> None:
    body: dict[str, Any] = {
        "person": {"nhs_number": "943 476 5919", "given_name": "Janet", "family_name": "Smith"},
        "legal_status": "community",
        "reason": "Low mood",
    }
    refused = consultant_api.post("/api/v1/referrals/", body, format="json")

    assert refused.status_code == 409
    assert refused.json()["match"]["id"] == str(first_referral.person_id)
    assert refused.json()["match"]["given_name"] == "Jane"
    assert refused.json()["differences"]["given_name"] == {"on_record": "Jane", "entered": "Janet"}
    assert Referral.objects.count() == 1

    made = consultant_api.post("/api/v1/referrals/", {**body, "person_match": "update"}, format="json")
    assert made.status_code == 201
    earlier = consultant_api.get(f"/api/v1/referrals/{first_referral.pk}/").json()
    assert earlier["person"]["given_name"] == "Jane"
    assert made.json()["person"]["given_name"] == "Janet"


def test_the_web_form_shows_the_match_keeps_what_was_typed_and_saves_once_confirmed(
    first_referral: Referral, consultant: StaffProfile, logged_in_client: Callable[..., Any]
) -> None:
    client = logged_in_client(consultant)
    form = {
        "nhs_number": "943 476 5919",
        "given_name": "Janet",
        "family_name": "Smith",
        "sex": "not_known",
        "ethnicity": "99",
        "legal_status": "community",
        "reason": "Low mood and not eating",
        "action": "submit",
    }
    shown = client.post("/referrals/new/", form)

    assert shown.status_code == 409
    page = shown.content.decode()
    assert "This NHS number is already on record" in page
    assert "On record: Jane" in page and "Entered: Janet" in page
    assert 'value="Low mood and not eating"' in page or "Low mood and not eating</textarea>" in page
    assert Referral.objects.count() == 1

    saved = client.post("/referrals/new/", {**form, "person_match": "keep"})
    assert saved.status_code == 302
    assert Referral.objects.count() == 2
    assert Person.objects.get().given_name == "Jane"


def test_editing_a_referral_records_the_change_and_leaves_earlier_referrals_alone(
    first_referral: Referral, service: Any, consultant: StaffProfile, make_referral: Callable[..., Referral]
) -> None:
    second = make_referral(service, consultant.user, nhs_number=NHS, given_name="Jane", family_name="Smith")

    services.referral_update(referral=second, actor=consultant.user, data={"family_name": "Smyth"})

    first_referral.refresh_from_db()
    second.refresh_from_db()
    assert (first_referral.person_name, second.person_name) == ("Jane Smith", "Jane Smyth")
    assert PersonHistory.objects.get().family_name == "Smith"


def test_the_persons_page_lists_every_referral_with_its_name_then_in_constant_queries(
    first_referral: Referral,
    service: Any,
    consultant: StaffProfile,
    make_referral: Callable[..., Referral],
    logged_in_client: Callable[..., Any],
) -> None:
    client = logged_in_client(consultant)
    url = f"/people/{first_referral.person_id}/"
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(5):
        make_referral(
            service, consultant.user, nhs_number=NHS, given_name="Jane", family_name=f"Name{n}", person_match="update"
        )
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)

    text = page.content.decode()
    assert page.status_code == 200
    assert "Jane Smith" in text and "Jane Name4" in text and first_referral.reference in text
    assert len(many.captured_queries) == len(few.captured_queries)
