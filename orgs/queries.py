"""Querysets the public registry, its export and its API share, so all three show the same rows."""

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Substr

from core.models import Region

from .models import CreditListing, Organization

DISTRICT_DEPTH = 2  # 市 is depth 1, 区（市、县） depth 2


def open_listing(kind: str):
    return Exists(CreditListing.objects.filter(organization=OuterRef("pk"), kind=kind, removed_on__isnull=True))


def public_organizations() -> QuerySet:
    """Every organization with what the registry shows beside its name, in a fixed number of queries:
    its district's name (a subquery on the region path) and whether it is on either credit list."""
    district_path_length = Region.steplen * DISTRICT_DEPTH
    district_name = Region.objects.filter(
        path=Substr(OuterRef("region__path"), 1, district_path_length), depth=DISTRICT_DEPTH
    ).values("name")[:1]
    return (
        Organization.objects.select_related("region")
        .annotate(
            district_name=Subquery(district_name),
            on_abnormal_list=open_listing(CreditListing.Kind.ABNORMAL),
            on_serious_list=open_listing(CreditListing.Kind.SERIOUS),
        )
        .order_by("name", "pk")
    )


ACTIVE = Q(status__in=[Organization.Status.REGISTERED, Organization.Status.FILED])
