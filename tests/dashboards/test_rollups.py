"""The daily roll-up gives exactly the raw aggregate, for any period, across the clock changes."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments.models import ToilEntry
from dashboards import rollups, selectors
from dashboards.models import RollupCell
from dashboards.selectors import Period
from tests.dashboards.conftest import utc

pytestmark = pytest.mark.django_db

OUTCOMES = ["detained_s2", "detained_s3", "informal_admission", "no_further_action"]
REASONS = ["no_bed", "no_s12_doctor", "police", "ambulance"]


def _summed(cells: list[rollups.Cell]) -> Counter[tuple[date, str, str]]:
    total: Counter[tuple[date, str, str]] = Counter()
    for day, measure, key, n in cells:
        total[(day, measure, key)] += n
    return total


def _raw(service: Any, period: Period) -> Counter[tuple[date, str, str]]:
    return _summed(rollups.raw_cells(service.pk, [(period.first, period.last)]))


@pytest.fixture
def busy_service(service: Any, amhp: Any, add_referral: Any, add_assessment: Any) -> Any:
    """Referrals on the days around both clock changes of 2026, many within an hour of local midnight."""
    rng = random.Random(13)
    days = [date(2026, 3, 25) + timedelta(days=n) for n in range(10)]
    days += [date(2026, 10, 21) + timedelta(days=n) for n in range(10)]
    for day in days:
        for _ in range(6):
            # 22:00 to 01:59 UTC: either side of local midnight in GMT and in BST.
            hour = rng.choice([22, 23, 0, 1, 12])
            at = utc(day.year, day.month, day.day, hour, rng.randint(0, 59))
            if rng.random() < 0.5:
                add_assessment(
                    amhp,
                    received_at=at,
                    status="completed",
                    outcome=rng.choice(OUTCOMES),
                    delay_reasons=rng.sample(REASONS, rng.randint(0, 2)),
                    work_started_at=at + timedelta(minutes=30),
                    work_ended_at=at + timedelta(minutes=30 + rng.randint(30, 600)),
                )
            else:
                add_referral(service, at)
    return service


def test_a_day_is_a_europe_london_day_across_the_clock_change(busy_service: Any, add_referral: Any) -> None:
    # 23:30 UTC on 29 March 2026 is 00:30 BST on 30 March; 23:30 UTC on 24 October is 00:30 BST on the 25th,
    # and 23:30 UTC on 25 October (after the clocks went back) is 23:30 GMT, still the 25th.
    for at in (utc(2026, 3, 29, 23, 30), utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 23, 30)):
        add_referral(busy_service, at)
    cells = rollups.raw_cells(busy_service.pk, [(date(2026, 3, 29), date(2026, 10, 26))])
    hours = _summed(cells)
    assert hours[(date(2026, 3, 30), "arrival_hour", "0")] >= 1
    assert hours[(date(2026, 10, 25), "arrival_hour", "0")] >= 1
    assert hours[(date(2026, 10, 25), "arrival_hour", "23")] >= 1


def test_roll_up_and_raw_aggregate_agree_for_random_periods(busy_service: Any) -> None:
    now = timezone.now()  # rows carry the real updated_at, so the runs use the real clock
    assert rollups.refresh_rollups(service_id=busy_service.pk, now=now) > 0
    assert RollupCell.objects.filter(service=busy_service).exists()
    rng = random.Random(7)
    for _ in range(25):
        first = date(2026, 3, 20) + timedelta(days=rng.randint(0, 230))
        period = Period(first=first, last=first + timedelta(days=rng.randint(0, 40)))
        read = rollups.Rollup(busy_service.pk, now)
        assert _summed(read.cells(period.first, period.last)) == _raw(busy_service, period), period


def test_key_ranges_sum_each_cell_once_even_when_ranges_repeat(busy_service: Any) -> None:
    # Two quantiles can fall in the same hour, so a percentile may ask for one key range twice; and ranges
    # compare byte by byte: "1" to "2" holds the hours 1 and 10 to 19, "12" to "13" only 12.
    now = timezone.now()
    rollups.refresh_rollups(service_id=busy_service.pk, now=now)
    first, last = date(2026, 3, 20), date(2026, 11, 4)
    ranges = [("arrival_hour", "1", "2"), ("arrival_hour", "12", "13"), ("arrival_hour", "1", "2")]
    raw = _raw(busy_service, Period(first, last))
    wanted = {"1", *(str(h) for h in range(10, 20))}
    expected: Counter[tuple[str, str]] = Counter()
    for (_, measure, key), n in raw.items():
        if measure == "arrival_hour" and key in wanted:
            expected[(measure, key)] += n
    assert expected[("arrival_hour", "12")] and expected[("arrival_hour", "1")]  # the fixture's hours 12 and 1 BST
    totals = rollups.Rollup(busy_service.pk, now).totals(first, last, ["arrival_hour"], key_ranges=ranges)
    assert +totals == expected


def test_a_write_after_the_run_shows_at_once_and_the_next_run_folds_it_in(
    busy_service: Any, add_referral: Any, amhp: Any
) -> None:
    now = timezone.now()  # rows carry the real updated_at, so the runs use the real clock
    rollups.refresh_rollups(service_id=busy_service.pk, now=now)
    period = Period(first=date(2026, 3, 25), last=date(2026, 4, 3))
    before = selectors.demand(service_id=busy_service.pk, period=period, now=now)
    # A late-entered referral for 29 March (the day the clocks went forward), and a changed outcome.
    add_referral(busy_service, utc(2026, 3, 29, 1, 30))
    changed = busy_service.assessments.filter(status="completed").first()
    changed.outcome = "no_further_action" if changed.outcome != "no_further_action" else "detained_s2"
    changed.save()

    later = now + timedelta(minutes=10)
    after = selectors.demand(service_id=busy_service.pk, period=period, now=later)
    assert after.total == before.total + 1
    assert after.by_hour[2] == before.by_hour[2] + 1  # 01:30 UTC is 02:30 BST: the hour 01:00-02:00 GMT never was
    raw = _raw(busy_service, Period(date(2026, 3, 20), date(2026, 11, 4)))
    assert _summed(rollups.Rollup(busy_service.pk, later).cells(date(2026, 3, 20), date(2026, 11, 4))) == raw
    rollups.refresh_rollups(service_id=busy_service.pk, now=later + timedelta(minutes=10))
    rollup = rollups.Rollup(busy_service.pk, later + timedelta(minutes=20))
    assert not rollup.dirty
    assert _summed(rollup.cells(date(2026, 3, 20), date(2026, 11, 4))) == raw


def test_toil_booked_after_the_run_is_read_live_for_toil_alone(busy_service: Any, amhp: Any) -> None:
    # A TOIL entry changes only the TOIL cells of the day the work was done: the waits and the arrivals of that
    # day stay folded, and every figure still equals the raw aggregate.
    # The run is ten minutes on, so the fixture's own writes are older than it; the entry is booked after it.
    run_at = timezone.now() + timedelta(minutes=10)
    rollups.refresh_rollups(service_id=busy_service.pk, now=run_at)
    worked = utc(2026, 3, 29, 18, 0)  # 19:00 BST on the day the clocks went forward
    entry = ToilEntry.objects.create(
        staff=amhp, service=busy_service, kind="accrual", minutes=45, worked_from=worked, status="pending"
    )
    ToilEntry.objects.filter(pk=entry.pk).update(created_at=run_at + timedelta(minutes=1))
    read = rollups.Rollup(busy_service.pk, run_at + timedelta(minutes=5))
    first, last = date(2026, 3, 20), date(2026, 4, 10)
    assert read.dirty == {date(2026, 3, 29)}
    assert read._split(first, last, ["toil"])[1] == {date(2026, 3, 29)}
    assert read._split(first, last, ["wait_allocation", "arrival_hour", "late_work"])[1] == set()
    assert _summed(read.cells(first, last)) == _raw(busy_service, Period(first, last))
    toil = read.totals(first, last, ["toil"])
    assert toil[("toil", f"{amhp.pk}:pending")] == 45


def test_today_is_counted_live_and_running_the_job_twice_changes_nothing(busy_service: Any, add_referral: Any) -> None:
    now = timezone.now()
    today = rollups._local_day(now)
    add_referral(busy_service, now - timedelta(seconds=1))
    rollups.refresh_rollups(service_id=busy_service.pk, now=now)
    cells = list(RollupCell.objects.order_by("day", "measure", "key").values_list("day", "measure", "key", "count"))
    assert cells and all(day < today for day, *_ in cells)
    rollups.refresh_rollups(service_id=busy_service.pk, now=now + timedelta(minutes=1))
    assert (
        list(RollupCell.objects.order_by("day", "measure", "key").values_list("day", "measure", "key", "count"))
        == cells
    )
    period = Period(today, today)
    assert selectors.demand(service_id=busy_service.pk, period=period, now=now + timedelta(minutes=2)).total == 1


def test_after_5pm_share_of_assessment_hours_comes_through_the_roll_up(
    service: Any, amhp: Any, add_assessment: Any
) -> None:
    # 15:00-19:00 GMT on Monday 5 January: 4 hours, 2 of them after 5pm; 09:00-11:00 on the 6th: none.
    add_assessment(
        amhp, received_at=utc(2026, 1, 5, 14), status="completed", outcome="no_further_action",
        work_started_at=utc(2026, 1, 5, 15), work_ended_at=utc(2026, 1, 5, 19),
    )  # fmt: skip
    add_assessment(
        amhp, received_at=utc(2026, 1, 6, 8), status="completed", outcome="no_further_action",
        work_started_at=utc(2026, 1, 6, 9), work_ended_at=utc(2026, 1, 6, 11),
    )  # fmt: skip
    now = timezone.now()
    rollups.refresh_rollups(service_id=service.pk, now=now)
    result = selectors.demand(service_id=service.pk, period=Period(date(2026, 1, 5), date(2026, 1, 11)), now=now)
    assert (result.work_seconds, result.work_after_5pm_seconds) == (6 * 3600, 2 * 3600)
    assert result.work_after_5pm_share == pytest.approx(1 / 3)
    assert RollupCell.objects.filter(measure="work_seconds", day=date(2026, 1, 5), key="after_5pm").get().count == 7200


def test_dashboard_sections_read_the_roll_up_in_a_fixed_number_of_queries(busy_service: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()  # rows carry the real updated_at, so the runs use the real clock
    rollups.refresh_rollups(service_id=busy_service.pk, now=now)
    period = Period(date(2026, 3, 1), date(2026, 11, 5))
    with CaptureQueriesContext(connection) as ctx:
        selectors.demand(service_id=busy_service.pk, period=period, now=now)
    # The mark, two look-ups of changed days, the folded cells, today's live counts (3 queries).
    assert len(ctx.captured_queries) <= 7
