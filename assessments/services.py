"""Writes for allocation and the assessment record. Each is one transaction with its audit rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from amhp_hub.common.audit import audit, diff, snapshot
from amhp_hub.common.errors import ConflictError, RuleError, WarningsToConfirm
from amhp_hub.common.versioning import require_version
from assessments import application_rules, selectors
from assessments.application_services import (
    completion_errors,
    pathway_facts,
    rule_error,
    unsigned_application_errors,
)
from assessments.models import (
    DETENTION_OUTCOMES,
    OPEN_ASSESSMENT_STATUSES,
    Assessment,
    AssessmentStatus,
    DelayReason,
    Doctor,
    NearestRelativeAction,
    Outcome,
    TimelineEvent,
)
from assessments.notify import notification_send
from referrals.constants import QUEUE_STATUSES, Status
from referrals.models import Referral
from referrals.services import referral_record_pathway
from referrals.transitions import referral_move
from rota import approval, ranking
from rota import doctors as doctor_rules
from rota import services as rota_services
from rota.models import Leave, Role, Shift, StaffProfile
from rota.selectors import current_shift_for
from rota.timefmt import LONDON, format_local

# Kinds an AMHP records; the others are written by allocation, acceptance and decline.
RECORDABLE_EVENTS = tuple(
    k
    for k in TimelineEvent.Kind
    if k not in (TimelineEvent.Kind.ALLOCATED, TimelineEvent.Kind.ACCEPTED, TimelineEvent.Kind.DECLINED)
)
# A timeline event also sets the matching time on the record, if it is not set yet.
EVENT_FIELDS = {
    TimelineEvent.Kind.SEEN: "seen_at",
    TimelineEvent.Kind.APPLICATION_SIGNED: "application_signed_at",
    TimelineEvent.Kind.BED_FOUND: "bed_found_at",
    TimelineEvent.Kind.CONVEYED: "conveyed_at",
}
RECORD_FIELDS = (
    "outcome",
    "outcome_notes",
    "nearest_relative_action",
    "nearest_relative_notes",
    "learning_disability",
    "abnormally_aggressive_or_seriously_irresponsible",
    "delay_reasons",
    "seen_at",
    "application_signed_at",
    "bed_found_at",
    "conveyed_at",
    "work_started_at",
    "work_ended_at",
    "hours_worked",
)
TIME_FIELDS = ("seen_at", "application_signed_at", "bed_found_at", "conveyed_at", "work_started_at", "work_ended_at")
DOCTOR_FIELDS = (
    "directory_doctor",
    "name",
    "s12_approved",
    "previous_acquaintance",
    "examined_at",
    "recommendation_signed",
)
MAX_HOURS_WORKED = Decimal("72")
FUTURE_TOLERANCE = timedelta(minutes=5)


def _lock(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().select_related("referral").get(pk=assessment.pk)


def _hours_between(start: datetime, end: datetime) -> Decimal:
    return (Decimal((end - start).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"))


def _allocation_note(assessment: Assessment) -> str:
    if assessment.called_in:
        return f"Called in off the rota: {assessment.call_in_reason}"
    if assessment.planned_for:
        planned_shift = cast(Shift, assessment.planned_shift)  # planned work is booked against its shift
        return f"Planned work for the shift from {format_local(planned_shift.starts_at)}"
    return ""


@transaction.atomic
def assessment_allocate(
    *,
    referral: Referral,
    amhp: StaffProfile,
    actor: Any,
    now: datetime | None = None,
    channel: str = "web",
    planned_at: datetime | None = None,
    call_in_reason: str = "",
    warnings_confirmed: bool = True,
) -> Assessment:
    """Allocate REFERRAL to AMHP, who must be on duty now; return the new assessment.

    With PLANNED_AT (later than now) the work goes to the AMHP's shift covering that time
    instead: planned work such as an s3 assessment late in an s2, or a s135 warrant day.
    With CALL_IN_REASON an AMHP not on duty is brought in (an off-rota call-in, recorded
    and reported); it is refused for someone who is on duty.

    Raise ConflictError if the referral already has a live assessment or is not in the
    queue, and ValidationError (field "amhp") if the AMHP is not an AMHP of the referral's
    service, is not on duty, or is on leave (at PLANNED_AT for planned work). Unless
    WARNINGS_CONFIRMED, raise WarningsToConfirm (field "confirm_warnings") and allocate nothing
    when the work would break a Working Time Regulations 1998 limit for the AMHP (the 11 h daily
    rest, reg. 10; the weekly rest, reg. 11; the 48 h average, reg. 4), judged as the candidates
    list judges it (selectors.allocation_warnings). The referral row and then the AMHP's row are
    locked, so two consultants can never allocate the same referral twice and two
    allocations to one AMHP are taken one at a time.
    """
    now = now or timezone.now()
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if Assessment.objects.filter(referral=locked).exclude(status=AssessmentStatus.DECLINED).exists():
        raise ConflictError(f"Referral {locked.reference} is already allocated")
    if locked.status not in QUEUE_STATUSES:
        raise ConflictError(
            f"Referral {locked.reference} is {locked.get_status_display().lower()} and cannot be allocated"
        )
    staff = StaffProfile.objects.select_for_update().select_related("user").filter(pk=amhp.pk).first()
    if staff is None or staff.service_id != locked.service_id or staff.role != Role.AMHP:
        raise ValidationError({"amhp": ["Choose an AMHP of this service"]})
    if planned_at is not None and planned_at <= now:
        raise ValidationError({"planned_at": ["Planned work must start later than now"]})
    when = planned_at or now
    if Leave.objects.filter(staff=staff, cancelled_at__isnull=True, starts_at__lte=when, ends_at__gt=when).exists():
        raise ValidationError({"amhp": [f"{staff.display_name} is on leave"]})
    problem = approval.approval_problem(staff.display_name, staff.warrant_expires_on, when.astimezone(LONDON).date())
    if problem:
        raise RuleError([(approval.PROVISION, "amhp", f"{problem}: they cannot be allocated")])
    call_in_reason = (call_in_reason or "").strip()
    shift = current_shift_for(staff=staff, at=planned_at or now)
    if shift is None and planned_at is not None:
        raise ValidationError({"amhp": [f"{staff.display_name} is not on the rota at {format_local(planned_at)}"]})
    if shift is not None and call_in_reason and planned_at is None:
        raise ValidationError({"call_in_reason": [f"{staff.display_name} is on duty now: this is not a call-in"]})
    if shift is None and not call_in_reason:
        raise ValidationError(
            {"amhp": [f"{staff.display_name} is not on duty now: give the reason to call them in off the rota"]}
        )
    if not warnings_confirmed:
        warnings = selectors.allocation_warnings(locked, staff, when)
        if warnings:
            raise WarningsToConfirm(
                [f"{staff.display_name}, Working Time Regulations 1998: {w}" for w in warnings],
                field="confirm_warnings",
            )
    assessment = Assessment(
        service_id=locked.service_id,
        referral=locked,
        amhp=staff,
        status=AssessmentStatus.OFFERED,
        allocated_at=now,
        allocated_by=actor,
        expected_hours=Decimal(str(ranking.expected_hours(locked.legal_status or "community"))),
        shift_ends_at=shift.ends_at if shift else None,
        late_after=shift.ends_at if shift else None,
        planned_shift=shift if planned_at is not None else None,
        planned_for=planned_at,
        called_in=shift is None,
        call_in_reason=call_in_reason if shift is None else "",
    )
    try:
        with transaction.atomic():
            assessment.save(force_insert=True)
    except IntegrityError as exc:  # assessment_one_live_per_referral: the database's last word on races
        raise ConflictError(f"Referral {locked.reference} is already allocated") from exc
    locked.decline_note = ""
    referral_move(
        locked,
        Status.ALLOCATED,
        actor=actor,
        at=now,
        channel=channel,
        extra_fields=["decline_note"],
        audit_changes={"assessment": str(assessment.pk)},
    )
    if referral is not locked:
        referral.refresh_from_db(fields=["status", "updated_at"])
    notification_send(
        recipient_id=staff.user_id,
        service_id=locked.service_id,
        kind="allocated",
        title=f"Allocated to you: referral {locked.reference}",
        body=(
            f"{locked.person_name or 'A person'}: "
            f"{locked.get_legal_status_display() or 'legal situation not recorded'}. "
            "Accept or decline it on the assessment page."
        ),
        url=reverse("assessments:detail", args=[assessment.pk]),
        dedupe_key=f"allocated:{assessment.pk}",
    )
    TimelineEvent.objects.create(
        assessment=assessment,
        kind=TimelineEvent.Kind.ALLOCATED,
        at=now,
        note=_allocation_note(assessment),
        recorded_by=actor,
    )
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="allocate",
        obj=assessment,
        channel=channel,
        changes={
            "referral": str(locked.pk),
            "amhp": str(staff.pk),
            "shift_ends_at": shift.ends_at.isoformat() if shift else None,
            **({"planned_for": planned_at.isoformat()} if planned_at else {}),
            **({"call_in": call_in_reason} if shift is None else {}),
        },
    )
    return assessment


@transaction.atomic
def assessment_accept(
    *, assessment: Assessment, actor: Any, now: datetime | None = None, channel: str = "web"
) -> Assessment:
    """The allocated AMHP accepts the work. Only an offered allocation can be accepted (ConflictError)."""
    now = now or timezone.now()
    locked = _lock(assessment)
    if locked.status != AssessmentStatus.OFFERED:
        raise ConflictError(f"This allocation is {locked.get_status_display().lower()} and cannot be accepted")
    locked.status = AssessmentStatus.ACCEPTED
    locked.responded_at = now
    locked.save(update_fields=["status", "responded_at", "updated_at"])
    TimelineEvent.objects.create(assessment=locked, kind=TimelineEvent.Kind.ACCEPTED, at=now, recorded_by=actor)
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="update",
        obj=locked,
        channel=channel,
        changes={"status": [AssessmentStatus.OFFERED, AssessmentStatus.ACCEPTED]},
    )
    return locked


@transaction.atomic
def assessment_decline(
    *, assessment: Assessment, actor: Any, reason: str, now: datetime | None = None, channel: str = "web"
) -> Assessment:
    """The allocated AMHP declines the work with a reason; the referral goes back to the queue.

    The queue shows "Declined by X: reason" until it is allocated again, the consultants and
    the allocator are notified (in-app, then email), and the AMHP ranks last for it.

    A reason is required (ValidationError). Only work not yet under way can be declined
    (ConflictError otherwise).
    """
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Enter the reason for declining"]})
    locked = Assessment.objects.select_for_update().select_related("referral", "amhp__user").get(pk=assessment.pk)
    if locked.status not in (AssessmentStatus.OFFERED, AssessmentStatus.ACCEPTED):
        raise ConflictError(f"This allocation is {locked.get_status_display().lower()} and cannot be declined")
    before = locked.status
    locked.status = AssessmentStatus.DECLINED
    locked.responded_at = now
    locked.decline_reason = reason
    locked.late_after = None
    locked.save(update_fields=["status", "responded_at", "decline_reason", "late_after", "updated_at"])
    TimelineEvent.objects.create(
        assessment=locked, kind=TimelineEvent.Kind.DECLINED, at=now, note=reason, recorded_by=actor
    )
    referral = Referral.objects.select_for_update().select_related("person").get(pk=locked.referral_id)
    decliner = locked.amhp.display_name
    referral.decline_note = f"Declined by {decliner}: {reason}"[:300]
    referral_move(
        referral,
        Status.ACCEPTED,
        actor=actor,
        reason=reason,
        at=now,
        channel=channel,
        extra_fields=["decline_note"],
        audit_changes={"declined_assessment": str(locked.pk)},
    )
    # The consultants (who allocate) and whoever made this allocation hear of it at once.
    consultants = StaffProfile.objects.filter(service_id=locked.service_id, role=Role.CONSULTANT)
    recipients = set(consultants.values_list("user_id", flat=True)) | {locked.allocated_by_id}
    for user_id in sorted(recipients):
        notification_send(
            recipient_id=user_id,
            service_id=locked.service_id,
            kind="declined",
            title=f"Declined: referral {referral.reference} by {decliner}",
            body=f"Reason: {reason}. The referral is back in the queue to allocate again.",
            url=reverse("referrals:detail", args=[referral.pk]),
            dedupe_key=f"declined:{locked.pk}",
        )
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="update",
        obj=locked,
        channel=channel,
        changes={"status": [before, AssessmentStatus.DECLINED], "reason": reason},
    )
    return locked


def _require_working(locked: Assessment) -> None:
    if locked.status == AssessmentStatus.OFFERED:
        raise ConflictError("Accept the allocation before recording the assessment")
    if locked.status == AssessmentStatus.DECLINED:
        raise ConflictError("This allocation was declined")
    if locked.status == AssessmentStatus.COMPLETED:
        raise ConflictError("This assessment is completed and its record is closed")


@transaction.atomic
def assessment_record_event(
    *,
    assessment: Assessment,
    actor: Any,
    kind: str,
    at: datetime | None,
    note: str = "",
    now: datetime | None = None,
    channel: str = "web",
) -> TimelineEvent:
    """Add a timeline event; "seen", "application signed", "bed found" and "conveyed" also set those times.

    Raise ValidationError for an unknown kind or a time in the future, ConflictError if the
    allocation has not been accepted, was declined or is completed. The first event puts accepted work in progress.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if kind not in RECORDABLE_EVENTS:
        errors["kind"] = ["Choose what happened"]
    if at is None:
        errors["at"] = ["Enter when it happened"]
    elif at > now + FUTURE_TOLERANCE:
        errors["at"] = ["The time must be in the past"]
    if errors:
        raise ValidationError(errors)
    assert at is not None  # narrowed by the check above
    locked = _lock(assessment)
    _require_working(locked)
    if kind == TimelineEvent.Kind.APPLICATION_SIGNED:
        broken = unsigned_application_errors(locked, "kind")
        if broken:
            raise rule_error(broken)
    event = TimelineEvent.objects.create(
        assessment=locked, kind=kind, at=at, note=(note or "").strip(), recorded_by=actor
    )
    update_fields = ["updated_at"]
    field = EVENT_FIELDS.get(TimelineEvent.Kind(kind))
    if field and getattr(locked, field) is None:
        setattr(locked, field, at)
        update_fields.append(field)
    if locked.status == AssessmentStatus.ACCEPTED:
        locked.status = AssessmentStatus.IN_PROGRESS
        update_fields.append("status")
    locked.save(update_fields=update_fields)
    if field:
        _sync_pathway(locked, actor=actor, channel=channel, now=now)
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="update",
        obj=locked,
        channel=channel,
        changes={"timeline": [kind, at.isoformat()], **({field: at.isoformat()} if field else {})},
    )
    return event


APPLICATION_OUTCOMES = (*DETENTION_OUTCOMES, Outcome.APPLICATION_AWAITING_BED)
PATHWAY_SOURCES = ("seen_at", "application_signed_at", "conveyed_at", "outcome")


def _sync_pathway(locked: Assessment, *, actor: Any, channel: str, now: datetime) -> None:
    """Give the referral the facts its deadlines read: seen, examinations, application, conveyance.

    The application's facts (its section, signature, the applicant's visit and the recommending
    doctors' examinations) come from the lawful application when one is recorded, and a signed
    application moves an allocated referral to application_made (referrals.services).
    """
    examined = [t for t in locked.doctors.values_list("examined_at", flat=True) if t is not None]
    facts: dict[str, Any] = {
        "applicant_seen_at": locked.seen_at,
        "conveyed_at": locked.conveyed_at,
        "first_examined_at": min(examined, default=None),
        "last_examined_at": max(examined, default=None),
    }
    facts.update(pathway_facts(locked))
    referral_record_pathway(referral=locked.referral, actor=actor, channel=channel, now=now, facts=facts)


def _london_day(value: datetime) -> Any:
    return value.astimezone(LONDON).date()


# Free-text notes on the record are capped: long enough for a full account, short of a pasted document.
NOTES_MAX_LENGTH = 5000


def validate_record(record: Mapping[str, Any], doctors: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Return {field: [messages]} for what is wrong with an assessment record; empty when it may be saved.

    Checks the choices, the order of the work times, the hours worked, the s11(4) bar (a
    nearest relative's objection bars section 3) and, for detentions with two examinations,
    the s12(1) rule that they are no more than 5 clear days apart.
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    outcome = record.get("outcome") or ""
    if outcome and outcome not in Outcome.values:
        add("outcome", "Choose an outcome from the list")
    if record.get("nearest_relative_action") not in NearestRelativeAction.values:
        add("nearest_relative_action", "Choose what happened with the nearest relative")
    reasons = record.get("delay_reasons") or []
    if not isinstance(reasons, list | tuple) or any(r not in DelayReason.values for r in reasons):
        add("delay_reasons", f"Choose delay reasons from: {', '.join(DelayReason.values)}")
    start, end = record.get("work_started_at"), record.get("work_ended_at")
    if start and end and end <= start:
        add("work_ended_at", "The time work ended must be after the time it started")
    hours = record.get("hours_worked")
    if hours is not None and not (Decimal(0) <= Decimal(str(hours)) <= MAX_HOURS_WORKED):
        add("hours_worked", f"Hours worked must be between 0 and {MAX_HOURS_WORKED}")
    section = application_rules.OUTCOME_SECTION.get(outcome, "")
    if record.get("nearest_relative_action") == NearestRelativeAction.OBJECTED:
        for e in application_rules.objection_errors(section, frozenset({section}), displaced=False):
            add("outcome", e.message)
    for field in ("outcome_notes", "nearest_relative_notes"):
        text = record.get(field) or ""
        if len(text) > NOTES_MAX_LENGTH:
            add(field, f"Enter {NOTES_MAX_LENGTH:,} characters or fewer (you entered {len(text):,})")
    doctors = list(doctors)
    today = _london_day(timezone.now())
    for index, doctor in enumerate(doctors):
        if not (doctor.get("name") or "").strip():
            add("doctors", f"Enter the name of doctor {index + 1}")
        listed = doctor.get("directory_doctor")
        if listed is not None and doctor.get("s12_approved"):
            day = _london_day(doctor["examined_at"]) if doctor.get("examined_at") else today
            if not doctor_rules.s12_approval_in_date(
                approved=listed.s12_approved, expires_on=listed.s12_approval_expires_on, on_day=day
            ):
                expiry = (
                    f" expired on {listed.s12_approval_expires_on:%d/%m/%Y}"
                    if listed.s12_approval_expires_on
                    else " is not recorded"
                )
                add(
                    "doctors",
                    f"{listed.name}'s section 12 approval{expiry}: they cannot give the s12-approved "
                    f"recommendation (s12(2)) for an examination on {day:%d/%m/%Y}",
                )
    if outcome in DETENTION_OUTCOMES:
        # The doctors on the record are checked early, by the same rules the application is checked by.
        recs = [
            application_rules.Recommendation(
                doctor=d.get("name") or "",
                examined_on=_london_day(d["examined_at"]) if d.get("examined_at") else None,
                s12_approved=bool(d.get("s12_approved")),
            )
            for d in doctors
        ]
        for e in application_rules.examinations_apart_errors(recs):
            add("doctors", e.message)
        if section != "s4" and len(recs) >= 2:
            for e in application_rules.approved_doctor_errors(recs, None):
                add("doctors", e.message)
    return errors


def record_rule_errors(record: Mapping[str, Any]) -> list[dict[str, str]]:
    """The legal rules the record's outcome must meet on its own, as {"provision", "field", "message"}: the
    AMHP's agreement to a CTO or its revocation and the learning disability qualifier (s1(2B))."""
    return [
        e.as_dict()
        for e in application_rules.cto_learning_disability_errors(
            record.get("outcome") or "",
            learning_disability=bool(record.get("learning_disability")),
            abnormally_aggressive_or_seriously_irresponsible=bool(
                record.get("abnormally_aggressive_or_seriously_irresponsible")
            ),
        )
    ]


def _record_worked_period(assessment: Assessment) -> None:
    """Keep the AMHP's worked time in step with the record's work times, for the working-time checks."""
    start, end = assessment.work_started_at, assessment.work_ended_at
    if start and end and end > start:
        rota_services.record_worked_period(
            staff_id=assessment.amhp_id,
            started_at=start,
            ended_at=end,
            source="assessment",
            source_id=str(assessment.pk),
        )
    else:
        rota_services.remove_worked_period(source="assessment", source_id=str(assessment.pk))


def _from_directory(doctor: dict[str, Any]) -> dict[str, Any]:
    """Fill a new doctor's name and s12 approval from the directory entry chosen, when the AMHP left them out."""
    listed = doctor.get("directory_doctor")
    if listed is None or doctor.get("id") is not None:
        if doctor.get("s12_approved", False) is None:
            doctor.pop("s12_approved")
        return doctor
    if not (doctor.get("name") or "").strip():
        doctor["name"] = listed.name
    if "s12_approved" not in doctor or doctor["s12_approved"] is None:
        day = _london_day(doctor["examined_at"]) if doctor.get("examined_at") else _london_day(timezone.now())
        doctor["s12_approved"] = doctor_rules.s12_approval_in_date(
            approved=listed.s12_approved, expires_on=listed.s12_approval_expires_on, on_day=day
        )
    return doctor


@transaction.atomic
def assessment_update_record(
    *,
    assessment: Assessment,
    actor: Any,
    data: Mapping[str, Any],
    doctors: Iterable[Mapping[str, Any]] = (),
    now: datetime | None = None,
    channel: str = "web",
    expected_version: int | None = None,
) -> Assessment:
    """Change the record: outcome, nearest relative, delays, times, hours and doctors.

    With EXPECTED_VERSION, raise StaleWrite when someone else saved the record since that version.

    DATA holds any of RECORD_FIELDS. Each item of DOCTORS adds a doctor, or with an "id"
    updates that doctor of this assessment. With both work times and no hours entered,
    hours_worked is the elapsed time. Raise ValidationError with field messages (nothing is
    saved then), RuleError naming the provision when the outcome breaks a rule of its own (an
    agreement to a CTO resting on a learning disability alone, s1(2B)), and ConflictError if the
    allocation is not accepted, was declined or is completed.
    """
    now = now or timezone.now()
    locked = _lock(assessment)
    _require_working(locked)
    require_version(locked, expected_version)
    doctors = [_from_directory(dict(d)) for d in doctors]
    existing = {d.pk: d for d in locked.doctors.select_related("directory_doctor")}
    errors: dict[str, list[str]] = {}
    for d in doctors:
        if d.get("id") is not None and d["id"] not in existing:
            errors.setdefault("doctors", []).append("That doctor is not part of this assessment")
        listed = d.get("directory_doctor")
        if listed is not None and listed.service_id != locked.service_id:
            errors.setdefault("doctors", []).append("Choose a doctor from this service's directory")
    for field in TIME_FIELDS:
        value = data.get(field)
        if value is not None and value > now + FUTURE_TOLERANCE:
            errors.setdefault(field, []).append("The time must be in the past")
    merged = {**snapshot(locked, RECORD_FIELDS), **{k: v for k, v in data.items() if k in RECORD_FIELDS}}
    if "hours_worked" not in data and ("work_started_at" in data or "work_ended_at" in data):
        merged["hours_worked"] = None  # recomputed from the new times below
    all_doctors = {pk: snapshot(doc, DOCTOR_FIELDS) for pk, doc in existing.items()}
    new_doctors = []
    for d in doctors:
        if d.get("id") in all_doctors:
            all_doctors[d["id"]].update({k: v for k, v in d.items() if k in DOCTOR_FIELDS})
        else:
            new_doctors.append({k: v for k, v in d.items() if k in DOCTOR_FIELDS})
    started = merged.get("work_started_at")
    if started is not None and started < locked.referral.received_at:
        errors.setdefault("work_started_at", []).append(
            "Work cannot start before the referral was received "
            f"({locked.referral.received_at.astimezone(LONDON):%d/%m/%Y %H:%M})"
        )
    for field, messages in validate_record(merged, [*all_doctors.values(), *new_doctors]).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    broken = record_rule_errors(merged)
    if broken:
        raise rule_error(broken)
    if merged["application_signed_at"] != locked.application_signed_at:
        broken = unsigned_application_errors(locked, "application_signed_at")
        if broken:
            raise rule_error(broken)

    if merged["hours_worked"] is None and merged["work_started_at"] and merged["work_ended_at"]:
        merged["hours_worked"] = _hours_between(merged["work_started_at"], merged["work_ended_at"])
    before = snapshot(locked, RECORD_FIELDS)
    changed = [f for f in RECORD_FIELDS if merged[f] != before[f]]
    for field in changed:
        setattr(locked, field, merged[field])
    if changed or doctors:
        if locked.status == AssessmentStatus.ACCEPTED:
            locked.status = AssessmentStatus.IN_PROGRESS
            changed.append("status")
        locked.version += 1
        locked.save(update_fields=[*changed, "version", "updated_at"])
    for d in doctors:
        if d.get("id") in existing:
            doctor = existing[d["id"]]
            fields = [k for k in DOCTOR_FIELDS if k in d and getattr(doctor, k) != d[k]]
            for k in fields:
                setattr(doctor, k, d[k])
            if fields:
                doctor.save(update_fields=fields)
        else:
            Doctor.objects.create(assessment=locked, **{k: v for k, v in d.items() if k in DOCTOR_FIELDS})
    if "work_started_at" in changed or "work_ended_at" in changed:
        _record_worked_period(locked)
    if doctors or any(f in changed for f in PATHWAY_SOURCES):
        _sync_pathway(locked, actor=actor, channel=channel, now=now)
    changes: dict[str, Any] = diff(before, snapshot(locked, RECORD_FIELDS))
    if doctors:
        changes["doctors"] = [str(d.get("name") or d.get("id")) for d in doctors]
    audit(actor=actor, service_id=locked.service_id, action="update", obj=locked, channel=channel, changes=changes)
    return locked


@transaction.atomic
def assessment_complete(
    *, assessment: Assessment, actor: Any, now: datetime | None = None, channel: str = "web"
) -> Assessment:
    """Complete the assessment: it needs an outcome and the work times; the referral becomes assessed.

    An outcome that rests on an application (detained under s2, s3 or s4, guardianship) needs a
    recorded application of that section that is still lawful (RuleError naming the
    provisions otherwise). Raise ValidationError naming what is missing, ConflictError if it is
    already completed, declined or not yet accepted.
    """
    now = now or timezone.now()
    locked = _lock(assessment)
    if locked.status == AssessmentStatus.COMPLETED:
        raise ConflictError("This assessment is already completed")
    _require_working(locked)
    errors: dict[str, list[str]] = {}
    if not locked.outcome:
        errors["outcome"] = ["Record the outcome before completing"]
    if locked.work_started_at is None:
        errors["work_started_at"] = ["Record when work started before completing"]
    if locked.work_ended_at is None:
        errors["work_ended_at"] = ["Record when work ended before completing"]
    if locked.outcome in APPLICATION_OUTCOMES and locked.application_signed_at is None:
        # The case stays open, its clocks watched, from the signed application until admission.
        errors["application_signed_at"] = ["Record when the application was signed before completing"]
    if errors:
        raise ValidationError(errors)
    broken = record_rule_errors(snapshot(locked, RECORD_FIELDS)) or completion_errors(locked, locked.outcome)
    if broken:  # an outcome resting on an application needs a lawful one (assessments.application_rules)
        raise rule_error(broken)
    assert locked.work_started_at is not None and locked.work_ended_at is not None  # checked above
    update_fields = ["status", "completed_at", "late_after", "updated_at"]
    if locked.hours_worked is None:
        locked.hours_worked = _hours_between(locked.work_started_at, locked.work_ended_at)
        update_fields.append("hours_worked")
    before = locked.status
    locked.status = AssessmentStatus.COMPLETED
    locked.completed_at = now
    locked.late_after = None
    locked.save(update_fields=update_fields)
    TimelineEvent.objects.create(
        assessment=locked,
        kind=TimelineEvent.Kind.DECISION,
        at=locked.work_ended_at or now,
        note=f"Outcome: {locked.get_outcome_display()}",
        recorded_by=actor,
    )
    referral = Referral.objects.select_for_update().get(pk=locked.referral_id)
    if referral.status == Status.ALLOCATED:
        # With a signed application the referral is already application_made and stays open.
        referral_move(referral, Status.ASSESSED, actor=actor, at=now, channel=channel)
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="update",
        obj=locked,
        channel=channel,
        changes={
            "status": [before, locked.status],
            "outcome": locked.outcome,
            "hours_worked": str(locked.hours_worked),
        },
    )
    return locked


__all__ = [
    "OPEN_ASSESSMENT_STATUSES",
    "RECORDABLE_EVENTS",
    "assessment_accept",
    "assessment_allocate",
    "assessment_complete",
    "assessment_decline",
    "assessment_record_event",
    "assessment_update_record",
    "validate_record",
]
