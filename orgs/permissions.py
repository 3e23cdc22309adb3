"""Who may see and act on registration applications."""

from django.db.models import QuerySet

from core.permissions import can_administer_region, visible_to

from .models import Application


def applications_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """Applications the user may see: officers their jurisdiction's, members their organizations', applicants
    their own."""
    queryset = Application.objects.all() if queryset is None else queryset
    return visible_to(user, queryset, region="region", organization="organization", owner="applicant")


def may_decide(user, application: Application) -> bool:
    return can_administer_region(user, application.region)


def may_edit(user, application: Application) -> bool:
    if application.applicant_id == user.pk:
        return True
    return bool(application.organization_id) and application.organization.memberships.filter(user=user).exists()
