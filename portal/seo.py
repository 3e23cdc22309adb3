"""Site basics for search engines and sharing: absolute URLs, the canonical link, Open Graph and Twitter tags,
robots.txt and the icons browsers ask for at fixed paths.

The scheme and host of every absolute URL (canonical, og:url, og:image, robots' Sitemap line, the sitemaps) come
from the Wagtail Site serving the request (设置 › 站点) once an administrator has given it the portal's real
hostname; while it still has the placeholder the first migration gave it (``localhost``), from the request itself.
"""

import functools
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from wagtail.images.models import AbstractImage, SourceImageIOError
from wagtail.models import Page, Site

PLACEHOLDER_HOSTS = {"localhost", "127.0.0.1", "[::1]", "*"}
# Query parameters that name a different page of content; every other parameter (filters, utm_*, from, spm …) is
# left out of the canonical URL.
CANONICAL_PARAMS = ("page",)
SHARE_IMAGE_SPEC = "fill-1200x630"
SHARE_IMAGE_SIZE = (1200, 630)
DEFAULT_SHARE_IMAGE = "img/og-default.png"
LOCALE = "zh_CN"


def root_url(request) -> str:
    """``scheme://host[:port]`` of the portal, without a trailing slash."""
    site = Site.find_for_request(request)
    if site is not None and site.hostname not in PLACEHOLDER_HOSTS:
        return site.root_url
    return f"{request.scheme}://{request.get_host()}"


def absolute(request, url: str) -> str:
    return root_url(request) + url if url.startswith("/") else url


def canonical_url(request) -> str:
    """The page's one URL: this path on the portal's host, keeping only ``?page=N`` (N > 1) of the query string."""
    url = root_url(request) + escape_uri_path(request.path)
    for name in CANONICAL_PARAMS:
        value = request.GET.get(name, "")
        if value.isdigit() and int(value) > 1:
            url += f"?{name}={int(value)}"
    return url


def site_name(request) -> str:
    site = Site.find_for_request(request)
    return (site.site_name if site is not None else "") or settings.WAGTAIL_SITE_NAME


def page_share_image(page):
    """The image a page is shared with: its own ``share_image`` if the page type defines one, its cover (news),
    or its first photo (showcase projects); None otherwise."""
    image = getattr(page, "share_image", None)
    if callable(image):
        image = image()
    if image is None:
        image = getattr(page, "cover", None)
    photos = getattr(page, "photos", None)
    if image is None and photos is not None:
        first = photos.select_related("image").order_by("sort_order").first()
        image = first.image if first is not None else None
    return image


def image_meta(request, image) -> dict | None:
    """URL, size and text of a share image: a Wagtail image (as a 1200×630 rendition) or a URL."""
    if isinstance(image, str) and image:
        return {"url": absolute(request, image), "alt": ""}
    if isinstance(image, AbstractImage):
        try:
            rendition = image.get_rendition(SHARE_IMAGE_SPEC)
        except (SourceImageIOError, OSError):
            return None
        return {"url": absolute(request, rendition.url), "width": rendition.width, "height": rendition.height,
                "alt": image.default_alt_text or image.title}
    return None


def default_image_meta(request) -> dict:
    width, height = SHARE_IMAGE_SIZE
    return {"url": absolute(request, static(DEFAULT_SHARE_IMAGE)), "width": width, "height": height,
            "alt": site_name(request)}


def is_article(page) -> bool:
    from .models import EventPage, NewsPage, PolicyPage, ShowcaseProjectPage

    return isinstance(page, (NewsPage, PolicyPage, ShowcaseProjectPage, EventPage))


def share_meta(request, *, page=None, title="", description="", image=None, og_type="", url="") -> dict:
    """Everything templates/includes/meta.html prints. ``page`` is the Wagtail page being served (anything else,
    such as a paginator's page, is ignored); the keyword arguments are a view's or template's overrides."""
    if not isinstance(page, Page):
        page = None
    name = site_name(request)
    if not title and page is not None:
        title = page.seo_title or page.title
    if not description and page is not None:
        description = page.search_description or getattr(page, "intro", "") or getattr(page, "summary", "")
    if image is None and page is not None:
        image = page_share_image(page)
    return {
        "title": title or name,
        "description": description or _("社会组织登记备案、孵化资助、政府购买服务、爱心银行与五比五看评价的一站式门户。"),
        "url": url or canonical_url(request),
        "type": og_type or ("article" if page is not None and is_article(page) else "website"),
        "site_name": name,
        "locale": LOCALE,
        "image": image_meta(request, image) or default_image_meta(request),
    }


# --- Views ------------------------------------------------------------------------------------------------------


def robots_txt(request):
    return render(
        request, "portal/robots.txt", {"sitemap_url": root_url(request) + reverse("sitemap")},
        content_type="text/plain; charset=utf-8",
    )


@functools.cache
def _static_bytes(name: str) -> bytes:
    path = finders.find(name)
    if path is None:
        raise Http404
    return Path(path).read_bytes()


def static_icon(request, name: str, content_type: str):
    """Icons browsers fetch from the site root whatever the page says (/favicon.ico, /apple-touch-icon.png)."""
    response = HttpResponse(_static_bytes(name), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
