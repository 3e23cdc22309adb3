"""Gap-tolerant, never-repeating numbers (certificate numbers, filing numbers) per named series."""

from django.db import transaction
from django.db.models import F

from .models import Sequence


def next_value(name: str) -> int:
    """The next number of series ``name``, unique under any concurrency.

    The row is created once, then incremented with ``UPDATE … SET value = value + 1``: PostgreSQL's row lock
    and SQLite's single writer (IMMEDIATE transactions) both serialize the increment, and the read that
    follows sees this transaction's own value.
    """
    with transaction.atomic():
        Sequence.objects.get_or_create(name=name)
        Sequence.objects.filter(name=name).update(value=F("value") + 1)
        return Sequence.objects.get(name=name).value
