"""The views of the officers' 政府购买服务 admin (registered in grants/wagtail_hooks.py, menu group 政府购买服务):
the service catalogue, purchasers, procurement projects with every step from announcement to the contract draft,
and contracts with every step from signing to the performance evaluation; private-file downloads and the
spreadsheet exports.

Everything is scoped to the officer's jurisdiction first (grants.permissions); an id outside it answers 404.
Bids are read only through ``unsealed_bids``: before a project's deadline its page shows that the bids are sealed
and nothing else — no count, no price — for every officer and for superusers alike. The views only validate input
and call a service of grants.procurement with ``acting_user``; a refusal comes back in Chinese next to the field
it concerns, with what was typed kept (400), never as a 500."""

import re

import django_filters
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views.generic import CreateView, EditView, InspectView
from wagtail.admin.widgets.button import Button

from core import audit
from core.admin_exports import ExportingIndexView
from core.exceptions import DomainError, PermissionDenied
from core.files import download
from core.money import format_yuan
from core.permissions import ASCII_ID, id_or_404

from . import procurement
from . import procurement_exports as exports
from .models import (
    BidDocument,
    BidReview,
    Contract,
    DeliveryLog,
    IndicatorScore,
    Milestone,
    PerformanceEvaluation,
    ProcurementProject,
    ProjectDocument,
    ServiceCategory,
)
from .permissions import (
    contracts_for_officer,
    may_manage_project,
    projects_for_officer,
    purchasers_for_officer,
    unsealed_bids,
)
from .procurement_admin_forms import (
    PENDING_REVIEWS,
    AmendForm,
    AssignReviewersForm,
    AwardBidForm,
    ConfirmMilestoneForm,
    ContractTermsForm,
    DeliverableFormSet,
    DocumentForm,
    MatchingFundForm,
    MilestoneFormSet,
    PayMilestoneForm,
    ReasonForm,
    ReturnMilestoneForm,
    ScoreIndicatorsForm,
    SignForm,
    StartEvaluationForm,
    WithdrawBidReviewForm,
    formset_rows,
)

P = ProcurementProject.Status
C = Contract.Status
EDITABLE_PROJECTS = {P.PLANNED}  # once announced, bidders rely on the terms as published
CANCELLABLE = {P.PLANNED, P.ANNOUNCED, P.CLOSED, P.EVALUATING, P.AWARDED}
SEALED = _("投标截止前投标内容密封")
TEMPLATES = "grants/admin/procurement/"



def export_url(what: str, fmt: str = "xlsx", **params) -> str:
    query = {"what": what, "format": fmt, **{k: v for k, v in params.items() if v not in (None, "")}}
    return reverse("procurement_projects:export") + "?" + urlencode(query)


def _refused(form, error: DomainError, default=None):
    """A service refusal into the form: each field it names by that field, the rest at the head of the form."""
    errors = getattr(error, "errors", None) or {}
    if not errors:
        field = getattr(error, "field", None)
        form.add_error(field if field in form.fields else default, error.message)
        return
    for field, message in errors.items():
        form.add_error(field if field in form.fields else default, message)


# --- 购买服务目录 and 购买主体: the form saves, the service checks and files the change ------------------------
class CategoryCreateView(CreateView):
    @transaction.atomic  # the catalogue item and its audit row together
    def save_instance(self):
        return procurement.catalogue_item_saved(super().save_instance(), acting_user=self.request.user)


class CategoryEditView(EditView):
    def get_object(self, queryset=None):
        category = super().get_object(queryset)
        self.before = audit.snapshot(category, procurement.CATALOGUE_FIELDS)
        return category

    @transaction.atomic
    def save_instance(self):
        return procurement.catalogue_item_saved(super().save_instance(), acting_user=self.request.user,
                                                before=self.before)


class PurchaserIndexView(ExportingIndexView):
    def get_base_queryset(self):
        return purchasers_for_officer(self.request.user)


class PurchaserCreateView(CreateView):
    @transaction.atomic
    def save_instance(self):
        return procurement.purchaser_saved(super().save_instance(), acting_user=self.request.user)


class PurchaserEditView(EditView):
    def get_object(self, queryset=None):
        purchaser = get_object_or_404(purchasers_for_officer(self.request.user),
                                      pk=unquote(str(self.kwargs[self.pk_url_kwarg])))
        self.before = audit.snapshot(purchaser, procurement.PURCHASER_FIELDS)
        return purchaser

    @transaction.atomic
    def save_instance(self):
        return procurement.purchaser_saved(super().save_instance(), acting_user=self.request.user,
                                           before=self.before)


# --- 采购项目 ----------------------------------------------------------------------------------------------
class ProjectFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=P.choices)
    method = django_filters.ChoiceFilter(label=_("采购方式"), choices=ProcurementProject.Method.choices)
    category = django_filters.ModelChoiceFilter(label=_("目录项"), queryset=ServiceCategory.objects.all())

    class Meta:
        model = ProcurementProject
        fields = ["status", "method", "category"]


def _filters(request, names) -> dict:
    """The list filters worth passing to an export (well-formed values only; the export re-checks them)."""
    values = {}
    for name in names:
        value = request.GET.get(name, "")
        if name == "category" and not ASCII_ID.fullmatch(value):
            continue
        if value and re.fullmatch(r"[a-z_0-9]{1,20}", value):
            values[name] = value
    return values


class ProjectIndexView(ExportingIndexView):
    def get_base_queryset(self):
        return projects_for_officer(self.request.user)

    def get_edit_url(self, instance):
        if instance.status in EDITABLE_PROJECTS and may_manage_project(self.request.user, instance):
            return super().get_edit_url(instance)
        return None

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        filters = _filters(self.request, ("status", "method", "category"))
        buttons.append(Button(_("导出采购项目（XLSX）"), url=export_url("projects", **filters), icon_name="download",
                              priority=90))
        buttons.append(Button(_("导出采购项目（CSV）"), url=export_url("projects", "csv", **filters),
                              icon_name="download", priority=95))
        return buttons


class ProjectSaveMixin:
    """A refusal of the service (another jurisdiction's purchaser, a project no longer planned) comes back on
    the form; the rubric keeps the order the officer drags (TechnicalCriterion.sort_order_field)."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except DomainError as error:
            form.add_error("purchaser" if isinstance(error, PermissionDenied) else None, error.message)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)

    def get_success_url(self):
        return reverse("procurement_projects:inspect", args=[self.object.pk])


class ProjectCreateView(ProjectSaveMixin, CreateView):
    @transaction.atomic  # the project, its rubric, its number and the audit row together, or none of them
    def save_instance(self):
        project = self.form.instance
        project.region_id = project.purchaser.region_id  # the purchaser's officers run it
        project.created_by = self.request.user
        project.number = ""
        return procurement.project_created(super().save_instance(), acting_user=self.request.user)


class ProjectEditView(ProjectSaveMixin, EditView):
    def get_object(self, queryset=None):
        # Only planned projects of the officer's jurisdiction: an announced one answers 404 here.
        editable = projects_for_officer(self.request.user).filter(status__in=EDITABLE_PROJECTS)
        project = get_object_or_404(editable, pk=unquote(str(self.kwargs[self.pk_url_kwarg])))
        self.before = {**audit.snapshot(project, procurement.PROJECT_FIELDS),
                       "criteria": [(c.name, c.weight) for c in project.criteria.all()]}
        return project

    @transaction.atomic  # the project, its rubric and the audit row together, or none of them
    def save_instance(self):
        return procurement.project_edited(super().save_instance(), acting_user=self.request.user, before=self.before)


def _announce(view, form):
    procurement.announce(view.object, acting_user=view.request.user)
    return _t("采购项目已公告，投标期内符合条件的组织可以投标。")


def _document(view, form):
    document = procurement.attach_project_document(view.object, form.cleaned_data["file"],
                                                   acting_user=view.request.user, title=form.cleaned_data["title"])
    return _t("已上传采购文件“%(title)s”。") % {"title": document.title}


def _open(view, form):
    project = procurement.open_bids(view.object, acting_user=view.request.user)
    if project.status == P.FAILED:
        return _t("已开标：有效投标不足，项目流标。")
    return _t("已开标，请分配评审专家。")


def _assign(view, form):
    created = procurement.assign_bid_reviewers(view.object, list(form.cleaned_data["reviewers"]),
                                               acting_user=view.request.user)
    return _t("已分配评审任务 %(n)s 份，并通知评审专家。") % {"n": len(created)}


def _withdraw(view, form):
    review = form.cleaned_data["review"]
    procurement.withdraw_bid_review(review, acting_user=view.request.user, reason=form.cleaned_data["reason"])
    return _t("已撤回%(who)s的评审任务。") % {"who": review.reviewer.name or review.reviewer}


def _award(view, form):
    bid = form.cleaned_data["bid"]
    procurement.award_bid(view.object, bid, acting_user=view.request.user, reason=form.cleaned_data["reason"])
    return _t("已定标：%(org)s中标，请起草合同。") % {"org": bid.organization}


def _fail(view, form):
    procurement.fail_project(view.object, acting_user=view.request.user, reason=form.cleaned_data["reason"])
    return _t("已宣布流标。")


def _cancel(view, form):
    procurement.cancel_project(view.object, acting_user=view.request.user, reason=form.cleaned_data["reason"])
    return _t("采购项目已取消，已通知投标组织。")


def _draft(view, form):
    view.drafted = procurement.draft_contract(view.object, acting_user=view.request.user)
    return _t("合同草稿已生成，请完善第二十三条规定的合同条款、服务指标和付款计划。")


def _reason_form(label, message):
    return lambda *args, **kwargs: ReasonForm(*args, label=label, message=message, **kwargs)


# action → (form factory or None, service call, the field a refusal is shown by)
class ActionsMixin:
    """What the project and contract pages share: each step is posted as ``action=`` with its form (prefixed by
    the action's name); a step not available in the object's state is refused with a message; a form's errors come
    back next to its fields (400), a refusal of the service by the field it names. ``actions`` maps a step to
    (form factory or None, runner, default field); the runner calls the service and returns the success message.
    Each page defines ``make_form(action, data=None, files=None)`` and ``available()``."""

    actions: dict = {}
    inspect_url = ""
    unavailable = ""

    def after(self, action):
        return redirect(self.inspect_url, self.object.pk)

    def action_forms(self, bound):
        """The form of each available step, the bound one (after an error) in place of a fresh one."""
        bound_action, bound_form = bound or (None, None)
        available = self.available()
        forms = {}
        for action in self.actions:
            if action == bound_action and bound_form is not None:
                forms[action] = bound_form
            elif available[action]:
                forms[action] = self.make_form(action)
        return available, forms

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        if action not in self.actions:
            messages.error(request, _t("无法识别的操作，请刷新页面后重试。"))
            return redirect(self.inspect_url, self.object.pk)
        if not self.available()[action]:
            messages.error(request, self.unavailable)
            return redirect(self.inspect_url, self.object.pk)
        _factory, run, field = self.actions[action]
        form = self.make_form(action, request.POST, request.FILES)
        if form is None:
            try:
                done = run(self, None)
            except DomainError as error:
                messages.error(request, error.message)
                return redirect(self.inspect_url, self.object.pk)
            messages.success(request, done)
            return self.after(action)
        if form.is_valid():
            try:
                done = run(self, form)
            except DomainError as error:
                _refused(form, error, field)
            else:
                messages.success(request, done)
                return redirect(self.inspect_url, self.object.pk)
        self.object.refresh_from_db()
        return self.render_to_response(self.get_context_data(bound=(action, form)), status=400)


PROJECT_ACTIONS = {
    "announce": (None, _announce, None),
    "document": (DocumentForm, _document, "file"),
    "open": (None, _open, None),
    "assign": (AssignReviewersForm, _assign, "reviewers"),
    "withdraw": (WithdrawBidReviewForm, _withdraw, "reason"),
    "award": (AwardBidForm, _award, "bid"),
    "fail": (_reason_form(_("流标理由"), _("请填写流标理由。")), _fail, "reason"),
    "cancel": (_reason_form(_("取消理由"), _("请填写取消理由。")), _cancel, "reason"),
    "contract": (None, _draft, None),
}


class ProjectInspectView(ActionsMixin, InspectView):
    """The project: terms, rubric, documents, the bids (sealed until the deadline), the ranking board, status
    history, and a small form per step the services allow now."""

    template_name = TEMPLATES + "project.html"
    actions = PROJECT_ACTIONS
    inspect_url = "procurement_projects:inspect"
    unavailable = _("该项目当前不能办理这一步，请刷新页面查看最新状态。")

    def get_object(self, queryset=None):
        return get_object_or_404(projects_for_officer(self.request.user), pk=unquote(str(self.pk)))

    def get_edit_url(self):
        if self.object.status in EDITABLE_PROJECTS and may_manage_project(self.request.user, self.object):
            return reverse("procurement_projects:edit", args=[self.object.pk])
        return None

    @cached_property
    def bids(self):
        """This project's bids as the officer may see them: none at all before the deadline."""
        return unsealed_bids(self.request.user).filter(project=self.object)

    @cached_property
    def contract(self):
        return Contract.objects.filter(project=self.object).first()

    def available(self) -> dict[str, bool]:
        project, status = self.object, self.object.status
        if not may_manage_project(self.request.user, project):
            return dict.fromkeys(PROJECT_ACTIONS, False)
        return {
            "announce": status == P.PLANNED,
            "document": status in (P.PLANNED, P.ANNOUNCED),
            "open": status == P.ANNOUNCED and not project.is_sealed(),
            "assign": status in (P.CLOSED, P.EVALUATING),
            "withdraw": status == P.EVALUATING and BidReview.objects.filter(
                bid__in=self.bids, status__in=PENDING_REVIEWS).exists(),
            "award": status == P.EVALUATING,
            "fail": status in (P.CLOSED, P.EVALUATING),
            "cancel": status in CANCELLABLE and self.contract is None,
            "contract": status == P.AWARDED,
        }

    def make_form(self, action, data=None, files=None):
        factory = PROJECT_ACTIONS[action][0]
        if factory is None:
            return None
        kwargs = {"prefix": action}
        if factory is AssignReviewersForm:
            kwargs["project"] = self.object
        if factory in (WithdrawBidReviewForm, AwardBidForm):
            kwargs.update(project=self.object, user=self.request.user)
        form = factory(data, files, **kwargs)
        if data is None and factory is AwardBidForm:
            first = form.fields["bid"].queryset.first()
            form.initial["bid"] = first.pk if first else None
        return form

    def after(self, action):
        if action == "contract":
            return redirect("procurement_contracts:edit", self.drafted.pk)
        return super().after(action)

    def board(self):
        """The ranking board: valid bids (unsealed only) with their scores and how their reviews stand."""
        rows = []
        bids = (self.bids.filter(valid=True).select_related("organization")
                .prefetch_related("reviews__reviewer").order_by("rank", "price", "pk"))
        for bid in bids:
            reviews = list(bid.reviews.all())
            counts = {status: sum(1 for r in reviews if r.status == status) for status, _label in BidReview.Status.choices}
            rows.append({"bid": bid, "reviews": reviews, "counts": counts,
                         "submitted": counts[BidReview.Status.SUBMITTED],
                         "pending": counts[BidReview.Status.ASSIGNED] + counts[BidReview.Status.DECLARED],
                         "conflicted": counts[BidReview.Status.CONFLICTED]})
        return rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project = self.object
        available, forms = self.action_forms(kwargs.get("bound"))
        sealed = project.is_sealed()
        bids = [] if sealed else list(self.bids.select_related("organization").prefetch_related("documents")
                                      .order_by("rank", "price", "pk"))
        context.update({
            "project": project,
            "sealed": sealed,
            "sealed_message": SEALED,
            "available": available,
            "forms": forms,
            "criteria": project.criteria.all(),
            "documents": project.documents.all(),
            "problems": list(procurement.project_problems(project, now=timezone.now()).values())
            if project.status == P.PLANNED else [],
            "bids": bids,
            "board": [] if sealed else self.board(),
            "ranking_problems": procurement.ranking_problems(project) if project.status == P.EVALUATING else [],
            "history": project.history.select_related("actor"),
            "contract": self.contract,
            "edit_url": self.get_edit_url(),
            "exports": {"bids": export_url("bids", project=project.pk),
                        "bids_csv": export_url("bids", "csv", project=project.pk),
                        "contracts": export_url("contracts", project=project.pk),
                        "payments": export_url("payments", project=project.pk)},
        })
        return context


def project_document(request, pk: int):
    """procurement_projects:document — a project's document, streamed to an officer in scope."""
    document = get_object_or_404(ProjectDocument.objects.filter(project__in=projects_for_officer(request.user)), pk=pk)
    return download(document)


def bid_document(request, pk: int):
    """procurement_projects:bid_document — a bid's file, only once the bid is unsealed (after the deadline)."""
    document = get_object_or_404(BidDocument.objects.filter(bid__in=unsealed_bids(request.user)), pk=pk)
    return download(document)


def export(request):
    """procurement_projects:export — ?what=projects|bids|contracts|payments&format=xlsx|csv[&project=<id>]
    [&status=][&method=][&category=]. A project outside the officer's scope answers 404; bids need a project."""
    what = request.GET.get("what") or "projects"
    fmt = request.GET.get("format", "xlsx")
    if what not in exports.KINDS or fmt not in ("xlsx", "csv"):
        raise Http404(_t("没有这种导出。"))
    project = None
    if request.GET.get("project"):
        project = get_object_or_404(projects_for_officer(request.user), pk=id_or_404(request.GET["project"]))
    elif what == "bids":
        raise Http404(_t("请从采购项目页面导出投标。"))
    sheet = exports.sheet_for(what, request.user, project=project,
                              filters=_filters(request, ("status", "method", "category")))
    return exports.attachment(sheet, fmt, exports.filename(sheet, fmt, project))


# --- 购买服务合同 ------------------------------------------------------------------------------------------
class ContractFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=C.choices)

    class Meta:
        model = Contract
        fields = ["status"]


class ContractIndexView(ExportingIndexView):
    def get_base_queryset(self):
        return contracts_for_officer(self.request.user)

    def get_edit_url(self, instance):
        if instance.status == C.DRAFT and may_manage_project(self.request.user, instance.project):
            return reverse("procurement_contracts:edit", args=[instance.pk])
        return None

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        filters = _filters(self.request, ("status",))
        buttons.append(Button(_("导出合同（XLSX）"), url=export_url("contracts", **filters), icon_name="download",
                              priority=90))
        buttons.append(Button(_("导出合同支付（XLSX）"), url=export_url("payments"), icon_name="download", priority=92))
        return buttons


# contract_problems() keys that are not fields of the terms form: where they are shown instead.
FORMSET_PROBLEMS = {"deliverables", "milestones"}


class ContractEditView(InspectView):
    """The draft contract: its Art. 23 terms, term dates and value, the deliverables and the payment schedule,
    saved through ``save_contract``; 签订 saves, then ``sign_contract``. What stops signing is shown by the field
    it concerns (each Art. 23 term named)."""

    template_name = TEMPLATES + "contract_edit.html"
    permission_required = "change"
    page_title = _("编辑合同")

    def get_object(self, queryset=None):
        drafts = contracts_for_officer(self.request.user).filter(status=C.DRAFT)
        return get_object_or_404(drafts.select_related("bid", "project__region"), pk=unquote(str(self.pk)))

    def get_edit_url(self):
        return None

    def forms(self, data=None):
        contract = self.object
        terms = ContractTermsForm(data, prefix="terms", initial=ContractTermsForm.initial_for(contract))
        # The saved rows are the initial values of an unbound page only: a bound row equal to its initial value
        # would count as unchanged and be dropped.
        deliverables = DeliverableFormSet(data, prefix="deliverables", initial=None if data is not None else [
            {"kind": d.kind, "name": d.name, "target": d.target, "unit": d.unit} for d in contract.deliverables.all()])
        milestones = MilestoneFormSet(data, prefix="milestones", initial=None if data is not None else [
            {"title": m.title, "due_on": m.due_on, "amount": m.amount} for m in contract.milestones.all()])
        sign = SignForm(data, prefix="sign")
        return terms, deliverables, milestones, sign

    def post(self, request, *args, **kwargs):
        contract = self.object
        action = request.POST.get("action", "save")
        if action not in ("save", "sign") or not may_manage_project(request.user, contract.project):
            messages.error(request, _t("无法识别的操作，请刷新页面后重试。"))
            return redirect("procurement_contracts:edit", contract.pk)
        terms, deliverables, milestones, sign = self.forms(request.POST)
        valid = all([terms.is_valid(), deliverables.is_valid(), milestones.is_valid(), sign.is_valid()])
        if valid:
            fields = {name: (value.strip() if isinstance(value, str) else value)
                      for name, value in terms.cleaned_data.items()}
            try:
                procurement.save_contract(contract, acting_user=request.user, fields=fields,
                                          deliverables=formset_rows(deliverables), milestones=formset_rows(milestones))
                if action == "sign":
                    procurement.sign_contract(contract, acting_user=request.user,
                                              signed_on=sign.cleaned_data.get("signed_on"))
            except DomainError as error:
                errors = getattr(error, "errors", None) or {}
                for field, message in errors.items():
                    if field == "deliverables":
                        deliverables.non_form_errors().append(message)
                    elif field == "milestones":
                        milestones.non_form_errors().append(message)
                    else:
                        terms.add_error(field if field in terms.fields else None, message)
                if not errors:
                    terms.add_error(None, error.message)
                if action == "sign":
                    messages.error(request, _t("合同已保存，但尚不能签订，请按提示完善。"))
            else:
                if action == "sign":
                    messages.success(request, _t("合同已签订，进入履行阶段。"))
                    return redirect("procurement_contracts:inspect", contract.pk)
                contract.refresh_from_db()
                if procurement.contract_problems(contract):
                    messages.warning(request, _t("合同草稿已保存；签订前还需完善下列标注的内容。"))
                else:
                    messages.success(request, _t("合同草稿已保存，条款齐全，可以签订。"))
                return redirect("procurement_contracts:edit", contract.pk)
        self.object.refresh_from_db()
        return self.render_to_response(self.get_context_data(bound=(terms, deliverables, milestones, sign)), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = self.object
        bound = kwargs.get("bound")
        terms, deliverables, milestones, sign = bound or self.forms()
        # On a fresh page, what stops signing is shown by each field; after a refused POST the errors do that.
        problems = {} if bound else procurement.contract_problems(contract)
        context.update({
            "contract": contract,
            "project": contract.project,
            "terms_form": terms,
            "term_rows": [(field, problems.get(field.name, "")) for field in terms],
            "deliverables": deliverables,
            "milestones": milestones,
            "sign_form": sign,
            "deliverables_problem": problems.get("deliverables", ""),
            "milestones_problem": problems.get("milestones", ""),
            "other_problems": [m for k, m in problems.items() if k not in terms.fields and k not in FORMSET_PROBLEMS],
            "inspect_url": reverse("procurement_contracts:inspect", args=[contract.pk]),
        })
        return context


def _amend(view, form):
    amendment = procurement.amend_contract(view.object, acting_user=view.request.user,
                                           reason=form.cleaned_data["reason"], changes=form.changes(),
                                           milestone_amounts=form.milestone_amounts())
    return _t("已登记第 %(n)s 次合同变更。") % {"n": amendment.sequence}


def _terminate(view, form):
    procurement.terminate_contract(view.object, acting_user=view.request.user, reason=form.cleaned_data["reason"])
    return _t("合同已终止，已通知承接主体。")


def _confirm(view, form):
    milestone = procurement.confirm_milestone(form.cleaned_data["milestone"], acting_user=view.request.user,
                                              reason=form.cleaned_data["reason"])
    return _t("已确认%(m)s交付，可以支付。") % {"m": milestone}


def _return(view, form):
    milestone = procurement.return_milestone(form.cleaned_data["milestone"], acting_user=view.request.user,
                                             reason=form.cleaned_data["reason"])
    return _t("已退回%(m)s，已通知承接主体。") % {"m": milestone}


def _pay(view, form):
    data = form.cleaned_data
    payment = procurement.pay_milestone(data["milestone"], acting_user=view.request.user, paid_on=data["paid_on"],
                                        voucher=data["voucher"], amount=data.get("amount"))
    return _t("已登记支付 %(amount)s。") % {"amount": format_yuan(payment.amount)}


def _matching(view, form):
    data = form.cleaned_data
    fund = procurement.record_matching_fund(view.object, acting_user=view.request.user, source=data["source"],
                                            funder=data["funder"], amount=data["amount"],
                                            received_on=data["received_on"])
    return _t("已登记撬动社会资金 %(amount)s。") % {"amount": format_yuan(fund.amount)}


def _start(view, form):
    procurement.start_evaluation(view.object, acting_user=view.request.user,
                                 third_party=form.cleaned_data["third_party"],
                                 survey_days=form.cleaned_data["survey_days"])
    return _t("绩效评价已开始，请发布满意度调查链接或海报。")


def _score(view, form):
    assessor = form.cleaned_data["assessor"]
    procurement.score_indicators(view.evaluation, acting_user=view.request.user, assessor=assessor,
                                 scores=form.scores())
    return _t("已保存%(who)s评分。") % {"who": IndicatorScore.Assessor(assessor).label}


def _finish(view, form):
    evaluation = procurement.finish_evaluation(view.evaluation, acting_user=view.request.user)
    return _t("绩效评价已完成：得分 %(score)s，等级“%(grade)s”。") % {"score": evaluation.final_score,
                                                           "grade": evaluation.get_grade_display()}


CONTRACT_ACTIONS = {
    "amend": (AmendForm, _amend, None),
    "terminate": (_reason_form(_("终止理由"), _("请填写终止理由（如违约情形及依据的合同条款）。")), _terminate, "reason"),
    "confirm": (ConfirmMilestoneForm, _confirm, "milestone"),
    "return": (ReturnMilestoneForm, _return, "reason"),
    "pay": (PayMilestoneForm, _pay, "amount"),
    "matching": (MatchingFundForm, _matching, None),
    "evaluate": (StartEvaluationForm, _start, None),
    "score": (ScoreIndicatorsForm, _score, None),
    "finish": (None, _finish, None),
}


class ContractInspectView(ActionsMixin, InspectView):
    """The contract: terms, deliverables with delivery logs and evidence, milestones and payments, amendments,
    social money leveraged, the performance evaluation with its survey links, history, and a small form per
    step the services allow now."""

    template_name = TEMPLATES + "contract.html"
    actions = CONTRACT_ACTIONS
    inspect_url = "procurement_contracts:inspect"
    unavailable = _("该合同当前不能办理这一步，请刷新页面查看最新状态。")

    def get_object(self, queryset=None):
        return get_object_or_404(contracts_for_officer(self.request.user).select_related("region", "bid")
                                 .prefetch_related("deliverables", "matching_funds"),
                                 pk=unquote(str(self.pk)))

    def get_edit_url(self):
        if self.object.status == C.DRAFT and may_manage_project(self.request.user, self.object.project):
            return reverse("procurement_contracts:edit", args=[self.object.pk])
        return None

    @cached_property
    def evaluation(self):
        return PerformanceEvaluation.objects.filter(contract=self.object).first()

    def available(self) -> dict[str, bool]:
        contract, status = self.object, self.object.status
        if not may_manage_project(self.request.user, contract.project):
            return dict.fromkeys(CONTRACT_ACTIONS, False)
        milestones = set(contract.milestones.values_list("status", flat=True))
        evaluation_open = self.evaluation is not None and self.evaluation.status == PerformanceEvaluation.Status.OPEN
        return {
            "amend": status == C.ACTIVE,
            "terminate": status == C.ACTIVE,
            "confirm": status == C.ACTIVE and bool(milestones & {Milestone.Status.PENDING, Milestone.Status.SUBMITTED}),
            "return": status == C.ACTIVE and Milestone.Status.SUBMITTED in milestones,
            "pay": Milestone.Status.CONFIRMED in milestones,
            "matching": status != C.DRAFT,
            "evaluate": status == C.ACTIVE and self.evaluation is None,
            "score": evaluation_open,
            "finish": evaluation_open,
        }

    def make_form(self, action, data=None, files=None):
        factory = CONTRACT_ACTIONS[action][0]
        if factory is None:
            return None
        kwargs = {"prefix": action}
        if factory in (AmendForm, ConfirmMilestoneForm, ReturnMilestoneForm, PayMilestoneForm):
            kwargs["contract"] = self.object
        if factory is ScoreIndicatorsForm:
            kwargs["evaluation"] = self.evaluation
        form = factory(data, files, **kwargs)
        if data is None and factory is PayMilestoneForm:
            first = form.fields["milestone"].queryset.first()
            if first is not None:
                form.initial.update(milestone=first.pk, amount=procurement.payable(first),
                                    paid_on=timezone.localdate())
        if data is None and factory is ScoreIndicatorsForm and self.evaluation is not None:
            assessor = form.initial.get("assessor") or IndicatorScore.Assessor.PURCHASER
            for score in IndicatorScore.objects.filter(indicator__evaluation=self.evaluation, assessor=assessor):
                form.initial[f"score_{score.indicator_id}"] = score.score
                form.initial[f"note_{score.indicator_id}"] = score.note
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract, evaluation = self.object, self.evaluation
        available, forms = self.action_forms(kwargs.get("bound"))
        milestones = list(contract.milestones.all())
        for milestone in milestones:
            milestone.payable_now = procurement.payable(milestone) if milestone.status == Milestone.Status.CONFIRMED else None
        indicators = []
        if evaluation is not None:
            for indicator in evaluation.indicators.prefetch_related("scores"):
                scores = {s.assessor: s for s in indicator.scores.all()}
                indicators.append({"indicator": indicator, "purchaser": scores.get(IndicatorScore.Assessor.PURCHASER),
                                   "third_party": scores.get(IndicatorScore.Assessor.THIRD_PARTY)})
        context.update({
            "contract": contract,
            "project": contract.project,
            "available": available,
            "forms": forms,
            "terms": [(label, getattr(contract, field)) for field, label in Contract.ARTICLE_23
                      if field not in ("ends_on", "value")],
            "problems": list(procurement.contract_problems(contract).values()) if contract.status == C.DRAFT else [],
            "deliverables": contract.deliverables.prefetch_related("logs"),
            "milestones": milestones,
            "payments": contract.payments.select_related("milestone", "recorded_by"),
            "amendments": contract.amendments.select_related("amended_by"),
            "matching_funds": contract.matching_funds.all(),
            "evaluation": evaluation,
            "indicators": indicators,
            "survey_url": reverse("grants:survey", args=[evaluation.survey_token]) if evaluation else "",
            "poster_url": reverse("grants:survey_poster", args=[evaluation.survey_token]) if evaluation else "",
            "history": contract.history.select_related("actor"),
            "edit_url": self.get_edit_url(),
            "project_url": reverse("procurement_projects:inspect", args=[contract.project_id]),
            "exports": {"contracts": export_url("contracts", project=contract.project_id),
                        "payments": export_url("payments", project=contract.project_id)},
        })
        return context


def delivery_evidence(request, pk: int):
    """procurement_contracts:evidence — a delivery log's evidence, streamed to an officer in scope."""
    log = get_object_or_404(DeliveryLog.objects.filter(deliverable__contract__in=contracts_for_officer(request.user)),
                            pk=pk)
    return download(log)
