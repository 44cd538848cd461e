"""Daily roll-ups of the dashboard measures, so a dashboard reads days, not referrals.

Each closed Europe/London day of a service is folded into RollupCell rows (one per measure
and key) by `refresh_rollups`, a Celery job that rebuilds whole days set-based: the counts
come from GROUP BY queries over the raw rows (or, where a rule in Python decides, one pass
over that day's rows), and a day's cells are deleted and written again in one transaction,
so running it twice, or in two workers at once, leaves the same cells (the unique
constraint `rollup_one_cell` stops any doubling).

A read (`Rollup.cells`, `Rollup.totals`) takes the folded days from the cells and works out
live, from the raw rows, every day the cells cannot vouch for: today (and any day after the
last run), and any day one of whose rows changed since the last run (the services stamp
`updated_at` on every write, which is how a write reaches the roll-up before the next run).
So the figures always equal the raw aggregate; the roll-up only makes them cheap.

Days are local days: a referral received at 00:30 BST on 30 March 2026 (23:30 UTC on the
29th) belongs to 30 March, as it does on the raw dashboards. Most measures count by the day
the referral was received; those in ALLOCATED_MEASURES by the day the assessment was
allocated (arranged), and `toil` by the day the work was done, as their dashboards do.

Percentiles do not add up over days, so the wait measures keep a histogram: each day's count
of waits of each whole number of minutes (seconds, for police handovers), merged over the
period and read with percentile_cont's interpolation (`histogram_percentile`). People are
counted once however many days they were assessed on: a person's day cell carries the gap in
days to their previous day, so a period counts only their first day in it (`distinct_people`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Collate, ExtractHour, Substr, TruncDate

from amhp_hub.common.zone import LONDON
from assessments import waits
from assessments.jobs import exclusive_run
from assessments.models import (
    DETENTION_OUTCOMES,
    LIVE_ASSESSMENT_STATUSES,
    Assessment,
    AssessmentStatus,
    CaseRequest,
    SweepMark,
    ToilEntry,
)
from dashboards.models import RollupCell
from planning.demand import after_5pm_seconds, spread_by_hour
from referrals import police
from referrals.constants import OPEN_STATUSES, Status
from referrals.models import PersonHistory, Referral

# The mark's name carries the measures' version: bump it when MEASURES or their counting change,
# and the next run finds no mark and rebuilds every day.
JOB = "dashboard_rollup:3"
RECEIVED_MEASURES = (
    "arrival_hour",  # referrals received, by local hour "0".."23"
    "legal_status",  # referrals received, by legal status
    "outcome",  # completed live assessments, by outcome
    "delay_reason",  # their delay reasons
    "work_seconds",  # seconds of live assessments' work, "total" and "after_5pm" (planning.demand)
    "work_hour",  # microseconds of all assessments' work by local hour "0".."23" (planning.demand)
    "wait_allocation",  # histogram: minutes from referral to allocation (and "_h": by hour, see minutes_key)
    "wait_seen",  # histogram: minutes from referral to the person seen
    "bed_found",  # histogram: minutes from application signed to bed found
    "bed_admission",  # histogram: minutes from application signed to admission
    "breach",  # "<legal status>:clocked|held_late|open_past" and "<legal status>:due:<expiry µs>"
    "people",  # people assessed (completed): "<their previous day, ISO; 0000-00-00 for none>:<ethnic code>"
    "detained",  # people detained, the same way
    "request_cases",  # cases with a request of a kind, by kind
    "request_wait",  # histogram: "<kind>:<minutes>" of each ended wait (assessments.waits), and by hour
    "doctor_calls",  # cases by calls made to find the doctors "1".."5 or more", and "calls" in all
    "handover",  # histogram: seconds from police arrival to handover ("<s>+" when not whole)
)
ALLOCATED_MEASURES = (
    "arranged",  # live assessments allocated: "arranged", "attended", "completed"
    "arranged_outcome",  # of them completed, by outcome
    "call_in",  # off-rota call-ins, by the month of the day "YYYY-MM"
    "late_work",  # live assessments allocated, per AMHP: "<amhp>:n|past_shift|after_hours"
)
WORKED_MEASURES = ("toil",)  # TOIL accrued by the day worked, per AMHP: "<staff>:approved|pending" (minutes)
MINUTE_HISTOGRAMS = ("wait_allocation", "wait_seen", "bed_found", "bed_admission", "request_wait")
# Each minute histogram has a twin by whole hours ("<measure>_h"), so a percentile reads the hours of the
# period, then only the minutes of the hours it falls in.
HOUR_HISTOGRAMS = tuple(f"{measure}_h" for measure in MINUTE_HISTOGRAMS)
MEASURES = (*RECEIVED_MEASURES, *HOUR_HISTOGRAMS, *ALLOCATED_MEASURES, *WORKED_MEASURES)
_OFFSET = 10**8  # minutes (or hours) are keyed as 9 digits after adding this, so keys sort as numbers do
NO_PREVIOUS_DAY = "0000-00-00"
LIST_PEOPLE_UP_TO_DAYS = 31
# A write that committed late may carry an updated_at a little before the run that missed it.
OVERLAP = timedelta(minutes=5)
CALL_BUCKETS = ["1", "2", "3", "4", "5 or more"]
WORKING_DAY_STARTS = 8  # work ending before 8am local counts as late working too
_MINUTE = timedelta(minutes=1)
_MICROSECONDS_AN_HOUR = 3_600_000_000

Cell = tuple[date, str, str, int]  # (day, measure, key, count)


def _local_day(at: datetime) -> date:
    return at.astimezone(LONDON).date()


def _day_range(first: date, last: date, field_name: str = "received_at") -> Q:
    """Rows whose FIELD_NAME falls on local days FIRST..LAST inclusive, as an index range."""
    start = datetime.combine(first, time(0), tzinfo=LONDON)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=LONDON)
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive runs of DAYS as (first, last) pairs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _in_runs(runs: list[tuple[date, date]], field_name: str = "received_at") -> Q:
    q = Q(pk__in=[])
    for first, last in runs:
        q |= _day_range(first, last, field_name)
    return q


def _of_received(service_id: Any, runs: list[tuple[date, date]]) -> Q:
    """Rows of the service's referrals received on the local day RUNS, for a model with a `referral`.

    The referral's own service is named, so its (service, received) index gives the day range; the
    row's service alone leaves that index scanned whole for a few days.
    """
    return _in_runs(runs, "referral__received_at") & Q(referral__service_id=service_id)


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
    return [(_as_date(day), str(v), n) for day, v, n in rows]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


class _FloorMinutes(Func):
    """Whole minutes of an interval, rounded down (PostgreSQL)."""

    template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s) / 60.0)"
    output_field = FloatField()


def _minutes_histogram(queryset: QuerySet[Any], start: str, end: str) -> list[tuple[date, int, int]]:
    """(day, whole minutes of END - START rounded down, count) over QUERYSET's rows with both set, in one query."""
    both = queryset.filter(**{f"{start}__isnull": False, f"{end}__isnull": False})
    if connection.vendor == "postgresql":
        span = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
        rows = both.values("day", minutes=_FloorMinutes(span)).annotate(n=Count("pk")).order_by()
        return [(_as_date(r["day"]), int(r["minutes"]), r["n"]) for r in rows]
    counts: Counter[tuple[date, int]] = Counter()
    for day, a, b in both.values_list("day", start, end).iterator(chunk_size=5000):
        counts[(_as_date(day), (b - a) // _MINUTE)] += 1
    return [(day, minutes, n) for (day, minutes), n in counts.items()]


def minutes_key(value: int) -> str:
    """A whole number of minutes (or hours) as a key that sorts as the numbers do."""
    return f"{value + _OFFSET:09d}"


def _minute_cells(measure: str, found: Iterable[tuple[date, str, int, int]]) -> list[Cell]:
    """Cells of a minute histogram and its twin by hours from (day, key prefix, minutes, count)."""
    minutes: Counter[tuple[date, str]] = Counter()
    hours: Counter[tuple[date, str]] = Counter()
    for d, prefix, value, n in found:
        minutes[(d, prefix + minutes_key(value))] += n
        hours[(d, prefix + minutes_key(value // 60))] += n
    return [(d, measure, key, n) for (d, key), n in minutes.items()] + [
        (d, f"{measure}_h", key, n) for (d, key), n in hours.items()
    ]


def _received(service_id: Any, received: list[tuple[date, date]]) -> QuerySet[Referral]:
    return Referral.objects.filter(_in_runs(received), service_id=service_id)


def _live_of_received(service_id: Any, received: list[tuple[date, date]]) -> QuerySet[Any]:
    """The live (not declined) assessment of each referral received on those days, with the referral's `day`."""
    return Assessment.objects.filter(
        _of_received(service_id, received), service_id=service_id, status__in=LIVE_ASSESSMENT_STATUSES
    ).annotate(day=TruncDate("referral__received_at", tzinfo=LONDON))


def raw_cells(
    service_id: Any,
    received: list[tuple[date, date]],
    measures: Iterable[str] = MEASURES,
    *,
    now: datetime | None = None,
) -> list[Cell]:
    """The cells of MEASURES counted from the raw rows of the local day runs RECEIVED (received, allocated or
    worked on those days, as each measure counts). NOW is when the breach measure asks which limits have passed.

    One query a measure (people and detained: one, or two for a few days).
    """
    measures = set(measures)
    cells: list[Cell] = []
    if not received:
        return cells
    now = now or datetime.now(UTC)
    referrals = _received(service_id, received).exclude(status=Status.DRAFT)
    day = TruncDate("received_at", tzinfo=LONDON)
    if "arrival_hour" in measures:
        cells += [
            (row["day"], "arrival_hour", str(row["hour"]), row["n"])
            for row in referrals.values(day=day, hour=ExtractHour("received_at", tzinfo=LONDON))
            .annotate(n=Count("pk"))
            .order_by()
        ]
    if "legal_status" in measures:
        cells += [
            (row["day"], "legal_status", row["legal_status"], row["n"])
            for row in referrals.values("legal_status", day=day).annotate(n=Count("pk")).order_by()
        ]
    live = _live_of_received(service_id, received)
    counted = live.exclude(referral__status=Status.DRAFT)
    if "outcome" in measures:
        completed = counted.filter(status=AssessmentStatus.COMPLETED).exclude(outcome="")
        cells += [
            (row["day"], "outcome", row["outcome"], row["n"])
            for row in completed.values("day", "outcome").annotate(n=Count("pk")).order_by()
        ]
    if "delay_reason" in measures:
        cells += [(d, "delay_reason", key, n) for d, key, n in _json_items_by_day(counted, "delay_reasons")]
    if measures & {"work_seconds", "work_hour"}:
        cells += [cell for cell in _work_cells(service_id, received) if cell[1] in measures]
    for measure, start, end in (
        ("wait_allocation", "referral__received_at", "allocated_at"),
        ("wait_seen", "referral__received_at", "seen_at"),
        ("bed_found", "application_signed_at", "bed_found_at"),
        ("bed_admission", "application_signed_at", "referral__admitted_at"),
    ):
        if measure in measures or f"{measure}_h" in measures:
            cells += _minute_cells(
                measure, [(d, "", minutes, n) for d, minutes, n in _minutes_histogram(live, start, end)]
            )
    if "breach" in measures:
        cells += _breach_cells(referrals, now)
    if "people" in measures or "detained" in measures:
        cells += [cell for cell in _people_cells(service_id, received) if cell[1] in measures]
    if measures & {"request_cases", "request_wait", "request_wait_h", "doctor_calls"}:
        cells += [cell for cell in _request_cells(service_id, received) if cell[1] in measures]
    if "handover" in measures:
        cells += _handover_cells(service_id, received)
    cells += _allocated_cells(service_id, received, measures)
    if "toil" in measures:
        cells += _toil_cells(service_id, received)
    return cells


def _work_cells(service_id: Any, received: list[tuple[date, date]]) -> list[Cell]:
    """The work measures of referrals received those days, from their assessments' work times (one query).

    work_seconds: seconds of the live assessments' work, and those after 5pm; work_hour: microseconds of every
    assessment's work by local hour of day, as planning.selectors.assessment_demand counts them. Both rules are
    planning.demand's.
    """
    seconds: Counter[tuple[date, str]] = Counter()
    by_day: dict[date, list[float]] = {}
    live = set(LIVE_ASSESSMENT_STATUSES)
    intervals = (
        Assessment.objects.filter(
            _of_received(service_id, received),
            service_id=service_id,
            work_started_at__isnull=False,
            work_ended_at__isnull=False,
        )
        .annotate(day=TruncDate("referral__received_at", tzinfo=LONDON))
        .values_list("day", "work_started_at", "work_ended_at", "status", "referral__status")
    )
    for day, started, ended, status, referral_status in intervals.iterator(chunk_size=5000):
        # The filter keeps only rows with both work times set.
        d, start, end = _as_date(day), cast(datetime, started), cast(datetime, ended)
        if status in live and referral_status != Status.DRAFT:
            total, after = after_5pm_seconds(start, end)
            seconds[(d, "total")] += total
            seconds[(d, "after_5pm")] += after
        if end > start:
            spread_by_hour(start, end, by_day.setdefault(d, [0.0] * 24))
    return [(d, "work_seconds", key, n) for (d, key), n in seconds.items()] + [
        (d, "work_hour", str(hour), round(hours * _MICROSECONDS_AN_HOUR))
        for d, totals in by_day.items()
        for hour, hours in enumerate(totals)
        if hours
    ]


def _breach_cells(referrals: QuerySet[Referral], now: datetime) -> list[Cell]:
    """Statutory breaches as the law sees them, by day and legal status (one query).

    The SQL twin of referrals.clocks.held_past_expiry: the person's holding ended with the
    application if one was made, else when the assessment concluded; a breach is that moment at
    or after the expiry, or, with neither, the referral still open once the expiry has passed.
    A referral still open, not ended, whose expiry is after NOW is kept with its expiry
    ("<status>:due:<µs since 1970>"), so a later read counts it once its limit has passed.
    """
    live = Assessment.objects.filter(referral=OuterRef("pk"), status__in=LIVE_ASSESSMENT_STATUSES)
    application = live.filter(application_signed_at__isnull=False).values("application_signed_at")[:1]
    released = live.filter(status=AssessmentStatus.COMPLETED).values("completed_at")[:1]
    clocked = referrals.filter(statutory_expires_at__isnull=False).annotate(
        ended=Coalesce(Subquery(application), Subquery(released)),
        day=TruncDate("received_at", tzinfo=LONDON),
    )
    cells: list[Cell] = []
    for row in (
        clocked.values("day", "legal_status")
        .annotate(
            clocked=Count("pk"),
            held_late=Count("pk", filter=Q(ended__gte=F("statutory_expires_at"))),
            open_past=Count(
                "pk", filter=Q(ended__isnull=True, status__in=OPEN_STATUSES, statutory_expires_at__lte=now)
            ),
        )
        .order_by()
    ):
        for what in ("clocked", "held_late", "open_past"):
            if row[what]:
                cells.append((row["day"], "breach", f"{row['legal_status']}:{what}", row[what]))
    due = clocked.filter(ended__isnull=True, status__in=OPEN_STATUSES, statutory_expires_at__gt=now)
    pending = due.values("day", "legal_status", "statutory_expires_at").annotate(n=Count("pk")).order_by()
    for d, status, expires, n in pending.values_list("day", "legal_status", "statutory_expires_at", "n"):
        micros = (cast(datetime, expires) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        cells.append((d, "breach", f"{status}:due:{micros}", n))
    return cells


def breach_counts(totals: Mapping[tuple[str, str], int], now: datetime) -> dict[str, dict[str, int]]:
    """{legal status: {"clocked", "held_late", "open_past"}} from summed breach cells, read at NOW."""
    found: dict[str, dict[str, int]] = {}
    for (measure, key), n in totals.items():
        if measure != "breach" or not n:
            continue
        status, what, *rest = key.split(":")
        row = found.setdefault(status, {"clocked": 0, "held_late": 0, "open_past": 0})
        if what == "due":
            expires = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(rest[0]))
            row["open_past"] += n if expires <= now else 0
        else:
            row[what] += n
    return found


def _people_cells(service_id: Any, received: list[tuple[date, date]]) -> list[Cell]:
    """People assessed (a completed live assessment of a referral received that day) and detained, per day,
    keyed by ethnic code and the gap in days to the person's previous such day (2 queries).

    Each person counts once a day; their earlier days are read however far back they go.
    """
    completed = Assessment.objects.filter(service_id=service_id, status__in=LIVE_ASSESSMENT_STATUSES).filter(
        status=AssessmentStatus.COMPLETED
    )
    here = completed.filter(_of_received(service_id, received)).values("referral__person_id")
    if sum((last - first).days + 1 for first, last in received) <= LIST_PEOPLE_UP_TO_DAYS:
        # A few days (today, the days changed): their people by id, so their earlier days come by index.
        people: Any = list(here.distinct().order_by().values_list("referral__person_id", flat=True))
    else:
        people = Subquery(here)
    rows = (
        completed.filter(referral__person_id__in=people)
        .annotate(day=TruncDate("referral__received_at", tzinfo=LONDON))
        .values_list("referral__person_id", "referral__person__ethnicity", "day", "outcome")
        .order_by()
    )
    assessed: dict[Any, set[date]] = defaultdict(set)
    detained: dict[Any, set[date]] = defaultdict(set)
    codes: dict[Any, str] = {}
    for person, code, d, outcome in rows.iterator(chunk_size=5000):
        codes[person] = code
        assessed[person].add(_as_date(d))
        if outcome in DETENTION_OUTCOMES:
            detained[person].add(_as_date(d))
    wanted = [(first, last) for first, last in received]
    counts: Counter[tuple[date, str, str]] = Counter()
    for measure, days_of in (("people", assessed), ("detained", detained)):
        for person, days in days_of.items():
            previous: date | None = None
            for d in sorted(days):
                if any(first <= d <= last for first, last in wanted):
                    before = NO_PREVIOUS_DAY if previous is None else previous.isoformat()
                    counts[(d, measure, f"{before}:{codes[person]}")] += 1
                previous = d
    return [(d, measure, key, n) for (d, measure, key), n in counts.items()]


def distinct_people(rollup: Rollup, first: date, last: date) -> dict[str, tuple[int, int]]:
    """{ethnic code: (people assessed, people detained)} on local days FIRST..LAST: a person's day counts only
    when it is their first day in the period (their previous day, in the key, is before FIRST), summed in SQL."""
    before = first.isoformat()
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    index = {"people": 0, "detained": 1}
    for (measure, code), n in rollup.totals(
        first, last, ["people", "detained"], key_before=before, key_from=len(NO_PREVIOUS_DAY) + 2
    ).items():
        found[code][index[measure]] += n
    return {code: (assessed, detained) for code, (assessed, detained) in found.items()}


def _request_cells(service_id: Any, received: list[tuple[date, date]]) -> list[Cell]:
    """Per day and request kind: cases with such a request, and the whole minutes of each ended wait, as
    assessments.waits works them out on a closed case; and cases by the calls made to find the doctors, with
    the calls in all (one query)."""
    rows = (
        CaseRequest.objects.filter(_of_received(service_id, received), service_id=service_id)
        .annotate(day=TruncDate("referral__received_at", tzinfo=LONDON))
        .order_by()
        .values_list("day", "referral_id", "kind", "requested_at", "outcome", "arrived_at", "times_known")
    )
    by_case: dict[Any, list[waits.RequestFact]] = defaultdict(list)
    day_of: dict[Any, date] = {}
    for d, referral_id, kind, requested_at, outcome, arrived_at, known in rows.iterator(chunk_size=5000):
        day_of[referral_id] = _as_date(d)
        by_case[referral_id].append(waits.RequestFact(kind, requested_at, outcome, arrived_at, known))
    counts: Counter[tuple[date, str, str]] = Counter()
    ended: list[tuple[date, str, int, int]] = []
    for referral_id, facts in by_case.items():
        d = day_of[referral_id]
        # A closed case: a wait with nothing arrived has no duration, so NOW plays no part.
        for wait in waits.waits_by_kind(facts, now=datetime.now(UTC), open_case=False):
            counts[(d, "request_cases", wait.kind)] += 1
            if wait.duration is not None:
                ended.append((d, f"{wait.kind}:", wait.duration // _MINUTE, 1))
        calls = sum(1 for fact in facts if fact.kind in waits.DOCTOR_KINDS)
        if calls:
            counts[(d, "doctor_calls", CALL_BUCKETS[min(calls, 5) - 1])] += 1
            counts[(d, "doctor_calls", "calls")] += calls
    return [(d, measure, key, n) for (d, measure, key), n in counts.items()] + _minute_cells("request_wait", ended)


def _handover_cells(service_id: Any, received: list[tuple[date, date]]) -> list[Cell]:
    """Police arrival to handover at the place of safety: whole seconds of each (referrals.police), per day,
    with a "+" when a fraction of a second was cut off (one query)."""
    rows = (
        Referral.objects.filter(
            _in_runs(received), service_id=service_id, police_arrived_at__isnull=False, police_handover_at__isnull=False
        )
        .annotate(day=TruncDate("received_at", tzinfo=LONDON))
        .values_list("day", "police_arrived_at", "police_handover_at")
    )
    counts: Counter[tuple[date, str]] = Counter()
    for d, arrived, handed in rows.iterator(chunk_size=5000):
        # The filter keeps only referrals with both times, so the duration is always known.
        duration = cast(timedelta, police.police_handover_duration(arrived, handed))
        seconds = duration // timedelta(seconds=1)
        exact = duration == timedelta(seconds=seconds)
        counts[(_as_date(d), str(seconds) if exact else f"{seconds}+")] += 1
    return [(d, "handover", key, n) for (d, key), n in counts.items()]


def handover_duration(key: str) -> timedelta:
    """The shortest duration a handover cell's key stands for: its seconds, and a microsecond more with a "+"."""
    if key.endswith("+"):
        return timedelta(seconds=int(key[:-1]), microseconds=1)
    return timedelta(seconds=int(key))


def _allocated_cells(service_id: Any, days: list[tuple[date, date]], measures: set[str]) -> list[Cell]:
    """Cells of the measures that count assessments by the local day they were allocated (one query each)."""
    cells: list[Cell] = []
    allocated = Assessment.objects.filter(_in_runs(days, "allocated_at"), service_id=service_id).annotate(
        day=TruncDate("allocated_at", tzinfo=LONDON)
    )
    arranged = allocated.filter(status__in=LIVE_ASSESSMENT_STATUSES)
    if "arranged" in measures:
        for row in (
            arranged.values("day")
            .annotate(
                arranged=Count("pk"),
                attended=Count("pk", filter=Q(seen_at__isnull=False)),
                completed=Count("pk", filter=Q(status=AssessmentStatus.COMPLETED)),
            )
            .order_by()
        ):
            cells += [(row["day"], "arranged", key, row[key]) for key in ("arranged", "attended", "completed")]
    if "arranged_outcome" in measures:
        cells += [
            (row["day"], "arranged_outcome", row["outcome"], row["n"])
            for row in arranged.filter(status=AssessmentStatus.COMPLETED)
            .exclude(outcome="")
            .values("day", "outcome")
            .annotate(n=Count("pk"))
            .order_by()
        ]
    if "call_in" in measures:
        cells += [
            (row["day"], "call_in", f"{row['day']:%Y-%m}", row["n"])
            for row in allocated.filter(called_in=True).values("day").annotate(n=Count("pk")).order_by()
        ]
    if "late_work" in measures:
        ended = Coalesce("work_ended_at", "completed_at")
        late_hours = Q(ended_hour__gte=17) | Q(ended_hour__lt=WORKING_DAY_STARTS)
        for late in (
            arranged.alias(ended=ended, ended_hour=ExtractHour(ended, tzinfo=LONDON))
            .values("day", "amhp_id")
            .annotate(
                n=Count("pk"),
                past_shift=Count("pk", filter=Q(shift_ends_at__isnull=False, ended__gt=F("shift_ends_at"))),
                after_hours=Count("pk", filter=late_hours),
            )
            .order_by()
        ):
            cells += [
                (late["day"], "late_work", f"{late['amhp_id']}:{key}", late[key])
                for key in ("n", "past_shift", "after_hours")
                if late[key]
            ]
    return cells


def _toil_cells(service_id: Any, days: list[tuple[date, date]]) -> list[Cell]:
    """Minutes of TOIL accrued per AMHP by the local day the work was done, approved and pending (one query)."""
    worked = Coalesce("worked_from", "created_at")
    rows = (
        ToilEntry.objects.filter(service_id=service_id, kind=ToilEntry.Kind.ACCRUAL)
        .alias(worked=worked)
        .filter(_in_runs(days, "worked"))
        .values("staff_id", day=TruncDate(worked, tzinfo=LONDON))
        .annotate(
            approved=Sum("minutes", filter=Q(status=ToilEntry.Status.APPROVED), default=0),
            pending=Sum("minutes", filter=Q(status=ToilEntry.Status.PENDING), default=0),
        )
        .order_by()
    )
    return [
        (row["day"], "toil", f"{row['staff_id']}:{key}", row[key])
        for row in rows
        for key in ("approved", "pending")
        if row[key]
    ]


# The kinds of write `_changed_days` finds, and the measures whose cells each can change: a TOIL entry booked
# or decided changes only the TOIL cells of its day, so a sweep that books thousands leaves the waits folded.
REQUEST_MEASURES = ("request_cases", "request_wait", "request_wait_h", "doctor_calls")


def _changes_of(measure: str) -> tuple[str, ...]:
    """The kinds of change (keys of `_changed_days`) that can alter MEASURE's cells."""
    if measure in WORKED_MEASURES:
        return ("toil",)
    if measure in ALLOCATED_MEASURES:
        return ("allocated",)
    if measure in REQUEST_MEASURES:
        return ("received", "requests")
    return ("received",)


def _changed_days(service_id: Any, since: datetime) -> dict[str, set[date]]:
    """Local days whose cells a write since SINCE may have changed, by kind of change (at most 3 queries):
    "received", every received day of a person whose details, referral or assessment changed (a person's days
    chain, for counting people once); "allocated", the allocated days of the assessments changed; "requests",
    the received days of the requests changed; and "toil", the worked days of TOIL booked or decided."""
    changed_assessments = Assessment.objects.filter(service_id=service_id, updated_at__gte=since)
    persons = (
        Referral.objects.filter(service_id=service_id, updated_at__gte=since)
        .order_by()
        .values_list("person_id")
        .union(
            changed_assessments.order_by().values_list("referral__person_id"),
            PersonHistory.objects.filter(person__service_id=service_id, changed_at__gte=since)
            .order_by()
            .values_list("person_id"),
        )
    )
    people = [person for (person,) in persons]
    found: dict[str, set[date]] = {"received": set(), "allocated": set(), "requests": set(), "toil": set()}
    if people:
        found["received"] = {
            _as_date(d)
            for d in Referral.objects.filter(service_id=service_id, person_id__in=people)
            .annotate(day=TruncDate("received_at", tzinfo=LONDON))
            .values_list("day", flat=True)
            .distinct()
            .order_by()
            if d is not None
        }
    kind = {"allocated": 1, "requests": 2, "toil": 3}
    allocated = (
        changed_assessments.annotate(day=TruncDate("allocated_at", tzinfo=LONDON), change=Value(kind["allocated"]))
        .order_by()
        .values_list("day", "change")
    )
    requested = (
        CaseRequest.objects.filter(service_id=service_id, updated_at__gte=since)
        .annotate(day=TruncDate("referral__received_at", tzinfo=LONDON), change=Value(kind["requests"]))
        .order_by()
        .values_list("day", "change")
    )
    booked = (
        ToilEntry.objects.filter(Q(created_at__gte=since) | Q(decided_at__gte=since), service_id=service_id)
        .annotate(day=TruncDate(Coalesce("worked_from", "created_at"), tzinfo=LONDON), change=Value(kind["toil"]))
        .order_by()
        .values_list("day", "change")
    )
    names = {number: name for name, number in kind.items()}
    for d, number in allocated.union(requested, booked):
        if d is not None:
            found[names[number]].add(_as_date(d))
    return found


def _all_days(changed: Mapping[str, set[date]]) -> set[date]:
    return set().union(*changed.values())


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
            days = set(_date_span(_local_day(earliest.received_at), today - timedelta(days=1))) if earliest else set()
        else:
            days = {d for d in _all_days(_changed_days(service_id, mark - OVERLAP)) if d < today}
            days |= set(_date_span(_local_day(mark), today - timedelta(days=1)))
        received = _runs(days)
        if received:
            for first, last in received:
                RollupCell.objects.filter(service_id=service_id, day__gte=first, day__lte=last).delete()
            RollupCell.objects.bulk_create(
                [
                    RollupCell(service_id=service_id, day=day, measure=measure, key=key, count=n)
                    for day, measure, key, n in raw_cells(service_id, received, now=now)
                    if day in days
                ],
                batch_size=5000,
                ignore_conflicts=True,
            )
        SweepMark.objects.update_or_create(
            job=JOB, scope=service_id, defaults={"swept_until": now, "full_swept_at": now}
        )
    return len(days)


def _by_measure(totals: Mapping[tuple[str, str], int]) -> dict[str, list[tuple[str, int]]]:
    """TOTALS' (key, count) pairs grouped by measure, so each histogram reads only its own."""
    out: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (measure, key), n in totals.items():
        out[measure].append((key, n))
    return out


def _bytewise(name: str) -> Any:
    """The text field NAME compared byte by byte, as Python compares the live cells' keys (`keep`).

    SQLite compares text that way already; on PostgreSQL the "C" collation does, and the index
    rollup_key_bytewise (migration 0005) holds the keys in that order, so each key range is a range scan.
    """
    return Collate(F(name), "C") if connection.vendor == "postgresql" else F(name)


def _date_span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass
class Rollup:
    """What a dashboard read may take from the roll-up for one service at NOW: worked out once per page."""

    service_id: Any
    now: datetime
    folded_before: date | None = None  # days before this were folded by the last run
    changed: dict[str, set[date]] = field(default_factory=dict)  # days written since the run, by kind of change
    _cache: dict[tuple[date, ...], tuple[frozenset[str], list[Cell]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        mark = SweepMark.objects.filter(job=JOB, scope=self.service_id).values_list("swept_until", flat=True).first()
        if mark is not None and mark <= self.now:
            self.folded_before = _local_day(mark)
            self.changed = _changed_days(self.service_id, mark - OVERLAP)

    @property
    def dirty(self) -> set[date]:
        """Every day a write since the last run may have changed, for any measure."""
        return _all_days(self.changed)

    def _split(self, first: date, last: date, measures: Iterable[str] = MEASURES) -> tuple[date, set[date]]:
        """The last folded day to read from the cells, and the days to count live for MEASURES: the days not
        folded yet, and the days a write since the run may have changed for one of them."""
        folded_last = min(last, self.folded_before - timedelta(days=1)) if self.folded_before else first - timedelta(1)
        kinds = {kind for measure in measures for kind in _changes_of(measure)}
        dirty = set().union(*(self.changed.get(kind, set()) for kind in kinds))
        live_days = {d for d in dirty if first <= d <= last} | set(
            _date_span(max(first, folded_last + timedelta(1)), last)
        )
        return folded_last, live_days

    def _live(self, live_days: set[date], measures: list[str]) -> list[Cell]:
        cells = raw_cells(self.service_id, _runs(live_days), measures, now=self.now)
        return [cell for cell in cells if cell[0] in live_days]

    def _folded(self, first: date, folded_last: date, live_days: set[date], measures: list[str]) -> QuerySet[Any]:
        return RollupCell.objects.filter(
            service_id=self.service_id, measure__in=measures, day__gte=first, day__lte=folded_last
        ).exclude(day__in=sorted(d for d in live_days if d <= folded_last))

    def cells(self, first: date, last: date, measures: Iterable[str] = MEASURES) -> list[Cell]:
        """Cells of MEASURES for local days FIRST..LAST: folded days from RollupCell, the others live from raw rows."""
        measures = list(measures)
        folded_last, live_days = self._split(first, last, measures)
        out: list[Cell] = []
        if folded_last >= first:
            out = list(
                self._folded(first, folded_last, live_days, measures).values_list("day", "measure", "key", "count")
            )
        return out + self._live_cached(live_days, measures)

    def totals(
        self,
        first: date,
        last: date,
        measures: Iterable[str] = MEASURES,
        *,
        key_ranges: list[tuple[str, str, str]] | None = None,
        key_before: str | None = None,
        key_from: int = 1,
    ) -> Counter[tuple[str, str]]:
        """{(measure, key): count} of MEASURES over local days FIRST..LAST, the folded days summed in SQL.

        KEY_RANGES keeps only keys from..to (exclusive) of a measure: (measure, from, to); KEY_BEFORE only keys
        sorting before it; KEY_FROM sums by the key from that character on (1: the whole key).
        """
        measures = list(measures)
        folded_last, live_days = self._split(first, last, measures)
        # One range scan per key range (rollup_key_bytewise), summed apart and joined by UNION ALL: an OR of
        # the ranges is planned as one scan of the whole period filtered row by row. Overlapping ranges (two
        # quantiles in one hour) are read once.
        ranges = sorted(set(key_ranges)) if key_ranges is not None else None
        wanted = [Q(bkey__lt=key_before)] if key_before is not None else [Q()]
        if ranges is not None:
            wanted = [Q(measure=measure, bkey__gte=low, bkey__lt=high) & wanted[0] for measure, low, high in ranges]

        def keep(measure: str, key: str) -> bool:
            in_range = ranges is None or any(m == measure and lo <= key < hi for m, lo, hi in ranges)
            return in_range and (key_before is None or key < key_before)

        out: Counter[tuple[str, str]] = Counter()
        if folded_last >= first and wanted:
            folded = self._folded(first, folded_last, live_days, measures).alias(bkey=_bytewise("key"))
            sums = [
                folded.filter(q)
                .values("measure", part=Substr("key", key_from))
                .annotate(n=Sum("count"))
                .order_by()
                .values_list("measure", "part", "n")
                for q in wanted
            ]
            for measure, key, n in sums[0].union(*sums[1:], all=True) if len(sums) > 1 else sums[0]:
                out[(measure, key)] += n
        for _, measure, key, n in self._live_cached(live_days, measures):
            if keep(measure, key):
                out[(measure, key[key_from - 1 :])] += n
        return out

    def _live_cached(self, live_days: set[date], measures: list[str]) -> list[Cell]:
        """The live cells, worked out once a read for each set of days (a page asks for several measures, and a
        percentile asks twice): from what `prime` or an earlier call counted, when it holds every measure asked."""
        days = tuple(sorted(live_days))
        held, cells = self._cache.get(days, (frozenset(), []))
        if not set(measures) <= held:
            held, cells = frozenset(measures), self._live(live_days, measures)
            self._cache[days] = (held, cells)
        return [cell for cell in cells if cell[1] in measures]

    def prime(self, first: date, last: date, measures: Iterable[str]) -> None:
        """Count the live days of FIRST..LAST for all MEASURES at once, for the reads that follow."""
        measures = sorted(set(measures))
        self._live_cached(self._split(first, last, measures)[1], measures)

    def minute_stats(
        self, first: date, last: date, histograms: list[tuple[str, str]], quantiles: tuple[float, ...] = (0.5, 0.9)
    ) -> dict[tuple[str, str], tuple[int, list[float | None]]]:
        """Count and QUANTILES (in minutes, interpolated as percentile_cont does) of each minute histogram
        (measure, key prefix) in HISTOGRAMS over FIRST..LAST: exact to the minute (2 queries and the live days').

        The hours twin gives the count and the hours the wanted ranks fall in; then only those hours' minutes
        are read.
        """
        fine = sorted({m for m, _ in histograms})
        self.prime(first, last, [*fine, *(f"{m}_h" for m in fine)])
        hours = self.totals(first, last, [f"{m}_h" for m in fine])
        plans: dict[tuple[str, str], tuple[int, list[tuple[float, int, int]]]] = {}
        ranges: list[tuple[str, str, str]] = []
        before_hour: dict[tuple[str, str, str], int] = {}
        hours_of = _by_measure(hours)
        for measure, prefix in histograms:
            bins = sorted(
                (key[len(prefix) :], n) for key, n in hours_of.get(f"{measure}_h", ()) if key.startswith(prefix)
            )
            total = sum(n for _, n in bins)
            wanted: list[tuple[float, int, int]] = []  # (position, lower rank, upper rank)
            for q in quantiles:
                position = q * (total - 1)
                wanted.append((position, int(position), min(int(position) + 1, total - 1)))
            plans[(measure, prefix)] = (total, wanted)
            ranks = {r for _, lo, hi in wanted for r in (lo, hi)} if total else set()
            seen = 0
            for hour, n in bins:
                if any(seen <= r < seen + n for r in ranks):
                    start = (int(hour) - _OFFSET) * 60
                    ranges.append((measure, prefix + minutes_key(start), prefix + minutes_key(start + 60)))
                    before_hour[(measure, prefix, hour)] = seen
                seen += n
        minutes = self.totals(first, last, fine, key_ranges=ranges) if ranges else Counter()
        minutes_of = _by_measure(minutes)
        out: dict[tuple[str, str], tuple[int, list[float | None]]] = {}
        for (measure, prefix), (total, wanted) in plans.items():
            values: dict[int, int] = {}  # rank -> minutes, for the ranks wanted
            ordered = sorted({r for _, lo, hi in wanted for r in (lo, hi)}) if total else []
            found = sorted(
                (int(key[len(prefix) :]) - _OFFSET, n)
                for key, n in minutes_of.get(measure, ())
                if key.startswith(prefix)
            )
            by_hour: dict[str, list[tuple[int, int]]] = defaultdict(list)
            for value, n in found:
                by_hour[minutes_key(value // 60)].append((value, n))
            starts = {h: start for (m, p, h), start in before_hour.items() if (m, p) == (measure, prefix)}
            for rank in ordered:
                for hour, start in starts.items():
                    for value, n in by_hour.get(hour, []):
                        if start <= rank < start + n:
                            values[rank] = value
                            break
                        start += n
                    if rank in values:
                        break
            out[(measure, prefix)] = (
                total,
                [
                    values[lo] + (values[hi] - values[lo]) * (position - lo) if total else None
                    for position, lo, hi in wanted
                ],
            )
        return out


def histogram(totals: Mapping[tuple[str, str], int], measure: str, prefix: str = "") -> dict[float, int]:
    """{value: count} of a histogram MEASURE's summed cells (keys PREFIX + value), values as numbers."""
    found: dict[float, int] = {}
    for (m, key), n in totals.items():
        if m == measure and key.startswith(prefix) and n:
            value = float(key[len(prefix) :].rstrip("+"))
            found[value] = found.get(value, 0) + n
    return found


def histogram_percentile(counts: Mapping[float, int], q: float) -> float | None:
    """The Q-th percentile of the values COUNTS holds (value: how many), by linear interpolation as
    percentile_cont does over the values listed one by one; None if there are none."""
    total = sum(counts.values())
    if not total:
        return None
    position = q * (total - 1)
    lower_rank, upper_rank = int(position), min(int(position) + 1, total - 1)
    lower = upper = None
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if lower is None and seen > lower_rank:
            lower = value
        if seen > upper_rank:
            upper = value
            break
    assert lower is not None and upper is not None
    return lower + (upper - lower) * (position - lower_rank)
