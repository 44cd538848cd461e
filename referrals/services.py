"""Writes to referrals: intake, updates and triage. Each is one transaction with its audit row."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from amhp_hub.common.audit import audit, diff, snapshot
from amhp_hub.common.errors import ConflictError
from amhp_hub.common.versioning import require_version
from referrals import clocks
from referrals.constants import (
    PRIORITY_RANK,
    QUEUE_STATUSES,
    Flag,
    Priority,
    Status,
    TriageDecision,
)
from referrals.models import Person, Referral, TriageRecord
from referrals.nhs_number import nhs_number_error, normalise_nhs_number
from rota.models import Service

PERSON_FIELDS = (
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "language",
    "interpreter_needed",
    "address",
    "postcode",
    "gp_practice",
)
REFERRAL_FIELDS = (
    "legal_status",
    "legal_power_started_at",
    "location",
    "received_at",
    "referrer_name",
    "referrer_role",
    "referrer_organisation",
    "referrer_phone",
    "reason",
    "seen_by_referrer_at",
    "risk_violence",
    "risk_weapons",
    "risk_children",
    "risk_safeguarding",
    "risk_notes",
    "nearest_relative_name",
    "nearest_relative_relationship",
    "nearest_relative_phone",
    "s12_doctor_arranged",
    "bed_identified",
)
# Fields a complete (non-draft) referral must have.
REQUIRED_FOR_SUBMIT = ("given_name", "family_name", "legal_status", "reason")
# Clock starts may be recorded up to this far ahead of the server clock (clock skew between systems).
FUTURE_TOLERANCE = timedelta(minutes=5)
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


# Free text is capped (the form and API say so before anything is saved).
TEXT_LIMITS = {"address": 500, "reason": 5000, "risk_notes": 5000}
# Dates outside these bounds are typing mistakes: nobody alive was born before 1900, and no referral
# is about a power that started years ago.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
OLDEST_EVENT = timedelta(days=5 * 365)


def validate_referral_data(data: Mapping[str, Any], *, draft: bool, now: datetime) -> dict[str, list[str]]:
    """Return {field: [messages]} for what is wrong with DATA; empty when it may be saved.

    A draft may be incomplete, but what it does hold must still be valid.
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    nhs = data.get("nhs_number") or ""
    if nhs:
        message = nhs_number_error(nhs)
        if message:
            add("nhs_number", message)
    if not draft:
        labels = {
            "given_name": "Enter the person's first name",
            "family_name": "Enter the person's last name",
            "legal_status": "Select the person's legal situation",
            "reason": "Enter the reason for the referral",
        }
        for field in REQUIRED_FOR_SUBMIT:
            if not data.get(field):
                add(field, labels[field])
    legal_status = data.get("legal_status") or ""
    started = data.get("legal_power_started_at")
    if not draft and legal_status in clocks.CLOCKED_STATUSES and started is None:
        add("legal_power_started_at", "Enter when the legal power started: the statutory clock runs from then")
    for field in ("legal_power_started_at", "received_at", "seen_by_referrer_at"):
        value = data.get(field)
        if value is not None and value > now + FUTURE_TOLERANCE:
            add(field, "The date and time must be in the past")
    dob = data.get("date_of_birth")
    if dob is not None and dob > now.date():
        add("date_of_birth", "Date of birth must be in the past")
    if dob is not None and dob < EARLIEST_BIRTH_DATE:
        add("date_of_birth", f"Date of birth must be after {EARLIEST_BIRTH_DATE:%-d %B %Y}")
    for field in ("legal_power_started_at", "received_at", "seen_by_referrer_at"):
        value = data.get(field)
        if value is not None and value < now - OLDEST_EVENT:
            add(field, f"The date must be within the last {OLDEST_EVENT.days // 365} years")
    for field, limit in TEXT_LIMITS.items():
        value = data.get(field)
        if isinstance(value, str) and len(value) > limit:
            add(field, f"Enter {limit:,} characters or fewer (you entered {len(value):,})")
    return errors


def _new_reference() -> str:
    body = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"R-{body[:4]}-{body[4:]}"


def apply_clocks(referral: Referral, *, now: datetime | None = None) -> None:
    """Set statutory expiry, due time and band rank from the referral's legal situation and priority."""
    referral.statutory_expires_at = (
        clocks.statutory_expiry(
            referral.legal_status, referral.legal_power_started_at, extension_hours=referral.extension_hours
        )
        if referral.legal_status
        else None
    )
    referral.priority_rank = PRIORITY_RANK[referral.priority]
    referral.due_at = clocks.due_at(
        received_at=referral.received_at,
        priority=referral.priority,
        statutory_expires_at=referral.statutory_expires_at,
        safety_margin=timedelta(hours=settings.STATUTORY_SAFETY_MARGIN_HOURS),
        targets={band: timedelta(hours=h) for band, h in settings.PRIORITY_TARGET_HOURS.items()},
    )


def compute_flags(referral: Referral) -> list[str]:
    """Return the referral's flags: repeat, possible duplicate, missing information and risks."""
    person = referral.person
    flags: list[str] = []
    others = Referral.objects.exclude(pk=referral.pk).exclude(status=Status.DRAFT)
    window_start = referral.received_at - timedelta(days=settings.REPEAT_REFERRAL_DAYS)
    if person.nhs_number:
        same_person = others.filter(person=person)
        if same_person.filter(received_at__gte=window_start, received_at__lte=referral.received_at).exists():
            flags.append(Flag.REPEAT)
        if same_person.filter(status__in=QUEUE_STATUSES).exists():
            flags.append(Flag.POSSIBLE_DUPLICATE)
    else:
        flags.append(Flag.MISSING_NHS_NUMBER)
        # Without an NHS number a duplicate can still be spotted by name and date of birth.
        if (
            person.date_of_birth
            and others.filter(
                service_id=referral.service_id,
                status__in=QUEUE_STATUSES,
                person__family_name__iexact=person.family_name,
                person__given_name__iexact=person.given_name,
                person__date_of_birth=person.date_of_birth,
            ).exists()
        ):
            flags.append(Flag.POSSIBLE_DUPLICATE)
    if referral.legal_status in clocks.CLOCKED_STATUSES and referral.legal_power_started_at is None:
        flags.append(Flag.MISSING_LEGAL_START)
    if not referral.nearest_relative_name:
        flags.append(Flag.MISSING_NEAREST_RELATIVE)
    if person.interpreter_needed:
        flags.append(Flag.INTERPRETER)
    if referral.risk_violence:
        flags.append(Flag.RISK_VIOLENCE)
    if referral.risk_weapons:
        flags.append(Flag.RISK_WEAPONS)
    if referral.risk_children:
        flags.append(Flag.RISK_CHILDREN)
    return [str(f) for f in flags]


def _find_or_update_person(*, service: Service, person_data: Mapping[str, Any]) -> Person:
    nhs = normalise_nhs_number(person_data.get("nhs_number") or "")
    values = {k: v for k, v in person_data.items() if k in PERSON_FIELDS and k != "nhs_number"}
    if nhs:
        person = Person.objects.select_for_update().filter(service=service, nhs_number=nhs).first()
        if person is not None:
            changed = [k for k, v in values.items() if v not in (None, "") and getattr(person, k) != v]
            for key in changed:
                setattr(person, key, values[key])
            if changed:
                person.save(update_fields=changed)
            return person
    person = Person(service=service, nhs_number=nhs, **{k: v for k, v in values.items() if v is not None})
    person.full_clean(exclude=["given_name", "family_name"])
    person.save()
    return person


@transaction.atomic
def referral_create(
    *,
    service: Service,
    actor: Any,
    data: Mapping[str, Any],
    draft: bool = False,
    channel: str = "web",
    now: datetime | None = None,
) -> Referral:
    """Create a referral (and its person, or match an existing one by NHS number).

    Raise ValidationError with field messages when DATA is not valid; nothing is saved then.
    """
    now = now or timezone.now()
    errors = validate_referral_data(data, draft=draft, now=now)
    if errors:
        raise ValidationError(errors)
    person = _find_or_update_person(service=service, person_data={k: data.get(k) for k in PERSON_FIELDS})
    referral = Referral(
        service=service,
        person=person,
        status=Status.DRAFT if draft else Status.NEW,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **{k: data[k] for k in REFERRAL_FIELDS if k in data and data[k] is not None},
    )
    referral.received_at = data.get("received_at") or now
    referral.priority = data.get("priority") or clocks.default_priority(
        referral.legal_status or "community",
        statutory_expires_at=clocks.statutory_expiry(referral.legal_status, referral.legal_power_started_at)
        if referral.legal_status
        else None,
        now=now,
    )
    apply_clocks(referral)
    referral.flags = compute_flags(referral)
    for _ in range(5):
        referral.reference = _new_reference()
        try:
            with transaction.atomic():
                referral.save(force_insert=True)
            break
        except IntegrityError:
            if Referral.objects.filter(reference=referral.reference).exists():
                continue
            raise
    audit(
        actor=actor,
        service_id=service.pk,
        action="create",
        obj=referral,
        channel=channel,
        changes={"status": referral.status, "legal_status": referral.legal_status},
    )
    return referral


@transaction.atomic
def referral_update(
    *,
    referral: Referral,
    actor: Any,
    data: Mapping[str, Any],
    submit: bool = False,
    channel: str = "web",
    now: datetime | None = None,
    expected_version: int | None = None,
) -> Referral:
    """Change a referral's details. SUBMIT turns a draft into a new referral in the queue.

    Raise ValidationError with field messages when the result would not be valid, ConflictError
    when the referral is closed, and StaleWrite when EXPECTED_VERSION is given and someone else
    has saved since (the version is raised by one on every change of details).
    """
    now = now or timezone.now()
    referral = Referral.objects.select_for_update().select_related("person").get(pk=referral.pk)
    require_version(referral, expected_version)
    if referral.status in (Status.CLOSED, Status.REDIRECTED, Status.ASSESSED):
        raise ConflictError(f"Referral {referral.reference} is {referral.get_status_display().lower()}")
    person = referral.person
    merged = {**snapshot(person, PERSON_FIELDS), **snapshot(referral, REFERRAL_FIELDS), **data}
    draft = referral.status == Status.DRAFT and not submit
    errors = validate_referral_data(merged, draft=draft, now=now)
    if errors:
        raise ValidationError(errors)

    before = {**snapshot(person, PERSON_FIELDS), **snapshot(referral, (*REFERRAL_FIELDS, "priority", "status"))}
    person_changed = [k for k in PERSON_FIELDS if k in data and getattr(person, k) != data[k]]
    for key in person_changed:
        setattr(person, key, normalise_nhs_number(data[key]) if key == "nhs_number" else data[key])
    if person_changed:
        person.save(update_fields=person_changed)
    for key in REFERRAL_FIELDS:
        if key in data and data[key] is not None:
            setattr(referral, key, data[key])
    if "priority" in data and data["priority"]:
        referral.priority = data["priority"]
    if submit and referral.status == Status.DRAFT:
        referral.status = Status.NEW
        referral.received_at = now if "received_at" not in data else referral.received_at
    apply_clocks(referral)
    referral.flags = compute_flags(referral)
    referral.version += 1
    referral.save()
    after = {**snapshot(person, PERSON_FIELDS), **snapshot(referral, (*REFERRAL_FIELDS, "priority", "status"))}
    audit(
        actor=actor,
        service_id=referral.service_id,
        action="update",
        obj=referral,
        channel=channel,
        changes=diff(before, after),
    )
    return referral


_TRIAGE_STATUS = {
    TriageDecision.ACCEPT: Status.ACCEPTED,
    TriageDecision.MORE_INFO: Status.MORE_INFO,
    TriageDecision.REDIRECT: Status.REDIRECTED,
    TriageDecision.CLOSE: Status.CLOSED,
}


@transaction.atomic
def referral_triage(
    *,
    referral: Referral,
    actor: Any,
    decision: str,
    reason: str,
    priority: str | None = None,
    channel: str = "web",
    now: datetime | None = None,
) -> TriageRecord:
    """Record a triage decision and move the referral to the matching status.

    Only referrals in the queue can be triaged (ConflictError otherwise). A reason is
    required; accepting may set the priority band, which recomputes the due time.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if decision not in TriageDecision.values:
        errors["decision"] = [f"Choose one of: {', '.join(TriageDecision.values)}"]
    if not (reason or "").strip():
        errors["reason"] = ["Enter the reason for this decision"]
    if priority and priority not in Priority.values:
        errors["priority"] = [f"Choose one of: {', '.join(Priority.values)}"]
    if errors:
        raise ValidationError(errors)
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if locked.status not in QUEUE_STATUSES:
        raise ConflictError(
            f"Referral {locked.reference} is {locked.get_status_display().lower()} and cannot be triaged"
        )
    before = {"status": locked.status, "priority": locked.priority}
    locked.status = _TRIAGE_STATUS[TriageDecision(decision)]
    if priority:
        locked.priority = priority
    update_fields = ["status", "priority", "priority_rank", "due_at", "statutory_expires_at", "updated_at"]
    if locked.status in (Status.REDIRECTED, Status.CLOSED):
        locked.closed_at = now
        update_fields.append("closed_at")
    apply_clocks(locked)
    locked.save(update_fields=update_fields)
    record = TriageRecord.objects.create(
        referral=locked,
        decision=decision,
        priority=priority or "",
        reason=reason.strip(),
        decided_by=actor,
        decided_at=now,
    )
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="triage",
        obj=locked,
        channel=channel,
        changes={**diff(before, {"status": locked.status, "priority": locked.priority}), "reason": reason.strip()},
    )
    referral.status, referral.priority, referral.due_at = locked.status, locked.priority, locked.due_at
    return record


@transaction.atomic
def referral_extend_detention(
    *,
    referral: Referral,
    actor: Any,
    hours: int,
    authorised_by: str,
    reason: str,
    channel: str = "web",
    now: datetime | None = None,
) -> Referral:
    """Record an s136B extension of an s136/s135 detention and move its statutory expiry.

    The registered medical practitioner responsible may extend by up to 12 hours in all,
    only before the first 24 hours expire, and only because the person's condition makes
    assessment impracticable (not for bed-finding or staffing). Raise ValidationError with
    the rule that refused it; ConflictError when the referral is no longer open.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if not (authorised_by or "").strip():
        errors["authorised_by"] = ["Enter the doctor who authorised the extension"]
    if not (reason or "").strip():
        errors["reason"] = ["Enter why the person's condition makes assessment impracticable"]
    if errors:
        raise ValidationError(errors)
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if not locked.is_open:
        raise ConflictError(f"Referral {locked.reference} is {locked.get_status_display().lower()}")
    try:
        clocks.check_extension(
            locked.legal_status,
            locked.legal_power_started_at,
            requested_hours=hours,
            at=now,
            already_extended_hours=locked.extension_hours,
        )
    except clocks.ClockError as exc:
        raise ValidationError({"hours": [str(exc)]}) from exc
    before = {"extension_hours": locked.extension_hours, "statutory_expires_at": locked.statutory_expires_at}
    locked.extension_hours += hours
    apply_clocks(locked)
    locked.save(update_fields=["extension_hours", "statutory_expires_at", "due_at", "priority_rank", "updated_at"])
    after = {"extension_hours": locked.extension_hours, "statutory_expires_at": locked.statutory_expires_at}
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="update",
        obj=locked,
        channel=channel,
        changes={**diff(before, after), "s136b_authorised_by": authorised_by.strip(), "reason": reason.strip()},
    )
    return locked
