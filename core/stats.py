"""Figures core contributes to the home page (see portal.figures)."""

from django.utils.translation import gettext as _

from .figures import Figure
from .models import Role, RoleAssignment


def home_figures():
    volunteers = RoleAssignment.objects.filter(role=Role.VOLUNTEER).count()
    return [Figure("volunteers", _("注册志愿者"), f"{volunteers:,}", _("人"), order=30)]
