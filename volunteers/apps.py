from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    """爱心银行: volunteers, activities and shifts, service records, the points ledger, rewards (DESIGN.md §4.4)."""

    name = "volunteers"
    verbose_name = _("爱心银行")

    def ready(self):
        # Registers the profile section and the workspace link (orgs cannot import volunteers).
        from . import profile  # noqa: F401
