"""Wagtail hooks of the dashboards app: the officer's admin home panels (the dashboard) and, imported below, the yearly
report's admin URLs and menu item."""

from django.urls import include, path
from wagtail import hooks

from . import report_hooks  # noqa: F401  (registers the yearly report's hooks)
from .drilldown import urlpatterns as drilldown_urls
from .panels import dashboard_panels


@hooks.register("construct_homepage_panels")
def add_dashboard_panels(request, panels):
    """Officers (and superusers) see their jurisdiction's dashboard first; other admin users see none of it."""
    panels.extend(dashboard_panels(request))


@hooks.register("register_admin_urls")
def register_dashboard_urls():
    """The drill-down lists behind the dashboard's charts (/admin/dashboard/rows/<key>/)."""
    return [path("dashboard/", include((drilldown_urls, "dashboard_rows"), namespace="dashboard_rows"))]
