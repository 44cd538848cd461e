"""Write many rows fast: PostgreSQL's COPY, or executemany elsewhere.

Seeding a million referrals through model instances and INSERTs takes a quarter of an hour;
COPY of plain tuples about a minute and a half. Rows are tuples (or lists) of database-ready values
for the named COLUMNS (field names); every other concrete field gets its default (auto_now
fields the time of the call), worked out once for the whole call. On PostgreSQL each batch of
COPY_BATCH rows is sent from a thread while the caller's generator makes the next, so the rows
must not read from the database as they are made: the connection is carrying the COPY.

``insert_new`` is the same for rows a unique constraint may already hold (a job run again):
one INSERT ... ON CONFLICT DO NOTHING, which COPY cannot do.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from django.db import connection, models
from django.db.backends.utils import CursorDebugWrapper
from django.utils import timezone

COPY_BATCH = 50_000  # rows a COPY statement (on PostgreSQL)
INSERT_BATCH = 5000  # rows an executemany (elsewhere)


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _escaped(text: str) -> str:
    """TEXT with backslash, tab and newlines escaped: most text has none (a printable string has no tab or
    newline), and checking is far quicker than translating."""
    return text if text.isprintable() and "\\" not in text else text.translate(_ESCAPES)


def _text(value: Any) -> str:
    r"""One value in COPY's text format: \N for NULL, with backslash, tab and newlines escaped."""
    kind = type(value)
    if kind is str:
        return _escaped(value)
    if value is None:
        return r"\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is datetime or kind is date:
        return value.isoformat()
    if kind is uuid.UUID:
        return value.hex  # PostgreSQL reads the 32 digits without hyphens, and they are quicker to make
    if kind in _PLAIN:
        return str(value)
    if kind is list or kind is dict:
        return _escaped(json.dumps(value))
    return _escaped(str(value))


_PLAIN = {int, float, Decimal}  # their text has nothing to escape


def _line(row: Iterable[Any]) -> str:
    """ROW as one line of COPY's text format (without its newline): ``_text`` of each value, tab-separated.

    The commonest values (NULL, text, timestamps) are written inline, without a call each: seeding writes
    tens of millions of values.
    """
    return "\t".join(
        [
            r"\N"
            if v is None
            else (v if v.isprintable() and "\\" not in v else v.translate(_ESCAPES))
            if type(v) is str
            else v.isoformat()
            if type(v) is datetime
            else _text(v)
            for v in row
        ]
    )


def _defaults(model: type[models.Model], columns: Sequence[str]) -> dict[str, Any]:
    now = timezone.now()
    given = set(columns)
    out: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.name in given or field.attname in given:
            continue
        if isinstance(field, models.GeneratedField):
            continue  # the database computes it
        if isinstance(field, models.AutoField) or field.primary_key:
            continue  # the database numbers it, or copy_rows gives each row its own
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            out[field.attname] = now
        elif field.has_default():
            out[field.attname] = field.get_default()
        elif field.null:
            out[field.attname] = None
        elif field.blank and isinstance(field, models.CharField | models.TextField):
            out[field.attname] = ""
        else:
            raise ValueError(f"{model.__name__}.{field.name} needs a value")
    return out


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ROWS (tuples for COLUMNS) into MODEL's table; return how many. COPY on PostgreSQL.

    ROWS may be a generator, but one that does not read from the database: on PostgreSQL a batch is
    being sent while it makes the next.
    """
    defaults = _defaults(model, columns)
    # COLUMNS and the defaults name concrete fields, never reverse relations.
    concrete = [cast("models.Field[Any, Any]", model._meta.get_field(c)) for c in columns]
    attnames = [f.attname for f in concrete]
    pk = model._meta.pk
    if pk.attname not in attnames and not isinstance(pk, models.AutoField):  # e.g. a UUID: one per row
        attnames.insert(0, pk.attname)
        rows = ((pk.get_default(), *row) for row in rows)
    names = [*attnames, *defaults]
    qn = connection.ops.quote_name
    fields = [cast("models.Field[Any, Any]", model._meta.get_field(a)) for a in names]
    column_sql = ", ".join(qn(cast(str, f.column)) for f in fields)  # concrete fields always have a column
    if connection.vendor != "postgresql":  # one executemany per INSERT_BATCH rows
        fixed = list(defaults.values())
        sql = f"INSERT INTO {qn(model._meta.db_table)} ({column_sql}) VALUES ({', '.join(['%s'] * len(names))})"
        n = 0
        chunk: list[list[Any]] = []

        def write() -> None:
            with connection.cursor() as cursor:
                cursor.executemany(sql, chunk)

        for row in rows:
            chunk.append([f.get_db_prep_save(v, connection) for f, v in zip(fields, [*row, *fixed], strict=True)])
            if len(chunk) >= INSERT_BATCH:
                write()
                n += len(chunk)
                chunk = []
        if chunk:
            write()
        return n + len(chunk)
    sql = f"COPY {qn(model._meta.db_table)} ({column_sql}) FROM STDIN"
    tail = "\t".join(_text(v) for v in defaults.values())
    end = ("\t" + tail if defaults else "") + "\n"
    total = 0
    with connection.cursor() as cursor, ThreadPoolExecutor(max_workers=1) as writer:

        def copy(text: str) -> None:
            raw = cursor.cursor
            # Logged as Django logs its own statements (connection.queries, the debug log) when it logs them.
            logged = cursor.debug_sql(sql) if isinstance(cursor, CursorDebugWrapper) else nullcontext()
            with logged:
                if hasattr(raw, "copy_expert"):  # psycopg2
                    raw.copy_expert(sql, io.StringIO(text))
                else:  # psycopg 3
                    with raw.copy(sql) as stream:
                        stream.write(text)

        # Each batch is sent by a thread of its own while this one makes the next: the driver lets go of the
        # interpreter while PostgreSQL reads, so the two overlap. One COPY at a time, in order.
        sending: Future[None] | None = None
        lines: list[str] = []
        for row in rows:
            lines.append(_line(row))
            if len(lines) >= COPY_BATCH:
                total += len(lines)
                if sending is not None:
                    sending.result()
                sending = writer.submit(copy, end.join(lines) + end)
                lines = []
        if sending is not None:
            sending.result()
        if lines:
            total += len(lines)
            copy(end.join(lines) + end)
    return total


_BARE = (int, uuid.UUID, datetime, date)  # types whose text needs no quoting in an array literal


def _array_element(value: Any) -> str:
    """One element of a PostgreSQL array literal: NULL, or the value's text in double quotes."""
    if value is None:
        return "NULL"
    kind = type(value)
    if kind is bool:
        text = "t" if value else "f"
    elif kind is datetime or kind is date:
        text = value.isoformat()
    elif kind is list or kind is dict:
        text = json.dumps(value)
    else:
        text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array_literal(values: Sequence[Any]) -> str:
    """VALUES as one PostgreSQL array literal, e.g. {1,2} or {"a b","c"}.

    Whole numbers, UUIDs, dates and datetimes (isoformat) are written bare and text quoted, a
    column at a time; anything else, or a column with a NULL or a bool, element by element.
    """
    kinds = set(map(type, values))
    if kinds == {str}:
        return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"
    if all(issubclass(kind, _BARE) and kind is not bool for kind in kinds):
        if kinds <= {datetime, date}:
            return "{" + ",".join(v.isoformat() for v in values) + "}"
        if not kinds & {datetime, date}:
            return "{" + ",".join(map(str, values)) + "}"
    return "{" + ",".join(map(_array_element, values)) + "}"


def insert_new(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    same: Mapping[str, Any] | None = None,
) -> int:
    """Insert ROWS (tuples for COLUMNS) into MODEL's table, skipping any a unique constraint refuses; return how many.

    One statement for all the rows, INSERT ... ON CONFLICT DO NOTHING. On PostgreSQL it selects
    from unnest() of one array literal per column, so the statement is about the size of its
    data and parses at the speed of COPY, with no model instance or per-value SQL; elsewhere
    it is one executemany. SAME gives fields one value for every row; every other concrete
    field gets its default, as with ``copy_rows``.
    """
    if not rows:
        return 0
    same = same or {}
    defaults = {
        **_defaults(model, [*columns, *same]),
        **{cast("models.Field[Any, Any]", model._meta.get_field(name)).attname: v for name, v in same.items()},
    }
    fields = [cast("models.Field[Any, Any]", model._meta.get_field(c)) for c in [*columns, *defaults]]
    qn = connection.ops.quote_name
    column_sql = ", ".join(qn(cast(str, f.column)) for f in fields)  # concrete fields always have a column
    table = qn(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            fixed = list(defaults.values())
            values = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({column_sql}) VALUES ({values}) ON CONFLICT DO NOTHING",
                [
                    [f.get_db_prep_save(v, connection) for f, v in zip(fields, [*row, *fixed], strict=True)]
                    for row in rows
                ],
            )
            return max(cursor.rowcount, 0)
        given, rest = fields[: len(columns)], fields[len(columns) :]
        names = [f"c{i}" for i in range(len(given))]
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in given)
        select = [*names, *(f"%s::{f.db_type(connection)}" for f in rest)]
        literals = [_array_literal(column) for column in zip(*rows, strict=True)]
        prepared = [f.get_db_prep_save(v, connection) for f, v in zip(rest, defaults.values(), strict=True)]
        cursor.execute(
            f"INSERT INTO {table} ({column_sql}) SELECT {', '.join(select)}"
            f" FROM unnest({arrays}) AS new_rows({', '.join(names)}) ON CONFLICT DO NOTHING",
            [*prepared, *literals],
        )
        return max(cursor.rowcount, 0)


class UuidText(models.Func):
    """A UUID column as its canonical dashed text (SQLite stores 32 hex digits)."""

    output_field = models.CharField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "sqlite":
            parts = [f"substr({sql}, {a}, {n})" for a, n in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))]
            return " || '-' || ".join(parts), params * 5
        return f"CAST({sql} AS text)", params


def insert_select(model: type[models.Model], columns: dict[str, Any], queryset: models.QuerySet[Any]) -> int:
    """INSERT INTO MODEL (COLUMNS) SELECT ... FROM QUERYSET ON CONFLICT DO NOTHING; return rows inserted.

    COLUMNS maps field names of MODEL to expressions over QUERYSET's model.
    """
    aliases = {f"ins_{name}": expr for name, expr in columns.items()}
    select = queryset.order_by().annotate(**aliases).values_list(*aliases)
    sql, params = select.query.sql_with_params()
    qn = connection.ops.quote_name
    target = ", ".join(qn(model._meta.get_field(name).column) for name in columns)  # type: ignore[arg-type, union-attr]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({target}) {sql} ON CONFLICT DO NOTHING", params)
        return max(cursor.rowcount, 0)


@contextmanager
def deferred_indexes(*tables: type[models.Model]) -> Iterator[bool]:
    """While loading empty TABLES on PostgreSQL, drop their plain indexes, foreign keys and unique constraints
    (those no foreign key refers to; primary keys stay); rebuild them after.

    Building an index once over a million rows is far cheaper than updating a dozen of them
    row by row, re-adding a foreign key checks every row in one join instead of one trigger
    per row, and re-adding a unique constraint checks it in one sort. Only when every table
    starts empty (a first seed), so nothing live waits on the locks; otherwise nothing
    changes. Yields whether the indexes were deferred.
    """
    names = [m._meta.db_table for m in tables]
    if connection.vendor != "postgresql":
        yield False
        return
    with connection.cursor() as cursor:
        qn = connection.ops.quote_name
        cursor.execute(" OR ".join(f"EXISTS (SELECT 1 FROM {qn(n)})" for n in names).join(["SELECT ", ""]))
        if cursor.fetchone()[0]:
            deferred = False
        else:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " WHERE i.indrelid::regclass::text = ANY(%s)"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [names],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
                [names],
            )
            foreign_keys = cursor.fetchall()
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint u"
                " WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = u.conindid)",
                [names],
            )
            uniques = cursor.fetchall()
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check what is pending, so the tables can change
            for table, name, _ in [*foreign_keys, *uniques]:
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            deferred = True
    try:
        yield deferred
    finally:
        if deferred:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                for _, definition in indexes:
                    cursor.execute(definition)
                for table, name, definition in [*uniques, *foreign_keys]:
                    cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
