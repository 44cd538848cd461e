"""AMHP approval rules (pure, no database).

The Mental Health (Approved Mental Health Professionals) (Approval) (England) Regulations 2008
(SI 2008/1206): an AMHP may act only while their approval is in date (at most 5 years, reg. 5)
and must complete at least 18 hours of relevant training in each year of approval (DOMAIN.md,
"Approval" and "AMHP training").
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

PROVISION = "SI 2008/1206"
TRAINING_HOURS_A_YEAR = Decimal(18)
MAX_APPROVAL_YEARS = 5


def approval_problem(name: str, expires_on: date | None, today: date) -> str | None:
    """Return why NAME may not act as an AMHP on TODAY, or None when their approval is in date.

    The approval runs to the end of EXPIRES_ON: on that day they may still act; from the next
    day they may not. No expiry recorded means not approved.
    """
    if expires_on is None:
        return f"{name} has no AMHP approval recorded ({PROVISION})"
    if expires_on < today:
        return f"{name}'s AMHP approval ended on {expires_on.day} {expires_on:%B %Y} ({PROVISION})"
    return None


def approval_expiry_error(expires_on: date, today: date) -> str | None:
    """Return why EXPIRES_ON cannot be an approval end set on TODAY, or None: at most 5 years ahead (reg. 5)."""
    try:
        latest = today.replace(year=today.year + MAX_APPROVAL_YEARS)
    except ValueError:  # 29 February: the latest is 28 February five years on
        latest = today.replace(year=today.year + MAX_APPROVAL_YEARS, day=28)
    if expires_on > latest:
        return (
            f"An approval lasts at most {MAX_APPROVAL_YEARS} years: end it on or before {latest:%d/%m/%Y} ({PROVISION})"
        )
    return None


def training_year(today: date) -> tuple[date, date]:
    """Return the 12 months ending with TODAY (first day, today) over which training hours are counted."""
    try:
        start = today.replace(year=today.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        start = date(today.year - 1, 3, 1)
    return start, today


def training_short_by(hours: Decimal, required: Decimal = TRAINING_HOURS_A_YEAR) -> Decimal:
    """Return how many hours short of REQUIRED (18) the year's HOURS are; 0 when met."""
    return max(Decimal(0), required - hours)
