"""Worked cases for s26 identification, s27 and the under-18 rules, each from the Act's text."""

from __future__ import annotations

from datetime import date

from referrals.nearest_relative import Relative, identify_nearest_relative
from referrals.person_rules import age_on, child_flags, place_of_safety_errors

ON = date(2026, 12, 1)


def nr(*relatives: Relative) -> str:
    return identify_nearest_relative(relatives, on=ON).name


def test_s26_1_list_order_spouse_before_child_before_parent() -> None:
    spouse = Relative("Sam", "spouse", date(1970, 1, 1))
    child = Relative("Kim", "child", date(1995, 1, 1))
    parent = Relative("Pat", "parent", date(1945, 1, 1))
    assert nr(parent, child, spouse) == "Sam"
    assert nr(parent, child) == "Kim"
    result = identify_nearest_relative([parent, child], on=ON)
    assert any("s26(1)(b)" in r and "s26(1)(c)" in r for r in result.reasons)


def test_s26_3_the_elder_of_two_children_regardless_of_sex() -> None:
    # born 03/05/1990 is elder than born 02/05/1992
    assert nr(Relative("Younger", "child", date(1992, 5, 2)), Relative("Elder", "child", date(1990, 5, 3))) == "Elder"


def test_s26_3_whole_blood_before_half_blood_even_if_younger() -> None:
    half = Relative("Half", "sibling", date(1980, 1, 1), half_blood=True)
    whole = Relative("Whole", "sibling", date(1990, 1, 1))
    result = identify_nearest_relative([half, whole], on=ON)
    assert result.name == "Whole"
    assert any("whole blood" in r for r in result.reasons)


def test_s26_4_a_carer_comes_before_a_higher_relative() -> None:
    # the sister who cares for the patient comes before the child who does not
    child = Relative("Kim", "child", date(1995, 1, 1))
    sister = Relative("Sue", "sibling", date(1960, 1, 1), cares_for_patient=True)
    result = identify_nearest_relative([child, sister], on=ON)
    assert result.name == "Sue"
    assert any("s26(4)" in r for r in result.reasons)


def test_s26_5_a_relative_abroad_and_an_under_18_child_are_passed_over() -> None:
    # the son turns 18 on 02/12/2026, one day after ON: still 17, passed over (s26(5)(c))
    son = Relative("Leo", "child", date(2008, 12, 2))
    mother_abroad = Relative("Ana", "parent", date(1960, 1, 1), ordinarily_resident_uk=False)
    brother = Relative("Ben", "sibling", date(1985, 1, 1))
    result = identify_nearest_relative([son, mother_abroad, brother], on=ON)
    assert result.name == "Ben"
    assert any("s26(5)(c)" in p for p in result.passed_over)
    assert any("s26(5)(a)" in p for p in result.passed_over)
    # on his 18th birthday he counts again
    assert identify_nearest_relative([son, brother], on=date(2026, 12, 2)).name == "Leo"


def test_s26_5_an_under_18_spouse_is_not_passed_over() -> None:
    assert nr(Relative("Young spouse", "spouse", date(2009, 1, 1)), Relative("Pat", "parent", date(1960, 1, 1))) == (
        "Young spouse"
    )


def test_s26_6_a_cohabitee_of_six_months_ranks_as_spouse() -> None:
    parent = Relative("Pat", "parent", date(1960, 1, 1))
    assert nr(Relative("Alex", "cohabitee", years_living_with_patient=0.5), parent) == "Alex"
    assert nr(Relative("Alex", "cohabitee", years_living_with_patient=0.4), parent) == "Pat"


def test_s26_6_a_cohabitee_does_not_displace_a_spouse() -> None:
    spouse = Relative("Sam", "spouse", date(1970, 1, 1))
    cohabitee = Relative("Alex", "cohabitee", lives_with_patient=True, years_living_with_patient=3)
    assert nr(spouse, cohabitee) == "Sam"


def test_s26_7_a_five_year_co_resident_comes_after_every_resident_relative() -> None:
    friend = Relative("Fran", "non_relative_resident", lives_with_patient=True, years_living_with_patient=5)
    niece = Relative("Nia", "nephew_niece", date(1990, 1, 1), lives_with_patient=True)
    assert nr(friend, niece) == "Nia"
    # and before relatives who neither live with nor care for the patient (s26(4))
    assert nr(friend, Relative("Pat", "parent", date(1960, 1, 1))) == "Fran"
    assert nr(Relative("Fran", "non_relative_resident", years_living_with_patient=4.9)) == ""


def test_s27_the_council_is_nearest_relative_of_a_child_in_care() -> None:
    mother = Relative("Ana", "parent", date(1985, 1, 1))
    result = identify_nearest_relative(
        [mother], on=ON, patient_date_of_birth=date(2011, 6, 1), in_care_of="Riverside Council"
    )
    assert (result.name, result.relationship) == ("Riverside Council", "council")
    assert any("s27" in r for r in result.reasons)
    # at 18 the care order no longer makes the council nearest relative
    adult = identify_nearest_relative([mother], on=ON, patient_date_of_birth=date(2008, 6, 1), in_care_of="X")
    assert adult.name == "Ana"


def test_no_eligible_relative_means_no_nearest_relative() -> None:
    result = identify_nearest_relative([], on=ON)
    assert not result.found
    assert result.reasons


def test_age_counts_whole_years_and_leap_day_birthdays() -> None:
    # born 29/02/2008: in 2026 (no 29 Feb) turns 18 on 01/03/2026
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18
    assert age_on(None, ON) is None


def test_s136a_no_police_station_for_a_child() -> None:
    assert [e.provision for e in place_of_safety_errors(age=15, place_of_safety_type="police_station")] == ["s136A"]
    assert place_of_safety_errors(age=None, place_of_safety_type="police_station") == []


def test_s131a_and_s27_flags_for_a_child() -> None:
    flags = child_flags(age=16, in_care_of_council=True)
    assert flags.camhs_assessor and flags.age_appropriate_ward and flags.council_is_nearest_relative
    assert [p for p, _ in flags.notes()] == ["Code 19", "s131A", "Code 19", "s27"]
    assert child_flags(age=18, in_care_of_council=True).notes() == []
