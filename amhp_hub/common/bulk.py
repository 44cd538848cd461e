"""Write many rows fast: PostgreSQL's COPY, or bulk_create elsewhere.

Seeding a million referrals through model instances and INSERTs takes a quarter of an hour;
COPY of plain tuples takes a few minutes. Rows are tuples of database-ready values for the
named COLUMNS (field names); every other concrete field gets its default (auto_now fields
the time of the call), worked out once for the whole call.

``insert_new`` is the same for rows a unique constraint may already hold (a job run again):
one INSERT ... ON CONFLICT DO NOTHING, which COPY cannot do.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, cast

from django.db import connection, models
from django.utils import timezone

COPY_BATCH = 50_000


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    r"""One value in COPY's text format: \N for NULL, with backslash, tab and newlines escaped."""
    kind = type(value)
    if kind is str:
        return value.translate(_ESCAPES)
    if value is None:
        return r"\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is datetime or kind is date:
        return value.isoformat()
    if kind is list or kind is dict:
        return json.dumps(value).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


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
    """Insert ROWS (tuples for COLUMNS) into MODEL's table; return how many. COPY on PostgreSQL."""
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
    if connection.vendor != "postgresql":  # one executemany per 5,000 rows
        fixed = list(defaults.values())
        sql = f"INSERT INTO {qn(model._meta.db_table)} ({column_sql}) VALUES ({', '.join(['%s'] * len(names))})"
        n = 0
        chunk: list[list[Any]] = []

        def write() -> None:
            with connection.cursor() as cursor:
                cursor.executemany(sql, chunk)

        for row in rows:
            chunk.append([f.get_db_prep_save(v, connection) for f, v in zip(fields, [*row, *fixed], strict=True)])
            if len(chunk) >= 5000:
                write()
                n += len(chunk)
                chunk = []
        if chunk:
            write()
        return n + len(chunk)
    sql = f"COPY {qn(model._meta.db_table)} ({column_sql}) FROM STDIN"
    tail = "\t".join(_text(v) for v in defaults.values())
    tail = "\t" + tail if defaults else ""
    total = 0
    buffer = io.StringIO()
    pending = 0

    def flush() -> None:
        nonlocal buffer, pending
        buffer.seek(0)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                raw.copy_expert(sql, buffer)
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(buffer.getvalue())
        buffer = io.StringIO()
        pending = 0

    for row in rows:
        buffer.write("\t".join(map(_text, row)))
        buffer.write(tail)
        buffer.write("\n")
        pending += 1
        total += 1
        if pending >= COPY_BATCH:
            flush()
    if pending:
        flush()
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


@contextmanager
def deferred_indexes(*tables: type[models.Model]) -> Iterator[bool]:
    """While loading empty TABLES on PostgreSQL, drop their plain indexes and foreign keys; rebuild them after.

    Building an index once over a million rows is far cheaper than updating a dozen of them
    row by row, and re-adding a foreign key checks every row in one join instead of one
    trigger per row. Only when every table starts empty (a first seed), so nothing live
    waits on the locks; otherwise nothing changes. Yields whether the indexes were deferred.
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
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check what is pending, so the tables can change
            for table, name, _ in foreign_keys:
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
                for table, name, definition in foreign_keys:
                    cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
