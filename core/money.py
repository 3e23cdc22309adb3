"""Money is Decimal in 元 with two places (DESIGN.md §5); these helpers show it the way Chinese readers expect."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

TWO_PLACES = Decimal("0.01")


def to_yuan(value) -> Decimal:
    return Decimal(value or 0).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def format_yuan(value) -> str:
    """¥12,345.67"""
    amount = to_yuan(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def format_wan(value) -> str:
    """1.23万元 for amounts of ten thousand and more; ¥… below that."""
    amount = to_yuan(value)
    if abs(amount) >= 10000:
        wan = (amount / Decimal(10000)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
        text = f"{wan:,.2f}".rstrip("0").rstrip(".")
        return f"{text}万元"
    return format_yuan(amount)


class MoneyField(models.DecimalField):
    """A DecimalField of 12 digits and 2 places: every amount of money in the portal."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)
