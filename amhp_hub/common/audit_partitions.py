"""The audit trail on PostgreSQL is partitioned by month, so it stays fast at national scale.

Each month's rows live in a table of their own (``common_auditevent_y2026m12``), attached to the
partitioned parent ``common_auditevent`` that the app reads and writes; a default partition takes
any row no month partition covers, so an insert never fails. Months run from midnight UTC on the
1st. The append-only trigger sits on the parent and so on every partition.

Partitions are made ahead (``ensure``) and, once a whole month is older than the audit retention
period, dropped (``drop_before``): dropping a month's table is how audit rows end, never a DELETE,
which the trigger refuses. Both need the table owner (migrations' role): ``manage.py
audit_partitions`` runs them, after ``migrate`` and daily. On SQLite (development) nothing is
partitioned and these do nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

PARENT = "common_auditevent"
DEFAULT = f"{PARENT}_default"
_MONTH_NAME = re.compile(rf"^{PARENT}_y(\d{{4}})m(\d{{2}})$")


@dataclass(frozen=True)
class MonthPartition:
    name: str
    first: date  # the 1st of the month
    next_first: date  # the 1st of the next month

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return (
            datetime.combine(self.first, datetime.min.time(), tzinfo=UTC),
            datetime.combine(self.next_first, datetime.min.time(), tzinfo=UTC),
        )


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def months(first: date, last: date) -> list[MonthPartition]:
    """The month partitions covering FIRST's month through LAST's month, in order (pure)."""
    found = []
    cursor = first.replace(day=1)
    while cursor <= last:
        following = _next_month(cursor)
        found.append(MonthPartition(f"{PARENT}_y{cursor.year:04d}m{cursor.month:02d}", cursor, following))
        cursor = following
    return found


def month_of(name: str) -> date | None:
    """The 1st of the month a partition's name stands for, or None for any other table (pure)."""
    match = _MONTH_NAME.match(name)
    return date(int(match[1]), int(match[2]), 1) if match else None


def is_partitioned(connection: Any) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass", [PARENT])
        return cursor.fetchone() is not None


def existing(connection: Any) -> list[str]:
    """The names of the parent's partitions."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [PARENT],
        )
        return [row[0] for row in cursor.fetchall()]


def ensure(connection: Any, first: date, last: date) -> list[str]:
    """Create the month partitions from FIRST's month to LAST's that do not exist yet; return their names.

    A month that already has rows in the default partition is left for an operator (PostgreSQL
    refuses to attach over them) and named in the error raised after the others are made.
    """
    if not is_partitioned(connection):
        return []
    have = set(existing(connection))
    made, blocked = [], []
    for month in months(first, last):
        if month.name in have:
            continue
        start, end = month.bounds
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT} WHERE at >= %s AND at < %s)", [start, end])
            if cursor.fetchone()[0]:
                blocked.append(month.name)
                continue
            cursor.execute(
                f"CREATE TABLE {month.name} PARTITION OF {PARENT} FOR VALUES FROM (%s) TO (%s)", [start, end]
            )
        made.append(month.name)
    if blocked:
        raise RuntimeError(f"rows for {', '.join(blocked)} are in {DEFAULT}: move them before making these months")
    return made


def drop_before(connection: Any, cutoff: date) -> list[str]:
    """Drop the month partitions wholly before CUTOFF's month (past the audit retention); return their names."""
    if not is_partitioned(connection):
        return []
    limit = cutoff.replace(day=1)
    dropped = []
    for name in existing(connection):
        first = month_of(name)
        if first is not None and _next_month(first) <= limit:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {name}")
            dropped.append(name)
    return dropped


def maintain(connection: Any, today: date, *, ahead_months: int, retention_years: int) -> tuple[list[str], list[str]]:
    """Make the months from TODAY's to AHEAD_MONTHS later, and drop those past RETENTION_YEARS.

    Returns (made, dropped). A month is dropped only when all of it is older than the retention
    period counted back from TODAY's month.
    """
    last = today.replace(day=1)
    for _ in range(ahead_months):
        last = _next_month(last)
    made = ensure(connection, today, last)
    cutoff = today.replace(day=1)
    cutoff = cutoff.replace(year=cutoff.year - retention_years)
    return made, drop_before(connection, cutoff)


def maintain_as_configured(connection: Any, today: date) -> tuple[list[str], list[str]]:
    """``maintain`` with AUDIT_PARTITIONS_AHEAD_MONTHS and AUDIT_RETENTION_YEARS: the command's and the job's call."""
    from django.conf import settings

    return maintain(
        connection,
        today,
        ahead_months=settings.AUDIT_PARTITIONS_AHEAD_MONTHS,
        retention_years=settings.AUDIT_RETENTION_YEARS,
    )
