"""Worked cases for the application validity rules. Expected values come from the Act, counted by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TypedDict, Unpack

import pytest

from assessments.application_rules import (
    ApplicationFacts,
    Recommendation,
    application_errors,
    application_prompts,
)


class FactChanges(TypedDict, total=False):
    """Any ApplicationFacts fields a worked case changes from its base application."""

    section: str
    signed_at: datetime | None
    applicant_seen_at: datetime | None
    recommendations: Sequence[Recommendation]
    nearest_relative_step: str
    nearest_relative_reason: str
    nearest_relative_identified: bool
    objections_to: frozenset[str]
    nearest_relative_displaced: bool
    conflict_of_interest_declared: bool
    conflict_of_interest_reason: str
    learning_disability: bool
    abnormally_aggressive_or_seriously_irresponsible: bool
    patient_age: int | None
    place_of_safety_type: str


DR_A = Recommendation(
    doctor="Dr Adeyemi",
    examined_on=date(2026, 3, 10),
    signed_on=date(2026, 3, 10),
    s12_approved=True,
    s12_approval_expires_on=date(2027, 1, 31),
)
DR_B = Recommendation(
    doctor="Dr Brennan (GP)",
    examined_on=date(2026, 3, 11),
    signed_on=date(2026, 3, 11),
    previous_acquaintance=True,
)


def s3(**changes: Unpack[FactChanges]) -> ApplicationFacts:
    base = ApplicationFacts(
        section="s3",
        signed_at=datetime(2026, 3, 12, 15, 0, tzinfo=UTC),
        applicant_seen_at=datetime(2026, 3, 12, 11, 0, tzinfo=UTC),
        recommendations=(DR_A, DR_B),
        nearest_relative_step="consulted",
    )
    return replace(base, **changes)


def provisions(facts: ApplicationFacts) -> list[str]:
    return [e.provision for e in application_errors(facts)]


def test_a_complete_s3_application_is_valid() -> None:
    assert application_errors(s3()) == []


# s2(3), s3(3), s7(3): two recommendations
@pytest.mark.parametrize("section, provision", [("s2", "s2(3)"), ("s3", "s3(3)"), ("guardianship", "s7(3)")])
def test_one_recommendation_is_refused_for_s2_s3_and_guardianship(section: str, provision: str) -> None:
    assert provisions(s3(section=section, recommendations=(DR_A,))) == [provision]


def test_s2_with_two_recommendations_is_valid() -> None:
    assert application_errors(s3(section="s2", nearest_relative_step="informed")) == []


# s12(1): five clear days
@pytest.mark.parametrize(
    "first, second, ok",
    [
        # exam on the 1st: the 5 clear days are 2nd-6th, so the 7th is the last valid day (MHL-FORUM-APP).
        (date(2026, 3, 1), date(2026, 3, 7), True),
        (date(2026, 3, 1), date(2026, 3, 8), False),
        # across February's end in a common year: 25 Feb, clear days 26, 27, 28 Feb, 1, 2 Mar → 3 Mar valid.
        (date(2026, 2, 25), date(2026, 3, 3), True),
        (date(2026, 2, 25), date(2026, 3, 4), False),
        # leap year 2028: 25 Feb, clear 26, 27, 28, 29 Feb, 1 Mar → 2 Mar valid, 3 Mar not.
        (date(2028, 2, 25), date(2028, 3, 2), True),
        (date(2028, 2, 25), date(2028, 3, 3), False),
    ],
)
def test_s12_1_examinations_no_more_than_five_clear_days_apart(first: date, second: date, ok: bool) -> None:
    a = replace(DR_A, examined_on=first, signed_on=first, s12_approval_expires_on=None)
    b = replace(DR_B, examined_on=second, signed_on=second)
    facts = s3(
        recommendations=(a, b),
        signed_at=datetime(second.year, second.month, second.day, 18, tzinfo=UTC),
        applicant_seen_at=datetime(second.year, second.month, second.day, 12, tzinfo=UTC),
    )
    assert provisions(facts) == ([] if ok else ["s12(1)"])


def test_s12_1_recommendation_signed_after_the_application_is_refused() -> None:
    # application on 12/03; Dr Brennan signs on 13/03: after the date of the application.
    late = replace(DR_B, signed_on=date(2026, 3, 13))
    errors = application_errors(s3(recommendations=(DR_A, late)))
    assert [(e.provision, e.field) for e in errors] == [("s12(1)", "recommendations[1].signed_on")]


def test_s12_1_signed_on_the_application_day_is_valid() -> None:
    same_day = replace(DR_B, examined_on=date(2026, 3, 12), signed_on=date(2026, 3, 12))
    assert application_errors(s3(recommendations=(DR_A, same_day))) == []


def test_s12_1_signature_before_the_examination_is_refused() -> None:
    early = replace(DR_B, signed_on=date(2026, 3, 9))
    assert provisions(s3(recommendations=(DR_A, early))) == ["s12(1)"]


def test_s12_1_application_date_is_the_london_day() -> None:
    # 12/03 is GMT, but in summer 2026-07-12 23:30 UTC is 00:30 on 13/07 in London: a doctor signing on
    # 13/07 signs on the application date, so it is valid.
    a = replace(DR_A, examined_on=date(2026, 7, 11), signed_on=date(2026, 7, 11))
    b = replace(DR_B, examined_on=date(2026, 7, 13), signed_on=date(2026, 7, 13))
    facts = s3(
        recommendations=(a, b),
        signed_at=datetime(2026, 7, 12, 23, 30, tzinfo=UTC),
        applicant_seen_at=datetime(2026, 7, 12, 23, 0, tzinfo=UTC),
    )
    assert application_errors(facts) == []


# s12(2): approval in date, previous acquaintance or reason
def test_s12_2_no_approved_doctor_is_refused() -> None:
    a = replace(DR_A, s12_approved=False)
    assert provisions(s3(recommendations=(a, DR_B))) == ["s12(2)"]


def test_s12_2_approval_expired_before_the_application_is_refused() -> None:
    # approval ended 11/03/2026; the application is dated 12/03/2026.
    a = replace(DR_A, s12_approval_expires_on=date(2026, 3, 11))
    errors = application_errors(s3(recommendations=(a, DR_B)))
    assert [e.provision for e in errors] == ["s12(2)"]
    assert "expired" in errors[0].message


def test_s12_2_approval_expired_before_the_examination_is_refused_naming_the_examination() -> None:
    # Dr Adeyemi examined on 10/03/2026; his approval ended on 09/03/2026, so he was not approved when he examined.
    a = replace(DR_A, s12_approval_expires_on=date(2026, 3, 9))
    errors = application_errors(s3(recommendations=(a, DR_B)))
    assert [e.provision for e in errors] == ["s12(2)"]
    assert "Dr Adeyemi's approval expired on 09/03/2026, before the examination on 10/03/2026" in errors[0].message


def test_s12_2_an_expired_approval_does_not_matter_when_the_other_doctor_is_approved_in_date() -> None:
    a = replace(DR_A, s12_approval_expires_on=date(2026, 3, 9))
    b = replace(DR_B, s12_approved=True, s12_approval_expires_on=date(2026, 12, 31))
    assert application_errors(s3(recommendations=(a, b))) == []


def test_s12_2_approval_ending_on_the_application_day_is_in_date() -> None:
    a = replace(DR_A, s12_approval_expires_on=date(2026, 3, 12))
    assert application_errors(s3(recommendations=(a, DR_B))) == []


def test_s12_2_no_previous_acquaintance_needs_a_reason() -> None:
    b = replace(DR_B, previous_acquaintance=False)
    assert [(e.provision, e.field) for e in application_errors(s3(recommendations=(DR_A, b)))] == [
        ("s12(2)", "recommendations[1].no_acquaintance_reason")
    ]
    b = replace(b, no_acquaintance_reason="GP on leave; no doctor who knows her is available tonight")
    assert application_errors(s3(recommendations=(DR_A, b))) == []


# s11(5): 14 days ending with the application date
@pytest.mark.parametrize(
    "seen, ok",
    [
        # application 15/03: the 14 days ending with it are 02/03-15/03.
        (datetime(2026, 3, 2, 9, tzinfo=UTC), True),
        (datetime(2026, 3, 1, 23, tzinfo=UTC), False),
    ],
)
def test_s11_5_applicant_saw_the_patient_in_the_14_days_ending_with_the_application(seen: datetime, ok: bool) -> None:
    a = replace(DR_A, examined_on=date(2026, 3, 14), signed_on=date(2026, 3, 14))
    b = replace(DR_B, examined_on=date(2026, 3, 15), signed_on=date(2026, 3, 15))
    facts = s3(recommendations=(a, b), signed_at=datetime(2026, 3, 15, 12, tzinfo=UTC), applicant_seen_at=seen)
    assert provisions(facts) == ([] if ok else ["s11(5)"])


def test_s11_5_counts_across_a_month_end() -> None:
    # application 10/03/2026: 14 days ending with it are 25/02-10/03 (28 Feb, 2026 is not a leap year).
    a = replace(DR_A, examined_on=date(2026, 3, 9), signed_on=date(2026, 3, 9))
    b = replace(DR_B, examined_on=date(2026, 3, 10), signed_on=date(2026, 3, 10))
    base = s3(recommendations=(a, b), signed_at=datetime(2026, 3, 10, 12, tzinfo=UTC))
    assert provisions(replace(base, applicant_seen_at=datetime(2026, 2, 25, 8, tzinfo=UTC))) == []
    assert provisions(replace(base, applicant_seen_at=datetime(2026, 2, 24, 20, tzinfo=UTC))) == ["s11(5)"]


# s4(3), s4(5): one recommendation and seen within 24 hours
def emergency(**changes: Unpack[FactChanges]) -> ApplicationFacts:
    rec = replace(
        DR_B,
        examined_at=datetime(2026, 3, 28, 22, tzinfo=UTC),
        examined_on=date(2026, 3, 28),
        signed_on=date(2026, 3, 28),
    )
    values: FactChanges = {
        "signed_at": datetime(2026, 3, 29, 10, tzinfo=UTC),
        "applicant_seen_at": datetime(2026, 3, 28, 21, tzinfo=UTC),
        **changes,
    }
    return replace(s3(section="s4", recommendations=(rec,), nearest_relative_step="informed"), **values)


def test_s4_with_one_recommendation_seen_within_24_hours_is_valid() -> None:
    assert application_errors(emergency()) == []


def test_s4_needs_one_recommendation() -> None:
    assert provisions(emergency(recommendations=())) == ["s4(3)"]


def test_s4_5_seen_more_than_24_hours_before_is_refused_across_the_clock_change() -> None:
    # Clocks go forward 01:00 UTC on 29/03/2026. Seen 28/03 09:30 UTC (09:30 GMT), applied 29/03 10:00 UTC
    # (11:00 BST): wall clocks show 25 h 30 min, real elapsed time is 24 h 30 min, still over 24 h.
    facts = emergency(applicant_seen_at=datetime(2026, 3, 28, 9, 30, tzinfo=UTC))
    assert provisions(facts) == ["s4(5)"]
    # Seen 28/03 10:30 UTC: wall clocks show 24 h 30 min, but only 23 h 30 min have elapsed: valid.
    assert provisions(emergency(applicant_seen_at=datetime(2026, 3, 28, 10, 30, tzinfo=UTC))) == []


def test_s4_needs_the_examination_time() -> None:
    rec = replace(emergency().recommendations[0], examined_at=None)
    assert provisions(emergency(recommendations=(rec,))) == ["s6(1)(b)"]


# s11(4): nearest relative consultation and objection, for s3 and guardianship
@pytest.mark.parametrize("section", ["s3", "guardianship"])
def test_s11_4_informing_is_not_consulting(section: str) -> None:
    assert provisions(s3(section=section, nearest_relative_step="informed")) == ["s11(4)"]


def test_s11_4_not_practicable_needs_a_reason() -> None:
    assert provisions(s3(nearest_relative_step="not_practicable")) == ["s11(4)"]
    assert (
        provisions(s3(nearest_relative_step="not_practicable", nearest_relative_reason="In Australia, no phone")) == []
    )


def test_s11_4_none_only_when_the_record_names_no_nearest_relative() -> None:
    assert provisions(s3(nearest_relative_step="none")) == ["s11(4)"]
    assert provisions(s3(nearest_relative_step="none", nearest_relative_identified=False)) == []


def test_s11_4_an_objection_bars_s3_unless_displaced() -> None:
    objected = s3(objections_to=frozenset({"s3"}))
    assert provisions(objected) == ["s11(4)"]
    assert provisions(replace(objected, nearest_relative_displaced=True)) == []
    # an objection to s3 does not bar s2
    assert provisions(replace(objected, section="s2", nearest_relative_step="informed")) == []


# s11(3): informing for s2 is a prompt
def test_s11_3_s2_without_informing_is_prompted_not_refused() -> None:
    facts = s3(section="s2", nearest_relative_step="")
    assert application_errors(facts) == []
    assert [p.provision for p in application_prompts(facts)] == ["s11(3)"]
    assert application_prompts(replace(facts, nearest_relative_step="informed")) == []


# s1(2B): learning disability qualifier
@pytest.mark.parametrize("section, refused", [("s3", True), ("guardianship", True), ("s2", False)])
def test_s1_2b_learning_disability_without_the_conduct_does_not_support_s3(section: str, refused: bool) -> None:
    facts = s3(section=section, learning_disability=True, nearest_relative_step="consulted")
    assert provisions(facts) == (["s1(2B)"] if refused else [])
    assert provisions(replace(facts, abnormally_aggressive_or_seriously_irresponsible=True)) == []


# s136A: under-18 at a police station
def test_s136a_a_child_at_a_police_station_is_refused() -> None:
    assert provisions(s3(patient_age=17, place_of_safety_type="police_station")) == ["s136A"]
    assert provisions(s3(patient_age=18, place_of_safety_type="police_station")) == []
    assert provisions(s3(patient_age=17, place_of_safety_type="health_based")) == []


# SI 2008/1205: conflicts of interest
def test_conflict_of_interest_declared_is_refused_without_the_urgency_reason() -> None:
    assert provisions(s3(conflict_of_interest_declared=True)) == ["SI 2008/1205"]
    facts = s3(conflict_of_interest_declared=True, conflict_of_interest_reason="Urgent: no other AMHP for 6 hours")
    assert provisions(facts) == []


def test_every_error_names_a_provision_and_a_field() -> None:
    facts = ApplicationFacts(section="s3", signed_at=None, applicant_seen_at=None)
    errors = application_errors(facts)
    assert {e.provision for e in errors} == {"s11(5)", "s3(3)", "s11(4)"}
    assert all(e.field and e.message for e in errors)


# s1(2A), s1(2B)(a): the AMHP's agreement to a CTO (s17A(4)) or to its revocation (s17F(4)) and a learning disability


@pytest.mark.parametrize("outcome", ["cto_agreed", "cto_revocation_agreed"])
def test_s1_2b_a_learning_disability_without_the_conduct_cannot_support_agreeing_to_a_cto_or_its_revocation(
    outcome: str,
) -> None:
    from assessments.application_rules import cto_learning_disability_errors

    errors = cto_learning_disability_errors(
        outcome, learning_disability=True, abnormally_aggressive_or_seriously_irresponsible=False
    )
    assert [(e.provision, e.field) for e in errors] == [("s1(2B)", "abnormally_aggressive_or_seriously_irresponsible")]
    assert "community treatment order" in errors[0].message


@pytest.mark.parametrize(
    ("outcome", "learning_disability", "conduct"),
    [
        ("cto_agreed", True, True),  # associated with the conduct: the qualifier is met
        ("cto_revocation_agreed", True, True),
        ("cto_agreed", False, False),  # another mental disorder
        ("cto_not_agreed", True, False),  # no agreement is given, so nothing rests on the disorder
        ("cto_revocation_not_agreed", True, False),
        ("informal_admission", True, False),
    ],
)
def test_s1_2b_the_cto_qualifier_refuses_only_an_agreement_resting_on_a_learning_disability_alone(
    outcome: str, learning_disability: bool, conduct: bool
) -> None:
    from assessments.application_rules import cto_learning_disability_errors

    assert (
        cto_learning_disability_errors(
            outcome,
            learning_disability=learning_disability,
            abnormally_aggressive_or_seriously_irresponsible=conduct,
        )
        == []
    )
