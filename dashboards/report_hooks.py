"""Wagtail hooks of the yearly statistical report (年度统计报表): admin URLs and menu item."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from core.admin_policies import is_officer

from . import report_views

urlpatterns = [
    path("", report_views.ReportIndexView.as_view(), name="index"),
    path("<str:pk>/retry/", report_views.report_retry, name="retry"),
    path("<str:pk>/download/<str:kind>/", report_views.report_download, name="download"),
]


class OfficerMenuItem(MenuItem):
    """Shown to officers and superusers only; the views check the same again."""

    def is_shown(self, request):
        return is_officer(request.user)


@hooks.register("register_admin_urls")
def register_report_urls():
    """/admin/yearly-reports/ (list and request), …/<id>/retry/, …/<id>/download/xlsx|pdf/."""
    return [path("yearly-reports/", include((urlpatterns, "yearly_reports"), namespace="yearly_reports"))]


@hooks.register("register_admin_menu_item")
def register_report_menu_item():
    return OfficerMenuItem(_("年度统计报表"), reverse("yearly_reports:index"), name="yearly-reports",
                           icon_name="doc-full", order=240)
