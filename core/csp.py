"""The Content-Security-Policy header (django-csp 4), with one relaxation scoped to the Wagtail admin.

The policy itself is ``CONTENT_SECURITY_POLICY`` in ``portal/settings/base.py``: a static policy, the same bytes for
every visitor, without nonces. A nonce would be wrong here: :mod:`portal.cache` replays whole anonymous pages, so a
page rendered with one request's nonce would be served with another request's header (or the old nonce would be
replayed to everyone, which defeats it). The middleware sits outside the page cache (see ``MIDDLEWARE``), so the
header is added to cache hits as well as to misses, and always reflects the policy in force now.

Wagtail's admin still renders a few inline ``<script>`` elements (the date and time widgets, InlinePanel and
MultipleChooserPanel, and the chooser modals that insert such HTML), and its page preview is an iframe of the
admin's own preview URL. ``PORTAL_CSP_ADMIN_UPDATE`` adds what that needs, for paths under ``PORTAL_CSP_ADMIN_PREFIX``
only; the admin's sign-in and password-reset pages (``PORTAL_CSP_ADMIN_STRICT_PATHS``) keep the strict public policy.
docs/security.md records why.

Wagtail renders a preview (and a moderation view) by running the page's public URL through the whole middleware
chain with a dummy request inside the admin request. That inner pass sets no header: the admin request that returns
the preview sets the admin policy, whose ``frame-ancestors 'self'`` lets the editor show it in its preview panel.
"""

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings


def _merge(first: dict | None, second: dict) -> dict:
    merged = {key: list(value) for key, value in (first or {}).items()}
    for key, value in second.items():
        merged.setdefault(key, [])
        merged[key] += [item for item in value if item not in merged[key]]
    return merged


def relaxed_for_admin(path: str) -> bool:
    prefix = getattr(settings, "PORTAL_CSP_ADMIN_PREFIX", "/admin/")
    if not path.startswith(prefix):
        return False
    return not any(path.startswith(strict) for strict in getattr(settings, "PORTAL_CSP_ADMIN_STRICT_PATHS", ()))


class PortalCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, plus the admin-only additions of ``PORTAL_CSP_ADMIN_UPDATE`` (a dict of directive
    -> extra sources, django-csp's ``csp_update`` format) on admin paths."""

    def process_response(self, request, response):
        if getattr(request, "is_dummy", False):  # Wagtail's preview pass; see the module docstring
            return response
        return super().process_response(request, response)

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and relaxed_for_admin(request.path_info):
            # A directive django-csp sets to a fixed value (frame-ancestors) is replaced, the rest extended.
            replace = getattr(settings, "PORTAL_CSP_ADMIN_REPLACE", {})
            update = getattr(settings, "PORTAL_CSP_ADMIN_UPDATE", {})
            parts.replace = {**(parts.replace or {}), **replace}
            parts.update = _merge(parts.update, update)
        return parts
