from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The public site 筑城公益汇: Wagtail pages, StreamField blocks, home-page figures, site settings."""

    name = "portal"
    verbose_name = _("门户网站")

    def ready(self):
        from . import signals

        signals.connect()
