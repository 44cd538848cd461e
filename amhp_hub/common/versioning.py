"""Versioned edits: a write made against an older version of a record is refused, never lost.

Referrals and assessment records carry a `version` that every edit raises by one. The web form sends
the version it showed (a hidden field) and the API client the ETag it read (If-Match); a mismatch means
someone else saved in between, and the service refuses with StaleWrite, naming that other change.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.utils import timezone

from amhp_hub.common.errors import ConflictError

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


class StaleWrite(ConflictError):
    """The record changed since the writer read it (HTTP 409; the form shows the other change)."""

    def __init__(self, message: str, *, current_version: int, other_change: dict[str, Any]) -> None:
        super().__init__(message)
        self.current_version = current_version
        self.other_change = other_change


def etag(version: int) -> str:
    return f'"{version}"'


def version_from_if_match(header: str | None) -> int | None:
    """The version an If-Match header names (`"3"` or `W/"3"`), None without one; ValueError if unreadable."""
    if header is None or header.strip() == "":
        return None
    match = _ETAG.match(header)
    if match is None:
        raise ValueError('If-Match must be the ETag you read, for example "3"')
    return int(match.group(1))


def last_change(obj: models.Model) -> dict[str, Any]:
    """Who last changed OBJ, when, and which fields (from the audit trail; names only, never values)."""
    from amhp_hub.common.models import AuditEvent

    event = (
        AuditEvent.objects.filter(object_type=obj._meta.model_name, object_id=str(obj.pk), action="update")
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    if event is None:
        return {"by": "", "at": None, "fields": []}
    by = (event.actor.get_full_name() or event.actor.get_username()) if event.actor else "an automatic job"
    return {"by": by, "at": event.at.isoformat(), "fields": sorted(event.changes)}


def require_version(obj: Any, expected: int | None) -> None:
    """Raise StaleWrite when EXPECTED is given and OBJ (read under lock) is at another version."""
    if expected is None or int(expected) == obj.version:
        return
    other = last_change(obj)
    when = (
        timezone.localtime(timezone.datetime.fromisoformat(other["at"])).strftime("%H:%M on %-d %b")
        if other["at"]
        else ""
    )
    fields = ", ".join(f.replace("_", " ") for f in other["fields"]) or "its details"
    who = f" by {other['by']}" if other["by"] else ""
    message = (
        f"Someone else changed this record since you opened it{who}{f' at {when}' if when else ''} "
        f"(changed: {fields}). Your changes were not saved: check the record as it is now, then make them again."
    )
    raise StaleWrite(message, current_version=obj.version, other_change=other)
