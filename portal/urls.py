from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.views import serve

from core.views import healthz

from . import seo, sitemaps, views
from .api import api
from .opendata import serve as views_open_data

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("accounts/", include("core.urls")),
    path("orgs/", include("orgs.urls")),
    path("evaluations/", include("evaluations.urls")),
    path("volunteers/", include("volunteers.urls")),
    path("grants/", include("grants.urls")),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("robots.txt", seo.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemaps.index, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemaps.section, name="sitemap_section"),
    path("favicon.ico", seo.static_icon, {"name": "img/favicon.ico", "content_type": "image/x-icon"}, name="favicon"),
    path("apple-touch-icon.png", seo.static_icon, {"name": "img/apple-touch-icon.png", "content_type": "image/png"}),
    path("showcase/workspace/", include("portal.showcase_urls")),
    path("search/", views.search, name="search"),
    path("open-data/", views_open_data, name="open-data"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [
    path("", serve, {"path": ""}, name="home"),
    path("", include(wagtail_urls)),
]

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
