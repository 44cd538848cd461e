"""The AMHP sees what they need on the assessment page; work cannot start before the referral arrived."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments import services
from assessments.models import Assessment
from referrals.models import Referral
from referrals.templatetags.referral_tags import tel_href
from rota.models import Service, StaffProfile

pytestmark = pytest.mark.django_db


def test_phone_numbers_become_tel_links_with_digits_and_a_leading_plus() -> None:
    assert tel_href("01632 960 001") == "tel:01632960001"
    assert tel_href("+44 (0)1632 960001") == "tel:+441632960001"
    assert tel_href("ask the ward") == ""
    assert tel_href("") == ""


def test_the_assessment_page_shows_reason_risks_place_phones_link_and_key_times(
    make_referral: Callable[..., Referral],
    service: Service,
    consultant: StaffProfile,
    on_duty_amhp: StaffProfile,
    allocate: Callable[..., Assessment],
    logged_in_client: Callable[..., Any],
) -> None:
    referral = make_referral(
        service,
        consultant.user,
        reason="Stopped eating, hearing voices telling her to leave home",
        risk_weapons=True,
        risk_notes="Knife seen in the kitchen last week",
        location="Ward 3, Riverside Hospital",
        referrer_name="Dr Patel",
        referrer_phone="01632 960 001",
        nearest_relative_name="Tom Nowak",
        nearest_relative_phone="+44 (0)7700 900123",
    )
    assessment = services.assessment_accept(assessment=allocate(referral, on_duty_amhp), actor=on_duty_amhp.user)
    seen = timezone.now() - timedelta(minutes=30)
    services.assessment_record_event(assessment=assessment, actor=on_duty_amhp.user, kind="seen", at=seen)
    services.assessment_record_event(
        assessment=assessment, actor=on_duty_amhp.user, kind="application_signed", at=seen + timedelta(minutes=20)
    )

    page = logged_in_client(on_duty_amhp).get(f"/assessments/{assessment.pk}/").content.decode()

    assert "Stopped eating, hearing voices" in page
    assert "Weapons" in page and "Knife seen in the kitchen" in page
    assert "Ward 3, Riverside Hospital" in page
    assert 'href="tel:01632960001"' in page and 'href="tel:+447700900123"' in page
    assert f'href="/referrals/{referral.pk}/"' in page
    local = timezone.localtime(seen)
    assert f"Seen: {local:%a} {local.day} {local:%b %Y, %H:%M}" in page
    assert "Application signed: not recorded" not in page


def test_work_starting_before_the_referral_was_received_is_refused(accepted: Assessment) -> None:
    received = accepted.referral.received_at
    with pytest.raises(ValidationError) as caught:
        services.assessment_update_record(
            assessment=accepted,
            actor=accepted.amhp.user,
            data={"work_started_at": received - timedelta(hours=1), "work_ended_at": received + timedelta(hours=1)},
        )
    assert "before the referral was received" in caught.value.message_dict["work_started_at"][0]
    accepted.refresh_from_db()
    assert accepted.work_started_at is None
