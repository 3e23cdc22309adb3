"""Who may see and act on incubation bases, calls, applications, reviews and awards (DESIGN.md §2).

Officers manage the calls and bases whose region lies under their jurisdiction, and so the applications to
those calls; members see their own organizations' applications; reviewers see only the reviews assigned to
them, and an application only after declaring no conflict.

Procurement (DESIGN.md §4.3): officers run the projects and contracts of purchasers under their jurisdiction; a
bid is sealed until its project's window closes — :func:`unsealed_bids` is the only queryset through which an
officer's page, export or API reaches bids, and it leaves out every bid whose deadline has not passed."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.models import Role
from core.permissions import can_administer_region, jurisdiction_q, member_q

from .models import (
    Bid,
    BidReview,
    Contract,
    FundingCall,
    GrantApplication,
    IncubationBase,
    ProcurementProject,
    Purchaser,
    Residency,
    Review,
)


def calls_for_officer(user) -> QuerySet:
    queryset = FundingCall.objects.select_related("region")
    return queryset if user.is_superuser else queryset.filter(jurisdiction_q(user, "region"))


def may_manage_call(user, call: FundingCall) -> bool:
    return can_administer_region(user, call.region)


def public_calls() -> QuerySet:
    """Calls the public may see: every published or finished call."""
    return FundingCall.objects.filter(status__in=[FundingCall.Status.PUBLISHED, FundingCall.Status.FINISHED])


def open_calls(now=None) -> QuerySet:
    now = now or timezone.now()
    return FundingCall.objects.filter(status=FundingCall.Status.PUBLISHED, opens_at__lte=now, closes_at__gt=now)


def applications_for_officer(user) -> QuerySet:
    """Applications to the calls the officer manages; drafts are the organization's own business."""
    queryset = GrantApplication.objects.exclude(status=GrantApplication.Status.DRAFT)
    return queryset if user.is_superuser else queryset.filter(jurisdiction_q(user, "call__region"))


def applications_of_member(user) -> QuerySet:
    """Applications of the organizations the user acts for (drafts included)."""
    if not user.is_authenticated:
        return GrantApplication.objects.none()
    return GrantApplication.objects.filter(member_q(user, "organization"))


def may_act_for(user, organization) -> bool:
    return user.is_authenticated and organization.memberships.filter(user=user).exists()


def reviews_of(user) -> QuerySet:
    """The reviews assigned to this reviewer (or officer acting as one)."""
    if not user.is_authenticated:
        return Review.objects.none()
    return Review.objects.filter(reviewer=user)


def may_review(user) -> bool:
    return user.is_authenticated and (user.has_role(Role.REVIEWER) or bool(user.jurisdictions) or user.is_superuser)


def bases_for_officer(user) -> QuerySet:
    queryset = IncubationBase.objects.select_related("region")
    return queryset if user.is_superuser else queryset.filter(jurisdiction_q(user, "region"))


def residencies_for_officer(user) -> QuerySet:
    queryset = Residency.objects.select_related("base", "organization")
    return queryset if user.is_superuser else queryset.filter(jurisdiction_q(user, "base__region"))


def may_manage_base(user, base: IncubationBase) -> bool:
    return can_administer_region(user, base.region)


def visible_application_q(user) -> Q:
    """Officer scope or membership: what a page showing one application may show to ``user``."""
    if user.is_superuser:
        return Q()
    return jurisdiction_q(user, "call__region") | member_q(user, "organization")


# --- procurement ----------------------------------------------------------------------------------------------
def purchasers_for_officer(user) -> QuerySet:
    queryset = Purchaser.objects.select_related("region")
    return queryset if user.is_superuser else queryset.filter(jurisdiction_q(user, "region"))


def projects_for_officer(user) -> QuerySet:
    queryset = ProcurementProject.objects.select_related("purchaser", "category", "region")
    return queryset if user.is_superuser else queryset.filter(jurisdiction_q(user, "region"))


def may_manage_project(user, project: ProcurementProject) -> bool:
    return can_administer_region(user, project.region)


def public_projects() -> QuerySet:
    """Projects the public may see: announced or later (a planned project is the purchaser's draft, and one
    cancelled before it was ever announced stays private)."""
    return ProcurementProject.objects.filter(status__in=ProcurementProject.PUBLIC, announced_at__isnull=False)


def biddable_projects(now=None) -> QuerySet:
    now = now or timezone.now()
    return ProcurementProject.objects.filter(status=ProcurementProject.Status.ANNOUNCED, bids_open_at__lte=now,
                                             bids_close_at__gt=now)


def unsealed_bids(user, now=None) -> QuerySet:
    """Bids an officer may see: of projects in their jurisdiction whose bid window has closed. Before the
    deadline no officer (not even a superuser) sees a bid, its price or its files."""
    now = now or timezone.now()
    queryset = Bid.objects.filter(project__bids_close_at__lte=now)
    return queryset if user.is_superuser else queryset.filter(jurisdiction_q(user, "project__region"))


def bids_of_member(user) -> QuerySet:
    if not user.is_authenticated:
        return Bid.objects.none()
    return Bid.objects.filter(member_q(user, "organization"))


def bid_reviews_of(user) -> QuerySet:
    """The bid reviews assigned to this reviewer; a review can only exist once the window has closed."""
    if not user.is_authenticated:
        return BidReview.objects.none()
    return BidReview.objects.filter(reviewer=user, bid__project__bids_close_at__lte=timezone.now())


def contracts_for_officer(user) -> QuerySet:
    queryset = Contract.objects.select_related("project", "organization", "project__purchaser")
    return queryset if user.is_superuser else queryset.filter(jurisdiction_q(user, "region"))


def contracts_of_member(user) -> QuerySet:
    if not user.is_authenticated:
        return Contract.objects.none()
    return Contract.objects.filter(member_q(user, "organization"))


def public_contracts() -> QuerySet:
    """Signed contracts are announced (合同公告); a draft is not."""
    return Contract.objects.exclude(status=Contract.Status.DRAFT)
