from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """Officers' dashboards (Wagtail admin home panels with charts) and the yearly statistical report (年度统计报表)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboards"
    verbose_name = _("统计与报表")
