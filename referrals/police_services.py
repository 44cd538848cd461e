"""Writes for police and place-of-safety liaison on a referral. One transaction, audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from amhp_hub.common.audit import audit, diff, snapshot
from referrals import police
from referrals.constants import S136Consultee
from referrals.models import Referral

POLICE_FIELDS = (
    "police_incident_number",
    "s136_consulted",
    "s136_consulted_name",
    "s136_consulted_at",
    "police_arrived_at",
    "police_handover_at",
)
FUTURE_TOLERANCE = timedelta(minutes=5)


@transaction.atomic
def referral_record_police(
    *, referral: Referral, actor: Any, data: Mapping[str, Any], now: datetime | None = None, channel: str = "web"
) -> Referral:
    """Record the police liaison fields in DATA (POLICE_FIELDS) on REFERRAL.

    Raise ValidationError for an unknown consultee, times in the future, or a handover before
    the police arrived. Nothing is saved then.
    """
    now = now or timezone.now()
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    clean = {k: data[k] for k in POLICE_FIELDS if k in data}
    for field in ("police_incident_number", "s136_consulted_name"):
        if field in clean:
            clean[field] = (clean[field] or "").strip()
    errors: dict[str, list[str]] = {}
    if clean.get("s136_consulted") and clean["s136_consulted"] not in S136Consultee.values:
        errors["s136_consulted"] = ["Choose who the police consulted (s136(1C))"]
    for field in ("s136_consulted_at", "police_arrived_at", "police_handover_at"):
        if clean.get(field) and clean[field] > now + FUTURE_TOLERANCE:
            errors.setdefault(field, []).append("The time must be in the past")
    arrived = clean.get("police_arrived_at", locked.police_arrived_at)
    handed = clean.get("police_handover_at", locked.police_handover_at)
    problem = police.police_times_error(arrived, handed)
    if problem:
        errors.setdefault("police_handover_at", []).append(problem)
    if errors:
        raise ValidationError(errors)
    before = snapshot(locked, POLICE_FIELDS)
    for field, value in clean.items():
        setattr(locked, field, value)
    changed = [f for f in POLICE_FIELDS if getattr(locked, f) != before[f]]
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="update",
        obj=locked,
        channel=channel,
        changes=diff(before, snapshot(locked, POLICE_FIELDS)),
    )
    return locked
