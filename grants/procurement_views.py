"""Public pages of 政府购买服务 (being written)."""
from django.http import Http404


def _missing(*args, **kwargs):
    raise Http404


procurements = procurement = procurement_document = procurement_award = contract = survey = survey_poster = _missing
