"""Serializers that build their fields once read every object exactly as DRF's own to_representation does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from rest_framework import serializers

from amhp_hub.common.serializers import ReadOnceFields


def plain(monkeypatch: pytest.MonkeyPatch, make: Any) -> Any:
    """What MAKE() gives when every ReadOnceFields serializer reads as plain DRF does."""
    with monkeypatch.context() as patched:
        patched.setattr(ReadOnceFields, "to_representation", serializers.Serializer.to_representation)
        return make()


@dataclass
class _Inner:
    name: str | None
    at: datetime | None

    def shout(self) -> str:
        return (self.name or "").upper()


@dataclass
class _Row:
    id: uuid.UUID
    inner: _Inner | None
    flag: Any
    count: Any
    tags: list[str]


class _Shapes(ReadOnceFields, serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="inner.name", allow_null=True)
    shout = serializers.CharField(source="inner.shout", required=False)  # a method: called, as DRF does
    at = serializers.DateTimeField(source="inner.at", required=False)
    at_utc = serializers.DateTimeField(source="inner.at", required=False, default_timezone=UTC)
    missing = serializers.CharField(source="inner.nothing", required=False)  # skipped when absent
    fallback = serializers.CharField(source="inner.nothing", default="none given")
    flag = serializers.BooleanField()
    count = serializers.IntegerField()
    tags = serializers.ListField(child=serializers.CharField())
    method = serializers.SerializerMethodField()

    def get_method(self, obj: Any) -> str:
        return f"{obj['count'] if isinstance(obj, dict) else obj.count}!"


SUMMER = datetime(2026, 7, 1, 11, 30, tzinfo=UTC)  # 12:30 BST
WINTER = datetime(2026, 12, 1, 11, 30, 0, 250, tzinfo=UTC)  # 11:30 GMT, with microseconds


@pytest.mark.parametrize(
    "row",
    [
        _Row(uuid.UUID(int=1), _Inner("Ann", SUMMER), True, 3, ["a", "b"]),
        _Row(uuid.UUID(int=2), _Inner(None, WINTER), False, 0, []),
        _Row(uuid.UUID(int=3), _Inner("Bo", None), 1, "7", ["c"]),  # values DRF converts: 1 -> True, "7" -> 7
        _Row(uuid.UUID(int=4), None, 0, 2, []),  # no inner at all: nulls, skips and defaults as DRF has them
    ],
)
def test_every_kind_of_field_reads_as_drf_reads_it(monkeypatch: pytest.MonkeyPatch, row: _Row) -> None:
    fast = _Shapes(row).data
    assert fast == plain(monkeypatch, lambda: _Shapes(row).data)
    if row.inner is not None and row.inner.at == SUMMER:
        assert fast["at"] == "2026-07-01T12:30:00+01:00"  # the current time zone: Europe/London in BST
        assert fast["at_utc"] == "2026-07-01T11:30:00Z"


def test_dicts_are_read_by_key_as_drf_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    row = {"id": uuid.UUID(int=5), "inner": {"name": "Cy", "at": WINTER}, "flag": True, "count": 1, "tags": []}
    assert _Shapes(row).data == plain(monkeypatch, lambda: _Shapes(row).data)
    assert _Shapes(row).data["at"] == "2026-12-01T11:30:00.000250Z"
