"""Write audit events. Every view and change of a referral goes through here.

An audit row says who (actor, role, address), did what (action, outcome) to which records
(object ids) and, for a change, which fields changed. It never copies clinical free text or
identifying details: for those fields only the name is kept, as "changed".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from amhp_hub.common.models import AuditEvent
from amhp_hub.common.security import current_request_info
from amhp_hub.common.statements import Insert

CHANGED = "changed"

# Every read of a referral writes one audit row: its INSERT compiled once per thread (amhp_hub.common.statements).
_INSERT: Insert[AuditEvent] = Insert(AuditEvent)

# Fields whose values are clinical free text or identify the person: the audit keeps their names only.
REDACTED_FIELDS = frozenset(
    {
        "nhs_number",
        "given_name",
        "family_name",
        "date_of_birth",
        "address",
        "postcode",
        "gp_practice",
        "location",
        "reason",
        "risk_notes",
        "outcome_notes",
        "nearest_relative_notes",
        "nearest_relative_name",
        "nearest_relative_phone",
        "referrer_name",
        "referrer_phone",
        "decline_reason",
        "note",
        "notes",
        "text",
        "body",
        "message",
    }
)


def redacted(key: str) -> bool:
    return key in REDACTED_FIELDS or key.endswith(("_notes", "_note", "_reason", "_phone", "_text"))


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Return {field: [old, new]} for the fields whose value changed ("changed" alone for redacted fields)."""
    return {
        key: CHANGED if redacted(key) else [_plain(before.get(key)), _plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def scrub(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Replace the value of every redacted field by "changed", however a caller built CHANGES."""
    return {key: (CHANGED if redacted(key) else _plain(value)) for key, value in changes.items()}


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


def _role(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    profile = getattr(actor, "staff_profile", None)
    if profile is not None:
        return str(profile.role)
    return "admin" if getattr(actor, "is_superuser", False) else ""


def audit(
    *,
    actor: Any,
    service_id: int | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    object_ids: Iterable[Any] = (),
    changes: Mapping[str, Any] | None = None,
    channel: str = "web",
    outcome: str = "ok",
    ip: str | None = None,
) -> AuditEvent:
    """Record one audit event (one INSERT) for OBJ, or for the listed OBJECT_IDS.

    The address, and the role of the actor, come from the request being served when there is one.
    """
    info = current_request_info()
    return _INSERT.run(
        AuditEvent(
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            role=_role(actor),
            ip=ip or (info.ip if info is not None else None),
            service_id=service_id,
            action=action,
            outcome=outcome,
            object_type=object_type or (obj._meta.model_name or "" if obj is not None else ""),
            object_id=object_id if object_id is not None else (str(obj.pk) if obj is not None else ""),
            object_ids=[str(i) for i in object_ids],
            changes=scrub(changes or {}),
            channel=channel,
        )
    )
