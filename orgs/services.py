"""State changes of organizations and memberships. Atomic and audited (DESIGN.md §3)."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import audit
from core.exceptions import DomainError, PermissionDenied
from core.permissions import can_administer_region

from .models import CreditListing, Membership, Organization


class MembershipError(DomainError):
    """A membership could not be created as asked."""


@transaction.atomic
def invite_member(organization: Organization, *, phone: str, acting_user, role: str = Membership.Role.HANDLER) -> Membership:
    """A responsible person (负责人) adds another registered user, found by phone number, to the organization."""
    from core.models import User
    from core.phone import normalize_phone

    if not organization.memberships.filter(user=acting_user, role=Membership.Role.HEAD).exists():
        raise MembershipError("只有本组织负责人可以添加成员。")
    user = User.objects.filter(phone=normalize_phone(phone), is_active=True).first()
    if user is None:
        raise MembershipError("该手机号码尚未注册，请对方先注册账号。")
    membership = add_member(organization, user, role=role, acting_user=acting_user)
    from core.notify import notify

    notify(user, f"您已被添加为“{organization.name}”的成员", f"添加人：{acting_user}", "/orgs/workspace/")
    return membership


@transaction.atomic
def add_member(organization: Organization, user, *, role: str = Membership.Role.HANDLER, acting_user=None) -> Membership:
    try:
        # Savepoint: a duplicate rolls back this insert only, and the caller gets a domain error.
        with transaction.atomic():
            membership = Membership.objects.create(organization=organization, user=user, role=role)
    except IntegrityError as exc:
        raise MembershipError("该用户已是本组织成员。") from exc
    audit.record(
        "membership.add", actor=acting_user, obj=organization, after={"user": user.pk, "role": role}
    )
    return membership


class CreditListingError(DomainError):
    """A credit-list entry could not be made or closed as asked."""


def _check_jurisdiction(acting_user, organization: Organization) -> None:
    if acting_user is not None and not can_administer_region(acting_user, organization.region):
        raise PermissionDenied("该组织不在您的辖区内。")


@transaction.atomic
def list_organization(
    organization: Organization, kind: str, *, reason: str, acting_user=None, listed_on=None, decided_by: str = ""
) -> CreditListing:
    """Put an organization on the abnormal or serious list; the reason is public. ``acting_user`` None is the
    system (the yearly credit sweep); an officer may list only organizations in their jurisdiction."""
    _check_jurisdiction(acting_user, organization)
    if not reason.strip():
        raise CreditListingError("列入信用名录必须写明事由。")
    if organization.credit_listings.filter(kind=kind, removed_on__isnull=True).exists():
        raise CreditListingError("该组织已在此名录中。")
    listing = CreditListing.objects.create(
        organization=organization, kind=kind, reason=reason.strip(), listed_on=listed_on or timezone.localdate(),
        decided_by=decided_by,
    )
    audit.record(
        "credit.list", actor=acting_user, obj=organization, after={"kind": kind, "reason": listing.reason}
    )
    return listing


@transaction.atomic
def remove_listing(listing: CreditListing, *, reason: str, acting_user=None, removed_on=None) -> CreditListing:
    """Close a credit-list entry; it stays on record with its removal date and reason."""
    # Lock the row so two officers removing the same entry cannot both succeed.
    listing = CreditListing.objects.select_for_update().select_related("organization__region").get(pk=listing.pk)
    _check_jurisdiction(acting_user, listing.organization)
    if listing.removed_on is not None:
        raise CreditListingError("该记录已移出名录。")
    if not reason.strip():
        raise CreditListingError("移出信用名录必须写明事由。")
    listing.removed_on = removed_on or timezone.localdate()
    listing.removal_reason = reason.strip()
    listing.save(update_fields=["removed_on", "removal_reason"])
    audit.record(
        "credit.remove", actor=acting_user, obj=listing.organization,
        before={"kind": listing.kind}, after={"removed_on": listing.removed_on, "reason": listing.removal_reason},
    )
    return listing
