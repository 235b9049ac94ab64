"""Fixed-window throttles kept in Redis, shared by every web process and every host (public and tenants)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django_redis import get_redis_connection


def _key(scope: str, identity: str) -> str:
    digest = hashlib.sha256(identity.lower().encode()).hexdigest()[:32]
    return f"{settings.CACHE_KEY_PREFIX}:throttle:{scope}:{digest}"


def is_limited(*, scope: str, identity: str, limit: int) -> bool:
    """True when `identity` has already used up its `limit` attempts in the current window."""
    value = get_redis_connection("default").get(_key(scope, identity))
    return int(value or 0) >= limit


def hit(*, scope: str, identity: str, window: int) -> int:
    """Counts one attempt; the window starts with the first attempt. Returns the count so far."""
    key = _key(scope, identity)
    redis = get_redis_connection("default")
    pipe = redis.pipeline()
    pipe.incr(key)
    pipe.ttl(key)
    count, ttl = pipe.execute()
    if ttl < 0:  # first attempt of the window (or a key left without expiry): start the window now
        redis.expire(key, window)
    return int(count)


def reset(*, scope: str, identity: str) -> None:
    get_redis_connection("default").delete(_key(scope, identity))
