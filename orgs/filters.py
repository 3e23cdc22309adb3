"""The public registry's filters (django-filter); the list, the XLSX/CSV export and the API use the same set."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Region

from .models import CreditListing, Organization, ServiceField
from .queries import ACTIVE


class OrganizationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("名称"), method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("输入名称中的任意词，如：养老"), "type": "search"}),
    )
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=Organization.Kind.choices, empty_label=_("全部类型"))
    district = django_filters.ModelChoiceFilter(
        label=_("所在区（市、县）"), queryset=Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"),
        method="filter_district", to_field_name="code", empty_label=_("全部区县"),
    )
    field = django_filters.ModelChoiceFilter(
        label=_("服务领域"), queryset=ServiceField.objects.all(), field_name="service_fields",
        to_field_name="code", empty_label=_("全部领域"),
    )
    status = django_filters.ChoiceFilter(
        label=_("状态"), method="filter_status", empty_label=_("存续（已登记、已备案）"),
        choices=[*Organization.Status.choices, ("all", _("全部状态"))],
    )
    credit = django_filters.ChoiceFilter(
        label=_("信用状况"), method="filter_credit", empty_label=_("不限"),
        choices=[("clean", _("未列入信用名录")), *CreditListing.Kind.choices],
    )
    grade = django_filters.ChoiceFilter(
        label=_("评估等级"), method="filter_grade", empty_label=_("不限"),
        choices=[*Organization.Grade.choices, ("3A+", _("3A 及以上")), ("any", _("有有效等级"))],
    )

    class Meta:
        model = Organization
        fields = ["q", "kind", "district", "field", "status", "credit", "grade"]

    def filter_queryset(self, queryset):
        # With no status chosen the registry lists organizations that exist today.
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(ACTIVE)
        return super().filter_queryset(queryset)

    def filter_q(self, queryset, name, value):
        # A substring match finds Chinese words inside longer names (养老 → 社区养老服务中心), which a
        # word-based search does not, since Chinese is written without spaces.
        words = value.split()
        for word in words[:5]:
            queryset = queryset.filter(Q(name__icontains=word) | Q(credit_code=word.upper()))
        return queryset

    def filter_district(self, queryset, name, value):
        return queryset.filter(region__path__startswith=value.path)

    def filter_status(self, queryset, name, value):
        return queryset if value == "all" else queryset.filter(status=value)

    def filter_grade(self, queryset, name, value):
        # Only a grade still in force counts: a grade lapses five years after it is conferred.
        current = queryset.filter(grade_valid_until__gte=timezone.localdate())
        if value == "any":
            return current.exclude(grade="")
        if value == "3A+":
            return current.filter(grade__in=[Organization.Grade.A5, Organization.Grade.A4, Organization.Grade.A3])
        return current.filter(grade=value)

    def filter_credit(self, queryset, name, value):
        if value == "clean":
            return queryset.filter(on_abnormal_list=False, on_serious_list=False)
        if value == CreditListing.Kind.ABNORMAL:
            return queryset.filter(on_abnormal_list=True)
        return queryset.filter(on_serious_list=True)
