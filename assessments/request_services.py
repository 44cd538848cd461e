"""Writes for the requests made on a case (doctors, beds, conveyance, police...). One transaction each, audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from amhp_hub.common.audit import audit, diff, snapshot
from assessments import waits
from assessments.models import Assessment, AssessmentStatus, CaseRequest, RequestKind, RequestOutcome
from referrals.models import Referral
from rota.models import DirectoryDoctor

FUTURE_TOLERANCE = timedelta(minutes=5)
CREATE_FIELDS = ("kind", "requested_at", "to", "doctor", "outcome", "arrived_at", "ward", "out_of_area", "notes")
UPDATE_FIELDS = ("outcome", "arrived_at", "to", "ward", "out_of_area", "notes")
DOCTOR_KINDS = (RequestKind.S12_DOCTOR, RequestKind.SECOND_DOCTOR)


def _check(
    *, requested_at: datetime | None, arrived_at: datetime | None, now: datetime, errors: dict[str, list[str]]
) -> None:
    if requested_at is None:
        errors.setdefault("requested_at", []).append("Enter when it was requested")
    elif requested_at > now + FUTURE_TOLERANCE:
        errors.setdefault("requested_at", []).append("The time it was requested must be in the past")
    if arrived_at is not None and arrived_at > now + FUTURE_TOLERANCE:
        errors.setdefault("arrived_at", []).append("The arrival time must be in the past")
    if requested_at is not None:
        problem = waits.arrival_error(requested_at, arrived_at)
        if problem:
            errors.setdefault("arrived_at", []).append(problem)


def _live_assessment(referral: Referral) -> Assessment | None:
    return Assessment.objects.filter(referral=referral).exclude(status=AssessmentStatus.DECLINED).first()


@transaction.atomic
def case_request_create(
    *, referral: Referral, actor: Any, data: Mapping[str, Any], now: datetime | None = None, channel: str = "web"
) -> CaseRequest:
    """Log a request made for REFERRAL (a call to a doctor, a bed request...) and return it.

    DATA holds CREATE_FIELDS; ``doctor`` is a directory entry of the referral's service (its
    name becomes ``to`` when none is given). An arrival is recorded only when something came.
    Raise ValidationError with field messages: unknown kind or outcome, times in the future,
    an arrival before the request, a doctor from another service, a doctor on a non-doctor request.
    """
    now = now or timezone.now()
    clean = {k: data[k] for k in CREATE_FIELDS if k in data}
    errors: dict[str, list[str]] = {}
    if clean.get("kind") not in RequestKind.values:
        errors["kind"] = ["Choose what was requested"]
    outcome = clean.get("outcome") or RequestOutcome.PENDING
    if outcome not in RequestOutcome.values:
        errors["outcome"] = ["Choose the outcome: pending, accepted, refused or no answer"]
    doctor = clean.get("doctor")
    if doctor is not None and not isinstance(doctor, DirectoryDoctor):
        doctor = DirectoryDoctor.objects.filter(pk=doctor, service_id=referral.service_id).first()
        if doctor is None:
            errors["doctor"] = ["Choose a doctor from this service's directory"]
    if isinstance(doctor, DirectoryDoctor):
        if doctor.service_id != referral.service_id:
            errors["doctor"] = ["Choose a doctor from this service's directory"]
        elif clean.get("kind") not in DOCTOR_KINDS:
            errors["doctor"] = ["Only a request for a doctor names a doctor from the directory"]
    _check(requested_at=clean.get("requested_at"), arrived_at=clean.get("arrived_at"), now=now, errors=errors)
    if errors:
        raise ValidationError(errors)
    to = (clean.get("to") or "").strip() or (doctor.name if isinstance(doctor, DirectoryDoctor) else "")
    request = CaseRequest.objects.create(
        service_id=referral.service_id,
        referral=referral,
        assessment=_live_assessment(referral),
        kind=clean["kind"],
        requested_at=clean["requested_at"],
        to=to[:200],
        doctor=doctor if isinstance(doctor, DirectoryDoctor) else None,
        outcome=outcome,
        arrived_at=clean.get("arrived_at"),
        ward=(clean.get("ward") or "").strip()[:120],
        out_of_area=clean.get("out_of_area"),
        notes=(clean.get("notes") or "").strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit(
        actor=actor,
        service_id=referral.service_id,
        action="create",
        obj=request,
        channel=channel,
        changes={"referral": str(referral.pk), "kind": request.kind, "to": request.to, "outcome": request.outcome},
    )
    return request


@transaction.atomic
def case_request_update(
    *, request: CaseRequest, actor: Any, data: Mapping[str, Any], now: datetime | None = None, channel: str = "web"
) -> CaseRequest:
    """Record a request's later outcome and arrival (and notes). An arrival before the request is refused."""
    now = now or timezone.now()
    locked = CaseRequest.objects.select_for_update().get(pk=request.pk)
    clean = {k: data[k] for k in UPDATE_FIELDS if k in data}
    errors: dict[str, list[str]] = {}
    if "outcome" in clean and clean["outcome"] not in RequestOutcome.values:
        errors["outcome"] = ["Choose the outcome: pending, accepted, refused or no answer"]
    _check(
        requested_at=locked.requested_at, arrived_at=clean.get("arrived_at", locked.arrived_at), now=now, errors=errors
    )
    if errors:
        raise ValidationError(errors)
    if clean.get("arrived_at") is not None and "outcome" not in clean and locked.outcome == RequestOutcome.PENDING:
        clean["outcome"] = RequestOutcome.ACCEPTED  # what arrived was, by then, accepted
    before = snapshot(locked, UPDATE_FIELDS)
    for field, value in clean.items():
        setattr(locked, field, value.strip() if isinstance(value, str) and field != "outcome" else value)
    changed = [f for f in UPDATE_FIELDS if getattr(locked, f) != before[f]]
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="update",
        obj=locked,
        channel=channel,
        changes=diff(before, snapshot(locked, UPDATE_FIELDS)),
    )
    return locked
