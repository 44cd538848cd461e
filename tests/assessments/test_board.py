"""The consultant's live board: stages, blockers, deadlines, AMHP, and a constant query count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import request_services

pytestmark = pytest.mark.django_db


def test_board_shows_each_case_stage_and_blocker(
    logged_in_client: Any, consultant: Any, accepted: Any, make_referral: Any, service: Any
) -> None:
    waiting = make_referral(service, consultant.user, given_name="Wynn", family_name="Waiting")
    request_services.case_request_create(
        referral=accepted.referral,
        actor=accepted.amhp.user,
        data={"kind": "s12_doctor", "requested_at": timezone.now() - timedelta(minutes=45), "to": "Dr Patel"},
    )
    html = logged_in_client(consultant).get("/board/").content.decode()
    row = html[html.index(f'data-referral="{accepted.referral.pk}"') :][:2500]
    assert "Awaiting doctors" in row and "Section 12 doctor" in row and "45 min" in row
    assert accepted.amhp.display_name in row
    other = html[html.index(f'data-referral="{waiting.pk}"') :][:2500]
    assert "Awaiting an AMHP" in other and "No AMHP available" in other and "Not allocated" in other


def test_board_refresh_is_the_table_alone(logged_in_client: Any, consultant: Any, accepted: Any) -> None:
    response = logged_in_client(consultant).get("/board/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board"') and "<html" not in html


def test_board_takes_the_same_queries_for_few_or_many_cases(
    logged_in_client: Any, consultant: Any, make_referral: Any, service: Any, accepted: Any
) -> None:
    client = logged_in_client(consultant)

    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/board/").status_code == 200
        return len(queries)

    few = measure()
    for i in range(6):
        referral = make_referral(service, consultant.user, given_name=f"P{i}")
        request_services.case_request_create(
            referral=referral, actor=consultant.user, data={"kind": "bed", "requested_at": timezone.now()}
        )
    assert measure() == few


def test_board_is_for_the_desk(logged_in_client: Any, amhp: Any) -> None:
    assert logged_in_client(amhp).get("/board/").status_code == 403
