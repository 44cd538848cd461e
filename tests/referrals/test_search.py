"""Find anything: by name, NHS number (with or without spaces), reference and date of birth; every status;
within the service; audited; never with a name or NHS number in a URL; my drafts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amhp_hub.common.models import AuditEvent
from referrals import selectors
from referrals.models import Referral
from referrals.search import Terms, parse_terms
from rota.models import StaffProfile

pytestmark = pytest.mark.django_db
NHS = "9434765919"


def test_the_search_box_reads_nhs_numbers_references_dates_and_names() -> None:
    assert parse_terms("943 476 5919") == Terms(nhs_number=NHS)
    assert parse_terms("943-476-5919") == Terms(nhs_number=NHS)
    assert parse_terms("r-abcd-2345") == Terms(reference="R-ABCD-2345")
    assert parse_terms("RABCD2345") == Terms(reference="R-ABCD-2345")
    assert parse_terms("02/01/1980") == Terms(date_of_birth=date(1980, 1, 2))
    assert parse_terms("1980-01-02") == Terms(date_of_birth=date(1980, 1, 2))
    assert parse_terms("  Kasia   NOWAK ") == Terms(names=("kasia", "nowak"))
    assert parse_terms("Nowak", date(1980, 1, 2)) == Terms(names=("nowak",), date_of_birth=date(1980, 1, 2))


@pytest.fixture
def world(
    service: Any,
    other_service: Any,
    consultant: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    make_referral: Callable[..., Referral],
) -> dict[str, Referral]:
    kasia = dict(nhs_number=NHS, given_name="Kasia", family_name="Nowak", date_of_birth=date(1980, 1, 2))
    draft = make_referral(service, consultant.user, draft=True, **kasia)
    closed = make_referral(service, consultant.user, **kasia)
    Referral.objects.filter(pk=closed.pk).update(status="closed")
    other = make_referral(service, consultant.user, given_name="Ola", family_name="Nowakowska")
    elsewhere_staff = make_staff("consultant", other_service)
    elsewhere = make_referral(other_service, elsewhere_staff.user, given_name="Kasia", family_name="Nowak")
    return {"draft": draft, "closed": closed, "other": other, "elsewhere": elsewhere}


def found(consultant: StaffProfile, text: str, dob: date | None = None) -> set[str]:
    return {r.reference for r in selectors.search_referrals(profile=consultant, terms=parse_terms(text, dob))}


def test_search_finds_every_status_within_the_service_by_each_kind_of_term(
    world: dict[str, Referral], consultant: StaffProfile
) -> None:
    kasia = {world["draft"].reference, world["closed"].reference}
    assert found(consultant, "943 476 5919") == kasia
    assert found(consultant, "9434765919") == kasia
    assert found(consultant, world["closed"].reference.lower()) == {world["closed"].reference}
    assert found(consultant, "02/01/1980") == kasia
    assert found(consultant, "kasia nowak") == kasia
    assert found(consultant, "Nowak") == kasia | {world["other"].reference}
    assert found(consultant, "Nowak", date(1980, 1, 2)) == kasia
    assert world["elsewhere"].reference not in found(consultant, "Kasia")
    assert found(consultant, world["elsewhere"].reference) == set()


def test_the_search_posts_and_shows_results_behind_an_opaque_id_and_is_audited(
    world: dict[str, Referral], consultant: StaffProfile, logged_in_client: Callable[..., Any]
) -> None:
    client = logged_in_client(consultant)
    response = client.post("/search/", {"text": "943 476 5919"})

    assert response.status_code == 302
    results_url = response["Location"]
    assert NHS not in results_url and "943" not in results_url and "Nowak" not in results_url
    page = client.get(results_url)
    assert page.status_code == 200
    assert world["draft"].reference in page.content.decode() and world["closed"].reference in page.content.decode()
    event = AuditEvent.objects.filter(action="search").latest("id")
    assert event.changes["by"] == "nhs_number"
    assert set(event.object_ids) == {str(world["draft"].pk), str(world["closed"].pk)}
    assert client.get("/search/", {"text": NHS}).status_code == 200  # a GET never searches
    assert AuditEvent.objects.filter(action="search").count() == 1


def test_a_search_id_is_no_use_to_anyone_else(
    world: dict[str, Referral],
    consultant: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    logged_in_client: Callable[..., Any],
    client: Any,
) -> None:
    url = logged_in_client(consultant).post("/search/", {"text": "Nowak"})["Location"]
    client.force_login(make_staff("consultant", consultant.service).user)
    assert client.get(url).status_code == 404


def test_an_empty_search_asks_for_a_term(consultant: StaffProfile, logged_in_client: Callable[..., Any]) -> None:
    response = logged_in_client(consultant).post("/search/", {"text": "  "})
    assert response.status_code == 400
    assert "Enter a name, NHS number, referral reference or date of birth" in response.content.decode()


def test_search_takes_the_same_queries_for_few_or_many_matches(
    world: dict[str, Referral],
    service: Any,
    consultant: StaffProfile,
    make_referral: Callable[..., Referral],
    logged_in_client: Callable[..., Any],
) -> None:
    client = logged_in_client(consultant)
    url = client.post("/search/", {"text": "Nowak"})["Location"]
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(8):
        make_referral(service, consultant.user, given_name=f"Name{n}", family_name="Nowak")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few.captured_queries) == len(many.captured_queries)


def test_my_drafts_lists_only_my_own_drafts(
    world: dict[str, Referral],
    service: Any,
    consultant: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    make_referral: Callable[..., Referral],
    logged_in_client: Callable[..., Any],
) -> None:
    colleague = make_staff("consultant", service)
    theirs = make_referral(service, colleague.user, draft=True, given_name="Not", family_name="Mine")

    page = logged_in_client(consultant).get("/referrals/drafts/").content.decode()

    assert world["draft"].reference in page
    assert world["closed"].reference not in page and theirs.reference not in page


def test_a_renamed_person_is_found_by_the_name_on_each_record_and_by_their_name_now(
    service: Any, consultant: StaffProfile, make_referral: Callable[..., Referral]
) -> None:
    # Jane Smith is referred; later a referral confirms her name is now Jane Jones. The first referral
    # keeps "Jane Smith" (what was true then), so "Smith" finds it; "Jones" finds both, as she is Jones now.
    person = dict(nhs_number=NHS, given_name="Jane", date_of_birth=date(1980, 1, 2))
    first = make_referral(service, consultant.user, family_name="Smith", **person)
    second = make_referral(service, consultant.user, family_name="Jones", person_match="update", **person)

    assert found(consultant, "Smith") == {first.reference}
    assert found(consultant, "Jones") == {first.reference, second.reference}
    assert found(consultant, "jane jones") == {first.reference, second.reference}
    assert found(consultant, "Jane") == {first.reference, second.reference}


def test_more_results_than_a_page_go_on_to_older_pages_by_an_id_free_link(
    service: Any, consultant: StaffProfile, make_referral: Callable[..., Referral], logged_in_client: Callable[..., Any]
) -> None:
    made = [make_referral(service, consultant.user, given_name=f"Ann{n}", family_name="Pager") for n in range(30)]
    client = logged_in_client(consultant)
    url = client.post("/search/", {"text": "Pager"})["Location"]
    first = client.get(url)
    assert first.status_code == 200
    shown = [r.reference for r in first.context["results"]]
    assert len(shown) == selectors.SEARCH_LIMIT
    newest = sorted(made, key=lambda r: (r.received_at, r.pk), reverse=True)
    assert shown == [r.reference for r in newest[: selectors.SEARCH_LIMIT]]
    older_link = f"{url}?older={first.context['older_cursor']}"
    assert "Pager" not in older_link and "Ann" not in older_link
    assert "Older results" in first.content.decode()

    second = client.get(older_link)
    assert second.status_code == 200
    rest = [r.reference for r in second.context["results"]]
    assert rest == [r.reference for r in newest[selectors.SEARCH_LIMIT :]]
    assert "Newest results" in second.content.decode() and "Older results" not in second.content.decode()


def test_a_broken_page_link_shows_the_newest_results_with_a_message(
    world: dict[str, Referral], consultant: StaffProfile, logged_in_client: Callable[..., Any]
) -> None:
    client = logged_in_client(consultant)
    url = client.post("/search/", {"text": "Nowak"})["Location"]
    response = client.get(f"{url}?older=not-a-page")
    assert response.status_code == 200
    assert "could not be found, so the newest are shown" in response.content.decode()
    assert {r.reference for r in response.context["results"]} == found(consultant, "Nowak")


def test_demo_references_are_in_the_hubs_format_so_the_search_box_reads_them_as_references() -> None:
    from referrals.demo import demo_reference

    for number in (0, 1, 31, 32, 999_999, 32**5 - 1):
        reference = demo_reference(number, 0xBEEF)
        assert parse_terms(reference) == Terms(reference=reference)
    assert len({demo_reference(n, n * 7919) for n in range(50_000)}) == 50_000


def test_a_name_no_referral_has_finds_nothing(world: dict[str, Referral], consultant: StaffProfile) -> None:
    assert found(consultant, "Zzyzx") == set()
