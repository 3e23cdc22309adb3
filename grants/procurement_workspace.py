"""The organization's procurement workspace (being written)."""
from django.http import Http404


def _missing(*args, **kwargs):
    raise Http404


procurements = bid = bid_document = contract = delivery_evidence = _missing
