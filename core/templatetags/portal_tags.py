from django import template
from django.utils import timezone

from core.money import format_wan, format_yuan
from core.phone import mask_phone

register = template.Library()


@register.filter
def yuan(value):
    return format_yuan(value)


@register.filter
def wan(value):
    return format_wan(value)


@register.filter
def masked_phone(value):
    return mask_phone(value)


@register.filter
def grade_today(obj):
    """The evaluation grade in force today, for any object with ``grade_on(day)``; "" otherwise."""
    grade_on = getattr(obj, "grade_on", None)
    return grade_on(timezone.localdate()) if grade_on else ""
