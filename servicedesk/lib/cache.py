"""Django's Redis cache, with one redis-py client per connection pool instead of one per operation.

Django's RedisCacheClient builds a new `redis.Redis` for every cache call; redis-py fills several hundred
response callbacks in each, about 0.3 ms of CPU, several times a request on the portal's pages. A client
is thread-safe and holds no connection of its own (the pool does), so one per pool is shared safely.
"""

import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient


class FragmentRedisCache(ReusedClientRedisCache):
    """For the {% cache %} tag's fragments: a cache that fails is a cache that misses. The tag has no
    error handling of its own, so without this a Redis failing between reading the page's tokens and
    reading the fragment would turn the page into a 500."""

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except Exception:
            logger.warning("Fragment cache unavailable; rendering without it.", exc_info=True)
            return default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except Exception:
            logger.warning("Fragment cache unavailable; not keeping the fragment.", exc_info=True)
