"""Template filter for elapsed durations."""

from __future__ import annotations

from datetime import timedelta

from django import template

from rota.timefmt import format_duration

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A duration as "2 h 15 min"; empty for None."""
    return format_duration(value) if value is not None else ""
