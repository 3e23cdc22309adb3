"""Mainland China mobile numbers: one normalised form (11 digits, starting with 1[3-9]) everywhere."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")  # ASCII digits only: one number is one string
_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalize_phone(value: str) -> str:
    """Fold full-width characters (１３８…, ＋86) to ASCII, strip spaces, dashes, brackets and a +86 / 0086 / 86
    country prefix; return the bare 11 digits, so that one number is always the same string.

    The result is not validated; call :func:`validate_phone` for that.
    """
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", value or "").strip())
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return digits


def is_mobile(value: str) -> bool:
    return bool(MOBILE_RE.match(normalize_phone(value)))


def validate_phone(value: str) -> None:
    if not is_mobile(value):
        raise ValidationError(
            _("请输入有效的中国大陆手机号码（11 位数字，以 13–19 开头）。"), code="invalid_phone"
        )


def mask_phone(value: str) -> str:
    """138****8000 — how a phone number is shown to anyone but its owner and authorized officers."""
    value = normalize_phone(value)
    if len(value) != 11:
        return "***"
    return f"{value[:3]}****{value[-4:]}"
