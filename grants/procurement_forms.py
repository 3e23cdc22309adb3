"""Forms of the procurement pages of the organization (bid, delivery log, milestone report, matching funds) and of
the bid reviewer (conflict declaration, technical scores). They validate what a person typed, with the Chinese
message next to the field, and hand clean values to grants.procurement; they never write rows. Rules that need
the database or the clock (the bid deadline, the budget, the contract period) stay in the services, whose
``errors`` the views put next to the same fields."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.files import MAX_UPLOAD_BYTES, DocumentFileField, validate_document
from core.forms import PlausibleDatesMixin
from core.money import format_yuan

from .forms import ACCEPT, DATE_INPUT, MONEY, DeclarationForm, _money_messages
from .models import MatchingFund

MAX_BID_FILES = 10
FILE_HELP = _("PDF、JPG 或 PNG，单个不超过 %(mb)d MB。") % {"mb": MAX_UPLOAD_BYTES // 1024 // 1024}
DATE_MESSAGES = {"required": _("请填写日期。"), "invalid": _("请填写有效日期，例如 2026-09-01。")}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one input; cleans to a list (empty when none was chosen), each checked by content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        items = [item for item in items if item]
        if len(items) > MAX_BID_FILES:
            raise ValidationError(_("一次最多上传 %(n)d 个文件。") % {"n": MAX_BID_FILES})
        cleaned, errors = [], []
        for item in items:
            try:
                upload = super().clean(item, initial)
                validate_document(upload)
            except ValidationError as error:
                errors.extend(f"{item.name}：{message}" for message in error.messages)
            else:
                cleaned.append(upload)
        if errors:
            raise ValidationError(errors)
        return cleaned


def _evidence_file(label, required_message) -> forms.FileField:
    return DocumentFileField(label=label, help_text=FILE_HELP, error_messages={"required": required_message})


class BidForm(forms.Form):
    """A bid: the price (at most the budget, which the service checks at the moment of saving, with the deadline),
    the service proposal and optional files of the proposal."""

    price = forms.DecimalField(
        label=_("投标报价（元）"), min_value=Decimal("0.01"), **MONEY,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        error_messages={"required": _("请填写投标报价。"), **_money_messages(_("投标报价"))},
    )
    proposal = forms.CharField(
        label=_("服务方案"), max_length=20000, widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("服务内容与方式、人员配备、进度安排、质量保障措施。"),
        error_messages={"required": _("请填写服务方案。"), "max_length": _("服务方案不能超过 20000 字，详细内容请作为附件上传。")},
    )
    files = MultipleFileField(label=_("投标文件（可选，可多选）"), help_text=FILE_HELP)

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        if project is not None:
            self.fields["price"].help_text = _("采购预算 %(budget)s，报价不得超过预算。") % {
                "budget": format_yuan(project.budget)}


class DeliveryForm(PlausibleDatesMixin, forms.Form):
    """What was delivered against one target of the contract, with its evidence (required)."""

    deliverable = forms.ModelChoiceField(
        label=_("服务指标"), queryset=None, empty_label=_("请选择"),
        error_messages={"required": _("请选择服务指标。"), "invalid_choice": _("请从列表中选择服务指标。")},
    )
    quantity = forms.IntegerField(
        label=_("完成数量"), min_value=-1_000_000, max_value=1_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("更正以前登记的数量请填负数。"),
        error_messages={"required": _("请填写完成数量。"), "invalid": _("完成数量须为整数。"),
                        "min_value": _("单次更正不能超过 1,000,000。"), "max_value": _("单次登记数量不能超过 1,000,000。")},
    )
    delivered_on = forms.DateField(label=_("服务日期"), widget=forms.DateInput(**DATE_INPUT), error_messages=DATE_MESSAGES)
    description = forms.CharField(label=_("服务记录"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("服务内容、地点、对象。"),
                                  error_messages={"required": _("请填写服务记录（内容、地点、对象）。")})
    evidence = _evidence_file(_("佐证材料"), _("请上传佐证材料（签到表、照片等）。"))

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deliverable"].queryset = contract.deliverables.all()
        self.fields["deliverable"].label_from_instance = (
            lambda d: f"{d.name}（已完成 {d.delivered} / {d.target} {d.unit}）")

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise ValidationError(_("完成数量不能为 0（更正以前的记录请填负数）。"))
        return quantity

    def clean_evidence(self):
        upload = self.cleaned_data["evidence"]
        validate_document(upload)
        return upload


class MilestoneForm(forms.Form):
    """The report with which the organization says a milestone is delivered."""

    report = forms.CharField(label=_("交付说明"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("本期完成的服务内容和数量、提交的成果材料。"),
                             error_messages={"required": _("请填写交付说明。")})


class MatchingFundForm(PlausibleDatesMixin, forms.Form):
    """Social money raised for the contracted service (撬动社会资金)."""

    source = forms.ChoiceField(label=_("来源"), choices=MatchingFund.Source.choices,
                               error_messages={"required": _("请选择资金来源。"), "invalid_choice": _("请从列表中选择资金来源。")})
    funder = forms.CharField(label=_("出资方"), max_length=100, error_messages={"required": _("请填写出资方。")})
    amount = forms.DecimalField(
        label=_("金额（元）"), min_value=Decimal("0.01"), **MONEY,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        error_messages={"required": _("请填写金额。"), **_money_messages(_("金额"))},
    )
    received_on = forms.DateField(label=_("到位日期"), widget=forms.DateInput(**DATE_INPUT), error_messages=DATE_MESSAGES)


class BidDeclarationForm(DeclarationForm):
    """The reviewer's conflict-of-interest declaration about a bidding organization."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["has_conflict"].label = _("与投标组织是否存在利益冲突")
        self.fields["has_conflict"].choices = [
            ("no", _("不存在：本人及近亲属未在该组织任职、未与其有经济往来或其他可能影响公正评审的关系")),
            ("yes", _("存在利益冲突，申请回避")),
        ]

    def clean(self):
        cleaned = forms.Form.clean(self)
        if cleaned.get("has_conflict") and not (cleaned.get("statement") or "").strip():
            self.add_error("statement", _("请说明利益冲突的情况（例如：曾在投标组织任职、与其负责人有亲属关系）。"))
        return cleaned


class BidScoreForm(forms.Form):
    """A score (0 to the criterion's points) and a rationale for each technical criterion, and an overall comment.
    Field names are those of the service's errors: ``score_<criterion id>`` and ``rationale_<criterion id>``."""

    comment = forms.CharField(label=_("总体意见"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        fields = {}
        for criterion in self.criteria:
            top, name = criterion.weight, criterion.name
            fields[f"score_{criterion.pk}"] = forms.DecimalField(
                label=_("得分（0–%(top)s 分）") % {"top": top}, min_value=0, max_value=top, max_digits=5,
                decimal_places=1, widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
                error_messages={
                    "required": _("请为“%(name)s”评分。") % {"name": name},
                    "invalid": _("“%(name)s”的得分须为数字。") % {"name": name},
                    "min_value": _("“%(name)s”的得分不能小于 0。") % {"name": name},
                    "max_value": _("“%(name)s”的得分不能超过 %(top)s 分。") % {"name": name, "top": top},
                    "max_decimal_places": _("得分最多保留一位小数。"),
                    "max_digits": _("得分过大。"),
                    "max_whole_digits": _("得分过大。"),
                },
            )
            fields[f"rationale_{criterion.pk}"] = forms.CharField(
                label=_("评分理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"required": _("请填写“%(name)s”的评分理由。") % {"name": name}},
            )
        self.fields = {**fields, "comment": self.fields["comment"]}

    def rows(self):
        """(criterion, score field, rationale field) for the template."""
        return [(c, self[f"score_{c.pk}"], self[f"rationale_{c.pk}"]) for c in self.criteria]

    def scores(self) -> dict[int, tuple]:
        return {c.pk: (self.cleaned_data[f"score_{c.pk}"], self.cleaned_data[f"rationale_{c.pk}"])
                for c in self.criteria}
