"""Manager dashboards: one page per section, every table downloadable as CSV. Thin: reports and selectors work."""

from __future__ import annotations

import csv
from datetime import date, datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from amhp_hub.common.audit import audit
from amhp_hub.common.web import export_throttled, role_required
from dashboards import reports
from dashboards.forms import PeriodForm
from dashboards.selectors import LONDON
from rota.models import Role

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _period_form(request: HttpRequest, now: datetime) -> PeriodForm:
    return PeriodForm(request.GET, today=now.astimezone(LONDON).date())


def _query(form: PeriodForm) -> str:
    period = form.period
    return f"from={period.first.isoformat()}&to={period.last.isoformat()}"


@role_required(Role.MANAGER)
def index(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    form = _period_form(request, now)
    status = 200 if form.is_valid() else 400
    context = {
        "form": form,
        "period": form.period,
        "query": _query(form),
        "sections": [(slug, title, summary) for slug, (title, summary, _) in reports.SECTIONS.items()],
        "nav_active": "dashboards:index",
    }
    return render(request, "dashboards/index.html", context, status=status)


@role_required(Role.MANAGER)
def section(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in reports.SECTIONS:
        raise Http404("No such dashboard")
    now = timezone.now()
    form = _period_form(request, now)
    if not form.is_valid():
        context = {"form": form, "period": form.period, "query": "", "slug": slug, "nav_active": "dashboards:index"}
        context["title"] = reports.SECTIONS[slug][0]
        return render(request, "dashboards/section.html", context, status=400)
    report = reports.build(slug, service_id=request.user.staff_profile.service_id, period=form.period, now=now)
    context = {
        "form": form,
        "period": form.period,
        "query": _query(form),
        "slug": slug,
        "nav_active": "dashboards:index",
        "title": report.title,
        "report": report,
        "sections": [(s, title) for s, (title, _, _) in reports.SECTIONS.items()],
        "charts": [(f"chart-{t.slug}", t.chart.as_json()) for t in report.tables if t.chart and t.rows],
    }
    return render(request, "dashboards/section.html", context)


def csv_value(value: Any) -> Any:
    """A cell for CSV: numbers as they are, dates in ISO form, text guarded against spreadsheet formulas."""
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 1)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@role_required(Role.MANAGER)
@export_throttled
def table_csv(request: HttpRequest, table: str) -> HttpResponse:
    if table not in reports.TABLE_SECTIONS:
        raise Http404("No such table")
    now = timezone.now()
    form = _period_form(request, now)
    if not form.is_valid():
        message = "; ".join(message for _, message in form.error_list())
        return HttpResponse(message + "\n", status=400, content_type="text/plain; charset=utf-8")
    period = form.period
    report = reports.build(
        reports.TABLE_SECTIONS[table], service_id=request.user.staff_profile.service_id, period=period, now=now
    )
    found = next(t for t in report.tables if t.slug == table)
    audit(
        actor=request.user,
        service_id=request.user.staff_profile.service_id,
        action="export",
        object_type="report",
        object_id=table,
        changes={"from": period.first.isoformat(), "to": period.last.isoformat(), "rows": len(found.rows)},
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{table}-{period.first.isoformat()}-to-{period.last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(found.columns)
    for row in found.rows:
        writer.writerow([csv_value(value) for value in row])
    return response
