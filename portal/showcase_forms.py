"""Forms of the workspace's showcase pages: they validate what a member typed (Chinese message by the field) and
hand clean values to portal.showcase; they never write rows."""

from django import forms
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from core.forms import PlausibleDatesMixin
from grants.models import ApplicationStatus, GrantApplication
from grants.permissions import public_contracts
from orgs.models import ServiceField

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_PIXELS = 50_000_000  # 50 megapixels: any phone or camera photo, refusing decompression bombs
PHOTO_FORMATS = {"JPEG": "JPG", "PNG": "PNG", "WEBP": "WEBP"}
DATE_INPUT = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}
COUNT_LIMIT = 10_000_000
# A grant is shown once it has been awarded: drafts, pending and declined applications are the organization's own.
SHOWN_GRANTS = [ApplicationStatus.AWARDED, ApplicationStatus.AGREEMENT, ApplicationStatus.IN_PROGRESS,
                ApplicationStatus.COMPLETED, ApplicationStatus.TERMINATED]


def _number_messages(label) -> dict:
    return {
        "invalid": _("%(label)s须为数字，例如 1000 或 12.5。") % {"label": label},
        "min_value": _("%(label)s不能小于 0。") % {"label": label},
        "max_decimal_places": _("%(label)s最多保留两位小数。") % {"label": label},
        "max_digits": _("%(label)s过大。") % {"label": label},
        "max_whole_digits": _("%(label)s过大。") % {"label": label},
    }


class ShowcaseEntryForm(PlausibleDatesMixin, forms.Form):
    """The particulars of an entry, one new photo, and which existing photos to remove. Contract and grant choices
    are the organization's own signed contracts and awarded grants."""

    title = forms.CharField(label=_("项目名称"), max_length=120, error_messages={"required": _("请填写项目名称。")})
    service_field = forms.ModelChoiceField(
        label=_("服务领域"), queryset=ServiceField.objects.all(), required=False, empty_label=_("（不选）"),
        error_messages={"invalid_choice": _("请从列表中选择服务领域。")},
    )
    summary = forms.CharField(
        label=_("项目简介"), max_length=250, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("一两句话说明服务对象、内容与成效，显示在项目列表中。"),
        error_messages={"required": _("请填写项目简介。"), "max_length": _("项目简介不能超过 250 字。")},
    )
    body = forms.CharField(
        label=_("项目详情"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("空一行分段。"), error_messages={"max_length": _("项目详情不能超过 20000 字。")},
    )
    started_on = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(**DATE_INPUT),
                                 error_messages={"invalid": _("请填写有效日期，例如 2026-03-01。")})
    ended_on = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(**DATE_INPUT),
                               error_messages={"invalid": _("请填写有效日期，例如 2026-12-31。")})
    people_reached = forms.IntegerField(
        label=_("服务人数"), required=False, min_value=0, max_value=COUNT_LIMIT,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
        error_messages={"invalid": _("请填写整数。"), "min_value": _("不能小于 0。"),
                        "max_value": _("数字过大，请核对（不超过一千万）。")},
    )
    contract = forms.ModelChoiceField(
        label=_("购买服务合同"), queryset=public_contracts().none(), required=False, empty_label=_("（无）"),
        error_messages={"invalid_choice": _("只能选择本组织已签订的购买服务合同。")},
    )
    grant_application = forms.ModelChoiceField(
        label=_("资助项目"), queryset=GrantApplication.objects.none(), required=False, empty_label=_("（无）"),
        error_messages={"invalid_choice": _("只能选择本组织已获资助的项目。")},
    )
    photo = forms.FileField(
        label=_("新增照片"), required=False,
        help_text=_("JPG、PNG 或 WEBP，不超过 10 MB。保存时上传；若表单其他地方有误，请改正后重新选择照片。"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={"empty": _("文件是空的，请重新选择。")},
    )
    photo_caption = forms.CharField(label=_("照片说明"), max_length=120, required=False,
                                    help_text=_("也用作图片的替代文字；不填则用项目名称。"))
    remove_photos = forms.TypedMultipleChoiceField(
        label=_("删除已有照片"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple, choices=[],
    )

    def __init__(self, *args, organization, photos=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = public_contracts().filter(organization=organization).order_by("-signed_on", "-pk")
        self.fields["grant_application"].queryset = GrantApplication.objects.filter(
            organization=organization, status__in=SHOWN_GRANTS
        ).order_by("-pk")
        self.fields["remove_photos"].choices = [(p.image_id, p.caption or _("照片 %(n)d") % {"n": i})
                                                for i, p in enumerate(photos, start=1)]
        if not photos:
            del self.fields["remove_photos"]

    def clean_people_reached(self):
        return self.cleaned_data.get("people_reached") or 0

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        if upload.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(
                _("照片过大（%(size).1f MB），不能超过 10 MB。") % {"size": upload.size / 1024 / 1024}, code="too_large"
            )
        try:
            upload.seek(0)
            with PILImage.open(upload) as image:
                kind = image.format
                width, height = image.size
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, PILImage.DecompressionBombError):
            raise forms.ValidationError(
                _("文件内容不是有效的图片（只看文件内容，不看扩展名），请上传 JPG、PNG 或 WEBP 照片。"), code="not_image"
            ) from None
        finally:
            upload.seek(0)
        if kind not in PHOTO_FORMATS:
            raise forms.ValidationError(_("只接受 JPG、PNG 或 WEBP 格式的照片。"), code="format")
        if width * height > MAX_PHOTO_PIXELS:
            raise forms.ValidationError(_("照片像素过大，请缩小后再上传。"), code="pixels")
        return upload

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("started_on"), cleaned.get("ended_on")
        if starts and ends and ends < starts:
            self.add_error("ended_on", _("结束日期不能早于开始日期。"))
        return cleaned

    def page_data(self) -> dict:
        """The page fields, as portal.showcase wants them."""
        names = ["title", "service_field", "summary", "body", "started_on", "ended_on", "people_reached", "contract",
                 "grant_application"]
        return {name: self.cleaned_data[name] for name in names}


class OutcomeForm(forms.Form):
    """One outcome row. A row left blank (or cleared) is no outcome, so clearing a row deletes it."""

    indicator = forms.CharField(label=_("指标"), max_length=60, required=False)
    unit = forms.CharField(label=_("单位"), max_length=16, required=False)
    target = forms.DecimalField(label=_("目标值"), required=False, min_value=0, max_digits=12, decimal_places=2,
                                widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
                                error_messages=_number_messages(_("目标值")))
    achieved = forms.DecimalField(label=_("完成值"), required=False, min_value=0, max_digits=12, decimal_places=2,
                                  widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
                                  error_messages=_number_messages(_("完成值")))

    def clean(self):
        cleaned = super().clean()
        indicator = (cleaned.get("indicator") or "").strip()
        unit = (cleaned.get("unit") or "").strip()
        target, achieved = cleaned.get("target"), cleaned.get("achieved")
        if not indicator and not unit and target is None and achieved is None and not self.errors:
            cleaned["blank"] = True
            return cleaned
        if not indicator:
            self.add_error("indicator", _("请填写指标名称，或清空整行以删除该行。"))
        if target is None and not self.has_error("target"):
            self.add_error("target", _("请填写目标值。"))
        if achieved is None and not self.has_error("achieved"):
            self.add_error("achieved", _("请填写完成值。"))
        cleaned.update(indicator=indicator, unit=unit or "人次")
        return cleaned


class BaseOutcomeFormSet(forms.BaseFormSet):
    def outcomes(self) -> list[dict]:
        """The non-blank rows, in the order typed."""
        return [
            {key: form.cleaned_data[key] for key in ("indicator", "unit", "target", "achieved")}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("blank")
        ]


OutcomeFormSet = forms.formset_factory(
    OutcomeForm, formset=BaseOutcomeFormSet, extra=2, max_num=20, validate_max=True, absolute_max=20,
)


def outcome_initial(page) -> list[dict]:
    return [{"indicator": o.indicator, "unit": o.unit, "target": o.target, "achieved": o.achieved}
            for o in page.outcomes.all()]
