"""Write audit events. Every view and change of a referral goes through here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from amhp_hub.common.models import AuditEvent


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [old, new]} for the fields whose value changed."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


def audit(
    *,
    actor: Any,
    service_id: int,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_ids: Iterable[Any] = (),
    changes: Mapping[str, Any] | None = None,
    channel: str = "web",
) -> AuditEvent:
    """Record one audit event (one INSERT) for OBJ, or for the listed OBJECT_IDS."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        service_id=service_id,
        action=action,
        object_type=object_type or (obj._meta.model_name or "" if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None else "",
        object_ids=[str(i) for i in object_ids],
        changes=dict(changes or {}),
        channel=channel,
    )
