"""Rank on-duty AMHPs for a piece of work, and say why.

The consultant allocating a referral sees every on-duty AMHP in score order with the
reasons behind the order. Time is the dominant factor: work that would run past the end
of someone's shift is what burns AMHPs out, so anyone who would overrun ranks below
everyone who would not, whatever their other merits.

Scoring (the weights are module constants a service can reason about):

* **Time.** ``hours_left`` is the time from ``work.now`` to the end of the shift, less
  the expected hours of the AMHP's open work. If that covers ``work.expected_hours``
  the candidate *fits* and gets :data:`FITS_BONUS`, plus :data:`SPARE_HOUR_BONUS` per
  spare hour (up to :data:`SPARE_HOURS_CAP` hours), because assessments overrun and a
  buffer protects against that. If not, they lose :data:`OVERRUN_PENALTY_PER_HOUR` for
  every hour the work would run past the shift end.
* **Workload.** :data:`OPEN_ALLOCATION_PENALTY` per open allocation. This is on top of
  the open hours already taken from ``hours_left``: each open case also brings calls,
  paperwork and the chance of being pulled back.
* **Continuity.** :data:`CONTINUITY_BONUS` if the AMHP has assessed this person before.
* **Locality.** :data:`LOCALITY_BONUS` if the AMHP works in the work's locality.
* **Language.** :data:`LANGUAGE_BONUS` if the work needs a language the AMHP speaks.

All the soft bonuses together (at most 15 + 10 + 20 + 8 = 53) are less than
:data:`FITS_BONUS`, so fitting in the shift always wins. Ties are broken by name and
then by ``amhp_id`` so the order never depends on input order.

Pure module: no database access and no model imports.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from rota.timefmt import LONDON, format_hours, format_local, format_local_time, require_aware

FITS_BONUS = 100.0
"""Score for a candidate whose remaining shift time covers the work."""

OVERRUN_PENALTY_PER_HOUR = 50.0
"""Score lost per hour the work would run past the end of the shift."""

SPARE_HOUR_BONUS = 2.0
"""Score per hour left over after the work, for a candidate who fits."""

SPARE_HOURS_CAP = 4.0
"""Spare hours beyond this earn nothing more."""

OPEN_ALLOCATION_PENALTY = 5.0
"""Score lost per open allocation."""

CONTINUITY_BONUS = 15.0
"""Score for having assessed this person before."""

LOCALITY_BONUS = 10.0
"""Score for working in the work's locality."""

LANGUAGE_BONUS = 20.0
"""Score for speaking the language the work needs."""

# Rounding the score keeps float noise from breaking ties that should be exact, and
# fits_in_shift is decided to the second for the same reason.
_SCORE_DIGITS = 6
_FIT_TOLERANCE_HOURS = 1 / 3600

EXPECTED_HOURS_BY_LEGAL_STATUS: dict[str, float] = {
    # Default expected length of an assessment, door to door including arranging
    # doctors, travel, the interview, any application and handover, by the person's
    # legal situation when referred. They are starting points a service may change
    # (pass ``overrides`` to :func:`expected_hours`); do not mutate this dict.
    "s136": 4.0,  # place of safety: person, police and usually doctors in one place
    "s135_1": 8.0,  # warrant: magistrates, police, ambulance and often a locksmith
    "s135_2": 6.0,  # retaking a patient already liable to be detained
    "s5_2": 4.0,  # doctor's holding power on a ward
    "s5_4": 4.0,  # nurse's holding power on a ward, short clock
    "s4": 6.0,  # emergency application, usually in the community
    "s2": 4.0,  # already detained on a ward (e.g. assessment for s3)
    "s3": 4.0,  # already detained on a ward
    "informal_inpatient": 4.0,  # on a ward, no detention yet
    "community": 6.0,  # home visit: travel, access, arranging doctors and a bed
    "police_custody": 5.0,  # custody suite: waits for booking-in and interviews
    "nr_request": 6.0,  # nearest relative request, s13(4): community plus written reasons
    "cto_recall": 4.0,  # recalled community patient (s17E): already in hospital, revocation decision
}


def expected_hours(legal_status: str, overrides: Mapping[str, float] | None = None) -> float:
    """Return the expected hours for an assessment of a person with ``legal_status``.

    A value in ``overrides`` (a service's own figures) wins over
    :data:`EXPECTED_HOURS_BY_LEGAL_STATUS`. Raise ``ValueError`` for a status found in
    neither, or if the figure found is not a positive number of hours.
    """
    if overrides is not None and legal_status in overrides:
        hours = overrides[legal_status]
    elif legal_status in EXPECTED_HOURS_BY_LEGAL_STATUS:
        hours = EXPECTED_HOURS_BY_LEGAL_STATUS[legal_status]
    else:
        raise ValueError(f"no expected hours for legal status {legal_status!r}")
    if not math.isfinite(hours) or hours <= 0:
        raise ValueError(f"expected hours for {legal_status!r} must be positive, got {hours!r}")
    return float(hours)


@dataclass(frozen=True)
class Candidate:
    """An on-duty AMHP who could take the work.

    ``shift_end`` is aware. ``open_hours`` is the expected hours still needed for the
    AMHP's open allocations. ``languages`` are compared case-insensitively.
    """

    amhp_id: str
    name: str
    shift_end: datetime
    open_allocations: int
    open_hours: float
    assessed_person_before: bool
    locality: str | None
    languages: frozenset[str]
    # Set when this AMHP already declined this piece of work: they rank last, with their reason.
    declined_reason: str | None = None

    def __post_init__(self) -> None:
        require_aware(self.shift_end, "shift_end")
        if self.open_allocations < 0:
            raise ValueError("open_allocations cannot be negative")
        if not math.isfinite(self.open_hours) or self.open_hours < 0:
            raise ValueError("open_hours must be a non-negative number")


@dataclass(frozen=True)
class Work:
    """The piece of work to allocate, as seen at ``now`` (aware)."""

    expected_hours: float
    locality: str | None
    language: str | None
    now: datetime

    def __post_init__(self) -> None:
        require_aware(self.now, "now")
        if not math.isfinite(self.expected_hours) or self.expected_hours < 0:
            raise ValueError("expected_hours must be a non-negative number")


@dataclass(frozen=True)
class RankedCandidate:
    """A candidate with their score and the reasons for it, most important first.

    ``hours_left`` is the time left on shift after their open work; it is negative when
    their open work already runs past the end of the shift.
    """

    candidate: Candidate
    score: float
    fits_in_shift: bool
    hours_left: float
    reasons: tuple[str, ...]


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _shift_end_text(shift_end: datetime, now: datetime) -> str:
    # "at 17:00" for today; with the day for a shift ending tomorrow (EDT nights).
    if shift_end.astimezone(LONDON).date() == now.astimezone(LONDON).date():
        return format_local_time(shift_end)
    return format_local(shift_end)


def _assess(candidate: Candidate, work: Work) -> RankedCandidate:
    until_end = (candidate.shift_end - work.now) / timedelta(hours=1)
    hours_left = until_end - candidate.open_hours
    fits = hours_left + _FIT_TOLERANCE_HOURS >= work.expected_hours
    reasons: list[str] = []

    if fits:
        spare = max(0.0, hours_left - work.expected_hours)
        score = FITS_BONUS + SPARE_HOUR_BONUS * min(spare, SPARE_HOURS_CAP)
        after = " after current work" if candidate.open_hours > 0 else ""
        reasons.append(
            f"Fits: {format_hours(hours_left)} left on shift{after}, needs about {format_hours(work.expected_hours)}"
        )
    else:
        overrun = work.expected_hours - hours_left
        score = -OVERRUN_PENALTY_PER_HOUR * overrun
        reasons.append(
            f"Would run {format_hours(overrun)} past the end of shift at "
            f"{_shift_end_text(candidate.shift_end, work.now)}"
        )

    count = candidate.open_allocations
    score -= OPEN_ALLOCATION_PENALTY * count
    reasons.append("No open allocations" if count == 0 else f"{count} open allocation{'s' if count != 1 else ''}")

    if candidate.assessed_person_before:
        score += CONTINUITY_BONUS
        reasons.append("Assessed this person before")

    if work.locality and candidate.locality and _same(work.locality, candidate.locality):
        score += LOCALITY_BONUS
        reasons.append(f"Works in the {candidate.locality.strip()} locality")

    if work.language and any(_same(work.language, spoken) for spoken in candidate.languages):
        score += LANGUAGE_BONUS
        reasons.append(f"Speaks {work.language}")

    if candidate.declined_reason is not None:
        reasons.insert(0, f"Declined this referral: {candidate.declined_reason}")

    return RankedCandidate(
        candidate=candidate,
        score=round(score, _SCORE_DIGITS),
        fits_in_shift=fits,
        hours_left=hours_left,
        reasons=tuple(reasons),
    )


def rank_candidates(candidates: Iterable[Candidate], work: Work) -> list[RankedCandidate]:
    """Return every candidate scored for ``work``, best first.

    Order is by score (highest first), then name, then ``amhp_id``, so it is the same
    whatever order the candidates arrive in; anyone who already declined this work comes
    after everyone who has not, whatever their score, with the decline as their first reason.
    An empty input gives an empty list. The reasons (after any decline) start with the time on
    shift and the open workload, then list continuity, locality and language where they apply.
    """
    ranked = [_assess(candidate, work) for candidate in candidates]
    ranked.sort(
        key=lambda r: (r.candidate.declined_reason is not None, -r.score, r.candidate.name, r.candidate.amhp_id)
    )
    return ranked
