"""The triage queue: its order, its cost, and its index."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals import selectors
from referrals import services as referral_services
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db


def test_queue_orders_by_band_then_due_time_then_arrival(consultant: Any, make_referral: Any, service: Any) -> None:
    now = timezone.now()
    user = consultant.user
    routine = make_referral(service, user, legal_status="community", received_at=now - timedelta(hours=5), now=now)
    s2_soon = make_referral(
        service,
        user,
        legal_status="s2",
        legal_power_started_at=now - timedelta(days=3),
        received_at=now - timedelta(hours=1),
        now=now,
    )
    # Two s136 emergencies: the one whose clock started earlier is due first.
    s136_late = make_referral(
        service,
        user,
        legal_status="s136",
        legal_power_started_at=now - timedelta(hours=1),
        received_at=now - timedelta(minutes=50),
        now=now,
    )
    s136_early = make_referral(
        service,
        user,
        legal_status="s136",
        legal_power_started_at=now - timedelta(hours=23),
        received_at=now - timedelta(minutes=10),
        now=now,
    )
    # Same band and same due time: the earlier arrival goes first.
    same_due_a = make_referral(
        service, user, legal_status="community", received_at=now - timedelta(hours=9), priority="urgent", now=now
    )
    same_due_b = make_referral(
        service, user, legal_status="community", received_at=now - timedelta(hours=9), priority="urgent", now=now
    )
    closed = make_referral(service, user, legal_status="community", now=now)
    referral_services.referral_triage(referral=closed, actor=user, decision="close", reason="Resolved by GP")

    order = list(selectors.queue(service_id=service.pk))
    assert order[:2] == [s136_early, s136_late]
    assert set(order[2:4]) == {same_due_a, same_due_b}
    assert order[2].received_at <= order[3].received_at
    assert order[4:] == [s2_soon, routine]
    assert closed not in order


def test_queue_api_follows_queue_order(consultant_api: Any, consultant: Any, make_referral: Any, service: Any) -> None:
    now = timezone.now()
    later = make_referral(service, consultant.user, legal_status="community", now=now)
    first = make_referral(
        service, consultant.user, legal_status="s5_4", legal_power_started_at=now - timedelta(hours=3), now=now
    )
    body = consultant_api.get("/api/v1/queue/").json()
    assert [r["id"] for r in body["results"]] == [str(first.pk), str(later.pk)]
    assert body["results"][0]["flags"] == []
    assert consultant_api.get("/api/v1/queue/?priority=routine").json()["count"] == 1
    assert consultant_api.get("/api/v1/queue/?priority=urgent").json()["count"] == 0


def _bulk_queue(service: Any, consultant: Any, make_referral: Any, n: int) -> None:
    now = timezone.now()
    for i in range(n):
        make_referral(
            service,
            consultant.user,
            legal_status=["s136", "community", "s5_2", "s2"][i % 4],
            legal_power_started_at=now - timedelta(hours=i % 20 + 1),
            now=now,
            risk_violence=bool(i % 3),
            nearest_relative_name="" if i % 5 else "Pat",
        )


@pytest.mark.parametrize("path", ["/queue/", "/api/v1/queue/"])
def test_queue_runs_a_constant_number_of_queries(
    path: str, consultant: Any, make_referral: Any, service: Any, client: Any, consultant_api: Any
) -> None:
    client.force_login(consultant.user)
    http = consultant_api if path.startswith("/api") else client

    def queries_for_queue() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert http.get(path).status_code == 200
        return len(ctx.captured_queries)

    _bulk_queue(service, consultant, make_referral, 3)
    few = queries_for_queue()
    _bulk_queue(service, consultant, make_referral, 40)
    many = queries_for_queue()
    assert few == many
    # User and profile, MFA device, rows and count, audit, unread count; and the session, unless
    # it is read from Redis (the cached_db sessions used whenever Redis is configured).
    assert many <= (5 if settings.REDIS_URL else 6)


def test_sessions_are_read_from_the_shared_cache_only_when_there_is_one() -> None:
    expected = (
        "django.contrib.sessions.backends.cached_db" if settings.REDIS_URL else "django.contrib.sessions.backends.db"
    )
    assert settings.SESSION_ENGINE == expected


@requires_postgres
def test_queue_query_can_use_its_index(consultant: Any, make_referral: Any, service: Any) -> None:
    _bulk_queue(service, consultant, make_referral, 5)
    sql, params = selectors.queue(service_id=service.pk)[:100].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "referral_queue_order" in plan
    assert "Sort" not in plan.split("referral_queue_order")[0]


def test_queue_counts_stop_at_the_cap_so_a_huge_queue_costs_the_same(
    consultant: Any, make_referral: Any, service: Any, client: Any, consultant_api: Any, settings: Any
) -> None:
    settings.QUEUE_COUNT_CAP = 3
    _bulk_queue(service, consultant, make_referral, 5)
    client.force_login(consultant.user)
    assert "More than 3 referrals in the queue" in client.get("/queue/").content.decode()
    body = consultant_api.get("/api/v1/queue/").json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (3, True, 5)
    assert consultant_api.get("/api/v1/queue/?offset=3").json()["results"] == []
    settings.QUEUE_COUNT_CAP = 10
    body = consultant_api.get("/api/v1/queue/").json()
    assert (body["count"], body["count_capped"]) == (5, False)
    assert "5 referrals in the queue" in client.get("/queue/").content.decode()


def test_queue_rows_escape_what_people_typed_and_keep_every_column(
    consultant: Any, make_referral: Any, service: Any, client: Any
) -> None:
    """The rows are written in Python: a name is text, never markup, and each row has the table's seven cells."""
    referral = make_referral(
        service, consultant.user, given_name='<script>alert("x")</script>', family_name="O'Neil & Co"
    )
    client.force_login(consultant.user)
    html = client.get("/queue/").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#x27;Neil &amp; Co" in html
    row = html[html.index(f'data-referral="{referral.pk}"') :]
    row = row[: row.index("</tr>")]
    assert row.count('<td class="govuk-table__cell">') == 7
    assert f'href="/referrals/{referral.pk}/"' in row
    assert referral.reference in row


@pytest.mark.parametrize("path", ["/queue/", "/api/v1/queue/"])
def test_the_queue_count_reads_referrals_alone(
    path: str, consultant: Any, make_referral: Any, service: Any, client: Any, consultant_api: Any
) -> None:
    """The count stops at the cap but reads up to that many rows: it must not join each one to its person."""
    client.force_login(consultant.user)
    http = consultant_api if path.startswith("/api") else client
    _bulk_queue(service, consultant, make_referral, 3)
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(path).status_code == 200
    page = next(q["sql"] for q in ctx.captured_queries if "capped_count" in q["sql"])
    count = page[page.index("SELECT COUNT(*)") : page.index("capped_count")]
    assert "referrals_referral" in count and "JOIN" not in count
