"""Seeding's fast writer: rows written by COPY (or executemany) read back exactly as given."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from amhp_hub.common.bulk import copy_rows, deferred_indexes, insert_new
from referrals.models import Person, Referral

pytestmark = pytest.mark.django_db(transaction=False)

MICRO = timedelta(microseconds=1)


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


def test_insert_new_keeps_awkward_text_nulls_and_times_and_skips_what_a_unique_constraint_holds(
    service: Any, django_user_model: Any
) -> None:
    from assessments.models import Notification

    user = django_user_model.objects.create_user(username="bulk-insert", password="x")
    read = datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=UTC)
    columns = ("recipient", "service", "kind", "title", "body", "dedupe_key", "read_at", "created_at")
    awkward = ['quote"d', "back\\slash", "comma, {brace}", "NULL", "", "tab\tnew\nline", "naïve café €"]
    rows = [
        (user.pk, service.pk, "bulk", title, title * 2, f"key-{i}", read if i % 2 else None, read + i * MICRO)
        for i, title in enumerate(awkward)
    ]

    assert insert_new(Notification, columns, rows, same={"url": "/x/"}) == len(awkward)

    stored = list(
        Notification.objects.order_by("dedupe_key").values_list("title", "body", "read_at", "created_at", "url")
    )
    assert stored == [(t, t * 2, read if i % 2 else None, read + i * MICRO, "/x/") for i, t in enumerate(awkward)]
    assert Notification.objects.filter(emailed_at__isnull=True).count() == len(awkward)
    # Again, with one new key: the unique constraint (recipient, dedupe key) skips the seven it holds.
    again = [*rows, (user.pk, service.pk, "bulk", "New", "", "key-new", None, read)]
    assert insert_new(Notification, columns, again) == 1
    assert Notification.objects.count() == len(awkward) + 1
    assert insert_new(Notification, columns, []) == 0


def test_rows_in_many_batches_all_arrive_each_batch_one_logged_statement(service: Any, monkeypatch: Any) -> None:
    """COPY sends each batch from a thread while the next is made (executemany elsewhere): all arrive, in one
    statement a batch, logged as Django's own statements are."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from amhp_hub.common import bulk
    from tests.conftest import is_write

    monkeypatch.setattr(bulk, "COPY_BATCH", 2)
    monkeypatch.setattr(bulk, "INSERT_BATCH", 2)
    made: list[str] = []

    def people() -> Any:  # a generator, as the seeding's are
        for i in range(5):
            made.append(f"Given {i}")
            yield (service.pk, f"Given {i}", "Family")

    with CaptureQueriesContext(connection) as queries:
        assert copy_rows(Person, ("service", "given_name", "family_name"), people()) == 5
    assert sorted(Person.objects.values_list("given_name", flat=True)) == made
    assert sum(1 for q in queries if is_write(q["sql"])) == 3
