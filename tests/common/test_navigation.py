"""The service navigation: each role's items in menu order, the current one marked, the unread count shown."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import set_script_prefix
from django.utils import timezone

from assessments.models import Notification
from rota.models import StaffProfile

pytestmark = pytest.mark.django_db


def menu(html: str) -> list[str]:
    nav = html.split('id="navigation">', 1)[1].split("</ul>", 1)[0]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li .*?</li>", nav, re.S)]


def test_a_consultant_sees_the_desk_and_the_current_page_is_marked(
    consultant: StaffProfile, logged_in_client: Callable[..., Any]
) -> None:
    html = logged_in_client(consultant).get("/search/").content.decode()
    assert menu(html) == [
        "Queue",
        "New referral",
        "Plan",
        "Board",
        "My drafts",
        "Search",
        "On duty now",
        "Rota",
        "Doctors",
        "Notifications",
    ]
    assert re.search(r'href="/search/" aria-current="page"', html)
    assert html.count("aria-current=") == 1


def test_an_amhp_sees_their_allocations_and_toil_but_not_the_desk(
    amhp: StaffProfile, logged_in_client: Callable[..., Any]
) -> None:
    items = menu(logged_in_client(amhp).get("/search/").content.decode())
    assert items == ["Search", "My allocations", "On duty now", "Rota", "Doctors", "TOIL", "Notifications"]


def test_a_manager_sees_dashboards_and_the_designer_and_the_unread_count(
    manager: StaffProfile, logged_in_client: Callable[..., Any]
) -> None:
    for n in range(3):
        Notification.objects.create(
            recipient=manager.user,
            service=manager.service,
            kind="test",
            title=f"Note {n}",
            dedupe_key=f"note-{n}",
            created_at=timezone.now(),
        )
    html = logged_in_client(manager).get("/search/").content.decode()
    items = menu(html)
    assert items[-3:] == ["Dashboards", "Rota designer", "Notifications (3 unread)"]
    assert "TOIL" in items and "Queue" in items


def test_the_links_follow_the_address_the_site_is_served_under(
    consultant: StaffProfile, logged_in_client: Callable[..., Any]
) -> None:
    """A site served under a path (the WSGI server's SCRIPT_NAME) links there, not where the first page was served."""
    client = logged_in_client(consultant)
    at_root = client.get("/search/").content.decode()
    set_script_prefix("/amhp/")  # as the WSGI handler does for each request
    try:
        under_a_prefix = client.get("/search/").content.decode()
    finally:
        set_script_prefix("/")
    assert 'class="govuk-service-navigation__link" href="/queue/"' in at_root
    assert 'class="govuk-service-navigation__link" href="/amhp/queue/"' in under_a_prefix
    assert 'class="govuk-service-navigation__link" href="/queue/"' in client.get("/search/").content.decode()


def test_the_layouts_own_links_follow_the_prefix_and_a_missing_route_is_left_out(
    consultant: StaffProfile, logged_in_client: Callable[..., Any]
) -> None:
    """The header, sign-out and queue page addresses ({% route %}) as {% url %} gives them; no accessibility or
    privacy page exists here, so the footer shows neither link."""
    client = logged_in_client(consultant)
    set_script_prefix("/amhp/")
    try:
        under_a_prefix = client.get("/queue/").content.decode()
    finally:
        set_script_prefix("/")
    at_root = client.get("/queue/").content.decode()
    assert 'href="/" class="govuk-generic-header__homepage-link"' in at_root
    assert 'href="/amhp/" class="govuk-generic-header__homepage-link"' in under_a_prefix
    assert 'action="/logout/"' in at_root and 'action="/amhp/logout/"' in under_a_prefix
    assert 'href="/referrals/new/"' in at_root and 'action="/queue/"' in at_root
    assert "Accessibility statement" not in at_root and "Support links" not in at_root
