"""The anonymous page cache: whole responses of public pages, served to visitors who are not signed in.

What is cached
    GET and HEAD requests (stored from GET only) to a Wagtail page (``wagtail.views.serve``) or to one of the Django
    views named in ``PORTAL_PAGE_CACHE_VIEWS``, from a visitor without a session cookie, without pending messages
    (the messages cookie) and without an ``Authorization`` header. Such a visitor is anonymous for certain, and
    every such visitor gets the same page for the same URL, so one stored copy serves them all. A hit runs no view,
    no session and no database query.

What is never cached
    Anything but a 200; streaming responses; a response that sets a cookie (a new session, a message, the CSRF
    cookie); a page that used a CSRF token (any page with a POST form); a response marked ``Cache-Control: private``,
    ``no-cache``, ``no-store`` or ``max-age=0``; a response that varies on a header other than ``Cookie`` (the
    cookies that matter were checked on the request); a response rendered for a signed-in user (who always has a
    session cookie, so never reaches the cache in either direction).

Key
    The absolute URL (scheme, host, path and the whole query string, so ``?page=2`` and ``?q=养老`` are entries of
    their own) and a generation number. Every change that can alter a cached page bumps the generation
    (:func:`bump_generation`, wired in :mod:`portal.signals`): publishing, unpublishing, moving, saving or deleting
    any Wagtail page, and saving or deleting a row of the models named in ``PORTAL_PAGE_CACHE_INVALIDATED_BY`` (the
    domain data the public pages show). Old entries are never read again and expire after
    ``PORTAL_PAGE_CACHE_SECONDS`` (300 by default; 0 turns the cache off). Writes that bypass model signals
    (``QuerySet.update``, ``bulk_create``) do not bump it: what they change shows within that TTL.

Why not Django's ``UpdateCacheMiddleware``/``FetchFromCacheMiddleware``
    They decide per response (200 only, no ``Set-Cookie`` while varying on Cookie, no ``private``/``no-store``,
    the ``max-age``), and this module keeps those rules, using the same :mod:`django.utils.cache` helpers. But they
    (1) cache signed-in users' pages too, one entry per session cookie through ``Vary: Cookie`` (their
    anonymous-only mode was removed in Django 1.8), while a signed-in user here must neither read nor fill the cache;
    (2) add ``Expires``/``Cache-Control: max-age`` to the response, so a browser would keep showing the signed-out
    page after signing in; (3) key entries by URL and Vary values only, with no way to drop every page at once when
    an editor publishes, short of clearing the whole cache shared with other data. Wagtail itself ships fragment
    caching (``{% wagtailpagecache %}``) but nothing that serves a whole page without queries.

The cache is Django's default cache: per process with the built-in local-memory backend, shared by every web
process with ``REDIS_URL``. Run several web processes with Redis, or a publish in one process leaves the others
serving their copy until the TTL runs out.

Responses passing through get ``X-Cache: hit`` or ``X-Cache: miss``; requests that may not use the cache get none.
"""

import hashlib
import time

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import cc_delim_re, get_max_age, has_vary_header
from wagtail.views import serve as wagtail_serve

GENERATION_KEY = "portal:page-cache:generation"
KEY_PREFIX = "portal:page-cache:page"
HEADER = "X-Cache"
NEVER_STORED_HEADERS = {HEADER.lower(), "set-cookie"}
REFUSING_DIRECTIVES = {"private", "no-cache", "no-store"}


def timeout() -> int:
    return int(getattr(settings, "PORTAL_PAGE_CACHE_SECONDS", 0) or 0)


def generation() -> int:
    """The current generation. A missing key (a cleared or evicted cache) starts from the clock, never from a
    number already used, so entries of an earlier generation that are still stored cannot come back."""
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
        value = cache.get(GENERATION_KEY)
    return value


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def bump_generation() -> None:
    """Make every cached page stale.

    Bumped at once (so the change's own transaction, and a test, sees fresh pages) and again when the transaction
    commits: a visitor whose page was rendered from the old rows while the transaction was still open may have
    stored it under the first new generation. One after-commit bump per transaction, however many rows change
    (a rolled-back transaction drops its callback with it)."""
    _bump()
    connection = transaction.get_connection()
    if connection.in_atomic_block and not any(entry[1] is _bump for entry in connection.run_on_commit):
        transaction.on_commit(_bump)


def page_key(request) -> str:
    url = request.build_absolute_uri()
    digest = hashlib.sha256(url.encode()).hexdigest()
    return f"{KEY_PREFIX}:{generation()}:{digest}"


def cacheable_view(request) -> bool:
    """Is this URL a Wagtail page or one of the Django views listed in PORTAL_PAGE_CACHE_VIEWS?"""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    if match.func is wagtail_serve:
        return True
    return match.view_name in set(getattr(settings, "PORTAL_PAGE_CACHE_VIEWS", ()))


def anonymous_request(request) -> bool:
    """A request that may read or fill the cache: GET/HEAD from a visitor who is anonymous for certain."""
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies:
        return False
    return "HTTP_AUTHORIZATION" not in request.META


def _refused_by_cache_control(response) -> bool:
    directives = {
        part.split("=", 1)[0].strip().lower() for part in cc_delim_re.split(response.get("Cache-Control", "")) if part
    }
    return bool(directives & REFUSING_DIRECTIVES) or get_max_age(response) == 0


def _varies_on_more_than_cookie(response) -> bool:
    if not response.has_header("Vary"):
        return False
    headers = {h.strip().lower() for h in cc_delim_re.split(response["Vary"]) if h.strip()}
    return bool(headers - {"cookie"}) or has_vary_header(response, "*")


def storable(request, response) -> bool:
    if request.method != "GET" or response.status_code != 200 or response.streaming:
        return False
    if response.cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False  # sets a cookie, or the page carries a CSRF token (a POST form)
    if _refused_by_cache_control(response) or _varies_on_more_than_cookie(response):
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def _freeze(response) -> tuple:
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in NEVER_STORED_HEADERS]
    return (response.status_code, headers, response.content)


def _thaw(stored) -> HttpResponse:
    status, headers, content = stored
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response.headers[name] = value
    return response


class AnonymousPageCacheMiddleware:
    """Serves and stores whole public pages for anonymous visitors (see the module docstring).

    Placed after WhiteNoise and before SessionMiddleware: a hit skips sessions, CSRF, authentication and the view,
    and on a miss it sees the response after every inner middleware had its say (session and CSRF cookies
    included)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = timeout()
        if seconds <= 0 or not anonymous_request(request) or not cacheable_view(request):
            return self.get_response(request)
        key = page_key(request)
        stored = cache.get(key)
        if stored is not None:
            response = _thaw(stored)
            response[HEADER] = "hit"
            return response
        response = self.get_response(request)
        if storable(request, response):
            max_age = get_max_age(response)
            cache.set(key, _freeze(response), min(seconds, max_age) if max_age else seconds)
        response[HEADER] = "miss"
        return response
