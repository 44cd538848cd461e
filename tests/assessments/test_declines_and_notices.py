"""Declines are handled, and allocation, decline, swap requests and swap decisions notify the right people."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from assessments import jobs, selectors, services
from assessments.models import Assessment, Notification
from referrals.models import Referral
from rota import services as rota_services
from rota.models import Shift, StaffProfile

pytestmark = pytest.mark.django_db


def titles(profile: StaffProfile) -> list[str]:
    return sorted(Notification.objects.filter(recipient=profile.user).values_list("title", flat=True))


def test_allocation_notifies_the_amhp_with_an_absolute_link_in_the_email(
    allocate: Callable[..., Assessment], queued_referral: Referral, on_duty_amhp: StaffProfile, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://amhp.example.gov.uk"
    on_duty_amhp.user.email = "amhp@example.gov.uk"
    on_duty_amhp.user.save(update_fields=["email"])
    assessment = allocate(queued_referral, on_duty_amhp)

    assert titles(on_duty_amhp) == [f"Allocated to you: referral {queued_referral.reference}"]
    jobs.send_pending_emails(now=timezone.now())
    (message,) = mail.outbox
    assert message.to == [on_duty_amhp.user.email]
    assert f"https://amhp.example.gov.uk/assessments/{assessment.pk}/" in message.body


def test_a_decline_notifies_consultants_flags_the_queue_and_shows_in_the_history(
    allocate: Callable[..., Assessment],
    queued_referral: Referral,
    on_duty_amhp: StaffProfile,
    consultant: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    logged_in_client: Callable[..., Any],
) -> None:
    second_consultant = make_staff("consultant", consultant.service)
    assessment = allocate(queued_referral, on_duty_amhp)

    services.assessment_decline(assessment=assessment, actor=on_duty_amhp.user, reason="Already on a s136 at A&E")

    name = on_duty_amhp.display_name
    expected = f"Declined: referral {queued_referral.reference} by {name}"
    assert titles(consultant) == [expected] and titles(second_consultant) == [expected]
    client = logged_in_client(consultant)
    queue = client.get("/queue/").content.decode()
    assert f"Declined by {name}: Already on a s136 at A&amp;E" in queue
    detail = client.get(f"/referrals/{queued_referral.pk}/").content.decode()
    assert "Allocation history" in detail and "declined" in detail and "Already on a s136 at A&amp;E" in detail


def test_the_amhp_who_declined_ranks_last_with_the_reason(
    allocate: Callable[..., Assessment],
    queued_referral: Referral,
    on_duty_amhp: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    make_shift: Callable[..., Shift],
) -> None:
    # The decliner has the longer shift left, so they would rank first without the decline.
    make_shift(on_duty_amhp, hours=12, code="long")
    other = make_staff("amhp", on_duty_amhp.service)
    make_shift(other, hours=6)
    assessment = allocate(queued_referral, on_duty_amhp)
    services.assessment_decline(assessment=assessment, actor=on_duty_amhp.user, reason="Off sick from 2pm")

    ranked = selectors.candidates_for(Referral.objects.get(pk=queued_referral.pk), timezone.now())

    assert [r.candidate.amhp_id for r in ranked] == [str(other.pk), str(on_duty_amhp.pk)]
    assert ranked[-1].reasons[0] == "Declined this referral: Off sick from 2pm"


def test_allocating_again_clears_the_decline_flag(
    allocate: Callable[..., Assessment],
    queued_referral: Referral,
    on_duty_amhp: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    make_shift: Callable[..., Shift],
) -> None:
    other = make_staff("amhp", on_duty_amhp.service)
    make_shift(other)
    services.assessment_decline(
        assessment=allocate(queued_referral, on_duty_amhp), actor=on_duty_amhp.user, reason="Busy"
    )
    allocate(Referral.objects.get(pk=queued_referral.pk), other)

    assert Referral.objects.get(pk=queued_referral.pk).decline_note == ""


@override_settings(SWEEP_FULL_EVERY_MINUTES=60)
def test_swap_requests_and_decisions_notify_the_managers_and_both_amhps_once(
    service: Any, manager: StaffProfile, make_staff: Callable[..., StaffProfile], make_shift: Callable[..., Shift]
) -> None:
    asker = make_staff("amhp", service, first_name="Ann", last_name="Asker")
    taker = make_staff("amhp", service, first_name="Tom", last_name="Taker")
    shift = make_shift(asker, starts=timezone.now() + timedelta(days=2))
    swap = rota_services.swap_request_create(
        actor=asker.user, shift=shift, proposed_staff=taker, reason="Hospital appointment"
    )

    assert jobs.notify_swaps(now=timezone.now()) == 2
    asked = f"Swap requested: Ann Asker asks Tom Taker to take Day on {shift.day.isoformat()}"
    assert titles(manager) == [asked] and titles(taker) == [asked]

    rota_services.swap_approve(actor=manager.user, swap=swap)
    assert jobs.notify_swaps(now=timezone.now() + timedelta(minutes=5)) == 2
    decided = f"Swap approved: Tom Taker for Ann Asker, Day on {shift.day.isoformat()}"
    assert titles(asker) == [decided]
    assert titles(taker) == [decided, asked]
    assert jobs.notify_swaps(now=timezone.now() + timedelta(minutes=10)) == 0
