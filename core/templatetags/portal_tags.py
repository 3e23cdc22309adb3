from django import template

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
