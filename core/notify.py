"""Send a user a message inside the portal; e-mail as well when they gave an address (after commit, so a
rolled-back decision never mails anybody)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .exceptions import PermissionDenied
from .models import Notification


def notify(user, title: str, body: str = "", link: str = "") -> Notification:
    notification = Notification.objects.create(user=user, title=title, body=body, link=link)
    if user.email:
        url = f"{settings.WAGTAILADMIN_BASE_URL}{link}" if link else ""
        transaction.on_commit(
            lambda: send_mail(title, f"{body}\n\n{url}".strip(), None, [user.email], fail_silently=True)
        )
    return notification


def mark_read(notification: Notification, *, acting_user) -> Notification:
    """The recipient has read it. Not audited: reading one's own message changes nothing of record."""
    if notification.user_id != acting_user.pk:
        raise PermissionDenied("只能标记自己的通知。")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
