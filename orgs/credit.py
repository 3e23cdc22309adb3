"""Annual reports and the credit lists they drive (《社会组织信用信息管理办法》):

* an organization that has not reported on year Y by the deadline in year Y+1 goes on the 活动异常名录;
* two years on that list move it to the 严重违法失信名单;
* the abnormal listing ends when the missing report is accepted (a confirmed fix); the serious listing ends after
  two clean years (no open abnormal listing).

Every listing and removal goes through orgs.services, which keeps the reason and writes the audit row.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import audit
from core.dates import add_years
from core.permissions import can_administer_region
from core.workflow import move

from .exceptions import DomainError, PermissionDenied
from .models import AnnualReport, AnnualReportStatusChange, CreditListing, Organization
from .services import list_organization, remove_listing

MISSING_REPORT = "未按规定报送{year}年度工作报告"
PROMOTED = "被列入活动异常名录满两年"


def _move(report, to, *, actor, reason="", **extra):
    return move(
        report, to, transitions=AnnualReport.TRANSITIONS, history=AnnualReportStatusChange, history_fk="report",
        actor=actor, reason=reason, action_prefix="annual_report", extra_fields=extra,
    )


def deadline_for(year: int) -> datetime.date:
    """The last day to report on ``year``."""
    month, day = settings.PORTAL_ANNUAL_REPORT_DEADLINE
    return datetime.date(year + 1, month, day)


REPORT_FIELDS = ["activities", "income", "government_income", "expenditure", "net_assets", "staff_count", "party_status"]


@transaction.atomic
def save_annual_report(organization: Organization, year: int, *, acting_user, data: dict) -> AnnualReport:
    """Create or update the draft of ``year``'s report; a report already submitted cannot be edited unless it
    was marked 不合格."""
    if not organization.memberships.filter(user=acting_user).exists():
        raise PermissionDenied("只能为本人所属的组织报送年度报告。")
    report = AnnualReport.objects.select_for_update().filter(organization=organization, year=year).first()
    if report is not None and report.status not in (AnnualReport.Status.DRAFT, AnnualReport.Status.FAILED):
        raise DomainError("该年度报告已报送，不能再修改。")
    before = {f: getattr(report, f) for f in REPORT_FIELDS} if report else None
    if report is None:
        report = AnnualReport(organization=organization, year=year)
    for field in REPORT_FIELDS:
        setattr(report, field, data[field])
    report.save()
    audit.record("annual_report.save", actor=acting_user, obj=report, before=before,
                 after={f: getattr(report, f) for f in REPORT_FIELDS})
    return report


@transaction.atomic
def submit_annual_report(report: AnnualReport, *, acting_user) -> AnnualReport:
    report = AnnualReport.objects.select_for_update().select_related("organization").get(pk=report.pk)
    if not report.organization.memberships.filter(user=acting_user).exists():
        raise PermissionDenied("只能为本人所属的组织报送年度报告。")
    if report.year >= timezone.localdate().year:
        raise DomainError(f"{report.year} 年度尚未结束，不能报送该年度报告。")
    return _move(report, AnnualReport.Status.SUBMITTED, actor=acting_user, submitted_at=timezone.now(),
                 submitted_by=acting_user)


@transaction.atomic
def review_annual_report(report: AnnualReport, *, officer, result: str, note: str = "") -> AnnualReport:
    """Mark a report 合格, 基本合格 or 不合格. An accepted report that was missing ends the abnormal listing it
    caused."""
    report = AnnualReport.objects.select_for_update().select_related("organization").get(pk=report.pk)
    if not can_administer_region(officer, report.organization.region):
        raise PermissionDenied("该组织不在您的辖区内。")
    if result == AnnualReport.Status.FAILED and not note.strip():
        raise DomainError("评为不合格须写明审核意见。")
    _move(report, result, actor=officer, reason=note, reviewed_at=timezone.now(), review_note=note.strip())
    if result in AnnualReport.ACCEPTED:
        reason = MISSING_REPORT.format(year=report.year)
        for listing in report.organization.credit_listings.filter(
            kind=CreditListing.Kind.ABNORMAL, removed_on__isnull=True, reason=reason
        ):
            remove_listing(listing, reason=f"已补报{report.year}年度工作报告并经审核", acting_user=officer)
    return report


@dataclass
class SweepResult:
    listed_abnormal: int = 0
    listed_serious: int = 0
    removed_serious: int = 0


def credit_sweep(today: datetime.date | None = None, *, progress=None) -> SweepResult:
    """Run the yearly rules for ``today`` (default: today). Idempotent: a second run on the same day changes
    nothing. ``progress`` is called with (done, total) for the management command's bar."""
    today = today or timezone.localdate()
    result = SweepResult()
    year = today.year - 1 if today > deadline_for(today.year - 1) else today.year - 2
    obliged = Organization.objects.filter(
        status=Organization.Status.REGISTERED, established_on__lt=datetime.date(year + 1, 1, 1)
    ).exclude(kind=Organization.Kind.COMMUNITY)
    reported = AnnualReport.objects.filter(year=year).exclude(status=AnnualReport.Status.DRAFT).values("organization")
    listed = CreditListing.objects.filter(kind=CreditListing.Kind.ABNORMAL, removed_on__isnull=True).values("organization")
    missing = list(obliged.exclude(pk__in=reported).exclude(pk__in=listed).order_by("pk"))
    two_years_ago = add_years(today, -2)
    to_promote = list(
        CreditListing.objects.filter(kind=CreditListing.Kind.ABNORMAL, removed_on__isnull=True, listed_on__lte=two_years_ago)
        .exclude(organization__credit_listings__kind=CreditListing.Kind.SERIOUS,
                 organization__credit_listings__removed_on__isnull=True)
        .select_related("organization")
    )
    serious_open = CreditListing.objects.filter(kind=CreditListing.Kind.SERIOUS, removed_on__isnull=True, listed_on__lte=two_years_ago)
    to_clear = [s for s in serious_open.select_related("organization")
                if not s.organization.credit_listings.filter(kind=CreditListing.Kind.ABNORMAL, removed_on__isnull=True).exists()]
    steps = [
        *[(lambda o=o: list_organization(o, CreditListing.Kind.ABNORMAL, reason=MISSING_REPORT.format(year=year),
                                         listed_on=today, decided_by=o.registration_authority), "listed_abnormal")
          for o in missing],
        *[(lambda li=li: list_organization(li.organization, CreditListing.Kind.SERIOUS, reason=PROMOTED,
                                           listed_on=today, decided_by=li.organization.registration_authority),
           "listed_serious") for li in to_promote],
        *[(lambda li=li: remove_listing(li, reason="列入严重违法失信名单满两年且期间未再被列入活动异常名录",
                                        removed_on=today), "removed_serious") for li in to_clear],
    ]
    for done, (step, counter) in enumerate(steps, start=1):
        # One transaction per organization: a failure part-way leaves a consistent list, and a rerun finishes.
        with transaction.atomic():
            step()
        setattr(result, counter, getattr(result, counter) + 1)
        if progress:
            progress(done, len(steps))
    audit.record("credit.sweep", actor=None, after={"date": today, "year": year, **result.__dict__})
    return result
