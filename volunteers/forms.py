"""Forms of 爱心银行: they validate what people type (Chinese messages next to the field) and hand clean values
to the services; they never write rows."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Region
from core.phone import normalize_phone, validate_phone
from orgs.codes import id_number_problem
from orgs.models import ServiceField

from .models import Reward, ServiceCategory


def community_choices():
    """Districts and the communities under them, for a volunteer's or an activity's region."""
    return Region.objects.filter(level__in=[Region.Level.DISTRICT, Region.Level.SUBDISTRICT]).order_by("path")


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name if obj.level == Region.Level.DISTRICT else f"　{obj.name}"


class VolunteerRegistrationForm(forms.Form):
    real_name = forms.CharField(label=_("真实姓名"), max_length=40)
    id_number = forms.CharField(
        label=_("公民身份号码"), max_length=18, widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": 18}),
        help_text=_("实名注册用，仅本人和所在辖区的民政干部可见完整号码。"),
    )
    phone = forms.CharField(label=_("联系电话"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    region = RegionChoiceField(label=_("所在区域"), queryset=Region.objects.none(), empty_label=_("请选择"))
    skills = forms.CharField(label=_("技能特长"), max_length=200, required=False,
                             help_text=_("如：医疗、法律、心理咨询、驾驶，用顿号分隔。"))
    public_name_consent = forms.BooleanField(
        label=_("同意在好市民排行榜等公开场合显示我的姓名（不同意则显示为“张*”）"), required=False
    )
    agree = forms.BooleanField(label=_("我承诺所填信息真实，并同意按《志愿服务条例》记录我的志愿服务信息"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = community_choices()

    def clean_real_name(self):
        return self.cleaned_data["real_name"].strip()

    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip().upper()
        problem = id_number_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_phone(self):
        value = normalize_phone(self.cleaned_data["phone"])
        validate_phone(value)
        return value


class VolunteerProfileForm(forms.Form):
    phone = forms.CharField(label=_("联系电话"), max_length=20)
    region = RegionChoiceField(label=_("所在区域"), queryset=Region.objects.none())
    skills = forms.CharField(label=_("技能特长"), max_length=200, required=False)
    public_name_consent = forms.BooleanField(label=_("同意在排行榜等公开场合显示我的姓名"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = community_choices()

    def clean_phone(self):
        value = normalize_phone(self.cleaned_data["phone"])
        validate_phone(value)
        return value


class ActivityFilterForm(forms.Form):
    """The public list's filters: region, service field, date, and only shifts with open places."""

    q = forms.CharField(label=_("关键词"), required=False, max_length=40)
    district = forms.ModelChoiceField(
        label=_("区域"), required=False, empty_label=_("全部区域"),
        queryset=Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"), to_field_name="code",
    )
    field = forms.ModelChoiceField(label=_("服务领域"), required=False, empty_label=_("全部领域"),
                                   queryset=ServiceField.objects.all(), to_field_name="code")
    date = forms.DateField(label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    open_only = forms.BooleanField(label=_("只看有空余名额"), required=False)


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("活动名称"), max_length=120)
    organizer = forms.ChoiceField(label=_("组织单位"))
    region = RegionChoiceField(label=_("活动区域"), queryset=Region.objects.none(), empty_label=_("请选择"))
    category = forms.ModelChoiceField(label=_("服务类别"), queryset=ServiceCategory.objects.all(), empty_label=_("请选择"),
                                      help_text=_("积分按类别规则计算：每核实 1 小时获得相应积分。"))
    service_field = forms.ModelChoiceField(label=_("服务领域"), queryset=ServiceField.objects.all(), required=False)
    summary = forms.CharField(label=_("简介"), max_length=200)
    description = forms.CharField(label=_("活动内容"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=40)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20)
    cancel_cutoff_hours = forms.IntegerField(label=_("取消截止（开始前小时数）"), min_value=0, max_value=168, initial=24)

    def __init__(self, *args, organizers: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizer"].choices = organizers
        self.fields["region"].queryset = community_choices()


class ShiftForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    place = forms.CharField(label=_("地点"), max_length=120)
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=10000)
    skills = forms.CharField(label=_("技能要求"), max_length=120, required=False)

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("结束时间必须晚于开始时间。"))
        if starts and starts <= timezone.now():
            self.add_error("starts_at", _("开始时间应晚于当前时间。"))
        return data


class TokenForm(forms.Form):
    token = forms.CharField(label=_("志愿者签到码"), max_length=200,
                            help_text=_("扫描志愿者出示的二维码，或输入二维码下方的签到码。"))


class ShiftCodeForm(forms.Form):
    code = forms.CharField(label=_("现场签到码"), max_length=6, min_length=6,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))


class ManualAttendanceForm(forms.Form):
    checked_in_at = forms.DateTimeField(label=_("签到时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    checked_out_at = forms.DateTimeField(label=_("签退时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("不予确认的原因"), max_length=200)


class CorrectionRequestForm(forms.Form):
    new_minutes = forms.IntegerField(label=_("更正后的服务时长（分钟）"), min_value=1, max_value=24 * 60)
    reason = forms.CharField(label=_("更正理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


class CorrectionDecisionForm(forms.Form):
    apply = forms.TypedChoiceField(label=_("处理结果"), choices=[("1", _("同意更正")), ("0", _("不予更正"))],
                                   coerce=lambda v: v == "1", widget=forms.RadioSelect)
    note = forms.CharField(label=_("处理意见"), max_length=200, required=False)


class VoucherCodeForm(forms.Form):
    code = forms.CharField(label=_("兑换码"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"}),
                           help_text=_("扫描志愿者出示的兑换券二维码，或输入券面上的兑换码。"))


class RewardForm(forms.ModelForm):
    class Meta:
        model = Reward
        fields = ["title", "description", "points_price", "stock", "per_person_limit", "valid_from", "valid_until",
                  "voucher_days", "active"]
        widgets = {"valid_from": forms.DateInput(attrs={"type": "date"}), "valid_until": forms.DateInput(attrs={"type": "date"})}

    def clean(self):
        data = super().clean()
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] < data["valid_from"]:
            self.add_error("valid_until", _("兑换截止日期不能早于开始日期。"))
        return data


class RankingForm(forms.Form):
    district = forms.ModelChoiceField(
        label=_("区域"), required=False, empty_label=_("全市"),
        queryset=Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"), to_field_name="code",
    )
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(label=_("月份"), required=False, coerce=int, empty_value=None,
                                   choices=[("", _("全年"))] + [(str(m), f"{m} 月") for m in range(1, 13)])
    by = forms.ChoiceField(label=_("排序依据"), required=False, choices=[("hours", _("服务时长")), ("points", _("获得积分"))])
