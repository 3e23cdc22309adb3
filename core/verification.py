"""Phone verification by text-message code: send a code, check a code. Rate-limited, audited, atomic."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import audit, ratelimit, sms
from .exceptions import DomainError
from .models import PhoneVerification, User

CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_INTERVAL = 60  # seconds between two codes to one account
HOURLY_CODES = 5


class VerificationFailed(DomainError):
    """The code was wrong, expired or used up."""


def _digest(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def send_code(user: User, *, client_address: str = "") -> PhoneVerification:
    """Text a fresh six-digit code to the user's number. Earlier unused codes stop working."""
    ratelimit.check("phone.resend", user.pk, limit=1, window=RESEND_INTERVAL,
                    message="验证码发送过于频繁，请 1 分钟后再试。")
    ratelimit.check("phone.hourly", user.pk, limit=HOURLY_CODES, window=3600,
                    message="一小时内最多发送 5 次验证码，请稍后再试。")
    if client_address:
        ratelimit.check("phone.address", client_address, limit=20, window=3600)
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    with transaction.atomic():
        PhoneVerification.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        verification = PhoneVerification.objects.create(
            user=user, phone=user.phone, code_digest=_digest(code), created_at=now, expires_at=now + CODE_LIFETIME
        )
        audit.record("account.phone_code_sent", actor=user, obj=user, after={"phone": user.masked_phone})
        # The message leaves only when the row exists; a rolled-back request sends nothing.
        transaction.on_commit(lambda: sms.send(user.phone, f"【社会组织管理门户】您的验证码为 {code}，10 分钟内有效。请勿告诉他人。"))
    return verification


def verify_code(user: User, code: str) -> User:
    """Mark the user's number verified when ``code`` matches their latest live code."""
    ratelimit.check("phone.verify", user.pk, limit=10, window=600, message="尝试次数过多，请 10 分钟后再试。")
    code = (code or "").strip()
    error = None
    with transaction.atomic():
        # Row lock: two parallel guesses count as two attempts, never as one.
        verification = (
            PhoneVerification.objects.select_for_update()
            .filter(user=user, used_at__isnull=True, phone=user.phone)
            .order_by("-created_at", "-pk")
            .first()
        )
        now = timezone.now()
        if verification is None:
            error = "请先获取验证码。"
        elif verification.expires_at < now:
            error = "验证码已过期，请重新获取。"
        elif verification.attempts >= MAX_ATTEMPTS:
            error = "该验证码错误次数过多，请重新获取。"
        elif not hmac.compare_digest(verification.code_digest, _digest(code)):
            # The failed attempt is saved (the block commits), then refused below.
            verification.attempts += 1
            verification.save(update_fields=["attempts"])
            left = MAX_ATTEMPTS - verification.attempts
            error = f"验证码不正确，还可尝试 {left} 次。" if left else "验证码不正确，请重新获取。"
        else:
            verification.used_at = now
            verification.save(update_fields=["used_at"])
            user.phone_verified_at = now
            user.save(update_fields=["phone_verified_at"])
            audit.record("account.phone_verified", actor=user, obj=user, after={"phone": user.masked_phone})
    if error:
        raise VerificationFailed(error)
    return user
