"""Social organizations and the people who act for them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Region
from core.money import MoneyField

from ..codes import validate_credit_code


class ServiceField(models.Model):
    """A field of service (服务领域: 养老, 助残, 托幼, 文化, 禁毒, 社区帮扶 …) that organizations work in.

    A table rather than fixed choices so administrators can add fields as policy grows; the directory
    filters by it and purchased-service projects match on it.
    """

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=32, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("服务领域")
        verbose_name_plural = _("服务领域")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


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

    class Nature(models.TextChoices):
        PUBLIC_BENEFIT = "public_benefit", _("公益性")
        MUTUAL_AID = "mutual_aid", _("互助性")
        SERVICE = "service", _("服务性")

    class DirectCategory(models.TextChoices):
        """The four categories that register directly, without a business supervisor (直接登记)."""

        NONE = "", _("非直接登记（有业务主管单位）")
        TRADE = "trade", _("行业协会商会类")
        SCIENCE = "science", _("科技类")
        CHARITY = "charity", _("公益慈善类")
        COMMUNITY_SERVICE = "community_service", _("城乡社区服务类")

    class Grade(models.TextChoices):
        """社会组织评估等级 (民政部令第39号): set by the 等级评估 in the evaluations app, valid five years."""

        A5 = "5A", _("5A")
        A4 = "4A", _("4A")
        A3 = "3A", _("3A")
        A2 = "2A", _("2A")
        A1 = "1A", _("1A")

    class PartyStatus(models.TextChoices):
        OWN = "own", _("单独建立党组织")
        JOINT = "joint", _("建立联合党组织")
        INSTRUCTOR = "instructor", _("选派党建工作指导员")
        NONE = "none", _("尚未建立党组织")

    name = models.CharField(_("名称"), max_length=120, db_index=True)
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REGISTERED)
    nature = models.CharField(_("性质"), max_length=16, choices=Nature.choices, default=Nature.PUBLIC_BENEFIT)
    service_fields = models.ManyToManyField(
        ServiceField, blank=True, related_name="organizations", verbose_name=_("服务领域")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="organizations", verbose_name=_("所在区划"))
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True, validators=[validate_credit_code]
    )
    filing_number = models.CharField(_("备案编号"), max_length=32, unique=True, null=True, blank=True)
    legal_representative = models.CharField(_("法定代表人（负责人）"), max_length=40, blank=True)
    domicile = models.CharField(_("住所"), max_length=200, blank=True)
    purpose = models.TextField(_("宗旨"), blank=True)
    business_scope = models.TextField(_("业务范围"), blank=True)
    activity_area = models.CharField(_("活动地域"), max_length=80, blank=True)
    registration_authority = models.CharField(_("登记管理机关"), max_length=80, blank=True)
    direct_category = models.CharField(
        _("直接登记类别"), max_length=24, choices=DirectCategory.choices, blank=True, default=DirectCategory.NONE
    )
    business_supervisor = models.CharField(_("业务主管单位"), max_length=80, blank=True)
    funds = MoneyField(_("注册资金（元）"), null=True, blank=True, help_text=_("社团为活动资金，社会服务机构为开办资金，基金会为原始基金。"))
    individual_members = models.PositiveIntegerField(_("个人会员数"), default=0)
    unit_members = models.PositiveIntegerField(_("单位会员数"), default=0)
    staff_count = models.PositiveIntegerField(_("专职工作人员数"), default=0)
    party_status = models.CharField(_("党组织建设情况"), max_length=16, choices=PartyStatus.choices, default=PartyStatus.NONE)
    is_charity = models.BooleanField(_("认定为慈善组织"), default=False)
    certificate_number = models.CharField(_("证书编号"), max_length=40, unique=True, null=True, blank=True)
    certificate_valid_until = models.DateField(_("证书有效期至"), null=True, blank=True)
    grade = models.CharField(_("评估等级"), max_length=2, choices=Grade.choices, blank=True, db_index=True)
    grade_valid_until = models.DateField(_("评估等级有效期至"), null=True, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    introduction = models.TextField(_("机构简介"), blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organizations", verbose_name=_("成员")
    )

    class Meta:
        verbose_name = _("社会组织")
        verbose_name_plural = _("社会组织")
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "status"], name="org_kind_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="community") | models.Q(credit_code__isnull=True),
                name="filed_organization_has_no_credit_code",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.REGISTERED, self.Status.FILED)

    def grade_on(self, day) -> str:
        """The evaluation grade in force on ``day`` ("" when none or expired)."""
        if self.grade and self.grade_valid_until and self.grade_valid_until >= day:
            return self.grade
        return ""

    @property
    def is_registered_kind(self) -> bool:
        """Registered (登记) kinds carry a credit code; community organizations are filed (备案) instead."""
        return self.kind != self.Kind.COMMUNITY

    @property
    def funds_label(self) -> str:
        return {
            self.Kind.SOCIAL_GROUP: _("活动资金"),
            self.Kind.SERVICE_INSTITUTION: _("开办资金"),
            self.Kind.FOUNDATION: _("原始基金"),
        }.get(self.kind, _("资金"))


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


class CreditListing(models.Model):
    """An entry on the 活动异常名录 (abnormal activity list) or the 严重违法失信名单 (serious violation list).

    It exists because credit status is public, affects eligibility for grants and contracts, and must keep its
    history: an entry is never deleted, it is closed with a removal date and reason. Entries are made and closed
    only through orgs.services, which writes the audit row.
    """

    class Kind(models.TextChoices):
        ABNORMAL = "abnormal", _("活动异常名录")
        SERIOUS = "serious", _("严重违法失信名单")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="credit_listings", verbose_name=_("组织")
    )
    kind = models.CharField(_("名录"), max_length=16, choices=Kind.choices)
    reason = models.TextField(_("列入事由"))
    listed_on = models.DateField(_("列入日期"))
    decided_by = models.CharField(_("作出决定机关"), max_length=80, blank=True)
    removed_on = models.DateField(_("移出日期"), null=True, blank=True)
    removal_reason = models.TextField(_("移出事由"), blank=True)

    class Meta:
        verbose_name = _("信用名录记录")
        verbose_name_plural = _("信用名录记录")
        ordering = ["-listed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind"], condition=models.Q(removed_on__isnull=True),
                name="one_open_listing_per_kind",
            ),
        ]

    def __str__(self):
        return f"{self.organization} · {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.removed_on is None
