from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

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


_ID = "00000000-0000-4000-8000-000000000000"
_NOWRAP = " app-nowrap"


@register.simple_tag
def search_result_rows(results: Iterable[Any], role: str) -> SafeString:
    """The rows of a search results table, built in one pass (a page of results is the hot path of search).

    Each link is reversed once for the page and the referral's id put in, so a row costs no URL
    resolving; every value is HTML-escaped; dates are shown as the rest of the hub shows them
    ("1 Dec 2026 14:05", local time).
    """
    detail = reverse("referrals:detail", args=[_ID])
    person = reverse("assessments:person", args=[_ID])
    rows = []
    for r in results:
        name = escape(r.person_name or "Name not recorded")
        if role != "amhp":
            name = f'<a class="govuk-link" href="{escape(person.replace(_ID, str(r.person_id)))}">{name}</a>'
        born = r.person_date_of_birth
        link = escape(detail.replace(_ID, str(r.pk)))
        cells = (
            ("", name),
            (_NOWRAP, escape(r.person.nhs_number_display or "Not recorded")),
            (_NOWRAP, f"{born.day} {born:%b %Y}" if born else "Not recorded"),
            (_NOWRAP, f'<a class="govuk-link" href="{link}">{escape(r.reference)}</a>'),
            (_NOWRAP, _local_minute(r.received_at)),
            ("", escape(str(r.get_status_display()))),
        )
        tds = "".join(f'<td class="govuk-table__cell{css}">{html}</td>' for css, html in cells)
        rows.append(f'<tr class="govuk-table__row">{tds}</tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped


def _local_minute(at: datetime) -> str:
    local = timezone.localtime(at)
    return f"{local.day} {local:%b %Y %H:%M}"
