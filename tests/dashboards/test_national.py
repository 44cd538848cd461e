"""The national return / FOI figures, worked by hand on a small service."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dashboards import selectors
from dashboards.selectors import Period
from tests.dashboards.conftest import utc

pytestmark = pytest.mark.django_db

# Monday 5 to Sunday 11 January 2026 (GMT).
WEEK = Period(first=date(2026, 1, 5), last=date(2026, 1, 11))


def test_national_return_counts_assessments_requests_and_warranted_amhps(
    service: Any, other_service: Any, make_staff: Any, add_assessment: Any, add_referral: Any, client: Any, manager: Any
) -> None:
    ann = make_staff("amhp", service, warrant_expires_on=date(2026, 1, 11), contracted_hours=37)  # in date on the 11th
    make_staff("amhp", service, warrant_expires_on=date(2027, 6, 1), contracted_hours=18.5)
    make_staff("amhp", service, warrant_expires_on=date(2026, 1, 10), contracted_hours=37)  # lapsed the day before
    make_staff("amhp", other_service, warrant_expires_on=date(2027, 1, 1))
    add_assessment(
        ann, allocated_at=utc(2026, 1, 5, 10), status="completed", outcome="detained_s2", seen_at=utc(2026, 1, 5, 12)
    )
    add_assessment(
        ann, allocated_at=utc(2026, 1, 6, 10), status="completed", outcome="detained_s2", seen_at=utc(2026, 1, 6, 12)
    )
    add_assessment(ann, allocated_at=utc(2026, 1, 7, 10), status="completed", outcome="no_further_action")
    add_assessment(ann, allocated_at=utc(2026, 1, 8, 10), status="in_progress", seen_at=utc(2026, 1, 8, 11))
    add_assessment(ann, allocated_at=utc(2026, 1, 9, 10), status="declined")  # an offer turned down: not arranged
    add_assessment(ann, allocated_at=utc(2026, 1, 12, 0, 1), status="completed", outcome="detained_s3")  # after
    add_referral(service, utc(2026, 1, 6, 9), legal_status="nr_request")
    add_referral(service, utc(2026, 1, 4, 23, 59), legal_status="nr_request")  # before the week

    r = selectors.national_return(service_id=service.pk, period=WEEK)

    # Arranged: the four live ones allocated 5-8 January; attended: three seen; completed: three.
    assert (r.arranged, r.attended, r.completed) == (4, 3, 3)
    by_outcome = {value: n for value, _, n in r.by_outcome}
    assert (by_outcome["detained_s2"], by_outcome["no_further_action"], by_outcome["detained_s3"]) == (2, 1, 0)
    assert r.nearest_relative_requests == 1
    # In date on 11 January: Ann (37 h) and the part-timer (18.5 h): 55.5 / 37 = 1.5 whole-time equivalents.
    assert (r.warranted_headcount, r.warranted_fte) == (2, 1.5)

    client.force_login(manager.user)
    body = client.get("/dashboards/national/?from=2026-01-05&to=2026-01-11").content.decode()
    assert "Nearest relative requests, s13(4)" in body and "(not recorded)" in body
    csv = client.get("/dashboards/national-return.csv?from=2026-01-05&to=2026-01-11").content.decode()
    assert "Assessments arranged,4" in csv and "whole-time equivalent,1.5" in csv
