"""Read-side helpers shared by the pages, the PDFs and the profile section."""

from collections import defaultdict

from django.db.models import QuerySet

from .models import RESULTS_PUBLIC, Campaign, Result


def public_campaigns() -> QuerySet:
    return Campaign.objects.exclude(status=Campaign.Status.DRAFT).select_related("region")


def campaigns_with_results() -> QuerySet:
    """Campaigns whose results are published (or finalized), newest first."""
    return public_campaigns().filter(status__in=RESULTS_PUBLIC).order_by("-year", "-published_at", "-pk")


def ranking(campaign: Campaign) -> QuerySet:
    """Valid results in rank order (by total, then name), with what the table shows."""
    return (
        Result.objects.filter(campaign=campaign, valid=True)
        .select_related("organization", "district")
        .order_by("-total", "organization__name")
    )


def dimension_averages(campaign: Campaign) -> dict[str, float]:
    """The mean over valid results of each dimension: ``p<id>`` public (1–5), ``o<id>`` official."""
    sums, counts = defaultdict(float), defaultdict(int)
    rows = Result.objects.filter(campaign=campaign, valid=True).values_list("public_means", "official_means")
    for public, official in rows.iterator(chunk_size=5000):
        for prefix, means in (("p", public), ("o", official)):
            for key, value in (means or {}).items():
                sums[f"{prefix}{key}"] += value
                counts[f"{prefix}{key}"] += 1
    return {key: sums[key] / counts[key] for key in sums}
