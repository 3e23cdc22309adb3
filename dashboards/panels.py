"""The officers' dashboard on the Wagtail admin home: the queue, the headline figures and the charts of the officer's
jurisdiction for a year (``?year=``), as one admin home panel (a Wagtail ``Component``)."""

from __future__ import annotations

from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from wagtail.admin.ui.components import Component

from core.admin_policies import is_officer
from core.figures import Figure

from . import queue as queues
from .charts import render_svg
from .figures import charts_for, figures_for, parse_year, year_choices
from .scope import Scope


class DashboardPanel(Component):
    name = "officer_dashboard"
    template_name = "dashboards/panel.html"
    order = 50  # above Wagtail's own panels (pages in moderation, recent edits: 100 and up)

    def __init__(self, request, scope: Scope):
        self.request = request
        self.scope = scope
        self.year = parse_year(request.GET.get("year"))

    @cached_property
    def queue(self) -> queues.Queue:
        return queues.queue_for(self.scope)

    def get_context_data(self, parent_context=None):
        today = queues.today()
        figures = [Figure("queue", "待办事项", f"{self.queue.total:,}", "件", 1), *figures_for(self.scope, year=self.year)]
        charts = [{"chart": chart, "svg": mark_safe(render_svg(chart)),  # noqa: S308  # nosec B308 B703 - matplotlib SVG: text drawn as paths, link URLs attribute-escaped by its XML writer, title/aria-label escaped in render_svg
                   "table": chart.table()}
                  for chart in charts_for(self.scope, year=self.year)]
        return {
            "scope": self.scope,
            "year": self.year,
            "years": year_choices(),
            "figures": sorted(figures, key=lambda f: f.order),
            "charts": charts,
            "queue": self.queue,
            "items": [{"item": item, "state": item.state(today), "days": item.days_left(today)}
                      for item in self.queue.items],
            "near_days": queues.NEAR_DAYS,
        }


def dashboard_panels(request) -> list[Component]:
    """The panels for this user: the dashboard for officers and superusers, nothing for anybody else."""
    user = request.user
    if not is_officer(user):
        return []
    scope = Scope.for_user(user)
    if scope is None:
        return []
    return [DashboardPanel(request, scope)]
