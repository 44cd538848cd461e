"""Rules that follow from the person: age, childhood and the place of safety. Pure: no database.

Every function names its provision. Ages are whole years on a given day (a birthday counts
from the start of that day; someone born on 29 February turns a year older on 1 March in a
year with no 29 February, as English law reads a birthday: Family Law Reform Act 1969 s9).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

ADULT_AGE = 18
POLICE_STATION = "police_station"


@dataclass(frozen=True)
class RuleError:
    """A rule broken: which provision, which field, and what to do about it."""

    provision: str
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"provision": self.provision, "field": self.field, "message": self.message}


def age_on(date_of_birth: date | None, day: date) -> int | None:
    """Return the person's age in whole years on DAY, or None when the date of birth is not known.

    A person attains an age at the start of the anniversary of their birth; for 29 February
    the anniversary in a common year is 1 March (Family Law Reform Act 1969 s9).
    """
    if date_of_birth is None:
        return None
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def is_child(age: int | None) -> bool:
    """Return True for a person under 18 (s136A, s131A, Code of Practice chapter 19). Unknown age is False."""
    return age is not None and age < ADULT_AGE


def place_of_safety_errors(*, age: int | None, place_of_safety_type: str) -> list[RuleError]:
    """s136A: a person under 18 may never be removed to, kept at or taken to a police station as a place of safety.

    (For an adult a police station needs an inspector's authority on an imminent risk,
    SI 2017/1036; that is the police's record, not the AMHP's, so it is not checked here.)
    """
    if place_of_safety_type == POLICE_STATION and is_child(age):
        return [
            RuleError(
                "s136A",
                "place_of_safety_type",
                f"A person under 18 (here {age}) may not be taken to or kept at a police station as a "
                "place of safety: choose a health-based place of safety (s136A).",
            )
        ]
    return []


@dataclass(frozen=True)
class ChildFlags:
    """What a referral of a child needs, with the provision behind each."""

    camhs_assessor: bool
    age_appropriate_ward: bool
    parental_responsibility_needed: bool
    council_is_nearest_relative: bool

    def notes(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.camhs_assessor:
            out.append(("Code 19", "Involve an AMHP or doctor with CAMHS experience (Code of Practice 19.71)."))
        if self.age_appropriate_ward:
            out.append(("s131A", "The hospital must provide an environment suitable for their age (s131A)."))
        if self.parental_responsibility_needed:
            out.append(("Code 19", "Record who holds parental responsibility and whether they agree (Code 19.39)."))
        if self.council_is_nearest_relative:
            out.append(("s27", "The council whose care they are in is the nearest relative (s27)."))
        return out


def child_flags(*, age: int | None, in_care_of_council: bool) -> ChildFlags:
    """s131A and Code of Practice ch.19 for a person under 18; s27 for a child in a council's care.

    All flags are False for an adult or a person of unknown age.
    """
    child = is_child(age)
    return ChildFlags(
        camhs_assessor=child,
        age_appropriate_ward=child,
        parental_responsibility_needed=child,
        council_is_nearest_relative=child and in_care_of_council,
    )
