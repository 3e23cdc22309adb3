"""State changes of organizations and memberships. Atomic and audited (DESIGN.md §3)."""

from django.db import IntegrityError, transaction

from core import audit
from core.exceptions import DomainError

from .models import Membership, Organization


class MembershipError(DomainError):
    """A membership could not be created as asked."""


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
