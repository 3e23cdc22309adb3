"""Read-side queries of 爱心银行 for public pages: each returns a queryset that a page evaluates in a fixed number
of SQL queries whatever the data size (no per-row lookups)."""

import datetime

from django.db.models import Count, Exists, F, Min, OuterRef, Q, Sum
from django.utils import timezone

from .models import Activity, Award, ServiceRecord, Shift, Volunteer, hours_of


def public_activities(*, q="", district=None, field=None, date=None, open_only=False):
    """Published activities with shifts still to come (or on ``date``), filtered like the public list."""
    now = timezone.now()
    shifts = Shift.objects.filter(activity=OuterRef("pk"), ends_at__gt=now)
    if date:
        start = timezone.make_aware(datetime.datetime.combine(date, datetime.time.min))
        shifts = shifts.filter(starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1))
    if open_only:
        shifts = shifts.filter(confirmed__lt=F("capacity"))
    queryset = (
        Activity.objects.filter(status=Activity.Status.PUBLISHED)
        .filter(Exists(shifts))
        .select_related("organization", "region", "category", "service_field")
        .annotate(
            next_start=Min("shifts__starts_at", filter=Q(shifts__ends_at__gt=now)),
        )
    )
    if q:
        queryset = queryset.filter(Q(title__icontains=q) | Q(summary__icontains=q) | Q(organization__name__icontains=q))
    if district is not None:
        queryset = queryset.filter(region__path__startswith=district.path)
    if field is not None:
        queryset = queryset.filter(service_field=field)
    return queryset.order_by("next_start", "pk")


def period_bounds(year: int, month: int | None) -> tuple[datetime.date, datetime.date]:
    if month:
        start = datetime.date(year, month, 1)
        end = datetime.date(year + (month == 12), month % 12 + 1, 1)
    else:
        start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    return start, end


def ranking(*, year: int, month: int | None = None, district=None, by: str = "hours", limit: int = 100):
    """好市民 ranking: volunteers by approved service minutes or by points earned in the period and region.

    Counted where the service was given (the record's region). One grouped query plus one for the volunteers'
    display names; names are masked unless the volunteer consented (done by the caller via ``public_name``).
    """
    start, end = period_bounds(year, month)
    records = ServiceRecord.objects.filter(status=ServiceRecord.Status.APPROVED, served_on__gte=start, served_on__lt=end)
    if district is not None:
        records = records.filter(region__path__startswith=district.path)
    order = "-points_total" if by == "points" else "-minutes_total"
    rows = list(
        records.values("volunteer")
        .annotate(minutes_total=Sum("minutes"), points_total=Sum("points"), services=Count("pk"))
        .order_by(order, "volunteer")[:limit]
    )
    volunteers = Volunteer.objects.in_bulk([row["volunteer"] for row in rows])
    awards = set(
        Award.objects.filter(volunteer__in=volunteers.keys(), year=year).values_list("volunteer_id", flat=True)
    )
    for position, row in enumerate(rows, start=1):
        volunteer = volunteers[row["volunteer"]]
        row.update(position=position, name=volunteer.public_name,
                   hours=hours_of(row["minutes_total"]), awarded=volunteer.pk in awards)
    return rows
