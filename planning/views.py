"""Pages: the consultant's whole-queue plan, and the manager's rota designer. Thin: selectors and services work."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from amhp_hub.common.requests import StaffRequest
from amhp_hub.common.web import add_service_errors, role_required
from planning import api, reports, selectors, services
from planning.forms import DesignForm
from planning.models import DesignRun
from referrals import selectors as referral_selectors
from rota.models import Role, StaffProfile
from rota.timefmt import LONDON


@role_required(Role.CONSULTANT, Role.MANAGER)
def plan_page(request: StaffRequest) -> HttpResponse:
    profile = request.user.staff_profile
    if request.method == "POST":
        chosen = request.POST.getlist("proposal") if "accept_selected" in request.POST else request.POST.getlist("all")
        items = []
        for value in chosen:
            referral, amhp, shift = ([*value.split(":"), "", ""])[:3]
            if referral and amhp:
                items.append((referral, amhp, shift or None))
        if not items:
            messages.error(request, "Choose at least one proposal to accept")
            return redirect("planning:plan")
        results = services.plan_accept(actor=request.user, service_id=profile.service_id, proposals=items)
        done = sum(1 for r in results if r.status == 201)
        if done:
            messages.success(request, f"{done} proposal{'s' if done != 1 else ''} accepted and allocated")
        for r in results:
            if r.status != 201:
                messages.error(request, f"Not allocated: {'; '.join(r.messages)}")
        return redirect("planning:plan")
    version = referral_selectors.queue_version(service_id=profile.service_id)
    context = selectors.current_plan(service_id=profile.service_id, now=timezone.now())
    rows = api.proposal_rows(context)
    return render(
        request,
        "planning/plan.html",
        {
            "rows": rows,
            "plan": context.plan,
            "now": context.generated_at,
            "acceptable": [r for r in rows if r["amhp"]],
            "version": version,
            "nav_active": "planning:plan",
        },
    )


@role_required(Role.CONSULTANT, Role.MANAGER)
def plan_changed(request: StaffRequest) -> HttpResponse:
    """Polled by the plan page: says so when the queue has changed since the plan was worked out.

    The plan is not swapped under a consultant who is ticking proposals; they choose when to refresh.
    """
    since = request.GET.get("since", "")
    version = referral_selectors.queue_version(service_id=request.user.staff_profile.service_id)
    return render(request, "planning/_plan_changed.html", {"version": since, "changed": version != since})


@role_required(Role.MANAGER)
def designer_page(request: StaffRequest) -> HttpResponse:
    profile = request.user.staff_profile
    today = timezone.now().astimezone(LONDON).date()
    headcount = StaffProfile.objects.filter(service_id=profile.service_id, role=Role.AMHP).count()
    form = DesignForm(request.POST or None, today=today, headcount=headcount)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                run = services.design_run_create(
                    actor=request.user,
                    service=profile.service,
                    name=form.cleaned_data["name"],
                    shift_sets=form.shift_sets,
                    period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                    headcount=form.cleaned_data["headcount"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("planning:run", pk=run.pk)
        status = 400
    runs = DesignRun.objects.filter(service_id=profile.service_id).order_by("-created_at", "-id")[:20]
    return render(
        request,
        "planning/designer.html",
        {"form": form, "runs": runs, "nav_active": "planning:designer"},
        status=status,
    )


def _run_for(request: StaffRequest, pk: int) -> DesignRun:
    return get_object_or_404(DesignRun, pk=pk, service_id=request.user.staff_profile.service_id)


@role_required(Role.MANAGER)
def design_run_page(request: StaffRequest, pk: int) -> HttpResponse:
    run = _run_for(request, pk)
    others = [int(v) for v in request.GET.getlist("with") if v.isdigit()]
    runs = [run, *DesignRun.objects.filter(service_id=run.service_id, pk__in=others).exclude(pk=run.pk)]
    tables = reports.run_tables(runs) if run.status == DesignRun.Status.DONE else []
    earlier = DesignRun.objects.filter(service_id=run.service_id, status=DesignRun.Status.DONE).exclude(pk=run.pk)[:10]
    return render(
        request,
        "planning/run.html",
        {
            "run": run,
            "runs": runs,
            "tables": tables,
            "earlier": earlier,
            "charts": [(f"chart-{t.slug}", t.chart.as_json()) for t in tables if t.chart and t.rows],
            "nav_active": "planning:designer",
        },
    )


@role_required(Role.MANAGER)
def design_run_progress(request: StaffRequest, pk: int) -> HttpResponse:
    run = _run_for(request, pk)
    return render(request, "planning/_progress.html", {"run": run})


@role_required(Role.MANAGER)
def design_run_csv(request: StaffRequest, pk: int, table: str) -> HttpResponse:
    run = _run_for(request, pk)
    found = next((t for t in reports.run_tables([run]) if t.slug == table), None)
    if found is None:
        raise Http404("No such table")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="designer-{run.pk}-{table}.csv"'
    writer = csv.writer(response)
    writer.writerow(found.columns)
    for row in found.rows:
        writer.writerow([reports.csv_value(v) for v in row])
    return response
