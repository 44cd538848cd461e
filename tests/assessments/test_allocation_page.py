"""The allocation page: planning for a later shift, calling in an AMHP off the rota, and working-time
warnings (Working Time Regulations 1998) that must be confirmed before allocating."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Assessment
from referrals.models import Referral
from rota.models import Leave, Shift
from rota.shift_times import local_instant
from rota.timefmt import LONDON, format_local

pytestmark = pytest.mark.django_db


def url(referral: Referral) -> str:
    return f"/referrals/{referral.pk}/candidates/"


def typed(value: datetime) -> str:
    """A time as typed into the page's date-time input (London wall clock, to the minute)."""
    return value.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def on_the_hour(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


# --- Planning for a later shift -------------------------------------------------------------------


def test_planning_for_later_lists_who_is_on_the_rota_then_with_their_shift(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, make_staff: Any, service: Any, make_shift: Any
) -> None:
    now_amhp = make_staff("amhp", service, first_name="Nia", last_name="Now")
    make_shift(now_amhp)
    later_amhp = make_staff("amhp", service, first_name="Lou", last_name="Later")
    when = on_the_hour(timezone.now() + timedelta(days=3))
    shift = make_shift(later_amhp, starts=when - timedelta(hours=2), hours=8)
    client = logged_in_client(consultant)

    page = client.get(url(queued_referral), {"planned_at": typed(when)})

    assert page.status_code == 200
    html = page.content.decode()
    table = html.split('id="candidates"')[1].split("</table>")[0]
    assert "Lou Later" in table and "Nia Now" not in table
    start, end = timezone.localtime(shift.starts_at), timezone.localtime(shift.ends_at)
    assert f"Day, {start:%a} {start.day} {start:%b, %H:%M} to {end:%a} {end.day} {end:%b, %H:%M}" in table
    assert f'name="planned_at" value="{typed(when)}"' in table
    assert "Plan a later shift" not in html and "Plan for a later shift" in html
    # The plan time is kept in its box.
    assert f'value="{typed(when)}"' in html.split('id="plan-heading"')[1].split("</form>")[0]


def test_allocating_from_the_later_list_books_planned_work_in_that_shift(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, amhp: Any, make_shift: Any
) -> None:
    when = on_the_hour(timezone.now() + timedelta(days=3))
    shift = make_shift(amhp, starts=when - timedelta(hours=2), hours=8)
    client = logged_in_client(consultant)

    response = client.post(url(queued_referral), {"amhp": str(amhp.pk), "planned_at": typed(when)}, follow=True)

    assessment = Assessment.objects.get(referral=queued_referral)
    assert assessment.planned_for == when and assessment.planned_shift == shift
    assert assessment.shift_ends_at == shift.ends_at and not assessment.called_in
    label = f"Planned for {format_local(when)} in the Day shift from {format_local(shift.starts_at)}"
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/referrals/{queued_referral.pk}/"
    assert label in html  # in the allocation history
    assert f"allocated to {amhp.display_name}: planned for {format_local(when)}" in html  # and the banner
    record = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert label in record


def test_a_plan_time_in_the_past_is_refused_and_kept(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, on_duty_amhp: Any
) -> None:
    past = typed(timezone.now() - timedelta(hours=2))
    page = logged_in_client(consultant).get(url(queued_referral), {"planned_at": past})
    assert page.status_code == 400
    html = page.content.decode()
    assert "There is a problem" in html
    assert 'href="#id_planned_at">The time to plan for must be later than now' in html
    assert f'value="{past}"' in html
    # The list falls back to who is on duty now.
    assert on_duty_amhp.display_name in html.split('id="candidates"')[1]


def test_nobody_on_the_rota_at_the_plan_time_is_said(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, on_duty_amhp: Any
) -> None:
    when = on_the_hour(timezone.now() + timedelta(days=3))
    html = logged_in_client(consultant).get(url(queued_referral), {"planned_at": typed(when)}).content.decode()
    assert f"No AMHP is on the rota at {timezone.localtime(when):%a} {timezone.localtime(when).day}" in html


def test_my_allocations_lists_planned_work_after_the_work_for_now_soonest_first(
    logged_in_client: Any, consultant: Any, make_referral: Any, service: Any, on_duty_amhp: Any, make_shift: Any
) -> None:
    soon = on_the_hour(timezone.now() + timedelta(days=2))
    later = soon + timedelta(days=3)
    for start in (later, soon):
        make_shift(on_duty_amhp, starts=start - timedelta(hours=1), hours=8)
    client = logged_in_client(consultant)
    names = {"Ann Later": later, "Bo Soon": soon, "Cy Now": None}
    for name, when in names.items():
        given, family = name.split()
        referral = make_referral(service, consultant.user, given_name=given, family_name=family)
        data = {"amhp": str(on_duty_amhp.pk), **({"planned_at": typed(when)} if when else {})}
        assert client.post(url(referral), data).status_code == 302

    html = logged_in_client(on_duty_amhp).get("/my/allocations/").content.decode()

    current, planned = html.split('id="planned-heading"')
    assert "Cy Now" in current and "Ann Later" not in current and "Bo Soon" not in current
    assert planned.index("Bo Soon") < planned.index("Ann Later")
    assert f"Planned for {format_local(soon)} in the Day shift" in planned


# --- Calling in an AMHP off the rota ---------------------------------------------------------------


@pytest.fixture
def off_duty(make_staff: Any, service: Any) -> Any:
    return make_staff("amhp", service, first_name="Ola", last_name="Offduty")


def test_the_call_in_list_offers_approved_amhps_who_are_off_duty(
    logged_in_client: Any,
    consultant: Any,
    queued_referral: Referral,
    on_duty_amhp: Any,
    off_duty: Any,
    make_staff: Any,
    service: Any,
) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    lapsed = make_staff("amhp", service, first_name="Lapsed", last_name="Approval", warrant_expires_on=yesterday)
    away = make_staff("amhp", service, first_name="Away", last_name="Onleave")
    now = timezone.now()
    Leave.objects.create(staff=away, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8))
    Leave.objects.create(  # leave that is over, and cancelled leave, keep nobody off the list
        staff=off_duty, starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=2)
    )
    Leave.objects.create(
        staff=off_duty, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8), cancelled_at=now
    )
    html = logged_in_client(consultant).get(url(queued_referral)).content.decode()
    select = html.split('name="call_in-amhp"')[1].split("</select>")[0]
    assert f'value="{off_duty.pk}">Ola Offduty' in select
    for absent in (on_duty_amhp, lapsed, away):
        assert str(absent.pk) not in select


def test_a_call_in_needs_a_reason_and_keeps_the_choice(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, off_duty: Any
) -> None:
    response = logged_in_client(consultant).post(
        url(queued_referral), {"action": "call_in", "call_in-amhp": str(off_duty.pk), "call_in-call_in_reason": " "}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_call_in-call_in_reason">Give the reason for calling them in off the rota' in html
    assert f'<option value="{off_duty.pk}" selected>' in html
    assert not Assessment.objects.exists()


def test_calling_in_someone_on_duty_is_refused_with_the_reason_kept(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, on_duty_amhp: Any
) -> None:
    reason = "Nobody else speaks Polish"
    response = logged_in_client(consultant).post(
        url(queued_referral),
        {"action": "call_in", "call_in-amhp": str(on_duty_amhp.pk), "call_in-call_in_reason": reason},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'href="#id_call_in-amhp">{on_duty_amhp.display_name} is on duty now: this is not a call-in' in html
    assert reason in html.split('name="call_in-call_in_reason"')[1].split("</textarea>")[0]
    assert not Assessment.objects.exists()


def test_a_call_in_with_a_reason_allocates_and_records_it(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, off_duty: Any
) -> None:
    response = logged_in_client(consultant).post(
        url(queued_referral),
        {"action": "call_in", "call_in-amhp": str(off_duty.pk), "call_in-call_in_reason": "Nobody on duty"},
        follow=True,
    )
    assessment = Assessment.objects.get()
    assert assessment.amhp == off_duty and assessment.called_in
    assert assessment.call_in_reason == "Nobody on duty" and assessment.shift_ends_at is None
    assert f"allocated to {off_duty.display_name}" in response.content.decode()


def test_a_call_in_that_breaks_the_daily_rest_asks_to_confirm(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, off_duty: Any, make_shift: Any
) -> None:
    # Off duty now, on an early in 12 h: 6 h of community work from now leaves 6 h of rest, not 11 h.
    make_shift(off_duty, starts=timezone.now() + timedelta(hours=12), code="early")
    client = logged_in_client(consultant)
    data = {"action": "call_in", "call_in-amhp": str(off_duty.pk), "call_in-call_in_reason": "Nobody on duty"}
    asked = client.post(url(queued_referral), data)
    assert asked.status_code == 400
    assert "breaks the 11 h rest before the shift at" in asked.content.decode()
    assert not Assessment.objects.exists()
    assert client.post(url(queued_referral), {**data, "call_in-confirm_warnings": "on"}).status_code == 302
    assert Assessment.objects.get().called_in


# --- Working-time warnings at allocation ---------------------------------------------------------


@pytest.fixture
def tired(amhp: Any, make_shift: Any) -> Any:
    """On duty for one more hour, next shift 8 h from now: 6 h of community work leaves 2 h of rest."""
    now = timezone.now()
    make_shift(amhp, starts=now - timedelta(hours=7), hours=8)
    make_shift(amhp, starts=now + timedelta(hours=8), hours=8, code="early")
    return amhp


def test_a_candidates_warnings_are_on_their_row_with_a_confirmation(
    logged_in_client: Any,
    consultant: Any,
    queued_referral: Referral,
    tired: Any,
    make_staff: Any,
    service: Any,
    make_shift: Any,
) -> None:
    rested = make_staff("amhp", service, first_name="Rested", last_name="Well")
    make_shift(rested, hours=10)
    html = logged_in_client(consultant).get(url(queued_referral)).content.decode()
    rows = {row.split('"')[0]: row for row in html.split('data-amhp="')[1:]}
    tired_row, rested_row = rows[str(tired.pk)], rows[str(rested.pk)]
    assert "Working-time warning" in tired_row and "breaks the 11 h rest before the shift at" in tired_row
    assert "(reg. 10)" in tired_row
    assert f'id="confirm-{tired.pk}" name="confirm_warnings"' in tired_row
    assert "Working-time warning" not in rested_row and "confirm_warnings" not in rested_row.split("</tr>")[0]


def test_allocating_a_candidate_with_warnings_is_refused_until_confirmed(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, tired: Any
) -> None:
    client = logged_in_client(consultant)

    refused = client.post(url(queued_referral), {"amhp": str(tired.pk)})

    assert refused.status_code == 400
    summary = refused.content.decode().split("govuk-error-summary__list")[1].split("</ul>")[0]
    assert (
        f'href="#confirm-{tired.pk}">{tired.display_name}, Working Time Regulations 1998: '
        "Allocating this breaks the 11 h rest"
    ) in summary
    assert "leaves 2 h (reg. 10)" in summary
    assert "I have checked the working-time warnings" in summary
    assert not Assessment.objects.exists()

    allowed = client.post(url(queued_referral), {"amhp": str(tired.pk), "confirm_warnings": "on"})

    assert allowed.status_code == 302
    assert Assessment.objects.get().amhp == tired


def test_the_api_allocates_a_warned_candidate_without_a_confirmation(
    consultant_api: Any, queued_referral: Referral, tired: Any
) -> None:
    # The API contract (DESIGN.md section 5) is {"amhp": id} -> 201; the warnings are in the candidates list.
    (option,) = consultant_api.get(f"/api/v1/referrals/{queued_referral.pk}/candidates/").json()
    assert option["working_time_warnings"]
    response = consultant_api.post(
        f"/api/v1/referrals/{queued_referral.pk}/allocate/", {"amhp": str(tired.pk)}, format="json"
    )
    assert response.status_code == 201


def test_seventeen_weeks_of_56_hours_warn_of_the_48_hour_average(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, amhp: Any, make_shift: Any
) -> None:
    # A 09:00-17:00 shift (London time) on each of the 119 days before today's shift: some 56 h a week over
    # the 17 weeks, before this work is counted: over the 48 h average of reg. 4. One shift a London day,
    # whatever the hour the test runs and across the clock changes in those weeks.
    today_shift = make_shift(amhp, hours=10)
    days = [today_shift.day - timedelta(days=n) for n in range(17 * 7, 0, -1)]
    Shift.objects.bulk_create(
        Shift(
            service=amhp.service,
            shift_type=today_shift.shift_type,
            staff=amhp,
            day=day,
            starts_at=local_instant(day, time(9)),
            ends_at=local_instant(day, time(17)),
        )
        for day in days
    )
    html = logged_in_client(consultant).get(url(queued_referral)).content.decode()
    row = html.split(f'data-amhp="{amhp.pk}"')[1].split("</tr>")[0]
    assert "Allocating this takes their working week to an average of" in row
    assert "over the 17 weeks ending" in row and "limit 48 h, reg. 4" in row


def test_the_page_takes_the_same_number_of_queries_for_2_or_10_amhps(
    logged_in_client: Any, consultant: Any, queued_referral: Referral, make_staff: Any, service: Any, make_shift: Any
) -> None:
    client = logged_in_client(consultant)

    def add(count: int) -> None:
        for _ in range(count):
            staff = make_staff("amhp", service)
            make_shift(staff)
            make_shift(staff, starts=timezone.now() + timedelta(hours=8), code="early")  # with warnings
            make_staff("amhp", service)  # and someone off duty to call in

    def measure(shown: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url(queued_referral))
        assert page.content.decode().count("data-amhp=") == shown
        return len(queries)

    add(2)
    few = measure(2)
    add(8)
    # Session, user and profile; the referral; the six of candidate_options; the AMHPs to call in;
    # the live allocation; and the rest of the page's frame.
    assert measure(10) == few <= 13
