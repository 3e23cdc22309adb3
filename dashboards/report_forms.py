"""The officer's form to request a yearly statistical report: a region they administer and a year."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Region

from .reports import regions_for, year_choices


class ReportRequestForm(forms.Form):
    region = forms.TypedChoiceField(
        label=_("辖区"), coerce=int, help_text=_("可选择您管辖的区划及其下辖的区（市、县）。"),
        error_messages={"required": _("请选择辖区。"), "invalid_choice": _("请选择您管辖的区划。")},
    )
    year = forms.TypedChoiceField(
        label=_("统计年度"), coerce=int,
        error_messages={"required": _("请选择统计年度。"), "invalid_choice": _("请选择列表中的年度。")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = {region.pk: region for region in regions_for(user)}
        self.fields["region"].choices = [("", _("请选择"))] + [
            (pk, region.name if region.level != Region.Level.DISTRICT else f"　{region.name}")
            for pk, region in self.regions.items()
        ]
        years = year_choices()
        self.fields["year"].choices = [(year, _("%(year)d 年") % {"year": year}) for year in years]
        # Last year by default: the yearly report usually covers a year that has ended.
        self.fields["year"].initial = years[1] if len(years) > 1 else years[0]

    def clean_region(self) -> Region:
        return self.regions[self.cleaned_data["region"]]
