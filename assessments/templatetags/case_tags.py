"""Template filters for requests and waits."""

from __future__ import annotations

from datetime import timedelta

from django import template

from assessments.models import RequestKind
from rota.timefmt import format_duration

register = template.Library()


@register.filter
def request_kind(kind: str) -> str:
    """The label of a request kind, e.g. "bed" -> "Bed"."""
    try:
        return str(RequestKind(kind).label)
    except ValueError:
        return kind


@register.filter
def duration(value: timedelta | None) -> str:
    """A duration as "2 h 15 min"; empty for None."""
    return format_duration(value) if value is not None else ""
