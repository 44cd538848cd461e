"""Keyset (cursor) pages of the queue: every referral once, in queue order, each page costing the same."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amhp_hub.common.pagination import KeysetPaginator
from referrals import selectors
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db

LEGAL = ["s136", "community", "s5_2", "s2", "informal_inpatient"]


def _fill(service: Any, consultant: Any, make_referral: Any, n: int) -> None:
    now = timezone.now()
    for i in range(n):
        make_referral(
            service,
            consultant.user,
            legal_status=LEGAL[i % len(LEGAL)],
            legal_power_started_at=now - timedelta(hours=i % 20 + 1) if LEGAL[i % len(LEGAL)] != "community" else None,
            # Several share a band and an arrival time, so the id breaks the ties.
            received_at=now - timedelta(minutes=10 * (i % 3)),
            now=now,
        )


def _href(body: str, rel: str) -> str:
    """The query string of the page's link with REL ("next" or "prev")."""
    found = re.search(rf'href="\?([^"]*)" rel="{rel}"', body)
    assert found is not None, f"no {rel} link"
    return found.group(1).replace("&amp;", "&")


def _walk(api: Any, url: str, link: str) -> list[list[str]]:
    pages = []
    while url:
        body = api.get(url).json()
        pages.append([r["id"] for r in body["results"]])
        url = body[link]
    return pages


def test_following_next_links_visits_every_open_referral_once_in_queue_order(
    consultant_api: Any, consultant: Any, make_referral: Any, service: Any
) -> None:
    _fill(service, consultant, make_referral, 11)
    expected = [str(r.pk) for r in selectors.queue(service_id=service.pk)]

    pages = _walk(consultant_api, "/api/v1/queue/?limit=3", "next")

    assert [len(p) for p in pages] == [3, 3, 3, 2]
    assert [pk for page in pages for pk in page] == expected


def test_following_previous_links_from_the_last_page_gives_the_same_pages_back(
    consultant_api: Any, consultant: Any, make_referral: Any, service: Any
) -> None:
    _fill(service, consultant, make_referral, 8)
    forward = _walk(consultant_api, "/api/v1/queue/?limit=3", "next")
    last = consultant_api.get("/api/v1/queue/?limit=3").json()
    while last["next"]:
        last = consultant_api.get(last["next"]).json()
    assert last["previous"] is not None

    backward = _walk(consultant_api, last["previous"], "previous")

    assert list(reversed(backward)) == forward[:-1]
    first = consultant_api.get("/api/v1/queue/?limit=3").json()
    assert first["previous"] is None
    assert (first["count"], first["count_capped"]) == (8, False)


def test_a_referral_arriving_between_pages_neither_repeats_nor_hides_another(
    consultant_api: Any, consultant: Any, make_referral: Any, service: Any
) -> None:
    _fill(service, consultant, make_referral, 6)
    first = consultant_api.get("/api/v1/queue/?limit=3").json()
    seen = [r["id"] for r in first["results"]]
    # An emergency arrives: it goes to the top, before the rows already read.
    make_referral(service, consultant.user, legal_status="s136", legal_power_started_at=timezone.now())

    rest = _walk(consultant_api, first["next"], "next")

    after = [pk for page in rest for pk in page]
    assert len(set(seen) | set(after)) == 6 and not set(seen) & set(after)


def test_next_link_keeps_the_filter(consultant_api: Any, consultant: Any, make_referral: Any, service: Any) -> None:
    _fill(service, consultant, make_referral, 10)
    body = consultant_api.get("/api/v1/queue/?limit=1&priority=routine").json()

    assert "priority=routine" in body["next"]
    pages = _walk(consultant_api, "/api/v1/queue/?limit=1&priority=routine", "next")
    assert len(pages) == body["count"]


@pytest.mark.parametrize("cursor", ["not-a-cursor", "eyJrIjpbMV0sImQiOiJuIiwibiI6MX0"])
def test_a_damaged_cursor_is_refused_with_a_clear_message(
    cursor: str, consultant_api: Any, client: Any, consultant: Any, make_referral: Any, service: Any
) -> None:
    _fill(service, consultant, make_referral, 2)
    response = consultant_api.get(f"/api/v1/queue/?cursor={cursor}")
    assert response.status_code == 400
    assert "first page" in response.json()["cursor"][0]

    client.force_login(consultant.user)
    page = client.get(f"/queue/?cursor={cursor}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "This page link is not valid" in body and body.count("data-referral=") == 2


def test_queue_page_links_to_the_next_and_previous_pages(
    client: Any, consultant: Any, make_referral: Any, service: Any, settings: Any
) -> None:
    settings.QUEUE_PAGE_SIZE = 4
    _fill(service, consultant, make_referral, 9)
    expected = [str(r.pk) for r in selectors.queue(service_id=service.pk)]
    client.force_login(consultant.user)

    def rows(body: str) -> list[str]:
        return re.findall(r'data-referral="([0-9a-f-]+)"', body)

    first = client.get("/queue/").content.decode()
    assert rows(first) == expected[:4] and "Page 1 of 3" in first and 'rel="prev"' not in first
    next_href = _href(first, "next")
    second = client.get(f"/queue/?{next_href}").content.decode()
    assert rows(second) == expected[4:8] and "Page 2 of 3" in second
    prev_href = _href(second, "prev")
    assert rows(client.get(f"/queue/?{prev_href}").content.decode()) == expected[:4]


def test_a_deep_page_runs_as_many_statements_as_the_first(
    client: Any, consultant: Any, make_referral: Any, service: Any, settings: Any
) -> None:
    settings.QUEUE_PAGE_SIZE = 2
    _fill(service, consultant, make_referral, 9)
    client.force_login(consultant.user)
    body = client.get("/queue/").content.decode()
    counts = []
    for _ in range(3):
        href = _href(body, "next")
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(f"/queue/?{href}").content.decode()
        counts.append(len(ctx.captured_queries))
    assert counts == [counts[0]] * 3
    assert counts[0] <= 6  # with the MFA device look-up of the security middleware


@requires_postgres
def test_a_page_after_a_cursor_is_an_index_range_scan(consultant: Any, make_referral: Any, service: Any) -> None:
    _fill(service, consultant, make_referral, 6)
    qs = selectors.queue(service_id=service.pk)
    paginator = KeysetPaginator(qs, selectors.QUEUE_ORDER, 2)
    cursor = paginator.page(None).next_cursor
    assert cursor is not None
    key, _, _ = paginator.decode(cursor)
    from amhp_hub.common.pagination import RowCompare

    sql, params = qs.filter(RowCompare(selectors.QUEUE_ORDER, key, ">"))[:3].query.sql_with_params()
    with connection.cursor() as c:
        c.execute("SET LOCAL enable_seqscan = off")
        c.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in c.fetchall())
    assert "referral_queue_order" in plan
    assert "Sort" not in plan.split("referral_queue_order")[0]
    # The cursor is a condition of the index scan, not a filter applied to rows read from the top.
    assert "Index Cond" in plan and "ROW(" in plan.split("Index Cond")[1].splitlines()[0]
