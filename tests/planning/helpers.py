"""Plain-data builders for the planning tests (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from planning.simulation import Case, Practitioner, ShiftSlot

# A Tuesday in December: GMT, so local time is UTC.
DAY = datetime(2026, 12, 1, tzinfo=UTC)
APPROVED = date(2028, 1, 1)


def at(hour: float, day: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hour)


def person(pid: str, *, approval: date | None = APPROVED, leave: tuple = (), **kw: object) -> Practitioner:
    return Practitioner(id=pid, name=kw.pop("name", f"AMHP {pid}"), approval_expires_on=approval, leave=leave, **kw)


def shift(pid: str, start: datetime, end: datetime, label: str = "Day") -> ShiftSlot:
    return ShiftSlot(id=f"{pid}@{start.isoformat()}", amhp_id=pid, start=start, end=end, label=label)


def case(cid: str, received: datetime, legal: str = "community", hours: float = 4.0, **kw: object) -> Case:
    return Case(id=cid, received_at=received, legal_status=legal, expected_hours=hours, **kw)
