"""Referral services: person matching, flags, drafts, triage and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from amhp_hub.common.errors import ConflictError
from amhp_hub.common.models import AuditEvent
from referrals import services
from referrals.models import Person, Referral

pytestmark = pytest.mark.django_db


def test_same_nhs_number_reuses_the_person_and_flags_a_repeat(
    consultant: Any, make_referral: Any, service: Any
) -> None:
    now = timezone.now()
    first = make_referral(
        service, consultant.user, nhs_number="9434765919", received_at=now - timedelta(days=20), now=now
    )
    services.referral_triage(referral=first, actor=consultant.user, decision="close", reason="Assessed, NFA")
    second = make_referral(service, consultant.user, nhs_number="943-476-5919", now=now, postcode="AB1 2CD")
    assert second.person_id == first.person_id
    assert "repeat" in second.flags
    assert "possible_duplicate" not in second.flags
    assert Person.objects.get().postcode == "AB1 2CD"


def test_a_referral_after_the_repeat_window_is_not_a_repeat(consultant: Any, make_referral: Any, service: Any) -> None:
    now = timezone.now()
    make_referral(service, consultant.user, nhs_number="9434765919", received_at=now - timedelta(days=29), now=now)
    later = make_referral(service, consultant.user, nhs_number="9434765919", now=now)
    assert "repeat" not in later.flags


def test_an_open_referral_for_the_same_person_is_a_possible_duplicate(
    consultant: Any, make_referral: Any, service: Any
) -> None:
    make_referral(service, consultant.user, nhs_number="9434765919")
    second = make_referral(service, consultant.user, nhs_number="9434765919")
    assert {"repeat", "possible_duplicate"} <= set(second.flags)


def test_without_nhs_number_duplicates_match_on_name_and_birth_date(
    consultant: Any, make_referral: Any, service: Any
) -> None:
    from datetime import date

    make_referral(
        service, consultant.user, nhs_number="", given_name="Ola", family_name="Nowak", date_of_birth=date(1980, 1, 2)
    )
    second = make_referral(
        service, consultant.user, nhs_number="", given_name="ola", family_name="NOWAK", date_of_birth=date(1980, 1, 2)
    )
    assert {"missing_nhs_number", "possible_duplicate"} <= set(second.flags)
    assert Person.objects.count() == 2


def test_people_in_different_services_are_separate(
    consultant: Any, make_staff: Any, other_service: Any, make_referral: Any, service: Any
) -> None:
    other = make_staff("consultant", other_service)
    a = make_referral(service, consultant.user, nhs_number="9434765919")
    b = make_referral(other_service, other.user, nhs_number="9434765919")
    assert a.person_id != b.person_id
    assert "repeat" not in b.flags


def test_missing_information_and_risks_are_flagged(consultant: Any, make_referral: Any, service: Any) -> None:
    referral = make_referral(
        service,
        consultant.user,
        nearest_relative_name="",
        risk_weapons=True,
        interpreter_needed=True,
        language="Polish",
    )
    assert {"missing_nearest_relative", "risk_weapons", "interpreter"} <= set(referral.flags)


def test_draft_can_be_saved_incomplete_but_not_invalid(consultant: Any, service: Any) -> None:
    draft = services.referral_create(service=service, actor=consultant.user, data={"given_name": "Jo"}, draft=True)
    assert draft.status == "draft"
    with pytest.raises(ValidationError) as exc:
        services.referral_create(
            service=service, actor=consultant.user, data={"given_name": "Jo", "nhs_number": "12345"}, draft=True
        )
    assert "nhs_number" in exc.value.message_dict
    assert Referral.objects.count() == 1


def test_complete_referral_requires_name_legal_status_and_reason(consultant: Any, service: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        services.referral_create(service=service, actor=consultant.user, data={"given_name": "Jo"})
    assert set(exc.value.message_dict) == {"family_name", "legal_status", "reason"}


def test_closed_referral_cannot_be_edited(consultant: Any, make_referral: Any, service: Any) -> None:
    referral = make_referral(service, consultant.user)
    services.referral_triage(referral=referral, actor=consultant.user, decision="close", reason="Duplicate")
    with pytest.raises(ConflictError):
        services.referral_update(referral=referral, actor=consultant.user, data={"reason": "more"})


def test_triage_redirect_closes_and_stops_the_clock(consultant: Any, make_referral: Any, service: Any) -> None:
    referral = make_referral(
        service, consultant.user, legal_status="s136", legal_power_started_at=timezone.now() - timedelta(hours=1)
    )
    services.referral_triage(
        referral=referral, actor=consultant.user, decision="redirect", reason="Crisis team will see today"
    )
    referral.refresh_from_db()
    assert referral.status == "redirected"
    assert referral.closed_at is not None
    assert not referral.is_breached(timezone.now() + timedelta(days=2))


def test_every_change_writes_an_audit_row_naming_the_fields_without_copying_free_text(
    consultant: Any, make_referral: Any, service: Any
) -> None:
    referral = make_referral(service, consultant.user, reason="First reason")
    services.referral_update(referral=referral, actor=consultant.user, data={"reason": "Second reason"})
    services.referral_triage(referral=referral, actor=consultant.user, decision="more_info", reason="Need GP view")
    events = list(AuditEvent.objects.filter(object_id=str(referral.pk)).order_by("at", "id"))
    assert [e.action for e in events] == ["create", "update", "triage"]
    # The reason is clinical free text: the audit names the field, never its words.
    assert events[1].changes == {"reason": "changed"}
    assert events[2].changes["status"] == ["new", "more_info"]
    assert all(e.actor == consultant.user for e in events)


def test_s136b_extension_moves_the_expiry_and_is_limited_to_12_hours(
    consultant: Any, make_referral: Any, service: Any
) -> None:
    now = timezone.now()
    started = now - timedelta(hours=20)
    referral = make_referral(service, consultant.user, legal_status="s136", legal_power_started_at=started, now=now)
    services.referral_extend_detention(
        referral=referral,
        actor=consultant.user,
        hours=8,
        authorised_by="Dr Obi",
        reason="Intoxicated; cannot be assessed yet",
        now=now,
    )
    referral.refresh_from_db()
    assert referral.statutory_expires_at == started + timedelta(hours=32)
    with pytest.raises(ValidationError) as exc:
        services.referral_extend_detention(
            referral=referral,
            actor=consultant.user,
            hours=5,
            authorised_by="Dr Obi",
            reason="Still intoxicated",
            now=now,
        )
    assert "the most allowed is 12" in exc.value.message_dict["hours"][0]
    event = AuditEvent.objects.filter(object_id=str(referral.pk), action="update").latest("at")
    assert event.changes["s136b_authorised_by"] == "Dr Obi"


def test_s136b_extension_is_refused_for_other_powers_and_after_24_hours(
    consultant: Any, make_referral: Any, service: Any
) -> None:
    now = timezone.now()
    s5_2 = make_referral(
        service, consultant.user, legal_status="s5_2", legal_power_started_at=now - timedelta(hours=1), now=now
    )
    with pytest.raises(ValidationError, match="Only s136 and s135"):
        services.referral_extend_detention(
            referral=s5_2, actor=consultant.user, hours=2, authorised_by="Dr A", reason="x", now=now
        )
    late = make_referral(
        service, consultant.user, legal_status="s136", legal_power_started_at=now - timedelta(hours=25), now=now
    )
    with pytest.raises(ValidationError, match="before the first 24 hours"):
        services.referral_extend_detention(
            referral=late, actor=consultant.user, hours=2, authorised_by="Dr A", reason="x", now=now
        )
