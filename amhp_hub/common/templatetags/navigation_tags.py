"""The service navigation's items, built in Python: it is on every page, so it should cost next to nothing."""

from __future__ import annotations

import functools
from html import escape
from typing import Any

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

DESK = ("consultant", "manager")
# (route name, text, the roles that see it: None for everyone signed in with a role), in menu order.
ITEMS: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("referrals:queue", "Queue", DESK),
    ("referrals:create", "New referral", DESK),
    ("planning:plan", "Plan", DESK),
    ("assessments:board", "Board", DESK),
    ("referrals:drafts", "My drafts", DESK),
    ("referrals:search", "Search", None),
    ("assessments:my_allocations", "My allocations", ("amhp",)),
    ("rota:on_duty", "On duty now", ()),
    ("rota:rota", "Rota", ()),
    ("doctors:list", "Doctors", ()),
    ("toil:index", "TOIL", ("amhp", "manager")),
    ("dashboards:index", "Dashboards", ("manager",)),
    ("planning:designer", "Rota designer", ("manager",)),
    ("notifications:list", "Notifications", ()),
)


def _href(name: str) -> str:
    """The item's address, or "" when the route does not exist (as {% url ... as %} never raises).

    The addresses take no arguments, so they change only with the URL configuration and the script
    prefix the site is served under: they are worked out once for each (reverse() is a tenth of a
    page's time otherwise).
    """
    return _hrefs(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()).get(name, "")


@functools.lru_cache(maxsize=16)
def _hrefs(urlconf: str, prefix: str) -> dict[str, str]:
    """Each item's address under URLCONF and the script PREFIX (as reverse() reads them)."""
    hrefs = {}
    for name, _text, _roles in ITEMS:
        try:
            hrefs[name] = reverse(name, urlconf=urlconf)
        except NoReverseMatch:
            hrefs[name] = ""
    return hrefs


@functools.lru_cache(maxsize=256)
def _route_href(urlconf: str, prefix: str, name: str) -> str:
    try:
        return reverse(name, urlconf=urlconf)
    except NoReverseMatch:
        return ""


@register.simple_tag
def route(name: str) -> str:
    """`{% route "name" as var %}`: the address of a route that takes no arguments, or "" when it does not exist.

    As `{% url name as var %}`, worked out once per URL configuration and script prefix: the layout asks for
    a few such addresses on every page, and a route that does not exist (the footer's optional links) costs
    reverse() an exception each time.
    """
    return _route_href(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), name)


def _visible(roles: tuple[str, ...] | None, role: str | None) -> bool:
    if roles is None:
        return bool(role)
    return not roles or role in roles


@register.simple_tag(takes_context=True)
def service_navigation_items(context: Any) -> SafeString:
    """The <li> items of the GOV.UK service navigation for the signed-in user's `role`.

    The item whose address is the request's path gets aria-current="page"; the one whose route name
    is the view's `nav_active` gets aria-current="true". Notifications show the unread count.
    """
    role = context.get("role")
    request = context.get("request")
    path = getattr(request, "path", None)
    active = context.get("nav_active")
    unread = context.get("unread_notifications")
    items = []
    for name, text, roles in ITEMS:
        href = _href(name)
        if not href or not _visible(roles, role):
            continue
        label = escape(text)
        if name == "notifications:list" and unread:
            label += f' ({escape(str(unread))}<span class="govuk-visually-hidden"> unread</span>)'
        link = escape(href)
        if href == path or (active and active == name):
            current = "page" if href == path else "true"
            items.append(
                '<li class="govuk-service-navigation__item govuk-service-navigation__item--active">'
                f'<a class="govuk-service-navigation__link" href="{link}" aria-current="{current}">'
                f'<strong class="govuk-service-navigation__active-fallback">{label}</strong></a></li>'
            )
        else:
            items.append(
                f'<li class="govuk-service-navigation__item"><a class="govuk-service-navigation__link" href="{link}">'
                f"{label}</a></li>"
            )
    return mark_safe("\n".join(items))  # noqa: S308 - every value above is escaped
