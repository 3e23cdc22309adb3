"""Account forms (sign-up and sign-in by mobile number, API token naming) and what every form may use."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import User
from .phone import normalize_phone, validate_phone


class PlausibleDatesMixin:
    """Dates and times outside 2000–2100 are typing mistakes; refused next to the field (a year-1 time would
    overflow the time-zone conversion, a year-9999 date the term arithmetic)."""

    FIRST_YEAR, LAST_YEAR = 2000, 2100

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            value = cleaned.get(name)
            if isinstance(field, (forms.DateField, forms.DateTimeField)) and value is not None \
                    and not self.FIRST_YEAR <= value.year <= self.LAST_YEAR:
                self.add_error(name, _("日期须在 %(first)s–%(last)s 年之间。") % {"first": self.FIRST_YEAR,
                                                                             "last": self.LAST_YEAR})
        return cleaned


class PhoneField(forms.CharField):
    """A mainland mobile number; accepts spaces, dashes and +86, cleans to 11 digits."""

    default_error_messages = {"required": _("请填写手机号码。")}

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("手机号码"))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "tel", "autocomplete": "tel", "placeholder": "13800138000"})
        return attrs

    def to_python(self, value):
        return normalize_phone(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        if value:
            validate_phone(value)


class SignUpForm(forms.Form):
    phone = PhoneField()
    name = forms.CharField(label=_("姓名"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label=_("电子邮箱"), required=False, help_text=_("用于找回密码，可不填。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 8 位，不能全是数字，不能过于常见。"),
    )
    password2 = forms.CharField(
        label=_("确认密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        if User.objects.filter(phone=phone).exists():
            raise forms.ValidationError(_("该手机号码已注册，请直接登录或找回密码。"), code="duplicate_phone")
        return phone

    def clean_password2(self):
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            raise forms.ValidationError(_("两次输入的密码不一致。"), code="password_mismatch")
        return password2

    def _post_clean(self):
        super()._post_clean()
        password = self.cleaned_data.get("password2")
        if password and not self.has_error("password2"):
            candidate = User(phone=self.cleaned_data.get("phone", ""), name=self.cleaned_data.get("name", ""),
                             email=self.cleaned_data.get("email") or "")
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)


class SignInForm(AuthenticationForm):
    """Django's sign-in form with the phone number as user name, normalised before authentication."""

    username = PhoneField(widget=forms.TextInput(attrs={"autofocus": True}))
    error_messages = {
        "invalid_login": _("手机号码或密码不正确。请注意密码区分大小写。"),
        "inactive": _("该账号已停用，请联系管理员。"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm copies the model field's max_length (11); spaces, dashes and +86 need more.
        field = self.fields["username"]
        field.max_length = 20
        field.widget.attrs["maxlength"] = "20"
        field.label = _("手机号码")
        self.fields["password"].label = _("密码")


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("用途"), max_length=64, help_text=_("例如：区中心数据同步脚本"))


class PhoneCodeForm(forms.Form):
    code = forms.CharField(
        label=_("短信验证码"), max_length=6, min_length=6,
        error_messages={"required": _("请填写短信验证码。"), "min_length": _("验证码为 6 位数字。")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError(_("验证码为 6 位数字。"))
        return code
