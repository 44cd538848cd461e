"""Read-only aggregates for the manager dashboards.

One function per dashboard section. Each runs a fixed number of aggregate queries
(GROUP BY in SQL), whatever the number of referrals, and always filters by service.
Referral-based sections count the referrals *received* in the period; TOIL and late
working count the work done in it; duty counts the shifts overlapping it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from amhp_hub.common.zone import LONDON
from assessments.models import (
    LIVE_ASSESSMENT_STATUSES,
    Assessment,
    DelayReason,
    Outcome,
)
from dashboards.models import NOT_STATED_GROUP, POPULATION_GROUPS, PopulationEstimate
from dashboards.rollups import Rollup, breach_counts, distinct_people
from planning.demand import AFTER_5PM_FROM
from referrals.constants import CENSUS_2021, ETHNIC_GROUP, Ethnicity, LegalStatus, Status
from referrals.models import Referral
from rota.models import Role, StaffProfile
from rota.selectors import duty_frequency as rota_duty_frequency
from rota.selectors import warrant_ending_soon

DEFAULT_PERIOD_DAYS = 90
AFTER_HOURS_FROM = AFTER_5PM_FROM.hour  # 5pm local: the "after 5pm" share of demand
WORKING_DAY_STARTS = 8  # work ending before 8am local counts as late working too
RETIREMENT_WARNING_YEARS = 5
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


# --- The period ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole local days from ``first`` to ``last`` inclusive."""

    first: date
    last: date

    @classmethod
    def default(cls, today: date) -> Period:
        return cls(first=today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), last=today)

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=LONDON)

    @property
    def ends_at(self) -> datetime:
        """The instant after the period: local midnight at the end of ``last``."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=LONDON)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


# --- Percentiles: percentile_cont in PostgreSQL, the same interpolation in Python elsewhere ------


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile (linear interpolation), ignoring NULLs."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, percentile: float, **extra: Any) -> None:
        if not 0 <= percentile <= 1:
            raise ValueError("percentile must be between 0 and 1")
        super().__init__(expression, percentile=float(percentile), **extra)


class EpochHours(Func):
    """An interval as a number of hours (PostgreSQL)."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) / 3600.0)"
    output_field = FloatField()


def percentile(values: list[float], q: float) -> float | None:
    """Return the Q-th percentile of VALUES by linear interpolation (as percentile_cont does), or None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class DurationStats:
    """How many durations there were and their median and 90th percentile, in hours."""

    count: int
    median: float | None
    p90: float | None


def _duration_stats(queryset: QuerySet[Any], spans: Mapping[str, tuple[str, str]]) -> dict[str, DurationStats]:
    """Return count, median and p90 in hours of ``end - start`` for each named (start, end) pair, in ONE query.

    Rows where either end is NULL are left out of that pair's figures.
    """
    if connection.vendor == "postgresql":
        aggregates: dict[str, Any] = {}
        for name, (start, end) in spans.items():
            hours = EpochHours(ExpressionWrapper(F(end) - F(start), output_field=DurationField()))
            both = Q(**{f"{start}__isnull": False, f"{end}__isnull": False})
            aggregates[f"{name}__count"] = Count("pk", filter=both)
            aggregates[f"{name}__median"] = PercentileCont(hours, 0.5)
            aggregates[f"{name}__p90"] = PercentileCont(hours, 0.9)
        row = queryset.aggregate(**aggregates)
        return {
            name: DurationStats(row[f"{name}__count"], row[f"{name}__median"], row[f"{name}__p90"]) for name in spans
        }
    # Other databases (SQLite in development): one query for the pairs, the arithmetic here.
    fields = [field_name for pair in spans.values() for field_name in pair]
    samples: dict[str, list[float]] = {name: [] for name in spans}
    for row in queryset.values_list(*fields):
        for index, name in enumerate(spans):
            start, end = row[2 * index], row[2 * index + 1]
            if start is not None and end is not None:
                samples[name].append((end - start).total_seconds() / 3600)
    return {
        name: DurationStats(len(values), percentile(values, 0.5), percentile(values, 0.9))
        for name, values in samples.items()
    }


def _json_list_counts(queryset: QuerySet[Any], field_name: str) -> dict[str, int]:
    """Count each value of a JSON list field over QUERYSET's rows, in ONE query."""
    sql, params = queryset.values(field_name).query.sql_with_params()
    # Rows holding anything but a list (a stray null or object) are skipped rather than failing the page.
    if connection.vendor == "postgresql":
        expand = f"CROSS JOIN LATERAL jsonb_array_elements_text(sub.{field_name}) AS item(value)"
        arrays = f"jsonb_typeof(sub.{field_name}) = 'array'"
    else:
        expand = f", json_each(sub.{field_name}) AS item"
        arrays = f"json_type(sub.{field_name}) = 'array'"
    statement = (
        f"SELECT item.value, COUNT(*) FROM (SELECT * FROM ({sql}) AS inner_rows "  # noqa: S608
        f"WHERE {arrays.replace('sub.', 'inner_rows.')}) AS sub {expand} GROUP BY item.value"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return {str(value): count for value, count in cursor.fetchall()}


def _received_in(period: Period, prefix: str = "") -> Q:
    return Q(**{f"{prefix}received_at__gte": period.starts_at, f"{prefix}received_at__lt": period.ends_at})


def _referrals(service_id: Any, period: Period) -> QuerySet[Referral]:
    return Referral.objects.filter(_received_in(period), service_id=service_id).exclude(status=Status.DRAFT)


def _live_assessments(service_id: Any, period: Period) -> QuerySet[Assessment]:
    """The live (not declined) assessment of each referral received in the period: at most one per referral."""
    return Assessment.objects.filter(
        _received_in(period, "referral__"), service_id=service_id, status__in=LIVE_ASSESSMENT_STATUSES
    )


# --- Demand -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Demand:
    total: int
    by_hour: list[int]  # index 0..23, local hour of arrival
    by_weekday: list[int]  # index 0 = Monday
    after_hours: int  # received at or after 17:00 local
    work_seconds: int = 0  # assessment work on these referrals
    work_after_5pm_seconds: int = 0  # of it, at or after 17:00 local (planning.demand)
    work_by_hour: list[float] = field(default_factory=lambda: [0.0] * 24)  # hours of work by local hour of day

    @property
    def after_hours_share(self) -> float | None:
        return self.after_hours / self.total if self.total else None

    @property
    def work_after_5pm_share(self) -> float | None:
        return self.work_after_5pm_seconds / self.work_seconds if self.work_seconds else None


def demand(*, service_id: Any, period: Period, now: datetime | None = None) -> Demand:
    """Referrals received in PERIOD by local hour of day and by weekday, and their assessment hours, from the roll-up.

    Folded days come from RollupCell; today and any day changed since the last roll-up run
    are counted live (dashboards.rollups), so the figures equal the raw counts.
    """
    by_hour = [0] * 24
    by_weekday = [0] * 7
    work = {"total": 0, "after_5pm": 0}
    work_by_hour = [0] * 24  # microseconds
    rollup = Rollup(service_id, now or timezone.now())
    for day, measure, key, n in rollup.cells(period.first, period.last, ["arrival_hour", "work_seconds", "work_hour"]):
        if measure == "arrival_hour":
            by_hour[int(key)] += n
            by_weekday[day.weekday()] += n
        elif measure == "work_seconds":
            work[key] = work.get(key, 0) + n
        elif measure == "work_hour":
            work_by_hour[int(key)] += n
    return Demand(
        total=sum(by_hour),
        by_hour=by_hour,
        by_weekday=by_weekday,
        after_hours=sum(by_hour[AFTER_HOURS_FROM:]),
        work_seconds=work["total"],
        work_after_5pm_seconds=work["after_5pm"],
        work_by_hour=[micros / 3_600_000_000 for micros in work_by_hour],
    )


# --- Waits --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waits:
    to_allocation: DurationStats
    to_assessment: DurationStats


WAITS_RESOLUTION = "Medians and 90th percentiles are worked out from waits to the whole minute."


def minutes_stats(
    rollup: Rollup, period: Period, histograms: list[tuple[str, str]]
) -> dict[tuple[str, str], DurationStats]:
    """Count, median and p90 in hours of each minute histogram (measure, key prefix) of the roll-up over PERIOD."""
    found = rollup.minute_stats(period.first, period.last, histograms)
    return {
        spec: DurationStats(count, *(None if v is None else v / 60 for v in values))
        for spec, (count, values) in found.items()
    }


def waits(*, service_id: Any, period: Period, now: datetime | None = None) -> Waits:
    """Hours from referral to allocation and to the person being seen, median and p90, from the roll-up's
    histograms of whole minutes."""
    stats = minutes_stats(
        Rollup(service_id, now or timezone.now()), period, [("wait_allocation", ""), ("wait_seen", "")]
    )
    return Waits(to_allocation=stats[("wait_allocation", "")], to_assessment=stats[("wait_seen", "")])


# --- Statutory breaches -------------------------------------------------------------------------


@dataclass(frozen=True)
class BreachRow:
    legal_status: str
    label: str
    clocked: int  # referrals with a statutory expiry
    held_late: int  # concluded: the application, or the release, came at or after the expiry
    open_past: int  # still held: open, no application, expiry passed

    @property
    def breaches(self) -> int:
        return self.held_late + self.open_past


def breaches(*, service_id: Any, period: Period, now: datetime) -> list[BreachRow]:
    """Statutory breaches as the law sees them, by legal status, among referrals received in PERIOD, from the
    roll-up (dashboards.rollups counts them as referrals.clocks.held_past_expiry decides)."""
    totals = Rollup(service_id, now).totals(period.first, period.last, ["breach"])
    found = breach_counts(totals, now)
    labels = dict(LegalStatus.choices)
    return [
        BreachRow(
            legal_status=status,
            label=labels.get(status, status),
            clocked=found[status]["clocked"],
            held_late=found[status]["held_late"],
            open_past=found[status]["open_past"],
        )
        for status in [*LegalStatus.values, *sorted(set(found) - set(LegalStatus.values))]
        if status in found and found[status]["clocked"]
    ]


# --- Outcomes, delay reasons and bed waits ------------------------------------------------------


@dataclass(frozen=True)
class Outcomes:
    outcomes: list[tuple[str, str, int]]  # (value, label, count), every outcome in declared order
    delay_reasons: list[tuple[str, str, int]]
    bed_wait: DurationStats  # application signed -> bed found

    @property
    def completed(self) -> int:
        return sum(count for _, _, count in self.outcomes)


def outcomes(*, service_id: Any, period: Period, now: datetime | None = None) -> Outcomes:
    """Outcome mix and delay reasons (from the daily roll-up) and bed waits of referrals received in PERIOD."""
    counts: dict[str, int] = {}
    reasons: dict[str, int] = {}
    rollup = Rollup(service_id, now or timezone.now())
    totals = rollup.totals(period.first, period.last, ["outcome", "delay_reason"])
    for (measure, key), n in totals.items():
        if measure == "outcome":
            counts[key] = counts.get(key, 0) + n
        elif measure == "delay_reason":
            reasons[key] = reasons.get(key, 0) + n
    bed = minutes_stats(rollup, period, [("bed_found", "")])[("bed_found", "")]
    reason_labels = dict(DelayReason.choices)
    return Outcomes(
        outcomes=[(value, label, counts.get(value, 0)) for value, label in Outcome.choices],
        delay_reasons=[
            (value, reason_labels.get(value, value), reasons.get(value, 0))
            for value in [*DelayReason.values, *sorted(set(reasons) - set(DelayReason.values))]
        ],
        bed_wait=bed,
    )


# --- TOIL and late working ----------------------------------------------------------------------


@dataclass(frozen=True)
class WorkloadRow:
    staff_id: Any
    name: str
    toil_approved_minutes: int
    toil_pending_minutes: int
    assessments: int
    past_shift_end: int  # work finished after the shift the AMHP was on when allocated
    after_hours: int  # work finished at or after 17:00 local, or before 08:00


def _amhps(service_id: Any) -> list[StaffProfile]:
    return list(
        StaffProfile.objects.filter(service_id=service_id, role=Role.AMHP)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )


def toil_and_late_working(*, service_id: Any, period: Period, now: datetime | None = None) -> list[WorkloadRow]:
    """TOIL accrued and late working per AMHP for work done in PERIOD, from the roll-up: TOIL by the day the
    work was done, late working by the day the assessment was allocated."""
    people = _amhps(service_id)
    totals = Rollup(service_id, now or timezone.now()).totals(period.first, period.last, ["toil", "late_work"])
    toil: dict[Any, dict[str, int]] = {}
    late: dict[Any, dict[str, int]] = {}
    for (measure, key), n in totals.items():
        staff, what = key.rsplit(":", 1)
        target = toil if measure == "toil" else late
        target.setdefault(staff, {})[what] = n
    rows = []
    for person in people:
        t, w = toil.get(str(person.pk), {}), late.get(str(person.pk), {})
        rows.append(
            WorkloadRow(
                staff_id=person.pk,
                name=person.display_name,
                toil_approved_minutes=t.get("approved", 0),
                toil_pending_minutes=t.get("pending", 0),
                assessments=w.get("n", 0),
                past_shift_end=w.get("past_shift", 0),
                after_hours=w.get("after_hours", 0),
            )
        )
    return rows


# --- Workforce and duty frequency ---------------------------------------------------------------


@dataclass(frozen=True)
class StaffDate:
    name: str
    on: date


@dataclass(frozen=True)
class DutyRow:
    name: str
    shifts: int
    hours: float
    contracted_hours: float


@dataclass
class Workforce:
    amhps: int
    warranted: int
    expiring: list[StaffDate] = field(default_factory=list)  # warrant ends within WARRANT_WARNING_DAYS
    near_retirement: list[StaffDate] = field(default_factory=list)  # within 5 years of retirement age
    duty: list[DutyRow] = field(default_factory=list)
    balance: float = 1.0


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return date(day.year + years, 3, 1)


def workforce(*, service_id: Any, period: Period, today: date) -> Workforce:
    """Warranted AMHPs, warrants expiring, staff near retirement and duty frequency in PERIOD (2 queries)."""
    people = _amhps(service_id)
    warranted = [p for p in people if p.warrant_expires_on is not None and p.warrant_expires_on >= today]
    expiring = sorted(
        (
            StaffDate(p.display_name, p.warrant_expires_on)  # type: ignore[arg-type]  # warranted: has a date
            for p in warranted
            if warrant_ending_soon(p.warrant_expires_on, today)
        ),
        key=lambda s: s.on,
    )
    horizon = _add_years(today, RETIREMENT_WARNING_YEARS)
    retiring = sorted(
        (
            StaffDate(p.display_name, retires)
            for p in people
            if (retires := p.retirement_date()) is not None and retires <= horizon
        ),
        key=lambda s: s.on,
    )
    # The rota's own duty count (leave blocks duty), so the dashboard and the rota page agree.
    report = rota_duty_frequency(service_id=service_id, start=period.first, end=period.last)
    duty = sorted(
        (
            DutyRow(
                name=row.staff.display_name,
                shifts=row.shifts,
                hours=round(row.hours, 1),
                contracted_hours=row.contracted_hours,
            )
            for row in report.rows
        ),
        key=lambda row: row.name,
    )
    return Workforce(
        amhps=len(people),
        warranted=len(warranted),
        expiring=expiring,
        near_retirement=retiring,
        duty=duty,
        balance=report.balance,
    )


# --- Equality: detention rates by ethnicity -----------------------------------------------------


@dataclass(frozen=True)
class EqualityRow:
    group: str
    assessed: int  # people assessed (completed assessments) in the period
    detained: int  # people detained in the period
    population: int | None  # None: no denominator (not stated or not known; or no estimate)
    period_days: int

    @property
    def rate_per_100k(self) -> float | None:
        """People detained per 100,000 residents of the group, in the period."""
        if not self.population:
            return None
        return self.detained / self.population * 100_000

    @property
    def annual_rate_per_100k(self) -> float | None:
        """The period's rate scaled to a year (365 days)."""
        rate = self.rate_per_100k
        return None if rate is None else rate * 365 / self.period_days


SUPPRESS_BELOW = 5  # counts of 1 to 4 people are not shown, so no one can be picked out


def suppressed(count: int) -> int | str:
    """COUNT as it may be published: "fewer than 5" for 1 to 4 people; 0 and 5 or more as they are."""
    return "fewer than 5" if 0 < count < SUPPRESS_BELOW else count


@dataclass(frozen=True)
class CategoryRow:
    code: str  # NHS Data Dictionary ethnic category code
    nhs_label: str
    census_label: str  # the 2021 census category it falls in
    assessed: int
    detained: int


def people_by_code(*, service_id: Any, period: Period, now: datetime | None = None) -> dict[str, tuple[int, int]]:
    """{ethnic code: (people assessed, people detained)} for referrals received in PERIOD, from the roll-up: a
    person counts once however many of their referrals were assessed in the period."""
    return distinct_people(Rollup(service_id, now or timezone.now()), period.first, period.last)


def equality_by_category(
    *, service_id: Any, period: Period, now: datetime | None = None, found: dict[str, tuple[int, int]] | None = None
) -> list[CategoryRow]:
    """People assessed and detained by NHS ethnic category, each beside its 2021 census category (FOUND: the
    counts people_by_code gives, when the caller has them)."""
    if found is None:
        found = people_by_code(service_id=service_id, period=period, now=now)
    return [
        CategoryRow(
            code=code,
            nhs_label=str(label),
            census_label=CENSUS_2021.get(code, (NOT_STATED_GROUP, NOT_STATED_GROUP))[1],
            assessed=found.get(code, (0, 0))[0],
            detained=found.get(code, (0, 0))[1],
        )
        for code, label in Ethnicity.choices
    ]


def equality(
    *, service_id: Any, period: Period, now: datetime | None = None, found: dict[str, tuple[int, int]] | None = None
) -> list[EqualityRow]:
    """People assessed and detained by broad ethnic group, with rates per 100,000 (FOUND as for
    equality_by_category)."""
    if found is None:
        found = people_by_code(service_id=service_id, period=period, now=now)
    assessed: dict[str, int] = {}
    detained: dict[str, int] = {}
    for code, (people, held) in found.items():
        group = ETHNIC_GROUP.get(code, NOT_STATED_GROUP)
        assessed[group] = assessed.get(group, 0) + people
        detained[group] = detained.get(group, 0) + held
    population = dict(
        PopulationEstimate.objects.filter(service_id=service_id).values_list("ethnic_group", "population")
    )
    return [
        EqualityRow(
            group=group,
            assessed=assessed.get(group, 0),
            detained=detained.get(group, 0),
            population=population.get(group) if group != NOT_STATED_GROUP else None,
            period_days=period.days,
        )
        for group in [*POPULATION_GROUPS, NOT_STATED_GROUP]
    ]


# --- National returns and FOI figures -------------------------------------------------------

FULL_TIME_HOURS = 37  # contracted hours of one whole-time equivalent (the NJC standard week)


@dataclass(frozen=True)
class NationalReturn:
    arranged: int  # assessments allocated in the period (declined offers left out)
    attended: int  # of those, the person was seen
    completed: int
    by_outcome: list[tuple[str, str, int]]  # completed assessments by outcome, every outcome
    nearest_relative_requests: int  # referrals received in the period that are s13(4) requests
    warranted_headcount: int  # AMHPs whose warrant is in date on `on`
    warranted_fte: float
    on: date


def national_return(*, service_id: Any, period: Period, now: datetime | None = None) -> NationalReturn:
    """The figures national AMHP data collections and common FOI requests ask for, from the roll-up.

    Assessments count by when they were arranged (allocated) within the period's local days;
    the warranted workforce is counted on the period's last day: AMHPs whose approval runs to
    that day or later, with whole-time equivalents from contracted hours over FULL_TIME_HOURS.
    """
    totals = Rollup(service_id, now or timezone.now()).totals(
        period.first, period.last, ["arranged", "arranged_outcome", "legal_status"]
    )
    counts = {key: totals.get(("arranged", key), 0) for key in ("arranged", "attended", "completed")}
    outcomes = {key: n for (measure, key), n in totals.items() if measure == "arranged_outcome"}
    requests = totals.get(("legal_status", LegalStatus.NR_REQUEST.value), 0)
    warranted = StaffProfile.objects.filter(
        service_id=service_id, role=Role.AMHP, warrant_expires_on__gte=period.last
    ).aggregate(n=Count("pk"), hours=Sum("contracted_hours"))
    return NationalReturn(
        arranged=counts["arranged"],
        attended=counts["attended"],
        completed=counts["completed"],
        by_outcome=[(value, label, outcomes.get(value, 0)) for value, label in Outcome.choices],
        nearest_relative_requests=requests,
        warranted_headcount=warranted["n"],
        warranted_fte=float(warranted["hours"] or 0) / FULL_TIME_HOURS,
        on=period.last,
    )


__all__ = [
    "national_return",
    "Period",
    "PercentileCont",
    "percentile",
    "demand",
    "waits",
    "breaches",
    "outcomes",
    "toil_and_late_working",
    "workforce",
    "equality",
]
