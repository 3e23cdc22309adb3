"""sitemap.xml: an index of one sitemap per section, each paginated by Django at 50,000 URLs (``?p=2`` …).

Sections: the live, public Wagtail pages of the site; the public list pages of the Django areas; and one section per
kind of public record, read from the same querysets as the public views (so the sitemap never lists a page that
answers 404): organizations (``orgs.queries.public_organizations``), published volunteer activities, funding calls
(``grants.permissions.public_calls``), procurement projects (``grants.permissions.public_projects``) and campaigns
(``evaluations.queries.public_campaigns``). A record section reads only ids and modification times, in two queries
(count and page) whatever its size; the index reads one count and one latest modification time per section.
Absolute URLs use the portal's host (:func:`portal.seo.root_url`).
"""

import datetime

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem, x_robots_tag
from django.contrib.sitemaps.views import sitemap as django_sitemap
from django.db.models import F, Max
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from wagtail.contrib.sitemaps import Sitemap as WagtailSitemap
from wagtail.models import Site

from .seo import root_url


class PortalSitemapMixin:
    """Absolute URLs on the portal's host, whatever host name the request came in with."""

    def get_protocol(self, protocol=None):
        return root_url(self.request).split("://", 1)[0]

    def get_domain(self, site=None):
        return root_url(self.request).split("://", 1)[1]


class PagesSitemap(PortalSitemapMixin, WagtailSitemap):
    """Live, public Wagtail pages of the site serving the request."""

    def _site(self):
        site = Site.find_for_request(self.request)
        return site if site is not None else Site.objects.select_related("root_page").get(is_default_site=True)

    def _pages(self):
        return self._site().root_page.get_descendants(inclusive=True).live().public()

    def _urls(self, page, protocol, domain):
        urls = super()._urls(page, protocol, domain)
        # Wagtail builds locations from the Site's root URL; use the portal's (they differ while the Site keeps the
        # placeholder hostname ``localhost``).
        site_root, portal_root = self._site().root_url, root_url(self.request)
        if site_root != portal_root:
            for url in urls:
                if url["location"].startswith(site_root + "/"):
                    url["location"] = portal_root + url["location"][len(site_root):]
        return urls

    def get_latest_lastmod(self):
        # One aggregate instead of Django's default (every item's lastmod, i.e. every page loaded).
        return self._pages().aggregate(latest=Max("last_published_at"))["latest"]


class ListsSitemap(PortalSitemapMixin, Sitemap):
    """The public list pages of the Django areas (the directory, calls, procurement, activities, campaigns)."""

    URL_NAMES = ["orgs:directory", "grants:calls", "grants:bases", "grants:procurements", "volunteers:activities",
                 "volunteers:rewards", "volunteers:rankings", "evaluations:campaigns"]
    changefreq = "daily"

    def __init__(self, request):
        self.request = request

    def items(self):
        names = []
        for name in self.URL_NAMES:
            try:
                reverse(name)
            except NoReverseMatch:
                continue
            names.append(name)
        return names

    def location(self, item):
        return reverse(item)


class RecordSitemap(PortalSitemapMixin, Sitemap):
    """Public records of one kind, as ``{"pk", "lastmod"}`` rows in primary-key order."""

    url_name = ""
    lastmod_field = "updated_at"

    def __init__(self, request):
        self.request = request

    def queryset(self):
        raise NotImplementedError

    def items(self):
        return self.queryset().order_by("pk").values("pk", lastmod=F(self.lastmod_field))

    def location(self, item):
        return reverse(self.url_name, args=[item["pk"]])

    def lastmod(self, item):
        return item["lastmod"]

    def get_latest_lastmod(self):
        return self.queryset().aggregate(latest=Max(self.lastmod_field))["latest"]


class OrganizationsSitemap(RecordSitemap):
    url_name = "orgs:profile"

    def queryset(self):
        from orgs.queries import public_organizations

        return public_organizations()


class ActivitiesSitemap(RecordSitemap):
    url_name = "volunteers:activity"
    lastmod_field = "created_at"

    def queryset(self):
        from volunteers.models import Activity

        return Activity.objects.filter(status=Activity.Status.PUBLISHED)


class CallsSitemap(RecordSitemap):
    url_name = "grants:call"

    def queryset(self):
        from grants.permissions import public_calls

        return public_calls()


class ProcurementsSitemap(RecordSitemap):
    url_name = "grants:procurement"

    def queryset(self):
        from grants.permissions import public_projects

        return public_projects()


class CampaignsSitemap(RecordSitemap):
    url_name = "evaluations:campaign"

    def queryset(self):
        from evaluations.queries import public_campaigns

        return public_campaigns()


SECTIONS = {
    "pages": PagesSitemap,
    "lists": ListsSitemap,
    "organizations": OrganizationsSitemap,
    "activities": ActivitiesSitemap,
    "calls": CallsSitemap,
    "procurements": ProcurementsSitemap,
    "campaigns": CampaignsSitemap,
}


def _sections(request) -> dict:
    return {name: cls(request) for name, cls in SECTIONS.items()}


def _aware(value):
    if value is not None and not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time.min, tzinfo=datetime.UTC)
    return value


@x_robots_tag
def index(request):
    """/sitemap.xml: each section's sitemap (and its further pages) with the section's latest change."""
    base = root_url(request)
    items = []
    for name, section in _sections(request).items():
        location = base + reverse("sitemap_section", kwargs={"section": name})
        lastmod = _aware(section.get_latest_lastmod())
        items.append(SitemapIndexItem(location, lastmod))
        items += [SitemapIndexItem(f"{location}?p={n}", lastmod) for n in range(2, section.paginator.num_pages + 1)]
    return TemplateResponse(request, "sitemap_index.xml", {"sitemaps": items}, content_type="application/xml")


def section(request, section: str):
    """/sitemap-<section>.xml (?p=N for the 50,001st URL on)."""
    if section not in SECTIONS:
        raise Http404
    return django_sitemap(request, {section: SECTIONS[section](request)}, section=section)
