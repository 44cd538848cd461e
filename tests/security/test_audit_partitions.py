"""The audit trail is partitioned by month on PostgreSQL; old months are dropped past the audit retention."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.utils import DatabaseError

from amhp_hub.common import audit_partitions as partitions
from amhp_hub.common.audit import audit
from tests.conftest import requires_postgres


def test_months_run_from_the_first_month_to_the_last_inclusive_across_a_year_end() -> None:
    found = partitions.months(date(2026, 11, 30), date(2027, 2, 1))
    assert [m.name for m in found] == [
        "common_auditevent_y2026m11",
        "common_auditevent_y2026m12",
        "common_auditevent_y2027m01",
        "common_auditevent_y2027m02",
    ]
    # December's rows are those from midnight UTC on 1 December to midnight UTC on 1 January.
    assert found[1].bounds == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_a_partition_name_gives_its_month_and_other_tables_give_none() -> None:
    assert partitions.month_of("common_auditevent_y2027m03") == date(2027, 3, 1)
    assert partitions.month_of("common_auditevent_default") is None
    assert partitions.month_of("referrals_referral") is None


@requires_postgres
@pytest.mark.django_db
def test_an_audit_row_lands_in_its_months_partition(consultant: Any) -> None:
    assert partitions.is_partitioned(connection)
    event = audit(
        actor=consultant.user, service_id=consultant.service_id, action="view", object_type="referral", object_id="r-1"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM common_auditevent WHERE id = %s", [event.pk])
        (table,) = cursor.fetchone()
    at = event.at.astimezone(UTC)
    assert table == f"common_auditevent_y{at.year:04d}m{at.month:02d}"
    # Still append-only through the parent, and through the partition itself.
    for statement in (
        "UPDATE common_auditevent SET role = 'x' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with pytest.raises((DatabaseError, IntegrityError, InternalError)), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [event.pk])


@requires_postgres
@pytest.mark.django_db
def test_months_are_made_once_and_dropped_only_when_wholly_past_retention() -> None:
    made = partitions.ensure(connection, date(2001, 1, 10), date(2001, 3, 5))
    assert made == ["common_auditevent_y2001m01", "common_auditevent_y2001m02", "common_auditevent_y2001m03"]
    assert partitions.ensure(connection, date(2001, 1, 1), date(2001, 3, 1)) == []  # idempotent
    # Cut-off 15 March 2001: January and February are wholly before March; March is kept.
    dropped = partitions.drop_before(connection, date(2001, 3, 15))
    assert dropped == ["common_auditevent_y2001m01", "common_auditevent_y2001m02"]
    assert "common_auditevent_y2001m03" in partitions.existing(connection)
    assert "common_auditevent_default" in partitions.existing(connection)


@requires_postgres
@pytest.mark.django_db
def test_maintain_keeps_a_year_ahead_and_the_retention_period_behind() -> None:
    partitions.ensure(connection, date(2005, 11, 1), date(2006, 1, 1))
    made, dropped = partitions.maintain(connection, date(2026, 12, 2), ahead_months=13, retention_years=21)
    have = partitions.existing(connection)
    assert "common_auditevent_y2028m01" in have  # December 2026 + 13 months
    # 21 years before December 2026 is December 2005: November 2005 goes, December 2005 stays.
    assert "common_auditevent_y2005m11" in dropped and "common_auditevent_y2005m12" in have
    assert "common_auditevent_y2028m01" in made


@pytest.mark.django_db
def test_the_command_says_what_it_did(settings: Any) -> None:
    out = StringIO()
    call_command("audit_partitions", stdout=out)
    if connection.vendor == "postgresql":
        assert out.getvalue().startswith("Audit partitions made:")
    else:
        assert "not partitioned" in out.getvalue()
