"""ORM queries compiled once per shape and run again with new values: the hot reads without the ORM's overhead.

Building a query set and compiling it to SQL costs Django about a millisecond of CPU for the joined
queries the hot paths run (the on-duty shifts, a token with its user and staff profile), more than the
database takes to answer them and as much as a small request's own work. The SQL of such a query
differs between requests only in its values: `Statement` builds the query set once per thread and
shape, with stand-in values (sentinels) for its arguments, compiles it, finds where each sentinel landed
in the parameters, and from then on runs the same SQL with the real values put in those places. Rows
become model instances (with their select_related objects and annotations), dicts or tuples exactly as
Django's own iterables make them, through the same compiler's converters and related populators.

The build function must use its arguments only as values in the query: a branch on a value would be
taken once, for the sentinel. A value that Django turns into something else on the way to the database
(an `icontains` pattern, say, or a datetime on SQLite, which is sent as text) or writes into the SQL text
(a slice's LIMIT) is not found among the parameters; the shape is then never reused and each run is an
ordinary ORM query, so the result is always the ORM's. So are query sets with prefetches or known
related objects, and iterables other than models, values() and values_list(). True, False and None are
part of the shape (a sentinel cannot stand for them), as is the length of each list.

The compiled statements are kept per thread and database connection (each thread has its own), and
dropped when settings change (tests).
"""

from __future__ import annotations

import itertools
import re
import threading
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
)

T = TypeVar("T")

_counter = itertools.count(1)
_MARK = "amhp-statement-"
# Sentinel whole numbers: inside every integer column's range but smallint's (Django makes a lookup with a value
# out of its column's range match nothing, which would be compiled as no query at all), above any id, count or
# limit a query holds.
_SENTINEL_BASE = 2_147_400_000
_SENTINEL_SPAN = 80_000


def _sentinel(value: Any) -> Any:
    """A value of VALUE's type that no query holds of its own, or None if the type has none."""
    n = next(_counter)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return _SENTINEL_BASE + n % _SENTINEL_SPAN
    if isinstance(value, datetime):
        return datetime(2999, 1, 1, tzinfo=UTC) + timedelta(microseconds=n) if value.tzinfo else None
    if isinstance(value, date):
        return date(2999, 1, 1) + timedelta(days=n % 300_000)
    if isinstance(value, uuid.UUID):
        return uuid.uuid4()
    if isinstance(value, str):
        return f"{_MARK}{uuid.uuid4().hex}"
    if isinstance(value, Decimal):
        return Decimal(_SENTINEL_BASE + n % _SENTINEL_SPAN)
    return None


@dataclass
class _Plan:
    """One compiled shape: the SQL, its parameters with the slots the values go into, and how rows are made."""

    connection: Any
    sql: str
    params: list[Any]
    slots: list[tuple[int, str, int | None]]  # parameter index, argument name, list position
    compiler: Any
    kind: type
    col_count: int
    trim: bool
    converters: Any
    # For models: the model, its columns and the related populators; for values(): the names.
    model: Any = None
    init_list: list[str] | None = None
    model_start: int = 0
    model_end: int = 0
    populators: list[Any] | None = None
    annotations: dict[str, int] | None = None
    names: list[str] | None = None
    # PostgreSQL: the server-side prepared statement's name and its EXECUTE, once prepared on a connection.
    name: str = ""
    execute_sql: str = ""
    unpreparable: bool = False


class _PerThread:
    """What is compiled, kept per thread (each has its own database connection) and dropped when settings change."""

    def __init__(self, *, using: str) -> None:
        self.using = using
        self._local = threading.local()
        _ALL.append(self)

    def clear(self) -> None:
        self._local = threading.local()


class Statement(_PerThread, Generic[T]):
    """BUILD(**values) -> QuerySet, compiled once per thread and shape; `run(**values)` returns its rows as a list."""

    def __init__(self, build: Callable[..., QuerySet[Any]], *, using: str = DEFAULT_DB_ALIAS) -> None:
        super().__init__(using=using)
        self.build = build

    def compiled(self) -> int:
        """How many shapes this thread runs from compiled SQL (not those that fall back to the ORM)."""
        return sum(plan is not None for plan in self._local.__dict__.get("plans", {}).values())

    def run(self, **values: Any) -> list[T]:
        connection = connections[self.using]
        cache: dict[Hashable, _Plan | None] = self._local.__dict__.setdefault("plans", {})
        shape = _shape(values)
        plan = cache.get(shape, _MISSING)
        # Compiled on first use, and again for another connection object in this thread (tests).
        if plan is _MISSING or (plan is not None and plan.connection is not connection):
            plan = cache[shape] = self._compile(connection, values)
        if plan is None:
            return list(self.build(**values))
        params = list(plan.params)
        for index, name, position in plan.slots:
            params[index] = values[name] if position is None else values[name][position]
        with connection.cursor() as cursor:
            name = _prepared(connection, cursor, plan)
            if name is None:
                cursor.execute(plan.sql, params)
            else:
                try:
                    cursor.execute(plan.execute_sql, params)
                except DatabaseError:
                    # The session lost it (DISCARD, a pooler) or a migration changed its tables' row types.
                    # Outside a transaction nothing is aborted: forget it and send the SQL; inside, re-raise.
                    _forget(connection, plan)
                    if connection.in_atomic_block:
                        raise
                    cursor.execute(plan.sql, params)
            rows: Any = cursor.fetchall()
        if plan.trim:
            rows = [row[: plan.col_count] for row in rows]
        if plan.converters:
            rows = plan.compiler.apply_converters(rows, plan.converters)
        return _materialise(plan, rows)

    def _compile(self, connection: Any, values: dict[str, Any]) -> _Plan | None:
        sentinels: dict[str, Any] = {}
        where: dict[Any, tuple[str, int | None]] = {}
        for name, value in values.items():
            if isinstance(value, list | tuple):
                items = [_sentinel(v) for v in value]
                if any(s is None for s in items):
                    return None
                sentinels[name] = type(value)(items)
                where.update({s: (name, i) for i, s in enumerate(items)})
            elif value is None or isinstance(value, bool):
                sentinels[name] = value
            else:
                s = _sentinel(value)
                if s is None:
                    return None
                sentinels[name] = s
                where[s] = (name, None)
        try:
            queryset: Any = self.build(**sentinels)
        except Exception:  # noqa: BLE001 - a sentinel the build cannot take (a lookup that parses it): no reuse
            return None
        kind: Any = queryset._iterable_class
        if (
            kind not in (ModelIterable, ValuesIterable, ValuesListIterable, FlatValuesListIterable)
            or queryset._prefetch_related_lookups
            or queryset._known_related_objects
            or queryset.db != self.using
        ):
            return None
        query = queryset.query
        compiler = query.get_compiler(using=self.using, connection=connection)
        try:
            sql, raw_params = compiler.as_sql()
        except EmptyResultSet:  # matches nothing for the sentinels (an empty list, say): not to be relied on
            return None
        params = list(raw_params)
        slots: list[tuple[int, str, int | None]] = []
        found = set()
        for index, param in enumerate(params):
            try:
                hit = where.get(param)
            except TypeError:  # an unhashable parameter (a list for an array field) holds no sentinel
                continue
            if hit is not None:
                slots.append((index, *hit))
                found.add(hit)
            elif _derived(param):  # worked out from a sentinel (at - 17 weeks, say): it would be kept as it is
                return None
        # Every sentinel must have landed among the parameters, as it was given, and none in the SQL text.
        if found != set(where.values()) or any(str(s) in sql for s in where if not isinstance(s, datetime | date)):
            return None
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        if compiler.has_composite_fields(fields):
            return None
        plan = _Plan(
            connection=connection,
            sql=sql,
            params=params,
            slots=slots,
            compiler=compiler,
            kind=kind,
            col_count=compiler.col_count,
            trim=bool(compiler.has_extra_select),
            converters=compiler.get_converters(fields),
        )
        if kind is ModelIterable:
            klass_info = compiler.klass_info
            select_fields = klass_info["select_fields"]
            plan.model = klass_info["model"]
            plan.model_start, plan.model_end = select_fields[0], select_fields[-1] + 1
            plan.init_list = [f[0].target.attname for f in compiler.select[plan.model_start : plan.model_end]]
            plan.populators = get_related_populators(klass_info, compiler.select, self.using)  # type: ignore[call-arg]
            plan.annotations = dict(compiler.annotation_col_map or {})
        elif kind is ValuesIterable:
            plan.names = (
                list(query.selected)
                if getattr(query, "selected", None)
                else [*query.extra_select, *query.values_select, *query.annotation_select]
            )
        return plan


_MISSING: Any = object()
_ALL: list[_PerThread] = []


_PLACEHOLDER = re.compile(r"%%|%s")
_names = itertools.count(1)


def _prepared(connection: Any, cursor: Any, plan: _Plan) -> str | None:
    """The name PLAN is prepared under on CONNECTION's database session (PREPARE once a session), or None to
    send the SQL itself: not on PostgreSQL, with DB_PREPARED_STATEMENTS off (a pooler in transaction mode
    shares sessions), inside a transaction (a PREPARE that failed would abort it), or where PostgreSQL could
    not prepare it (a parameter whose type it cannot work out)."""
    if plan.unpreparable or connection.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
        return None
    session = connection.connection  # the database session: a reconnection starts with nothing prepared
    known = getattr(connection, "_amhp_prepared", None)
    if known is None or known[0] is not session:
        known = connection._amhp_prepared = (session, set[str]())
    if not plan.name:
        plan.name = f"amhp_stmt_{next(_names)}"
        n = len(plan.params)
        plan.execute_sql = f"EXECUTE {plan.name}" + (f" ({', '.join(['%s'] * n)})" if n else "")
    if plan.name in known[1]:
        return plan.name
    if connection.in_atomic_block:
        return None
    numbers = itertools.count(1)
    text = _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(numbers)}", plan.sql)
    try:
        cursor.execute(f"PREPARE {plan.name} AS {text}")
    except DatabaseError:
        plan.unpreparable = True
        return None
    known[1].add(plan.name)
    return plan.name


def _forget(connection: Any, plan: _Plan) -> None:
    """Drop PLAN's prepared statement from CONNECTION's session (if it is there), to be prepared again."""
    known = getattr(connection, "_amhp_prepared", None)
    if known is not None and plan.name in known[1]:
        known[1].discard(plan.name)
        if not connection.in_atomic_block:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"DEALLOCATE {plan.name}")
            except DatabaseError:
                pass  # already gone


def _derived(param: Any) -> bool:
    """Whether PARAM looks made from a sentinel rather than being one."""
    if isinstance(param, bool):
        return False
    if isinstance(param, int | Decimal):
        return _SENTINEL_BASE - _SENTINEL_SPAN <= param < _SENTINEL_BASE + 2 * _SENTINEL_SPAN
    if isinstance(param, datetime | date):
        return param.year >= 2990
    if isinstance(param, str):
        return _MARK in param
    return False


def _shape(values: dict[str, Any]) -> Hashable:
    """What the compiled SQL depends on besides the values: names, True/False/None and list lengths."""
    key: list[tuple[str, str, Any]] = []
    for name, value in sorted(values.items()):
        if isinstance(value, list | tuple):
            key.append((name, "list", len(value)))
        elif value is None or isinstance(value, bool):
            key.append((name, "const", value))
        else:
            key.append((name, "value", type(value)))
    return tuple(key)


def _materialise(plan: _Plan, rows: Any) -> list[Any]:
    kind = plan.kind
    if kind is ModelIterable:
        objs = []
        from_db = plan.model.from_db
        start, end, init_list = plan.model_start, plan.model_end, plan.init_list
        populators = plan.populators or []
        annotations = plan.annotations or {}
        db = plan.connection.alias
        for row in rows:
            obj = from_db(db, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for attr, position in annotations.items():
                setattr(obj, attr, row[position])
            objs.append(obj)
        return objs
    if kind is ValuesIterable:
        names = plan.names or []
        return [dict(zip(names, row, strict=False)) for row in rows]
    if kind is FlatValuesListIterable:
        return [row[0] for row in rows]
    return [tuple(row) for row in rows]


def _clear_all(**kwargs: Any) -> None:
    for statement in _ALL:
        statement.clear()


setting_changed.connect(_clear_all)


class Insert(_PerThread, Generic[T]):
    """`run(obj)` INSERTs a new MODEL instance as `obj.save()` would, from SQL compiled once per thread.

    The columns, their order and the RETURNING clause are Django's, compiled by its own insert compiler the
    first time; each later object only has its values worked out, by the same compiler's pre_save (so
    auto_now_add is stamped) and get_db_prep_save. A model whose insert needs more than one plain
    placeholder a column (an expression, a field with a placeholder of its own) is saved by the ORM. No
    save signals are sent: use it only for a model nothing listens to (the audit trail).
    """

    def __init__(self, model: type[Any], *, using: str = DEFAULT_DB_ALIAS) -> None:
        super().__init__(using=using)
        self.model = model

    def compiled(self) -> bool:
        """Whether this thread inserts from compiled SQL (not through the ORM)."""
        return self._local.__dict__.get("plan") is not None

    def run(self, obj: T) -> T:
        connection = connections[self.using]
        plan = self._local.__dict__.get("plan", _MISSING)
        if plan is _MISSING or (plan is not None and plan[0] is not connection):
            plan = self._local.plan = self._compile(connection, obj)
            return obj  # compiling saved it
        if plan is None:
            obj.save(using=self.using)  # type: ignore[attr-defined]
            return obj
        _, sql, fields, compiler, returning = plan
        params = [compiler.prepare_value(field, compiler.pre_save_val(field, obj)) for field in fields]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone() if returning else None
        if row is not None:
            for field, value in zip(returning, row, strict=True):
                setattr(obj, field.attname, value)
        obj._state.adding = False  # type: ignore[attr-defined]
        obj._state.db = self.using  # type: ignore[attr-defined]
        return obj

    def _compile(self, connection: Any, obj: Any) -> tuple[Any, ...] | None:
        """Save OBJ through the ORM, and return the compiled insert to reuse, or None if it cannot be."""
        from django.db.models.sql import InsertQuery

        meta = self.model._meta
        fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
        returning = list(meta.db_returning_fields)
        query = InsertQuery(self.model)
        query.insert_values(fields, [obj])
        compiler = query.get_compiler(using=self.using, connection=connection)
        compiler.returning_fields = returning if connection.features.can_return_columns_from_insert else None
        statements = compiler.as_sql()
        plain = (
            len(statements) == 1
            and compiler.returning_fields is not None
            and all(getattr(f, "get_placeholder", None) is None for f in fields)
            and statements[0][0].count("%s") == len(fields)
            and len(statements[0][1]) == len(fields)
            and not any(hasattr(v, "as_sql") for v in statements[0][1])
        )
        obj.save(using=self.using)
        if not plain:
            return None
        return (connection, statements[0][0], fields, compiler, returning)
