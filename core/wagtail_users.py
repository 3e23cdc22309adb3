"""Wagtail's user admin adapted to the portal's user: the phone number is the user name, one 姓名 field,
e-mail optional. Wagtail's own forms expect first and last names, which Chinese forms do not split."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views.users import UserViewSet

from .phone import normalize_phone

PORTAL_FIELDS = {"phone", "name", "email", "is_superuser", "groups"}


class _PhoneNormalisingMixin:
    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])


class PortalUserCreationForm(_PhoneNormalisingMixin, UserCreationForm):
    first_name = None
    last_name = None
    email = forms.EmailField(required=False, label=_("电子邮箱"))

    class Meta(UserCreationForm.Meta):
        fields = PORTAL_FIELDS


class PortalUserEditForm(_PhoneNormalisingMixin, UserEditForm):
    first_name = None
    last_name = None
    email = forms.EmailField(required=False, label=_("电子邮箱"))

    class Meta(UserEditForm.Meta):
        fields = PORTAL_FIELDS | {"is_active"}


class PortalUserViewSet(UserViewSet):
    create_template_name = "core/admin/user_create.html"
    edit_template_name = "core/admin/user_edit.html"

    def get_form_class(self, for_update=False):
        return PortalUserEditForm if for_update else PortalUserCreationForm
