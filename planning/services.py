"""Writes: accepting planned proposals (through the allocation service) and running the rota designer."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from amhp_hub.common.audit import audit
from amhp_hub.common.errors import ConflictError
from assessments.services import assessment_allocate
from planning import designer, selectors, simulation
from planning.models import DesignRun
from referrals.models import Referral
from rota.models import Role, Service, Shift, StaffProfile

logger = logging.getLogger(__name__)

MAX_PERIOD_DAYS = 366
MAX_OPTIONS = 6


@dataclass(frozen=True)
class AcceptResult:
    referral: str
    amhp: str
    status: int  # 201 allocated, 400 refused with messages, 404 unknown, 409 conflict
    messages: tuple[str, ...] = ()
    assessment: str | None = None


def plan_accept(
    *,
    actor: Any,
    service_id: int,
    proposals: Sequence[tuple[str, str] | tuple[str, str, str | None]],
    now: datetime | None = None,
    channel: str = "web",
) -> list[AcceptResult]:
    """Turn each accepted (referral, AMHP[, shift]) proposal into a normal allocation, one transaction each.

    Each goes through ``assessments.services.assessment_allocate``, so every guarantee of a
    single allocation holds (one live allocation per referral, the AMHP locked, on duty or
    on the rota then, not on leave): a referral allocated meanwhile comes back 409, not a
    second allocation. A proposal for a shift that starts later is allocated as planned work
    to that shift, from its start.
    """
    now = now or timezone.now()
    results: list[AcceptResult] = []
    ids = {item[0] for item in proposals}
    shift_ids = _uuids({item[2] for item in proposals if len(item) > 2 and item[2]})
    starts = {
        str(pk): at
        for pk, at in Shift.objects.filter(
            service_id=service_id, pk__in=shift_ids, cancelled_at__isnull=True
        ).values_list("pk", "starts_at")
    }
    referrals = {str(r.pk): r for r in Referral.objects.filter(service_id=service_id, pk__in=_uuids(ids))}
    staff = {
        str(p.pk): p
        for p in StaffProfile.objects.filter(
            service_id=service_id, role=Role.AMHP, pk__in=_uuids({item[1] for item in proposals})
        )
    }
    for item in proposals:
        referral_id, amhp_id = item[0], item[1]
        shift_id = item[2] if len(item) > 2 else None
        planned_at = starts.get(str(shift_id)) if shift_id else None
        if planned_at is not None and planned_at <= now:
            planned_at = None  # the shift is on now: a normal allocation
        referral = referrals.get(referral_id)
        amhp = staff.get(amhp_id)
        if referral is None or amhp is None:
            results.append(AcceptResult(referral_id, amhp_id, 404, ("No such referral or AMHP in this service",)))
            continue
        try:
            assessment = assessment_allocate(
                referral=referral, amhp=amhp, actor=actor, now=now, channel=channel, planned_at=planned_at
            )
        except ConflictError as exc:
            results.append(AcceptResult(referral_id, amhp_id, 409, (exc.message,)))
        except ValidationError as exc:
            messages = tuple(m for ms in exc.message_dict.values() for m in ms)
            results.append(AcceptResult(referral_id, amhp_id, 400, messages))
        else:
            results.append(AcceptResult(referral_id, amhp_id, 201, (), str(assessment.pk)))
    return results


def _uuids(values: set[str]) -> list[str]:
    import uuid

    found = []
    for value in values:
        try:
            found.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    return found


@transaction.atomic
def design_run_create(
    *,
    actor: Any,
    service: Service,
    name: str,
    shift_sets: list[designer.ShiftSet],
    period_start: date,
    period_end: date,
    headcount: int,
) -> DesignRun:
    """Record a designer run and queue it for the worker (after commit). ValidationError names what is wrong."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["Enter a name for this comparison"]
    if not shift_sets:
        errors["options"] = ["Choose at least one shift set to compare"]
    elif len(shift_sets) > MAX_OPTIONS:
        errors["options"] = [f"Compare at most {MAX_OPTIONS} shift sets at once"]
    if period_end < period_start:
        errors["period_end"] = ["The end of the period must be on or after its start"]
    elif (period_end - period_start).days >= MAX_PERIOD_DAYS:
        errors["period_end"] = [f"Replay at most {MAX_PERIOD_DAYS} days"]
    if headcount < 1:
        errors["headcount"] = ["Headcount must be at least 1"]
    if errors:
        raise ValidationError(errors)
    run = DesignRun.objects.create(
        service=service,
        name=name.strip(),
        period_start=period_start,
        period_end=period_end,
        headcount=headcount,
        options=[s.as_json() for s in shift_sets],
        created_by=actor,
    )
    audit(actor=actor, service_id=service.pk, action="create", obj=run, channel="web", changes={"name": run.name})
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    """Send the run to the worker; if the broker cannot take it now, the run stays queued and says so."""
    from planning import tasks

    try:
        tasks.run_design.delay(run_id)
    except Exception as exc:  # a broker outage must not lose the manager's request or break the page
        logger.warning("design run %s not sent to the worker: %s", run_id, exc)
        DesignRun.objects.filter(pk=run_id, status=DesignRun.Status.QUEUED).update(
            error="The background worker could not be reached; the comparison will start when it is sent again."
        )


def _series(report: simulation.Report) -> dict[str, list[float]]:
    return {
        "wait_by_hour": [round(v, 2) for v in report.wait_by_hour],
        "cover_needed_by_hour": [round(v, 2) for v in report.cover_needed_by_hour],
        "assessment_hours_by_hour": [round(v, 2) for v in report.assessment_hours_by_hour],
    }


def design_run_execute(*, run_id: int) -> DesignRun | None:
    """Replay the run's period through each shift set with today's allocation, saving progress and results.

    Idempotent: a finished run is left as it is. Return None if the run has gone.
    """
    run = DesignRun.objects.filter(pk=run_id).first()
    if run is None or run.status == DesignRun.Status.DONE:
        return run
    DesignRun.objects.filter(pk=run.pk).update(status=DesignRun.Status.RUNNING, progress=1, error="")
    try:
        history = selectors.history(service_id=run.service_id, start=run.period_start, end=run.period_end)
        people = list(history.service.practitioners)[: run.headcount]
        sets = [designer.ShiftSet.from_json(o) for o in run.options]
        results: dict[str, Any] = {
            "cases": len(history.cases),
            "recorded": {
                "toil_hours": round(history.toil_booked_minutes / 60, 2),
                "late_finishes": history.late_finishes,
            },
            "options": {},
        }
        recorded = selectors.assessment_demand(service_id=run.service_id, start=run.period_start, end=run.period_end)
        results["recorded"]["assessment_hours_by_hour"] = [round(v, 2) for v in recorded.by_hour]
        results["recorded"]["after_5pm_share"] = recorded.after_5pm_share
        # The period as it was: the real rota and today's allocation, for reference.
        actual = simulation.simulate(history.cases, history.service)
        results["actual_rota"] = {**actual.summary(), **_series(actual)}
        pairs = []
        for index, shift_set in enumerate(sets):
            slots = designer.build_rota(
                shift_set, people, start=run.period_start - timedelta(days=1), end=run.period_end + timedelta(days=2)
            )
            report = simulation.simulate(history.cases, simulation.with_rota(history.service, slots))
            pairs.append((shift_set, report))
            results["options"][shift_set.code] = {
                "name": shift_set.name,
                "headcount_needed": shift_set.headcount_needed(),
                "weekly_hours": round(shift_set.weekly_hours(), 1),
                **report.summary(),
                **_series(report),
            }
            DesignRun.objects.filter(pk=run.pk).update(progress=max(1, round(100 * (index + 1) / (len(sets) + 1))))
        recommended = designer.recommend(pairs, run.headcount) or ""
        DesignRun.objects.filter(pk=run.pk).update(
            status=DesignRun.Status.DONE,
            progress=100,
            results=results,
            recommended=recommended,
            finished_at=timezone.now(),
        )
    except Exception as exc:  # the run records why it failed; the page shows it
        DesignRun.objects.filter(pk=run.pk).update(status=DesignRun.Status.FAILED, error=str(exc)[:500])
        raise
    run.refresh_from_db()
    return run
