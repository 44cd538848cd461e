"""What a search box's text means: an NHS number, a referral reference, a date of birth or a name. Pure, no database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from referrals.nhs_number import normalise_nhs_number

_REFERENCE = re.compile(r"^R-?([2-9A-HJ-NP-Z]{4})-?([2-9A-HJ-NP-Z]{4})$", re.IGNORECASE)
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %m %Y")


@dataclass(frozen=True)
class Terms:
    """A parsed search: exactly one of nhs_number, reference, names is set, or only date_of_birth."""

    nhs_number: str = ""
    reference: str = ""
    names: tuple[str, ...] = ()
    date_of_birth: date | None = None

    @property
    def empty(self) -> bool:
        return not (self.nhs_number or self.reference or self.names or self.date_of_birth)


def parse_date(text: str) -> date | None:
    """Return the date TEXT spells (31/01/1980, 1980-01-31, 31-01-1980, 31.01.1980), or None."""
    cleaned = " ".join(text.split())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def parse_terms(text: str, date_of_birth: date | None = None) -> Terms:
    """Return what TEXT searches for.

    * ten digits, typed with or without spaces or hyphens ("943 476 5919"): an NHS number;
    * "R-ABCD-2345" (any case, hyphens optional): a referral reference;
    * a date: a date of birth;
    * anything else: names, each word matching the start of a first or last name.
    DATE_OF_BIRTH (a separate field) narrows any of these.
    """
    raw = " ".join((text or "").split())
    digits = normalise_nhs_number(raw)
    if digits.isdigit() and len(digits) == 10:
        return Terms(nhs_number=digits, date_of_birth=date_of_birth)
    match = _REFERENCE.match(raw.replace(" ", ""))
    if match:
        return Terms(reference=f"R-{match.group(1).upper()}-{match.group(2).upper()}", date_of_birth=date_of_birth)
    as_date = parse_date(raw) if raw else None
    if as_date is not None:
        return Terms(date_of_birth=as_date)
    words = tuple(w.casefold() for w in re.split(r"[\s,]+", raw) if w)[:3]
    return Terms(names=words, date_of_birth=date_of_birth)
