"""A signed application keeps the case open (application_made) and its clocks running until admission."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from amhp_hub.common.errors import RuleError
from assessments import services
from assessments.application_services import application_submit
from assessments.models import Assessment
from referrals import transitions
from referrals.models import Referral
from referrals.services import referral_admit
from referrals.transitions import TransitionError, referral_move
from rota.models import Service, StaffProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def s136_work(
    make_referral: Callable[..., Referral],
    service: Service,
    consultant: StaffProfile,
    on_duty_amhp: StaffProfile,
    allocate: Callable[..., Assessment],
) -> Assessment:
    # Referred when the person arrived at the place of safety: the AMHP's work starts after that.
    referral = make_referral(
        service,
        consultant.user,
        legal_status="s136",
        legal_power_started_at=timezone.now() - timedelta(hours=6),
        received_at=timezone.now() - timedelta(hours=6),
    )
    assessment = allocate(referral, on_duty_amhp)
    return services.assessment_accept(assessment=assessment, actor=on_duty_amhp.user)


def make_s2_application(assessment: Assessment, amhp: StaffProfile, now: datetime) -> None:
    """A lawful s2 application signed an hour ago: two doctors who examined the person 3 hours ago."""
    today = timezone.localtime(now - timedelta(hours=3)).date()
    recommendation = {"examined_on": today, "signed_on": today, "examined_at": now - timedelta(hours=3)}
    application_submit(
        assessment=assessment,
        actor=amhp.user,
        data={
            "section": "s2",
            "signed_at": now - timedelta(hours=1),
            "applicant_seen_at": now - timedelta(hours=3),
            "nearest_relative_step": "informed",
        },
        recommendations=[
            {"doctor": "Dr A", "s12_approved": True, **recommendation},
            {"doctor": "Dr B", "previous_acquaintance": True, **recommendation},
        ],
    )


def test_signed_application_moves_the_referral_to_application_made_and_keeps_it_open(
    s136_work: Assessment, on_duty_amhp: StaffProfile
) -> None:
    now = timezone.now()
    services.assessment_update_record(
        assessment=s136_work,
        actor=on_duty_amhp.user,
        data={"outcome": "detained_s2", "seen_at": now - timedelta(hours=3)},
        doctors=[
            {"name": "Dr A", "s12_approved": True, "examined_at": now - timedelta(hours=3)},
            {"name": "Dr B", "examined_at": now - timedelta(hours=2)},
        ],
    )
    # Recording "application signed" alone is refused: the application is made on its own record.
    with pytest.raises(RuleError):
        services.assessment_record_event(
            assessment=s136_work, actor=on_duty_amhp.user, kind="application_signed", at=now - timedelta(hours=1)
        )
    make_s2_application(s136_work, on_duty_amhp, now)
    referral = Referral.objects.get(pk=s136_work.referral_id)
    assert referral.status == "application_made"
    assert referral.is_open
    # s136 met by the application; now the s6(1)(a) 14-day conveyance deadline is watched.
    assert referral.deadline_rule == "conveyance_s6"
    # Completing the assessment does not close a case awaiting admission.
    services.assessment_update_record(
        assessment=s136_work,
        actor=on_duty_amhp.user,
        data={"work_started_at": now - timedelta(hours=4), "work_ended_at": now - timedelta(minutes=30)},
    )
    services.assessment_complete(assessment=s136_work, actor=on_duty_amhp.user)
    referral.refresh_from_db()
    assert referral.status == "application_made"
    referral_admit(referral=referral, actor=on_duty_amhp.user, at=now)
    referral.refresh_from_db()
    assert (referral.status, referral.admitted_at) == ("admitted", now)
    assert not referral.is_open


def test_completing_without_an_application_makes_the_referral_assessed(
    s136_work: Assessment, on_duty_amhp: StaffProfile
) -> None:
    now = timezone.now()
    services.assessment_update_record(
        assessment=s136_work,
        actor=on_duty_amhp.user,
        data={
            "outcome": "no_further_action",
            "work_started_at": now - timedelta(hours=2),
            "work_ended_at": now - timedelta(hours=1),
        },
    )
    services.assessment_complete(assessment=s136_work, actor=on_duty_amhp.user)
    referral = Referral.objects.get(pk=s136_work.referral_id)
    assert referral.status == "assessed"
    assert referral.closed_at is not None


def test_an_illegal_move_is_refused_with_what_the_referral_can_become(
    make_referral: Callable[..., Referral], service: Service, consultant: StaffProfile
) -> None:
    referral = make_referral(service, consultant.user)
    with pytest.raises(TransitionError, match="cannot become admitted .*accepted"):
        referral_move(referral, "admitted", actor=consultant.user, at=timezone.now())
    referral.refresh_from_db()
    assert referral.status == "new"


def test_a_role_not_in_the_table_cannot_make_the_move(
    make_referral: Callable[..., Referral], service: Service, amhp: StaffProfile, consultant: StaffProfile
) -> None:
    referral = make_referral(service, consultant.user)
    with pytest.raises(TransitionError, match="Your role \\(amhp\\) cannot accept"):
        referral_move(referral, "accepted", actor=amhp.user, reason="x")


def test_a_move_missing_what_it_needs_is_refused(
    make_referral: Callable[..., Referral], service: Service, consultant: StaffProfile
) -> None:
    referral = make_referral(service, consultant.user)
    with pytest.raises(TransitionError, match="give a reason"):
        referral_move(referral, "closed", actor=consultant.user)


def test_every_open_status_is_reachable_and_ended_ones_lead_nowhere() -> None:
    targets = {t.target for t in transitions.TRANSITIONS}
    assert {"new", "more_info", "accepted", "allocated", "application_made", "admitted"} <= targets
    for ended in transitions.ENDED:
        assert transitions.allowed_targets(ended) == []


def test_no_module_outside_the_transitions_table_assigns_a_referral_status() -> None:
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    pattern = re.compile(r"referral\w*\.status\s*=[^=]|locked\.status\s*=\s*Status\.")
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for app in ("assessments", "rota", "dashboards", "referrals")
        for path in (root / app).rglob("*.py")
        if path.name != "transitions.py" and "migrations" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_the_api_records_admission_once_the_application_is_made(
    s136_work: Assessment, on_duty_amhp: StaffProfile, consultant_api: Any
) -> None:
    now = timezone.now()
    make_s2_application(s136_work, on_duty_amhp, now)
    admitted_at = now - timedelta(minutes=20)
    response = consultant_api.post(
        f"/api/v1/referrals/{s136_work.referral_id}/admit/", {"admitted_at": admitted_at.isoformat()}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "admitted"
    referral = Referral.objects.get(pk=s136_work.referral_id)
    assert (referral.status, referral.admitted_at, referral.is_open) == ("admitted", admitted_at, False)
    # Admitted is the end of the pathway: a second admission is a 409.
    again = consultant_api.post(
        f"/api/v1/referrals/{s136_work.referral_id}/admit/", {"admitted_at": now.isoformat()}, format="json"
    )
    assert again.status_code == 409
