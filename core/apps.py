from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class CoreConfig(AppConfig):
    """Cross-cutting pieces every domain app needs: regions, accounts and roles, the audit log, money
    and file helpers. It imports no domain app (DESIGN.md §3)."""

    default = True  # apps.py also holds PortalUsersAppConfig
    name = "core"
    verbose_name = _("平台基础")

    def ready(self):
        from . import signals, translation  # noqa: F401

        translation.install()
        translation.install_choice_display()




class PortalUsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with forms for our phone-number user (one 姓名 field, optional e-mail)."""

    user_viewset = "core.wagtail_users.PortalUserViewSet"
