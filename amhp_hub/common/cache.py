"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

django.core.cache.backends.redis builds a new `redis.Redis` for every cache operation; building one
fills its table of response callbacks (about 170 entries), which costs more than the round trip to
Redis itself. A page reads its session and the API its rate limits through the cache on every
request, so each request paid that several times. A `redis.Redis` is safe to share between threads
(each command takes a connection from the pool), so one client per pool serves the whole process.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    """RedisCacheClient that keeps the client it makes for each pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._lock = threading.Lock()

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        base: Any = self  # Django's own attributes, which its type stubs leave out
        index = base._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with self._lock:
                client = self._clients.get(index)
                if client is None:
                    if index not in base._pools:
                        base._pools[index] = base._pool_class.from_url(base._servers[index], **base._pool_options)
                    client = base._client(connection_pool=base._pools[index])
                    self._clients[index] = client
        return client


class SharedClientRedisCache(RedisCache):
    """The settings' cache backend when Redis is configured."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
