"""Who may see and do what in evaluations; querysets scoped for each person (DESIGN.md §3)."""

from django.db.models import QuerySet

from core.models import Role
from core.permissions import can_administer_region, jurisdiction_q, member_q

from .models import Campaign, Rating, Result


def campaigns_for_officer(user) -> QuerySet:
    """Campaigns an officer manages: those whose region lies under their jurisdiction (all, for a superuser)."""
    queryset = Campaign.objects.select_related("region")
    return queryset if user.is_superuser else queryset.filter(jurisdiction_q(user, "region"))


def may_manage(user, campaign: Campaign) -> bool:
    return can_administer_region(user, campaign.region)


def is_expert(user, campaign: Campaign) -> bool:
    """A reviewer the officers assigned to this campaign: they score every organization in it."""
    return user.has_role(Role.REVIEWER) and campaign.experts.filter(pk=user.pk).exists()


def scores_in(user, campaign: Campaign) -> bool:
    """Whether the user scores anything in this campaign: an assigned expert, an officer, a superuser."""
    return user.is_authenticated and (user.is_superuser or bool(user.jurisdictions) or is_expert(user, campaign))


def may_score(user, campaign: Campaign, organization) -> bool:
    """Assigned experts score any organization in the campaign; officers those in their jurisdiction."""
    if not user.is_authenticated:
        return False
    return is_expert(user, campaign) or can_administer_region(user, organization.region)


def scorable_results(user, campaign: Campaign) -> QuerySet:
    """The results (organizations in scope) the user may score in this campaign."""
    queryset = Result.objects.filter(campaign=campaign).select_related("organization", "district")
    if user.is_superuser or is_expert(user, campaign):
        return queryset
    return queryset.filter(jurisdiction_q(user, "organization__region"))


def ratings_for_officer(user) -> QuerySet:
    """Ratings of organizations in the officer's jurisdiction (for the anomaly and comment queue)."""
    queryset = Rating.objects.select_related("organization", "campaign", "user")
    return queryset if user.is_superuser else queryset.filter(jurisdiction_q(user, "organization__region"))


def results_of_member(user) -> QuerySet:
    return Result.objects.filter(member_q(user, "organization")).select_related("campaign", "organization")
