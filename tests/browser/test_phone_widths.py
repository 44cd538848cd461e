"""No page of the hub scrolls sideways on a 390 px phone, for any role, and form errors take focus.

Every page a signed-in user can open is visited at 390 x 844 with the demo service loaded; the page's
document must be no wider than the viewport (wide tables scroll inside their own region instead).
"""

from __future__ import annotations

from typing import Any

import pytest

from amhp_hub.demo import seed_demo
from assessments import services
from assessments.models import OPEN_ASSESSMENT_STATUSES, Assessment, ToilEntry
from dashboards.reports import SECTIONS
from referrals.constants import Status
from referrals.models import Referral
from rota.demo import DEMO_PASSWORD
from rota.models import ShiftType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def _sign_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _pages() -> dict[str, list[str]]:
    service = seed_demo(scale=1, seed=2).service
    referrals = Referral.objects.filter(service=service)
    accepted = referrals.filter(status=Status.ACCEPTED).first()
    new = referrals.filter(status=Status.NEW).first()
    closed = referrals.filter(status=Status.ASSESSED).first()
    own = Assessment.objects.filter(amhp__user__username="amhp", status__in=OPEN_ASSESSMENT_STATUSES).first()
    done = Assessment.objects.filter(service=service, status="completed").first()
    shift_type = ShiftType.objects.filter(service=service).first()
    assert accepted and new and closed and own and done and shift_type
    if own.status == "offered":
        own = services.assessment_accept(assessment=own, actor=own.amhp.user)
    toil = ToilEntry.objects.create(
        service=service, staff=own.amhp, kind=ToilEntry.Kind.ACCRUAL, minutes=45, status=ToilEntry.Status.PENDING
    )
    shared = ["/rota/", "/rota/on-duty/", "/notifications/"]
    return {
        "consultant": [
            "/queue/",
            "/referrals/new/",
            f"/referrals/{new.pk}/",
            f"/referrals/{accepted.pk}/",
            f"/referrals/{closed.pk}/",
            f"/referrals/{accepted.pk}/candidates/",
            f"/assessments/{done.pk}/",
            "/rota/swaps/",
            *shared,
        ],
        "amhp": [
            "/my/allocations/",
            f"/assessments/{own.pk}/",
            f"/assessments/{own.pk}/decline/",
            "/rota/mine/",
            "/rota/swaps/",
            "/rota/leave/",
            "/toil/",
            *shared,
        ],
        "manager": [
            "/queue/",
            "/rota/shift-types/",
            f"/rota/shift-types/{shift_type.pk}/",
            "/rota/patterns/",
            "/rota/leave/",
            "/rota/swaps/",
            "/rota/frequency/",
            "/toil/",
            f"/toil/{toil.pk}/reject/",
            "/dashboards/",
            *[f"/dashboards/{slug}/" for slug in SECTIONS],
            *shared,
        ],
    }


def test_no_page_scrolls_sideways_at_390_px(live_server: Any, page: Any) -> None:
    pages = _pages()
    page.set_viewport_size(PHONE)
    too_wide: list[str] = []
    page.goto(f"{live_server.url}/login/")
    width, viewport = page.evaluate(OVERFLOW)
    if width > viewport:
        too_wide.append(f"signed out /login/: {width} px")
    for username, paths in pages.items():
        _sign_in(page, live_server.url, username)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, f"{username} {path}: {response and response.status}"
            width, viewport = page.evaluate(OVERFLOW)
            if width > viewport:
                too_wide.append(f"{username} {path}: {width} px")
    assert too_wide == []


def test_form_errors_are_summarised_at_the_top_and_take_focus_on_a_phone(live_server: Any, page: Any) -> None:
    pages = _pages()
    page.set_viewport_size(PHONE)
    _sign_in(page, live_server.url, "amhp")
    assessment = next(p for p in pages["amhp"] if p.startswith("/assessments/") and p.count("/") == 3)
    page.goto(f"{live_server.url}{assessment}")
    page.locator("summary", has_text="Add to the timeline").click()
    page.get_by_role("button", name="Add event").click()
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    assert summary.count() == 1
    # The summary comes before the page's heading and has the focus.
    assert page.evaluate(
        "() => { const s = document.querySelector('.govuk-error-summary');"
        " const h = document.querySelector('h1');"
        " return !!(s.compareDocumentPosition(h) & Node.DOCUMENT_POSITION_FOLLOWING); }"
    )
    assert page.evaluate("() => document.activeElement.closest('.govuk-error-summary') !== null")
    width, viewport = page.evaluate(OVERFLOW)
    assert width <= viewport
