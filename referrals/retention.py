"""Retention: anonymise the people whose every referral closed more than RETENTION_YEARS ago.

Reading taken (DOMAIN.md is silent): the Records Management Code of Practice 2021 keeps mental health
records for 20 years after the last contact; the last contact here is the close of the person's last
referral. Anonymising blanks what identifies the person and the clinical free text of their referrals;
statuses, times and outcomes stay for the statistics, and the audit trail is kept whole (it never held
the values). Set-based: one UPDATE per table, one audit row per person.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from amhp_hub.common.audit import CHANGED
from amhp_hub.common.models import AuditEvent
from referrals.models import OPEN_STATUS_VALUES, Person, PersonHistory, Referral

ANONYMOUS = "Anonymised"
PERSON_BLANKS: dict[str, Any] = {
    "nhs_number": "",
    "given_name": ANONYMOUS,
    "family_name": "",
    "date_of_birth": None,
    "address": "",
    "postcode": "",
    "gp_practice": "",
}
REFERRAL_BLANKS: dict[str, Any] = {
    "location": "",
    "referrer_name": "",
    "referrer_phone": "",
    "reason": "",
    "risk_notes": "",
    "nearest_relative_name": "",
    "nearest_relative_phone": "",
    # The name and date of birth each referral recorded, and the last decline (it names the AMHP's reason).
    "recorded_given_name": "",
    "recorded_family_name": "",
    "recorded_date_of_birth": None,
    "decline_note": "",
}


def retention_cutoff(now: datetime, years: int) -> datetime:
    """The close time before which a person's records are past retention (YEARS of 365.25 days)."""
    return now - timedelta(days=round(365.25 * years))


def people_past_retention(*, service_id: int, now: datetime) -> Any:
    """People of the service not yet anonymised, with referrals, all closed before the cutoff."""
    cutoff = retention_cutoff(now, settings.RETENTION_YEARS)
    recent_or_open = Referral.objects.filter(person=OuterRef("pk")).filter(
        Q(status__in=[*OPEN_STATUS_VALUES, "draft"]) | Q(closed_at__isnull=True) | Q(closed_at__gte=cutoff)
    )
    return (
        Person.objects.filter(service_id=service_id, anonymised_at__isnull=True, referrals__isnull=False)
        .exclude(Exists(recent_or_open))
        .distinct()
    )


@transaction.atomic
def anonymise_past_retention(*, service_id: int, now: datetime | None = None) -> list[Any]:
    """Anonymise the people of the service past retention and their referrals' free text; return their ids.

    At most 5,000 people a run: the daily job catches up on a backlog over several days.
    """
    now = now or timezone.now()
    ids = list(people_past_retention(service_id=service_id, now=now).values_list("pk", flat=True)[:5000])
    if not ids:
        return []
    Person.objects.filter(pk__in=ids).update(**PERSON_BLANKS, anonymised_at=now)
    Referral.objects.filter(person_id__in=ids).update(**REFERRAL_BLANKS)
    PersonHistory.objects.filter(person_id__in=ids).delete()  # earlier names and dates of birth go too
    fields = {name: CHANGED for name in (*PERSON_BLANKS, *REFERRAL_BLANKS)}
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                service_id=service_id,
                action=AuditEvent.Action.ANONYMISE,
                object_type="person",
                object_id=str(pk),
                changes=fields,
                channel="job",
            )
            for pk in ids
        ]
    )
    return ids
