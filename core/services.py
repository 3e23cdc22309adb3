"""State changes of accounts and roles. Each is atomic and writes its audit row (DESIGN.md §3)."""

from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from wagtail.models import APIToken

from . import audit
from .exceptions import DomainError, PermissionDenied
from .models import Region, Role, RoleAssignment, User
from .permissions import can_administer_region


class DuplicatePhone(DomainError):
    """The phone number is already registered."""


class RoleError(DomainError):
    """A role could not be granted or revoked as asked."""


OFFICER_GROUP = "民政干部"
OFFICER_PERMISSIONS = [("wagtailadmin", "access_admin")]


def officer_group() -> Group:
    """The Django group that lets officers into the Wagtail admin; created on first use so that it
    never depends on the order in which migrations create permissions."""
    group, created = Group.objects.get_or_create(name=OFFICER_GROUP)
    if created:
        for app_label, codename in OFFICER_PERMISSIONS:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group


@transaction.atomic
def register_user(*, phone: str, password: str, name: str = "", email: str = "") -> User:
    """Create a public account from the sign-up form; the caller has validated the form. A number registered by a
    concurrent sign-up after the form's check is a domain error, not a database error."""
    try:
        with transaction.atomic():  # savepoint: the unique constraint decides between two simultaneous sign-ups
            user = User.objects.create_user(phone=phone, password=password, name=name, email=email)
    except IntegrityError as exc:
        raise DuplicatePhone("该手机号码已注册，请直接登录或找回密码。") from exc
    audit.record("account.register", actor=user, obj=user, after={"phone": user.masked_phone, "name": name})
    return user


@transaction.atomic
def grant_role(user: User, role: str, *, acting_user: User | None, region: Region | None = None) -> RoleAssignment:
    """Give ``user`` a role; an officer's role needs the region that is their jurisdiction.

    Only a superuser, or an officer granting within their own jurisdiction, may grant; ``acting_user``
    None means the system (migrations, seed data, management commands).
    """
    if role not in RoleAssignment.ASSIGNABLE:
        raise RoleError(f"不能直接授予该角色：{role}")
    if role == Role.OFFICER and region is None:
        raise RoleError("授予民政干部角色时必须指定辖区。")
    if acting_user is not None and not can_administer_region(acting_user, region):
        raise PermissionDenied("只能在本人辖区内授予角色。")
    try:
        # A savepoint, so a duplicate grant rolls back only this insert, not the caller's transaction.
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(
                user=user, role=role, region=region if role == Role.OFFICER else None, granted_by=acting_user
            )
    except IntegrityError as exc:
        raise RoleError("该用户已拥有此角色。") from exc
    if role == Role.OFFICER:
        user.groups.add(officer_group())
    user.__dict__.pop("_active_roles", None)
    audit.record(
        "role.grant",
        actor=acting_user,
        obj=user,
        after={"role": role, "region": region.code if region else None},
        region=region,
    )
    return assignment


@transaction.atomic
def revoke_role(assignment: RoleAssignment, *, acting_user: User | None, reason: str = "") -> None:
    if acting_user is not None and not can_administer_region(acting_user, assignment.region):
        raise PermissionDenied("只能撤销本人辖区内的角色。")
    before = {"role": assignment.role, "region": assignment.region.code if assignment.region else None}
    user = assignment.user
    assignment.delete()
    if assignment.role == Role.OFFICER and not user.role_assignments.filter(role=Role.OFFICER).exists():
        user.groups.remove(officer_group())
    user.__dict__.pop("_active_roles", None)
    audit.record("role.revoke", actor=acting_user, obj=user, before=before, reason=reason, region=assignment.region)


@transaction.atomic
def create_api_token(user: User, *, name: str) -> str:
    """Create a bearer token for ``user`` and return its plaintext, which is never stored."""
    token, plaintext = APIToken.create_token(user=user, name=name)
    audit.record("api_token.create", actor=user, obj=user, after={"name": name, "prefix": token.prefix})
    return plaintext


@transaction.atomic
def revoke_api_token(token: APIToken, *, acting_user: User) -> None:
    if token.user_id != acting_user.pk and not acting_user.is_superuser:
        raise PermissionDenied("只能吊销自己的令牌。")
    token.revoke()
    audit.record("api_token.revoke", actor=acting_user, obj=token.user, before={"prefix": token.prefix})
