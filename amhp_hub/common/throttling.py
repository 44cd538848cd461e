"""API rate limits whose cost does not grow with the limit: two counters per client, not a list of requests.

DRF's SimpleRateThrottle keeps the time of every request in the period in one cache entry, read, trimmed
and written back whole on each request: at 2,000 an hour a busy integration's entry is an 18 KB list, and
the cost grows with the limit (at 20,000 it is some 5 ms of CPU a request). These throttles count requests
in fixed windows as long as the period and estimate the sliding window from the current window's count and
the previous one's, weighted by how much of the previous window still falls inside the period (the
"sliding window counter"): a read of two integers and an atomic increment, whatever the limit. Only
allowed requests are counted, as DRF's throttles do, so a client held back regains its allowance.

The classes are DRF's, with this counting in place of the list: the rates, scopes and cache keys (with the
window's number appended) are theirs, and a refusal is DRF's 429 with Retry-After.
"""

from __future__ import annotations

import math
from typing import Any

from rest_framework import throttling


def sliding_count(current: int, previous: int, elapsed: float, duration: float) -> float:
    """The requests estimated in the DURATION seconds up to now: all CURRENT (this window's, ELAPSED seconds
    into it) and PREVIOUS (the window before's) in the share of it still inside the period."""
    return previous * max(0.0, 1 - elapsed / duration) + current


def seconds_until_allowed(current: int, previous: int, elapsed: float, duration: float, limit: int) -> float:
    """How long until sliding_count falls below LIMIT with no more requests counted."""
    remaining = duration - elapsed
    if current >= limit:
        # Only in the next window, once enough of this one (then the previous) has slid out of the period.
        return remaining + duration * (1 - limit / current)
    if previous == 0:
        return 0.0
    # previous * (1 - (elapsed + t) / duration) + current < limit
    return min(remaining, max(0.0, duration * (1 - (limit - current) / previous) - elapsed))


class WindowCounterThrottle(throttling.SimpleRateThrottle):
    """SimpleRateThrottle counting in two windows (see the module): the same rates and keys, constant cost."""

    num_requests: int  # set from the rate by SimpleRateThrottle
    duration: int

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        current_key, previous_key = f"{self.key}:{window}", f"{self.key}:{window - 1}"
        counts = self.cache.get_many([current_key, previous_key])
        self.current, self.previous = int(counts.get(current_key, 0)), int(counts.get(previous_key, 0))
        self.elapsed = now - window * self.duration
        if sliding_count(self.current, self.previous, self.elapsed, self.duration) >= self.num_requests:
            return False
        # Kept for two windows: while it is current, then while it is the previous one.
        count = getattr(self.cache, "count", None)
        if count is not None:  # Redis (amhp_hub.common.cache): one round trip
            count(current_key, timeout=2 * self.duration)
        elif not self.cache.add(current_key, 1, timeout=2 * self.duration):
            try:
                self.cache.incr(current_key)
            except ValueError:  # expired between the two calls: this request starts it again
                self.cache.add(current_key, 1, timeout=2 * self.duration)
        return True

    def wait(self) -> float | None:
        if getattr(self, "current", None) is None:
            return None
        wait = seconds_until_allowed(self.current, self.previous, self.elapsed, self.duration, self.num_requests)
        return float(math.ceil(wait))


class AnonRateThrottle(throttling.AnonRateThrottle, WindowCounterThrottle):
    """DRF's limit for anonymous callers (THROTTLE_ANON), by address."""


class UserRateThrottle(throttling.UserRateThrottle, WindowCounterThrottle):
    """DRF's limit per signed-in user (THROTTLE_USER)."""


class ScopedRateThrottle(throttling.ScopedRateThrottle, WindowCounterThrottle):
    """DRF's limit per view scope (throttle_scope: "token", "export")."""
