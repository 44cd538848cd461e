"""Compiled statements give exactly the ORM's rows, with one SQL statement a run, and never reuse SQL they cannot trust.

On PostgreSQL the shapes below are compiled (the fast path); on SQLite a datetime is sent as text, so those
shapes fall back to the ORM, and the rows must be the same either way.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, F, Sum
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from amhp_hub.common.statements import Statement
from referrals.models import Referral
from rota.models import Role, StaffProfile
from tests.conftest import on_postgres, requires_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def referrals(service: Any, consultant: Any, make_referral: Any) -> list[Referral]:
    now = timezone.now()
    made = [
        make_referral(service, consultant.user, now=now - timedelta(hours=h), family_name=f"Person{h}")
        for h in range(6)
    ]
    return sorted(made, key=lambda r: r.received_at)


def _since(*, service_id: int, since: Any) -> Any:
    return (
        Referral.objects.filter(service_id=service_id, received_at__gte=since)
        .select_related("person", "service")
        .annotate(band=F("priority_rank"))
        .order_by("received_at", "id")
    )


SINCE: Statement[Referral] = Statement(_since)


def test_models_with_related_objects_and_annotations_are_the_orms(service: Any, referrals: list[Referral]) -> None:
    for since in (referrals[0].received_at, referrals[3].received_at, timezone.now() + timedelta(days=1)):
        expected = list(_since(service_id=service.pk, since=since))
        got = SINCE.run(service_id=service.pk, since=since)
        assert [r.pk for r in got] == [r.pk for r in expected]
        for mine, theirs in zip(got, expected, strict=True):
            assert mine.person.family_name == theirs.person.family_name
            assert mine.service.name == service.name
            assert mine.band == theirs.band == theirs.priority_rank  # type: ignore[attr-defined]
            assert mine.received_at == theirs.received_at and mine._state.adding is False


def test_each_run_is_one_statement_and_new_values_give_new_rows(service: Any, referrals: list[Referral]) -> None:
    SINCE.run(service_id=service.pk, since=referrals[0].received_at)
    with CaptureQueriesContext(connection) as queries:
        later = SINCE.run(service_id=service.pk, since=referrals[4].received_at)
    assert len(queries.captured_queries) == 1
    assert [r.pk for r in later] == [r.pk for r in referrals[4:]]


@requires_postgres
def test_on_postgresql_the_shape_is_compiled_once_and_reused(service: Any, referrals: list[Referral]) -> None:
    statement: Statement[Referral] = Statement(_since)
    for r in referrals:
        statement.run(service_id=service.pk, since=r.received_at)
    assert statement.compiled() == 1


def test_values_and_values_list_rows_are_the_orms(service: Any, referrals: list[Referral]) -> None:
    def counts(*, service_id: int, statuses: list[str]) -> Any:
        return (
            Referral.objects.filter(service_id=service_id, status__in=statuses)
            .values("status")
            .annotate(n=Count("id"), ranks=Sum("priority_rank"))
            .order_by("status")
        )

    def ids(*, service_id: int) -> Any:
        return Referral.objects.filter(service_id=service_id).order_by("received_at").values_list("pk", flat=True)

    def pairs(*, service_id: int) -> Any:
        return Referral.objects.filter(service_id=service_id).order_by("received_at").values_list("reference", "status")

    statuses = sorted({r.status for r in referrals}) + ["closed"]
    assert Statement(counts).run(service_id=service.pk, statuses=statuses) == list(
        counts(service_id=service.pk, statuses=statuses)
    )
    assert Statement(ids).run(service_id=service.pk) == [r.pk for r in referrals]
    assert Statement(pairs).run(service_id=service.pk) == [(r.reference, r.status) for r in referrals]


def test_a_value_worked_out_from_an_argument_is_never_kept(service: Any, referrals: list[Referral]) -> None:
    """An hour before SINCE would be compiled as an hour before the sentinel: such a shape runs through the ORM."""
    statement: Statement[Referral] = Statement(
        lambda service_id, since: Referral.objects.filter(
            service_id=service_id, received_at__gte=since - timedelta(hours=1)
        ).order_by("received_at")
    )
    for r in referrals:
        got = statement.run(service_id=service.pk, since=r.received_at)
        assert [x.pk for x in got] == [x.pk for x in referrals if x.received_at >= r.received_at - timedelta(hours=1)]
    assert statement.compiled() == 0


def test_an_argument_written_into_the_sql_text_is_never_kept(service: Any, referrals: list[Referral]) -> None:
    """A slice's LIMIT is part of the SQL, not a parameter."""
    statement: Statement[Referral] = Statement(
        lambda service_id, n: Referral.objects.filter(service_id=service_id).order_by("received_at")[:n]
    )
    assert [r.pk for r in statement.run(service_id=service.pk, n=2)] == [r.pk for r in referrals[:2]]
    assert [r.pk for r in statement.run(service_id=service.pk, n=4)] == [r.pk for r in referrals[:4]]
    assert statement.compiled() == 0


def test_none_true_false_and_list_lengths_are_part_of_the_shape(service: Any, referrals: list[Referral]) -> None:
    def rows(*, service_id: int, priority: str | None, refs: list[str]) -> Any:
        qs = Referral.objects.filter(service_id=service_id).order_by("received_at")
        if priority is not None:
            qs = qs.filter(priority=priority)
        if refs:
            qs = qs.filter(reference__in=refs)
        return qs.values_list("reference", flat=True)

    statement: Statement[str] = Statement(rows)
    everyone = [r.reference for r in referrals]
    assert statement.run(service_id=service.pk, priority=None, refs=[]) == everyone
    assert statement.run(service_id=service.pk, priority="P1", refs=[]) == []
    assert statement.run(service_id=service.pk, priority=None, refs=everyone[:2]) == everyone[:2]
    assert statement.run(service_id=service.pk, priority=None, refs=everyone[2:5]) == everyone[2:5]
    assert statement.run(service_id=service.pk, priority=referrals[0].priority, refs=[]) == [
        r.reference for r in referrals if r.priority == referrals[0].priority
    ]


def test_an_empty_list_matches_nothing_and_is_not_mistaken_for_a_shape_that_matches_nothing(
    service: Any, referrals: list[Referral]
) -> None:
    statement: Statement[str] = Statement(
        lambda refs: (
            Referral.objects.filter(reference__in=refs).order_by("reference").values_list("reference", flat=True)
        )
    )
    assert statement.run(refs=[]) == []
    assert statement.run(refs=[referrals[0].reference]) == [referrals[0].reference]


def test_a_lookup_that_changes_the_value_runs_through_the_orm(service: Any, referrals: list[Referral]) -> None:
    statement: Statement[str] = Statement(
        lambda name: (
            Referral.objects.filter(person__family_name__icontains=name)
            .order_by("received_at")
            .values_list("person__family_name", flat=True)
        )
    )
    assert statement.run(name="person3") == ["Person3"]
    assert statement.run(name="PERSON5") == ["Person5"]
    assert statement.compiled() == 0


def test_each_thread_compiles_its_own(service: Any, make_staff: Any) -> None:
    """Each thread has its own connection, so its own compiled SQL: one thread's is never run on another's."""
    staff = [make_staff("amhp", service) for _ in range(3)]
    statement: Statement[StaffProfile] = Statement(
        lambda service_id: (
            StaffProfile.objects.filter(service_id=service_id, role=Role.AMHP)
            .select_related("user")
            .order_by("user__username")
        )
    )
    expected = sorted(p.user.username for p in staff)
    assert [p.user.username for p in statement.run(service_id=service.pk)] == expected
    seen: list[Any] = []

    def other() -> None:
        seen.append(statement.compiled())  # nothing compiled in a new thread yet

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == [0]


def test_changed_settings_drop_what_was_compiled(service: Any, referrals: list[Referral]) -> None:
    statement: Statement[Referral] = Statement(_since)
    statement.run(service_id=service.pk, since=referrals[0].received_at)
    with override_settings(QUEUE_PAGE_SIZE=3):
        assert statement.compiled() == 0
        assert [r.pk for r in statement.run(service_id=service.pk, since=referrals[2].received_at)] == [
            r.pk for r in referrals[2:]
        ]


def test_the_fast_path_is_taken_where_it_can_be(service: Any, referrals: list[Referral]) -> None:
    """With a datetime: compiled on PostgreSQL (sent as it is), the ORM on SQLite (sent as text)."""
    statement: Statement[Referral] = Statement(_since)
    statement.run(service_id=service.pk, since=referrals[0].received_at)
    assert statement.compiled() == (1 if on_postgres() else 0)


def test_a_compiled_insert_saves_each_row_as_the_orm_does(service: Any, consultant: Any) -> None:
    from amhp_hub.common.models import AuditEvent
    from amhp_hub.common.statements import Insert

    insert: Insert[AuditEvent] = Insert(AuditEvent)
    before = timezone.now()
    made = [
        insert.run(
            AuditEvent(
                actor=consultant.user,
                role="consultant",
                service_id=service.pk,
                action="list",
                object_type="referral",
                object_ids=[str(n), "x"],
                changes={"status": ["new", f"n{n}"]},
            )
        )
        for n in range(3)
    ]
    assert insert.compiled()
    assert len({e.pk for e in made}) == 3 and all(e.pk and not e._state.adding for e in made)
    for n, event in enumerate(made):
        stored = AuditEvent.objects.get(pk=event.pk)
        assert stored.at == event.at and stored.at >= before  # auto_now_add stamped on every row
        assert (stored.actor_id, stored.role, stored.service_id, stored.channel, stored.outcome) == (
            consultant.user.pk,
            "consultant",
            service.pk,
            "web",
            "ok",
        )
        assert stored.object_ids == [str(n), "x"] and stored.changes == {"status": ["new", f"n{n}"]}
    with CaptureQueriesContext(connection) as queries:
        insert.run(AuditEvent(action="view", object_type="referral"))
    assert len(queries.captured_queries) == 1


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_compiled_statement_is_prepared_once_a_session(
    service: Any, consultant: Any, make_referral: Any
) -> None:
    made = sorted((make_referral(service, consultant.user) for _ in range(3)), key=lambda r: r.received_at)
    statement: Statement[Referral] = Statement(_since)
    before = _prepared_names()
    assert [r.pk for r in statement.run(service_id=service.pk, since=made[0].received_at)] == [r.pk for r in made]
    added = _prepared_names() - before
    assert len(added) == 1
    assert [r.pk for r in statement.run(service_id=service.pk, since=made[1].received_at)] == [r.pk for r in made[1:]]
    assert _prepared_names() - before == added  # run again, not prepared again
    connection.close()  # a new session has nothing prepared: prepared again there
    assert [r.pk for r in statement.run(service_id=service.pk, since=made[2].received_at)] == [made[2].pk]
    assert _prepared_names() == added | (before & _prepared_names())


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_nothing_is_prepared_inside_a_transaction_or_when_turned_off(
    service: Any, consultant: Any, make_referral: Any, settings: Any
) -> None:
    """A PREPARE that failed inside a transaction would abort it; behind a pooler sessions are shared."""
    from django.db import transaction

    made = make_referral(service, consultant.user)
    statement: Statement[Referral] = Statement(_since)
    before = _prepared_names()
    with transaction.atomic():
        assert [r.pk for r in statement.run(service_id=service.pk, since=made.received_at)] == [made.pk]
    assert _prepared_names() == before
    settings.DB_PREPARED_STATEMENTS = False
    other: Statement[Referral] = Statement(_since)
    assert [r.pk for r in other.run(service_id=service.pk, since=made.received_at)] == [made.pk]
    assert _prepared_names() == before


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_statement_postgresql_will_not_prepare_is_sent_as_sql_and_not_tried_again(
    service: Any, consultant: Any, make_referral: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from amhp_hub.common import statements

    made = make_referral(service, consultant.user)

    class Refused:
        """The PREPARE's text names a table that does not exist, so PostgreSQL refuses it."""

        def sub(self, repl: Any, text: str) -> str:
            return "SELECT * FROM no_such_table_here"

    monkeypatch.setattr(statements, "_PLACEHOLDER", Refused())
    statement: Statement[Referral] = Statement(_since)
    runs = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            rows = statement.run(service_id=service.pk, since=made.received_at)
        assert [r.pk for r in rows] == [made.pk]
        runs.append([q["sql"].split()[0] for q in queries.captured_queries])
    assert runs == [["PREPARE", "SELECT"], ["SELECT"]]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_the_session_lost_is_prepared_again(
    service: Any, consultant: Any, make_referral: Any
) -> None:
    """DISCARD (or a migration that changes a table's row type) takes the prepared statement away: the next run
    still answers, and the one after runs prepared again."""
    made = make_referral(service, consultant.user)
    statement: Statement[Referral] = Statement(_since)
    assert [r.pk for r in statement.run(service_id=service.pk, since=made.received_at)] == [made.pk]
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert [r.pk for r in statement.run(service_id=service.pk, since=made.received_at)] == [made.pk]
    with CaptureQueriesContext(connection) as queries:
        assert [r.pk for r in statement.run(service_id=service.pk, since=made.received_at)] == [made.pk]
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["PREPARE", "EXECUTE"]
