"""The bid reviewer's pages (being written)."""
from django.http import Http404


def _missing(*args, **kwargs):
    raise Http404


reviews = review = review_document = _missing
