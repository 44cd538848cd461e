"""The board in keyset pages: every open case once, earliest deadline first and cases with none last,
next and previous links, and each page costing the same queries however many cases there are."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amhp_hub.common.pagination import KeysetPaginator
from assessments import board, request_services
from referrals.models import Referral

pytestmark = pytest.mark.django_db

ROW = re.compile(r'data-referral="([^"]+)"')


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'href="(\?cursor=[^"]+)" rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def cases(service: Any, consultant: Any, make_referral: Any) -> dict[str, Referral]:
    """Seven open referrals whose deadlines (or none) and arrival times give the board order by hand.

    D (deadline in 30 min), A and B (both in 1 h: A arrived first), H (2 h), C (5 h), then the
    two with no running deadline in order of arrival, E (90 min ago) then F (20 min ago).
    """
    now = timezone.now()
    plan = {
        "A": (timedelta(hours=1), timedelta(minutes=60)),
        "B": (timedelta(hours=1), timedelta(minutes=30)),
        "C": (timedelta(hours=5), timedelta(minutes=50)),
        "D": (timedelta(minutes=30), timedelta(minutes=40)),
        "E": (None, timedelta(minutes=90)),
        "F": (None, timedelta(minutes=20)),
        "H": (timedelta(hours=2), timedelta(minutes=10)),
    }
    made = {}
    for name, (deadline, ago) in plan.items():
        referral = make_referral(service, consultant.user, given_name=name, received_at=now - ago, now=now)
        Referral.objects.filter(pk=referral.pk).update(statutory_expires_at=now + deadline if deadline else None)
        made[name] = referral
    return made


def _names(html: str, cases: dict[str, Referral]) -> list[str]:
    by_pk = {str(r.pk): name for name, r in cases.items()}
    return [by_pk[pk] for pk in ROW.findall(html)]


def test_next_links_visit_every_open_case_once_in_deadline_order_with_no_deadline_last(
    logged_in_client: Any, consultant: Any, cases: dict[str, Referral], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(board, "BOARD_PAGE_SIZE", 3)
    client = logged_in_client(consultant)
    pages, url = [], "/board/"
    while url:
        html = client.get(url).content.decode()
        pages.append(_names(html, cases))
        next_link = _link(html, "next")
        url = f"/board/{next_link}" if next_link else ""
    assert pages == [["D", "A", "B"], ["H", "C", "E"], ["F"]]
    assert "7 open cases, 1 on this page" in html
    assert "Page 3 of 3" in html


def test_previous_links_give_the_same_pages_back(
    logged_in_client: Any, consultant: Any, cases: dict[str, Referral], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(board, "BOARD_PAGE_SIZE", 3)
    client = logged_in_client(consultant)
    first = client.get("/board/").content.decode()
    second = client.get(f"/board/{_link(first, 'next')}").content.decode()
    third = client.get(f"/board/{_link(second, 'next')}").content.decode()
    # Back from the page that starts among the cases with no deadline, then from one that starts with a deadline.
    back_to_second = client.get(f"/board/{_link(third, 'prev')}").content.decode()
    assert _names(back_to_second, cases) == ["H", "C", "E"]
    back_to_first = client.get(f"/board/{_link(back_to_second, 'prev')}").content.decode()
    assert _names(back_to_first, cases) == ["D", "A", "B"]
    assert _link(back_to_first, "prev") is None


def test_a_case_arriving_between_pages_is_neither_repeated_nor_skipped(
    logged_in_client: Any,
    consultant: Any,
    cases: dict[str, Referral],
    make_referral: Any,
    service: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(board, "BOARD_PAGE_SIZE", 3)
    client = logged_in_client(consultant)
    first = client.get("/board/").content.decode()
    # A new case with the earliest deadline of all belongs before the page already read: the next page is unchanged.
    urgent = make_referral(service, consultant.user, given_name="Z")
    Referral.objects.filter(pk=urgent.pk).update(statutory_expires_at=timezone.now() + timedelta(minutes=5))
    second = client.get(f"/board/{_link(first, 'next')}").content.decode()
    assert _names(second, cases) == ["H", "C", "E"]


def test_a_page_link_the_board_did_not_write_shows_the_first_page_with_the_reason(
    logged_in_client: Any, consultant: Any, cases: dict[str, Referral]
) -> None:
    response = logged_in_client(consultant).get("/board/?cursor=not-a-cursor")
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html and "This page link is not valid" in html
    assert _names(html, cases) == ["D", "A", "B", "H", "C", "E", "F"]


def test_each_page_takes_the_same_queries_for_few_or_many_cases(
    logged_in_client: Any,
    consultant: Any,
    service: Any,
    make_referral: Any,
    accepted: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(board, "BOARD_PAGE_SIZE", 4)
    client = logged_in_client(consultant)

    def measure(url: str) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    few, _ = measure("/board/")  # one allocated case
    for i in range(13):
        referral = make_referral(service, consultant.user, given_name=f"P{i}")
        for kind in ("s12_doctor", "bed"):
            request_services.case_request_create(
                referral=referral, actor=consultant.user, data={"kind": kind, "requested_at": timezone.now()}
            )
    many, html = measure("/board/")
    assert "14 open cases, 4 on this page" in html
    later, _ = measure(f"/board/{_link(html, 'next')}")
    assert few == many == later


def test_the_paginator_orders_a_nullable_first_field_last_in_both_directions(
    service: Any, consultant: Any, cases: dict[str, Referral]
) -> None:
    rows = Referral.objects.filter(service=service)
    paginator = KeysetPaginator(rows, board.BOARD_ORDER, 2, nulls_last=True)
    names = {r.pk: name for name, r in cases.items()}
    pages, cursor = [], None
    while True:
        page = paginator.page(cursor)
        pages.append([names[r.pk] for r in page.rows])
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert pages == [["D", "A"], ["B", "H"], ["C", "E"], ["F"]]
    back = paginator.page(paginator.page(cursor).previous_cursor)
    assert [names[r.pk] for r in back.rows] == ["C", "E"]
    assert page.count == 7 and not page.capped
