"""Figures the orgs app contributes to the home page (see portal.figures)."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from core.figures import Figure

from .models import Organization


def home_figures():
    counts = Organization.objects.aggregate(
        active=Count("pk", filter=Q(status__in=[Organization.Status.REGISTERED, Organization.Status.FILED])),
        community=Count("pk", filter=Q(status=Organization.Status.FILED)),
    )
    return [
        Figure("organizations", _("登记备案社会组织"), f"{counts['active']:,}", _("家"), order=10),
        Figure("community_organizations", _("其中社区社会组织"), f"{counts['community']:,}", _("家"), order=11),
    ]
