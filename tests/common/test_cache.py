"""The Redis cache keeps one client per connection pool, and reads and writes as Django's own does."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.conf import settings

from amhp_hub.common.cache import SharedClientRedisCache

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL)")


def test_one_client_serves_every_call_and_thread_and_values_round_trip() -> None:
    cache = SharedClientRedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    first = cache._cache.get_client(write=True)
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(cache._cache.get_client())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(client is first for client in seen)
    assert cache._cache.get_client() is first
    cache.set("rate", {"history": [1.5, 2.5]}, 30)
    assert cache.get("rate") == {"history": [1.5, 2.5]}
    assert cache.add("rate", "other", 30) is False
    cache.delete("rate")
    assert cache.get("rate", "gone") == "gone"


def test_a_counter_starts_with_its_time_to_live_and_counts_up_in_one_round_trip() -> None:
    cache = SharedClientRedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    assert [cache.count("hits", timeout=120) for _ in range(3)] == [1, 2, 3]
    assert cache.get("hits") == 3  # read back as Django's cache reads an integer
    client = cache._cache.get_client(write=True)
    assert 115 <= client.ttl(cache.make_key("hits")) <= 120  # the first call set it; later ones did not
    cache.delete("hits")
    assert cache.count("hits", timeout=60) == 1
