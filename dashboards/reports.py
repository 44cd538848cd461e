"""Dashboard sections as tables (and the charts drawn from them), shared by the pages and the CSV downloads.

Each table's rows hold plain values (numbers, text, None for "no figure"); the page and
the CSV format them. A chart is drawn from the same numbers as its table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings

from dashboards import selectors
from dashboards.selectors import DurationStats, Period


@dataclass
class Chart:
    kind: str  # a Chart.js type: "bar" or "line"
    label: str  # the canvas's accessible name: what the chart shows
    labels: list[str]
    datasets: list[dict[str, Any]]
    horizontal: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "labels": self.labels, "datasets": self.datasets, "horizontal": self.horizontal}


@dataclass
class Table:
    slug: str  # also the CSV's name: /dashboards/<slug>.csv
    caption: str
    columns: list[str]
    rows: list[list[Any]]
    chart: Chart | None = None
    note: str = ""
    empty: str = "Nothing in this period."

    @property
    def numeric(self) -> list[bool]:
        """Per column: True if every value in it is a number (or missing), so it is right-aligned."""
        return [
            index > 0
            and all(
                row[index] is None or (isinstance(row[index], int | float) and not isinstance(row[index], bool))
                for row in self.rows
            )
            for index in range(len(self.columns))
        ]

    @property
    def columns_numeric(self) -> list[tuple[str, bool]]:
        return list(zip(self.columns, self.numeric, strict=True))

    @property
    def display_rows(self) -> list[list[tuple[str, bool]]]:
        """Rows as (text, numeric column) pairs for the page."""
        numeric = self.numeric
        return [[(fmt(value), numeric[i]) for i, value in enumerate(row)] for row in self.rows]


@dataclass
class Section:
    slug: str
    title: str
    summary: str
    figures: list[tuple[str, str]] = field(default_factory=list)  # headline figures: (label, value)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def fmt(value: Any) -> str:
    """A value as shown in a table cell and written to CSV."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, date | datetime):
        return value.strftime("%-d %b %Y")
    return str(value)


def _hours(stats: DurationStats) -> list[Any]:
    return [stats.count, stats.median, stats.p90]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def demand_section(service_id: Any, period: Period, now: datetime) -> Section:
    d = selectors.demand(service_id=service_id, period=period, now=now)
    share = d.after_hours_share
    hours = [f"{h:02d}:00" for h in range(24)]
    return Section(
        slug="demand",
        title="Demand",
        summary="Referrals received, by local hour of day and by weekday, and how much of their assessment work "
        "fell after 5pm (17:00 to midnight, UK time).",
        figures=[
            ("Referrals received", str(d.total)),
            ("Received at or after 5pm", f"{d.after_hours} ({share:.0%})" if share is not None else "–"),
            (
                "Assessment hours worked after 5pm",
                f"{d.work_after_5pm_seconds / 3600:.1f} of {d.work_seconds / 3600:.1f} ({d.work_after_5pm_share:.0%})"
                if d.work_after_5pm_share is not None
                else "–",
            ),
        ],
        tables=[
            Table(
                slug="assessment-hours-by-hour",
                caption="When assessments happen: hours of assessment work by hour of day (UK time)",
                columns=["Hour starting", "Assessment hours"],
                rows=[[label, round(v, 1)] for label, v in zip(hours, d.work_by_hour, strict=True)],
                chart=Chart(
                    "bar",
                    "Bar chart of assessment hours worked by hour of day. The table that follows gives the figures.",
                    hours,
                    [{"label": "Assessment hours", "data": [round(v, 1) for v in d.work_by_hour]}],
                ),
                note="From the work start and end times recorded on assessments of referrals received in the period.",
            ),
            Table(
                slug="demand-by-hour",
                caption="Referrals received by hour of day (UK time)",
                columns=["Hour starting", "Referrals"],
                rows=[[label, n] for label, n in zip(hours, d.by_hour, strict=True)],
                chart=Chart(
                    "bar",
                    "Bar chart of referrals received by hour of day. The table that follows gives the figures.",
                    hours,
                    [{"label": "Referrals", "data": d.by_hour}],
                ),
            ),
            Table(
                slug="demand-by-weekday",
                caption="Referrals received by weekday",
                columns=["Weekday", "Referrals"],
                rows=[[day, n] for day, n in zip(selectors.WEEKDAYS, d.by_weekday, strict=True)],
                chart=Chart(
                    "bar",
                    "Bar chart of referrals received by weekday. The table that follows gives the figures.",
                    selectors.WEEKDAYS,
                    [{"label": "Referrals", "data": d.by_weekday}],
                ),
            ),
        ],
    )


def waits_section(service_id: Any, period: Period, now: datetime) -> Section:
    w = selectors.waits(service_id=service_id, period=period, now=now)
    rows = [
        ["Referral to allocation", *_hours(w.to_allocation)],
        ["Referral to assessment (person seen)", *_hours(w.to_assessment)],
    ]
    rows = [[label, n, _round(median), _round(p90)] for label, n, median, p90 in rows]
    return Section(
        slug="waits",
        title="Waiting times",
        summary="Hours from receiving a referral to allocating it and to the AMHP seeing the person.",
        tables=[
            Table(
                slug="waits",
                caption="Hours from referral to allocation and to assessment",
                columns=["Measure", "Referrals", "Median hours", "90th percentile hours"],
                rows=rows,
                chart=Chart(
                    "bar",
                    "Bar chart of median and 90th percentile hours from referral to allocation and to assessment. "
                    "The table that follows gives the figures.",
                    [row[0] for row in rows],
                    [
                        {"label": "Median hours", "data": [row[2] for row in rows]},
                        {"label": "90th percentile hours", "data": [row[3] for row in rows]},
                    ],
                ),
                note="Nine in ten referrals waited no longer than the 90th percentile. " + selectors.WAITS_RESOLUTION,
            )
        ],
    )


def breaches_section(service_id: Any, period: Period, now: datetime) -> Section:
    rows = selectors.breaches(service_id=service_id, period=period, now=now)
    total = sum(row.breaches for row in rows)
    return Section(
        slug="breaches",
        title="Statutory breaches",
        summary="Referrals with a legal time limit where the person was held after it ran out: the application "
        "(or, with none, their release) came at or after the limit, or they are still held past it. Being seen "
        "after the limit is not by itself a breach.",
        figures=[("Breaches", str(total)), ("Referrals with a legal time limit", str(sum(r.clocked for r in rows)))],
        tables=[
            Table(
                slug="breaches",
                caption="Statutory breaches by legal situation",
                columns=["Legal situation", "With a time limit", "Held past the limit", "Still held past it"],
                rows=[[r.label, r.clocked, r.held_late, r.open_past] for r in rows],
                chart=Chart(
                    "bar",
                    "Stacked bar chart of statutory breaches by legal situation. "
                    "The table that follows gives the figures.",
                    [r.label for r in rows],
                    [
                        {"label": "Held past the limit", "data": [r.held_late for r in rows], "stack": "b"},
                        {"label": "Still held past it", "data": [r.open_past for r in rows], "stack": "b"},
                    ],
                    horizontal=True,
                ),
                empty="No referrals with a legal time limit in this period.",
            )
        ],
    )


def outcomes_section(service_id: Any, period: Period, now: datetime) -> Section:
    o = selectors.outcomes(service_id=service_id, period=period, now=now)
    return Section(
        slug="outcomes",
        title="Outcomes, delays and bed waits",
        summary="What happened at completed assessments, what delayed them, and how long people waited for a bed.",
        figures=[("Completed assessments", str(o.completed))],
        tables=[
            Table(
                slug="outcomes",
                caption="Outcomes of completed assessments",
                columns=["Outcome", "Assessments"],
                rows=[[label, n] for _, label, n in o.outcomes],
                chart=Chart(
                    "bar",
                    "Bar chart of assessment outcomes. The table that follows gives the figures.",
                    [label for _, label, _ in o.outcomes],
                    [{"label": "Assessments", "data": [n for _, _, n in o.outcomes]}],
                    horizontal=True,
                ),
            ),
            Table(
                slug="delay-reasons",
                caption="Reasons assessments were delayed",
                columns=["Reason", "Assessments"],
                rows=[[label, n] for _, label, n in o.delay_reasons],
                chart=Chart(
                    "bar",
                    "Bar chart of delay reasons. The table that follows gives the figures.",
                    [label for _, label, _ in o.delay_reasons],
                    [{"label": "Assessments", "data": [n for _, _, n in o.delay_reasons]}],
                    horizontal=True,
                ),
                note="An assessment can have more than one reason.",
            ),
            Table(
                slug="bed-waits",
                caption="Hours from application signed to bed found",
                columns=["Measure", "Applications", "Median hours", "90th percentile hours"],
                rows=[["Application to bed", o.bed_wait.count, _round(o.bed_wait.median), _round(o.bed_wait.p90)]],
                note=selectors.WAITS_RESOLUTION,
            ),
        ],
    )


def toil_section(service_id: Any, period: Period, now: datetime) -> Section:
    rows = selectors.toil_and_late_working(service_id=service_id, period=period, now=now)
    names = [r.name for r in rows]
    return Section(
        slug="toil",
        title="TOIL and late working",
        summary="Time off in lieu accrued and assessments finishing late, per AMHP, for work allocated in the period.",
        tables=[
            Table(
                slug="toil",
                caption="TOIL and late working per AMHP",
                columns=[
                    "AMHP",
                    "TOIL approved (minutes)",
                    "TOIL awaiting approval (minutes)",
                    "Assessments",
                    "Finished past shift end",
                    "Finished after 5pm or overnight",
                ],
                rows=[
                    [
                        r.name,
                        r.toil_approved_minutes,
                        r.toil_pending_minutes,
                        r.assessments,
                        r.past_shift_end,
                        r.after_hours,
                    ]
                    for r in rows
                ],
                chart=Chart(
                    "bar",
                    "Bar chart of assessments finishing past shift end and after 5pm per AMHP. "
                    "The table that follows gives the figures.",
                    names,
                    [
                        {"label": "Finished past shift end", "data": [r.past_shift_end for r in rows]},
                        {"label": "Finished after 5pm or overnight", "data": [r.after_hours for r in rows]},
                    ],
                    horizontal=True,
                ),
                empty="No AMHPs in this service.",
            )
        ],
    )


def workforce_section(service_id: Any, period: Period, now: datetime) -> Section:
    today = now.astimezone(selectors.LONDON).date()
    w = selectors.workforce(service_id=service_id, period=period, today=today)
    return Section(
        slug="workforce",
        title="Workforce and duty frequency",
        summary="Warranted AMHPs, approvals about to expire, people near retirement, and how evenly duty is shared.",
        figures=[
            ("AMHPs", str(w.amhps)),
            ("Warranted today", str(w.warranted)),
            (f"Warrants ending within {settings.WARRANT_WARNING_DAYS} days", str(len(w.expiring))),
            ("Within 5 years of retirement age", str(len(w.near_retirement))),
            ("Duty balance score", f"{w.balance:.0%}" if any(r.hours for r in w.duty) else "No duty recorded"),
        ],
        notes=[
            "The balance score is the average, over every pair of AMHPs, of the lighter person's duty hours "
            "as a share of the heavier's: 100% means duty is shared exactly evenly."
        ],
        tables=[
            Table(
                slug="duty",
                caption="Duty frequency per AMHP in the period",
                columns=["AMHP", "Shifts", "Hours on duty", "Contracted hours a week"],
                rows=[[r.name, r.shifts, r.hours, r.contracted_hours] for r in w.duty],
                chart=Chart(
                    "bar",
                    "Bar chart of hours on duty per AMHP. The table that follows gives the figures.",
                    [r.name for r in w.duty],
                    [{"label": "Hours on duty", "data": [r.hours for r in w.duty]}],
                    horizontal=True,
                ),
                empty="No AMHPs in this service.",
            ),
            Table(
                slug="warrants-expiring",
                caption=f"Warrants ending within {settings.WARRANT_WARNING_DAYS} days",
                columns=["AMHP", "Warrant ends"],
                rows=[[s.name, s.on] for s in w.expiring],
                empty=f"No warrants end within {settings.WARRANT_WARNING_DAYS} days.",
            ),
            Table(
                slug="near-retirement",
                caption="AMHPs within 5 years of retirement age",
                columns=["AMHP", "Reaches retirement age"],
                rows=[[s.name, s.on] for s in w.near_retirement],
                empty="Nobody is within 5 years of retirement age.",
            ),
        ],
    )


def equality_section(service_id: Any, period: Period, now: datetime) -> Section:
    found = selectors.people_by_code(service_id=service_id, period=period, now=now)
    rows = selectors.equality(service_id=service_id, period=period, found=found)
    categories = selectors.equality_by_category(service_id=service_id, period=period, found=found)
    # A rate on fewer than 5 people detained would let them be picked out: it is suppressed with the count.
    shown = [r for r in rows if not (0 < r.detained < selectors.SUPPRESS_BELOW)]
    with_rate = [r for r in shown if r.population]
    return Section(
        slug="equality",
        title="Detention rates by ethnicity",
        summary="People detained under the Mental Health Act after an assessment, per 100,000 residents of each "
        "broad ethnic group.",
        notes=[
            f"Rates in the period cover {period.days} days; the annual rate scales them to 365 days.",
            "“Not stated or not known” has no population figure, so it has no rate: it is shown separately, and a "
            "large number there makes every other rate less reliable.",
            f"Counts of 1 to {selectors.SUPPRESS_BELOW - 1} people are shown as “fewer than "
            f"{selectors.SUPPRESS_BELOW}”, and their rates left out, so no one can be identified.",
        ],
        tables=[
            Table(
                slug="equality",
                caption="People assessed and detained by ethnic group, with rates per 100,000",
                columns=[
                    "Ethnic group",
                    "People assessed",
                    "People detained",
                    "Population",
                    "Detained per 100,000 in the period",
                    "Annual rate per 100,000",
                ],
                rows=[
                    [
                        r.group,
                        selectors.suppressed(r.assessed),
                        selectors.suppressed(r.detained),
                        r.population,
                        None if r.rate_per_100k is None or r not in shown else round(r.rate_per_100k, 1),
                        None if r.annual_rate_per_100k is None or r not in shown else round(r.annual_rate_per_100k, 1),
                    ]
                    for r in rows
                ],
                chart=Chart(
                    "bar",
                    "Bar chart of annual detention rates per 100,000 by ethnic group. "
                    "The table that follows gives the figures.",
                    [r.group for r in with_rate],
                    [
                        {
                            "label": "Annual rate per 100,000",
                            "data": [round(r.annual_rate_per_100k or 0, 1) for r in with_rate],
                        }
                    ],
                ),
            ),
            Table(
                slug="equality-categories",
                caption="People assessed and detained by ethnic category: NHS code and 2021 census category",
                columns=[
                    "NHS code",
                    "NHS ethnic category",
                    "2021 census category",
                    "People assessed",
                    "People detained",
                ],
                rows=[
                    [
                        c.code,
                        c.nhs_label,
                        c.census_label,
                        selectors.suppressed(c.assessed),
                        selectors.suppressed(c.detained),
                    ]
                    for c in categories
                ],
                note="Broad groups follow the 2021 census, as the population figures do: Chinese (code R) is "
                "counted in the Asian group.",
            ),
        ],
    )


SectionBuilder = Callable[[Any, Period, datetime], Section]


def national_section(service_id: Any, period: Period, now: datetime) -> Section:
    r = selectors.national_return(service_id=service_id, period=period, now=now)
    rows: list[list[Any]] = [
        ["Assessments arranged", r.arranged],
        ["Assessments attended (person seen)", r.attended],
        ["Assessments completed", r.completed],
        *[[f"Completed: {label}", n] for _, label, n in r.by_outcome],
        ["Nearest relative requests, s13(4)", r.nearest_relative_requests],
        ["Out-of-area assessments done for other areas (not recorded)", None],
        ["Assessments of this area's residents done by other areas (not recorded)", None],
        [f"Warranted AMHPs on {r.on:%-d %B %Y}: headcount", r.warranted_headcount],
        [f"Warranted AMHPs on {r.on:%-d %B %Y}: whole-time equivalent", round(r.warranted_fte, 1)],
    ]
    return Section(
        slug="national",
        title="National return and FOI figures",
        summary="The figures national AMHP data collections and common freedom of information requests ask for.",
        figures=[("Assessments completed", str(r.completed)), ("Warranted AMHPs", str(r.warranted_headcount))],
        tables=[
            Table(
                slug="national-return",
                caption="National AMHP data collection figures",
                columns=["Measure", "Value"],
                rows=rows,
                note=(
                    "Assessments count by the day they were arranged (allocated). Whole-time equivalents are "
                    f"contracted hours over {selectors.FULL_TIME_HOURS}. AMHP Hub does not yet record which "
                    "area a person lives in, so the out-of-area figures are not recorded."
                ),
            )
        ],
    )


SECTIONS: dict[str, tuple[str, str, SectionBuilder]] = {
    "demand": ("Demand", "Referrals by hour and weekday; the share after 5pm.", demand_section),
    "waits": ("Waiting times", "Referral to allocation and to assessment: median and 90th percentile.", waits_section),
    "breaches": ("Statutory breaches", "Cases seen after, or still open past, their legal limit.", breaches_section),
    "outcomes": ("Outcomes, delays and bed waits", "Outcome mix, delay reasons and waits for a bed.", outcomes_section),
    "toil": ("TOIL and late working", "TOIL accrued and work finishing late, per AMHP.", toil_section),
    "workforce": (
        "Workforce and duty frequency",
        "Warrants, retirements, and how evenly duty is shared.",
        workforce_section,
    ),
    "equality": ("Detention rates by ethnicity", "People detained per 100,000 by ethnic group.", equality_section),
    "national": (
        "National return and FOI figures",
        "Assessments arranged, attended and completed by outcome; s13(4) requests; warranted AMHPs.",
        national_section,
    ),
}


def _operations(service_id: Any, period: Period, now: datetime) -> Section:
    from dashboards.operations import operations_section  # it builds on this module's tables

    return operations_section(service_id, period, now)


SECTIONS["operations"] = (
    "Doctors, beds, conveyance and police",
    "Waits by kind, bed waits to admission, calls to find a doctor, police handovers and call-ins.",
    _operations,
)

# Which section each CSV table comes from.
TABLE_SECTIONS = {
    "demand-by-hour": "demand",
    "demand-by-weekday": "demand",
    "assessment-hours-by-hour": "demand",
    "waits": "waits",
    "breaches": "breaches",
    "outcomes": "outcomes",
    "delay-reasons": "outcomes",
    "bed-waits": "outcomes",
    "toil": "toil",
    "duty": "workforce",
    "warrants-expiring": "workforce",
    "near-retirement": "workforce",
    "equality": "equality",
    "request-waits": "operations",
    "bed-waits-admission": "operations",
    "doctor-calls": "operations",
    "police-handovers": "operations",
    "call-ins": "operations",
    "equality-categories": "equality",
    "national-return": "national",
}


def build(section: str, *, service_id: Any, period: Period, now: datetime) -> Section:
    return SECTIONS[section][2](service_id, period, now)
