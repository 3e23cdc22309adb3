"""The yearly 年度报告 every registered organization owes its registration authority."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import StatusChangeBase
from core.money import MoneyField

from .organizations import Organization


class AnnualReport(models.Model):
    """An organization's report on one year: activities, income (and how much came from government purchase of
    services), expenditure, net assets, staff and party organization. The officer marks it 合格, 基本合格 or 不合格.

    It exists because a missing report is what puts an organization on the 活动异常名录 (orgs.credit), and because
    the income figures feed the statistics of purchased services.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已报送")
        PASSED = "passed", _("合格")
        BASIC = "basic", _("基本合格")
        FAILED = "failed", _("不合格")

    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.PASSED, Status.BASIC, Status.FAILED},
        Status.FAILED: {Status.SUBMITTED},
    }
    ACCEPTED = [Status.PASSED, Status.BASIC]

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="annual_reports")
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    activities = models.TextField(_("年度开展的主要活动"))
    income = MoneyField(_("本年收入（元）"))
    government_income = MoneyField(_("其中：政府购买服务收入（元）"), default=0)
    expenditure = MoneyField(_("本年支出（元）"))
    net_assets = MoneyField(_("年末净资产（元）"))
    staff_count = models.PositiveIntegerField(_("专职工作人员数"), default=0)
    party_status = models.CharField(
        _("党组织建设情况"), max_length=16, choices=Organization.PartyStatus.choices, default=Organization.PartyStatus.NONE
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("年度报告")
        verbose_name_plural = _("年度报告")
        ordering = ["-year", "organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="one_annual_report_per_year"),
            models.CheckConstraint(
                condition=models.Q(government_income__lte=models.F("income")), name="government_income_within_income"
            ),
        ]

    def __str__(self):
        return f"{self.organization} {self.year} 年度报告"

    @property
    def region(self):
        return self.organization.region

    @property
    def region_id(self):
        return self.organization.region_id


class AnnualReportStatusChange(StatusChangeBase):
    report = models.ForeignKey(AnnualReport, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=12, choices=AnnualReport.Status.choices)
    to_status = models.CharField(max_length=12, choices=AnnualReport.Status.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("年度报告状态变更")
        verbose_name_plural = _("年度报告状态变更")
