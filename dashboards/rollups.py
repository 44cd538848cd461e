"""Daily roll-ups of the count-based dashboard measures, so a dashboard reads days, not referrals.

Each closed Europe/London day of a service is folded into RollupCell rows (one per measure
and key) by `refresh_rollups`, a Celery job that rebuilds whole days set-based: the counts
come from GROUP BY queries over the raw rows, and a day's cells are deleted and written
again in one transaction, so running it twice, or in two workers at once, leaves the same
cells (the unique constraint `rollup_one_cell` stops any doubling).

A read (`Rollup.cells`) takes the folded days from the cells and works out live, from the
raw rows, every day the cells cannot vouch for: today (and any day after the last run), and
any day one of whose referrals or assessments changed since the last run (the services stamp
`updated_at` on every write, which is how a write reaches the roll-up before the next run).
So the figures always equal the raw aggregate; the roll-up only makes them cheap.

Days are local days: a referral received at 00:30 BST on 30 March 2026 (23:30 UTC on the
29th) belongs to 30 March, as it does on the raw dashboards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractHour, TruncDate

from amhp_hub.common.zone import LONDON
from assessments.jobs import exclusive_run
from assessments.models import LIVE_ASSESSMENT_STATUSES, Assessment, AssessmentStatus, SweepMark
from dashboards.models import RollupCell
from planning.demand import after_5pm_seconds
from referrals.constants import Status
from referrals.models import Referral

# The mark's name carries the measures' version: bump it when MEASURES or their counting change,
# and the next run finds no mark and rebuilds every day.
JOB = "dashboard_rollup:2"
MEASURES = ("arrival_hour", "outcome", "delay_reason", "work_seconds")
# A write that committed late may carry an updated_at a little before the run that missed it.
OVERLAP = timedelta(minutes=5)

Cell = tuple[date, str, str, int]  # (day, measure, key, count)


def _local_day(at: datetime) -> date:
    return at.astimezone(LONDON).date()


def _day_range(first: date, last: date, prefix: str = "") -> Q:
    """Referrals received on local days FIRST..LAST inclusive, as an index range on received_at."""
    start = datetime.combine(first, time(0), tzinfo=LONDON)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=LONDON)
    return Q(**{f"{prefix}received_at__gte": start, f"{prefix}received_at__lt": end})


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive runs of DAYS as (first, last) pairs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _in_runs(runs: list[tuple[date, date]], prefix: str = "") -> Q:
    q = Q(pk__in=[])
    for first, last in runs:
        q |= _day_range(first, last, prefix)
    return q


def _json_items_by_day(queryset: QuerySet[Any], field_name: str) -> list[tuple[date, str, int]]:
    """(day, item, count) for each value of a JSON list field, grouped by the queryset's `day`, in one query."""
    sql, params = queryset.values("day", field_name).query.sql_with_params()
    if connection.vendor == "postgresql":
        expand, arrays = (
            f"CROSS JOIN LATERAL jsonb_array_elements_text(sub.{field_name}) AS item(value)",
            "jsonb_typeof",
        )
    else:
        expand, arrays = f", json_each(sub.{field_name}) AS item", "json_type"
    statement = (
        f"SELECT sub.day, item.value, COUNT(*) FROM (SELECT * FROM ({sql}) AS inner_rows "  # noqa: S608
        f"WHERE {arrays}(inner_rows.{field_name}) = 'array') AS sub {expand} GROUP BY sub.day, item.value"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    return [(day if isinstance(day, date) else date.fromisoformat(str(day)[:10]), str(v), n) for day, v, n in rows]


def raw_cells(service_id: Any, received: list[tuple[date, date]], measures: Iterable[str] = MEASURES) -> list[Cell]:
    """The cells of MEASURES, counted from the raw rows of referrals received on the local day runs RECEIVED.

    One query a measure.
    """
    measures = set(measures)
    cells: list[Cell] = []
    if not received:
        return cells
    referrals = Referral.objects.filter(_in_runs(received), service_id=service_id).exclude(status=Status.DRAFT)
    if "arrival_hour" in measures:
        cells += [
            (row["day"], "arrival_hour", str(row["hour"]), row["n"])
            for row in referrals.values(
                day=TruncDate("received_at", tzinfo=LONDON), hour=ExtractHour("received_at", tzinfo=LONDON)
            )
            .annotate(n=Count("pk"))
            .order_by()
        ]
    # The live (not declined) assessment of each referral received on those days, joined on the referral.
    live = (
        Assessment.objects.filter(
            _in_runs(received, "referral__"), service_id=service_id, status__in=LIVE_ASSESSMENT_STATUSES
        )
        .exclude(referral__status=Status.DRAFT)
        .annotate(day=TruncDate("referral__received_at", tzinfo=LONDON))
    )
    if "outcome" in measures:
        completed = live.filter(status=AssessmentStatus.COMPLETED).exclude(outcome="")
        cells += [
            (row["day"], "outcome", row["outcome"], row["n"])
            for row in completed.values("day", "outcome").annotate(n=Count("pk")).order_by()
        ]
    if "delay_reason" in measures:
        cells += [(day, "delay_reason", key, n) for day, key, n in _json_items_by_day(live, "delay_reasons")]
    if "work_seconds" in measures:  # seconds of assessment work, and those after 5pm (planning.demand)
        seconds: dict[tuple[date, str], int] = {}
        worked = live.filter(work_started_at__isnull=False, work_ended_at__isnull=False)
        for day, start, end in worked.values_list("day", "work_started_at", "work_ended_at").iterator(chunk_size=5000):
            # The filter keeps only rows with both work times set.
            total, after = after_5pm_seconds(cast(datetime, start), cast(datetime, end))
            seconds[(day, "total")] = seconds.get((day, "total"), 0) + total
            seconds[(day, "after_5pm")] = seconds.get((day, "after_5pm"), 0) + after
        cells += [(day, "work_seconds", key, n) for (day, key), n in seconds.items()]
    return cells


def _changed_days(service_id: Any, since: datetime) -> set[date]:
    """Local days of the referrals received whose referral or assessment changed since SINCE (2 queries)."""
    days = set(
        Referral.objects.filter(service_id=service_id, updated_at__gte=since)
        .annotate(day=TruncDate("received_at", tzinfo=LONDON))
        .values_list("day", flat=True)
        .distinct()
        .order_by()
    )
    days |= set(
        Assessment.objects.filter(service_id=service_id, updated_at__gte=since)
        .annotate(day=TruncDate("referral__received_at", tzinfo=LONDON))
        .values_list("day", flat=True)
        .distinct()
        .order_by()
    )
    return days


def refresh_rollups(*, service_id: int, now: datetime) -> int:
    """Fold the service's closed days into the roll-up, one runner at a time; return the days rebuilt."""
    with exclusive_run(JOB, service_id) as mine:
        return _refresh(service_id, now) if mine else 0


def _refresh(service_id: int, now: datetime) -> int:
    """The first run (no mark) rebuilds every day before today; later runs the days closed since
    the last run and the days whose rows changed since it. Each run rebuilds its days in one
    transaction: delete their cells, insert the counts grouped from the raw rows, move the mark.
    """
    today = _local_day(now)
    mark = SweepMark.objects.filter(job=JOB, scope=service_id).values_list("swept_until", flat=True).first()
    with transaction.atomic():
        if mark is None or mark > now:
            RollupCell.objects.filter(service_id=service_id).delete()
            earliest = Referral.objects.filter(service_id=service_id).order_by("received_at").first()
            days = {earliest.received_at.astimezone(LONDON).date()} if earliest else set()
            days = set(_date_span(min(days), today - timedelta(days=1))) if days else set()
            received = _runs(days)
        else:
            days = {d for d in _changed_days(service_id, mark - OVERLAP) if d < today}
            days |= set(_date_span(_local_day(mark), today - timedelta(days=1)))
            received = _runs(days)
        if received:
            for first, last in received:
                RollupCell.objects.filter(service_id=service_id, day__gte=first, day__lte=last).delete()
            RollupCell.objects.bulk_create(
                [
                    RollupCell(service_id=service_id, day=day, measure=measure, key=key, count=n)
                    for day, measure, key, n in raw_cells(service_id, received)
                    if day in days
                ],
                batch_size=5000,
                ignore_conflicts=True,
            )
        SweepMark.objects.update_or_create(
            job=JOB, scope=service_id, defaults={"swept_until": now, "full_swept_at": now}
        )
    return len(days)


def _date_span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass
class Rollup:
    """What a dashboard read may take from the roll-up for one service at NOW: worked out once per page."""

    service_id: Any
    now: datetime
    folded_before: date | None = None  # days before this were folded by the last run
    dirty: set[date] = field(default_factory=set)

    def __post_init__(self) -> None:
        mark = SweepMark.objects.filter(job=JOB, scope=self.service_id).values_list("swept_until", flat=True).first()
        if mark is not None and mark <= self.now:
            self.folded_before = _local_day(mark)
            self.dirty = _changed_days(self.service_id, mark - OVERLAP)

    def cells(self, first: date, last: date, measures: Iterable[str] = MEASURES) -> list[Cell]:
        """Cells of MEASURES for local days FIRST..LAST: folded days from RollupCell, the others live from raw rows."""
        measures = list(measures)
        folded_last = min(last, self.folded_before - timedelta(days=1)) if self.folded_before else first - timedelta(1)
        live_days = {d for d in self.dirty if first <= d <= last} | set(
            _date_span(max(first, folded_last + timedelta(1)), last)
        )
        out: list[Cell] = []
        if folded_last >= first:
            out = [
                (day, measure, key, n)
                for day, measure, key, n in RollupCell.objects.filter(
                    service_id=self.service_id, day__gte=first, day__lte=folded_last
                ).values_list("day", "measure", "key", "count")
                if day not in live_days
            ]
        out += [cell for cell in raw_cells(self.service_id, _runs(live_days), measures) if cell[0] in live_days]
        return out
