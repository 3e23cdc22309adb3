from django import template
from django.contrib.auth.models import Permission
from django.db.models import Q
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


@register.filter
def can_open_admin(user) -> bool:
    """Whether the header shows 管理后台: the permission Wagtail's admin checks (``wagtailadmin.access_admin``), as
    Django's ModelBackend grants it (active user; superuser, or the permission held directly or through a group),
    asked in one query. ``perms.wagtailadmin.access_admin`` loads every permission of the user and of their groups
    (two queries) on every page a signed-in person opens."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not hasattr(user, "_portal_can_open_admin"):
        user._portal_can_open_admin = (
            Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin")
            .filter(Q(user=user) | Q(group__user=user)).exists()
        )
    return user._portal_can_open_admin
