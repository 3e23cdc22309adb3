"""Filters of the public grants pages (django-filter): the funding calls and the incubation bases."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Region

from .models import FundingCall, IncubationBase


def _districts():
    return Region.objects.filter(level__in=[Region.Level.CITY, Region.Level.DISTRICT]).order_by("code")


class CallFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("名称"), field_name="title", lookup_expr="icontains",
        widget=forms.TextInput(attrs={"placeholder": _("输入计划名称中的任意词，如：创投"), "type": "search"}),
    )
    kind = django_filters.ChoiceFilter(label=_("资助类型"), choices=FundingCall.Kind.choices, empty_label=_("全部类型"))
    region = django_filters.ModelChoiceFilter(
        label=_("发布辖区"), queryset=_districts(), to_field_name="code", empty_label=_("全部辖区"),
    )
    year = django_filters.NumberFilter(label=_("年度"), widget=forms.NumberInput(attrs={"placeholder": "2026"}))

    class Meta:
        model = FundingCall
        fields = ["q", "kind", "region", "year"]


class BaseFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(label=_("层级"), choices=IncubationBase.Level.choices, empty_label=_("全部层级"))
    district = django_filters.ModelChoiceFilter(
        label=_("所在区县"), queryset=Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"),
        method="filter_district", to_field_name="code", empty_label=_("全部区县"),
    )

    class Meta:
        model = IncubationBase
        fields = ["level", "district"]

    def filter_district(self, queryset, name, value):
        return queryset.filter(region__path__startswith=value.path)
