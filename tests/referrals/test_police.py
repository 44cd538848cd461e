"""Police liaison rules: s136(1C) consultation and the place-of-safety handover target."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from referrals.models import Referral
from referrals.police import (
    police_handover_duration,
    police_handover_within_target,
    police_times_error,
    s136_consultation_missing,
)
from rota.models import Service, StaffProfile


def test_s136_without_a_recorded_consultation_is_flagged() -> None:
    # s136(1C): consult a doctor, nurse, AMHP (or OT, paramedic) if practicable.
    assert s136_consultation_missing(legal_status="s136", consulted="")
    assert not s136_consultation_missing(legal_status="s136", consulted="not_practicable")
    assert not s136_consultation_missing(legal_status="s5_2", consulted="")


def test_handover_of_exactly_one_hour_meets_the_target() -> None:
    arrived = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    assert police_handover_within_target(
        police_handover_duration(arrived, arrived + timedelta(hours=1)), target_minutes=60
    )
    late = police_handover_duration(arrived, arrived + timedelta(minutes=61))
    assert police_handover_within_target(late, target_minutes=60) is False
    assert police_handover_within_target(None, target_minutes=60) is None


def test_handover_across_the_march_clock_change_is_elapsed_time() -> None:
    # Sun 29 Mar 2026: 00:30 GMT arrival (00:30 UTC); handover at 02:15 BST (01:15 UTC).
    # The wall clock shows 1 h 45 min but only 45 min elapsed: within the 1 h target.
    arrived = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    handed = datetime(2026, 3, 29, 1, 15, tzinfo=UTC)
    assert police_handover_duration(arrived, handed) == timedelta(minutes=45)
    assert police_handover_within_target(timedelta(minutes=45), target_minutes=60)


def test_handover_before_arrival_is_an_error() -> None:
    arrived = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    assert police_times_error(arrived, arrived - timedelta(minutes=1))
    assert police_times_error(arrived, None) is None


# --- the police liaison page ---------------------------------------------------------------------


@pytest.mark.django_db
def test_police_liaison_is_recorded_and_shown_against_the_target(
    logged_in_client: Callable[[StaffProfile], Any],
    consultant: StaffProfile,
    make_referral: Callable[..., Referral],
    service: Service,
) -> None:
    referral = make_referral(
        service, consultant.user, legal_status="s136", legal_power_started_at=timezone.now() - timedelta(hours=2)
    )
    client = logged_in_client(consultant)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Not recorded (s136(1C))" in page
    now = timezone.localtime().replace(second=0, microsecond=0)
    fmt = "%Y-%m-%dT%H:%M"
    response = client.post(
        f"/referrals/{referral.pk}/police/",
        {
            "police_incident_number": "CAD 1234 01/12",
            "s136_consulted": "amhp",
            "s136_consulted_name": "Hub duty AMHP",
            "police_arrived_at": (now - timedelta(minutes=90)).strftime(fmt),
            "police_handover_at": (now - timedelta(minutes=10)).strftime(fmt),
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.police_incident_number == "CAD 1234 01/12"
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "1 h 20 min after arriving" in page and "Over 60 min target" in page


@pytest.mark.django_db
def test_handover_before_arrival_is_refused_and_kept(
    logged_in_client: Callable[[StaffProfile], Any],
    consultant: StaffProfile,
    make_referral: Callable[..., Referral],
    service: Service,
) -> None:
    referral = make_referral(
        service, consultant.user, legal_status="s136", legal_power_started_at=timezone.now() - timedelta(hours=2)
    )
    now = timezone.localtime().replace(second=0, microsecond=0)
    fmt = "%Y-%m-%dT%H:%M"
    response = logged_in_client(consultant).post(
        f"/referrals/{referral.pk}/police/",
        {
            "police_incident_number": "CAD 99",
            "police_arrived_at": (now - timedelta(minutes=10)).strftime(fmt),
            "police_handover_at": (now - timedelta(minutes=30)).strftime(fmt),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "must be after the police arrived" in html and "CAD 99" in html
    referral.refresh_from_db()
    assert referral.police_incident_number == ""
