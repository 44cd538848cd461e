"""Writes for the doctor directory. Each is one transaction with its audit row."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from amhp_hub.common.audit import audit, diff, snapshot
from rota import doctors
from rota.models import DirectoryDoctor

DOCTOR_FIELDS = (
    "name",
    "gmc_number",
    "s12_approved",
    "s12_approval_expires_on",
    "languages",
    "areas",
    "availability",
    "phone",
    "email",
    "active",
)
GMC_NUMBER = re.compile(r"^\d{7}$")


def _clean_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    return [str(v).strip() for v in (value or []) if str(v).strip()]


def _validated(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return DATA cleaned for saving, or raise ValidationError with a message per field."""
    errors: dict[str, list[str]] = {}
    clean = {k: data[k] for k in DOCTOR_FIELDS if k in data}
    if "name" in clean:
        clean["name"] = (clean["name"] or "").strip()
        if not clean["name"]:
            errors["name"] = ["Enter the doctor's name"]
    if "gmc_number" in clean:
        clean["gmc_number"] = (clean["gmc_number"] or "").strip()
        if not GMC_NUMBER.match(clean["gmc_number"]):
            errors["gmc_number"] = ["Enter the GMC number: 7 digits, like 1234567"]
    for field in ("languages", "areas"):
        if field in clean:
            clean[field] = _clean_list(clean[field])
    if "availability" in clean:
        windows, problems = doctors.parse_windows(clean["availability"] or [])
        if problems:
            errors["availability"] = problems
        clean["availability"] = [
            {"weekday": w.weekday, "start": w.start.strftime("%H:%M"), "end": w.end.strftime("%H:%M")} for w in windows
        ]
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def doctor_create(*, service_id: int, actor: Any, data: Mapping[str, Any], channel: str = "web") -> DirectoryDoctor:
    """Add a doctor to the service's directory. Raise ValidationError for bad fields or a GMC number already listed."""
    clean = _validated({"languages": [], "areas": [], "availability": [], **data})
    for field in ("name", "gmc_number"):
        if field not in clean:
            raise ValidationError({field: ["This field is required"]})
    doctor = DirectoryDoctor(service_id=service_id, **clean)
    try:
        with transaction.atomic():
            doctor.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError({"gmc_number": ["A doctor with this GMC number is already in the directory"]}) from exc
    changes = diff(dict.fromkeys(clean), clean)
    audit(actor=actor, service_id=service_id, action="create", obj=doctor, channel=channel, changes=changes)
    return doctor


@transaction.atomic
def doctor_update(
    *, doctor: DirectoryDoctor, actor: Any, data: Mapping[str, Any], channel: str = "web"
) -> DirectoryDoctor:
    """Change a directory entry's fields in DATA; raise ValidationError as doctor_create does."""
    clean = _validated(data)
    locked = DirectoryDoctor.objects.select_for_update().get(pk=doctor.pk)
    before = snapshot(locked, DOCTOR_FIELDS)
    for field, value in clean.items():
        setattr(locked, field, value)
    changed = [f for f in clean if before[f] != clean[f]]
    if changed:
        try:
            with transaction.atomic():
                locked.save(update_fields=[*changed, "updated_at"])
        except IntegrityError as exc:
            raise ValidationError(
                {"gmc_number": ["A doctor with this GMC number is already in the directory"]}
            ) from exc
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="update",
        obj=locked,
        channel=channel,
        changes=diff(before, snapshot(locked, DOCTOR_FIELDS)),
    )
    return locked
