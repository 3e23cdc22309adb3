"""The views of the officers' 孵化资助 admin (registered in grants/wagtail_hooks.py): funding calls with their
ranking board, grant applications with every step after submission, incubation bases with their residents, the
private-file downloads and the spreadsheet exports.

Everything is scoped to the officer's jurisdiction first (grants.permissions); an id outside it answers 404. The
views only validate input and call a service with ``acting_user``; a refusal (DomainError) comes back in Chinese
next to the field it concerns, with what was typed kept (400), never as a 500."""

from decimal import Decimal

import django_filters
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Count, Prefetch, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, EditView, InspectView
from wagtail.admin.widgets.button import Button

from core import audit
from core.admin_exports import ExportingIndexView
from core.exceptions import DomainError, PermissionDenied
from core.files import download
from core.models import Region
from core.money import format_yuan, to_yuan
from core.permissions import ASCII_ID, id_or_404

from . import exports, incubation, services
from .admin_forms import (
    PENDING_REVIEWS,
    AdmitForm,
    AgreementForm,
    AssessReportForm,
    AssignReviewersForm,
    AwardForm,
    BeginScreeningForm,
    ClawbackForm,
    DeclineForm,
    FinishCallForm,
    LeaveForm,
    PayTrancheForm,
    ReturnReportForm,
    ScreenForm,
    ServiceForm,
    WithdrawReviewForm,
)
from .models import (
    ApplicationDocument,
    Award,
    FundingCall,
    GrantApplication,
    GrantReport,
    IncubationBase,
    ReportDocument,
    Residency,
    ReviewScore,
    Tranche,
)
from .permissions import (
    applications_for_officer,
    bases_for_officer,
    calls_for_officer,
    may_manage_base,
    may_manage_call,
    residencies_for_officer,
)

Status = GrantApplication.Status
EDITABLE_CALLS = {FundingCall.Status.DRAFT}  # once published, applicants rely on the rules as they stand
EXPORTS = [("calls", _("资助计划")), ("applications", _("资助申报")), ("awards", _("资助")), ("payments", _("拨付记录"))]




def export_url(what: str, fmt: str = "xlsx", **params) -> str:
    query = {"what": what, "format": fmt, **{k: v for k, v in params.items() if v not in (None, "")}}
    return reverse("grant_calls:export") + "?" + urlencode(query)


def yuan_column(name, label, attribute=None):
    attribute = attribute or name
    return Column(name, label=label, accessor=lambda obj: format_yuan(getattr(obj, attribute)) if getattr(obj, attribute) is not None else "—")


# --- 资助计划 ----------------------------------------------------------------------------------------------
class CallFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=FundingCall.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("资助类型"), choices=FundingCall.Kind.choices)
    year = django_filters.NumberFilter(label=_("年度"))

    class Meta:
        model = FundingCall
        fields = ["status", "kind", "year"]


class CallIndexView(ExportingIndexView):
    def get_base_queryset(self):
        return calls_for_officer(self.request.user).annotate(
            application_count=Count("applications", filter=~Q(applications__status=Status.DRAFT)))

    def get_edit_url(self, instance):
        if instance.status in EDITABLE_CALLS and may_manage_call(self.request.user, instance):
            return super().get_edit_url(instance)
        return None

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        year = self.request.GET.get("year", "")
        year = year if ASCII_ID.fullmatch(year) else None
        for order, (what, label) in enumerate(EXPORTS):
            buttons.append(Button(_("导出%(what)s（XLSX）") % {"what": label}, url=export_url(what, year=year),
                                  icon_name="download", priority=90 + order))
            buttons.append(Button(_("导出%(what)s（CSV）") % {"what": label}, url=export_url(what, "csv", year=year),
                                  icon_name="download", priority=95 + order))
        return buttons


class CallCreateView(CreateView):
    @transaction.atomic  # the call, its rubric and checklist, and the audit row together, or none of them
    def save_instance(self):
        return services.call_created(super().save_instance(), acting_user=self.request.user)

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except DomainError as error:
            form.add_error("region" if isinstance(error, PermissionDenied) else None, error.message)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)

    def get_success_url(self):
        return reverse("grant_calls:inspect", args=[self.object.pk])


AUDITED_CALL_FIELDS = ["title", "kind", "year", "region_id", "budget", "max_amount", "opens_at", "closes_at",
                       "eligible_kinds", "max_months_established", "min_months_established", "exclude_credit_listed",
                       "require_residency", "tranche_agreement_percent", "tranche_midterm_percent",
                       "tranche_final_percent", "band_a", "band_b"]


class CallEditView(EditView):
    def get_object(self, queryset=None):
        # Only drafts of the officer's jurisdiction: a published call answers 404 here.
        editable = calls_for_officer(self.request.user).filter(status__in=EDITABLE_CALLS)
        call = get_object_or_404(editable, pk=unquote(str(self.kwargs[self.pk_url_kwarg])))
        self.before = {field: getattr(call, field) for field in AUDITED_CALL_FIELDS}
        return call

    @transaction.atomic  # the change and its audit row together
    def save_instance(self):
        call = super().save_instance()
        audit.record("grants.call.edit", actor=self.request.user, obj=call, region=call.region, before=self.before,
                     after={**{field: getattr(call, field) for field in AUDITED_CALL_FIELDS},
                            "criteria": [(c.name, c.weight) for c in call.criteria.all()],
                            "documents": [d.name for d in call.required_documents.all()]})
        return call

    def get_success_url(self):
        return reverse("grant_calls:inspect", args=[self.object.pk])


class CallInspectView(InspectView):
    """The call: rules, rubric, checklist, budget, 发布 / 结束, its applications and the ranking board with
    批量资助 (all or nothing), and the export links."""

    template_name = "grants/admin/call.html"

    def get_object(self, queryset=None):
        return get_object_or_404(calls_for_officer(self.request.user), pk=unquote(str(self.pk)))

    def get_edit_url(self):
        if self.object.status in EDITABLE_CALLS and may_manage_call(self.request.user, self.object):
            return reverse("grant_calls:edit", args=[self.object.pk])
        return None

    def post(self, request, *args, **kwargs):
        call = self.object
        action = request.POST.get("action")
        if action == "award":
            return self.bulk_award(request)
        if action == "finish":
            form = FinishCallForm(request.POST, prefix="finish")
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(finish_form=form), status=400)
        try:
            if action == "publish":
                services.publish_call(call, acting_user=request.user)
                messages.success(request, "资助计划已发布，符合条件的组织可在申报期内申报。")
            elif action == "finish":
                services.finish_call(call, acting_user=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, "资助计划已结束，未获资助的申报已通知申报组织。")
            else:
                messages.error(request, "无法识别的操作，请刷新页面后重试。")
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("grant_calls:inspect", call.pk)

    def bulk_award(self, request):
        """批量资助: the ticked applications, best ranked first, each with its amount (default: the request)."""
        call = self.object
        selected = set(request.POST.getlist("selected"))
        ranked = list(services.ranking(call))
        known = {str(a.pk) for a in ranked}
        errors, choices = [], []
        if not selected:
            errors.append("请至少勾选一项申报。")
        if selected - known:
            errors.append("所选申报不在本计划的评审排名中，请刷新页面后重试。")
        for application in ranked:
            if str(application.pk) not in selected:
                continue
            raw = (request.POST.get(f"amount-{application.pk}") or "").strip().replace(",", "")
            try:
                amount = to_yuan(Decimal(raw)) if raw else application.requested_amount
                if not amount.is_finite():
                    raise ArithmeticError(raw)
            except ArithmeticError:
                errors.append(f"申报 {application.number} 的资助金额“{raw}”不是正确的金额。")
                continue
            choices.append((application, amount))
        if not errors:
            try:
                awards = services.award_in_bulk(call, choices, acting_user=request.user)
            except DomainError as error:
                errors.append(error.message)
            else:
                total = sum(award.amount for award in awards)
                messages.success(request, f"已资助 {len(awards)} 项，合计 {format_yuan(total)}。")
                return redirect("grant_calls:inspect", call.pk)
        typed = {str(a.pk): request.POST.get(f"amount-{a.pk}", "") for a in ranked}
        return self.render_to_response(
            self.get_context_data(board_errors=errors, board_selected=selected, board_amounts=typed), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        call = self.object
        manager = may_manage_call(self.request.user, call)
        selected = kwargs.get("board_selected", set())
        typed = kwargs.get("board_amounts", {})
        board = []
        for application in services.ranking(call):
            key = str(application.pk)
            board.append({
                "application": application,
                "selectable": manager and application.status == Status.SCORED,
                "checked": key in selected,
                "amount": typed.get(key) or f"{application.requested_amount:.2f}",
            })
        percent = int(call.awarded_total * 100 / call.budget) if call.budget else 0
        applications = (call.applications.exclude(status=Status.DRAFT).select_related("organization", "region")
                        .order_by("number"))
        context.update({
            "call": call,
            "manager": manager,
            "call_open": call.is_open(),
            "criteria": call.criteria.all(),
            "documents": call.required_documents.all(),
            "awarded_percent": min(percent, 100),
            "applications": applications,
            "status_counts": [(Status(row["status"]).label, row["n"]) for row in
                              applications.order_by("status").values("status").annotate(n=Count("pk"))],
            "board": board,
            "board_errors": kwargs.get("board_errors", []),
            "scored_waiting": any(row["selectable"] for row in board),
            "problems": list(services.call_problems(call).values()) if call.status in EDITABLE_CALLS else [],
            "history": call.history.select_related("actor"),
            "finish_form": kwargs.get("finish_form") or FinishCallForm(prefix="finish"),
            "edit_url": self.get_edit_url(),
            "exports": [(label, export_url(what, call=call.pk), export_url(what, "csv", call=call.pk))
                        for what, label in EXPORTS],
            "applications_url": reverse("grant_applications:index") + f"?call={call.pk}",
        })
        return context


def export(request):
    """grant_calls:export — ?what=calls|applications|awards|payments&format=xlsx|csv[&call=<id>][&year=<n>];
    ``what`` defaults to calls and ``format`` to xlsx. A call outside the officer's scope answers 404."""
    what = request.GET.get("what") or "calls"
    fmt = request.GET.get("format", "xlsx")
    if what not in exports.KINDS or fmt not in ("xlsx", "csv"):
        raise Http404("没有这种导出。")
    call = None
    if request.GET.get("call"):
        call = get_object_or_404(calls_for_officer(request.user), pk=id_or_404(request.GET["call"]))
    year = request.GET.get("year", "")
    sheet = exports.sheet_for(what, request.user, call=call, year=int(year) if ASCII_ID.fullmatch(year) else None)
    return exports.attachment(sheet, fmt, exports.filename(sheet, fmt, call))


# --- 资助申报 ----------------------------------------------------------------------------------------------
class ApplicationFilterSet(WagtailFilterSet):
    call = django_filters.ModelChoiceFilter(
        label=_("资助计划"),
        queryset=lambda request: calls_for_officer(request.user) if request else FundingCall.objects.none(),
    )
    status = django_filters.ChoiceFilter(label=_("状态"),
                                         choices=[c for c in Status.choices if c[0] != Status.DRAFT])
    district = django_filters.ModelChoiceFilter(
        label=_("区（市、县）"), queryset=Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"),
        method="filter_district",
    )

    class Meta:
        model = GrantApplication
        fields = ["call", "status", "district"]

    def filter_district(self, queryset, name, value):
        return queryset.filter(region__path__startswith=value.path)


class ApplicationIndexView(ExportingIndexView):
    def get_base_queryset(self):
        return applications_for_officer(self.request.user).select_related("call", "organization")


def _begin(view, form):
    services.begin_screening(view.object, acting_user=view.request.user)
    return "已受理，申报进入资格审查。"


def _screen(view, form):
    passed = form.cleaned_data["decision"] == "pass"
    services.screen(view.object, acting_user=view.request.user, passed=passed, note=form.cleaned_data["note"])
    return "资格审查通过，申报进入专家评审。" if passed else "资格审查不通过，已通知申报组织。"


def _assign(view, form):
    created = services.assign_reviewers(view.object, list(form.cleaned_data["reviewers"]), acting_user=view.request.user)
    return f"已分配 {len(created)} 位评审专家，并通知其评审。"


def _withdraw(view, form):
    review = form.cleaned_data["review"]
    services.withdraw_review(review, acting_user=view.request.user, reason=form.cleaned_data["reason"])
    return f"已撤回{review.reviewer.name or review.reviewer}的评审任务。"


def _award(view, form):
    award = services.award(view.object, acting_user=view.request.user, amount=form.cleaned_data["amount"],
                           note=form.cleaned_data["note"])
    return f"已资助 {format_yuan(award.amount)}，请与申报组织签订资助协议。"


def _decline(view, form):
    services.decline(view.object, acting_user=view.request.user, reason=form.cleaned_data["reason"])
    return "已作出不予资助决定，并通知申报组织。"


def _sign(view, form):
    services.sign_agreement(view.award, acting_user=view.request.user, number=form.cleaned_data["number"],
                            signed_on=form.cleaned_data["signed_on"])
    return "资助协议已登记，可拨付第 1 期资金。"


def _pay(view, form):
    tranche = form.cleaned_data["tranche"]
    disbursement = services.pay_tranche(tranche, acting_user=view.request.user, paid_on=form.cleaned_data["paid_on"],
                                        reference=form.cleaned_data["reference"])
    return f"第 {tranche.sequence} 期 {format_yuan(disbursement.amount)} 已拨付。"


def _clawback(view, form):
    disbursement = services.claw_back(view.award, acting_user=view.request.user, amount=form.cleaned_data["amount"],
                                      reason=form.cleaned_data["reason"], paid_on=form.cleaned_data["paid_on"])
    return f"已登记追回 {format_yuan(-disbursement.amount)}。"


def _assess(view, form, report):
    report = services.assess_report(report, acting_user=view.request.user, score=form.cleaned_data["score"],
                                    assessment=form.cleaned_data["assessment"])
    return f"{report.get_kind_display()}评定为 {report.get_grade_display()}。"


def _return(view, form, report):
    services.return_report(report, acting_user=view.request.user, reason=form.cleaned_data["reason"])
    return f"{report.get_kind_display()}已退回申报组织修改。"


# action → (form class, service call, the field a refusal is shown by)
APPLICATION_ACTIONS = {
    "begin": (BeginScreeningForm, _begin, None),
    "screen": (ScreenForm, _screen, None),
    "assign": (AssignReviewersForm, _assign, "reviewers"),
    "withdraw": (WithdrawReviewForm, _withdraw, "reason"),
    "award": (AwardForm, _award, "amount"),
    "decline": (DeclineForm, _decline, "reason"),
    "sign": (AgreementForm, _sign, None),
    "pay": (PayTrancheForm, _pay, None),
    "clawback": (ClawbackForm, _clawback, "amount"),
}
REPORT_ACTIONS = {
    "assess": (AssessReportForm, _assess, None),
    "return": (ReturnReportForm, _return, "reason"),
}


class ApplicationInspectView(InspectView):
    """Everything an officer needs about one application, and a small form per step the services allow now."""

    template_name = "grants/admin/application.html"

    def get_object(self, queryset=None):
        queryset = applications_for_officer(self.request.user).select_related(
            "call", "call__region", "organization", "region", "applicant")
        return get_object_or_404(queryset, pk=unquote(str(self.pk)))

    @cached_property
    def award(self):
        return Award.objects.filter(application=self.object).first()

    def available(self) -> dict[str, bool]:
        status, award = self.object.status, self.award
        pending = award is not None and award.tranches.filter(status=Tranche.Status.PENDING).exists()
        return {
            "begin": status == Status.SUBMITTED,
            "screen": status in (Status.SUBMITTED, Status.SCREENING),
            "assign": status in (Status.REVIEWING, Status.SCORED),
            "withdraw": status == Status.REVIEWING and self.object.reviews.filter(status__in=PENDING_REVIEWS).exists(),
            "award": status == Status.SCORED,
            "decline": status in (Status.SUBMITTED, Status.SCREENING, Status.REVIEWING, Status.SCORED),
            "sign": award is not None and status == Status.AWARDED,
            "pay": pending and status in (Status.AGREEMENT, Status.IN_PROGRESS, Status.COMPLETED),
            "clawback": award is not None and award.paid_total > 0,
        }

    def make_form(self, action, data=None, report=None):
        form_class = (REPORT_ACTIONS if report is not None else APPLICATION_ACTIONS)[action][0]
        prefix = f"{action}-{report.pk}" if report is not None else action
        kwargs = {"prefix": prefix}
        if form_class in (AssignReviewersForm, WithdrawReviewForm):
            kwargs["application"] = self.object
        if form_class is PayTrancheForm:
            kwargs["award"] = self.award
        form = form_class(data, **kwargs)
        if data is None and form_class is AwardForm:
            form.initial["amount"] = self.object.requested_amount
        if data is None and form_class is PayTrancheForm and self.award is not None:
            first = form.fields["tranche"].queryset.first()
            form.initial["tranche"] = first.pk if first else None
        return form

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        report = None
        if action in REPORT_ACTIONS:
            report = get_object_or_404(GrantReport.objects.filter(application=self.object),
                                       pk=id_or_404(request.POST.get("report", "")))
            _form_class, run, field = REPORT_ACTIONS[action]
        elif action in APPLICATION_ACTIONS:
            if not self.available()[action]:
                messages.error(request, "该申报当前不能办理这一步，请刷新页面查看最新状态。")
                return redirect("grant_applications:inspect", self.object.pk)
            _form_class, run, field = APPLICATION_ACTIONS[action]
        else:
            messages.error(request, "无法识别的操作，请刷新页面后重试。")
            return redirect("grant_applications:inspect", self.object.pk)
        form = self.make_form(action, request.POST, report)
        if form.is_valid():
            try:
                done = run(self, form, report) if report is not None else run(self, form)
            except DomainError as error:
                form.add_error(field, error.message)
            else:
                messages.success(request, done)
                return redirect("grant_applications:inspect", self.object.pk)
        self.object.refresh_from_db()
        return self.render_to_response(self.get_context_data(bound=(action, report, form)), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application, award = self.object, self.award
        bound_action, bound_report, bound_form = kwargs.get("bound") or (None, None, None)
        available = self.available()
        forms = {}
        for action in APPLICATION_ACTIONS:
            if bound_report is None and action == bound_action:
                forms[action] = bound_form
            elif available[action]:
                forms[action] = self.make_form(action)
        reports = list(application.reports.prefetch_related("documents").select_related("assessed_by"))
        for report in reports:
            for action in REPORT_ACTIONS:
                if bound_report is not None and report.pk == bound_report.pk and action == bound_action:
                    setattr(report, f"{action}_form", bound_form)
                elif report.status == GrantReport.Status.SUBMITTED:
                    setattr(report, f"{action}_form", self.make_form(action, report=report))
        tranches, disbursements = [], []
        if award is not None:
            for tranche in award.tranches.all():
                tranche.award = award
                holds, why = services.condition_holds(tranche)
                tranches.append({"tranche": tranche, "holds": holds, "why": "" if holds else why})
            disbursements = award.disbursements.select_related("tranche", "recorded_by")
        lines = application.budget_lines.all()
        reviews = application.reviews.select_related("reviewer", "declaration").prefetch_related(
            Prefetch("scores", queryset=ReviewScore.objects.select_related("criterion")))
        context.update({
            "application": application,
            "call": application.call,
            "organization": application.organization,
            "budget_lines": lines,
            "budget_total": lines.aggregate(total=Sum("amount"))["total"] or Decimal("0"),
            "documents": application.documents.select_related("requirement"),
            "eligibility": application.eligibility or [],
            "history": application.history.select_related("actor"),
            "reviews": reviews,
            "award": award,
            "tranches": tranches,
            "disbursements": disbursements,
            "reports": reports,
            "forms": forms,
            "call_url": reverse("grant_calls:inspect", args=[application.call_id])
            if calls_for_officer(self.request.user).filter(pk=application.call_id).exists() else "",
        })
        return context


def application_document(request, pk: int):
    """grant_applications:document — an application's file, streamed from private storage to an officer in scope."""
    document = get_object_or_404(
        ApplicationDocument.objects.filter(application__in=applications_for_officer(request.user)), pk=pk)
    return download(document)


def report_document(request, pk: int):
    """grant_applications:report_document — a report's evidence, streamed to an officer in scope."""
    document = get_object_or_404(
        ReportDocument.objects.filter(report__application__in=applications_for_officer(request.user)), pk=pk)
    return download(document)




# --- 孵化基地 ----------------------------------------------------------------------------------------------
class BaseFilterSet(WagtailFilterSet):
    level = django_filters.ChoiceFilter(label=_("层级"), choices=IncubationBase.Level.choices)
    is_active = django_filters.BooleanFilter(label=_("运营中"))

    class Meta:
        model = IncubationBase
        fields = ["level", "is_active"]


class BaseIndexView(ExportingIndexView):
    def get_base_queryset(self):
        return bases_for_officer(self.request.user)


BASE_FIELDS = ["name", "level", "region_id", "operator", "capacity", "is_active"]


class BaseCreateView(CreateView):
    @transaction.atomic  # the base and its audit row together
    def save_instance(self):
        base = super().save_instance()
        audit.record("incubation.base.create", actor=self.request.user, obj=base, region=base.region,
                     after={field: getattr(base, field) for field in BASE_FIELDS})
        return base

    def get_success_url(self):
        return reverse("incubation_bases:inspect", args=[self.object.pk])


class BaseEditView(EditView):
    def get_object(self, queryset=None):
        base = get_object_or_404(bases_for_officer(self.request.user), pk=unquote(str(self.kwargs[self.pk_url_kwarg])))
        self.before = {field: getattr(base, field) for field in BASE_FIELDS}
        return base

    @transaction.atomic  # the change and its audit row together
    def save_instance(self):
        base = super().save_instance()
        audit.record("incubation.base.edit", actor=self.request.user, obj=base, region=base.region,
                     before=self.before, after={field: getattr(base, field) for field in BASE_FIELDS})
        return base

    def get_success_url(self):
        return reverse("incubation_bases:inspect", args=[self.object.pk])


class BaseInspectView(InspectView):
    """The base, its residents with the services they received, its history, and the 入驻 / 登记服务 / 出壳
    forms (POST here; the incubation services do the work)."""

    template_name = "grants/admin/base.html"

    def get_object(self, queryset=None):
        return get_object_or_404(bases_for_officer(self.request.user), pk=unquote(str(self.pk)))

    def get_edit_url(self):
        if may_manage_base(self.request.user, self.object):
            return reverse("incubation_bases:edit", args=[self.object.pk])
        return None

    def post(self, request, *args, **kwargs):
        base = self.object
        action = request.POST.get("action", "")
        residency = None
        if action in ("service", "leave"):
            residency = get_object_or_404(residencies_for_officer(request.user).filter(base=base),
                                          pk=id_or_404(request.POST.get("residency", "")))
        if action == "admit":
            form = AdmitForm(request.POST, prefix="admit", user=request.user)
        elif action == "service":
            form = ServiceForm(request.POST, prefix=f"service-{residency.pk}")
        elif action == "leave":
            form = LeaveForm(request.POST, prefix=f"leave-{residency.pk}")
        else:
            messages.error(request, "无法识别的操作，请刷新页面后重试。")
            return redirect("incubation_bases:inspect", base.pk)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "admit":
                    admitted = incubation.admit(base, form.organization_obj, acting_user=request.user,
                                                admitted_on=data["admitted_on"], planned_until=data["planned_until"],
                                                note=data["note"])
                    done = f"{admitted.organization.name}已入驻{base.name}。"
                elif action == "service":
                    incubation.log_service(residency, acting_user=request.user, kind=data["kind"],
                                           provided_on=data["provided_on"], description=data["description"],
                                           hours=data["hours"])
                    done = f"已为{residency.organization.name}登记孵化服务。"
                else:
                    graduated = data["how"] == "graduated"
                    incubation.leave(residency, acting_user=request.user, left_on=data["left_on"], graduated=graduated,
                                     outcome=data["outcome"], assessment=data["assessment"])
                    done = f"{residency.organization.name}已{'出壳' if graduated else '退出'}。"
            except DomainError as error:  # CapacityExceeded among them: shown at the head of the form
                form.add_error(None, error.message)
            else:
                messages.success(request, done)
                return redirect("incubation_bases:inspect", base.pk)
        self.object.refresh_from_db()
        return self.render_to_response(self.get_context_data(bound=(action, residency, form)), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        base = self.object
        bound_action, bound_residency, bound_form = kwargs.get("bound") or (None, None, None)
        manager = may_manage_base(self.request.user, base)
        residencies = base.residencies.select_related("organization", "admitted_by").prefetch_related("services")
        current = [r for r in residencies if r.status == Residency.Status.RESIDENT]
        for residency in current:
            for action, form_class in (("service", ServiceForm), ("leave", LeaveForm)):
                if bound_residency is not None and residency.pk == bound_residency.pk and action == bound_action:
                    form = bound_form
                else:
                    form = form_class(prefix=f"{action}-{residency.pk}")
                setattr(residency, f"{action}_form", form)
        context.update({
            "base": base,
            "manager": manager,
            "current": current,
            "past": [r for r in residencies if r.status != Residency.Status.RESIDENT],
            "admit_form": bound_form if bound_action == "admit" else AdmitForm(prefix="admit", user=self.request.user),
            "edit_url": self.get_edit_url(),
        })
        return context
