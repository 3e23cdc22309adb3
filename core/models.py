"""Regions, users and roles, API tokens and the audit log: the tables every domain app leans on."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from .exceptions import AuditImmutable
from .phone import mask_phone, normalize_phone, validate_phone


class Region(MP_Node):
    """One node of the administrative-division tree (行政区划): 市 → 区(市、县) → 社区(乡、镇) → 居(村)委会.

    It exists because every organization, officer jurisdiction, activity and purchaser sits somewhere in
    this tree, and an officer sees everything *under* their node. The materialised path (treebeard, which
    Wagtail already ships) turns "everything under 南明区" into one indexed ``path LIKE '0001000B%'``
    query at any depth. Codes are GB/T 2260 (six digits) for city and district and the twelve-digit
    statistical division codes below.
    """

    class Level(models.TextChoices):
        CITY = "city", _("市")
        DISTRICT = "district", _("区（市、县）")
        SUBDISTRICT = "subdistrict", _("社区（乡、镇、街道）")
        COMMITTEE = "committee", _("居（村）委会")

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self):
        return self.name

    @property
    def full_name(self) -> str:
        """贵阳市南明区花果园街道 — the names from the top of the tree down to this node."""
        return "".join(node.name for node in [*self.get_ancestors(), self])


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, phone, password, **extra):
        if not phone:
            raise ValueError("A phone number is required.")
        phone = normalize_phone(phone)
        validate_phone(phone)
        email = extra.pop("email", "") or ""
        user = self.model(phone=phone, email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, phone, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(phone, password, **extra)

    def create_superuser(self, phone, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(phone, password, **extra)

    def get_by_natural_key(self, phone):
        return self.get(phone=normalize_phone(phone))


class User(AbstractUser):
    """A person who signs in: applicant, officer, reviewer, volunteer, merchant, administrator or public.

    People in China sign in with their mobile number, so the number (normalised to 11 digits, unique) is
    the user name. The real name is one field (姓名) because Chinese names are not split into given and
    family names on forms. What a user may do comes from :class:`RoleAssignment` rows and, for
    organization members, from the organization memberships kept by the orgs app.
    """

    username = None
    first_name = None
    last_name = None
    phone = models.CharField(_("手机号码"), max_length=11, unique=True, validators=[validate_phone])
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True, help_text=_("用于找回密码，可不填。"))
    phone_verified_at = models.DateTimeField(_("手机验证时间"), null=True, blank=True)

    USERNAME_FIELD = "phone"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.name or self.masked_phone

    def clean(self):
        super().clean()
        self.phone = normalize_phone(self.phone)

    def get_full_name(self):
        return self.name or self.masked_phone

    def get_short_name(self):
        return self.name or self.masked_phone

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def has_role(self, role: str) -> bool:
        if role == Role.ADMIN:
            return self.is_superuser
        return any(assignment.role == role for assignment in self.active_roles)

    @property
    def active_roles(self) -> list["RoleAssignment"]:
        """The user's role rows, loaded once per request object (cached on the instance)."""
        cached = getattr(self, "_active_roles", None)
        if cached is None:
            cached = list(self.role_assignments.select_related("region"))
            self._active_roles = cached
        return cached

    @property
    def jurisdictions(self) -> list[Region]:
        return [a.region for a in self.active_roles if a.role == Role.OFFICER and a.region_id]


class Role(models.TextChoices):
    """The roles of DESIGN.md §2. Organization membership is kept by the orgs app; ADMIN is is_superuser."""

    ORG_MEMBER = "org_member", _("组织经办人")
    OFFICER = "officer", _("民政干部")
    REVIEWER = "reviewer", _("评审专家")
    VOLUNTEER = "volunteer", _("志愿者")
    MERCHANT = "merchant", _("爱心商家")
    ADMIN = "admin", _("系统管理员")


class RoleAssignment(models.Model):
    """That a user holds a role, and for an officer the region node that is their jurisdiction.

    It exists so that roles are rows that can be granted, revoked and audited, not flags on the user.
    An officer may hold several jurisdictions; their scope is the union of the subtrees.
    """

    ASSIGNABLE = [Role.OFFICER, Role.REVIEWER, Role.VOLUNTEER, Role.MERCHANT]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("用户")
    )
    role = models.CharField(_("角色"), max_length=16, choices=[(r.value, r.label) for r in ASSIGNABLE])
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("辖区")
    )
    granted_at = models.DateTimeField(_("授予时间"), default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("授予人"),
    )

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region"], name="unique_role_per_region"),
            models.UniqueConstraint(
                fields=["user", "role"], condition=Q(region__isnull=True), name="unique_role_without_region"
            ),
            models.CheckConstraint(
                condition=~Q(role="officer") | Q(region__isnull=False), name="officer_needs_jurisdiction"
            ),
        ]

    def __str__(self):
        if self.region_id:
            return f"{self.get_role_display()}（{self.region}）"
        return str(self.get_role_display())


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutable("操作日志不可修改。")

    def delete(self):
        raise AuditImmutable("操作日志不可删除。")

    def bulk_update(self, *args, **kwargs):
        raise AuditImmutable("操作日志不可修改。")


class AuditEntry(models.Model):
    """One row per state change, money movement or points movement (DESIGN.md §5): who, what, on which
    object, the state before and after, when and from which address.

    Append-only: saving an existing row, deleting a row, and queryset update/delete all raise
    :class:`AuditImmutable`; on PostgreSQL a trigger refuses UPDATE and DELETE as well. Rows are written
    only by :func:`core.audit.record`, or built by :func:`core.audit.build` and inserted beside the row it
    describes in the same transaction (the redemption's hot path, ``core.fastsql``).
    """

    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
        db_constraint=False,
    )
    actor_label = models.CharField(_("操作人"), max_length=80, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("对象类型")
    )
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("所属区划"),
        db_constraint=False,
    )
    before = models.JSONField(_("变更前"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("变更后"), null=True, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(_("说明"), blank=True)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_object_idx")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutable("操作日志不可修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("操作日志不可删除。")


class Sequence(models.Model):
    """A named counter for numbers that must never repeat (certificate and filing numbers), incremented only
    by :func:`core.sequences.next_value`."""

    name = models.CharField(max_length=64, unique=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")

    def __str__(self):
        return f"{self.name}: {self.value}"


class Notification(models.Model):
    """A message to one user inside the portal (需补正 lists, decisions, waitlist promotions …), shown on their
    account page until read. Written by services through :func:`core.notify.notify`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("用户")
    )
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.title


class StatusChangeBase(models.Model):
    """What every workflow's history row records (DESIGN.md §3): who moved it, when, from, to and why. Each
    workflow subclasses it with a foreign key to its row and ``from_status``/``to_status`` with its choices."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("操作人")
    )
    reason = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"


class PhoneVerification(models.Model):
    """A six-digit code sent by text message to prove a user holds their phone number.

    It exists because some acts are open only to people with a verified number (a public rating in
    五比五看 counts as one person's voice). Only a keyed digest of the code is stored; a code expires,
    allows a few attempts and is used once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_verifications", verbose_name=_("用户")
    )
    phone = models.CharField(_("手机号码"), max_length=11)
    code_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("手机验证码")
        verbose_name_plural = _("手机验证码")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{mask_phone(self.phone)} @ {self.created_at:%Y-%m-%d %H:%M}"
