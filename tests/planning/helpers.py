"""Plain-data builders for the planning tests (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TypedDict, Unpack

from planning.simulation import Case, Practitioner, ShiftSlot
from planning.solver import Proposal

# A Tuesday in December: GMT, so local time is UTC.
DAY = datetime(2026, 12, 1, tzinfo=UTC)
APPROVED = date(2028, 1, 1)


class PractitionerFields(TypedDict, total=False):
    """The Practitioner fields a test may set besides its id, name, approval and leave."""

    locality: str | None
    languages: frozenset[str]


class CaseFields(TypedDict, total=False):
    """The Case fields a test may set besides its id, arrival, legal status and expected hours."""

    actual_hours: float | None
    legal_power_started_at: datetime | None
    extension_hours: int
    watched_deadline: datetime | None
    triaged_at: datetime | None
    ready_at: datetime | None
    due_at: datetime | None
    priority_rank: int
    person_id: str
    locality: str | None
    language: str | None
    reference: str


def at(hour: float, day: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hour)


def person(
    pid: str,
    *,
    name: str | None = None,
    approval: date | None = APPROVED,
    leave: tuple[tuple[datetime, datetime], ...] = (),
    **kw: Unpack[PractitionerFields],
) -> Practitioner:
    return Practitioner(
        id=pid, name=f"AMHP {pid}" if name is None else name, approval_expires_on=approval, leave=leave, **kw
    )


def span(proposal: Proposal) -> tuple[datetime, datetime]:
    """A proposal's planned start and end: both are set whenever it names an AMHP."""
    assert proposal.starts_at is not None and proposal.ends_at is not None, proposal
    return proposal.starts_at, proposal.ends_at


def shift(pid: str, start: datetime, end: datetime, label: str = "Day") -> ShiftSlot:
    return ShiftSlot(id=f"{pid}@{start.isoformat()}", amhp_id=pid, start=start, end=end, label=label)


def case(cid: str, received: datetime, legal: str = "community", hours: float = 4.0, **kw: Unpack[CaseFields]) -> Case:
    return Case(id=cid, received_at=received, legal_status=legal, expected_hours=hours, **kw)
