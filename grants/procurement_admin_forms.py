"""The officers' forms of 政府购买服务 in the Wagtail admin: the purchaser, the procurement project with its
technical rubric, the draft contract with its deliverables and payment schedule, and the small forms of the
project and contract pages (document, reviewers, award, 流标, cancel, amend, milestones, payment, matching funds,
evaluation). They check what a form can check, in Chinese next to the field, and keep what was typed; the
services of grants.procurement do the writing and have the last word."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminDateInput

from core.admin_forms import JurisdictionRegionMixin
from core.files import DocumentFileField
from core.forms import PlausibleDatesMixin
from core.models import Role, RoleAssignment, User
from orgs.models import Organization

from . import procurement
from .admin_forms import ReviewerChoiceField, RubricRowsMixin
from .models import (
    Bid,
    BidReview,
    Contract,
    Deliverable,
    Indicator,
    IndicatorScore,
    MatchingFund,
    Milestone,
    ProcurementProject,
    ServiceCategory,
)
from .permissions import purchasers_for_officer, unsealed_bids

REQUIRED_DATE = {"required": _("请填写日期。"), "invalid": _("请填写正确的日期，如 2026-03-01。")}
MONEY_ERRORS = {"invalid": _("请填写正确的金额，如 20000 或 20000.50。"), "min_value": _("金额须大于零。"),
                "max_digits": _("金额过大。"), "max_whole_digits": _("金额过大。"), "max_decimal_places": _("金额最多两位小数。")}
PENDING_REVIEWS = (BidReview.Status.ASSIGNED, BidReview.Status.DECLARED)


def money_field(label, *, minimum="0.01", required=True, **kwargs):
    errors = dict(MONEY_ERRORS)
    if minimum == "0":
        errors["min_value"] = _("金额不能为负数。")
    return forms.DecimalField(label=label, max_digits=12, decimal_places=2, min_value=Decimal(minimum),
                              required=required, error_messages={**errors, "required": _("请填写金额。")}, **kwargs)


def reason_field(label, message, *, required=True, max_length=2000):
    return forms.CharField(label=label, required=required, max_length=max_length,
                           widget=forms.Textarea(attrs={"rows": 2}), error_messages={"required": message})


def not_in_future(day):
    if day is not None and day > timezone.localdate():
        raise ValidationError(_("日期不能晚于今天。"))
    return day


# --- 购买主体 ----------------------------------------------------------------------------------------------
class PurchaserForm(JurisdictionRegionMixin, WagtailAdminModelForm):
    """购买主体: the region within the officer's jurisdiction."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_region()

    def clean_credit_code(self):
        code = (self.cleaned_data.get("credit_code") or "").strip().upper()
        if code and len(code) != 18:
            raise ValidationError(_("统一社会信用代码为 18 位。"))
        return code


# --- 采购项目 ----------------------------------------------------------------------------------------------
# project_problems() keys and the form fields each one depends on: a problem is reported only when those fields
# were valid, so an empty or malformed field keeps its own message.
PROJECT_DEPENDS = {"bids_close_at": ("bids_open_at", "bids_close_at"), "category": ("category",),
                   "budget_line": ("budget_line",), "price_weight": ("price_weight",)}
PROJECT_RULE_FIELDS = ("budget_line", "category", "bids_open_at", "bids_close_at", "price_weight")


class ProcurementProjectForm(RubricRowsMixin, PlausibleDatesMixin, WagtailAdminModelForm):
    """采购项目: the purchaser among the officer's jurisdiction's, an active catalogue item, eligible kinds as
    checkboxes, and the rules of ``procurement.project_problems`` checked on every save — the technical rubric
    totalling 100 (shown at the head of the rubric), the budget line (Art. 12), the window in order. The window
    may stay empty while the project is planned; announcing requires it."""

    eligible_kinds = forms.MultipleChoiceField(
        label=_("可投标的组织类型"), required=False, choices=Organization.Kind.choices,
        widget=forms.CheckboxSelectMultiple, help_text=_("不选则所有类型均可投标。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        if "purchaser" in self.fields:
            field = self.fields["purchaser"]
            field.queryset = purchasers_for_officer(user) if user is not None else field.queryset.none()
            field.error_messages["invalid_choice"] = _("只能选择本人辖区内的购买主体。")
        if "category" in self.fields:
            active = Q(active=True)
            if self.instance.category_id:
                active |= Q(pk=self.instance.category_id)
            self.fields["category"].queryset = ServiceCategory.objects.filter(active)
            self.fields["category"].error_messages["invalid_choice"] = _("该目录项已停用或不存在。")
        if "budget_line" in self.fields:
            # Required, with the rule's own message (project_problems) rather than the generic one.
            self.fields["budget_line"].required = False

    def clean_budget(self):
        budget = self.cleaned_data.get("budget")
        if budget is not None and budget <= 0:
            raise ValidationError(_("预算金额须大于零。"))
        return budget

    def clean(self):
        cleaned = super().clean()  # implausible dates are refused (and dropped) by PlausibleDatesMixin
        candidate = ProcurementProject(**{name: cleaned.get(name) for name in PROJECT_RULE_FIELDS
                                          if name != "category"})
        if cleaned.get("category") is not None:
            candidate.category = cleaned["category"]
        criteria = self._criteria_rows()
        problems = procurement.project_problems(candidate, criteria=criteria or [])
        for field, message in problems.items():
            if field == "criteria":
                if criteria is None:
                    continue  # a rubric row carries its own error; the total follows once it is put right
                if "criteria" in self.formsets:
                    self.formsets["criteria"].non_form_errors().append(message)  # at the head of the rubric
                else:
                    self.add_error(None, message)
                continue
            if field == "bids_close_at" and not (cleaned.get("bids_open_at") and cleaned.get("bids_close_at")):
                continue  # a planned project may leave its window open; announcing asks for it
            needs = PROJECT_DEPENDS.get(field, (field,))
            if any(name in self.fields and name not in cleaned for name in needs):
                continue
            self.add_error(field if field in self.fields else None, message)
        return cleaned


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("文件标题"), max_length=120, error_messages={"required": _("请填写文件标题。")})
    file = DocumentFileField(label=_("文件（PDF、JPG、PNG）"), error_messages={"required": _("请选择文件。")})


def reviewer_candidates(project: ProcurementProject):
    """Users with the reviewer role, or officers, who do not run this project and are not assigned to it yet."""
    managers = {a.user_id for a in RoleAssignment.objects.filter(role=Role.OFFICER).select_related("region")
                if a.region_id and project.region.path.startswith(a.region.path)}
    return (User.objects.filter(is_active=True, role_assignments__role__in=[Role.REVIEWER, Role.OFFICER])
            .exclude(pk__in=managers).exclude(is_superuser=True)
            .exclude(bid_reviews__bid__project=project).distinct().order_by("name", "pk"))


class AssignReviewersForm(forms.Form):
    reviewers = ReviewerChoiceField(
        label=_("评审专家"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text=_("每位评审专家评审本项目的全部有效投标；本项目的经办干部和投标组织的成员不能担任。"),
        error_messages={"required": _("请至少选择一位评审专家。"), "invalid_choice": _("所选用户不能担任本项目的评审专家。")},
    )

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        if project is not None:
            self.fields["reviewers"].queryset = reviewer_candidates(project)


class WithdrawBidReviewForm(forms.Form):
    review = forms.ModelChoiceField(label=_("撤回的评审"), queryset=BidReview.objects.none(), empty_label=None,
                                    error_messages={"invalid_choice": _("该评审已提交或不属于本项目。")})
    reason = reason_field(_("撤回理由"), _("请填写撤回理由。"), max_length=500)

    def __init__(self, *args, project=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if project is not None and user is not None:
            self.fields["review"].queryset = BidReview.objects.filter(
                bid__in=unsealed_bids(user).filter(project=project), status__in=PENDING_REVIEWS,
            ).select_related("reviewer", "bid__organization")
        self.fields["review"].label_from_instance = (
            lambda r: f"{r.reviewer.name or r.reviewer} · {r.bid.organization}（{r.get_status_display()}）")


class AwardBidForm(forms.Form):
    bid = forms.ModelChoiceField(label=_("中标投标"), queryset=Bid.objects.none(), empty_label=None,
                                 widget=forms.RadioSelect,
                                 error_messages={"required": _("请选择中标投标。"), "invalid_choice": _("该投标不是本项目的有效投标。")})
    reason = reason_field(_("定标理由"), "", required=False, max_length=1000)

    def __init__(self, *args, project=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if project is not None and user is not None:
            self.fields["bid"].queryset = (unsealed_bids(user).filter(project=project, valid=True)
                                           .select_related("organization").order_by("rank", "price", "pk"))
        self.fields["bid"].label_from_instance = (
            lambda b: f"第 {b.rank or '—'} 名 · {b.organization} · 综合得分 {b.total_score if b.total_score is not None else '—'}")
        self.fields["reason"].help_text = _("确定排名第一以外的投标中标时必须填写，理由随中标公告公开。")


class ReasonForm(forms.Form):
    reason = reason_field(_("理由"), _("请填写理由。"))

    def __init__(self, *args, label=None, message=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label
        if message:
            self.fields["reason"].error_messages["required"] = message


# --- 合同 ---------------------------------------------------------------------------------------------------
TERM_FIELDS = ["title", "service_content", "starts_on", "ends_on", "continuing", "quantity", "quality", "value",
               "settlement", "rights_obligations", "liability"]


def _text_area(label, rows=3, required=False):
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}))


class ContractTermsForm(PlausibleDatesMixin, forms.Form):
    """The terms of a draft contract; each Art. 23 term is its own field, so a missing one is named by it."""

    title = forms.CharField(label=_("合同名称"), max_length=120, error_messages={"required": _("请填写合同名称。")})
    service_content = _text_area(_("服务内容"))
    starts_on = forms.DateField(label=_("服务开始日期"), required=False, widget=AdminDateInput,
                                error_messages=REQUIRED_DATE)
    ends_on = forms.DateField(label=_("服务结束日期"), required=False, widget=AdminDateInput,
                              error_messages=REQUIRED_DATE, help_text=_("服务期限：合同期限一般不超过 1 年。"))
    continuing = forms.BooleanField(label=_("跨年度连续服务"), required=False,
                                    help_text=_("财政部令第102号第二十四条：连续性服务合同期限可超过一年，但不超过三年。"))
    quantity = _text_area(_("服务数量"), 2)
    quality = _text_area(_("服务质量"), 2)
    value = money_field(_("合同价格（元）"), required=False, help_text=_("不得高于中标价。"))
    settlement = _text_area(_("资金结算方式"), 2)
    rights_obligations = _text_area(_("双方权利义务"))
    liability = _text_area(_("违约责任"))

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("服务结束日期不能早于开始日期。"))
        return cleaned

    @classmethod
    def initial_for(cls, contract: Contract) -> dict:
        return {name: getattr(contract, name) for name in TERM_FIELDS}


class DeliverableRowForm(forms.Form):
    kind = forms.ChoiceField(label=_("指标类型"), choices=Deliverable.Kind.choices)
    name = forms.CharField(label=_("指标名称"), max_length=80, error_messages={"required": _("请填写指标名称。")})
    target = forms.IntegerField(label=_("目标值"), min_value=1, max_value=10_000_000,
                                error_messages={"required": _("请填写目标值。"), "min_value": _("目标值须大于 0。"),
                                                "max_value": _("目标值不能超过 10,000,000。"), "invalid": _("目标值须为整数。")})
    unit = forms.CharField(label=_("单位"), max_length=12, required=False, help_text=_("留空按指标类型（人、人次、小时、场）。"))


class MilestoneRowForm(PlausibleDatesMixin, forms.Form):
    title = forms.CharField(label=_("节点"), max_length=80, error_messages={"required": _("请填写付款节点名称。")})
    due_on = forms.DateField(label=_("计划日期"), widget=AdminDateInput, error_messages=REQUIRED_DATE)
    amount = money_field(_("支付金额（元）"), minimum="0")


DeliverableFormSet = forms.formset_factory(DeliverableRowForm, extra=1, can_delete=True)
MilestoneFormSet = forms.formset_factory(MilestoneRowForm, extra=1, can_delete=True)


def formset_rows(formset) -> list[dict]:
    """The filled, not deleted rows of a valid formset."""
    return [form.cleaned_data for form in formset.forms
            if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")]


class SignForm(PlausibleDatesMixin, forms.Form):
    signed_on = forms.DateField(label=_("签订日期"), required=False, widget=AdminDateInput, error_messages=REQUIRED_DATE,
                                help_text=_("留空为今天。"))

    def clean_signed_on(self):
        return not_in_future(self.cleaned_data.get("signed_on"))


class AmendForm(PlausibleDatesMixin, forms.Form):
    """合同变更: the reason, the terms as they should now read (pre-filled with the current ones) and the amounts
    of the milestones not yet paid. Only what differs is sent to the service."""

    reason = reason_field(_("变更理由"), _("请填写变更理由。"))
    service_content = _text_area(_("服务内容"), 2)
    ends_on = forms.DateField(label=_("服务结束日期"), required=False, widget=AdminDateInput,
                              error_messages=REQUIRED_DATE)
    continuing = forms.BooleanField(label=_("跨年度连续服务"), required=False)
    quantity = _text_area(_("服务数量"), 2)
    quality = _text_area(_("服务质量"), 2)
    value = money_field(_("合同价格（元）"), required=False)
    settlement = _text_area(_("资金结算方式"), 2)
    rights_obligations = _text_area(_("双方权利义务"), 2)
    liability = _text_area(_("违约责任"), 2)

    TERMS = ["service_content", "ends_on", "continuing", "quantity", "quality", "value", "settlement",
             "rights_obligations", "liability"]

    def __init__(self, *args, contract=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.milestones = []
        if contract is None:
            return
        for name in self.TERMS:
            self.initial.setdefault(name, getattr(contract, name))
        for milestone in contract.milestones.exclude(status=Milestone.Status.PAID).order_by("sequence"):
            key = f"milestone_{milestone.pk}"
            self.fields[key] = money_field(_("第 %(n)s 期“%(title)s”金额（元）") % {"n": milestone.sequence,
                                                                               "title": milestone.title}, minimum="0")
            self.initial.setdefault(key, milestone.amount)
            self.milestones.append(milestone)

    def changes(self) -> dict:
        data = self.cleaned_data
        changed = {}
        for name in self.TERMS:
            value = data.get(name)
            if isinstance(value, str):
                value = value.strip()
            if value != getattr(self.contract, name):
                changed[name] = value
        return changed

    def milestone_amounts(self) -> dict:
        return {m.pk: self.cleaned_data[f"milestone_{m.pk}"] for m in self.milestones
                if self.cleaned_data.get(f"milestone_{m.pk}") is not None
                and self.cleaned_data[f"milestone_{m.pk}"] != m.amount}


class MilestoneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"第 {obj.sequence} 期 {obj.title}（¥{obj.amount:,.2f}，{obj.get_status_display()}）"


class ConfirmMilestoneForm(forms.Form):
    milestone = MilestoneChoiceField(label=_("付款节点"), queryset=Milestone.objects.none(), empty_label=None,
                                     error_messages={"invalid_choice": _("该节点不属于本合同或已确认。")})
    reason = forms.CharField(label=_("确认意见"), required=False, max_length=500)

    def __init__(self, *args, contract=None, **kwargs):
        super().__init__(*args, **kwargs)
        if contract is not None:
            self.fields["milestone"].queryset = contract.milestones.filter(
                status__in=[Milestone.Status.PENDING, Milestone.Status.SUBMITTED]).order_by("sequence")


class ReturnMilestoneForm(forms.Form):
    milestone = MilestoneChoiceField(label=_("付款节点"), queryset=Milestone.objects.none(), empty_label=None,
                                     error_messages={"invalid_choice": _("该节点不在待确认状态。")})
    reason = reason_field(_("退回理由"), _("请填写退回理由。"), max_length=1000)

    def __init__(self, *args, contract=None, **kwargs):
        super().__init__(*args, **kwargs)
        if contract is not None:
            self.fields["milestone"].queryset = contract.milestones.filter(
                status=Milestone.Status.SUBMITTED).order_by("sequence")


class PayMilestoneForm(PlausibleDatesMixin, forms.Form):
    milestone = MilestoneChoiceField(label=_("付款节点"), queryset=Milestone.objects.none(), empty_label=None,
                                     error_messages={"invalid_choice": _("该节点尚未确认交付或已支付。")})
    paid_on = forms.DateField(label=_("支付日期"), widget=AdminDateInput, error_messages=REQUIRED_DATE)
    voucher = forms.CharField(label=_("凭证号"), required=False, max_length=40)
    amount = money_field(_("支付金额（元）"), minimum="0", required=False,
                         help_text=_("留空为本期可支付金额；尾款按绩效评价等级支付。"))

    def __init__(self, *args, contract=None, **kwargs):
        super().__init__(*args, **kwargs)
        if contract is not None:
            self.fields["milestone"].queryset = contract.milestones.filter(
                status=Milestone.Status.CONFIRMED).order_by("sequence")

    def clean_paid_on(self):
        return not_in_future(self.cleaned_data.get("paid_on"))


class MatchingFundForm(PlausibleDatesMixin, forms.Form):
    source = forms.ChoiceField(label=_("来源"), choices=MatchingFund.Source.choices)
    funder = forms.CharField(label=_("出资方"), max_length=100, error_messages={"required": _("请填写出资方。")})
    amount = money_field(_("金额（元）"))
    received_on = forms.DateField(label=_("到位日期"), widget=AdminDateInput, error_messages=REQUIRED_DATE)

    def clean_received_on(self):
        return not_in_future(self.cleaned_data.get("received_on"))


class StartEvaluationForm(forms.Form):
    third_party = forms.CharField(label=_("第三方评价机构"), required=False, max_length=100,
                                  help_text=_("不委托第三方的留空；指标按默认的决策、过程、产出、效益、满意度五个维度设置。"))
    survey_days = forms.IntegerField(label=_("满意度调查天数"), initial=14, min_value=1, max_value=90,
                                     error_messages={"required": _("请填写调查天数。"), "min_value": _("调查天数须在 1–90 之间。"),
                                                     "max_value": _("调查天数须在 1–90 之间。"), "invalid": _("调查天数须为整数。")})


class ScoreIndicatorsForm(forms.Form):
    """One score and note per indicator except satisfaction, which comes from the survey — unless the survey has
    closed without an answer, when the purchaser scores it from follow-up calls (procurement.score_indicators)."""

    assessor = forms.ChoiceField(label=_("评价方"), choices=IndicatorScore.Assessor.choices, widget=forms.RadioSelect)

    def __init__(self, *args, evaluation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = []
        if evaluation is None:
            return
        if not evaluation.third_party:
            self.fields["assessor"].choices = [(IndicatorScore.Assessor.PURCHASER, IndicatorScore.Assessor.PURCHASER.label)]
            self.initial.setdefault("assessor", IndicatorScore.Assessor.PURCHASER)
        indicators = evaluation.indicators.all()
        if evaluation.survey_open() or evaluation.survey_responses.exists():
            indicators = indicators.exclude(dimension=Indicator.Dimension.SATISFACTION)
        for indicator in indicators:
            self.fields[f"score_{indicator.pk}"] = forms.DecimalField(
                label=f"{indicator.get_dimension_display()}·{indicator.name}（0–{indicator.weight} 分）",
                max_digits=5, decimal_places=1, min_value=0, max_value=indicator.weight,
                error_messages={"required": _("请填写得分。"), "invalid": _("请填写数字。"),
                                "min_value": _("得分不能为负数。"), "max_value": _("得分不能超过该指标分值。")})
            self.fields[f"note_{indicator.pk}"] = forms.CharField(label=_("评分说明"), required=False, max_length=300)
            self.indicators.append(indicator)

    def scores(self) -> dict:
        return {i.pk: (self.cleaned_data[f"score_{i.pk}"], self.cleaned_data.get(f"note_{i.pk}", ""))
                for i in self.indicators}
