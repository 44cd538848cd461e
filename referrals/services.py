"""Writes to referrals: intake, updates and triage. Each is one transaction with its audit row."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from amhp_hub.common.audit import audit, diff, snapshot
from amhp_hub.common.errors import ConflictError
from referrals import clocks
from referrals.constants import (
    PRIORITY_RANK,
    QUEUE_STATUSES,
    Flag,
    Priority,
    Status,
    TriageDecision,
)
from referrals.models import Person, PersonHistory, Referral, SearchQuery, TriageRecord
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


# The details that say who a person is: a change to them is shown and confirmed, never silent.
IDENTITY_FIELDS = ("given_name", "family_name", "date_of_birth")
PERSON_MATCH_UPDATE = "update"  # the person's details become those entered (earlier records keep theirs)
PERSON_MATCH_KEEP = "keep"  # keep the details on record; the new referral records them too
PERSON_MATCH_CHOICES = (PERSON_MATCH_UPDATE, PERSON_MATCH_KEEP)


class PersonMatchConflict(ConflictError):
    """An NHS number matched a person on record whose name or date of birth differs from what was entered."""

    def __init__(self, person: Person, differences: dict[str, dict[str, Any]]) -> None:
        super().__init__(
            f"NHS number {person.nhs_number_display} belongs to {person.full_name or 'a person'} on record, "
            "whose details differ from those entered: confirm which to keep"
        )
        self.person = person
        self.differences = differences

    def as_json(self) -> dict[str, Any]:
        return {
            "detail": self.message,
            "match": {
                "id": str(self.person.pk),
                "nhs_number": self.person.nhs_number,
                "given_name": self.person.given_name,
                "family_name": self.person.family_name,
                "date_of_birth": self.person.date_of_birth.isoformat() if self.person.date_of_birth else None,
                "referrals": self.person.referrals.exclude(status=Status.DRAFT).count(),
            },
            "differences": {
                field: {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}
                for field, values in self.differences.items()
            },
            "person_match": list(PERSON_MATCH_CHOICES),
        }


def person_differences(person: Person, values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return {field: {"on_record": old, "entered": new}} for identity fields entered that differ from PERSON's.

    Names compare without regard to case or surrounding spaces; a field left empty is no difference.
    """
    out: dict[str, dict[str, Any]] = {}
    for field in IDENTITY_FIELDS:
        entered = values.get(field)
        if entered in (None, ""):
            continue
        current = getattr(person, field)
        same = (
            str(current or "").strip().casefold() == str(entered).strip().casefold()
            if field != "date_of_birth"
            else current == entered
        )
        if not same:
            out[field] = {"on_record": current, "entered": entered}
    return out


def _person_change(
    *, person: Person, values: Mapping[str, Any], actor: Any, now: datetime, referral: Referral | None
) -> list[str]:
    """Apply VALUES to PERSON, keeping what it was in its history (who, when, on which referral)."""
    changed = [k for k, v in values.items() if k in PERSON_FIELDS and getattr(person, k) != v]
    if not changed:
        return []
    before = snapshot(person, PERSON_FIELDS)
    for key in changed:
        setattr(person, key, values[key])
    person.save(update_fields=changed)
    PersonHistory.objects.create(
        person=person,
        given_name=before["given_name"],
        family_name=before["family_name"],
        date_of_birth=before["date_of_birth"],
        changes=diff({k: before[k] for k in changed}, {k: values[k] for k in changed}),
        referral=referral,
        changed_by=actor if getattr(actor, "is_authenticated", False) else None,
        changed_at=now,
    )
    return changed


def _match_person(
    *, service: Service, person_data: Mapping[str, Any], person_match: str | None
) -> tuple[Person | None, dict[str, Any]]:
    """Return (the person on record with this NHS number or None, the changes to make to them).

    Raise PersonMatchConflict when their name or date of birth differs from what was entered and
    PERSON_MATCH does not say what to do.
    """
    nhs = normalise_nhs_number(person_data.get("nhs_number") or "")
    values = {k: v for k, v in person_data.items() if k in PERSON_FIELDS and k != "nhs_number"}
    if not nhs:
        return None, values
    person = Person.objects.select_for_update().filter(service=service, nhs_number=nhs).first()
    if person is None:
        return None, values
    differences = person_differences(person, values)
    if differences and person_match not in PERSON_MATCH_CHOICES:
        raise PersonMatchConflict(person, differences)
    changes = {k: v for k, v in values.items() if v not in (None, "")}
    if person_match == PERSON_MATCH_KEEP:
        changes = {k: v for k, v in changes.items() if k not in IDENTITY_FIELDS}
    return person, changes


@transaction.atomic
def referral_create(
    *,
    service: Service,
    actor: Any,
    data: Mapping[str, Any],
    draft: bool = False,
    channel: str = "web",
    now: datetime | None = None,
    person_match: str | None = None,
) -> Referral:
    """Create a referral (and its person, or match an existing one by NHS number).

    When the NHS number matches a person on record whose name or date of birth differs from
    DATA, PERSON_MATCH says what to do: "update" their details (kept in the person's history;
    earlier referrals keep the details they recorded) or "keep" the details on record. Without
    it, raise PersonMatchConflict (409) naming the match. Raise ValidationError with field
    messages when DATA is not valid; nothing is saved then.
    """
    now = now or timezone.now()
    errors = validate_referral_data(data, draft=draft, now=now)
    if errors:
        raise ValidationError(errors)
    if person_match not in (None, "", *PERSON_MATCH_CHOICES):
        raise ValidationError({"person_match": [f"Choose one of: {', '.join(PERSON_MATCH_CHOICES)}"]})
    person_data = {k: data.get(k) for k in PERSON_FIELDS}
    person, person_changes = _match_person(service=service, person_data=person_data, person_match=person_match or None)
    if person is None:
        person = Person(
            service=service,
            nhs_number=normalise_nhs_number(person_data.get("nhs_number") or ""),
            **{k: v for k, v in person_changes.items() if v is not None},
        )
        person.full_clean(exclude=["given_name", "family_name"])
        person.save()
        person_changes = {}
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
    if person_changes:
        # What the person's details were, and on which referral they changed (set once it is saved).
        changed_fields = [k for k, v in person_changes.items() if getattr(person, k) != v]
    else:
        changed_fields = []
    referral.record_person(Person(**{**snapshot(person, PERSON_FIELDS), **person_changes}))
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
    if changed_fields:
        _person_change(
            person=person,
            values={k: person_changes[k] for k in changed_fields},
            actor=actor,
            now=now,
            referral=referral,
        )
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
) -> Referral:
    """Change a referral's details. SUBMIT turns a draft into a new referral in the queue.

    Raise ValidationError with field messages when the result would not be valid, and
    ConflictError when the referral is closed.
    """
    now = now or timezone.now()
    referral = Referral.objects.select_for_update().select_related("person").get(pk=referral.pk)
    if referral.status in (Status.CLOSED, Status.REDIRECTED, Status.ASSESSED):
        raise ConflictError(f"Referral {referral.reference} is {referral.get_status_display().lower()}")
    person = referral.person
    merged = {**snapshot(person, PERSON_FIELDS), **snapshot(referral, REFERRAL_FIELDS), **data}
    draft = referral.status == Status.DRAFT and not submit
    errors = validate_referral_data(merged, draft=draft, now=now)
    if errors:
        raise ValidationError(errors)

    before = {**snapshot(person, PERSON_FIELDS), **snapshot(referral, (*REFERRAL_FIELDS, "priority", "status"))}
    person_values = {
        k: (normalise_nhs_number(data[k] or "") if k == "nhs_number" else data[k]) for k in PERSON_FIELDS if k in data
    }
    new_nhs = person_values.get("nhs_number")
    if new_nhs and new_nhs != person.nhs_number:
        owner = Person.objects.filter(service_id=referral.service_id, nhs_number=new_nhs).exclude(pk=person.pk).first()
        if owner is not None:
            raise ValidationError(
                {"nhs_number": [f"NHS number {owner.nhs_number_display} belongs to another person on record"]}
            )
    identity_changed = any(k in IDENTITY_FIELDS and getattr(person, k) != v for k, v in person_values.items())
    _person_change(person=person, values=person_values, actor=actor, now=now, referral=referral)
    if identity_changed or not referral.recorded_given_name:
        referral.record_person(person)
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


@transaction.atomic
def search_create(*, profile: Any, actor: Any, text: str, date_of_birth: Any = None) -> SearchQuery:
    """Save a search behind a random id (so no name or NHS number goes in a URL or access log)."""
    return SearchQuery.objects.create(
        service_id=profile.service_id, created_by=actor, text=(text or "").strip()[:200], date_of_birth=date_of_birth
    )


def search_audit(*, actor: Any, service_id: int, search_id: Any, results: list[Referral], kind: str) -> None:
    """Audit a search: who searched, for what kind of term, and which referrals they were shown."""
    audit(
        actor=actor,
        service_id=service_id,
        action="search",
        object_type="referral",
        object_ids=[r.pk for r in results],
        changes={"search": str(search_id), "by": kind},
    )
