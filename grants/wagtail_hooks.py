"""The officers' side of 孵化与资助 in the Wagtail admin (menu group 孵化资助): funding calls with their rubric,
checklist and ranking board, the grant applications and every step after submission, and the incubation bases
with their residents; spreadsheets of calls, applications, awards and payments. Scoped to the officer's
jurisdiction (404 outside it); every button calls a service; nothing is deleted here. The views live in
grants/admin_views.py, the forms in grants/admin_forms.py.

And the officers' side of 政府购买服务 (menu group 政府购买服务): the service catalogue (superusers keep it),
purchasers, procurement projects from plan to contract draft (bids sealed until the deadline), and contracts from
signing to the performance evaluation; spreadsheets of projects, bids, contracts and payments. The views live in
grants/procurement_admin.py, the forms in grants/procurement_admin_forms.py."""

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from core.admin_exports import ExportingIndexView
from core.admin_policies import ByRolePolicy, OfficerViewPolicy, is_officer

from . import admin_views as views
from . import procurement_admin as pviews
from .admin_forms import FundingCallForm, IncubationBaseForm
from .models import (
    Contract,
    FundingCall,
    GrantApplication,
    IncubationBase,
    ProcurementProject,
    Purchaser,
    ServiceCategory,
)
from .permissions import (
    bases_for_officer,
    calls_for_officer,
    contracts_for_officer,
    may_manage_base,
    may_manage_call,
    may_manage_project,
    projects_for_officer,
    purchasers_for_officer,
)
from .procurement_admin_forms import ProcurementProjectForm, PurchaserForm

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
    list_export = ["title", "kind", "year", "region", "status", "budget", "max_amount", "awarded_total",
                   "application_count", "opens_at", "closes_at"]
    export_headings = {"application_count": "申报数"}
    export_filename = "资助计划"
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
    list_export = ["number", "project_title", "organization", "region", "call", "status", "requested_amount", "score",
                   "beneficiaries_target", "starts_on", "ends_on", "submitted_at"]
    export_filename = "资助申报"
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
    list_export = ["name", "level", "region", "operator", "address", "contact_phone", "capacity", "residents",
                   "is_active", "created_at"]
    export_filename = "孵化基地"
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


# --- 政府购买服务 ------------------------------------------------------------------------------------------
class ServiceCategoryPolicy(ByRolePolicy):
    """Officers read the guiding catalogue; only a superuser keeps it (财政部令第102号 Art. 9–11)."""

    actions = {"view": "officer", "add": "superuser", "change": "superuser"}


class PurchaserPolicy(ByRolePolicy):
    """Officers add purchasers and edit those of their jurisdiction."""

    actions = {"view": "officer", "add": "officer", "change": "officer"}

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "change":
            return is_officer(user) and purchasers_for_officer(user).filter(pk=instance.pk).exists()
        return self.user_has_permission(user, action)

    def instances_user_has_permission_for(self, user, action):
        return purchasers_for_officer(user) if is_officer(user) else Purchaser.objects.none()


class ProjectPolicy(ByRolePolicy):
    """Officers add projects and edit the planned ones of their jurisdiction; an announced project is never
    edited or deleted (its steps go through the project page and the services)."""

    actions = {"view": "officer", "add": "officer", "change": "officer"}

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "change":
            return (is_officer(user) and may_manage_project(user, instance)
                    and instance.status in pviews.EDITABLE_PROJECTS)
        return self.user_has_permission(user, action)

    def instances_user_has_permission_for(self, user, action):
        return projects_for_officer(user) if is_officer(user) else ProcurementProject.objects.none()


class ContractPolicy(ByRolePolicy):
    """Contracts are drafted from an awarded project; officers edit the drafts of their jurisdiction."""

    actions = {"view": "officer", "change": "officer"}

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "change":
            return (is_officer(user) and may_manage_project(user, instance.project)
                    and instance.status == Contract.Status.DRAFT)
        return self.user_has_permission(user, action)

    def instances_user_has_permission_for(self, user, action):
        return contracts_for_officer(user) if is_officer(user) else Contract.objects.none()


def _datetime(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class ServiceCategoryViewSet(ModelViewSet):
    model = ServiceCategory
    icon = "list-ul"
    menu_label = _("购买服务目录")
    add_view_class = pviews.CategoryCreateView
    edit_view_class = pviews.CategoryEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    index_view_class = ExportingIndexView
    search_fields = ["code", "name"]
    list_per_page = 50
    list_export = ["code", "name", "description", "sort_order", "active"]
    export_filename = "购买服务目录"
    # The name links to the edit form for a superuser and is plain text for officers (they may only look).
    list_display = [
        Column("code", label=_("目录编码"), sort_key="code"),
        TitleColumn("name", label=_("名称"), url_name="procurement_categories:edit"),
        Column("description", label=_("说明")),
        Column("sort_order", label=_("排序"), sort_key="sort_order"),
        Column("active", label=_("可用"), accessor=lambda c: "是" if c.active else "否"),
    ]
    panels = [FieldRowPanel([FieldPanel("code"), FieldPanel("name")]), FieldPanel("description"),
              FieldRowPanel([FieldPanel("sort_order"), FieldPanel("active")])]

    def get_common_view_kwargs(self, **kwargs):
        return _no_extra_pages(self, kwargs)

    def get_urlpatterns(self):
        return _routes(self, LISTING | {"add", "edit"})


class PurchaserViewSet(ModelViewSet):
    model = Purchaser
    icon = "group"
    menu_label = _("购买主体")
    index_view_class = pviews.PurchaserIndexView
    add_view_class = pviews.PurchaserCreateView
    edit_view_class = pviews.PurchaserEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    search_fields = ["name", "contact_name"]
    list_per_page = 50
    list_export = ["name", "kind", "region", "credit_code", "address", "contact_name", "contact_phone"]
    export_filename = "购买主体"
    list_display = [
        TitleColumn("name", label=_("名称"), url_name="procurement_purchasers:edit"),
        Column("kind", label=_("类别"), accessor="get_kind_display"),
        Column("region", label=_("所在区划")),
        Column("contact_name", label=_("联系人")),
        Column("contact_phone", label=_("联系电话")),
    ]
    edit_handler = ObjectList([
        FieldRowPanel([FieldPanel("name"), FieldPanel("kind")]),
        FieldRowPanel([FieldPanel("region"), FieldPanel("credit_code")]),
        FieldPanel("address"),
        FieldRowPanel([FieldPanel("contact_name"), FieldPanel("contact_phone")]),
    ], base_form_class=PurchaserForm)

    def get_common_view_kwargs(self, **kwargs):
        return _no_extra_pages(self, kwargs)

    def get_urlpatterns(self):
        return _routes(self, LISTING | {"add", "edit"})


class ProcurementProjectViewSet(ModelViewSet):
    model = ProcurementProject
    icon = "clipboard-list"
    menu_label = _("采购项目")
    index_view_class = pviews.ProjectIndexView
    add_view_class = pviews.ProjectCreateView
    edit_view_class = pviews.ProjectEditView
    inspect_view_class = pviews.ProjectInspectView
    inspect_view_enabled = True
    inspect_view_fields = ["number"]  # the page is the template's own
    copy_view_enabled = False
    filterset_class = pviews.ProjectFilterSet
    search_fields = ["number", "title"]
    list_per_page = 30
    # No bid figure in the list: bids are shown only on the project page, and only once unsealed.
    list_export = ["number", "title", "purchaser", "region", "category", "method", "status", "budget", "budget_line",
                   "service_period", "bids_open_at", "bids_close_at", "announced_at", "awarded_at"]
    export_filename = "采购项目"
    list_display = [
        TitleColumn("number", label=_("项目编号"), url_name="procurement_projects:inspect"),
        Column("title", label=_("项目名称")),
        Column("purchaser", label=_("购买主体")),
        Column("category", label=_("目录项")),
        Column("method", label=_("采购方式"), accessor="get_method_display"),
        Column("status", label=_("状态"), accessor="get_status_display"),
        views.yuan_column("budget", _("预算")),
        Column("bids_close_at", label=_("投标截止"), sort_key="bids_close_at",
               accessor=lambda p: _datetime(p.bids_close_at)),
    ]
    edit_handler = ObjectList([
        MultiFieldPanel([FieldPanel("title"), FieldRowPanel([FieldPanel("purchaser"), FieldPanel("category")]),
                         FieldRowPanel([FieldPanel("method"), FieldPanel("service_period")]),
                         FieldPanel("description")], heading=_("基本信息")),
        MultiFieldPanel([FieldRowPanel([FieldPanel("budget"), FieldPanel("price_weight")]),
                         FieldPanel("budget_line")], heading=_("预算与评分")),
        MultiFieldPanel([FieldRowPanel([FieldPanel("bids_open_at"), FieldPanel("bids_close_at")])],
                        heading=_("投标时间")),
        MultiFieldPanel([FieldPanel("eligible_kinds"), FieldPanel("exclude_credit_listed"), FieldPanel("min_grade")],
                        heading=_("投标资格")),
        InlinePanel("criteria", label=_("技术评分项"), heading=_("技术评分细则（分值合计 100 分）"),
                    panels=[FieldRowPanel([FieldPanel("name"), FieldPanel("weight")]), FieldPanel("description")]),
    ], base_form_class=ProcurementProjectForm)

    def get_common_view_kwargs(self, **kwargs):
        return _no_extra_pages(self, kwargs)

    def get_urlpatterns(self):
        return _routes(self, LISTING | {"add", "edit", "inspect"}, [
            path("export/", pviews.export, name="export"),
            path("documents/<int:pk>/", pviews.project_document, name="document"),
            path("bid-documents/<int:pk>/", pviews.bid_document, name="bid_document"),
        ])


class ContractViewSet(ModelViewSet):
    model = Contract
    icon = "doc-full"
    menu_label = _("购买服务合同")
    index_view_class = pviews.ContractIndexView
    inspect_view_class = pviews.ContractInspectView
    inspect_view_enabled = True
    inspect_view_fields = ["number"]  # the page is the template's own
    copy_view_enabled = False
    filterset_class = pviews.ContractFilterSet
    search_fields = ["number", "title"]
    form_fields = ["title"]  # required by ModelViewSet; the generic form views are not routed
    list_per_page = 30
    list_export = ["number", "title", "project", "organization", "region", "status", "value", "paid_total",
                   "signed_on", "starts_on", "ends_on"]
    export_headings = {"project": "采购项目", "region": "辖区"}
    export_filename = "购买服务合同"
    list_display = [
        TitleColumn("number", label=_("合同编号"), url_name="procurement_contracts:inspect"),
        Column("title", label=_("合同名称")),
        Column("organization", label=_("承接主体")),
        Column("status", label=_("状态"), accessor="get_status_display"),
        views.yuan_column("value", _("合同价格")),
        views.yuan_column("paid_total", _("已支付")),
        Column("ends_on", label=_("服务结束"), sort_key="ends_on",
               accessor=lambda c: c.ends_on.strftime("%Y-%m-%d") if c.ends_on else "—"),
    ]

    @property
    def contract_edit_view(self):
        return self.construct_view(pviews.ContractEditView, **self.get_inspect_view_kwargs(
            template_name=pviews.ContractEditView.template_name))

    def get_common_view_kwargs(self, **kwargs):
        return _no_extra_pages(self, kwargs, add_url_name=None)

    def get_urlpatterns(self):
        return _routes(self, LISTING | {"inspect"}, [
            path("edit/<int:pk>/", self.contract_edit_view, name="edit"),
            path("evidence/<int:pk>/", pviews.delivery_evidence, name="evidence"),
        ])


register_permission_policy(FundingCall, CallPolicy(FundingCall))
register_permission_policy(GrantApplication, OfficerViewPolicy(GrantApplication))
register_permission_policy(IncubationBase, BasePolicy(IncubationBase))
register_permission_policy(ServiceCategory, ServiceCategoryPolicy(ServiceCategory))
register_permission_policy(Purchaser, PurchaserPolicy(Purchaser))
register_permission_policy(ProcurementProject, ProjectPolicy(ProcurementProject))
register_permission_policy(Contract, ContractPolicy(Contract))


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


class ProcurementGroup(ViewSetGroup):
    menu_label = _("政府购买服务")
    menu_icon = "clipboard-list"
    menu_order = 215
    items = (
        ProcurementProjectViewSet("procurement_projects", url_prefix="procurement-projects"),
        ContractViewSet("procurement_contracts", url_prefix="procurement-contracts"),
        PurchaserViewSet("procurement_purchasers", url_prefix="procurement-purchasers"),
        ServiceCategoryViewSet("procurement_categories", url_prefix="procurement-categories"),
    )


@hooks.register("register_admin_viewset")
def register_procurement():
    return ProcurementGroup()
