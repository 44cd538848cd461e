"""Operations dashboard: waits for doctors, beds, conveyance and police from the requests logged;
bed waits from application to admission; calls to find a doctor; police handovers; call-ins.

Each table is one query (two for the first), whatever the size of the period.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncMonth

from assessments import waits
from assessments.models import Assessment, CaseRequest, RequestKind
from dashboards.reports import Chart, Section, Table, _round
from dashboards.selectors import LONDON, Period, _duration_stats, _live_assessments, _received_in, percentile
from referrals import police
from referrals.models import Referral

CALL_BUCKETS = ["1", "2", "3", "4", "5 or more"]


def _hours_row(label: str, values: list[float], cases: int) -> list[Any]:
    return [label, cases, len(values), _round(percentile(values, 0.5)), _round(percentile(values, 0.9))]


def request_waits(*, service_id: Any, period: Period) -> list[list[Any]]:
    """Per request kind: cases with such a request, waits with a known end, median and p90 hours (one query).

    A case's wait for a kind runs from its first request to the first arrival (assessments.waits);
    waits with nothing arrived, and requests whose times were never recorded, have no duration.
    """
    rows = (
        CaseRequest.objects.filter(_received_in(period, "referral__"), service_id=service_id)
        .order_by()
        .values_list("referral_id", "kind", "requested_at", "outcome", "arrived_at", "times_known")
    )
    by_case: dict[Any, list[waits.RequestFact]] = defaultdict(list)
    for referral_id, kind, requested_at, outcome, arrived_at, known in rows:
        by_case[referral_id].append(waits.RequestFact(kind, requested_at, outcome, arrived_at, known))
    hours: dict[str, list[float]] = defaultdict(list)
    cases: dict[str, int] = defaultdict(int)
    for facts in by_case.values():
        for wait in waits.waits_by_kind(facts, now=period.ends_at, open_case=False):
            cases[wait.kind] += 1
            if wait.duration is not None:
                hours[wait.kind].append(wait.duration / timedelta(hours=1))
    return [_hours_row(str(kind.label), hours[kind.value], cases[kind.value]) for kind in RequestKind]


def doctor_calls(*, service_id: Any, period: Period) -> tuple[list[list[Any]], float | None]:
    """How many calls it took to find the doctors, per assessment: a distribution and the mean (one query)."""
    counts = list(
        CaseRequest.objects.filter(
            _received_in(period, "referral__"), service_id=service_id, kind__in=waits.DOCTOR_KINDS
        )
        .values("referral_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("n", flat=True)
    )
    buckets = dict.fromkeys(CALL_BUCKETS, 0)
    for n in counts:
        buckets[CALL_BUCKETS[min(n, 5) - 1]] += 1
    mean = sum(counts) / len(counts) if counts else None
    return [[label, buckets[label]] for label in CALL_BUCKETS], mean


def police_handovers(*, service_id: Any, period: Period) -> tuple[list[list[Any]], int]:
    """Police handover at the place of safety: cases, median and p90 minutes, and how many met the target."""
    target = settings.POLICE_HANDOVER_TARGET_MINUTES
    minutes: list[float] = []
    met = 0
    rows = Referral.objects.filter(
        _received_in(period), service_id=service_id, police_arrived_at__isnull=False, police_handover_at__isnull=False
    ).values_list("police_arrived_at", "police_handover_at")
    for arrived, handed in rows:
        # The filter keeps only referrals with both times, so the duration is always known.
        duration = cast(timedelta, police.police_handover_duration(arrived, handed))
        minutes.append(duration / timedelta(minutes=1))
        met += bool(police.police_handover_within_target(duration, target_minutes=target))
    median, p90 = percentile(minutes, 0.5), percentile(minutes, 0.9)
    row = [
        "Police arrival to handover",
        len(minutes),
        _round(median),
        _round(p90),
        met,
        len(minutes) - met,
    ]
    return [row], target


def call_ins_by_month(*, service_id: Any, period: Period) -> list[list[Any]]:
    """Off-rota call-ins (an AMHP not on duty brought in) per month of allocation, UK time (one query)."""
    rows = (
        Assessment.objects.filter(
            service_id=service_id,
            called_in=True,
            allocated_at__gte=period.starts_at,
            allocated_at__lt=period.ends_at,
        )
        .annotate(month=TruncMonth("allocated_at", tzinfo=LONDON))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    found = {
        row["month"].date().replace(day=1) if isinstance(row["month"], datetime) else row["month"]: row["n"]
        for row in rows
    }
    months = []
    day = period.first.replace(day=1)
    while day <= period.last:
        months.append([day.strftime("%B %Y"), found.get(day, 0)])
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def operations_section(service_id: Any, period: Period, now: datetime) -> Section:
    wait_rows = request_waits(service_id=service_id, period=period)
    bed = _duration_stats(
        _live_assessments(service_id, period), {"bed": ("application_signed_at", "referral__admitted_at")}
    )["bed"]
    calls, mean_calls = doctor_calls(service_id=service_id, period=period)
    handovers, target = police_handovers(service_id=service_id, period=period)
    call_ins = call_ins_by_month(service_id=service_id, period=period)
    return Section(
        slug="operations",
        title="Doctors, beds, conveyance and police",
        summary="Waits worked out from the requests logged on each case, calls to find a doctor, police handovers "
        "and off-rota call-ins, for referrals received in the period.",
        figures=[
            ("Mean calls to find the doctors", f"{mean_calls:.1f}" if mean_calls is not None else "–"),
            ("Off-rota call-ins", str(sum(row[1] for row in call_ins))),
        ],
        tables=[
            Table(
                slug="request-waits",
                caption="Waits by kind, in hours, from the first request to the first arrival",
                columns=["Waiting for", "Cases", "Waits ended", "Median hours", "90th percentile hours"],
                rows=wait_rows,
                chart=Chart(
                    "bar",
                    "Bar chart of median and 90th percentile waits by kind. The table that follows gives the figures.",
                    [row[0] for row in wait_rows],
                    [
                        {"label": "Median hours", "data": [row[3] for row in wait_rows]},
                        {"label": "90th percentile hours", "data": [row[4] for row in wait_rows]},
                    ],
                    horizontal=True,
                ),
                note="Refused and unanswered calls do not end a wait; waits still running are not in the figures.",
            ),
            Table(
                slug="bed-waits-admission",
                caption="Hours from the application being signed to admission",
                columns=["Measure", "Applications", "Median hours", "90th percentile hours"],
                rows=[["Application to admission", bed.count, _round(bed.median), _round(bed.p90)]],
            ),
            Table(
                slug="doctor-calls",
                caption="Calls made to find the doctors, per case",
                columns=["Calls", "Cases"],
                rows=calls,
                chart=Chart(
                    "bar",
                    "Bar chart of cases by the number of calls made to find the doctors. The table that follows "
                    "gives the figures.",
                    [row[0] for row in calls],
                    [{"label": "Cases", "data": [row[1] for row in calls]}],
                ),
            ),
            Table(
                slug="police-handovers",
                caption=f"Police handover at the place of safety, in minutes (local target {target} minutes)",
                columns=[
                    "Measure",
                    "Cases",
                    "Median minutes",
                    "90th percentile minutes",
                    "Within target",
                    "Over target",
                ],
                rows=handovers,
            ),
            Table(
                slug="call-ins",
                caption="Off-rota call-ins by month",
                columns=["Month", "Call-ins"],
                rows=call_ins,
                chart=Chart(
                    "bar",
                    "Bar chart of off-rota call-ins by month. The table that follows gives the figures.",
                    [row[0] for row in call_ins],
                    [{"label": "Call-ins", "data": [row[1] for row in call_ins]}],
                ),
            ),
        ],
    )
