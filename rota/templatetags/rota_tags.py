"""Small template helpers for the rota pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template

from rota.timefmt import format_day, format_duration, format_hours, format_local

register = template.Library()


@register.filter
def day_label(value: date | None) -> str:
    """A calendar day as e.g. "Mon 23 Nov"."""
    return format_day(value) if value else ""


@register.filter
def local(value: datetime | None) -> str:
    """An instant as Europe/London day and time, e.g. "Mon 23 Nov 17:00"."""
    return format_local(value) if value else ""


@register.filter
def hours(value: float) -> str:
    return format_hours(value)


@register.filter
def duration(value: Any) -> str:
    return format_duration(value)


@register.filter
def lookup(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def index(sequence: list[Any], position: int) -> Any:
    return sequence[position]


@register.filter
def percent(value: float) -> str:
    return f"{round(value * 100)}%"
