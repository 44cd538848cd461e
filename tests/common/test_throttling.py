"""API rate limits counted in two windows: the sliding estimate, when a refused client may try again, and that
the cost stays two integers however many requests are counted."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from amhp_hub.common.throttling import UserRateThrottle, seconds_until_allowed, sliding_count


def test_the_estimate_weights_the_previous_window_by_the_share_still_inside_the_period() -> None:
    # A quarter of an hour into this window: three quarters of the previous hour's 60 still count.
    assert sliding_count(current=30, previous=60, elapsed=900, duration=3600) == 60 * 0.75 + 30
    assert sliding_count(current=5, previous=0, elapsed=10, duration=60) == 5
    assert sliding_count(current=0, previous=9, elapsed=60, duration=60) == 0


def test_a_refused_client_is_told_when_enough_of_the_previous_window_has_slid_out() -> None:
    # 30 now and 60 before, limit 60, 900 s in: 60 * (1 - (900 + t) / 3600) + 30 < 60 once t > 900 s.
    assert seconds_until_allowed(current=30, previous=60, elapsed=900, duration=3600, limit=60) == 900
    # Over the limit within this window alone (80 of 60, 600 s in): the rest of this window (3,000 s), then
    # a quarter of the next, when 80 * (1 - t / 3600) < 60.
    assert seconds_until_allowed(current=80, previous=0, elapsed=600, duration=3600, limit=60) == 3000 + 900
    # A flood in the previous window: 1000 * (1 - t / 60) + 10 < 20 once t > 59.4 s, just before it drops out.
    assert seconds_until_allowed(current=10, previous=1000, elapsed=0, duration=60, limit=20) == pytest.approx(59.4)


class ThreeAMinute(UserRateThrottle):
    rate = "3/min"
    clock = 0.0

    def timer(self) -> float:
        return self.clock


def ask(at: float, user: Any) -> tuple[bool, float | None]:
    throttle = ThreeAMinute()
    ThreeAMinute.clock = at
    allowed = throttle.allow_request(SimpleNamespace(user=user), None)
    return allowed, None if allowed else throttle.wait()


@pytest.mark.django_db
def test_three_a_minute_allows_three_then_refuses_until_a_minute_has_slid_past(consultant: Any) -> None:
    user = consultant.user
    start = 6000.0  # the start of a one-minute window
    assert [ask(start + s, user)[0] for s in (0, 1, 2)] == [True, True, True]
    assert ask(start + 3, user) == (False, 57.0)  # the window's remaining 57 s
    # At the next window's start all three (sent 58 to 60 s ago) are still within the last minute.
    assert ask(start + 60, user)[0] is False
    # 20 s on, a third of the previous window has slid out: 3 * 40 / 60 = 2 of 3.
    assert ask(start + 80, user) == (True, None)
    # That one counts: 2 + 1 is the limit again at once.
    assert ask(start + 80, user)[0] is False


@pytest.mark.django_db
def test_the_count_is_one_integer_a_window_however_many_requests(consultant: Any) -> None:

    class Thousands(UserRateThrottle):
        rate = "100000/hour"

        def timer(self) -> float:
            return 36000.5

    for _ in range(500):
        assert Thousands().allow_request(SimpleNamespace(user=consultant.user), None)
    key = Thousands().get_cache_key(cast(Any, SimpleNamespace(user=consultant.user)), cast(Any, None))
    assert cache.get(f"{key}:10") == 500


@pytest.mark.django_db
def test_the_api_answers_429_with_retry_after_past_the_users_limit(
    consultant_api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "2/hour")
    statuses = [consultant_api.get("/api/v1/me/allocations/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = consultant_api.get("/api/v1/me/allocations/")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
