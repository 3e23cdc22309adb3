"""Who may see and do what in 爱心银行; querysets scoped for each person (DESIGN.md §3).

- Organizers: members of the activity's organization, or officers whose jurisdiction covers the activity's
  region (community activities, and oversight of the organizations under them).
- Volunteers see their own sign-ups, records, statement, vouchers and certificates.
- Merchants see only their own rewards and vouchers.
- Officers see volunteers of their jurisdiction; the unmasked ID number is shown to them and to the volunteer.
"""

from django.db.models import Q, QuerySet

from core.permissions import can_administer_region, jurisdiction_q, member_q

from .models import Activity, Award, Correction, Merchant, Reward, ServiceRecord, SignUp, Volunteer, Voucher


def volunteer_of(user) -> Volunteer | None:
    """The user's volunteer registration, or None (cached on the user object for the request), with its region and
    its points account (a page that shows the balance reads it from here, read when the request began)."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_volunteer_cache"):
        user._volunteer_cache = Volunteer.objects.filter(user=user).select_related("region", "account").first()
    return user._volunteer_cache


def managed_activities(user) -> QuerySet:
    """Activities the user organizes: their organizations', and those in their jurisdiction."""
    queryset = Activity.objects.select_related("organization", "region", "category")
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    return queryset.filter(member_q(user, "organization") | jurisdiction_q(user, "region"))


def may_manage_activity(user, activity: Activity) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or can_administer_region(user, activity.region):
        return True
    return activity.organization_id is not None and activity.organization.members.filter(pk=user.pk).exists()


def may_organize_for(user, *, organization=None, region=None) -> bool:
    """Whether the user may create an activity for this organization (a member) or community (an officer)."""
    if not user.is_authenticated:
        return False
    if organization is not None:
        return user.is_superuser or organization.members.filter(pk=user.pk).exists()
    return can_administer_region(user, region)


def managed_signups(user) -> QuerySet:
    return SignUp.objects.filter(shift__activity__in=managed_activities(user).values("pk"))


def managed_records(user) -> QuerySet:
    return ServiceRecord.objects.filter(activity__in=managed_activities(user).values("pk")).select_related(
        "volunteer", "activity", "shift"
    )


def managed_corrections(user) -> QuerySet:
    return Correction.objects.filter(record__activity__in=managed_activities(user).values("pk")).select_related(
        "record__volunteer", "record__activity", "requested_by"
    )


def volunteers_for_officer(user) -> QuerySet:
    queryset = Volunteer.objects.select_related("region", "user")
    if user.is_superuser:
        return queryset
    return queryset.filter(jurisdiction_q(user, "region"))


def may_see_id_number(user, volunteer: Volunteer) -> bool:
    """The volunteer themself and officers of the volunteer's region may see the full ID number."""
    if not user.is_authenticated:
        return False
    return volunteer.user_id == user.pk or can_administer_region(user, volunteer.region)


def merchants_of(user) -> QuerySet:
    if not user.is_authenticated:
        return Merchant.objects.none()
    return Merchant.objects.filter(members=user)


def merchant_rewards(user) -> QuerySet:
    return Reward.objects.filter(merchant__in=merchants_of(user)).select_related("merchant")


def merchant_vouchers(user) -> QuerySet:
    return Voucher.objects.filter(reward__merchant__in=merchants_of(user)).select_related("reward", "volunteer")


def merchants_for_officer(user) -> QuerySet:
    queryset = Merchant.objects.select_related("region")
    return queryset if user.is_superuser else queryset.filter(jurisdiction_q(user, "region"))


def awards_for_officer(user) -> QuerySet:
    queryset = Award.objects.select_related("volunteer", "region", "conferred_by")
    return queryset if user.is_superuser else queryset.filter(jurisdiction_q(user, "region"))


def public_rewards(today) -> QuerySet:
    return Reward.objects.filter(
        Q(active=True, merchant__active=True, valid_from__lte=today, valid_until__gte=today)
    ).select_related("merchant")
