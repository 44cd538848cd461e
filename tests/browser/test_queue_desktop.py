"""The consultant's queue at 1280 px: the full width, one line a referral, headings that stay in view."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_queue_fills_a_desktop_with_one_line_a_referral_and_sticky_headings(
    live_server: Any, sign_in: Any, consultant: Any, make_referral: Any, service: Any, axe_violations: Any
) -> None:
    for n in range(30):
        make_referral(
            service,
            consultant.user,
            given_name=f"Person{n}",
            family_name="With A Rather Long Family Name",
            legal_status="community" if n % 3 else "informal_inpatient",
            location="Riverside Hospital health-based place of safety",
        )
    page = sign_in(consultant)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/queue/")
    table = page.locator("table.app-queue-table")
    assert table.is_visible()
    # Full width: the table uses (nearly) all of the 1280 px, not GOV.UK's 960 px column.
    assert table.bounding_box()["width"] > 1100
    # One line a referral: every row is about as tall as the shortest.
    heights = page.evaluate(
        "() => [...document.querySelectorAll('table.app-queue-table tbody tr')]"
        ".map(r => r.getBoundingClientRect().height)"
    )
    assert len(heights) == 25
    assert max(heights) < 1.5 * min(heights), heights
    # The page itself does not scroll sideways, and the headings stay in view as the rows scroll.
    width, viewport = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= viewport
    position = page.evaluate("() => getComputedStyle(document.querySelector('.app-queue-table th')).position")
    assert position == "sticky"
    page.evaluate("() => document.querySelector('.app-table-container--sticky').scrollTop = 300")
    header_top = page.evaluate("() => document.querySelector('.app-queue-table th').getBoundingClientRect().top")
    box_top = page.evaluate("() => document.querySelector('.app-table-container--sticky').getBoundingClientRect().top")
    assert abs(header_top - box_top) < 2
    assert axe_violations() == []
