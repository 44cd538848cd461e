"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

django.core.cache.backends.redis builds a new `redis.Redis` for every cache operation; building one
fills its table of response callbacks (about 170 entries), which costs more than the round trip to
Redis itself. A page reads its session and the API its rate limits through the cache on every
request, so each request paid that several times. A `redis.Redis` is safe to share between threads
(each command takes a connection from the pool), so one client per pool serves the whole process.
"""

from __future__ import annotations

import threading
from typing import Any, cast

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    """RedisCacheClient that keeps the client it makes for each pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._lock = threading.Lock()

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own choice of pool (it makes each pool once and keeps it); one client is kept per pool.
        pool = cast(Any, self)._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            with self._lock:
                client = self._clients.get(id(pool))
                if client is None:
                    client = cast(Any, self)._client(connection_pool=pool)
                    self._clients[id(pool)] = client
        return client


class SharedClientRedisCache(RedisCache):
    """The settings' cache backend when Redis is configured."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    def count(self, key: Any, timeout: int, version: Any = None) -> int:
        """Add one to the counter KEY and return it, starting it at 0 with TIMEOUT seconds to live if it does
        not exist: one round trip (SET NX and INCR in a pipeline) where add-then-incr took three."""
        key = self.make_and_validate_key(key, version=version)
        client = cast(Any, self._cache).get_client(key, write=True)
        pipeline = client.pipeline(transaction=False)
        pipeline.set(key, 0, ex=max(1, int(timeout)), nx=True)
        pipeline.incr(key)
        return int(pipeline.execute()[1])
