"""Make the audit trail's month partitions ahead, and drop those past the audit retention period."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.utils import timezone

from amhp_hub.common import audit_partitions


class Command(BaseCommand):
    help = (
        "PostgreSQL: create the audit trail's month partitions AUDIT_PARTITIONS_AHEAD_MONTHS ahead and drop "
        "months older than AUDIT_RETENTION_YEARS. Run as the tables' owner (after migrate), e.g. daily."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not audit_partitions.is_partitioned(connection):
            self.stdout.write("The audit trail is not partitioned on this database (SQLite): nothing to do.")
            return
        try:
            made, dropped = audit_partitions.maintain_as_configured(connection, timezone.now().date())
        except (DatabaseError, RuntimeError) as exc:
            raise CommandError(f"Audit partitions not maintained: {exc}") from exc
        self.stdout.write(
            f"Audit partitions made: {', '.join(made) or 'none'}; dropped: {', '.join(dropped) or 'none'}."
        )
