from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    """Incubation bases, funding calls and grants, procurement of public services, contracts, payments,
    performance evaluation and open-contracting export (DESIGN.md §4.2, §4.3)."""

    name = "grants"
    verbose_name = _("孵化资助与购买服务")

    def ready(self):
        # Registers the profile section and the workspace links (orgs cannot import grants).
        from . import profile  # noqa: F401
