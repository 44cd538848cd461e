"""Writes for the application under the Act. One transaction each, with its audit row.

The validity of an application is decided only by `assessments.application_rules`; this module
gathers the facts (the form or API input, the person's nearest relative record, the person's age
and place of safety) and stores the application when no rule is broken.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from amhp_hub.common.audit import audit
from amhp_hub.common.errors import ConflictError, RuleError
from assessments import application_rules as rules
from assessments.models import (
    Application,
    Assessment,
    AssessmentStatus,
    NearestRelativeAction,
    Recommendation,
    TimelineEvent,
)
from referrals.nr_selectors import NearestRelativeView, nearest_relative_for
from referrals.services import referral_record_pathway
from rota.models import DirectoryDoctor
from rota.timefmt import LONDON

APPLICATION_FIELDS = (
    "section",
    "signed_at",
    "applicant_seen_at",
    "nearest_relative_step",
    "nearest_relative_reason",
    "conflict_of_interest_declared",
    "conflict_of_interest_reason",
    "learning_disability",
    "autism",
    "abnormally_aggressive_or_seriously_irresponsible",
    "grounds",
)
RECOMMENDATION_FIELDS = (
    "doctor",
    "examined_on",
    "examined_at",
    "signed_on",
    "s12_approved",
    "s12_approval_expires_on",
    "previous_acquaintance",
    "no_acquaintance_reason",
)
MAX_RECOMMENDATIONS = 3
# What a directory doctor's entry decides for a recommendation naming it (DESIGN.md section 8, `doctor_id`).
FROM_DIRECTORY = ("doctor", "s12_approved", "s12_approval_expires_on")


@dataclass(frozen=True)
class Submitted:
    application: Application
    prompts: list[dict[str, str]]


def _text(value: Any) -> str:
    return str(value or "").strip()


def facts_for(
    assessment: Assessment,
    data: Mapping[str, Any],
    recommendations: Iterable[Mapping[str, Any]],
    *,
    nearest: NearestRelativeView | None = None,
) -> rules.ApplicationFacts:
    """Build the rule module's facts from the input and the person's record (age, place of safety, objections)."""
    referral = assessment.referral
    person = referral.person
    nearest = nearest or nearest_relative_for(person)
    signed_at = data.get("signed_at")
    day = signed_at.astimezone(LONDON).date() if signed_at else timezone.localdate()
    objections = set(nearest.objections_to())
    if assessment.nearest_relative_action == NearestRelativeAction.OBJECTED:
        # The AMHP recorded an objection on this assessment: it is an objection to s3 and guardianship (s11(4)).
        objections |= {"s3", "guardianship"}
    return rules.ApplicationFacts(
        section=_text(data.get("section")),
        signed_at=signed_at,
        applicant_seen_at=data.get("applicant_seen_at"),
        recommendations=tuple(
            rules.Recommendation(
                doctor=_text(r.get("doctor")) or f"Doctor {i + 1}",
                examined_on=r.get("examined_on"),
                signed_on=r.get("signed_on"),
                examined_at=r.get("examined_at"),
                s12_approved=bool(r.get("s12_approved")),
                s12_approval_expires_on=r.get("s12_approval_expires_on"),
                previous_acquaintance=bool(r.get("previous_acquaintance")),
                no_acquaintance_reason=_text(r.get("no_acquaintance_reason")),
            )
            for i, r in enumerate(recommendations)
        ),
        nearest_relative_step=_text(data.get("nearest_relative_step")),
        nearest_relative_reason=_text(data.get("nearest_relative_reason")),
        nearest_relative_identified=nearest.identified,
        objections_to=frozenset(objections),
        nearest_relative_displaced=nearest.displaced,
        conflict_of_interest_declared=bool(data.get("conflict_of_interest_declared")),
        conflict_of_interest_reason=_text(data.get("conflict_of_interest_reason")),
        learning_disability=bool(data.get("learning_disability")),
        abnormally_aggressive_or_seriously_irresponsible=bool(
            data.get("abnormally_aggressive_or_seriously_irresponsible")
        ),
        patient_age=person.age_on(day),
        place_of_safety_type=_text(getattr(referral, "place_of_safety_type", "")),
    )


def with_directory_doctors(recommendations: Iterable[Mapping[str, Any]], *, service_id: int) -> list[dict[str, Any]]:
    """Fill each recommendation naming a directory doctor (`doctor_id`) from the service's directory.

    The doctor's name, s12 approval and its expiry come from the entry, whatever was typed, so the
    s12(2) rule judges the approval the directory records. A doctor_id that is not in this service's
    directory (another service's doctor, or none) is refused alike, without saying which (ValidationError).
    One statement for all the recommendations.
    """
    recs = [dict(r) for r in recommendations]
    wanted = {r["doctor_id"] for r in recs if r.get("doctor_id") is not None}
    found = {d.pk: d for d in DirectoryDoctor.objects.filter(service_id=service_id, pk__in=wanted)} if wanted else {}
    errors: list[str] = []
    for index, rec in enumerate(recs):
        doctor_id = rec.pop("doctor_id", None)
        rec["directory_doctor"] = None
        if doctor_id is None:
            continue
        listed = found.get(doctor_id)
        if listed is None:
            errors.append(f"Recommendation {index + 1}: choose a doctor from this service's directory")
            continue
        rec.update(
            directory_doctor=listed,
            doctor=listed.name,
            s12_approved=listed.s12_approved,
            s12_approval_expires_on=listed.s12_approval_expires_on,
        )
    if errors:
        raise ValidationError({"recommendations": errors})
    return recs


def stored_facts(application: Application) -> rules.ApplicationFacts:
    """The facts of a stored application, checked against the person's record as it is now."""
    data = {f: getattr(application, f) for f in APPLICATION_FIELDS}
    recs = [{f: getattr(r, f) for f in RECOMMENDATION_FIELDS} for r in application.recommendations.all()]
    return facts_for(application.assessment, data, recs)


def application_check(
    assessment: Assessment, data: Mapping[str, Any], recommendations: Iterable[Mapping[str, Any]], *, now: datetime
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Return (errors, prompts) for the application as entered, as {"provision", "field", "message"} dicts."""
    recommendations = list(recommendations)
    facts = facts_for(assessment, data, recommendations)
    errors = [e.as_dict() for e in rules.application_errors(facts, now=now)]
    if len(recommendations) > MAX_RECOMMENDATIONS:
        errors.append(
            {"provision": "s12(1)", "field": "recommendations", "message": "Enter at most three recommendations."}
        )
    return errors, [p.as_dict() for p in rules.application_prompts(facts)]


@transaction.atomic
def application_submit(
    *,
    assessment: Assessment,
    actor: Any,
    data: Mapping[str, Any],
    recommendations: Iterable[Mapping[str, Any]],
    now: datetime | None = None,
    channel: str = "web",
) -> Submitted:
    """Record the signed application if the Act allows it; a valid one moves the referral to application_made.

    A recommendation may name a directory doctor (`doctor_id`): its name, s12 approval and expiry then come
    from the directory (with_directory_doctors). Raise ValidationError for a doctor_id not in the service's
    directory, RuleError with every provision broken (nothing is saved), ConflictError when the
    allocation is not accepted, was declined or is completed. Submitting again replaces the
    application (the referral stays application_made). Return the application and the prompts
    (s11(3)) that remain.
    """
    now = now or timezone.now()
    locked = Assessment.objects.select_for_update().select_related("referral__person").get(pk=assessment.pk)
    if locked.status not in (AssessmentStatus.ACCEPTED, AssessmentStatus.IN_PROGRESS):
        raise ConflictError(f"This allocation is {locked.get_status_display().lower()}: the application cannot change")
    recommendations = with_directory_doctors(recommendations, service_id=locked.service_id)
    errors, prompts = application_check(locked, data, recommendations, now=now)
    if errors:
        raise rule_error(errors)
    nearest = nearest_relative_for(locked.referral.person)
    values = {f: data.get(f) for f in APPLICATION_FIELDS}
    for f in ("nearest_relative_reason", "conflict_of_interest_reason", "grounds"):
        values[f] = _text(values[f])
    for f in ("conflict_of_interest_declared", "learning_disability", "autism"):
        values[f] = bool(values[f])
    values["abnormally_aggressive_or_seriously_irresponsible"] = bool(
        values["abnormally_aggressive_or_seriously_irresponsible"]
    )
    values["nearest_relative_name"] = nearest.name
    application, created = Application.objects.update_or_create(
        assessment=locked, defaults={**values, "created_by": actor}
    )
    application.recommendations.all().delete()
    Recommendation.objects.bulk_create(
        [
            Recommendation(
                application=application,
                position=i,
                directory_doctor=r.get("directory_doctor"),
                **{f: r.get(f) for f in RECOMMENDATION_FIELDS if r.get(f) is not None},
            )
            for i, r in enumerate(recommendations)
        ]
    )
    TimelineEvent.objects.create(
        assessment=locked,
        kind=TimelineEvent.Kind.APPLICATION_SIGNED,
        at=application.signed_at,
        note=f"Application for {application.get_section_display()}",
        recorded_by=actor,
    )
    fields = ["updated_at"]
    if locked.application_signed_at != application.signed_at:
        locked.application_signed_at = application.signed_at
        fields.append("application_signed_at")
    if locked.status == AssessmentStatus.ACCEPTED:
        locked.status = AssessmentStatus.IN_PROGRESS
        fields.append("status")
    locked.save(update_fields=fields)
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="create" if created else "update",
        obj=application,
        channel=channel,
        changes={
            "section": application.section,
            "signed_at": application.signed_at.isoformat(),
            "recommendations": [r.get("doctor") for r in recommendations],
            "nearest_relative_step": application.nearest_relative_step,
        },
    )
    referral_record_pathway(
        referral=locked.referral, actor=actor, channel=channel, now=now, facts=pathway_facts(locked)
    )
    return Submitted(application=application, prompts=prompts)


def prompts_for(application: Application) -> list[dict[str, str]]:
    """What the AMHP must still do for a stored application (s11(3)), checked against the record now."""
    return [p.as_dict() for p in rules.application_prompts(stored_facts(application))]


def rule_error(errors: list[dict[str, str]]) -> RuleError:
    """The RuleError (HTTP 400 naming each provision) for ERRORS from the rule module."""
    return RuleError([(e["provision"], e["field"], e["message"]) for e in errors])


def pathway_facts(assessment: Assessment) -> dict[str, Any]:
    """The facts the referral's deadlines read from the lawful application, or {} when none is recorded.

    The examinations are the recommending doctors': their times where recorded (s4 needs them),
    otherwise the start of the London day of the examination (the s6(1)(a) count is in days).
    """
    application = Application.objects.filter(assessment=assessment).prefetch_related("recommendations").first()
    if application is None:
        return {}
    times = [
        r.examined_at or datetime.combine(r.examined_on, time.min, tzinfo=LONDON)
        for r in application.recommendations.all()
    ]
    return {
        "application_section": application.section,
        "application_signed_at": application.signed_at,
        "applicant_seen_at": application.applicant_seen_at,
        "first_examined_at": min(times, default=None),
        "last_examined_at": max(times, default=None),
    }


def unsigned_application_errors(assessment: Assessment, field: str) -> list[dict[str, str]]:
    """An application counts as signed only once it is recorded and found lawful (assessments.application_rules)."""
    if Application.objects.filter(assessment=assessment).exists():
        return []
    return [
        {
            "provision": "s11(1)",
            "field": field,
            "message": "Make the application on the application page, where it is checked against the Act, "
            "before recording it as signed.",
        }
    ]


def completion_errors(assessment: Assessment, outcome: str) -> list[dict[str, str]]:
    """What stops completing with OUTCOME: an outcome resting on an application needs a valid one of that section,
    checked again now (an objection may have been recorded since)."""
    section = rules.OUTCOME_SECTION.get(outcome)
    if section is None:
        return []
    application = Application.objects.filter(assessment=assessment).prefetch_related("recommendations").first()
    if application is None:
        return [
            {
                "provision": "s11(1)",
                "field": "outcome",
                "message": "Record the application (with its medical recommendations) before completing with this "
                "outcome.",
            }
        ]
    if application.section != section:
        return [
            {
                "provision": "s11(1)",
                "field": "outcome",
                "message": f"The application is for {application.get_section_display()}, not the outcome recorded.",
            }
        ]
    return [e.as_dict() for e in rules.application_errors(stored_facts(application))]
