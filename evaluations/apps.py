from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    """五比五看 campaigns, public ratings, officer scores and results (DESIGN.md §4.5)."""

    name = "evaluations"
    verbose_name = _("五比五看")

    def ready(self):
        # Registers the profile section (orgs cannot import evaluations; evaluations adds itself).
        from . import profile  # noqa: F401
