"""Waits derived from the requests logged on a case: how long each kind held things up, and what holds it now.

A kind's wait (doctor, bed, ambulance...) runs from its first request until the first time
something of that kind arrived (``arrived_at``). Refused and unanswered calls do not end it:
the AMHP rings the next doctor and the person keeps waiting, so five calls over two hours to
find a doctor are one two-hour wait of five calls. While nothing of a kind has arrived and the
case is open, its wait is still running. Requests whose times were never recorded (carried
over from the old tick boxes) count as calls but give no duration.

The current blocker of a case is the running wait that has lasted longest; with none running,
there is none. Ties go to the kind that comes first in the pathway (doctors, then warrant,
interpreter, bed, then conveyance).

Pure module: no database access and no model imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# Pathway order: what is needed first comes first.
KIND_ORDER = (
    "s12_doctor",
    "second_doctor",
    "warrant",
    "interpreter",
    "bed",
    "ambulance",
    "police",
    "secure_transport",
)


@dataclass(frozen=True)
class RequestFact:
    """What the rules need of one request."""

    kind: str
    requested_at: datetime
    outcome: str
    arrived_at: datetime | None = None
    times_known: bool = True


@dataclass(frozen=True)
class Wait:
    """The wait for one kind: from the first request to the first arrival (None while running)."""

    kind: str
    started_at: datetime | None
    ended_at: datetime | None
    duration: timedelta | None
    requests: int
    running: bool


def arrival_error(requested_at: datetime, arrived_at: datetime | None) -> str | None:
    """Return why ARRIVED_AT cannot be right for a request made at REQUESTED_AT, or None if it can."""
    if arrived_at is not None and arrived_at < requested_at:
        return "The arrival time must be after the time it was requested"
    return None


def _order(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def waits_by_kind(requests: Iterable[RequestFact], *, now: datetime, open_case: bool = True) -> list[Wait]:
    """Return one Wait per kind requested, in pathway order.

    A running wait (nothing arrived yet) lasts until NOW while the case is open; on a closed
    case it has no duration. A kind whose only requests have unknown times has no start and
    no duration.
    """
    grouped: dict[str, list[RequestFact]] = {}
    for fact in requests:
        grouped.setdefault(fact.kind, []).append(fact)
    waits: list[Wait] = []
    for kind in sorted(grouped, key=_order):
        facts = grouped[kind]
        timed = [f for f in facts if f.times_known]
        started = min((f.requested_at for f in timed), default=None)
        arrivals = [f.arrived_at for f in timed if f.arrived_at is not None]
        ended = min(arrivals) if arrivals else None
        running = not any(f.arrived_at is not None for f in facts) and open_case
        if started is None:
            duration = None
        elif ended is not None:
            duration = max(ended - started, timedelta(0))
        elif running:
            duration = max(now - started, timedelta(0))
        else:
            duration = None
        waits.append(Wait(kind, started, ended, duration, len(facts), running and started is not None))
    return waits


def current_blocker(waits: Iterable[Wait]) -> Wait | None:
    """Return the running wait that has lasted longest (ties: pathway order), or None when nothing is awaited."""
    running = [w for w in waits if w.running and w.duration is not None]
    if not running:
        return None
    return min(running, key=lambda w: (-w.duration.total_seconds(), _order(w.kind)))  # type: ignore[union-attr]


def doctor_calls(requests: Iterable[RequestFact]) -> int:
    """Return how many calls were made to find the doctors (both kinds): the "calls to find a doctor" figure."""
    return sum(1 for f in requests if f.kind in ("s12_doctor", "second_doctor"))


# --- The stage a case has reached, for the consultant's live board --------------------------------

AWAITING_AMHP = "awaiting_amhp"
AWAITING_DOCTORS = "awaiting_doctors"
AWAITING_ASSESSMENT = "awaiting_assessment"
SEEN = "seen"
APPLICATION_MADE = "application_made"
AWAITING_BED = "awaiting_bed"
AWAITING_CONVEYANCE = "awaiting_conveyance"
STAGE_LABELS = {
    AWAITING_AMHP: "Awaiting an AMHP",
    AWAITING_DOCTORS: "Awaiting doctors",
    AWAITING_ASSESSMENT: "Doctors arranged, awaiting assessment",
    SEEN: "Seen",
    APPLICATION_MADE: "Application made",
    AWAITING_BED: "Awaiting bed",
    AWAITING_CONVEYANCE: "Awaiting conveyance",
}
DOCTOR_KINDS = ("s12_doctor", "second_doctor")
CONVEYANCE_KINDS = ("ambulance", "police", "secure_transport")
NO_AMHP = "no_amhp"


def case_stage(*, allocated: bool, seen: bool, application_made: bool, waits: Iterable[Wait]) -> str:
    """Return the stage an open case has reached (one of STAGE_LABELS).

    Not allocated: awaiting an AMHP. After the application is signed: awaiting a bed while a bed
    is awaited, then awaiting conveyance while an ambulance, police or secure transport is
    awaited, else "application made". Allocated and not yet seen: awaiting doctors until a doctor
    has arrived. Otherwise seen.
    """
    waits = list(waits)
    running = {w.kind for w in waits if w.running}
    if not allocated:
        return AWAITING_AMHP
    if application_made:
        if "bed" in running:
            return AWAITING_BED
        if running & set(CONVEYANCE_KINDS):
            return AWAITING_CONVEYANCE
        return APPLICATION_MADE
    if seen:
        return SEEN
    doctor_arrived = any(w.kind in DOCTOR_KINDS and w.ended_at is not None for w in waits)
    return AWAITING_ASSESSMENT if doctor_arrived else AWAITING_DOCTORS


def amhp_wait(*, waiting_since: datetime, now: datetime) -> Wait:
    """The wait for an AMHP of a case nobody has been allocated: "No AMHP available", the hub's own capacity."""
    return Wait(NO_AMHP, waiting_since, None, max(now - waiting_since, timedelta(0)), 0, True)
