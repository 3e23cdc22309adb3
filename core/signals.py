"""Sign-in, sign-out and failed sign-in are audited like any other state change."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import audit
from .phone import mask_phone


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    audit.record("account.login", actor=user, obj=user)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record("account.logout", actor=user, obj=user)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    phone = credentials.get("phone") or credentials.get("username") or ""
    audit.record("account.login_failed", actor=None, after={"phone": mask_phone(phone)})
