"""Forms of evaluations. They validate what a person typed; the services decide and record."""

from django import forms
from django.utils.translation import gettext_lazy as _

SCALE_LABELS = [(5, _("5 很好")), (4, _("4 较好")), (3, _("3 一般")), (2, _("2 较差")), (1, _("1 很差"))]


class RatingForm(forms.Form):
    """1–5 on each dimension (radio buttons), and an optional comment shown only after moderation."""

    comment = forms.CharField(
        label=_("留言（选填）"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("留言经审核后公开显示，请勿填写个人信息。"),
        error_messages={"max_length": _("留言不超过 500 字（现有 %(show_value)d 字）。")},
    )

    def __init__(self, *args, dimensions, **kwargs):
        super().__init__(*args, **kwargs)
        self.dimensions = list(dimensions)
        fields = {}
        for dimension in self.dimensions:
            fields[f"d{dimension.pk}"] = forms.TypedChoiceField(
                label=dimension.name, help_text=dimension.description, choices=SCALE_LABELS, coerce=int,
                widget=forms.RadioSelect(attrs={"class": "scale"}),
                error_messages={
                    "required": _("请为“%(name)s”评分。") % {"name": dimension.name},
                    "invalid_choice": _("“%(name)s”的评分须在 1–5 之间。") % {"name": dimension.name},
                },
            )
        self.fields = {**fields, "comment": self.fields["comment"]}

    def dimension_values(self) -> dict[str, int]:
        return {str(d.pk): self.cleaned_data[f"d{d.pk}"] for d in self.dimensions}


class DeclarationForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=_("与该组织是否存在利益冲突"), coerce=lambda v: v == "yes", widget=forms.RadioSelect,
        choices=[("no", _("不存在：本人及近亲属未在该组织任职、未与其有经济往来或其他可能影响公正评分的关系")),
                 ("yes", _("存在利益冲突，申请回避"))],
        error_messages={"required": _("请选择是否存在利益冲突。")},
    )
    statement = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("has_conflict") and not (cleaned.get("statement") or "").strip():
            self.add_error("statement", _("请说明利益冲突的情况。"))
        return cleaned


class ScoreForm(forms.Form):
    """A score and its evidence for each dimension, on the dimension's own scale."""

    def __init__(self, *args, dimensions, **kwargs):
        super().__init__(*args, **kwargs)
        self.dimensions = list(dimensions)
        for dimension in self.dimensions:
            top = dimension.max_points
            self.fields[f"d{dimension.pk}"] = forms.IntegerField(
                label=f"{dimension.name}（0–{top} 分）", min_value=0, max_value=top, help_text=dimension.description,
                error_messages={
                    "required": _("请填写“%(name)s”的得分。") % {"name": dimension.name},
                    "invalid": _("得分须为整数。"),
                    "min_value": _("得分不能小于 0。"),
                    "max_value": _("得分不能超过 %(top)s 分。") % {"top": top},
                },
            )
            self.fields[f"n{dimension.pk}"] = forms.CharField(
                label=_("评分依据"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={"required": _("请填写“%(name)s”的评分依据。") % {"name": dimension.name}},
            )

    def values(self) -> dict[str, int]:
        return {str(d.pk): self.cleaned_data[f"d{d.pk}"] for d in self.dimensions}

    def notes(self) -> dict[str, str]:
        return {str(d.pk): self.cleaned_data[f"n{d.pk}"] for d in self.dimensions}


class ReviewRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("复核理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("请填写复核理由。")},
        help_text=_("请写明对哪一项结果有异议及理由，可列明证明材料。"),
    )


class ReviewDecisionForm(forms.Form):
    change = forms.TypedChoiceField(
        label=_("复核结论"), coerce=lambda v: v == "change", widget=forms.RadioSelect,
        choices=[("uphold", _("维持原结果")), ("change", _("变更结果"))],
        error_messages={"required": _("请选择复核结论。")},
    )
    new_total = forms.DecimalField(label=_("复核后得分"), required=False, min_value=0, max_value=1000, decimal_places=2)
    response = forms.CharField(label=_("复核意见"), widget=forms.Textarea(attrs={"rows": 3}),
                               error_messages={"required": _("请填写复核意见。")})

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("change") and cleaned.get("new_total") is None:
            self.add_error("new_total", _("变更结果须填写复核后得分。"))
        return cleaned


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("处理"), widget=forms.RadioSelect,
        choices=[("keep", _("保留：评价真实有效")), ("exclude", _("剔除：不计入结果"))],
        error_messages={"required": _("请选择保留或剔除。")},
    )
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写处理理由。")})


class ModerateForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("留言"), widget=forms.RadioSelect, choices=[("approve", _("公开")), ("reject", _("不予公开"))],
        error_messages={"required": _("请选择是否公开留言。")},
    )
    reason = forms.CharField(label=_("说明"), required=False)
