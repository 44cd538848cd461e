"""Demo doctor directory and requests: believable, consistent with each record, repeatable, and written in bulk."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext

from amhp_hub.demo import seed_demo
from assessments import waits
from assessments.board import board_page
from assessments.demo_requests import seed_requests
from assessments.models import DETENTION_OUTCOMES, Assessment, AssessmentStatus, CaseRequest
from assessments.request_selectors import fact_of
from dashboards.operations import doctor_calls, request_waits
from dashboards.selectors import Period
from rota import doctors as doctor_rules
from rota.demo import seed_doctors
from rota.models import DirectoryDoctor, Service
from tests.conftest import is_write

pytestmark = pytest.mark.django_db

# A Monday noon in November (GMT, so London time is UTC).
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)


@pytest.fixture
def demo() -> Service:
    return seed_demo(service_name="Seeded Requests Hub", scale=1, seed=3, now=NOW).service


@pytest.fixture
def directory(service: Service) -> list[DirectoryDoctor]:
    return seed_doctors(service=service, rng=random.Random("doctors-3"), today=TODAY)


def _expires(doctor: DirectoryDoctor) -> date:
    """The end of an approved doctor's s12 approval (every approval has one)."""
    assert doctor.s12_approval_expires_on is not None, doctor.name
    return doctor.s12_approval_expires_on


def test_the_directory_lists_s12_doctors_with_gmc_numbers_approvals_languages_areas_and_windows(
    directory: list[DirectoryDoctor],
) -> None:
    doctors = list(DirectoryDoctor.objects.filter(service=directory[0].service))
    assert len(doctors) == 16
    numbers = [d.gmc_number for d in doctors]
    assert all(len(n) == 7 and n.isdigit() for n in numbers) and len(set(numbers)) == 16
    assert len({d.name for d in doctors}) == 16 and all(d.name.startswith("Dr ") for d in doctors)
    approved = [d for d in doctors if d.s12_approved]
    assert len(approved) == 14  # two GPs without s12 approval
    in_date = [d for d in approved if _expires(d) >= TODAY]
    lapsed = [d for d in approved if _expires(d) < TODAY]
    soon = [d for d in in_date if _expires(d) <= TODAY + timedelta(days=60)]
    assert len(lapsed) == 1 and len(soon) >= 2
    assert any(d.languages for d in doctors) and all(d.areas for d in doctors)
    for d in doctors:
        windows, problems = doctor_rules.parse_windows(d.availability)
        assert windows and problems == []


def test_some_s12_doctor_in_date_is_likely_available_at_every_hour_of_the_week(
    directory: list[DirectoryDoctor],
) -> None:
    doctors = [
        d
        for d in directory
        if doctor_rules.s12_approval_in_date(
            approved=d.s12_approved, expires_on=d.s12_approval_expires_on, on_day=TODAY
        )
    ]
    windows = [doctor_rules.parse_windows(d.availability)[0] for d in doctors]
    for hour in range(7 * 24):  # Monday 00:30 to Sunday 23:30, London (GMT) time
        at = datetime(2026, 11, 23, 0, 30, tzinfo=UTC) + timedelta(hours=hour)
        assert any(doctor_rules.likely_available(w, at) for w in windows), at


def test_every_request_fits_time_and_record_and_waits_end_when_the_record_says(demo: Any) -> None:
    requests = CaseRequest.objects.filter(service=demo)
    assert requests.count() > 1000
    assert not requests.filter(requested_at__gt=NOW).exists()
    assert not requests.filter(arrived_at__gt=NOW).exists()
    assert not requests.filter(arrived_at__lt=F("requested_at")).exists()
    assert not requests.exclude(referral_id=F("assessment__referral_id")).exists()
    # Whoever logged a request is the AMHP who had the work.
    assert not requests.exclude(created_by_id=F("assessment__amhp__user_id")).exists()
    # Doctors named from the directory are the service's own, and an s12 call goes to an approved doctor.
    assert not requests.filter(doctor__isnull=False).exclude(doctor__service=demo).exists()
    assert not requests.filter(kind="s12_doctor", doctor__s12_approved=False).exists()
    assert not requests.exclude(kind__in=["s12_doctor", "second_doctor"]).filter(doctor__isnull=False).exists()

    detained = list(
        Assessment.objects.filter(service=demo, outcome__in=DETENTION_OUTCOMES, requests__isnull=False)
        .distinct()
        .prefetch_related("requests")
    )
    assert len(detained) > 50
    for assessment in detained:
        by_kind = {
            w.kind: w
            for w in waits.waits_by_kind([fact_of(r) for r in assessment.requests.all()], now=NOW, open_case=False)
        }
        # The s12 doctor was there when the person was seen, the bed came when it was found, and the ambulance
        # when the person was conveyed.
        assert by_kind["s12_doctor"].ended_at == assessment.seen_at
        assert by_kind["bed"].ended_at == assessment.bed_found_at
        assert by_kind["ambulance"].ended_at == assessment.conveyed_at
        assert not any(w.running for w in by_kind.values())

    # Where the record says a doctor was hard to find, it took three calls or more; otherwise at most three.
    calls = dict(
        CaseRequest.objects.filter(service=demo, kind="s12_doctor")
        .values("assessment_id")
        .annotate(n=Count("pk"))
        .values_list("assessment_id", "n")
    )
    reasons = dict(Assessment.objects.filter(pk__in=calls).values_list("pk", "delay_reasons"))
    hard = [pk for pk, r in reasons.items() if "no_s12_doctor" in r]
    assert hard
    assert all(calls[pk] >= 3 for pk in hard)
    assert all(calls[pk] <= 3 for pk in reasons if pk not in hard)


def test_open_work_has_calls_under_way_and_the_board_and_operations_dashboard_show_real_figures(
    demo: Any,
) -> None:
    open_work = Assessment.objects.filter(
        service=demo, status__in=[AssessmentStatus.ACCEPTED, AssessmentStatus.IN_PROGRESS]
    )
    assert CaseRequest.objects.filter(assessment__in=open_work).exists()
    board = board_page(service_id=demo.pk, now=NOW)
    with_requests = [row for row in board.rows if row.assessment and row.assessment in open_work]
    stages = {row.stage for row in with_requests}
    assert stages & {waits.AWAITING_DOCTORS, waits.AWAITING_ASSESSMENT}
    assert any(row.blocker is not None and row.blocker.kind != waits.NO_AMHP for row in board.rows)

    period = Period.default(TODAY)
    rows = {row[0]: row for row in request_waits(service_id=demo.pk, period=period)}
    for kind in ("Section 12 doctor", "Second doctor", "Bed", "Ambulance"):
        label, cases, ended, median, p90 = rows[kind]
        assert cases > 20 and ended > 20
        assert median is not None and p90 >= median > 0
    # Beds wait longer than doctors, as in practice.
    assert rows["Bed"][3] > rows["Section 12 doctor"][3]
    distribution, mean = doctor_calls(service_id=demo.pk, period=period)
    # Two doctors a case, so at least two calls; a few cases took many more.
    assert mean is not None and 2 <= mean < 4
    assert dict(distribution)["5 or more"] > 0


def test_the_same_seed_gives_the_same_directory(service: Service, other_service: Service) -> None:
    def listed(seeded: list[DirectoryDoctor]) -> list[tuple[Any, ...]]:
        return [(d.name, d.gmc_number, d.s12_approval_expires_on, d.availability, d.areas) for d in seeded]

    first = seed_doctors(service=service, rng=random.Random("doctors-3"), today=TODAY)
    again = seed_doctors(service=other_service, rng=random.Random("doctors-3"), today=TODAY)
    other = seed_doctors(service=other_service, rng=random.Random("doctors-4"), today=TODAY)
    assert listed(first) == listed(again) != listed(other)


def test_the_same_seed_gives_the_same_requests(demo: Any) -> None:
    def rows() -> list[tuple[Any, ...]]:
        return sorted(
            CaseRequest.objects.filter(service=demo).values_list(
                "referral__reference", "kind", "requested_at", "to", "outcome", "arrived_at", "ward", "out_of_area"
            )
        )

    seeded = rows()
    CaseRequest.objects.filter(service=demo).delete()
    seed_requests(service=demo, rng=random.Random("requests-3"), now=NOW)
    assert rows() == seeded
    CaseRequest.objects.filter(service=demo).delete()
    seed_requests(service=demo, rng=random.Random("requests-4"), now=NOW)
    assert rows() != seeded


def test_seed_requests_takes_the_same_queries_for_few_or_many_assessments(demo: Any) -> None:
    def measure(days: int) -> tuple[int, int]:
        CaseRequest.objects.filter(service=demo).delete()
        with CaptureQueriesContext(connection) as queries:
            written = seed_requests(service=demo, rng=random.Random(1), now=NOW, days=days)
        reads = sum(1 for q in queries if not is_write(q["sql"]))
        return reads, written

    few, few_written = measure(2)
    many, many_written = measure(90)
    assert many_written > 10 * few_written > 0
    assert few == many
    # Requests go to assessments that have none: seeding again adds nothing.
    assert seed_requests(service=demo, rng=random.Random(1), now=NOW) == 0
