"""Seeding's fast writer: rows written by COPY (or executemany) read back exactly as given."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from amhp_hub.common.bulk import copy_rows, deferred_indexes
from referrals.models import Person, Referral

pytestmark = pytest.mark.django_db(transaction=False)


def test_copied_rows_keep_awkward_text_nulls_json_and_defaults(service: Any) -> None:
    person_id = uuid.uuid4()
    copy_rows(
        Person,
        ("id", "service", "given_name", "family_name", "date_of_birth", "address"),
        [(person_id, service.pk, "Tab\there", "Back\\slash", None, "Line one\nLine two\r\n")],
    )
    person = Person.objects.get(pk=person_id)
    assert (person.given_name, person.family_name, person.address) == (
        "Tab\there",
        "Back\\slash",
        "Line one\nLine two\r\n",
    )
    assert person.date_of_birth is None
    assert (person.sex, person.language, person.interpreter_needed) == ("not_known", "English", False)

    received = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    copy_rows(
        Referral,
        ("reference", "service", "person", "received_at", "reason", "flags", "risk_violence"),
        [(f"R-{i}", service.pk, person_id, received, "Reason", ["repeat", 'quote"d'], i % 2 == 0) for i in range(3)],
    )
    rows = list(
        Referral.objects.order_by("reference").values_list("reference", "flags", "risk_violence", "received_at")
    )
    assert rows == [(f"R-{i}", ["repeat", 'quote"d'], i % 2 == 0, received) for i in range(3)]
    assert Referral.objects.filter(created_at__isnull=False, status="new").count() == 3
    assert date(2026, 3, 29) == rows[0][3].date()


def test_indexes_are_deferred_only_for_empty_tables_and_come_back(service: Any) -> None:
    from django.db import connection

    def index_names() -> set[str]:
        with connection.cursor() as cursor:
            return {i for i in connection.introspection.get_constraints(cursor, Referral._meta.db_table)}

    before = index_names()
    with deferred_indexes(Person, Referral) as deferred:
        if deferred:
            assert "referral_queue_order" not in index_names()
    assert index_names() == before
    copy_rows(Person, ("service", "given_name", "family_name"), [(service.pk, "A", "B")])
    with deferred_indexes(Person, Referral) as deferred:
        assert deferred is False  # a table holds rows: nothing is dropped
        assert index_names() == before
