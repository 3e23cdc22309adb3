"""Forms of the organization workspace. They validate input; services change state."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.files import DocumentFileField
from core.models import Region

from .codes import id_number_problem
from .models import AnnualReport, Application, Membership, Organization


class ApplicationForm(forms.ModelForm):
    """The particulars of a 成立登记 or 备案 (and, pre-filled, of a 变更). A draft may be saved half-filled;
    the conditions are checked at submission."""

    region = forms.ModelChoiceField(
        label=_("住所所在区划"), queryset=Region.objects.none(),
        help_text=_("成立登记选择所在区（市、县）；社区社会组织备案选择所在街道（乡镇）。"),
    )

    class Meta:
        model = Application
        fields = [
            "name", "org_kind", "region", "nature", "foundation_type", "direct_category", "business_supervisor",
            "legal_representative", "legal_representative_id_number", "domicile", "purpose", "business_scope",
            "activity_area", "funds", "individual_members", "unit_members", "is_charity", "contact_phone",
            "service_fields", "statement",
        ]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "business_scope": forms.Textarea(attrs={"rows": 3}),
            "statement": forms.Textarea(attrs={"rows": 3}),
            "service_fields": forms.CheckboxSelectMultiple,
            "legal_representative_id_number": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 18}),
        }

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        levels = [Region.Level.SUBDISTRICT] if kind == Application.Kind.FILING else [Region.Level.CITY, Region.Level.DISTRICT]
        self.fields["region"].queryset = Region.objects.filter(level__in=levels).order_by("code")
        if kind == Application.Kind.FILING:
            self.fields["org_kind"].choices = [(Organization.Kind.COMMUNITY, Organization.Kind.COMMUNITY.label)]
        else:
            self.fields["org_kind"].choices = [c for c in Organization.Kind.choices if c[0] != Organization.Kind.COMMUNITY]
        if kind in (Application.Kind.CHANGE, Application.Kind.DEREGISTER):
            # The organization's kind and place are fixed; a change alters the particulars.
            for name in ("org_kind", "region"):
                self.fields.pop(name)
            self.fields["statement"].required = True
        if kind == Application.Kind.DEREGISTER:
            for name in list(self.fields):
                if name not in ("statement", "contact_phone"):
                    self.fields.pop(name)
        for name in ("name", "legal_representative"):
            if name in self.fields:
                self.fields[name].required = True

    def clean_legal_representative_id_number(self):
        value = (self.cleaned_data.get("legal_representative_id_number") or "").strip().upper()
        if value:
            problem = id_number_problem(value)
            if problem:
                raise forms.ValidationError(problem)
        return value


class DocumentUploadForm(forms.Form):
    requirement = forms.CharField(widget=forms.HiddenInput)
    file = DocumentFileField(label=_("选择文件"))  # type by content and size checked by the field itself


class NewApplicationForm(forms.Form):
    kind = forms.ChoiceField(label=_("申请事项"), choices=Application.Kind.choices, widget=forms.RadioSelect)
    organization = forms.ModelChoiceField(
        label=_("申请组织"), queryset=Organization.objects.none(), required=False,
        help_text=_("变更登记和注销登记需选择本人所属的组织。"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(
            memberships__user=user, status__in=[Organization.Status.REGISTERED, Organization.Status.FILED]
        )

    def clean(self):
        data = super().clean()
        if data.get("kind") in (Application.Kind.CHANGE, Application.Kind.DEREGISTER) and not data.get("organization"):
            self.add_error("organization", _("变更登记和注销登记请选择申请组织。"))
        return data


class AnnualReportForm(forms.ModelForm):
    class Meta:
        model = AnnualReport
        fields = ["activities", "income", "government_income", "expenditure", "net_assets", "staff_count", "party_status"]
        widgets = {"activities": forms.Textarea(attrs={"rows": 5})}

    def clean(self):
        data = super().clean()
        income, government = data.get("income"), data.get("government_income")
        if income is not None and government is not None and government > income:
            self.add_error("government_income", _("政府购买服务收入不能大于本年收入。"))
        for name in ("income", "government_income", "expenditure"):
            if data.get(name) is not None and data[name] < 0:
                self.add_error(name, _("金额不能为负数。"))
        return data


class InviteMemberForm(forms.Form):
    phone = forms.CharField(label=_("成员手机号码"), max_length=20)
    role = forms.ChoiceField(label=_("身份"), choices=Membership.Role.choices, initial=Membership.Role.HANDLER)

    def clean_phone(self):
        from core.phone import normalize_phone, validate_phone

        phone = normalize_phone(self.cleaned_data["phone"])
        validate_phone(phone)
        return phone


class DecisionForm(forms.Form):
    """The officer's decision on an application; which fields matter depends on the action."""

    ACTIONS = [
        ("accept", _("受理")), ("reject", _("不予受理")), ("correction", _("退回补正")),
        ("approve", _("准予")), ("deny", _("不予")), ("opinion", _("记录居委会意见")),
    ]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    text = forms.CharField(label=_("意见、理由或需补正的内容"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    credit_code = forms.CharField(label=_("统一社会信用代码"), required=False, max_length=18,
                                  help_text=_("成立登记准予时填写赋码系统生成的代码。"))
