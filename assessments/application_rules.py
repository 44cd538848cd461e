"""Is an application under the Mental Health Act lawful? One pure function per provision; no database.

`application_errors(facts)` returns every provision an application breaks (an empty list means it
may be made); `application_prompts(facts)` returns what the AMHP must still do that does not make
the application invalid (s11(3) informing). The API, the AMHP's page and the completion service
all call these; no other module repeats a rule. Errors carry the provision codes of DESIGN.md
section 8: `s2(3)`, `s3(3)`, `s7(3)`, `s4(3)`, `s4(5)`, `s12(1)`, `s12(2)`, `s11(5)`, `s11(4)`,
`s11(3)`, `s1(2B)`, `s136A`, `SI 2008/1205`.

Day counts are Europe/London calendar days; elapsed-hour limits (s4(5)) count real hours.

Readings taken where the Act needs interpreting:
- s4: one recommendation founds an emergency application (s4(3)); s12(2) (an approved doctor)
  does not apply to it; a second recommendation is allowed (it converts the s4 under s4(4)(a)).
- s12(1): each recommending doctor must have examined the patient on or before signing, and
  signed on or before the date of the application; the 5-clear-days test compares only the
  examinations of the doctors whose recommendations found the application.
- s12(2): "approved" means approved when the doctor examined the patient and still on the date of
  the application (an approval that has expired by either day does not count; the day test is
  rota.doctors.s12_approval_in_date, shared with the doctor directory). A recommendation from a
  directory doctor carries the directory's approval and expiry. Where neither doctor has previous
  acquaintance the application must say why (Form A2/A6 ask for this), so a reason on either
  recommendation will do.
- s11(4): "none" (no nearest relative) is accepted only when the person's record identifies no
  nearest relative; "informed" is not consultation. An objection to the section on the
  person's record bars the application unless an s29 order has displaced the relative.
- s11(3): informing may follow the application ("is to be or has been made"), so for s2 it is a
  prompt, not a refusal.
- s1(2B): the learning disability qualifier governs s3 and guardianship, and the AMHP's agreement to a
  CTO (s17A(4)) or to its revocation (s17F(4), which rests on the s3(2) conditions); it does not apply
  to s2 or s4, nor to autism, which the Act treats as a mental disorder without a qualifier.
- SI 2008/1205: the declaration is the AMHP's; a declared potential conflict is refused unless the
  urgency exception (reg. 7) is recorded with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from referrals import clocks
from referrals.person_rules import RuleError, place_of_safety_errors
from rota import doctors
from rota.timefmt import LONDON

SECTIONS = ("s2", "s3", "s4", "guardianship")
NR_STEPS = ("consulted", "informed", "not_practicable", "none")
TWO_RECOMMENDATIONS = {"s2": "s2(3)", "s3": "s3(3)", "guardianship": "s7(3)"}
NR_CONSULTATION_SECTIONS = ("s3", "guardianship")
LD_QUALIFIER_SECTIONS = ("s3", "guardianship")
S4_SEEN_WITHIN = timedelta(hours=24)
# The AMHP's agreements (assessment outcomes) the learning disability qualifier governs, with what each supports.
CTO_AGREEMENTS = {
    "cto_agreed": "a community treatment order (s17A(4))",
    "cto_revocation_agreed": "the revocation of a community treatment order (s17F(4): the section 3 conditions)",
}
# Outcomes that rest on an application: completing with one of them needs a valid application of that section.
OUTCOME_SECTION = {
    "detained_s2": "s2",
    "detained_s3": "s3",
    "detained_s4": "s4",
    "guardianship": "guardianship",
}

__all__ = [
    "ApplicationFacts",
    "Recommendation",
    "RuleError",
    "application_errors",
    "application_prompts",
    "cto_learning_disability_errors",
]


@dataclass(frozen=True)
class Recommendation:
    """One medical recommendation as the application records it."""

    doctor: str
    examined_on: date | None = None
    signed_on: date | None = None
    examined_at: datetime | None = None
    s12_approved: bool = False
    s12_approval_expires_on: date | None = None
    previous_acquaintance: bool = False
    no_acquaintance_reason: str = ""


@dataclass(frozen=True)
class ApplicationFacts:
    """Everything the validity rules look at: the application and what the person's record says."""

    section: str
    signed_at: datetime | None
    applicant_seen_at: datetime | None
    recommendations: Sequence[Recommendation] = ()
    nearest_relative_step: str = ""
    nearest_relative_reason: str = ""
    nearest_relative_identified: bool = True
    objections_to: frozenset[str] = field(default_factory=frozenset)
    nearest_relative_displaced: bool = False
    conflict_of_interest_declared: bool = False
    conflict_of_interest_reason: str = ""
    learning_disability: bool = False
    abnormally_aggressive_or_seriously_irresponsible: bool = False
    patient_age: int | None = None
    place_of_safety_type: str = ""

    @property
    def application_on(self) -> date | None:
        return self.signed_at.astimezone(LONDON).date() if self.signed_at else None


def _section_label(section: str) -> str:
    return "guardianship" if section == "guardianship" else f"section {section[1:]}"


def recommendation_count_errors(facts: ApplicationFacts) -> list[RuleError]:
    """s2(3), s3(3), s7(3): two medical recommendations; s4(3): one suffices for an emergency application."""
    count = len(facts.recommendations)
    if facts.section in TWO_RECOMMENDATIONS and count < 2:
        provision = TWO_RECOMMENDATIONS[facts.section]
        return [
            RuleError(
                provision,
                "recommendations",
                f"An application for {_section_label(facts.section)} needs the written recommendations of two "
                f"registered medical practitioners ({provision}); {count} recorded.",
            )
        ]
    if facts.section == "s4" and count < 1:
        return [
            RuleError(
                "s4(3)",
                "recommendations",
                "An emergency application needs one medical recommendation (s4(3)).",
            )
        ]
    return []


def examination_and_signature_errors(facts: ApplicationFacts) -> list[RuleError]:
    """s12(1): recommendations signed on or before the application date, after an examination, and
    separate examinations of the two recommending doctors no more than 5 clear days apart."""
    errors: list[RuleError] = []
    application_on = facts.application_on
    for index, rec in enumerate(facts.recommendations):
        where = f"recommendations[{index}]"
        if rec.examined_on is None:
            errors.append(RuleError("s12(1)", f"{where}.examined_on", f"Enter when {rec.doctor} examined the patient."))
        if rec.signed_on is None:
            errors.append(RuleError("s12(1)", f"{where}.signed_on", f"Enter when {rec.doctor} signed."))
        if rec.examined_on and rec.signed_on and rec.signed_on < rec.examined_on:
            errors.append(
                RuleError(
                    "s12(1)",
                    f"{where}.signed_on",
                    f"{rec.doctor} signed on {rec.signed_on:%d/%m/%Y}, before examining the patient on "
                    f"{rec.examined_on:%d/%m/%Y}: a recommendation follows a personal examination (s12(1)).",
                )
            )
        if rec.signed_on and application_on and rec.signed_on > application_on:
            errors.append(
                RuleError(
                    "s12(1)",
                    f"{where}.signed_on",
                    f"{rec.doctor} signed on {rec.signed_on:%d/%m/%Y}, after the application on "
                    f"{application_on:%d/%m/%Y}: recommendations must be signed on or before the date of "
                    "the application (s12(1)).",
                )
            )
    errors.extend(examinations_apart_errors(facts.recommendations[:2]))
    return errors


def examinations_apart_errors(recommendations: Sequence[Recommendation]) -> list[RuleError]:
    """s12(1): where the two recommending doctors examined separately, no more than 5 clear days between the days of
    their examinations (referrals.clocks.medical_examinations_close_enough)."""
    days = sorted(r.examined_on for r in recommendations if r.examined_on)
    if len(days) < 2 or clocks.medical_examinations_close_enough(days[0], days[-1]):
        return []
    return [
        RuleError(
            "s12(1)",
            "recommendations",
            f"The examinations on {days[0]:%d/%m/%Y} and {days[-1]:%d/%m/%Y} are more than 5 clear days apart "
            "(s12(1)): a new examination is needed.",
        )
    ]


def approval_lapsed_on(rec: Recommendation, application_on: date | None) -> date | None:
    """s12(2): the first of the examination day and the application day on which REC's s12 approval was out of
    date (rota.doctors.s12_approval_in_date: it runs to the end of its expiry day), or None when it covers both."""
    for day in (rec.examined_on, application_on):
        if day is not None and not doctors.s12_approval_in_date(
            approved=True, expires_on=rec.s12_approval_expires_on, on_day=day
        ):
            return day
    return None


def approved_doctor_errors(recommendations: Sequence[Recommendation], day: date | None) -> list[RuleError]:
    """s12(2): one of the recommendations from a doctor approved under s12, the approval in date on the day the doctor
    examined the patient and on DAY (the application's). A doctor whose approval had lapsed cannot be the one."""
    if any(r.s12_approved and approval_lapsed_on(r, day) is None for r in recommendations):
        return []
    lapsed = []
    for r in recommendations:
        on = approval_lapsed_on(r, day) if r.s12_approved else None
        if on is not None:
            event = "examination" if on == r.examined_on else "application"
            lapsed.append(
                f"{r.doctor}'s approval expired on {r.s12_approval_expires_on:%d/%m/%Y}, before the {event} on "
                f"{on:%d/%m/%Y}"
            )
    detail = f" ({'; '.join(lapsed)})" if lapsed else ""
    return [
        RuleError(
            "s12(2)",
            "recommendations",
            "At least one recommendation must come from a doctor approved under section 12 whose approval was in "
            f"date when they examined the patient and on the day of the application{detail} (s12(2)).",
        )
    ]


def approval_and_acquaintance_errors(facts: ApplicationFacts) -> list[RuleError]:
    """s12(2): one recommending doctor approved under s12 and in date on the application date, and one with
    previous acquaintance with the patient or a recorded reason why not. Not for s4 (s4(3))."""
    if facts.section == "s4" or len(facts.recommendations) < 2:
        return []
    errors = approved_doctor_errors(facts.recommendations, facts.application_on)
    if not any(r.previous_acquaintance for r in facts.recommendations) and not any(
        r.no_acquaintance_reason.strip() for r in facts.recommendations
    ):
        errors.append(
            RuleError(
                "s12(2)",
                "recommendations[1].no_acquaintance_reason",
                "Neither doctor knew the patient before: record why a doctor with previous acquaintance could not "
                "give a recommendation (s12(2)).",
            )
        )
    return errors


def applicant_seen_errors(facts: ApplicationFacts) -> list[RuleError]:
    """s11(5): the applicant saw the patient within the 14 days ending with the application date;
    for s4, s4(5): within the 24 hours before the application."""
    if facts.applicant_seen_at is None:
        provision = "s4(5)" if facts.section == "s4" else "s11(5)"
        return [RuleError(provision, "applicant_seen_at", f"Enter when you personally saw the patient ({provision}).")]
    application_on = facts.application_on
    if facts.signed_at is None or application_on is None:
        return []
    if facts.applicant_seen_at > facts.signed_at:
        return [
            RuleError("s11(5)", "applicant_seen_at", "You must have seen the patient before making the application.")
        ]
    if facts.section == "s4":
        if facts.signed_at - facts.applicant_seen_at > S4_SEEN_WITHIN:
            return [
                RuleError(
                    "s4(5)",
                    "applicant_seen_at",
                    "For an emergency application you must have seen the patient within the previous 24 hours (s4(5)).",
                )
            ]
        return []
    seen_on = facts.applicant_seen_at.astimezone(LONDON).date()
    if not clocks.applicant_saw_patient_in_time(seen_on, application_on):
        return [
            RuleError(
                "s11(5)",
                "applicant_seen_at",
                f"You saw the patient on {seen_on:%d/%m/%Y}, outside the 14 days ending with the application date "
                f"{application_on:%d/%m/%Y} (s11(5)). See them again before applying.",
            )
        ]
    return []


def emergency_examination_time_errors(facts: ApplicationFacts) -> list[RuleError]:
    """s6(1)(b): for s4 the time of the medical examination is needed, since the 24 hours to convey may run from it."""
    if facts.section != "s4":
        return []
    return [
        RuleError(
            "s6(1)(b)",
            f"recommendations[{i}].examined_at",
            f"Enter the time {rec.doctor} examined the patient: the 24 hours to convey may run from it (s6(1)(b)).",
        )
        for i, rec in enumerate(facts.recommendations)
        if rec.examined_at is None
    ]


def nearest_relative_consultation_errors(facts: ApplicationFacts) -> list[RuleError]:
    """s11(4): for s3 and guardianship the nearest relative is consulted unless that is not reasonably practicable
    or would involve unreasonable delay (with the reason recorded), and their objection bars the application."""
    if facts.section not in NR_CONSULTATION_SECTIONS:
        return []
    errors: list[RuleError] = []
    step, reason = facts.nearest_relative_step, facts.nearest_relative_reason.strip()
    label = _section_label(facts.section)
    if step == "not_practicable" and not reason:
        errors.append(
            RuleError(
                "s11(4)",
                "nearest_relative_reason",
                "Record why consulting the nearest relative was not reasonably practicable or would involve "
                "unreasonable delay (s11(4)).",
            )
        )
    elif step == "none" and facts.nearest_relative_identified:
        errors.append(
            RuleError(
                "s11(4)",
                "nearest_relative_step",
                "The person's record names a nearest relative: consult them before an application for "
                f"{label} (s11(4)).",
            )
        )
    elif step not in ("consulted", "not_practicable", "none"):
        errors.append(
            RuleError(
                "s11(4)",
                "nearest_relative_step",
                f"Consult the nearest relative before an application for {label}, unless that is not reasonably "
                "practicable or would involve unreasonable delay (s11(4)).",
            )
        )
    errors.extend(objection_errors(facts.section, facts.objections_to, displaced=facts.nearest_relative_displaced))
    return errors


def objection_errors(section: str, objections_to: frozenset[str], *, displaced: bool) -> list[RuleError]:
    """s11(4): an objection by the nearest relative bars an application for s3 or guardianship, unless a county
    court order (s29) has displaced them."""
    if section not in NR_CONSULTATION_SECTIONS or section not in objections_to or displaced:
        return []
    return [
        RuleError(
            "s11(4)",
            "nearest_relative_step",
            f"The nearest relative objects to an application for {_section_label(section)}: it cannot be made "
            "(s11(4)). Consider an application to the county court to displace them (s29).",
        )
    ]


def _learning_disability_qualifier(what: str, field: str) -> RuleError:
    return RuleError(
        "s1(2B)",
        field,
        f"A learning disability supports {what} only when associated with abnormally aggressive or seriously "
        "irresponsible conduct (s1(2A), s1(2B)).",
    )


def learning_disability_errors(facts: ApplicationFacts) -> list[RuleError]:
    """s1(2A), s1(2B)(a): a learning disability is a mental disorder for s3 and guardianship only when associated
    with abnormally aggressive or seriously irresponsible conduct."""
    if (
        facts.section in LD_QUALIFIER_SECTIONS
        and facts.learning_disability
        and not facts.abnormally_aggressive_or_seriously_irresponsible
    ):
        return [
            _learning_disability_qualifier(
                _section_label(facts.section), "abnormally_aggressive_or_seriously_irresponsible"
            )
        ]
    return []


def cto_learning_disability_errors(
    outcome: str, *, learning_disability: bool, abnormally_aggressive_or_seriously_irresponsible: bool
) -> list[RuleError]:
    """s1(2A), s1(2B)(a): the AMHP cannot agree to a CTO, or to its revocation, resting on a learning disability
    without abnormally aggressive or seriously irresponsible conduct.

    s17A is among the provisions s1(2B)(a) names, so the s17A(5) criteria (for which the AMHP's agreement is given,
    s17A(4)) are not met by such a learning disability; a revocation rests on the conditions of s3(2) being met
    (s17F(4)(a), to which the AMHP agrees under s17F(4)(b)), and s3 is named there too. OUTCOME is the assessment's
    (CTO_AGREEMENTS); any other outcome is not an agreement and is not refused here.
    """
    what = CTO_AGREEMENTS.get(outcome)
    if what is None or not learning_disability or abnormally_aggressive_or_seriously_irresponsible:
        return []
    return [_learning_disability_qualifier(what, "abnormally_aggressive_or_seriously_irresponsible")]


def conflict_of_interest_errors(facts: ApplicationFacts) -> list[RuleError]:
    """SI 2008/1205 (Conflicts of Interest Regulations): a declared potential conflict bars the application unless
    the urgency exception applies and its reason is recorded (reg. 7)."""
    if facts.conflict_of_interest_declared and not facts.conflict_of_interest_reason.strip():
        return [
            RuleError(
                "SI 2008/1205",
                "conflict_of_interest_reason",
                "A potential conflict of interest is declared: the application may go ahead only in a case of "
                "urgent necessity where delay would involve serious risk; record that reason (SI 2008/1205 reg. 7).",
            )
        ]
    return []


def signed_at_errors(facts: ApplicationFacts, now: datetime | None) -> list[RuleError]:
    """The application is dated: it must be signed, and not in the future (s11(5), s12(1) count from its date)."""
    if facts.signed_at is None:
        return [RuleError("s11(5)", "signed_at", "Enter when you signed the application.")]
    if now is not None and facts.signed_at > now + timedelta(minutes=5):
        return [RuleError("s11(5)", "signed_at", "The application's time must not be in the future.")]
    return []


def application_errors(facts: ApplicationFacts, *, now: datetime | None = None) -> list[RuleError]:
    """Return every provision the application breaks; an empty list means it may be made."""
    if facts.section not in SECTIONS:
        return [RuleError("s11(1)", "section", f"Choose the section: {', '.join(SECTIONS)}.")]
    return [
        *signed_at_errors(facts, now),
        *recommendation_count_errors(facts),
        *examination_and_signature_errors(facts),
        *approval_and_acquaintance_errors(facts),
        *applicant_seen_errors(facts),
        *emergency_examination_time_errors(facts),
        *nearest_relative_consultation_errors(facts),
        *learning_disability_errors(facts),
        *conflict_of_interest_errors(facts),
        *place_of_safety_errors(age=facts.patient_age, place_of_safety_type=facts.place_of_safety_type),
    ]


def application_prompts(facts: ApplicationFacts) -> list[RuleError]:
    """s11(3): for s2 (and s4, which becomes s2) take practicable steps to inform the nearest relative that the
    application is to be or has been made, and of their power of discharge (s23). A prompt, not a bar."""
    if (
        facts.section in ("s2", "s4")
        and facts.nearest_relative_identified
        and facts.nearest_relative_step
        not in (
            "informed",
            "consulted",
            "not_practicable",
        )
    ):
        return [
            RuleError(
                "s11(3)",
                "nearest_relative_step",
                "Inform the nearest relative that the application is to be or has been made and of their power to "
                "discharge (s11(3), s23). Print the information letter from this page.",
            )
        ]
    return []
