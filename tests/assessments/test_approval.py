"""AMHP approval in date (SI 2008/1206): never a candidate when expired or not approved; managers keep it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amhp_hub.common.errors import RuleError
from assessments import services as assessment_services
from referrals.models import Referral
from rota import approval
from rota.models import ApprovalRecord, Service, StaffProfile, TrainingRecord
from rota.services import training_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "expires_on, today, problem",
    [
        (date(2026, 12, 1), date(2026, 12, 1), None),  # the last day of the approval: may still act
        (date(2026, 11, 30), date(2026, 12, 1), "ended on 30 November 2026 (SI 2008/1206)"),
        (None, date(2026, 12, 1), "no AMHP approval recorded (SI 2008/1206)"),
    ],
)
def test_approval_is_in_date_to_the_end_of_its_last_day(
    expires_on: date | None, today: date, problem: str | None
) -> None:
    got = approval.approval_problem("Sam", expires_on, today)
    assert (got is None) if problem is None else (got is not None and got.endswith(problem))


def test_an_approval_lasts_at_most_5_years_including_from_29_february() -> None:
    assert approval.approval_expiry_error(date(2031, 12, 1), date(2026, 12, 1)) is None
    assert approval.approval_expiry_error(date(2031, 12, 2), date(2026, 12, 1)) is not None
    # From 29 February 2028, five years on has no 29 February: 28 February 2033 is the latest.
    assert approval.approval_expiry_error(date(2033, 2, 28), date(2028, 2, 29)) is None
    assert approval.approval_expiry_error(date(2033, 3, 1), date(2028, 2, 29)) is not None


def test_training_year_is_the_12_months_ending_today_and_18_hours_are_needed() -> None:
    assert approval.training_year(date(2026, 12, 1)) == (date(2025, 12, 2), date(2026, 12, 1))
    assert approval.training_short_by(Decimal("12.5")) == Decimal("5.5")
    assert approval.training_short_by(Decimal("18")) == 0


def test_add_staff_takes_the_approval_end_date() -> None:
    call_command(
        "add_staff",
        "newamhp",
        service="Northshire",
        role="amhp",
        password="x-Long-pass-123",
        approval_expires="2029-05-31",
    )
    staff = StaffProfile.objects.get(user__username="newamhp")
    assert staff.warrant_expires_on == date(2029, 5, 31)
    assert list(ApprovalRecord.objects.filter(staff=staff).values_list("expires_on", flat=True)) == [date(2029, 5, 31)]


@pytest.fixture
def referral(make_referral: Callable[..., Referral], service: Service, consultant: StaffProfile) -> Referral:
    return make_referral(service, consultant.user)


@pytest.mark.parametrize("expires_on", [None, "yesterday"])
def test_an_amhp_not_approved_in_date_is_never_a_candidate_and_cannot_be_allocated(
    expires_on: str | None,
    make_staff: Callable[..., StaffProfile],
    make_shift: Any,
    service: Service,
    referral: Referral,
    consultant_api: Any,
    consultant: StaffProfile,
) -> None:
    end = timezone.localdate() - timedelta(days=1) if expires_on else None
    lapsed = make_staff("amhp", service, warrant_expires_on=end, first_name="Lapsed")
    ok = make_staff("amhp", service, first_name="Current")
    make_shift(lapsed)
    make_shift(ok)
    names = [c["name"] for c in consultant_api.get(f"/api/v1/referrals/{referral.pk}/candidates/").json()]
    assert names == [ok.display_name]
    with pytest.raises(RuleError) as caught:
        assessment_services.assessment_allocate(referral=referral, amhp=lapsed, actor=consultant.user)
    assert caught.value.violations[0][0] == "SI 2008/1206"
    response = consultant_api.post(
        f"/api/v1/referrals/{referral.pk}/allocate/", {"amhp": str(lapsed.pk)}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["provision"] == "SI 2008/1206"


def test_managers_see_who_is_short_and_change_an_approval(
    client: Any, manager: StaffProfile, make_staff: Callable[..., StaffProfile], service: Service
) -> None:
    short = make_staff("amhp", service, first_name="Short", last_name="Hours")
    done = make_staff("amhp", service, first_name="Done", last_name="Hours")
    today = timezone.localdate()
    training_record(
        staff=done, actor=manager.user, completed_on=today - timedelta(days=30), hours=Decimal(18), title="Law update"
    )
    training_record(
        staff=short, actor=manager.user, completed_on=today - timedelta(days=400), hours=Decimal(20), title="Old"
    )
    training_record(staff=short, actor=manager.user, completed_on=today, hours=Decimal(6), title="Case law")
    for _ in range(3):
        make_staff("amhp", service)
    client.force_login(manager.user)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/dashboards/approvals/")
    assert page.status_code == 200
    assert len(queries) <= 12
    short_list = page.content.decode().split('data-testid="short"')[1].split("</ul>")[0]
    assert "Short Hours is 12 h short of 18 h" in short_list
    assert "Done Hours" not in short_list
    response = client.post(
        "/dashboards/approvals/",
        {"form": "approval", "staff": str(short.pk), "expires_on": "", "note": "Approval suspended"},
    )
    assert response.status_code == 302
    short.refresh_from_db()
    assert short.warrant_expires_on is None
    page = client.get("/dashboards/approvals/").content.decode()
    assert "Short Hours has no AMHP approval recorded" in page
    refused = client.post(
        "/dashboards/approvals/",
        {"form": "approval", "staff": str(short.pk), "expires_on": (today + timedelta(days=6 * 366)).isoformat()},
    )
    assert refused.status_code == 400
    assert "at most 5 years" in refused.content.decode()
    assert TrainingRecord.objects.filter(staff=short).count() == 2
