"""Writes for the person's nearest relative record (s26-s29) and s13(4) requests.

Each is one transaction with its audit row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from amhp_hub.common.audit import audit
from amhp_hub.common.errors import RuleError
from referrals import nearest_relative as s26
from referrals.models import (
    OPEN_STATUS_VALUES,
    Displacement,
    NearestRelativeObjection,
    NearestRelativeRecord,
    NearestRelativeRequest,
    Person,
    Referral,
    Relative,
)
from referrals.services import CLOCK_FIELDS, apply_clocks
from rota.timefmt import LONDON

RELATIVE_FIELDS = (
    "name",
    "relationship",
    "date_of_birth",
    "half_blood",
    "lives_with_patient",
    "cares_for_patient",
    "ordinarily_resident_uk",
    "years_living_with_patient",
    "phone",
    "address",
)
MAX_RELATIVES = 30


def _today(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def relative_facts(rows: Iterable[Any]) -> list[s26.Relative]:
    """The rule module's view of stored (or about to be stored) relatives."""
    return [
        s26.Relative(
            name=_get(r, "name"),
            relationship=_get(r, "relationship"),
            date_of_birth=_get(r, "date_of_birth"),
            half_blood=bool(_get(r, "half_blood")),
            lives_with_patient=bool(_get(r, "lives_with_patient")),
            cares_for_patient=bool(_get(r, "cares_for_patient")),
            ordinarily_resident_uk=_get(r, "ordinarily_resident_uk", True) is not False,
            years_living_with_patient=float(_get(r, "years_living_with_patient") or 0),
        )
        for r in rows
    ]


def _get(row: Any, key: str, default: Any = None) -> Any:
    if isinstance(row, Mapping):
        return row.get(key, default)
    return getattr(row, key, default)


@transaction.atomic
def nearest_relative_save(
    *,
    person: Person,
    actor: Any,
    relatives: Iterable[Mapping[str, Any]] | None = None,
    objections: Iterable[Mapping[str, Any]] = (),
    displacement: Iterable[Mapping[str, Any]] = (),
    in_care_of: str | None = None,
    parental_responsibility: str | None = None,
    now: datetime | None = None,
    channel: str = "web",
) -> NearestRelativeRecord:
    """Replace the person's relatives (when RELATIVES is given), add OBJECTIONS and DISPLACEMENT applications,
    and work out the nearest relative again (s26, s27). Return the record.

    Raise ValidationError (nothing saved) for a relative with no name or an unknown relationship,
    an objection with no date, an unknown section or a future date, and a displacement decided
    before it was applied for.
    """
    now = now or timezone.now()
    today = _today(now)
    errors: dict[str, list[str]] = {}
    relatives = None if relatives is None else [dict(r) for r in relatives]
    objections = [dict(o) for o in objections]
    displacement = [dict(d) for d in displacement]
    if relatives is not None:
        if len(relatives) > MAX_RELATIVES:
            errors.setdefault("relatives", []).append(f"Enter at most {MAX_RELATIVES} relatives")
        for i, r in enumerate(relatives):
            if not str(r.get("name") or "").strip():
                errors.setdefault("relatives", []).append(f"Relative {i + 1}: enter their name")
            if r.get("relationship") not in s26.RELATIONSHIPS:
                errors.setdefault("relatives", []).append(
                    f"Relative {i + 1}: choose the relationship from {', '.join(s26.RELATIONSHIPS)}"
                )
            dob = r.get("date_of_birth")
            if dob and dob > today:
                errors.setdefault("relatives", []).append(f"Relative {i + 1}: the date of birth is in the future")
    for i, o in enumerate(objections):
        if o.get("to") not in NearestRelativeObjection.To.values:
            errors.setdefault("objections", []).append(f"Objection {i + 1}: choose s3 or guardianship")
        if not o.get("date"):
            errors.setdefault("objections", []).append(f"Objection {i + 1}: enter the date of the objection")
        elif o["date"] > today:
            errors.setdefault("objections", []).append(f"Objection {i + 1}: the date is in the future")
    for i, d in enumerate(displacement):
        if d.get("ground") not in Displacement.Ground.values:
            errors.setdefault("displacement", []).append(f"Application {i + 1}: choose a ground from s29(3)(a)-(e)")
        if not d.get("applied_on"):
            errors.setdefault("displacement", []).append(f"Application {i + 1}: enter when it was made")
        elif d.get("decided_on") and d["decided_on"] < d["applied_on"]:
            errors.setdefault("displacement", []).append(f"Application {i + 1}: decided before it was made")
        if d.get("order_made") and not d.get("decided_on"):
            errors.setdefault("displacement", []).append(f"Application {i + 1}: enter when the order was made")
    if errors:
        raise ValidationError(errors)

    record, _ = NearestRelativeRecord.objects.select_for_update().get_or_create(person=person)
    if in_care_of is not None:
        record.in_care_of = in_care_of.strip()
    if parental_responsibility is not None:
        record.parental_responsibility = parental_responsibility.strip()
    if relatives is not None:
        Relative.objects.filter(person=person).delete()
        Relative.objects.bulk_create(
            [
                Relative(person=person, position=i, **{k: r[k] for k in RELATIVE_FIELDS if r.get(k) is not None})
                for i, r in enumerate(relatives)
            ]
        )
    found = s26.identify_nearest_relative(
        relative_facts(Relative.objects.filter(person=person)),
        on=today,
        patient_date_of_birth=person.date_of_birth,
        in_care_of=record.in_care_of,
    )
    default_relative = found.name
    NearestRelativeObjection.objects.bulk_create(
        [
            NearestRelativeObjection(
                person=person,
                date=o["date"],
                to=o["to"],
                relative=(o.get("relative") or default_relative or "").strip(),
                notes=(o.get("notes") or "").strip(),
                recorded_by=actor,
            )
            for o in objections
        ]
    )
    Displacement.objects.bulk_create(
        [
            Displacement(
                person=person,
                ground=d["ground"],
                applied_on=d["applied_on"],
                decided_on=d.get("decided_on"),
                order_made=bool(d.get("order_made")),
                acting_nearest_relative=(d.get("acting_nearest_relative") or "").strip(),
                recorded_by=actor,
            )
            for d in displacement
        ]
    )
    record.name, record.relationship, record.reasons = found.name, found.relationship, found.reasons
    record.updated_by = actor
    record.save()
    if displacement:
        # s29(4): the s2 detention of this person's open cases may now run on; their deadlines move.
        for referral in Referral.objects.select_for_update().filter(person=person, status__in=OPEN_STATUS_VALUES):
            apply_clocks(referral, now=now)
            referral.save(update_fields=[*CLOCK_FIELDS, "updated_at"])
    audit(
        actor=actor,
        service_id=person.service_id,
        action="update",
        obj=record,
        channel=channel,
        changes={
            "nearest_relative": [found.name, found.relationship],
            **({"relatives": [r["name"] for r in relatives]} if relatives is not None else {}),
            **({"objections": [f"{o['to']} {o['date']}" for o in objections]} if objections else {}),
            **(
                {"displacement": [f"s29(3)({d['ground']}) {d['applied_on']}" for d in displacement]}
                if displacement
                else {}
            ),
        },
    )
    return record


@transaction.atomic
def nr_request_record(
    *,
    person: Person,
    actor: Any,
    relative: str,
    requested_on: date,
    referral: Referral | None = None,
    outcome: str = NearestRelativeRequest.Outcome.PENDING,
    reasons: str = "",
    decided_on: date | None = None,
    now: datetime | None = None,
    channel: str = "web",
) -> NearestRelativeRequest:
    """Record a nearest relative's request for an AMHP to consider the case (s13(4)), with its outcome if known.

    Raise RuleError (s13(4)) when no application follows and no written reasons are given, and
    ValidationError for a missing name, a future date or an unknown outcome.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if not relative.strip():
        errors["relative"] = ["Enter who made the request"]
    if requested_on > _today(now):
        errors["requested_on"] = ["The request date is in the future"]
    if outcome not in NearestRelativeRequest.Outcome.values:
        errors["outcome"] = ["Choose the outcome"]
    if errors:
        raise ValidationError(errors)
    broken = s26.s13_4_request_errors(outcome=outcome, reasons=reasons)
    if broken:
        raise RuleError([(e.provision, e.field, e.message) for e in broken])
    request = NearestRelativeRequest.objects.create(
        person=person,
        referral=referral,
        relative=relative.strip(),
        requested_on=requested_on,
        outcome=outcome,
        reasons=reasons.strip(),
        decided_on=decided_on or (_today(now) if outcome != NearestRelativeRequest.Outcome.PENDING else None),
        recorded_by=actor,
    )
    audit(
        actor=actor,
        service_id=person.service_id,
        action="create",
        obj=request,
        channel=channel,
        changes={"relative": request.relative, "outcome": outcome},
    )
    return request
