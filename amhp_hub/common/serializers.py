"""Serializers whose fields are built once per class for reading, not once per response.

A DRF serializer builds its fields (for a ModelSerializer: from the model, each with its
validators and options) the first time each instance is used, so every response builds them
again: for the referral, about as long as the rest of the request. Reading needs only each
field's `get_attribute` and `to_representation`, which depend on the field's declaration, not on
the request. `ReadOnceFields` builds a class's fields once, on an instance of its own, and reads
every object through them.

For the commonest fields the reading is done directly: a plain attribute path is followed with
getattr (DRF's own `get_attribute` is used whenever the path meets a callable, a mapping or an
error, so defaults, nulls and skipped fields behave as DRF has them), and text, UUIDs, whole
numbers, booleans and ISO 8601 date-times are written as DRF writes them, date-times in the
current time zone read once per object. Every other field is read by DRF itself. The output is
the same, field for field, as DRF's own to_representation (tests/common/test_serializers.py
compares the two).

Use it only where reading does not depend on the serializer's context or its arguments: a field
whose output needs the request (hyperlinks, say) or a serializer that changes its fields in
__init__ would be read as the first instance saw them. Validation and writes are untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601
from rest_framework import fields as drf
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

# What a field's value becomes, given the value (never None) and the current time zone.
Write = Callable[[Any, Any], Any]
_UNSET = object()


class ReadOnceFields:
    """A mixin for a DRF Serializer: `to_representation` reads through fields built once for the class."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        plan = type(self).__dict__.get("_read_plan")
        if plan is None:
            plan = _read_plan(type(self))
        zone = timezone.get_current_timezone() if settings.USE_TZ else None
        ret: dict[str, Any] = {}
        for name, field, path, write in plan:
            attribute: Any = _UNSET
            if path is not None:
                attribute = instance
                try:
                    for attr in path:
                        attribute = getattr(attribute, attr)
                except Exception:  # noqa: BLE001 - DRF's own get_attribute decides what an error means
                    attribute = _UNSET
                else:
                    if callable(attribute) or isinstance(attribute, Mapping):
                        attribute = _UNSET
            if attribute is _UNSET:
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
            # As DRF does: None is not given to the field, and a primary-key-only relation is None if its pk is.
            present = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if present is None else write(attribute, zone)
        return ret


def _read_plan(cls: type) -> list[tuple[str, Field, tuple[str, ...] | None, Write]]:
    """(name, field, attribute path or None, writer) for each readable field of CLS, bound to an instance kept
    for reading (two threads may both build it once)."""
    template: Any = cls()
    plan = [(field.field_name, field, _path(field), _writer(field)) for field in template._readable_fields]
    cls._read_plan = plan  # type: ignore[attr-defined]
    return plan


def _path(field: Field) -> tuple[str, ...] | None:
    """The attribute path to follow with getattr, when the field reads its value as DRF's Field does."""
    if type(field).get_attribute is not Field.get_attribute or not field.source_attrs:
        return None
    return tuple(field.source_attrs)


def _writer(field: Field) -> Write:
    kind = type(field)
    drf_write = field.to_representation
    if kind is drf.CharField:
        return lambda value, zone: str(value)
    if kind is drf.IntegerField:
        return lambda value, zone: int(value)
    if kind is drf.BooleanField:
        return lambda value, zone: value if value is True or value is False else drf_write(value)
    if kind is drf.UUIDField and getattr(field, "uuid_format", "hex_verbose") == "hex_verbose":
        return lambda value, zone: str(value) if isinstance(value, uuid.UUID) else drf_write(value)
    if (
        kind is drf.DateTimeField
        and not hasattr(field, "timezone")
        and str(getattr(field, "format", api_settings.DATETIME_FORMAT) or "").lower() == ISO_8601
    ):

        def iso(value: Any, zone: Any) -> Any:
            if zone is None or not isinstance(value, datetime) or value.tzinfo is None:
                return drf_write(value)
            text = value.astimezone(zone).isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        return iso
    return lambda value, zone: drf_write(value)
