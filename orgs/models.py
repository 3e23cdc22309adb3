"""Social organizations and the people who act for them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Region


class Organization(models.Model):
    """A social organization (社会组织) registered (登记) or filed (备案) with the civil-affairs bureau.

    It exists because every other domain hangs off it: members act for it, officers govern it by its
    region, grants and contracts go to it, volunteers serve in its activities, the public rates it.
    Registered kinds carry the 18-character 统一社会信用代码; community organizations are filed and carry a
    filing number instead.
    """

    class Kind(models.TextChoices):
        SOCIAL_GROUP = "social_group", _("社会团体")
        SERVICE_INSTITUTION = "service_institution", _("社会服务机构（民办非企业单位）")
        FOUNDATION = "foundation", _("基金会")
        COMMUNITY = "community", _("社区社会组织")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("已登记")
        FILED = "filed", _("已备案")
        DEREGISTERED = "deregistered", _("已注销")
        REVOKED = "revoked", _("已撤销")

    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REGISTERED)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="organizations", verbose_name=_("所在区划"))
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True)
    filing_number = models.CharField(_("备案编号"), max_length=32, unique=True, null=True, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organizations", verbose_name=_("成员")
    )

    class Meta:
        verbose_name = _("社会组织")
        verbose_name_plural = _("社会组织")
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "status"], name="org_kind_status_idx")]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.REGISTERED, self.Status.FILED)


class Membership(models.Model):
    """That a user acts for an organization, as 经办人 (handles applications) or 负责人 (answers for it).

    It exists because an organization is run by several people and a person may act for several
    organizations; every organization-scoped permission check reads these rows (core.permissions).
    """

    class Role(models.TextChoices):
        HANDLER = "handler", _("经办人")
        HEAD = "head", _("负责人")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("用户")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("组织")
    )
    role = models.CharField(_("身份"), max_length=16, choices=Role.choices, default=Role.HANDLER)
    joined_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("组织成员")
        verbose_name_plural = _("组织成员")
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="unique_membership")]

    def __str__(self):
        return f"{self.user} @ {self.organization}（{self.get_role_display()}）"
