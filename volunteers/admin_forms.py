"""The officers' forms of 爱心银行 in the Wagtail admin: merchants limited to the officer's jurisdiction, a merchant's
new member found by phone number, and 好市民 awards by 志愿者编号. Chinese messages next to the field; the
services do the writing."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from core.admin_forms import JurisdictionRegionMixin
from core.models import User
from core.phone import normalize_phone, validate_phone

from .permissions import volunteers_for_officer


class MerchantForm(JurisdictionRegionMixin, WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_region()


class MerchantMemberForm(forms.Form):
    """添加经办人: the person signs up on the portal first; the officer adds them by their phone number."""

    phone = forms.CharField(
        label=_("经办人手机号码"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("经办人须先在门户注册；添加后即可代表本商家发布回馈、核销兑换券。"),
    )

    def clean_phone(self):
        phone = normalize_phone(self.cleaned_data["phone"])
        validate_phone(phone)
        user = User.objects.filter(phone=phone, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("没有使用该手机号码注册的用户，请先请经办人在门户注册。"))
        self.user = user
        return phone


class AwardForm(JurisdictionRegionMixin, WagtailAdminModelForm):
    """授予好市民称号: the volunteer is named by their 志愿者编号 and must be of the officer's jurisdiction."""

    volunteer_number = forms.CharField(label=_("志愿者编号"), max_length=20, help_text=_("如 ZY20260000001。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_region()
        if "year" in self.fields and not self.is_bound:
            self.initial.setdefault("year", timezone.localdate().year)
        self.volunteer = None

    def clean_volunteer_number(self):
        number = self.cleaned_data["volunteer_number"].strip().upper()
        user = getattr(self, "for_user", None)
        volunteer = volunteers_for_officer(user).filter(number=number).first() if user is not None else None
        if volunteer is None:
            raise forms.ValidationError(_("未找到该志愿者编号，或该志愿者不在您的辖区。"))
        self.volunteer = volunteer
        return number

    def clean_year(self):
        year = self.cleaned_data["year"]
        if not 2000 <= year <= timezone.localdate().year:
            raise forms.ValidationError(_("请填写 2000 年至今年之间的年度。"))
        return year

    def clean(self):
        cleaned = super().clean()
        region = cleaned.get("region")
        if self.volunteer is not None and region is not None and not self.volunteer.region.path.startswith(region.path):
            self.add_error("region", _("该志愿者不在所选区划内，请选择志愿者所在的区划或其上级区划。"))
        return cleaned
