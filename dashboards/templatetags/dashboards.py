"""Cell formatting for dashboard tables."""

from __future__ import annotations

from typing import Any

from django import template

from dashboards.reports import fmt

register = template.Library()


@register.filter
def cell(value: Any) -> str:
    return fmt(value)


@register.filter
def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
