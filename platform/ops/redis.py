"""A short-fused Redis client on the broker's Redis, for what operations keep
there: the beat heartbeat, the e-mail counters, queue lengths. A probe or a
scrape must not hang on an unreachable Redis."""

from __future__ import annotations

import functools

import redis
from django.conf import settings

ERRORS = (redis.RedisError, OSError)


@functools.cache
def _client(url: str, timeout: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def client(url: str | None = None) -> redis.Redis:
    return _client(url or settings.CELERY_BROKER_URL, settings.OPS_REDIS_TIMEOUT)


def key(name: str) -> str:
    return f"{settings.OPS_KEY_PREFIX}:{name}"
