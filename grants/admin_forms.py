"""The officers' forms of 孵化资助 in the Wagtail admin: the funding call with its rubric and checklist, the
incubation base, and the small forms of the application and base pages (screen, assign, award, sign, pay, claw
back, assess, admit, log a service, leave). They check what a form can check, in Chinese next to the field, and
keep what was typed; the services do the writing and have the last word."""

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminDateInput

from core.admin_forms import JurisdictionRegionMixin
from core.models import Role, User
from core.permissions import ASCII_ID, jurisdiction_q
from orgs.models import Organization
from orgs.queries import ACTIVE

from . import services
from .models import FundingCall, Residency, ResidencyService, Review, Tranche

NOT_IN_FUTURE = _("日期不能晚于今天。")

# call_problems() keys and the form fields each one needs: a problem is only reported when every field it
# depends on was valid, so an empty or malformed field gets its own message rather than a misleading total.
PROBLEM_DEPENDS = {
    "tranche_final_percent": ("tranche_agreement_percent", "tranche_midterm_percent", "tranche_final_percent"),
    "max_amount": ("budget", "max_amount"),
    "closes_at": ("opens_at", "closes_at"),
    "band_a": ("band_a", "band_b"),
}
CALL_RULE_FIELDS = ("budget", "max_amount", "opens_at", "closes_at", "tranche_agreement_percent",
                    "tranche_midterm_percent", "tranche_final_percent", "band_a", "band_b")


def blank_odd_row_ids(data, prefix: str):
    """A copy of the POST data in which an existing row's id that is no row id ("abc") or is missing becomes
    blank: the inline formset then treats the row as a new one instead of failing with an error page."""
    data = data.copy()
    try:
        initial = min(int(data.get(f"{prefix}-INITIAL_FORMS", 0)), 1000)
    except ValueError:
        return data  # the management form reports it
    for index in range(initial):
        key = f"{prefix}-{index}-id"
        if not ASCII_ID.fullmatch(data.get(key) or ""):
            data[key] = ""
    return data


class RubricRowsMixin:
    """For an admin form with a ``criteria`` inline formset (a call's or a project's rubric)."""

    def __init__(self, *args, **kwargs):
        if kwargs.get("data") is not None:
            kwargs["data"] = blank_odd_row_ids(kwargs["data"], "criteria")
        elif args and args[0] is not None:
            args = (blank_odd_row_ids(args[0], "criteria"), *args[1:])
        super().__init__(*args, **kwargs)

    def _criteria_rows(self):
        """(weight, name) of the rubric rows being saved, or None while a row has its own errors. Rows of the
        saved rubric that the form did not send back are kept by the inline formset, so they count too."""
        formset = self.formsets.get("criteria")
        if formset is None:
            return [(c.weight, c.name) for c in self.instance.criteria.all()] if self.instance.pk else []
        if not formset.is_valid():
            return None
        sent = {form.instance.pk for form in formset.forms if form.instance.pk}
        rows = [(c.weight, c.name) for c in self.instance.criteria.all() if c.pk not in sent] if self.instance.pk else []
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            rows.append((data.get("weight") or 0, data.get("name", "")))
        return rows


class FundingCallForm(RubricRowsMixin, JurisdictionRegionMixin, WagtailAdminModelForm):
    """资助计划: eligible kinds as checkboxes, the region within the officer's jurisdiction, and the rules of
    ``services.call_problems`` (rubric weights total 100, tranche percentages total 100, the cap within the
    budget, the window in order) checked on every save, each message by its field."""

    eligible_kinds = forms.MultipleChoiceField(
        label=_("可申报的组织类型"), required=False, choices=Organization.Kind.choices,
        widget=forms.CheckboxSelectMultiple, help_text=_("不选则所有类型均可申报。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_region()
        if "year" in self.fields and not self.is_bound and not self.instance.pk:
            self.initial.setdefault("year", timezone.localdate().year)

    def clean_budget(self):
        budget = self.cleaned_data.get("budget")
        if budget is not None and budget <= 0:
            raise forms.ValidationError(_("资金总额须大于零。"))
        return budget

    def clean_max_amount(self):
        amount = self.cleaned_data.get("max_amount")
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("单项资助上限须大于零；不设上限请留空。"))
        return amount

    def clean_year(self):
        year = self.cleaned_data.get("year")
        if year is not None and not 2000 <= year <= 2100:
            raise forms.ValidationError(_("请填写正确的年度，如 2026。"))
        return year

    def clean(self):
        cleaned = super().clean()
        candidate = FundingCall(**{name: cleaned.get(name) for name in CALL_RULE_FIELDS})
        criteria = self._criteria_rows()
        problems = services.call_problems(candidate, criteria=criteria or [])
        for field, message in problems.items():
            if field == "criteria":
                if criteria is None:
                    continue  # a rubric row carries its own error; the total follows once it is put right
                if "criteria" in self.formsets:
                    # Shown at the head of the 评分细则 panel, where the weights are typed.
                    self.formsets["criteria"].non_form_errors().append(message)
                else:
                    self.add_error(None, message)
                continue
            needs = PROBLEM_DEPENDS.get(field, (field,))
            if any(name in self.fields and name not in cleaned for name in needs):
                continue  # a field it depends on already carries its own error
            self.add_error(field if field in self.fields else None, message)
        return cleaned


class IncubationBaseForm(JurisdictionRegionMixin, WagtailAdminModelForm):
    """孵化基地: the region within the officer's jurisdiction; the capacity never below the current residents."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_region()

    def clean_capacity(self):
        capacity = self.cleaned_data.get("capacity")
        if capacity is None:
            return capacity
        if capacity < 1:
            raise forms.ValidationError(_("可入驻组织数须大于零。"))
        if self.instance.pk and capacity < self.instance.residents:
            raise forms.ValidationError(
                _("可入驻组织数不能少于现有在孵组织数 %(count)s 家。") % {"count": self.instance.residents})
        return capacity


# --- the call page ---------------------------------------------------------------------------------------
class FinishCallForm(forms.Form):
    reason = forms.CharField(label=_("结束说明"), required=False, max_length=300,
                             help_text=_("尚在审查、评审或已评分而未获资助的申报将标记为未获资助。"))


# --- the application page --------------------------------------------------------------------------------
def _not_in_future(day):
    if day is not None and day > timezone.localdate():
        raise forms.ValidationError(NOT_IN_FUTURE)
    return day


def money_field(label, **kwargs):
    return forms.DecimalField(label=label, max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
                              error_messages={"min_value": _("金额须大于零。"), "invalid": _("请填写正确的金额，如 20000 或 20000.50。")},
                              **kwargs)


class BeginScreeningForm(forms.Form):
    """No fields: the button takes a submitted application up for 资格审查, where it rests until the conclusion."""


class ScreenForm(forms.Form):
    decision = forms.ChoiceField(label=_("资格审查结论"), widget=forms.RadioSelect,
                                 choices=[("pass", _("通过，进入专家评审")), ("fail", _("不通过"))])
    note = forms.CharField(label=_("审查意见"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("不通过时必须填写理由，申报组织会收到通知。"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "fail" and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("资格审查不通过时须填写理由。"))
        return cleaned


def reviewers_queryset():
    """Users holding the 评审专家 role."""
    return (User.objects.filter(is_active=True, role_assignments__role=Role.REVIEWER).distinct()
            .order_by("name", "pk"))


class ReviewerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name or str(obj)

    def _check_values(self, value):
        # A value that is no row id ("abc", a 20-digit number the database cannot hold) is an invalid choice.
        for item in value:
            if not ASCII_ID.fullmatch(str(item)):
                raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                            params={"value": item})
        return super()._check_values(value)


class AssignReviewersForm(forms.Form):
    reviewers = ReviewerChoiceField(
        label=_("评审专家"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一位评审专家。"), "invalid_choice": _("所选用户不是评审专家。")},
    )

    def __init__(self, *args, application=None, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = reviewers_queryset()
        if application is not None:
            queryset = queryset.exclude(grant_reviews__application=application)
        self.fields["reviewers"].queryset = queryset


PENDING_REVIEWS = (Review.Status.ASSIGNED, Review.Status.DECLARED)


class WithdrawReviewForm(forms.Form):
    """Take back a review not yet submitted, so one silent reviewer does not hold the application in 评审中."""

    review = forms.ModelChoiceField(label=_("撤回的评审"), queryset=Review.objects.none(), empty_label=None,
                                    error_messages={"invalid_choice": _("该评审已提交或不属于本申报。")})
    reason = forms.CharField(label=_("撤回理由"), max_length=500, error_messages={"required": _("请填写撤回理由。")})

    def __init__(self, *args, application=None, **kwargs):
        super().__init__(*args, **kwargs)
        if application is not None:
            self.fields["review"].queryset = application.reviews.filter(status__in=PENDING_REVIEWS).select_related("reviewer")
        self.fields["review"].label_from_instance = lambda r: f"{r.reviewer.name or r.reviewer}（{r.get_status_display()}）"


class AwardForm(forms.Form):
    amount = money_field(_("资助金额（元）"), help_text=_("默认为申请金额；不能超过申请金额、单项上限和计划剩余预算。"))
    note = forms.CharField(label=_("说明"), required=False, max_length=500)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("不予资助理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写未获资助的理由。")})


class AgreementForm(forms.Form):
    number = forms.CharField(label=_("协议编号"), max_length=40, error_messages={"required": _("请填写协议编号。")})
    signed_on = forms.DateField(label=_("签订日期"), widget=AdminDateInput,
                                error_messages={"required": _("请填写签订日期。"), "invalid": _("请填写正确的日期。")})

    def clean_signed_on(self):
        return _not_in_future(self.cleaned_data.get("signed_on"))


class TrancheChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"第 {obj.sequence} 期（{obj.get_condition_display()}，{obj.percent}%，¥{obj.amount:,.2f}）"


class PayTrancheForm(forms.Form):
    tranche = TrancheChoiceField(label=_("拨付期次"), queryset=Tranche.objects.none(), empty_label=None,
                                 error_messages={"invalid_choice": _("该期次不属于本项目或已不在待拨付状态。")})
    paid_on = forms.DateField(label=_("拨付日期"), widget=AdminDateInput,
                              error_messages={"required": _("请填写拨付日期。"), "invalid": _("请填写正确的日期。")})
    reference = forms.CharField(label=_("凭证号"), required=False, max_length=60)

    def __init__(self, *args, award=None, **kwargs):
        super().__init__(*args, **kwargs)
        if award is not None:
            self.fields["tranche"].queryset = award.tranches.filter(status=Tranche.Status.PENDING).order_by("sequence")

    def clean_paid_on(self):
        return _not_in_future(self.cleaned_data.get("paid_on"))


class ClawbackForm(forms.Form):
    amount = money_field(_("追回金额（元）"))
    reason = forms.CharField(label=_("追回原因"), max_length=300, error_messages={"required": _("请填写追回原因。")})
    paid_on = forms.DateField(label=_("追回日期"), widget=AdminDateInput,
                              error_messages={"required": _("请填写追回日期。"), "invalid": _("请填写正确的日期。")})

    def clean_paid_on(self):
        return _not_in_future(self.cleaned_data.get("paid_on"))


class AssessReportForm(forms.Form):
    score = forms.IntegerField(label=_("评定分数（0–100）"), min_value=0, max_value=100,
                               error_messages={"required": _("请填写评定分数。"), "min_value": _("评定分数须在 0–100 之间。"),
                                               "max_value": _("评定分数须在 0–100 之间。"), "invalid": _("评定分数须为整数。")})
    assessment = forms.CharField(label=_("评定意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                                 error_messages={"required": _("请填写评定意见。")})


class ReturnReportForm(forms.Form):
    reason = forms.CharField(label=_("退回理由"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写退回理由。")})


# --- the base page ---------------------------------------------------------------------------------------
def organizations_for(user):
    """Active organizations an officer may admit: those of their jurisdiction (all for a superuser)."""
    queryset = Organization.objects.filter(ACTIVE)
    return queryset if user.is_superuser else queryset.filter(jurisdiction_q(user, "region"))


class AdmitForm(forms.Form):
    """入驻: the organization is named by its 统一社会信用代码, 备案编号 or full name."""

    organization = forms.CharField(
        label=_("入驻组织"), max_length=120,
        help_text=_("填写统一社会信用代码、备案编号或组织全称。"), error_messages={"required": _("请填写入驻组织。")},
    )
    admitted_on = forms.DateField(label=_("入驻日期"), widget=AdminDateInput,
                                  error_messages={"required": _("请填写入驻日期。"), "invalid": _("请填写正确的日期。")})
    planned_until = forms.DateField(label=_("计划孵化期至"), required=False, widget=AdminDateInput,
                                    error_messages={"invalid": _("请填写正确的日期。")})
    note = forms.CharField(label=_("入驻说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.organization_obj = None

    def clean_organization(self):
        text = self.cleaned_data["organization"].strip()
        scope = organizations_for(self.user) if self.user is not None else Organization.objects.none()
        matches = list(scope.filter(Q(credit_code=text.upper()) | Q(filing_number=text) | Q(name=text))[:2])
        if not matches:
            raise forms.ValidationError(_("未找到该组织：请核对统一社会信用代码、备案编号或全称；已注销、撤销或不在您辖区的组织不能入驻。"))
        if len(matches) > 1:
            raise forms.ValidationError(_("该名称对应多个组织，请改填统一社会信用代码或备案编号。"))
        self.organization_obj = matches[0]
        return text

    def clean(self):
        cleaned = super().clean()
        admitted, until = cleaned.get("admitted_on"), cleaned.get("planned_until")
        if admitted and until and until <= admitted:
            self.add_error("planned_until", _("计划孵化期须晚于入驻日期。"))
        return cleaned


class ServiceForm(forms.Form):
    kind = forms.ChoiceField(label=_("服务类型"), choices=ResidencyService.Kind.choices)
    provided_on = forms.DateField(label=_("服务日期"), widget=AdminDateInput,
                                  error_messages={"required": _("请填写服务日期。"), "invalid": _("请填写正确的日期。")})
    hours = forms.DecimalField(label=_("时长（小时）"), required=False, max_digits=6, decimal_places=1,
                               min_value=Decimal("0.1"), error_messages={"min_value": _("时长须大于零。")})
    description = forms.CharField(label=_("服务内容"), max_length=300, error_messages={"required": _("请填写服务内容。")})

    def clean_provided_on(self):
        return _not_in_future(self.cleaned_data.get("provided_on"))


class LeaveForm(forms.Form):
    how = forms.ChoiceField(label=_("离开方式"), widget=forms.RadioSelect,
                            choices=[("graduated", _("出壳")), ("withdrawn", _("退出"))])
    left_on = forms.DateField(label=_("出壳（退出）日期"), widget=AdminDateInput,
                              error_messages={"required": _("请填写日期。"), "invalid": _("请填写正确的日期。")})
    outcome = forms.ChoiceField(label=_("出壳评估结论"), required=False,
                                choices=[("", "—")] + list(Residency.Outcome.choices))
    assessment = forms.CharField(label=_("出壳评估意见 / 退出原因"), max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2}),
                                 error_messages={"required": _("请填写出壳评估意见或退出原因。")})

    def clean_left_on(self):
        return _not_in_future(self.cleaned_data.get("left_on"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("how") == "graduated" and not cleaned.get("outcome"):
            self.add_error("outcome", _("出壳时请选择评估结论。"))
        return cleaned

