from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    """Social organizations: registration and filing, annual reports, credit lists, certificates (DESIGN.md §4.1)."""

    name = "orgs"
    verbose_name = _("社会组织")
