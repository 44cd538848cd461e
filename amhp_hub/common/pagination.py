"""Pagination whose cost does not grow with the list: counts stop at a cap.

A queue of 100,000 open referrals costs the same to page through as one of 2,000: the
count reads at most CAP + 1 index entries, and no page lies beyond the cap.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response


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
