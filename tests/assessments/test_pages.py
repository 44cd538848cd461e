"""Pages: the candidates list, My allocations and the assessment record, for each role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Assessment
from referrals.models import Referral

pytestmark = pytest.mark.django_db


def local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_the_referral_page_links_to_allocation_while_in_the_queue(
    logged_in_client: Any, consultant: Any, queued_referral: Referral
) -> None:
    page = logged_in_client(consultant).get(f"/referrals/{queued_referral.pk}/")
    assert f"/referrals/{queued_referral.pk}/candidates/" in page.content.decode()


def test_the_candidates_page_lists_on_duty_amhps_with_reasons(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, on_duty_amhp: Any
) -> None:
    page = logged_in_client(consultant).get(f"/referrals/{queued_referral.pk}/candidates/")
    html = page.content.decode()
    assert page.status_code == 200
    assert on_duty_amhp.display_name in html
    assert "Fits:" in html and "No open allocations" in html
    assert "Allocate" in html


def test_allocating_from_the_page_redirects_with_a_success_banner(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, on_duty_amhp: Any
) -> None:
    client = logged_in_client(consultant)
    url = f"/referrals/{queued_referral.pk}/candidates/"
    response = client.post(url, {"amhp": str(on_duty_amhp.pk)}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/referrals/{queued_referral.pk}/"
    assert f"allocated to {on_duty_amhp.display_name}" in html
    assert "View the assessment record" in html
    again = client.post(url, {"amhp": str(on_duty_amhp.pk)}, follow=True)
    assert "already allocated" in again.content.decode()
    assert Assessment.objects.count() == 1
    bad = client.post(url, {"amhp": "nonsense"}, follow=True)
    assert "Choose an AMHP" in bad.content.decode()


def test_the_candidates_page_is_forbidden_to_amhps_and_hidden_across_services(
    logged_in_client: Any, amhp: Any, queued_referral: Referral, make_staff: Any, other_service: Any, client: Any
) -> None:
    assert logged_in_client(amhp).get(f"/referrals/{queued_referral.pk}/candidates/").status_code == 403
    outsider = make_staff("consultant", other_service)
    client.force_login(outsider.user)
    assert client.get(f"/referrals/{queued_referral.pk}/candidates/").status_code == 404


def test_an_amhp_lands_on_my_allocations_and_sees_cards(
    logged_in_client: Any, on_duty_amhp: Any, queued_referral: Referral, allocate: Any
) -> None:
    allocate(queued_referral, on_duty_amhp)
    client = logged_in_client(on_duty_amhp)
    assert client.get("/").url == "/my/allocations/"
    html = client.get("/my/allocations/").content.decode()
    assert 'class="app-card' in html
    assert "Kasia Nowak" in html
    assert "Accept" in html and "Decline" in html


def test_my_allocations_takes_constant_queries_and_is_for_amhps(
    logged_in_client: Any,
    on_duty_amhp: Any,
    make_referral: Any,
    service: Any,
    consultant: Any,
    allocate: Any,
    client: Any,
) -> None:
    amhp_client = logged_in_client(on_duty_amhp)
    allocate(make_referral(service, consultant.user), on_duty_amhp)
    with CaptureQueriesContext(connection) as few:
        amhp_client.get("/my/allocations/")
    for _ in range(5):
        allocate(make_referral(service, consultant.user), on_duty_amhp)
    with CaptureQueriesContext(connection) as many:
        amhp_client.get("/my/allocations/")
    assert len(few) == len(many)
    client.force_login(consultant.user)
    assert client.get("/my/allocations/").status_code == 403


def test_accepting_and_declining_from_the_cards(
    logged_in_client: Any, on_duty_amhp: Any, make_referral: Any, service: Any, consultant: Any, allocate: Any
) -> None:
    client = logged_in_client(on_duty_amhp)
    first = allocate(make_referral(service, consultant.user), on_duty_amhp)
    second = allocate(make_referral(service, consultant.user), on_duty_amhp)
    response = client.post(f"/assessments/{first.pk}/accept/", follow=True)
    assert "You accepted" in response.content.decode()
    response = client.post(f"/assessments/{second.pk}/decline/", {"reason": ""})
    assert response.status_code == 400
    assert "Enter the reason for declining" in response.content.decode()
    response = client.post(f"/assessments/{second.pk}/decline/", {"reason": "Finishing a s2 at the ward"}, follow=True)
    assert "You declined" in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("accepted", "declined")


def test_the_amhp_records_and_completes_from_the_record_page(
    logged_in_client: Any, on_duty_amhp: Any, accepted: Assessment, queued_referral: Referral
) -> None:
    client = logged_in_client(on_duty_amhp)
    url = f"/assessments/{accepted.pk}/"
    assert "Add to the timeline" in client.get(url).content.decode()
    now = timezone.now()
    response = client.post(
        f"{url}timeline/", {"event-kind": "seen", "event-at": local(now - timedelta(hours=1)), "event-note": "Home"}
    )
    assert response.status_code == 302
    response = client.post(f"{url}doctors/", {"doctor-name": "Dr Mensah", "doctor-s12_approved": "on"})
    assert response.status_code == 302
    # Completing asks first, and nothing changes until it is confirmed.
    response = client.post(url + "complete/")
    assert response.status_code == 200
    assert "Yes, complete the assessment" in response.content.decode()
    accepted.refresh_from_db()
    assert accepted.status != "completed"
    response = client.post(url + "complete/", {"confirm": "yes"})
    assert response.status_code == 400
    assert "Record the outcome before completing" in response.content.decode()
    record = {
        "record-outcome": "detained_s3",
        "record-nearest_relative_action": "objected",
        "record-delay_reasons": ["no_bed"],
        # The referral came in five minutes ago (the fixture): work started then, not before.
        "record-work_started_at": local(queued_referral.received_at + timedelta(minutes=1)),
        "record-work_ended_at": local(now),
    }
    response = client.post(f"{url}record/", record)
    assert response.status_code == 400
    assert "s11(4)" in response.content.decode()
    html = response.content.decode()
    no_bed = html[html.index('value="no_bed"') : html.index('value="no_bed"') + 80]
    assert "checked" in no_bed  # what was typed is kept
    record["record-outcome"] = "detained_s2"
    assert client.post(f"{url}record/", record).status_code == 302
    # A detention outcome needs the signed application: without it the assessment cannot complete.
    refused = client.post(url + "complete/", {"confirm": "yes"})
    assert refused.status_code == 400
    assert "Record when the application was signed" in refused.content.decode()
    record["record-application_signed_at"] = local(now - timedelta(hours=1, minutes=30))
    assert client.post(f"{url}record/", record).status_code == 302
    response = client.post(url + "complete/", {"confirm": "yes"}, follow=True)
    assert "completed" in response.content.decode()
    accepted.refresh_from_db()
    queued_referral.refresh_from_db()
    assert accepted.status == "completed"
    assert accepted.hours_worked is not None
    # The case stays open, its clocks watched, until the person is admitted.
    assert queued_referral.status == "application_made"
    assert "decision" in [e.kind for e in accepted.timeline.all()]


def test_the_record_page_is_read_only_for_the_desk_and_hidden_from_others(
    logged_in_client: Any, consultant: Any, accepted: Assessment, make_staff: Any, service: Any, client: Any
) -> None:
    html = logged_in_client(consultant).get(f"/assessments/{accepted.pk}/").content.decode()
    assert "Timeline" in html and "Add to the timeline" not in html
    assert client.post(f"/assessments/{accepted.pk}/complete/").status_code == 403
    colleague = make_staff("amhp", service)
    client.force_login(colleague.user)
    assert client.get(f"/assessments/{accepted.pk}/").status_code == 404
    assert client.post(f"/assessments/{accepted.pk}/complete/", {"confirm": "yes"}).status_code == 404


def test_the_candidates_page_says_when_nobody_is_on_duty_or_the_referral_is_allocated(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, amhp: Any, make_shift: Any, allocate: Any
) -> None:
    client = logged_in_client(consultant)
    url = f"/referrals/{queued_referral.pk}/candidates/"
    assert "No AMHP is on duty now" in client.get(url).content.decode()
    make_shift(amhp)
    allocate(queued_referral, amhp)
    html = client.get(url).content.decode()
    assert f"Allocated to {amhp.display_name}" in html
    assert 'name="amhp"' not in html
