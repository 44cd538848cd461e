"""Who is the nearest relative: s26 of the Mental Health Act 1983 (and s27 for a child in care). Pure: no database.

`identify_nearest_relative` takes the relatives entered once for the person and returns the
nearest relative with the steps that decided it, so the AMHP can check the reasoning.

Readings taken where the Act needs interpreting:
- s26(7): a non-relative who has lived with the patient for 5 years or more is treated as a
  relative who comes after nephews and nieces in the list (s26(3)); being a co-resident they
  still take the s26(4) preference over relatives who neither live with nor care for the patient.
- s26(6): a cohabitee of 6 months or more ranks as a spouse, but not ahead of a husband, wife or
  civil partner who is not passed over.
- s26(5)(c): a relative under 18 is passed over unless they are the patient's spouse, civil
  partner (or a cohabitee treated as one) or parent.
- s26(3): where dates of birth are missing the elder cannot be told; such relatives are placed
  after those whose dates are known and the reasons say the tie needs checking.
- s27: for a child in a council's care under a care order the council is the nearest relative,
  ahead of anyone but a spouse or civil partner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from referrals.person_rules import RuleError, age_on

# s26(1) in order; a cohabitee of 6 months ranks as a spouse (s26(6)); a 5-year co-resident
# non-relative comes last (s26(7)).
LIST_ORDER = (
    "spouse",
    "civil_partner",
    "cohabitee",
    "child",
    "parent",
    "sibling",
    "grandparent",
    "grandchild",
    "uncle_aunt",
    "nephew_niece",
    "non_relative_resident",
)
RELATIONSHIPS = LIST_ORDER
LABELS = {
    "spouse": "husband or wife",
    "civil_partner": "civil partner",
    "cohabitee": "cohabitee",
    "child": "son or daughter",
    "parent": "father or mother",
    "sibling": "brother or sister",
    "grandparent": "grandparent",
    "grandchild": "grandchild",
    "uncle_aunt": "uncle or aunt",
    "nephew_niece": "nephew or niece",
    "non_relative_resident": "person living with the patient",
}
# s26(1)(a)-(h); spouse, civil partner and cohabitee share paragraph (a).
PARAGRAPH = {
    "spouse": "a",
    "civil_partner": "a",
    "cohabitee": "a",
    "child": "b",
    "parent": "c",
    "sibling": "d",
    "grandparent": "e",
    "grandchild": "f",
    "uncle_aunt": "g",
    "nephew_niece": "h",
    "non_relative_resident": "7",
}
SPOUSE_LIKE = ("spouse", "civil_partner", "cohabitee")
COHABITEE_YEARS = 0.5  # s26(6): not less than six months
CO_RESIDENT_YEARS = 5  # s26(7): not less than five years
COUNCIL = "council"


@dataclass(frozen=True)
class Relative:
    """A relative (or s26(7) co-resident) as entered for the person."""

    name: str
    relationship: str
    date_of_birth: date | None = None
    half_blood: bool = False
    lives_with_patient: bool = False
    cares_for_patient: bool = False
    ordinarily_resident_uk: bool = True
    years_living_with_patient: float = 0


@dataclass(frozen=True)
class Identification:
    """The nearest relative (None if there is none) and the s26 steps that decided it."""

    name: str
    relationship: str
    reasons: list[str] = field(default_factory=list)
    passed_over: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.name)


def _describe(relative: Relative) -> str:
    return f"{relative.name} ({LABELS.get(relative.relationship, relative.relationship)})"


def _passed_over(relative: Relative, *, on: date, spouse_present: bool, patient_resident_uk: bool) -> str | None:
    """Return why RELATIVE is passed over under s26(5), (6) or (7), or None if they are eligible."""
    who = _describe(relative)
    if relative.relationship not in LIST_ORDER:
        return f"{who}: not a relationship in s26(1)"
    if patient_resident_uk and not relative.ordinarily_resident_uk:
        return f"{who} is not ordinarily resident in the UK (s26(5)(a))"
    age = age_on(relative.date_of_birth, on)
    if age is not None and age < 18 and relative.relationship not in (*SPOUSE_LIKE, "parent"):
        return f"{who} is under 18 ({age}) and not a spouse, civil partner or parent (s26(5)(c))"
    if relative.relationship == "cohabitee":
        if relative.years_living_with_patient < COHABITEE_YEARS:
            return f"{who} has lived with the patient as a partner for less than 6 months (s26(6))"
        if spouse_present:
            return f"{who}: a cohabitee is not treated as the spouse of a married patient (s26(6))"
    if relative.relationship == "non_relative_resident":
        if relative.years_living_with_patient < CO_RESIDENT_YEARS:
            return f"{who} has lived with the patient for less than 5 years (s26(7))"
        if spouse_present:
            return f"{who}: a co-resident is not the nearest relative of a married patient (s26(7))"
    return None


def _rank(relative: Relative) -> tuple[bool, int, bool, bool, date]:
    return (
        not (relative.lives_with_patient or relative.cares_for_patient),  # s26(4) preference
        LIST_ORDER.index(relative.relationship),  # s26(1) list order
        relative.half_blood,  # s26(3) whole blood first
        relative.date_of_birth is None,  # s26(3) the elder first; unknown ages last
        relative.date_of_birth or date.max,
    )


def _why_preferred(winner: Relative, other: Relative) -> str:
    a, b = _rank(winner), _rank(other)
    who, them = _describe(winner), _describe(other)
    if a[0] != b[0]:
        return f"{who} lives with or cares for the patient, so comes before {them} (s26(4))"
    if a[1] != b[1]:
        return (
            f"{who} is in s26(1)({PARAGRAPH[winner.relationship]}), before {them} in "
            f"s26(1)({PARAGRAPH[other.relationship]})"
        )
    if a[2] != b[2]:
        return f"{who} is of the whole blood, so comes before {them} of the half blood (s26(3))"
    if a[3] != b[3]:
        return f"{who} has a known date of birth and {them} has none: check who is elder (s26(3))"
    if a[4] != b[4]:
        return f"{who} (born {winner.date_of_birth:%d/%m/%Y}) is elder than {them}, so comes first (s26(3))"
    return f"{who} and {them} cannot be told apart: record their dates of birth (s26(3))"


def identify_nearest_relative(
    relatives: Iterable[Relative],
    *,
    on: date,
    patient_date_of_birth: date | None = None,
    in_care_of: str = "",
    patient_resident_uk: bool = True,
) -> Identification:
    """s26: return the nearest relative among RELATIVES on day ON, with the steps that decided it.

    s26(1) list order; s26(3) whole blood before half blood and the elder first; s26(4) a
    relative who lives with or cares for the patient first; s26(5) relatives abroad and
    under-18s (other than a spouse or parent) passed over; s26(6) a 6-month cohabitee ranks
    as a spouse; s26(7) a 5-year co-resident comes last. s27: a child (under 18) in the care
    of a council (IN_CARE_OF names it) has the council as nearest relative unless they have
    a spouse or civil partner. With no one eligible the result has an empty name.
    """
    relatives = list(relatives)
    spouse_present = any(
        r.relationship in ("spouse", "civil_partner")
        and _passed_over(r, on=on, spouse_present=False, patient_resident_uk=patient_resident_uk) is None
        for r in relatives
    )
    passed: list[str] = []
    eligible: list[Relative] = []
    for relative in relatives:
        reason = _passed_over(relative, on=on, spouse_present=spouse_present, patient_resident_uk=patient_resident_uk)
        if reason is None:
            eligible.append(relative)
        else:
            passed.append(reason)
    reasons = [f"Passed over: {p}" for p in passed]
    patient_age = age_on(patient_date_of_birth, on)
    child_in_care = bool(in_care_of) and patient_age is not None and patient_age < 18
    if child_in_care:
        spouses = sorted((r for r in eligible if r.relationship in ("spouse", "civil_partner")), key=_rank)
        if not spouses:
            reasons.append(
                f"The patient is {patient_age} and in the care of {in_care_of}: the council is the nearest "
                "relative, ahead of any relative but a spouse or civil partner (s27)"
            )
            return Identification(name=in_care_of, relationship=COUNCIL, reasons=reasons, passed_over=passed)
        reasons.append(f"In the care of {in_care_of}, but a spouse or civil partner comes before the council (s27)")
        eligible = spouses
    if not eligible:
        reasons.append("No relative in s26(1) is eligible: the patient has no nearest relative")
        return Identification(name="", relationship="", reasons=reasons, passed_over=passed)
    ordered = sorted(eligible, key=_rank)
    winner = ordered[0]
    reasons.extend(_why_preferred(winner, other) for other in ordered[1:])
    if len(ordered) == 1:
        reasons.append(f"{_describe(winner)} is the only eligible relative (s26(1)({PARAGRAPH[winner.relationship]}))")
    reasons.append(f"Nearest relative: {_describe(winner)}")
    return Identification(name=winner.name, relationship=winner.relationship, reasons=reasons, passed_over=passed)


def s13_4_request_errors(*, outcome: str, reasons: str) -> list[RuleError]:
    """s13(4): when an AMHP considers a nearest relative's request and decides not to apply, they must give the
    nearest relative their reasons in writing."""
    if outcome == "no_application" and not reasons.strip():
        return [
            RuleError(
                "s13(4)",
                "reasons",
                "No application follows the nearest relative's request: write the reasons to give them (s13(4)).",
            )
        ]
    return []


def displaced(orders: Iterable[tuple[str, bool]]) -> bool:
    """s29: the nearest relative's functions pass to the acting nearest relative once the court makes an order.

    ORDERS are (ground, order_made) pairs of the person's displacement applications. (An
    interim order under s29(1A) has the same effect; it is recorded as an order made.)
    """
    return any(made for _, made in orders)
