"""Each dashboard selector's figures on a small hand-built data set; expected values worked out by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from assessments.models import ToilEntry
from dashboards import selectors
from dashboards.models import PopulationEstimate
from dashboards.selectors import Period, percentile
from tests.dashboards.conftest import utc

# Monday 5 to Sunday 11 January 2026: GMT, so local time is UTC.
WEEK = Period(first=date(2026, 1, 5), last=date(2026, 1, 11))


def test_percentile_interpolates_like_percentile_cont() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([5.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 5.0], 0.9) == pytest.approx(4.4)


def test_period_covers_whole_local_days_across_the_clock_change() -> None:
    period = Period(first=date(2026, 3, 29), last=date(2026, 3, 29))  # clocks go forward
    assert period.starts_at.isoformat() == "2026-03-29T00:00:00+00:00"
    assert period.ends_at.isoformat() == "2026-03-30T00:00:00+01:00"
    assert period.days == 1


def test_demand_counts_by_local_hour_and_weekday_with_the_after_5pm_share(
    service: Any, other_service: Any, add_referral: Any
) -> None:
    add_referral(service, utc(2026, 1, 5, 9, 15))  # Monday 09:xx
    add_referral(service, utc(2026, 1, 5, 17, 0))  # Monday 17:00 counts as after 5pm
    add_referral(service, utc(2026, 1, 6, 16, 59))  # Tuesday 16:xx
    add_referral(service, utc(2026, 1, 11, 23, 30))  # Sunday 23:xx
    add_referral(service, utc(2026, 1, 12, 0, 10))  # after the period
    add_referral(service, utc(2026, 1, 4, 23, 59))  # before it
    add_referral(service, utc(2026, 1, 7, 12, 0), status="draft")  # drafts are not referrals yet
    add_referral(other_service, utc(2026, 1, 7, 20, 0))  # another service's

    result = selectors.demand(service_id=service.pk, period=WEEK)

    assert result.total == 4
    assert {hour: n for hour, n in enumerate(result.by_hour) if n} == {9: 1, 16: 1, 17: 1, 23: 1}
    assert result.by_weekday == [2, 1, 0, 0, 0, 0, 1]
    assert result.after_hours == 2
    assert result.after_hours_share == 0.5


def test_demand_uses_uk_local_time_in_summer(service: Any, add_referral: Any) -> None:
    add_referral(service, utc(2026, 5, 31, 23, 30))  # 00:30 BST on Monday 1 June
    add_referral(service, utc(2026, 6, 1, 16, 30))  # 17:30 BST

    result = selectors.demand(service_id=service.pk, period=Period(date(2026, 6, 1), date(2026, 6, 1)))

    assert result.total == 2
    assert result.by_hour[0] == 1 and result.by_hour[17] == 1
    assert result.by_weekday[0] == 2
    assert result.after_hours == 1


def test_waits_give_median_and_p90_hours_from_referral_to_allocation_and_to_assessment(
    service: Any, amhp: Any, add_referral: Any, add_assessment: Any
) -> None:
    received = utc(2026, 1, 5, 8)
    # (hours to allocation, hours to being seen or None)
    for allocated, seen in [(1, 2), (2, 4), (3, None), (5, 10)]:
        referral = add_referral(service, received, status="allocated")
        add_assessment(
            amhp,
            referral=referral,
            allocated_at=utc(2026, 1, 5, 8 + allocated),
            seen_at=None if seen is None else utc(2026, 1, 5, 8 + seen),
        )
        if allocated == 1:  # an earlier allocation the AMHP declined does not count
            add_assessment(amhp, referral=referral, allocated_at=utc(2026, 1, 5, 8, 30), status="declined")

    result = selectors.waits(service_id=service.pk, period=WEEK)

    assert result.to_allocation.count == 4
    assert result.to_allocation.median == pytest.approx(2.5)  # 1, 2, 3, 5
    assert result.to_allocation.p90 == pytest.approx(4.4)  # 3 + 0.7 × (5 − 3)
    assert result.to_assessment.count == 3
    assert result.to_assessment.median == pytest.approx(4.0)  # 2, 4, 10
    assert result.to_assessment.p90 == pytest.approx(8.8)  # 4 + 0.8 × (10 − 4)


def test_breaches_count_people_held_past_the_limit_not_those_seen_after_it(
    service: Any, amhp: Any, add_referral: Any, add_assessment: Any
) -> None:
    now = utc(2026, 1, 12, 12)

    def s136(received: Any, expires: Any, **assessment: Any) -> None:
        referral = add_referral(service, received, legal_status="s136", status="assessed", statutory_expires_at=expires)
        add_assessment(amhp, referral=referral, status="completed", **assessment)

    # Seen in time (07:00) but the application signed at 09:00, an hour after the 08:00 limit: a breach.
    s136(utc(2026, 1, 5, 8), utc(2026, 1, 6, 8), seen_at=utc(2026, 1, 6, 7), application_signed_at=utc(2026, 1, 6, 9))
    # Seen after the 10:00 limit? No: seen 09:00, application 09:30, conveyed at noon: in time.
    s136(
        utc(2026, 1, 5, 10), utc(2026, 1, 6, 10), seen_at=utc(2026, 1, 6, 9),
        application_signed_at=utc(2026, 1, 6, 9, 30), completed_at=utc(2026, 1, 6, 12),
    )  # fmt: skip
    # An application at the very instant the power ends is too late: the power has ended.
    s136(utc(2026, 1, 7, 9), utc(2026, 1, 8, 9), application_signed_at=utc(2026, 1, 8, 9))
    # No application; released (assessment concluded) at 08:59 before a 09:00 limit: in time.
    s136(utc(2026, 1, 9, 9), utc(2026, 1, 10, 9), seen_at=utc(2026, 1, 10, 8), completed_at=utc(2026, 1, 10, 8, 59))
    add_referral(service, utc(2026, 1, 6, 9), legal_status="s5_2", statutory_expires_at=utc(2026, 1, 9, 9))  # held
    add_referral(service, utc(2026, 1, 10, 12), legal_status="s5_2", statutory_expires_at=utc(2026, 1, 13, 12))
    add_referral(service, utc(2026, 1, 7, 9), legal_status="community")
    add_referral(
        service, utc(2026, 1, 8, 9), legal_status="s136", status="closed", statutory_expires_at=utc(2026, 1, 9, 9)
    )

    rows = selectors.breaches(service_id=service.pk, period=WEEK, now=now)

    assert [(r.legal_status, r.clocked, r.held_late, r.open_past) for r in rows] == [
        ("s136", 5, 2, 0),
        ("s5_2", 2, 0, 1),
    ]
    assert sum(r.breaches for r in rows) == 3


def test_outcomes_delay_reasons_and_bed_waits(service: Any, amhp: Any, add_assessment: Any) -> None:
    at = utc(2026, 1, 6, 10)
    add_assessment(
        amhp,
        allocated_at=at,
        status="completed",
        outcome="detained_s2",
        delay_reasons=["no_bed", "police"],
        application_signed_at=utc(2026, 1, 6, 12),
        bed_found_at=utc(2026, 1, 6, 14),
    )
    add_assessment(
        amhp,
        allocated_at=at,
        status="completed",
        outcome="detained_s2",
        delay_reasons=["no_bed"],
        application_signed_at=utc(2026, 1, 6, 12),
        bed_found_at=utc(2026, 1, 6, 18),
    )
    add_assessment(amhp, allocated_at=at, status="completed", outcome="informal_admission", delay_reasons=[])
    add_assessment(amhp, allocated_at=at, status="in_progress", delay_reasons=["ambulance"])
    add_assessment(amhp, allocated_at=at, status="declined", delay_reasons=["other"])
    add_assessment(
        amhp,
        allocated_at=utc(2025, 12, 1),
        status="completed",
        outcome="cto_revocation_agreed",
        delay_reasons=["other"],
    )

    result = selectors.outcomes(service_id=service.pk, period=WEEK)

    assert {value: n for value, _, n in result.outcomes if n} == {"detained_s2": 2, "informal_admission": 1}
    assert result.completed == 3
    assert {value: n for value, _, n in result.delay_reasons} == {
        "no_bed": 2,
        "no_s12_doctor": 0,
        "police": 1,
        "ambulance": 1,
        "warrant": 0,
        "interpreter": 0,
        "no_amhp": 0,
        "other": 0,
    }
    assert result.bed_wait.count == 2
    assert result.bed_wait.median == pytest.approx(4.0)  # 2 and 6 hours
    assert result.bed_wait.p90 == pytest.approx(5.6)


def test_toil_and_late_working_per_amhp(service: Any, make_staff: Any, add_assessment: Any) -> None:
    ann = make_staff("amhp", service, first_name="Ann", last_name="Able")
    bob = make_staff("amhp", service, first_name="Bob", last_name="Baker")
    for minutes, status, kind, worked in [
        (60, "approved", "accrual", utc(2026, 1, 6, 17)),
        (30, "pending", "accrual", utc(2026, 1, 7, 17)),
        (45, "approved", "accrual", utc(2025, 12, 1, 17)),  # before the period
        (-60, "approved", "taken", utc(2026, 1, 8, 9)),  # time taken is not accrual
    ]:
        ToilEntry.objects.create(
            staff=ann, service=service, kind=kind, minutes=minutes, status=status, worked_from=worked
        )
    add_assessment(  # past the shift end and after 5pm
        ann, allocated_at=utc(2026, 1, 6, 10), shift_ends_at=utc(2026, 1, 6, 17), work_ended_at=utc(2026, 1, 6, 18, 30)
    )
    add_assessment(  # neither
        ann, allocated_at=utc(2026, 1, 7, 9), shift_ends_at=utc(2026, 1, 7, 17), work_ended_at=utc(2026, 1, 7, 12)
    )
    add_assessment(  # a night shift: within the shift, but overnight
        bob, allocated_at=utc(2026, 1, 8, 20), shift_ends_at=utc(2026, 1, 9, 8), work_ended_at=utc(2026, 1, 9, 2)
    )

    rows = selectors.toil_and_late_working(service_id=service.pk, period=WEEK)

    assert [
        (r.name, r.toil_approved_minutes, r.toil_pending_minutes, r.assessments, r.past_shift_end, r.after_hours)
        for r in rows
    ] == [("Ann Able", 60, 30, 2, 1, 1), ("Bob Baker", 0, 0, 1, 0, 1)]


def test_workforce_counts_warrants_retirements_and_duty_frequency(
    service: Any, make_staff: Any, manager: Any, add_shift: Any
) -> None:
    ann = make_staff(
        "amhp", service, first_name="Ann", last_name="Able", warrant_expires_on=date(2027, 1, 1),
        date_of_birth=date(1990, 2, 2),
    )  # fmt: skip
    bob = make_staff(
        "amhp", service, first_name="Bob", last_name="Baker", warrant_expires_on=date(2026, 3, 1),
        date_of_birth=date(1968, 5, 5),
    )  # fmt: skip
    cat = make_staff("amhp", service, first_name="Cat", last_name="Cole", warrant_expires_on=date(2025, 12, 31))
    add_shift(ann, utc(2026, 1, 6, 9), 8)
    add_shift(ann, utc(2026, 1, 7, 9), 8)
    add_shift(bob, utc(2026, 1, 6, 9), 8)
    add_shift(bob, utc(2025, 12, 1, 9), 8)  # before the period
    add_shift(cat, utc(2026, 1, 8, 9), 8, cancelled_at=utc(2026, 1, 1))

    result = selectors.workforce(service_id=service.pk, period=WEEK, today=date(2026, 1, 11))

    assert result.amhps == 3
    assert result.warranted == 2  # Cat's warrant has ended
    assert [(s.name, s.on) for s in result.expiring] == [("Bob Baker", date(2026, 3, 1))]
    assert [(s.name, s.on) for s in result.near_retirement] == [("Bob Baker", date(2028, 5, 5))]
    assert [(r.name, r.shifts, r.hours) for r in result.duty] == [
        ("Ann Able", 2, 16.0),
        ("Bob Baker", 1, 8.0),
        ("Cat Cole", 0, 0.0),
    ]
    assert result.balance == pytest.approx(1 / 6)  # pairs: 8/16, 0/16, 0/8


def test_equality_gives_detention_rates_per_100k_with_not_stated_separate(
    service: Any, other_service: Any, amhp: Any, make_staff: Any, make_person: Any, add_referral: Any,
    add_assessment: Any,
) -> None:  # fmt: skip
    PopulationEstimate.objects.create(service=service, ethnic_group="White", population=1000)
    PopulationEstimate.objects.create(service=service, ethnic_group="Black", population=500)
    PopulationEstimate.objects.create(service=other_service, ethnic_group="Mixed", population=10)
    at = utc(2026, 1, 7, 10)
    twice = make_person(service, ethnicity="M")

    def assessed(person: Any, outcome: str, status: str = "completed") -> None:
        referral = add_referral(service, at, person=person, status="assessed")
        add_assessment(amhp, referral=referral, status=status, outcome=outcome)

    assessed(make_person(service, ethnicity="A"), "detained_s2")
    assessed(make_person(service, ethnicity="C"), "informal_admission")
    assessed(twice, "detained_s3")
    assessed(twice, "detained_s2")  # the same person detained twice counts once
    assessed(make_person(service, ethnicity="Z"), "detained_s4")
    assessed(make_person(service, ethnicity="99"), "no_further_action")
    assessed(make_person(service, ethnicity="D"), "detained_s2", status="in_progress")  # not completed
    other_amhp = make_staff("amhp", other_service)
    add_assessment(other_amhp, allocated_at=at, status="completed", outcome="detained_s2")

    rows = {r.group: r for r in selectors.equality(service_id=service.pk, period=WEEK)}

    assert list(rows) == ["White", "Mixed", "Asian", "Black", "Other", "Not stated or not known"]
    white, black, mixed, unknown = rows["White"], rows["Black"], rows["Mixed"], rows["Not stated or not known"]
    assert (white.assessed, white.detained, white.population) == (2, 1, 1000)
    assert white.rate_per_100k == pytest.approx(100.0)
    assert white.annual_rate_per_100k == pytest.approx(100.0 * 365 / 7)
    assert (black.assessed, black.detained) == (1, 1)
    assert black.rate_per_100k == pytest.approx(200.0)
    assert (mixed.assessed, mixed.detained, mixed.population, mixed.rate_per_100k) == (0, 0, None, None)
    assert (unknown.assessed, unknown.detained, unknown.population, unknown.rate_per_100k) == (2, 1, None, None)


def test_delay_reasons_that_are_not_a_list_are_skipped(service: Any, amhp: Any, add_assessment: Any) -> None:
    at = utc(2026, 1, 6, 10)
    add_assessment(amhp, allocated_at=at, delay_reasons={"no_bed": True})
    add_assessment(amhp, allocated_at=at, delay_reasons="police")
    add_assessment(amhp, allocated_at=at, delay_reasons=["police"])

    result = selectors.outcomes(service_id=service.pk, period=WEEK)

    assert {value: n for value, _, n in result.delay_reasons if n} == {"police": 1}
