"""Template fragments that cost more to render than to fetch, cached in Django's cache under the page cache's
generation (portal.cache), so any change that makes public pages stale makes these stale too.

``{% filter_fields form %}`` renders a GET filter form's fields (the registry, the activity list): select widgets
render one template include per option, which made the form the largest part of the registry page (about 11 ms of
its 55 ms). The fields render the same for the same submitted values, so the HTML is kept per form class and
query string. Only GET filter forms without a CSRF token belong here: the cached HTML is shared by every visitor.
"""

import hashlib

from django import template
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from portal.cache import generation

register = template.Library()
FRAGMENT_SECONDS = 300


def fragment_key(name: str, *parts) -> str:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
    return f"portal:fragment:{name}:{generation()}:{get_language()}:{digest}"


@register.simple_tag
def filter_fields(form):
    data = form.data.urlencode() if hasattr(form.data, "urlencode") else sorted(form.data.items())
    key = fragment_key("filter-fields", f"{type(form).__module__}.{type(form).__qualname__}", form.prefix, data)
    html = cache.get(key)
    if html is None:
        html = "".join(render_to_string("includes/field.html", {"field": field}) for field in form)
        cache.set(key, html, FRAGMENT_SECONDS)
    return mark_safe(html)  # rendered by Django's templates, which escaped it  # noqa: S308  # nosec B308 B703
