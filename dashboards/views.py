"""Manager dashboards: one page per section, every table downloadable as CSV. Thin: reports and selectors work."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone

from amhp_hub.common.audit import audit
from amhp_hub.common.requests import StaffRequest
from amhp_hub.common.web import add_service_errors, export_throttled, role_required
from dashboards import reports, services
from dashboards.approvals import approval_rows
from dashboards.forms import ApprovalForm, PeriodForm, PopulationForm, TrainingForm
from dashboards.models import POPULATION_GROUPS, PopulationEstimate
from dashboards.selectors import LONDON, Period
from rota import approval
from rota import services as rota_services
from rota.models import Role, StaffProfile

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
def section(request: StaffRequest, slug: str) -> HttpResponse:
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
def table_csv(request: StaffRequest, table: str) -> HttpResponse:
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


MONTHLY_SECTIONS = ("demand", "waits", "breaches", "outcomes", "national")


def _month(value: str, today: date) -> tuple[date, str | None]:
    """The first day of the month named VALUE ("2026-11"); the last whole month when blank or invalid."""
    default = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    if not value:
        return default, None
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1), None
    except ValueError:
        return default, "Enter the month as a year and month, for example 2026-11"


@role_required(Role.MANAGER)
def monthly(request: StaffRequest) -> HttpResponse:
    """The figures a service reports each month, on one printable page and as a PDF (WeasyPrint)."""
    now = timezone.now()
    first, error = _month(request.GET.get("month", "").strip(), now.astimezone(LONDON).date())
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    period = Period(first=first, last=last)
    service = request.user.staff_profile.service
    context = {
        "reports": [reports.build(slug, service_id=service.pk, period=period, now=now) for slug in MONTHLY_SECTIONS],
        "period": period,
        "month_label": f"{first:%B %Y}",
        "month_value": f"{first:%Y-%m}",
        "error": error,
        "service_name": service.name,
        "produced": now,
        "nav_active": "dashboards:index",
    }
    if request.GET.get("format") == "pdf" and error is None:
        import weasyprint  # heavy: loaded only when a PDF is asked for, not by every web worker

        html = render_to_string("dashboards/monthly_print.html", context, request=request)
        stylesheet = finders.find("css/report-print.css")
        pdf = weasyprint.HTML(string=html, url_fetcher=_no_fetching).write_pdf(
            stylesheets=[weasyprint.CSS(filename=stylesheet)]
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="monthly-report-{first:%Y-%m}.pdf"'
        return response
    return render(request, "dashboards/monthly.html", context, status=400 if error else 200)


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The PDF embeds nothing from outside: every style is in the stylesheet given to it."""
    raise ValueError(f"the monthly report loads nothing from {url}")


@role_required(Role.MANAGER)
def population(request: StaffRequest) -> HttpResponse:
    """The population figures behind the equality rates, which the service's manager keeps up to date."""
    service_id = request.user.staff_profile.service_id
    groups = list(POPULATION_GROUPS)
    if request.method == "POST":
        form = PopulationForm(request.POST, groups=groups)
        if form.is_valid():
            services.population_set(
                actor=request.user, service_id=service_id, figures=form.figures(), source=form.cleaned_data["source"]
            )
            messages.success(request, "Population figures saved")
            return redirect("dashboards:population")
        status = 400
    else:
        current = PopulationEstimate.objects.filter(service_id=service_id)
        initial: dict[str, Any] = {f"group_{e.ethnic_group}": e.population for e in current}
        initial["source"] = next((e.source for e in current if e.source), "")
        form = PopulationForm(initial=initial, groups=groups)
        status = 200
    context = {"form": form, "group_fields": [form[f"group_{g}"] for g in groups], "nav_active": "dashboards:index"}
    return render(request, "dashboards/population.html", context, status=status)


@role_required(Role.MANAGER)
def approvals(request: StaffRequest) -> HttpResponse:
    """AMHP approvals: who is in date, their approval history, training in the year (18 h) and work done."""
    profile = request.user.staff_profile
    approval_form = ApprovalForm()
    training_form = TrainingForm()
    status = 200
    if request.method == "POST":
        form_class = ApprovalForm if request.POST.get("form") == "approval" else TrainingForm
        form = form_class(request.POST)
        staff = None
        if form.is_valid():
            staff = StaffProfile.objects.filter(
                pk=form.cleaned_data["staff"], service_id=profile.service_id, role=Role.AMHP
            ).first()
            if staff is None:
                form.add_error(None, "Choose an AMHP of this service")
        if form.is_valid() and staff is not None:
            try:
                if form_class is ApprovalForm:
                    rota_services.staff_set_approval(
                        staff=staff,
                        actor=request.user,
                        expires_on=form.cleaned_data["expires_on"],
                        note=form.cleaned_data["note"],
                    )
                    messages.success(request, f"Approval updated for {staff.display_name}")
                else:
                    rota_services.training_record(
                        staff=staff,
                        actor=request.user,
                        completed_on=form.cleaned_data["completed_on"],
                        hours=form.cleaned_data["hours"],
                        title=form.cleaned_data["title"],
                    )
                    messages.success(request, f"Training recorded for {staff.display_name}")
                return redirect("dashboards:approvals")
            except ValidationError as exc:
                add_service_errors(form, exc)
        status = 400
        if form_class is ApprovalForm:
            approval_form = form  # type: ignore[assignment]
        else:
            training_form = form  # type: ignore[assignment]
    rows = approval_rows(service_id=profile.service_id, now=timezone.now())
    context = {
        "rows": rows,
        "short": [r for r in rows if r.problem or r.training_short_by],
        "approval_form": approval_form,
        "training_form": training_form,
        "required_hours": approval.TRAINING_HOURS_A_YEAR,
        "nav_active": "dashboards:index",
    }
    return render(request, "dashboards/approvals.html", context, status=status)
