"""The cache is an optimisation: with Redis unreachable the service still works.

`ResilientRedisCache` is Django's Redis cache whose operations, when Redis
cannot be reached, behave as a cache that holds nothing: a read misses (so
routing, for one, reads the database), a write is dropped, an `add` reports
that it added. Each failure is logged on `jointly.ops` (at most once a minute
per process, so an outage does not flood the log), and short socket timeouts
keep an unreachable host from holding requests.

What degrades while Redis is down, and is accepted for it: API throttles and
sign-in rate limits count nothing (they let requests through), and a
two-factor code could be used twice within its 30 seconds.
"""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger("jointly.ops")
_last_warning = 0.0


def _warn(operation: str, error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= 60:
        _last_warning = now
        log.warning("Cache unavailable (%s): %s; carrying on without it", operation, error)


def _resilient(operation: str, fallback):
    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (RedisError, OSError) as error:
                _warn(operation, error)
                return fallback(*args, **kwargs) if callable(fallback) else fallback
        return call
    return wrap


def _default(key, default=None, *args, **kwargs):
    return default


class ResilientRedisCache(RedisCache):
    get = _resilient("get", _default)(RedisCache.get)
    get_many = _resilient("get_many", {})(RedisCache.get_many)
    has_key = _resilient("has_key", False)(RedisCache.has_key)
    set = _resilient("set", None)(RedisCache.set)
    set_many = _resilient("set_many", [])(RedisCache.set_many)
    add = _resilient("add", True)(RedisCache.add)
    touch = _resilient("touch", False)(RedisCache.touch)
    delete = _resilient("delete", False)(RedisCache.delete)
    delete_many = _resilient("delete_many", None)(RedisCache.delete_many)
    clear = _resilient("clear", False)(RedisCache.clear)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except (RedisError, OSError) as error:
            _warn("incr", error)
            raise ValueError(f"Key {key!r} not found: the cache is unavailable.") from error
