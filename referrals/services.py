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
from amhp_hub.common.errors import ConflictError, RuleError
from amhp_hub.common.versioning import require_version
from referrals import clocks, deadlines, person_rules
from referrals.constants import (
    PRIORITY_RANK,
    QUEUE_STATUSES,
    REFERENCE_ALPHABET,
    Flag,
    LegalChange,
    LegalStatus,
    PlaceOfSafety,
    Priority,
    Status,
    TriageDecision,
)
from referrals.deadlines import LegalPeriod
from referrals.legal_changes import legal_change_error
from referrals.models import (
    DetentionExtension,
    LegalStatusChange,
    Person,
    PersonHistory,
    Referral,
    SearchQuery,
    TriageRecord,
)
from referrals.nhs_number import nhs_number_error, normalise_nhs_number
from referrals.selectors import case_facts
from referrals.transitions import referral_move
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
    "place_of_safety_type",
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
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"R-{body[:4]}-{body[4:]}"


def apply_clocks(referral: Referral, *, history: list[LegalPeriod] | None = None, now: datetime | None = None) -> None:
    """Set the earliest deadline still to be met, the due time and band rank of REFERRAL.

    ``statutory_expires_at`` and ``deadline_rule`` hold the earliest unmet deadline of
    referrals.deadlines (running or already breached), so the queue and the late-work sweep
    watch whichever legal deadline comes first. Nothing is saved.
    """
    found = deadlines.earliest_unmet(deadlines.case_deadlines(case_facts(referral, history), now=now or timezone.now()))
    referral.statutory_expires_at = found.due_at if found else None
    referral.deadline_rule = found.rule if found else ""
    referral.priority_rank = PRIORITY_RANK[referral.priority]
    referral.due_at = clocks.due_at(
        received_at=referral.received_at,
        priority=referral.priority,
        statutory_expires_at=referral.statutory_expires_at,
        safety_margin=timedelta(hours=settings.STATUTORY_SAFETY_MARGIN_HOURS),
        targets={band: timedelta(hours=h) for band, h in settings.PRIORITY_TARGET_HOURS.items()},
    )


CLOCK_FIELDS = ["statutory_expires_at", "deadline_rule", "due_at", "priority_rank"]


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
    if person_rules.is_child(person.age_on(timezone.localdate())):
        flags.append(Flag.UNDER_18)
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


def _plain_value(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | str) else str(value)


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
        # The person's own record of what changed (blanked with the person by retention), not the audit diff.
        changes={k: [_plain_value(before[k]), _plain_value(values[k])] for k in changed},
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


def _place_of_safety_check(*, date_of_birth: date | None, place_of_safety_type: str, now: datetime) -> None:
    """s136A (referrals.person_rules): raise RuleError when a child is at a police station as a place of safety."""
    age = person_rules.age_on(date_of_birth, timezone.localtime(now).date())
    broken = person_rules.place_of_safety_errors(age=age, place_of_safety_type=place_of_safety_type or "")
    if broken:
        raise RuleError([(e.provision, e.field, e.message) for e in broken])


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
    _place_of_safety_check(
        date_of_birth=data.get("date_of_birth") or person.date_of_birth,
        place_of_safety_type=data.get("place_of_safety_type") or "",
        now=now,
    )
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
    if referral.legal_status:
        LegalStatusChange.objects.create(
            referral=referral,
            legal_status=referral.legal_status,
            started_at=referral.legal_power_started_at,
            change=LegalChange.RECORDED,
            reason="Recorded at referral",
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            recorded_at=now,
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
    if not referral.is_open and referral.status != Status.DRAFT:
        raise ConflictError(f"Referral {referral.reference} is {referral.get_status_display().lower()}")
    person = referral.person
    merged = {**snapshot(person, PERSON_FIELDS), **snapshot(referral, REFERRAL_FIELDS), **data}
    draft = referral.status == Status.DRAFT and not submit
    errors = validate_referral_data(merged, draft=draft, now=now)
    if errors:
        raise ValidationError(errors)
    _place_of_safety_check(
        date_of_birth=merged.get("date_of_birth"),
        place_of_safety_type=merged.get("place_of_safety_type") or "",
        now=now,
    )

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
    submitting = submit and referral.status == Status.DRAFT
    if submitting:
        referral.received_at = now if "received_at" not in data else referral.received_at
    if (referral.legal_status, referral.legal_power_started_at) != (
        before["legal_status"],
        before["legal_power_started_at"],
    ):
        _correct_intake_legal_status(referral, actor=actor, now=now)
    apply_clocks(referral)
    referral.flags = compute_flags(referral)
    referral.version += 1
    referral.save()
    if submitting:
        referral_move(referral, Status.NEW, actor=actor, channel=channel)
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


def _correct_intake_legal_status(referral: Referral, *, actor: Any, now: datetime) -> None:
    """An edit of the referral's legal status corrects its first history entry while it is the only one.

    Once the status has changed since (an application, a recall), an edit adds an entry instead,
    so the history is never rewritten.
    """
    entries = list(referral.legal_history.all()[:2])
    by = actor if getattr(actor, "is_authenticated", False) else None
    if len(entries) == 1 and entries[0].change == LegalChange.RECORDED:
        entry = entries[0]
        entry.legal_status, entry.started_at = referral.legal_status, referral.legal_power_started_at
        entry.save(update_fields=["legal_status", "started_at"])
    elif referral.legal_status:
        LegalStatusChange.objects.create(
            referral=referral,
            legal_status=referral.legal_status,
            started_at=referral.legal_power_started_at,
            change=LegalChange.RECORDED if not entries else LegalChange.CHANGED,
            reason="Corrected on the referral",
            recorded_by=by,
            recorded_at=now,
        )


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
    before_priority = locked.priority
    if priority:
        locked.priority = priority
    apply_clocks(locked)
    referral_move(
        locked,
        _TRIAGE_STATUS[TriageDecision(decision)],
        actor=actor,
        reason=reason,
        at=now,
        channel=channel,
        extra_fields=["priority", *CLOCK_FIELDS],
        audit_action="triage",
        audit_changes=diff({"priority": before_priority}, {"priority": locked.priority}),
    )
    record = TriageRecord.objects.create(
        referral=locked,
        decision=decision,
        priority=priority or "",
        reason=reason.strip(),
        decided_by=actor,
        decided_at=now,
    )
    if referral is not locked:
        referral.refresh_from_db(fields=["status", "priority", "priority_rank", "due_at", "closed_at", "updated_at"])
    return record


@transaction.atomic
def referral_extend_detention(
    *,
    referral: Referral,
    actor: Any,
    hours: int,
    authorised_by: str,
    reason: str,
    authorised_at: datetime | None = None,
    superintendent_approved: bool = False,
    channel: str = "web",
    now: datetime | None = None,
) -> Referral:
    """Record an s136B extension of an s136/s135(1) detention and move its deadline.

    The registered medical practitioner responsible may extend by up to 12 hours in all, only
    before the first 24 hours expire, and only because the person's condition makes assessment
    impracticable (not for bed-finding or staffing). AUTHORISED_AT is when the doctor authorised
    it (default NOW); the 24-hour test applies to that time, not to when it is typed. At a police
    station a superintendent must approve (s136B(3)). A s135(2) retaking warrant cannot be
    extended. Raise RuleError naming s136B for a refusal, ValidationError for missing details,
    ConflictError when the referral is no longer open.
    """
    now = now or timezone.now()
    authorised_at = authorised_at or now
    errors: dict[str, list[str]] = {}
    if not (authorised_by or "").strip():
        errors["authorised_by"] = ["Enter the doctor who authorised the extension"]
    if not (reason or "").strip():
        errors["reason"] = ["Enter why the person's condition makes assessment impracticable"]
    if authorised_at > now + FUTURE_TOLERANCE:
        errors["authorised_at"] = ["The time the doctor authorised the extension must be in the past"]
    if errors:
        raise ValidationError(errors)
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if not locked.is_open:
        raise ConflictError(f"Referral {locked.reference} is {locked.get_status_display().lower()}")
    violations: list[tuple[str, str, str]] = []
    if locked.place_of_safety_type == PlaceOfSafety.POLICE_STATION and not superintendent_approved:
        violations.append(
            ("s136B", "superintendent_approved", "At a police station a superintendent must approve the extension")
        )
    try:
        clocks.check_extension(
            locked.legal_status,
            locked.legal_power_started_at,
            requested_hours=hours,
            at=authorised_at,
            already_extended_hours=locked.extension_hours,
        )
    except clocks.ClockError as exc:
        violations.append(("s136B", "hours", str(exc)))
    if violations:
        raise RuleError(violations)
    before = {"extension_hours": locked.extension_hours, "statutory_expires_at": locked.statutory_expires_at}
    locked.extension_hours += hours
    apply_clocks(locked, now=now)
    locked.save(update_fields=["extension_hours", *CLOCK_FIELDS, "updated_at"])
    DetentionExtension.objects.create(
        referral=locked,
        hours=hours,
        authorised_at=authorised_at,
        authorised_by=authorised_by.strip(),
        reason=reason.strip(),
        superintendent_approved=superintendent_approved,
        recorded_by=actor,
        recorded_at=now,
    )
    after = {"extension_hours": locked.extension_hours, "statutory_expires_at": locked.statutory_expires_at}
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="update",
        obj=locked,
        channel=channel,
        changes={
            **diff(before, after),
            "s136b_authorised_by": authorised_by.strip(),
            "s136b_authorised_at": authorised_at.isoformat(),
            "superintendent_approved": superintendent_approved,
            "reason": reason.strip(),
        },
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


@transaction.atomic
def referral_change_legal_status(
    *,
    referral: Referral,
    actor: Any,
    legal_status: str,
    started_at: datetime | None,
    reason: str,
    change: str = LegalChange.CHANGED,
    channel: str = "web",
    now: datetime | None = None,
) -> LegalStatusChange:
    """Record a change of the person's legal status (s5(4)→s5(2), s4→s2, s136→s2, CTO recall, revoked, released).

    The referral's current legal status and clock start become the new ones and its deadlines
    move: the s5(2) after a s5(4) counts from the s5(4) (s5(5)); an s2 after an s4 counts its 28
    days from the s4 admission (s4(4)(a)). Raise RuleError naming the provision when the Act
    does not allow the change, ValidationError for a missing reason or time, ConflictError
    when the referral is closed.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if legal_status not in LegalStatus.values:
        errors["legal_status"] = ["Choose a legal status from the list"]
    if change not in LegalChange.values or change == LegalChange.RECORDED:
        errors["change"] = ["Choose changed, revoked or released"]
    if not (reason or "").strip():
        errors["reason"] = ["Enter the reason for the change"]
    if started_at is None and legal_status in clocks.CLOCKED_STATUSES | {"cto_recall"}:
        errors["started_at"] = ["Enter when the new legal status started: its clock runs from then"]
    elif started_at is not None and started_at > now + FUTURE_TOLERANCE:
        errors["started_at"] = ["The date and time must be in the past"]
    if errors:
        raise ValidationError(errors)
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if not locked.is_open:
        raise ConflictError(f"Referral {locked.reference} is {locked.get_status_display().lower()}")
    refused = legal_change_error(
        current=locked.legal_status,
        new=legal_status,
        change=change,
        started_at=started_at,
        current_started_at=locked.legal_power_started_at,
    )
    if refused:
        raise RuleError([(refused[0], "legal_status", refused[1])])
    if not locked.legal_history.exists() and locked.legal_status:
        LegalStatusChange.objects.create(
            referral=locked,
            legal_status=locked.legal_status,
            started_at=locked.legal_power_started_at,
            change=LegalChange.RECORDED,
            reason="Recorded at referral",
            recorded_at=locked.received_at,
        )
    entry = LegalStatusChange.objects.create(
        referral=locked,
        legal_status=legal_status,
        started_at=started_at,
        change=change,
        reason=reason.strip(),
        recorded_by=actor,
        recorded_at=now,
    )
    before = {"legal_status": locked.legal_status, "legal_power_started_at": locked.legal_power_started_at}
    locked.legal_status, locked.legal_power_started_at = legal_status, started_at
    if legal_status not in clocks.EXTENDABLE:
        locked.extension_hours = 0
    apply_clocks(locked, now=now)
    locked.save(
        update_fields=["legal_status", "legal_power_started_at", "extension_hours", *CLOCK_FIELDS, "updated_at"]
    )
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="update",
        obj=locked,
        channel=channel,
        changes={
            **diff(before, {"legal_status": legal_status, "legal_power_started_at": started_at}),
            "change": change,
            "reason": reason.strip(),
        },
    )
    return entry


PATHWAY_FIELDS = (
    "application_section",
    "application_signed_at",
    "applicant_seen_at",
    "first_examined_at",
    "last_examined_at",
    "conveyed_at",
)


@transaction.atomic
def referral_record_pathway(
    *, referral: Referral, actor: Any, facts: Mapping[str, Any], channel: str = "web", now: datetime | None = None
) -> Referral:
    """Record facts of the detention pathway (PATHWAY_FIELDS) on REFERRAL and move its deadlines.

    Called by the assessment services when the AMHP records seeing the person, the medical
    examinations, the signed application or the conveyance. Values that are None leave the
    field as it is. A signed application moves an allocated referral to application_made.
    """
    now = now or timezone.now()
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    before = snapshot(locked, PATHWAY_FIELDS)
    changed = [k for k in PATHWAY_FIELDS if facts.get(k) is not None and facts[k] != before[k]]
    for key in changed:
        setattr(locked, key, facts[key])
    if not changed:
        return locked
    apply_clocks(locked, now=now)
    locked.save(update_fields=[*changed, *CLOCK_FIELDS, "updated_at"])
    if "application_signed_at" in changed and locked.status == Status.ALLOCATED:
        referral_move(locked, Status.APPLICATION_MADE, actor=actor, at=locked.application_signed_at, channel=channel)
        apply_clocks(locked, now=now)
        locked.save(update_fields=[*CLOCK_FIELDS])
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="update",
        obj=locked,
        channel=channel,
        changes=diff(before, snapshot(locked, PATHWAY_FIELDS)),
    )
    return locked


@transaction.atomic
def referral_admit(
    *, referral: Referral, actor: Any, at: datetime | None, channel: str = "web", now: datetime | None = None
) -> Referral:
    """Record that the application reached the hospital managers: the referral becomes admitted.

    Admission meets the s136/s135 and conveyance deadlines; an s2 then counts its 28 days from
    the day of admission. Raise ValidationError for a missing or future time, TransitionError
    (409) unless the referral is application_made.
    """
    now = now or timezone.now()
    if at is None:
        raise ValidationError({"admitted_at": ["Enter when the application reached the hospital managers"]})
    if at > now + FUTURE_TOLERANCE:
        raise ValidationError({"admitted_at": ["The date and time must be in the past"]})
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if locked.application_signed_at is not None and at < locked.application_signed_at:
        raise RuleError([("s6(1)", "admitted_at", "Admission cannot come before the application was signed")])
    locked.admitted_at = at
    apply_clocks(locked, now=now)
    referral_move(locked, Status.ADMITTED, actor=actor, at=at, channel=channel, extra_fields=CLOCK_FIELDS)
    return locked
