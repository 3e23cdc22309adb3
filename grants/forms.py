"""Forms of the grants pages. They validate what a person typed, with the Chinese message next to the field, and
hand clean values to grants.services; they never write rows."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.files import DocumentFileField
from core.money import format_yuan

from .models import GrantReport

ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
DATE_INPUT = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}
MONEY = {"max_digits": 12, "decimal_places": 2}


def _money_messages(label: str) -> dict:
    return {
        "invalid": _("%(label)s须为数字，例如 12000 或 12000.50。") % {"label": label},
        "min_value": _("%(label)s须大于零。") % {"label": label},
        "max_decimal_places": _("%(label)s最多保留两位小数（到分）。") % {"label": label},
        "max_digits": _("%(label)s过大。") % {"label": label},
        "max_whole_digits": _("%(label)s过大。") % {"label": label},
    }


COUNT_LIMIT = 10_000_000  # people or sessions: far above any project, far below the database's integer limit


def _count_field(label: str, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=0, max_value=COUNT_LIMIT, help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
        error_messages={"invalid": _("请填写整数。"), "min_value": _("不能小于 0。"),
                        "max_value": _("数字过大，请核对（不超过一千万）。")},
    )


class ApplicationForm(forms.Form):
    """The particulars of a draft. Only the title and the amount are needed to save; what submission needs
    (summary, targets, budget lines, documents) is checked by the service and shown by the field."""

    project_title = forms.CharField(label=_("项目名称"), max_length=120,
                                    error_messages={"required": _("请填写项目名称。")})
    summary = forms.CharField(
        label=_("项目概述"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("服务对象、服务内容与方式、预期成效。提交时必填。"),
    )
    requested_amount = forms.DecimalField(
        label=_("申请金额（元）"), min_value=Decimal("0.01"), **MONEY,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        error_messages={"required": _("请填写申请金额。"), **_money_messages(_("申请金额"))},
    )
    beneficiaries_target = _count_field(_("计划服务人数"), _("计划服务人数与活动场次至少填写一项。"))
    activities_target = _count_field(_("计划开展活动（场次）"))
    other_targets = forms.CharField(label=_("其他目标"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    starts_on = forms.DateField(label=_("项目开始日期"), required=False, widget=forms.DateInput(**DATE_INPUT),
                                error_messages={"invalid": _("请填写有效日期，例如 2026-09-01。")})
    ends_on = forms.DateField(label=_("项目结束日期"), required=False, widget=forms.DateInput(**DATE_INPUT),
                              error_messages={"invalid": _("请填写有效日期，例如 2027-08-31。")})
    contact_name = forms.CharField(label=_("项目联系人"), max_length=40, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=40, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))

    def __init__(self, *args, call=None, **kwargs):
        super().__init__(*args, **kwargs)
        if call is not None and call.max_amount is not None:
            self.fields["requested_amount"].help_text = _("本计划单项资助上限 %(cap)s。") % {"cap": format_yuan(call.max_amount)}

    def clean_beneficiaries_target(self):
        return self.cleaned_data.get("beneficiaries_target") or 0

    def clean_activities_target(self):
        return self.cleaned_data.get("activities_target") or 0

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends <= starts:
            self.add_error("ends_on", _("项目结束日期须晚于开始日期。"))
        return cleaned


class BudgetLineForm(forms.Form):
    """One budget line. A row left blank (or cleared) is no line at all, so clearing a row deletes it."""

    item = forms.CharField(label=_("支出科目"), max_length=80, required=False)
    amount = forms.DecimalField(
        label=_("金额（元）"), required=False, min_value=Decimal("0.01"), **MONEY,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        error_messages=_money_messages(_("金额")),
    )
    note = forms.CharField(label=_("测算依据"), max_length=200, required=False)

    def clean(self):
        cleaned = super().clean()
        item = (cleaned.get("item") or "").strip()
        amount = cleaned.get("amount")
        note = (cleaned.get("note") or "").strip()
        if not item and amount is None and not note and not self.has_error("amount"):
            cleaned["blank"] = True
            return cleaned
        if not item:
            self.add_error("item", _("请填写支出科目，或清空整行以删除该行。"))
        if amount is None and not self.has_error("amount"):
            self.add_error("amount", _("请填写金额。"))
        cleaned.update(item=item, note=note)
        return cleaned


class BaseBudgetLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        """The non-blank lines, in the order typed, as the service wants them."""
        return [
            {"item": form.cleaned_data["item"], "amount": form.cleaned_data["amount"], "note": form.cleaned_data["note"]}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("blank")
        ]


BudgetLineFormSet = forms.formset_factory(
    BudgetLineForm, formset=BaseBudgetLineFormSet, extra=2, max_num=60, validate_max=True, absolute_max=60,
)


class UploadForm(forms.Form):
    file = DocumentFileField(label=_("选择文件"))  # type by content and size checked by the field itself


class DocumentUploadForm(UploadForm):
    requirement = forms.IntegerField(widget=forms.HiddenInput)


class ReportForm(forms.Form):
    """A mid-term or final report. The application's targets are shown beside what was achieved."""

    beneficiaries_reached = _count_field(_("实际服务人数"))
    activities_held = _count_field(_("实际开展活动（场次）"))
    spent_amount = forms.DecimalField(
        label=_("已使用资金（元）"), required=False, min_value=Decimal("0"), **MONEY,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        error_messages={**_money_messages(_("已使用资金")), "min_value": _("已使用资金不能小于零。")},
    )
    outcomes = forms.CharField(label=_("项目成效"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
                               help_text=_("对照申报目标说明完成情况。提交时必填。"))
    problems = forms.CharField(label=_("存在问题及改进"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, application=None, award=None, **kwargs):
        super().__init__(*args, **kwargs)
        if application is not None:
            self.fields["beneficiaries_reached"].help_text = _("申报目标：%(n)s 人") % {"n": application.beneficiaries_target}
            self.fields["activities_held"].help_text = _("申报目标：%(n)s 场") % {"n": application.activities_target}
            if application.other_targets:
                self.fields["outcomes"].help_text = _("对照申报目标说明完成情况。其他目标：%(t)s") % {"t": application.other_targets}
        if award is not None:
            self.fields["spent_amount"].help_text = _("资助金额 %(amount)s，已拨付 %(paid)s") % {
                "amount": format_yuan(award.amount), "paid": format_yuan(award.paid_total)}

    def clean_beneficiaries_reached(self):
        return self.cleaned_data.get("beneficiaries_reached") or 0

    def clean_activities_held(self):
        return self.cleaned_data.get("activities_held") or 0

    def clean_spent_amount(self):
        value = self.cleaned_data.get("spent_amount")
        return Decimal("0") if value is None else value

    @staticmethod
    def initial_from(report: GrantReport | None) -> dict:
        if report is None:
            return {}
        return {field: getattr(report, field) for field in
                ("beneficiaries_reached", "activities_held", "spent_amount", "outcomes", "problems")}


class DeclarationForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=_("与申报组织是否存在利益冲突"), coerce=lambda v: v == "yes", widget=forms.RadioSelect,
        choices=[("no", _("不存在：本人及近亲属未在该组织任职、未与其有经济往来或其他可能影响公正评审的关系")),
                 ("yes", _("存在利益冲突，申请回避"))],
        error_messages={"required": _("请选择是否存在利益冲突。")},
    )
    statement = forms.CharField(label=_("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                                help_text=_("存在利益冲突时必填，例如：曾在该组织任职、与其负责人有亲属关系。"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("has_conflict") and not (cleaned.get("statement") or "").strip():
            self.add_error("statement", _("请说明利益冲突的情况（例如：曾在申报组织任职、与其负责人有亲属关系）。"))
        return cleaned


class ReviewForm(forms.Form):
    """A score (0 to the criterion's maximum) and a written rationale for each criterion of the rubric, and an
    overall comment."""

    comment = forms.CharField(label=_("总体意见"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        fields = {}
        for criterion in self.criteria:
            top = criterion.max_score
            fields[f"s{criterion.pk}"] = forms.DecimalField(
                label=_("得分（0–%(top)s 分）") % {"top": top}, min_value=0, max_value=top, max_digits=5,
                decimal_places=1, widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
                error_messages={
                    "required": _("请为“%(name)s”评分。") % {"name": criterion.name},
                    "invalid": _("“%(name)s”的得分须为数字。") % {"name": criterion.name},
                    "min_value": _("“%(name)s”的得分不能小于 0。") % {"name": criterion.name},
                    "max_value": _("“%(name)s”的得分不能超过 %(top)s 分。") % {"name": criterion.name, "top": top},
                    "max_decimal_places": _("得分最多保留一位小数。"),
                    "max_digits": _("得分过大。"),
                    "max_whole_digits": _("得分过大。"),
                },
            )
            fields[f"r{criterion.pk}"] = forms.CharField(
                label=_("评分理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"required": _("请填写“%(name)s”的评分理由。") % {"name": criterion.name}},
            )
        self.fields = {**fields, "comment": self.fields["comment"]}

    def rows(self):
        """(criterion, score field, rationale field) for the template."""
        return [(c, self[f"s{c.pk}"], self[f"r{c.pk}"]) for c in self.criteria]

    def scores(self) -> dict[int, tuple]:
        return {c.pk: (self.cleaned_data[f"s{c.pk}"], self.cleaned_data[f"r{c.pk}"]) for c in self.criteria}
