"""What every officers' admin form with a region needs: the region limited to the officer's jurisdiction (any
region for a superuser), defaulting to it, with a Chinese message for a region outside it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Region
from .permissions import can_administer_region, jurisdiction_q

OUTSIDE_JURISDICTION = _("只能选择本人辖区内的区划。")


def jurisdiction_regions(user):
    """The regions an officer administers (their jurisdictions' subtrees); every region for a superuser."""
    regions = Region.objects.order_by("path")
    if user is None or user.is_superuser:
        return regions
    return regions.filter(jurisdiction_q(user, "self"))


class JurisdictionRegionMixin:
    """For a WagtailAdminModelForm (``for_user`` set): call ``_limit_region()`` in ``__init__``."""

    def _limit_region(self):
        user = getattr(self, "for_user", None)
        if "region" not in self.fields or user is None:
            return
        field = self.fields["region"]
        field.queryset = jurisdiction_regions(user)
        field.error_messages["invalid_choice"] = OUTSIDE_JURISDICTION
        if not self.is_bound and not getattr(self.instance, "region_id", None) and user.jurisdictions:
            self.initial.setdefault("region", user.jurisdictions[0].pk)

    def clean_region(self):
        region = self.cleaned_data.get("region")
        user = getattr(self, "for_user", None)
        if region is not None and user is not None and not can_administer_region(user, region):
            raise forms.ValidationError(OUTSIDE_JURISDICTION)
        return region
