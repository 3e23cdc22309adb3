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


def exceeded(scope: str, key, *, limit: int, window: int) -> bool:
    """True when ``limit`` attempts were already counted in the current window; counts nothing itself."""
    bucket = int(time.time() // window)
    return (cache.get(f"rl:{scope}:{key}:{bucket}") or 0) >= limit


def client_key(request) -> str:
    """The key of an anonymous caller: the client address (the first X-Forwarded-For hop behind the load
    balancer, see :func:`core.middleware.client_ip`)."""
    from .middleware import client_ip

    return client_ip(request) or "unknown"


# --- django-axes (sign-in throttling; settings AXES_*) --------------------------------------------------------------

def signin_username(request, credentials) -> str | None:
    """The phone number a sign-in attempt names, normalised, so that "138 0000 0001", "+86 13800000001" and
    "13800000001" count against one lock (AXES_USERNAME_CALLABLE). Wagtail's and Django's admin sign-in forms do not
    normalise what was typed; this does."""
    from django.conf import settings

    from .phone import normalize_phone

    field = settings.AXES_USERNAME_FORM_FIELD
    value = (credentials or {}).get(field)
    if value is None and request is not None:
        value = request.POST.get(field)
    if value is None:
        return None
    return normalize_phone(str(value))[:150] or None


def signin_client_ip(request) -> str | None:
    """The client address as the rest of the portal reads it (AXES_CLIENT_IP_CALLABLE), or None when the request
    has none (a sign-in made in code, as the test client's force_login does): axes stores the address in an
    IP-address column, which PostgreSQL refuses to fill with anything but an address."""
    from .middleware import client_ip

    return client_ip(request)
