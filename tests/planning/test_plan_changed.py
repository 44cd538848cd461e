"""The plan page tells the consultant when the queue changes after the plan was worked out."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.models import Referral
from rota.models import Service, StaffProfile

pytestmark = pytest.mark.django_db


def _poll_url(page: str) -> str:
    found = re.search(r'hx-get="([^"]*plan/changed/[^"]*)"', page)
    assert found, "the plan page polls for changes"
    return html.unescape(found.group(1))


def test_a_new_referral_after_the_plan_raises_the_queue_has_changed_banner(
    logged_in_client: Callable[[StaffProfile], Any],
    consultant: StaffProfile,
    service: Service,
    other_service: Service,
    make_staff: Callable[..., StaffProfile],
    make_referral: Callable[..., Referral],
) -> None:
    make_referral(service, consultant.user)
    client = logged_in_client(consultant)
    poll = _poll_url(client.get("/planning/plan/").content.decode())

    unchanged = client.get(poll).content.decode()
    assert "The queue has changed" not in unchanged
    assert "hx-get" in unchanged  # still polling

    # Another service's referral is not this queue's change.
    make_referral(other_service, make_staff("consultant", other_service).user)
    assert "The queue has changed" not in client.get(poll).content.decode()

    make_referral(service, consultant.user)
    changed = client.get(poll).content.decode()
    assert "The queue has changed" in changed
    assert "Work out the plan again" in changed
    assert "hx-get" not in changed  # stops polling once it has said so


def test_the_change_poll_costs_one_query_beside_the_session_and_user(
    logged_in_client: Callable[[StaffProfile], Any],
    consultant: StaffProfile,
    service: Service,
    make_referral: Callable[..., Referral],
) -> None:
    client = logged_in_client(consultant)
    poll = _poll_url(client.get("/planning/plan/").content.decode())
    counts = []
    for _ in range(2):
        make_referral(service, consultant.user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(poll).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert sum("MAX" in q["sql"].upper() for q in queries.captured_queries) == 1


def test_amhps_cannot_poll_the_plan(logged_in_client: Callable[[StaffProfile], Any], amhp: StaffProfile) -> None:
    assert logged_in_client(amhp).get("/planning/plan/changed/?since=x").status_code == 403
