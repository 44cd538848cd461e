"""Template filters for requests and waits."""

from __future__ import annotations

from django import template

from assessments.models import DelayReason, RequestKind

register = template.Library()


@register.filter
def request_kind(kind: str) -> str:
    """The label of a request kind, e.g. "bed" -> "Bed"."""
    if kind == DelayReason.NO_AMHP:
        return str(DelayReason.NO_AMHP.label)
    try:
        return str(RequestKind(kind).label)
    except ValueError:
        return kind
