"""Carries the request's client address and user to :func:`core.audit.record` without passing the request
through every service call."""

import contextvars

_current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)


def current_ip() -> str | None:
    return _current_ip.get()


def client_ip(request) -> str | None:
    """The client's address. Behind the load balancer (production) the first X-Forwarded-For hop is the
    client; REMOTE_ADDR is the balancer. Without a proxy REMOTE_ADDR is the client."""
    from django.conf import settings

    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _current_ip.reset(token)


# --- a busy database is not a server error ----------------------------------------------------------------------
BUSY_MARKERS = (
    "database is locked",  # SQLite: the busy timeout ran out behind another writer
    "database table is locked",
    "could not serialize access",  # PostgreSQL: serialization failure (SQLSTATE 40001)
    "deadlock detected",  # PostgreSQL: the deadlock detector chose this transaction (40P01)
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_RETRIES = 2


def database_busy(exception: BaseException) -> bool:
    """True for the errors that mean "another writer held the database", not that anything is wrong."""
    from django.db import OperationalError

    return isinstance(exception, OperationalError) and any(m in str(exception).lower() for m in BUSY_MARKERS)


class DatabaseBusyMiddleware:
    """Turns a busy database into a retry or a 503, never a 500 (issue 11, faults).

    SQLite has one writer: settings give every connection IMMEDIATE transactions and a 20 s busy timeout, so a
    writer queues behind another; only when that wait runs out does SQLite raise "database is locked".
    PostgreSQL raises serialization failures and deadlocks the same way. Then:

    - a read (GET/HEAD/OPTIONS) is run again, up to twice, after a short pause: it changed nothing;
    - a write is not replayed (a view may have committed one service call before the failing one): every service
      runs in one atomic transaction, so the failing change was rolled back whole, and the user gets a 503 page
      (or JSON) saying nothing was saved and to try again, with ``Retry-After``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_busy(exception):
            return None
        import logging
        import time

        logger = logging.getLogger("portal.database")
        match = request.resolver_match
        if request.method in SAFE_METHODS and match is not None:
            for attempt in range(1, READ_RETRIES + 1):
                logger.warning("database busy on %s %s, retry %d", request.method, request.path, attempt)
                time.sleep(0.05 * attempt)
                try:
                    response = match.func(request, *match.args, **match.kwargs)
                    if hasattr(response, "render") and callable(response.render) and not response.is_rendered:
                        response = response.render()
                    return response
                except Exception as retry_error:  # noqa: BLE001 - another busy error is retried, anything else raised
                    if not database_busy(retry_error):
                        raise
        logger.warning("database busy on %s %s: answered 503", request.method, request.path)
        return busy_response(request)


def busy_response(request):
    from django.http import JsonResponse
    from django.template import loader

    message = "系统繁忙，您的操作未保存，请稍后重试。" if request.method not in SAFE_METHODS else "系统繁忙，请稍后重试。"
    accept = request.headers.get("Accept", "")
    if request.path.startswith("/api/") or "application/json" in accept:
        response = JsonResponse({"detail": message}, status=503)
    else:
        from django.http import HttpResponse

        response = HttpResponse(loader.get_template("503.html").render({"message": message}), status=503)
    response["Retry-After"] = "2"
    return response
