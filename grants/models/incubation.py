"""Incubation bases (孵化基地) at 市, 区 and 社区 level, the organizations resident in them, and the services
each resident received (DESIGN.md §4.2)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Region
from orgs.models import Organization


class IncubationBase(models.Model):
    """A place run by or for the bureau where young organizations are housed and coached until they can stand
    alone (出壳). It exists because residency is an eligibility rule of several funding calls and because the
    bureau reports how many organizations each level incubates. ``residents`` counts open residencies; the CHECK
    keeps it within ``capacity`` whatever two officers do at the same time."""

    class Level(models.TextChoices):
        CITY = "city", _("市级")
        DISTRICT = "district", _("区级")
        COMMUNITY = "community", _("社区级")

    name = models.CharField(_("基地名称"), max_length=120, unique=True)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="incubation_bases", verbose_name=_("所在区划"))
    operator = models.CharField(_("运营单位"), max_length=120, help_text=_("承接运营的单位名称"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    introduction = models.TextField(_("基地简介"), blank=True)
    capacity = models.PositiveIntegerField(_("可入驻组织数"))
    residents = models.PositiveIntegerField(_("在孵组织数"), default=0, editable=False)
    is_active = models.BooleanField(_("运营中"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("孵化基地")
        verbose_name_plural = _("孵化基地")
        ordering = ["level", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(residents__lte=F("capacity")), name="base_never_over_capacity"),
        ]

    def __str__(self):
        return self.name

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.residents, 0)


class Residency(models.Model):
    """That an organization was admitted to a base, what it received there, and how it left: graduated (出壳)
    with an assessment, or withdrew. An organization is resident in at most one base at a time."""

    class Status(models.TextChoices):
        RESIDENT = "resident", _("在孵")
        GRADUATED = "graduated", _("已出壳")
        WITHDRAWN = "withdrawn", _("已退出")

    class Outcome(models.TextChoices):
        EXCELLENT = "excellent", _("优秀")
        PASSED = "passed", _("合格")
        FAILED = "failed", _("不合格")

    base = models.ForeignKey(IncubationBase, on_delete=models.PROTECT, related_name="residencies", verbose_name=_("孵化基地"))
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="residencies", verbose_name=_("入驻组织")
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.RESIDENT)
    admitted_on = models.DateField(_("入驻日期"))
    planned_until = models.DateField(_("计划孵化期至"), null=True, blank=True)
    admission_note = models.TextField(_("入驻说明"), blank=True)
    left_on = models.DateField(_("出壳（退出）日期"), null=True, blank=True)
    outcome = models.CharField(_("出壳评估结论"), max_length=16, choices=Outcome.choices, blank=True)
    assessment = models.TextField(_("出壳评估意见"), blank=True)
    admitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("入驻记录")
        verbose_name_plural = _("入驻记录")
        ordering = ["-admitted_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=Q(status="resident"), name="one_open_residency_per_organization"
            ),
        ]

    def __str__(self):
        return f"{self.organization} @ {self.base}"

    @property
    def region_id(self):
        return self.base.region_id


class ResidencyService(models.Model):
    """One service a resident received from its base — office space, mentoring, training … — with its date,
    so the base's work and the organization's incubation history can be shown and counted."""

    class Kind(models.TextChoices):
        OFFICE = "office", _("办公场地")
        MENTORING = "mentoring", _("导师辅导")
        TRAINING = "training", _("培训")
        RESOURCES = "resources", _("资源对接")
        FINANCE = "finance", _("财务代理")
        OTHER = "other", _("其他")

    residency = models.ForeignKey(Residency, on_delete=models.CASCADE, related_name="services", verbose_name=_("入驻记录"))
    kind = models.CharField(_("服务类型"), max_length=16, choices=Kind.choices)
    provided_on = models.DateField(_("服务日期"))
    hours = models.DecimalField(_("时长（小时）"), max_digits=6, decimal_places=1, null=True, blank=True)
    description = models.CharField(_("服务内容"), max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("孵化服务记录")
        verbose_name_plural = _("孵化服务记录")
        ordering = ["-provided_on", "-pk"]

    def __str__(self):
        return f"{self.provided_on} {self.get_kind_display()}"
