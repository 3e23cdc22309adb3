"""The officers' queue of registration and filing applications in the Wagtail admin: scoped to the officer's
jurisdiction, filterable, with the statutory countdown, and a review page whose buttons call the services."""

import django_filters
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from core import audit
from core.admin_exports import ExportingIndexView
from core.admin_policies import OfficerViewPolicy
from core.exceptions import DomainError
from core.models import Region
from core.permissions import jurisdiction_q

from . import applications as services
from . import credit
from .forms import DecisionForm
from .models import AnnualReport, Application
from .permissions import may_decide

NEAR_DAYS = 7  # an open item with this many days or fewer left is highlighted


class ApplicationFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=Application.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("事项"), choices=Application.Kind.choices)
    district = django_filters.ModelChoiceFilter(
        label=_("区（市、县）"), queryset=Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"),
        method="filter_district",
    )
    overdue = django_filters.ChoiceFilter(
        label=_("期限"), method="filter_overdue",
        choices=[("overdue", _("已超期")), ("near", _("7 日内到期"))],
    )

    class Meta:
        model = Application
        fields = ["status", "kind", "district", "overdue"]

    def filter_district(self, queryset, name, value):
        return queryset.filter(region__path__startswith=value.path)

    def filter_overdue(self, queryset, name, value):
        today = timezone.localdate()
        open_items = queryset.filter(status__in=Application.OPEN)
        if value == "overdue":
            return open_items.filter(due_on__lt=today)
        return open_items.filter(due_on__gte=today, due_on__lte=today + timezone.timedelta(days=NEAR_DAYS))


class CountdownColumn(Column):
    def get_value(self, instance):
        days = instance.days_left()
        if days is None:
            return "—"
        if days < 0:
            return format_html('<span class="w-status w-status--label" style="background:#c0152f;color:#fff">超期 {} 天</span>', -days)
        if days <= NEAR_DAYS:
            return format_html('<span class="w-status w-status--label" style="background:#f0a500">剩余 {} 天</span>', days)
        return f"剩余 {days} 天"


def queue_for(user):
    """Submitted applications in the officer's jurisdiction (everything, for a superuser). Not the
    applications an officer made as a private person: those live in their own workspace."""
    queryset = Application.objects.exclude(status=Application.Status.DRAFT)
    if not user.is_superuser:
        queryset = queryset.filter(jurisdiction_q(user, "region"))
    return queryset.select_related("region")


class QueueIndexView(ExportingIndexView):
    def get_base_queryset(self):
        return queue_for(self.request.user).order_by("due_on", "-submitted_at")


class ReviewView(InspectView):
    template_name = "orgs/admin/review.html"

    def get_object(self, queryset=None):
        return get_object_or_404(
            queue_for(self.request.user), pk=unquote(str(self.pk))
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.object
        # The review page shows the applicant's phone number and the legal representative's ID number unmasked to
        # the officer of the jurisdiction (who may need to call the applicant); every such view is recorded.
        shown = ["applicant.phone"] + (["legal_representative_id_number"] if application.legal_representative_id_number else [])
        audit.record("personal_data.view", actor=self.request.user, obj=application, after={"fields": shown})
        context.update({
            "application": application,
            "documents": application.documents.select_related("uploaded_by"),
            "history": application.history.select_related("actor"),
            "may_decide": may_decide(self.request.user, application),
            "decide_url": reverse("org_applications:decide", args=[application.pk]),
            "certificates": application.certificates.all(),
            "days_left": application.days_left(),
        })
        return context


class ApplicationViewSet(ModelViewSet):
    model = Application
    icon = "doc-full-inverse"
    menu_label = _("登记备案审批")
    menu_order = 200
    add_to_admin_menu = True
    index_view_class = QueueIndexView
    inspect_view_class = ReviewView
    inspect_view_enabled = True
    copy_view_enabled = False
    filterset_class = ApplicationFilterSet
    form_fields = ["decision_reason"]  # required by ModelViewSet; the form views are not routed
    list_per_page = 30
    list_export = ["name", "kind", "org_kind", "region", "status", "submitted_at", "accepted_at", "due_on", "decided_at"]
    export_headings = {
        "name": "名称", "kind": "事项", "org_kind": "组织类型", "region": "区划", "status": "状态",
        "submitted_at": "提交时间", "accepted_at": "受理时间", "due_on": "法定办结期限", "decided_at": "决定时间",
    }
    export_filename = "登记备案申请"
    list_display = [
        TitleColumn("name", label=_("名称"), url_name="org_applications:inspect"),
        Column("kind", label=_("事项"), accessor="get_kind_display"),
        Column("region", label=_("区划")),
        Column("status", label=_("状态"), accessor="get_status_display"),
        DateColumn("submitted_at", label=_("提交时间"), sort_key="submitted_at"),
        CountdownColumn("due_on", label=_("法定期限"), sort_key="due_on"),
    ]

    def get_urlpatterns(self):
        allowed = {"index", "index_results", "inspect"}  # export is ?export=csv|xlsx on the index
        patterns = [p for p in super().get_urlpatterns() if p.name in allowed]
        return [*patterns, path("<int:pk>/decide/", decide, name="decide")]


def decide(request, pk: int):
    """The review page's buttons: validate, call the service, report the outcome in Chinese."""
    application = get_object_or_404(queue_for(request.user), pk=pk)
    back = redirect("org_applications:inspect", application.pk)
    if request.method != "POST":
        return back
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请求无效，请重试。")
        return back
    action, text = form.cleaned_data["action"], form.cleaned_data["text"]
    try:
        if action == "accept":
            services.accept(application, officer=request.user)
            messages.success(request, "已受理，审查期限开始计算。")
        elif action == "reject":
            services.reject_intake(application, officer=request.user, reason=text)
            messages.success(request, "已作出不予受理决定，并通知申请人。")
        elif action == "correction":
            services.request_correction(application, officer=request.user, items=text)
            messages.success(request, "已退回补正，并通知申请人。")
        elif action == "approve":
            certificate = services.approve(
                application, officer=request.user, credit_code=form.cleaned_data["credit_code"], note=text
            )
            messages.success(request, f"已准予。{('证书编号：' + certificate.number) if certificate else ''}")
        elif action == "opinion":
            services.record_committee_opinion(application, officer=request.user, opinion=text)
            messages.success(request, "已记录居（村）委会意见。")
        elif action == "deny":
            services.deny(application, officer=request.user, reason=text)
            messages.success(request, "已作出不予决定，并通知申请人。")
    except DomainError as error:
        messages.error(request, error.message)
    return back


register_permission_policy(Application, OfficerViewPolicy(Application))
application_viewset = ApplicationViewSet("org_applications", url_prefix="org-applications")


@hooks.register("register_admin_viewset")
def register_application_viewset():
    return application_viewset


class AnnualReportFilterSet(WagtailFilterSet):
    year = django_filters.NumberFilter(label=_("年度"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=AnnualReport.Status.choices)

    class Meta:
        model = AnnualReport
        fields = ["year", "status"]


def reports_for(user):
    queryset = AnnualReport.objects.exclude(status=AnnualReport.Status.DRAFT)
    if not user.is_superuser:
        queryset = queryset.filter(jurisdiction_q(user, "organization__region"))
    return queryset.select_related("organization", "organization__region")


class ReportIndexView(ExportingIndexView):
    def get_base_queryset(self):
        return reports_for(self.request.user).order_by("-year", "status", "organization__name")


class ReportReviewView(InspectView):
    template_name = "orgs/admin/annual_report.html"

    def get_object(self, queryset=None):
        return get_object_or_404(reports_for(self.request.user), pk=unquote(str(self.pk)))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["report"] = self.object
        context["decide_url"] = reverse("annual_reports:decide", args=[self.object.pk])
        context["history"] = self.object.history.select_related("actor")
        return context


class AnnualReportViewSet(ModelViewSet):
    model = AnnualReport
    icon = "calendar-check"
    menu_label = _("年度报告审核")
    menu_order = 210
    add_to_admin_menu = True
    index_view_class = ReportIndexView
    inspect_view_class = ReportReviewView
    inspect_view_enabled = True
    copy_view_enabled = False
    filterset_class = AnnualReportFilterSet
    form_fields = ["review_note"]  # required by ModelViewSet; the form views are not routed
    list_export = ["organization", "organization.region", "year", "status", "income", "government_income",
                   "expenditure", "net_assets", "staff_count", "submitted_at", "reviewed_at"]
    export_headings = {"organization": "组织", "organization.region": "所在区划"}
    export_filename = "年度报告"
    list_display = [
        TitleColumn("organization", label=_("组织"), url_name="annual_reports:inspect"),
        Column("year", label=_("年度")),
        Column("status", label=_("状态"), accessor="get_status_display"),
        DateColumn("submitted_at", label=_("报送时间"), sort_key="submitted_at"),
    ]

    def get_urlpatterns(self):
        patterns = [p for p in super().get_urlpatterns() if p.name in {"index", "index_results", "inspect"}]
        return [*patterns, path("<int:pk>/decide/", decide_report, name="decide")]


def decide_report(request, pk: int):
    report = get_object_or_404(reports_for(request.user), pk=pk)
    if request.method == "POST":
        result = request.POST.get("result", "")
        if result not in AnnualReport.ACCEPTED + [AnnualReport.Status.FAILED]:
            messages.error(request, "请选择审核结论。")
        else:
            try:
                credit.review_annual_report(report, officer=request.user, result=result, note=request.POST.get("note", ""))
                messages.success(request, "审核结论已保存。")
            except DomainError as error:
                messages.error(request, error.message)
    return redirect("annual_reports:inspect", report.pk)


register_permission_policy(AnnualReport, OfficerViewPolicy(AnnualReport))
annual_report_viewset = AnnualReportViewSet("annual_reports", url_prefix="annual-reports")


@hooks.register("register_admin_viewset")
def register_annual_report_viewset():
    return annual_report_viewset
