"""The officers' view of the audit log in the Wagtail admin: filterable, read-only, scoped to the
officer's jurisdiction."""

import django_filters
from django.contrib.admin.utils import unquote
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic import InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from .admin_exports import ExportingIndexView
from .admin_policies import OfficerViewPolicy
from .models import AuditEntry
from .permissions import get_visible_or_404, visible_to


class AuditFilterSet(WagtailFilterSet):
    action = django_filters.CharFilter(label=_("操作"), lookup_expr="icontains")
    actor_label = django_filters.CharFilter(label=_("操作人"), lookup_expr="icontains")
    object_repr = django_filters.CharFilter(label=_("对象"), lookup_expr="icontains")
    created_at = django_filters.DateFromToRangeFilter(label=_("时间"), widget=DateRangePickerWidget)

    class Meta:
        model = AuditEntry
        fields = ["action", "actor_label", "object_repr", "created_at", "content_type"]


class AuditIndexView(ExportingIndexView):
    def get_base_queryset(self):
        queryset = super().get_base_queryset().select_related("content_type")
        return visible_to(self.request.user, queryset, region="region")


class AuditInspectView(InspectView):
    def get_object(self, queryset=None):
        return get_visible_or_404(
            self.request.user, AuditEntry.objects.all(), pk=unquote(str(self.pk)), region="region"
        )


class AuditEntryViewSet(ModelViewSet):
    model = AuditEntry
    index_view_class = AuditIndexView
    inspect_view_class = AuditInspectView
    icon = "history"
    menu_label = _("操作日志")
    menu_order = 9000
    add_to_admin_menu = True
    inspect_view_enabled = True
    copy_view_enabled = False
    filterset_class = AuditFilterSet
    list_per_page = 50
    list_export = ["created_at", "actor_label", "action", "content_type", "object_repr", "region", "reason", "ip_address"]
    export_filename = "操作日志"
    list_display = [
        DateColumn("created_at", label=_("时间"), sort_key="created_at"),
        Column("actor_label", label=_("操作人")),
        Column("action", label=_("操作")),
        Column("object_repr", label=_("对象")),
        Column("ip_address", label=_("来源地址")),
    ]
    inspect_view_fields = [
        "created_at", "actor_label", "action", "content_type", "object_id", "object_repr",
        "region", "before", "after", "reason", "ip_address",
    ]

    # Required by ModelViewSet, though the form views are never routed (see get_urlpatterns).
    form_fields = ["reason"]

    def get_urlpatterns(self):
        """Only the list and the detail view: there is no URL that could add, edit or delete a row."""
        return [p for p in super().get_urlpatterns() if p.name in {"index", "index_results", "inspect"}]


register_permission_policy(AuditEntry, OfficerViewPolicy(AuditEntry))
audit_viewset = AuditEntryViewSet("audit")


@hooks.register("register_admin_viewset")
def register_audit_viewset():
    return audit_viewset
