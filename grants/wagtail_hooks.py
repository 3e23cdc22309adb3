"""The officers' side of 孵化与资助 in the Wagtail admin (menu group 孵化资助): funding calls with their rubric,
checklist and ranking board, the grant applications and every step after submission, and the incubation bases
with their residents; spreadsheets of calls, applications, awards and payments. Scoped to the officer's
jurisdiction (404 outside it); every button calls a service; nothing is deleted here. The views live in
grants/admin_views.py, the forms in grants/admin_forms.py."""

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from core.admin_policies import ByRolePolicy, OfficerViewPolicy, is_officer

from . import admin_views as views
from .admin_forms import FundingCallForm, IncubationBaseForm
from .models import FundingCall, GrantApplication, IncubationBase
from .permissions import bases_for_officer, calls_for_officer, may_manage_base, may_manage_call

LISTING = {"index", "index_results"}


class CallPolicy(ByRolePolicy):
    """Officers add calls and edit the drafts of their jurisdiction; a published call is never edited or deleted."""

    actions = {"view": "officer", "add": "officer", "change": "officer"}

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "change":
            return (is_officer(user) and may_manage_call(user, instance)
                    and instance.status in views.EDITABLE_CALLS)
        return self.user_has_permission(user, action)

    def instances_user_has_permission_for(self, user, action):
        return calls_for_officer(user) if is_officer(user) else FundingCall.objects.none()


class BasePolicy(ByRolePolicy):
    """Officers add bases and edit those of their jurisdiction; residents change only through the services."""

    actions = {"view": "officer", "add": "officer", "change": "officer"}

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "change":
            return is_officer(user) and may_manage_base(user, instance)
        return self.user_has_permission(user, action)

    def instances_user_has_permission_for(self, user, action):
        return bases_for_officer(user) if is_officer(user) else IncubationBase.objects.none()


def _routes(viewset, names, extra=()):
    return [p for p in ModelViewSet.get_urlpatterns(viewset) if p.name in names] + list(extra)


def _no_extra_pages(viewset, kwargs, **more):
    """View kwargs without the delete, history and usage pages (no URLs for them)."""
    return ModelViewSet.get_common_view_kwargs(
        viewset, **{"history_url_name": None, "usage_url_name": None, "delete_url_name": None, **more, **kwargs}
    )


# --- 资助计划 ----------------------------------------------------------------------------------------------
class FundingCallViewSet(ModelViewSet):
    model = FundingCall
    icon = "doc-full-inverse"
    menu_label = _("资助计划")
    index_view_class = views.CallIndexView
    add_view_class = views.CallCreateView
    edit_view_class = views.CallEditView
    inspect_view_class = views.CallInspectView
    inspect_view_enabled = True
    inspect_view_fields = ["title"]  # the page is the template's own
    copy_view_enabled = False
    filterset_class = views.CallFilterSet
    search_fields = ["title"]
    list_per_page = 30
    list_display = [
        TitleColumn("title", label=_("名称"), url_name="grant_calls:inspect"),
        Column("kind", label=_("类型"), accessor="get_kind_display"),
        Column("year", label=_("年度"), sort_key="year"),
        Column("region", label=_("辖区")),
        Column("status", label=_("状态"), accessor="get_status_display"),
        views.yuan_column("budget", _("预算")),
        views.yuan_column("awarded_total", _("已资助")),
        Column("application_count", label=_("申报数")),
        Column("closes_at", label=_("截止时间"), sort_key="closes_at",
               accessor=lambda c: timezone.localtime(c.closes_at).strftime("%Y-%m-%d %H:%M")),
    ]
    edit_handler = ObjectList([
        MultiFieldPanel([FieldRowPanel([FieldPanel("kind"), FieldPanel("year")]), FieldPanel("title"),
                         FieldPanel("region"), FieldPanel("description")], heading=_("基本信息")),
        MultiFieldPanel([FieldRowPanel([FieldPanel("budget"), FieldPanel("max_amount")]),
                         FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")])], heading=_("资金与申报期")),
        MultiFieldPanel([FieldPanel("eligible_kinds"),
                         FieldRowPanel([FieldPanel("min_months_established"), FieldPanel("max_months_established")]),
                         FieldPanel("exclude_credit_listed"), FieldPanel("require_residency")], heading=_("申报条件")),
        MultiFieldPanel([FieldRowPanel([FieldPanel("tranche_agreement_percent"), FieldPanel("tranche_midterm_percent"),
                                        FieldPanel("tranche_final_percent")]),
                         FieldRowPanel([FieldPanel("band_a"), FieldPanel("band_b")])], heading=_("分期拨付与报告评定")),
        InlinePanel("criteria", label=_("评分项"), heading=_("评分细则（权重合计 100 分）"),
                    panels=[FieldRowPanel([FieldPanel("name"), FieldPanel("weight"), FieldPanel("max_score")]),
                            FieldPanel("description")]),
        InlinePanel("required_documents", label=_("申报材料"), heading=_("申报材料"),
                    panels=[FieldRowPanel([FieldPanel("name"), FieldPanel("required")]), FieldPanel("note")]),
    ], base_form_class=FundingCallForm)

    def get_common_view_kwargs(self, **kwargs):
        return _no_extra_pages(self, kwargs)

    def get_urlpatterns(self):
        return _routes(self, LISTING | {"add", "edit", "inspect"},
                       [path("export/", views.export, name="export")])


# --- 资助申报 ----------------------------------------------------------------------------------------------
class GrantApplicationViewSet(ModelViewSet):
    model = GrantApplication
    icon = "form"
    menu_label = _("资助申报")
    index_view_class = views.ApplicationIndexView
    inspect_view_class = views.ApplicationInspectView
    inspect_view_enabled = True
    inspect_view_fields = ["number"]  # the page is the template's own
    copy_view_enabled = False
    filterset_class = views.ApplicationFilterSet
    search_fields = ["number", "project_title"]
    form_fields = ["decision_note"]  # required by ModelViewSet; the form views are not routed
    list_per_page = 50
    list_display = [
        TitleColumn("number", label=_("编号"), url_name="grant_applications:inspect"),
        Column("project_title", label=_("项目")),
        Column("organization", label=_("组织")),
        Column("call", label=_("计划")),
        Column("status", label=_("状态"), accessor="get_status_display"),
        views.yuan_column("requested_amount", _("申请金额")),
        Column("score", label=_("得分"), sort_key="score", accessor=lambda a: a.score if a.score is not None else "—"),
    ]

    def get_common_view_kwargs(self, **kwargs):
        return _no_extra_pages(self, kwargs, add_url_name=None, edit_url_name=None)

    def get_urlpatterns(self):
        return _routes(self, LISTING | {"inspect"}, [
            path("documents/<int:pk>/", views.application_document, name="document"),
            path("report-documents/<int:pk>/", views.report_document, name="report_document"),
        ])


# --- 孵化基地 ----------------------------------------------------------------------------------------------
class IncubationBaseViewSet(ModelViewSet):
    model = IncubationBase
    icon = "home"
    menu_label = _("孵化基地")
    index_view_class = views.BaseIndexView
    add_view_class = views.BaseCreateView
    edit_view_class = views.BaseEditView
    inspect_view_class = views.BaseInspectView
    inspect_view_enabled = True
    inspect_view_fields = ["name"]  # the page is the template's own
    copy_view_enabled = False
    filterset_class = views.BaseFilterSet
    search_fields = ["name", "operator"]
    list_per_page = 30
    list_display = [
        TitleColumn("name", label=_("基地名称"), url_name="incubation_bases:inspect"),
        Column("level", label=_("层级"), accessor="get_level_display"),
        Column("region", label=_("所在区划")),
        Column("operator", label=_("运营单位")),
        Column("capacity", label=_("可入驻")),
        Column("residents", label=_("在孵")),
        Column("is_active", label=_("运营中"), accessor=lambda b: "是" if b.is_active else "否"),
    ]
    edit_handler = ObjectList([
        FieldRowPanel([FieldPanel("name"), FieldPanel("level")]),
        FieldRowPanel([FieldPanel("region"), FieldPanel("operator")]),
        FieldRowPanel([FieldPanel("address"), FieldPanel("contact_phone")]),
        FieldPanel("capacity"), FieldPanel("introduction"), FieldPanel("is_active"),
    ], base_form_class=IncubationBaseForm)

    def get_common_view_kwargs(self, **kwargs):
        return _no_extra_pages(self, kwargs)

    def get_urlpatterns(self):
        return _routes(self, LISTING | {"add", "edit", "inspect"})


register_permission_policy(FundingCall, CallPolicy(FundingCall))
register_permission_policy(GrantApplication, OfficerViewPolicy(GrantApplication))
register_permission_policy(IncubationBase, BasePolicy(IncubationBase))


class GrantsGroup(ViewSetGroup):
    menu_label = _("孵化资助")
    menu_icon = "pick"
    menu_order = 210
    items = (
        FundingCallViewSet("grant_calls", url_prefix="grant-calls"),
        GrantApplicationViewSet("grant_applications", url_prefix="grant-applications"),
        IncubationBaseViewSet("incubation_bases", url_prefix="incubation-bases"),
    )


@hooks.register("register_admin_viewset")
def register_grants():
    return GrantsGroup()
