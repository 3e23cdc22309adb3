"""Filters of the public 政府购买服务 list (django-filter): status, catalogue item, district and a word of the title."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Region

from .models import ProcurementProject, ServiceCategory

Status = ProcurementProject.Status
PUBLIC_STATUS_CHOICES = [(status.value, status.label) for status in ProcurementProject.PUBLIC]


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("名称或编号"), method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("输入项目名称中的任意词或项目编号"), "type": "search"}),
    )
    status = django_filters.ChoiceFilter(label=_("状态"), choices=PUBLIC_STATUS_CHOICES, empty_label=_("全部状态"))
    category = django_filters.ModelChoiceFilter(
        label=_("目录项"), queryset=ServiceCategory.objects.order_by("sort_order", "code"), to_field_name="code",
        empty_label=_("全部目录项"),
    )
    district = django_filters.ModelChoiceFilter(
        label=_("所在区县"), queryset=Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"),
        method="filter_district", to_field_name="code", empty_label=_("全部区县"),
    )

    class Meta:
        model = ProcurementProject
        fields = ["q", "status", "category", "district"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(title__icontains=value) | queryset.filter(number__iexact=value)

    def filter_district(self, queryset, name, value):
        return queryset.filter(region__path__startswith=value.path)
