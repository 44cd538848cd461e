"""Pagination whose cost does not grow with the list: counts stop at a cap.

A queue of 100,000 open referrals costs the same to page through as one of 2,000: the
count reads at most CAP + 1 index entries, and no page lies beyond the cap.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.paginator import Paginator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from amhp_hub.common.statements import Statement


def capped_count(queryset: Any, cap: int) -> tuple[int, bool]:
    """Return (count, capped): the exact count up to CAP, else (CAP, True)."""
    n = queryset[: cap + 1].count()
    return min(n, cap), n > cap


class CappedPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        n, self.capped = capped_count(self.object_list, settings.QUEUE_COUNT_CAP)
        return n


MAX_PAGE_SIZE = 200


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """Limit/offset paging for every API list: `limit` is at most 200 whatever the caller asks."""

    default_limit = 50
    max_limit = MAX_PAGE_SIZE


class CappedLimitOffsetPagination(BoundedLimitOffsetPagination):
    """Limit/offset paging whose `count` is exact up to the cap; `count_capped` says when it is not."""

    def get_count(self, queryset: Any) -> int:
        n, self.capped = capped_count(queryset, settings.QUEUE_COUNT_CAP)
        return n

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        page = super().paginate_queryset(queryset, request, view)  # type: ignore[var-annotated]
        if page is not None and self.offset >= settings.QUEUE_COUNT_CAP:  # type: ignore[operator]
            return []
        return page

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.capped
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        result = super().get_paginated_response_schema(schema)
        result["properties"]["count_capped"] = {"type": "boolean"}
        return result


# --- Keyset (cursor) pagination -----------------------------------------------------------
#
# A page is "the SIZE rows after (or before) this row in ORDER": a range scan of the index
# that matches the order, so page 80 costs what page 1 does. The cursor names the boundary
# row by its ordering values, so rows arriving or leaving meanwhile neither repeat nor vanish.


class CursorError(ValueError):
    """A cursor that is not one this paginator wrote."""


class RowCompare(models.Expression):
    """`(col1, col2, ...) > (v1, v2, ...)` (or `<`): SQL row-value comparison, which an index seeks on.

    Both PostgreSQL and SQLite (3.15+) compare row values left to right, exactly like the
    ORDER BY over the same columns, so one condition names "every row after this one".
    """

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, columns: Sequence[str], values: Sequence[Any], op: str) -> None:
        super().__init__()
        if op not in (">", "<"):
            raise ValueError(op)
        self.columns: list[Any] = [F(c) for c in columns]  # resolved to column expressions later
        self.values = list(values)
        self.op = op

    def get_source_expressions(self) -> list[Any]:
        return [*self.columns, *self.values]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        n = len(self.columns)
        self.columns, self.values = list(exprs[:n]), list(exprs[n:])

    def resolve_expression(self, *args: Any, **kwargs: Any) -> RowCompare:
        clone = self.copy()
        clone.columns = [c.resolve_expression(*args, **kwargs) for c in self.columns]
        clone.values = [
            (v if hasattr(v, "resolve_expression") else Value(v, output_field=c.output_field)).resolve_expression(
                *args, **kwargs
            )
            for c, v in zip(clone.columns, self.values, strict=True)
        ]
        return clone

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:  # type: ignore[override]  # Django takes list params
        lhs, rhs, params_l, params_r = [], [], [], []
        for c in self.columns:
            sql, p = compiler.compile(c)
            lhs.append(sql)
            params_l.extend(p)
        for v in self.values:
            sql, p = compiler.compile(v)
            rhs.append(sql)
            params_r.extend(p)
        return f"({', '.join(lhs)}) {self.op} ({', '.join(rhs)})", [*params_l, *params_r]


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows, with the cursors of its neighbours (None where there is none)."""

    rows: list[Any]
    number: int
    next_cursor: str | None
    previous_cursor: str | None
    count: int
    capped: bool

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


def _field(row: Any, name: str) -> Any:
    """NAME of a row: a model instance's attribute, or a values() row's key."""
    return row[name] if isinstance(row, dict) else getattr(row, name)


def _plain_key(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


class KeysetPaginator:
    """Pages of QUERYSET in the order of ORDER (field names, ascending, the last one unique).

    The queryset's rows must have a non-null value in every ORDER field (row comparison
    treats NULL as unknown), except that with NULLS_LAST the first field may be NULL: those
    rows come after every other, in the order of the remaining fields, as an ascending index
    keeps them. `page(cursor)` runs one SELECT: the rows plus one, and the count, exact up to
    QUEUE_COUNT_CAP, as an uncorrelated sub-select of the same statement.
    """

    def __init__(
        self, queryset: models.QuerySet[Any], order: Sequence[str], size: int, *, nulls_last: bool = False
    ) -> None:
        self._queryset: models.QuerySet[Any] | None = queryset
        self._build: Callable[..., models.QuerySet[Any]] | None = None
        self._values: dict[str, Any] = {}
        self._fields: tuple[str, ...] = ()
        self.model = queryset.model
        self._setup(order, size, nulls_last)

    @classmethod
    def compiled(
        cls,
        build: Callable[..., models.QuerySet[Any]],
        values: dict[str, Any],
        order: Sequence[str],
        size: int,
        *,
        model: type[models.Model],
        nulls_last: bool = False,
        fields: Sequence[str] = (),
    ) -> KeysetPaginator:
        """Pages of BUILD(**VALUES) (a query set of MODEL), each page's SELECT compiled once per thread and shape
        (amhp_hub.common.statements) rather than built and compiled on every request. BUILD must use VALUES only
        as values in the query. With FIELDS the rows are values() dicts of those fields (the count is of the
        query set as BUILD gives it, so a field across a join adds no join to the count)."""
        paginator = cls.__new__(cls)
        paginator._queryset = None
        paginator._build = build
        paginator._values = dict(values)
        paginator.model = model
        paginator._fields = tuple(fields)
        paginator._setup(order, size, nulls_last)
        return paginator

    @property
    def queryset(self) -> models.QuerySet[Any]:
        if self._queryset is None:
            assert self._build is not None
            self._queryset = self._build(**self._values)
        return self._queryset

    def _setup(self, order: Sequence[str], size: int, nulls_last: bool) -> None:
        self.order = list(order)
        self.size = max(1, int(size))
        self.nulls_last = nulls_last
        if nulls_last and len(self.order) < 2:
            raise ValueError("A nullable first field needs a unique field after it")
        fields = [self.model._meta.get_field(n) for n in self.order]
        self._parsers = [_parser(f) for f in fields]

    def _ordering(self, *, descending: bool) -> list[Any]:
        ordering = [F(n).desc() if descending else F(n).asc() for n in self.order]
        if self.nulls_last:
            first = F(self.order[0])
            ordering[0] = first.desc(nulls_first=True) if descending else first.asc(nulls_last=True)
        return ordering

    def _beyond(self, key: list[Any], op: str) -> Any:
        """The condition "after KEY" (OP ">") or "before KEY" (OP "<") in this paginator's order."""
        if not self.nulls_last:
            return RowCompare(self.order, key, op)
        first, rest = self.order[0], self.order[1:]
        valued, null = Q(**{f"{first}__isnull": False}), Q(**{f"{first}__isnull": True})
        if key[0] is None:  # among the rows without a first value, which come last
            among = null & Q(RowCompare(rest, key[1:], op))
            return among if op == ">" else valued | among
        beside = valued & Q(RowCompare(self.order, key, op))
        return beside | null if op == ">" else beside

    def encode(self, row: Any, direction: str, number: int) -> str:
        key = [_plain_key(_field(row, n)) for n in self.order]
        raw = json.dumps({"k": key, "d": direction, "n": number}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str) -> tuple[list[Any], str, int]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            data = json.loads(raw)
            key, direction, number = data["k"], data["d"], int(data["n"])
            if direction not in ("n", "p") or len(key) != len(self.order) or number < 1:
                raise ValueError
            if None in key[1:] or (key[0] is None and not self.nulls_last):
                raise ValueError
            values = [None if v is None else parse(v) for parse, v in zip(self._parsers, key, strict=True)]
            return values, direction, number
        except (ValueError, TypeError, KeyError, binascii.Error) as exc:
            raise CursorError("This page link is not valid; start again from the first page.") from exc

    def _page_queryset(
        self, queryset: models.QuerySet[Any], key: list[Any] | None, direction: str, fields: tuple[str, ...] = ()
    ) -> Any:
        """The rows of the page after (or before) KEY, and one more, each with the capped count."""
        qs = queryset.order_by()
        count_sql, count_params = qs.values("pk")[: settings.QUEUE_COUNT_CAP + 1].query.sql_with_params()
        counted = RawSQL(f"SELECT COUNT(*) FROM ({count_sql}) capped_count", count_params)  # noqa: S611
        if fields:
            qs = qs.values(*fields)
        if key is not None:
            qs = qs.filter(self._beyond(key, ">" if direction == "n" else "<"))
        ordering = self._ordering(descending=direction == "p")
        return qs.annotate(_capped_count=counted).order_by(*ordering)[: self.size + 1]

    def _fetch(self, key: list[Any] | None, direction: str) -> list[Any]:
        if self._build is None:
            return list(self._page_queryset(self.queryset, key, direction))
        statement = _page_statement(
            self._build, self.model, tuple(self.order), self.nulls_last, self.size, direction, key is None, self._fields
        )
        keys = {} if key is None else {f"_key{i}": v for i, v in enumerate(key)}
        return statement.run(**self._values, **keys)

    def page(self, cursor: str | None) -> KeysetPage:
        number, direction, key = 1, "n", None
        if cursor:
            key, direction, number = self.decode(cursor)
        fetched = self._fetch(key, direction)
        more = len(fetched) > self.size
        rows = fetched[: self.size]
        if direction == "p":
            rows.reverse()
        if fetched:
            n = _field(fetched[0], "_capped_count")
        else:  # past the end: the count alone
            n = self.queryset.order_by()[: settings.QUEUE_COUNT_CAP + 1].count()
        has_next = more if direction == "n" else bool(rows)
        has_previous = more if direction == "p" else cursor is not None and bool(rows)
        if direction == "p" and not more:
            number = 1
        return KeysetPage(
            rows=rows,
            number=number,
            next_cursor=self.encode(rows[-1], "n", number + 1) if rows and has_next else None,
            previous_cursor=self.encode(rows[0], "p", max(1, number - 1)) if rows and has_previous else None,
            count=min(n, settings.QUEUE_COUNT_CAP),
            capped=n > settings.QUEUE_COUNT_CAP,
        )


_PAGE_STATEMENTS: dict[tuple[Any, ...], Statement[Any]] = {}
_PAGE_STATEMENTS_LOCK = threading.Lock()
_PAGE_STATEMENTS_MAX = 256


def _page_statement(
    build: Callable[..., models.QuerySet[Any]],
    model: type[models.Model],
    order: tuple[str, ...],
    nulls_last: bool,
    size: int,
    direction: str,
    first: bool,
    fields: tuple[str, ...],
) -> Statement[Any]:
    """The compiled statement for a page of BUILD's rows in ORDER, one per paging shape."""
    shape = (build, model, order, nulls_last, size, direction, first, fields)
    statement = _PAGE_STATEMENTS.get(shape)
    if statement is None:
        pager = KeysetPaginator.compiled(build, {}, order, size, model=model, nulls_last=nulls_last)
        n = len(order)

        def page_rows(**values: Any) -> models.QuerySet[Any]:
            key = None if first else [values.pop(f"_key{i}") for i in range(n)]
            return pager._page_queryset(build(**values), key, direction, fields)

        statement = Statement(page_rows)
        with _PAGE_STATEMENTS_LOCK:
            # BUILD is a module-level function, so the shapes are few; a caller passing a new function each
            # time would only lose the reuse, never the rows.
            if len(_PAGE_STATEMENTS) < _PAGE_STATEMENTS_MAX:
                statement = _PAGE_STATEMENTS.setdefault(shape, statement)
    return statement


def _parser(field: models.Field) -> Callable[[Any], Any]:
    if isinstance(field, models.DateTimeField):
        return lambda v: datetime.fromisoformat(v)
    if isinstance(field, models.UUIDField):
        return lambda v: UUID(str(v))
    if isinstance(field, models.IntegerField | models.AutoField):
        return lambda v: int(v)
    return lambda v: str(v)
