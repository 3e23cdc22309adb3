"""The officers' campaign form in the Wagtail admin: kinds as checkboxes, regions limited to the officer's
jurisdiction, experts limited to reviewers, the window checked in Chinese."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from core.admin_forms import jurisdiction_regions
from core.models import Role, User
from orgs.models import Organization


class CampaignForm(WagtailAdminModelForm):
    scope_kinds = forms.MultipleChoiceField(
        label=_("组织类型"), required=False, choices=Organization.Kind.choices, widget=forms.CheckboxSelectMultiple,
        help_text=_("不选为全部类型。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        if "region" in self.fields and user is not None and not user.is_superuser:
            self.fields["region"].queryset = jurisdiction_regions(user)
        if "experts" in self.fields:
            self.fields["experts"].queryset = User.objects.filter(role_assignments__role=Role.REVIEWER).distinct()
            self.fields["experts"].widget = forms.CheckboxSelectMultiple()
            self.fields["experts"].widget.choices = self.fields["experts"].choices

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("截止时间须晚于开始时间。"))
        bands = [cleaned.get("band_excellent"), cleaned.get("band_good"), cleaned.get("band_pass")]
        if all(b is not None for b in bands) and not bands[0] > bands[1] > bands[2]:
            self.add_error("band_good", _("分数线须依次递减：优秀 > 良好 > 合格。"))
        if cleaned.get("kind") == "grading":
            cleaned["public_weight"] = 0
        return cleaned
