"""Operations dashboard: waits for doctors, beds, conveyance and police from the requests logged;
bed waits from application to admission; calls to find a doctor; police handovers; call-ins.

The figures come from the daily roll-up (dashboards.rollups): a fixed number of queries, whatever the
size of the period.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from assessments.models import RequestKind
from dashboards.reports import Chart, Section, Table, _round
from dashboards.rollups import CALL_BUCKETS, Rollup, handover_duration, histogram_percentile
from dashboards.selectors import WAITS_RESOLUTION, DurationStats, Period, minutes_stats
from referrals import police


def _hours_row(label: str, stats: DurationStats, cases: int) -> list[Any]:
    return [label, cases, stats.count, _round(stats.median), _round(stats.p90)]


def request_waits(
    *,
    service_id: Any,
    period: Period,
    totals: Mapping[tuple[str, str], int] | None = None,
    rollup: Rollup | None = None,
    stats: Mapping[tuple[str, str], DurationStats] | None = None,
) -> list[list[Any]]:
    """Per request kind: cases with such a request, waits with a known end, median and p90 hours.

    A case's wait for a kind runs from its first request to the first arrival (assessments.waits);
    waits with nothing arrived, and requests whose times were never recorded, have no duration.
    The roll-up keeps each ended wait in whole minutes.
    """
    rollup = rollup or Rollup(service_id, timezone.now())
    totals = _totals(service_id, period, rollup) if totals is None else totals
    if stats is None:
        stats = minutes_stats(rollup, period, REQUEST_HISTOGRAMS)
    return [
        _hours_row(
            str(kind.label), stats[("request_wait", f"{kind.value}:")], totals.get(("request_cases", kind.value), 0)
        )
        for kind in RequestKind
    ]


def doctor_calls(
    *, service_id: Any, period: Period, totals: Mapping[tuple[str, str], int] | None = None
) -> tuple[list[list[Any]], float | None]:
    """How many calls it took to find the doctors, per assessment: a distribution and the mean."""
    totals = _totals(service_id, period) if totals is None else totals
    buckets = {label: totals.get(("doctor_calls", label), 0) for label in CALL_BUCKETS}
    cases = sum(buckets.values())
    mean = totals.get(("doctor_calls", "calls"), 0) / cases if cases else None
    return [[label, buckets[label]] for label in CALL_BUCKETS], mean


def police_handovers(
    *, service_id: Any, period: Period, totals: Mapping[tuple[str, str], int] | None = None
) -> tuple[list[list[Any]], int]:
    """Police handover at the place of safety: cases, median and p90 minutes, and how many met the target.

    The roll-up keeps each handover in whole seconds (and whether a fraction was cut off, so the target is
    judged on the exact time by referrals.police).
    """
    totals = _totals(service_id, period) if totals is None else totals
    target = settings.POLICE_HANDOVER_TARGET_MINUTES
    seconds: dict[float, int] = {}
    met = 0
    for (measure, key), n in totals.items():
        if measure != "handover" or not n:
            continue
        value = float(key.rstrip("+"))
        seconds[value] = seconds.get(value, 0) + n
        met += n if police.police_handover_within_target(handover_duration(key), target_minutes=target) else 0
    cases = sum(seconds.values())
    median, p90 = histogram_percentile(seconds, 0.5), histogram_percentile(seconds, 0.9)
    row = [
        "Police arrival to handover",
        cases,
        _round(None if median is None else median / 60),
        _round(None if p90 is None else p90 / 60),
        met,
        cases - met,
    ]
    return [row], target


def call_ins_by_month(
    *, service_id: Any, period: Period, totals: Mapping[tuple[str, str], int] | None = None
) -> list[list[Any]]:
    """Off-rota call-ins (an AMHP not on duty brought in) per month of allocation, UK time."""
    totals = _totals(service_id, period) if totals is None else totals
    months = []
    day = period.first.replace(day=1)
    while day <= period.last:
        months.append([day.strftime("%B %Y"), totals.get(("call_in", f"{day:%Y-%m}"), 0)])
        day = (day + timedelta(days=32)).replace(day=1)
    return months


REQUEST_HISTOGRAMS = [("request_wait", f"{kind.value}:") for kind in RequestKind]
OPERATIONS_MEASURES = ["request_cases", "doctor_calls", "handover", "call_in"]


def _totals(service_id: Any, period: Period, rollup: Rollup | None = None) -> Counter[tuple[str, str]]:
    rollup = rollup or Rollup(service_id, timezone.now())
    return rollup.totals(period.first, period.last, OPERATIONS_MEASURES)


def operations_section(service_id: Any, period: Period, now: datetime) -> Section:
    rollup = Rollup(service_id, now)
    histograms = [*REQUEST_HISTOGRAMS, ("bed_admission", "")]
    rollup.prime(
        period.first,
        period.last,
        [*OPERATIONS_MEASURES, *{m for m, _ in histograms}, *{f"{m}_h" for m, _ in histograms}],
    )
    totals = _totals(service_id, period, rollup)
    stats = minutes_stats(rollup, period, histograms)
    wait_rows = request_waits(service_id=service_id, period=period, totals=totals, rollup=rollup, stats=stats)
    bed = stats[("bed_admission", "")]
    calls, mean_calls = doctor_calls(service_id=service_id, period=period, totals=totals)
    handovers, target = police_handovers(service_id=service_id, period=period, totals=totals)
    call_ins = call_ins_by_month(service_id=service_id, period=period, totals=totals)
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
                note="Refused and unanswered calls do not end a wait; waits still running are not in the figures. "
                + WAITS_RESOLUTION,
            ),
            Table(
                slug="bed-waits-admission",
                caption="Hours from the application being signed to admission",
                columns=["Measure", "Applications", "Median hours", "90th percentile hours"],
                rows=[["Application to admission", bed.count, _round(bed.median), _round(bed.p90)]],
                note=WAITS_RESOLUTION,
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
                note="Medians and 90th percentiles are worked out from handover times to the whole second.",
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
