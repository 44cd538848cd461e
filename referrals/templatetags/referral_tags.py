from __future__ import annotations

from datetime import datetime, timedelta

from django import template

from referrals import clocks

register = template.Library()


@register.simple_tag
def countdown(due: datetime | None, now: datetime) -> str:
    """The countdown text a page shows before its script takes over ("due in 3 h 12 min")."""
    return clocks.countdown(due, now) if due else ""


@register.simple_tag
def countdown_class(due: datetime | None, now: datetime) -> str:
    """GOV.UK tag colour for how close DUE is: red overdue, orange within 1 h, yellow within 4 h."""
    if due is None:
        return "govuk-tag--grey"
    left = due - now
    if left <= timedelta(0):
        return "govuk-tag--red"
    if left <= timedelta(hours=1):
        return "govuk-tag--orange"
    if left <= timedelta(hours=4):
        return "govuk-tag--yellow"
    return "govuk-tag--blue"


PRIORITY_TAG = {
    "emergency": "govuk-tag--red",
    "urgent": "govuk-tag--orange",
    "soon": "govuk-tag--yellow",
    "routine": "govuk-tag--grey",
}


@register.filter
def priority_class(priority: str) -> str:
    return PRIORITY_TAG.get(priority, "govuk-tag--grey")


@register.filter
def tel_href(phone: str | None) -> str:
    """Return a tel: link for PHONE as typed ("01632 960 001", "+44 (0)1632 960001"), or "" if it has no digits.

    Keeps a leading + and the digits; drops a "(0)" trunk prefix written after a country code.
    """
    text = (phone or "").strip()
    if not text:
        return ""
    plus = text.startswith("+")
    if plus:
        text = text.replace("(0)", "")
    digits = "".join(ch for ch in text if ch.isdigit())
    return f"tel:{'+' if plus else ''}{digits}" if digits else ""
