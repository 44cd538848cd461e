"""The rota designer's results as tables (each with its chart and CSV), side by side across runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from planning.models import DesignRun

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Chart:
    kind: str
    label: str
    labels: list[str]
    datasets: list[dict[str, Any]]
    horizontal: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "labels": self.labels, "datasets": self.datasets, "horizontal": self.horizontal}


@dataclass
class Table:
    slug: str
    caption: str
    columns: list[str]
    rows: list[list[Any]]
    chart: Chart | None = None
    note: str = ""

    @property
    def display_rows(self) -> list[list[tuple[str, bool]]]:
        return [[(fmt(v), isinstance(v, int | float) and i > 0) for i, v in enumerate(row)] for row in self.rows]


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _options(runs: Sequence[DesignRun]) -> list[tuple[str, str, dict[str, Any], bool]]:
    """(column label, code, figures, recommended) for each run's actual rota and shift sets."""
    found = []
    many = len(runs) > 1
    for run in runs:
        prefix = f"{run.name}: " if many else ""
        actual = (run.results or {}).get("actual_rota")
        if actual:
            found.append((f"{prefix}The rota as it was", "actual", actual, False))
        for code, figures in (run.results or {}).get("options", {}).items():
            found.append((f"{prefix}{figures['name']}", code, figures, code == run.recommended))
    return found


HOURS = [f"{h:02d}:00" for h in range(24)]


def run_tables(runs: Sequence[DesignRun]) -> list[Table]:
    options = _options(runs)
    if not options:
        return []
    labels = [label for label, _, _, _ in options]
    comparison = Table(
        slug="comparison",
        caption="Each shift set replayed over the same referrals",
        columns=[
            "Shift set",
            "Headcount needed",
            "TOIL hours",
            "Late finishes",
            "Hours past shift end",
            "11 h rest breaks",
            "Statutory breaches",
            "Call-ins",
            "Median wait (hours)",
            "Assessment hours after 5pm (%)",
            "Recommended",
        ],
        rows=[
            [
                label + (" (recommended)" if best else ""),
                figures.get("headcount_needed"),
                figures["toil_hours"],
                figures["late_finishes"],
                figures["hours_past_shift_end"],
                figures["rest_breaches"],
                figures["statutory_breaches"],
                figures["call_ins"],
                figures["median_wait_hours"],
                round(100 * figures["after_5pm_share"], 1),
                "Yes" if best else "",
            ]
            for label, _, figures, best in options
        ],
        chart=Chart(
            "bar",
            "TOIL hours and late finishes for each shift set",
            labels,
            [
                {"label": "TOIL hours", "data": [f["toil_hours"] for _, _, f, _ in options]},
                {"label": "Late finishes", "data": [f["late_finishes"] for _, _, f, _ in options]},
            ],
            horizontal=True,
        ),
        note="Recommended: the fewest statutory breaches, then 11 h rest breaks, then TOIL, then late finishes, "
        "among the shift sets the headcount can staff.",
    )

    def by_hour(slug: str, caption: str, key: str, label: str) -> Table:
        return Table(
            slug=slug,
            caption=caption,
            columns=["Hour", *labels],
            rows=[[HOURS[h], *[round(f[key][h], 2) for _, _, f, _ in options]] for h in range(24)],
            chart=Chart("line", label, HOURS, [{"label": lab, "data": f[key]} for lab, _, f, _ in options]),
        )

    return [
        comparison,
        by_hour(
            "waits",
            "Queue waits by hour of referral (mean hours to the start of work)",
            "wait_by_hour",
            "Mean wait in hours by hour of referral",
        ),
        by_hour(
            "cover",
            "Cover needed each hour (mean AMHPs busy on assessments)",
            "cover_needed_by_hour",
            "Mean AMHPs busy on assessments by hour of day",
        ),
        by_hour(
            "demand",
            "When assessments happen (assessment hours by hour of day)",
            "assessment_hours_by_hour",
            "Assessment hours by hour of day",
        ),
    ]
