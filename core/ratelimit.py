"""Fixed-window rate limits kept in the cache (Redis in production, so every web process shares them).

Used by the endpoints people could hammer: phone codes, ratings, redemptions, code entry. A limit is a
scope ("rating.user"), a key (a user id or a client address), a count and a window in seconds.
"""

import time

from django.core.cache import cache

from .exceptions import DomainError


class RateLimited(DomainError):
    """Too many attempts in the window; the message says when to try again."""


def hit(scope: str, key, *, limit: int, window: int) -> bool:
    """Count one attempt; True while the count in the current window is within ``limit``."""
    bucket = int(time.time() // window)
    cache_key = f"rl:{scope}:{key}:{bucket}"
    # add() is atomic in every cache backend: the first attempt in a window creates the counter.
    if cache.add(cache_key, 1, timeout=window + 1):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=window + 1)
        count = 1
    return count <= limit


def check(scope: str, key, *, limit: int, window: int, message: str | None = None) -> None:
    """Count one attempt and raise :class:`RateLimited` past the limit."""
    if not hit(scope, key, limit=limit, window=window):
        minutes = max(1, round(window / 60))
        raise RateLimited(message or f"操作过于频繁，请 {minutes} 分钟后再试。", code="rate_limited")
