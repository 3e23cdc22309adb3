import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from core.exceptions import DomainError, PermissionDenied
from orgs.credit import credit_sweep, review_annual_report, submit_annual_report
from orgs.models import AnnualReport, CreditListing, Organization
from orgs.services import list_organization
from tests.factories import MembershipFactory, OrganizationFactory


def report_for(org, year, **overrides):
    data = dict(activities="开展助老服务 120 场", income=Decimal("500000"), government_income=Decimal("300000"),
                expenditure=Decimal("450000"), net_assets=Decimal("80000"), staff_count=6)
    data.update(overrides)
    return AnnualReport.objects.create(organization=org, year=year, **data)


@pytest.fixture
def established_2024(nanming):
    return OrganizationFactory(name="南明区乐龄养老服务中心", region=nanming, established_on=datetime.date(2024, 3, 1))


def open_listings(org, kind):
    return org.credit_listings.filter(kind=kind, removed_on__isnull=True)


def test_no_report_by_the_deadline_puts_the_organization_on_the_abnormal_list_once(established_2024):
    report_for(established_2024, 2024, status=AnnualReport.Status.PASSED)
    assert credit_sweep(datetime.date(2026, 5, 31)).listed_abnormal == 0  # still judging 2024, which it reported
    result = credit_sweep(datetime.date(2026, 6, 1))
    listing = open_listings(established_2024, CreditListing.Kind.ABNORMAL).get()
    assert listing.reason == "未按规定报送2025年度工作报告" and listing.listed_on == datetime.date(2026, 6, 1)
    assert result.listed_abnormal >= 1
    assert credit_sweep(datetime.date(2026, 6, 1)).listed_abnormal == 0  # idempotent


def test_an_organization_founded_last_year_owes_nothing_before_the_deadline(nanming):
    young = OrganizationFactory(region=nanming, established_on=datetime.date(2025, 3, 1))
    credit_sweep(datetime.date(2026, 5, 1))  # judges the 2024 reports
    assert not young.credit_listings.exists()


def test_community_and_deregistered_organizations_are_not_swept(nanming):
    filed = OrganizationFactory(region=nanming, kind=Organization.Kind.COMMUNITY, credit_code=None,
                                status=Organization.Status.FILED, established_on=datetime.date(2020, 1, 1))
    closed = OrganizationFactory(region=nanming, status=Organization.Status.DEREGISTERED,
                                 established_on=datetime.date(2020, 1, 1))
    credit_sweep(datetime.date(2026, 6, 1))
    assert not filed.credit_listings.exists() and not closed.credit_listings.exists()


def test_a_submitted_report_keeps_the_organization_off_the_list(established_2024):
    member = MembershipFactory(organization=established_2024).user
    submit_annual_report(report_for(established_2024, 2025), acting_user=member)
    credit_sweep(datetime.date(2026, 6, 1))
    assert not established_2024.credit_listings.exists()


def test_an_accepted_late_report_removes_the_abnormal_listing_with_its_reason(established_2024, officer_nanming):
    report_for(established_2024, 2024, status=AnnualReport.Status.PASSED)
    credit_sweep(datetime.date(2026, 6, 1))
    member = MembershipFactory(organization=established_2024).user
    report = submit_annual_report(report_for(established_2024, 2025), acting_user=member)
    review_annual_report(report, officer=officer_nanming, result=AnnualReport.Status.BASIC, note="材料基本齐全")
    listing = established_2024.credit_listings.get()
    assert listing.removed_on is not None and listing.removal_reason == "已补报2025年度工作报告并经审核"


def test_two_years_on_the_abnormal_list_lead_to_the_serious_list(established_2024):
    list_organization(established_2024, CreditListing.Kind.ABNORMAL, reason="通过登记的住所无法联系",
                      listed_on=datetime.date(2024, 6, 1))
    report_for(established_2024, 2025, status=AnnualReport.Status.SUBMITTED)
    assert credit_sweep(datetime.date(2026, 5, 31)).listed_serious == 0
    assert credit_sweep(datetime.date(2026, 6, 1)).listed_serious == 1
    assert open_listings(established_2024, CreditListing.Kind.SERIOUS).get().reason == "被列入活动异常名录满两年"


def test_two_clean_years_clear_the_serious_list(established_2024):
    list_organization(established_2024, CreditListing.Kind.SERIOUS, reason="弄虚作假骗取登记",
                      listed_on=datetime.date(2024, 6, 1))
    report_for(established_2024, 2025, status=AnnualReport.Status.PASSED)
    result = credit_sweep(datetime.date(2026, 6, 2))
    assert result.removed_serious == 1
    listing = established_2024.credit_listings.get()
    assert listing.removed_on == datetime.date(2026, 6, 2) and "满两年" in listing.removal_reason


def test_reviews_are_scoped_and_a_fail_needs_a_note(established_2024, officer_nanming, officer_yunyan):
    member = MembershipFactory(organization=established_2024).user
    report = submit_annual_report(report_for(established_2024, 2025), acting_user=member)
    with pytest.raises(PermissionDenied):
        review_annual_report(report, officer=officer_yunyan, result=AnnualReport.Status.PASSED)
    with pytest.raises(DomainError, match="审核意见"):
        review_annual_report(report, officer=officer_nanming, result=AnnualReport.Status.FAILED)
    review_annual_report(report, officer=officer_nanming, result=AnnualReport.Status.FAILED, note="收支数据不平")
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.FAILED and report.history.count() == 2


def test_an_outsider_cannot_submit_another_organizations_report(established_2024, outsider):
    with pytest.raises(PermissionDenied):
        submit_annual_report(report_for(established_2024, 2025), acting_user=outsider)


def test_government_income_cannot_exceed_income(established_2024):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        report_for(established_2024, 2025, income=Decimal("100"), government_income=Decimal("200"))


def test_the_command_reports_what_it_did(established_2024):
    out = StringIO()
    call_command("credit_sweep", "--date", "2026-06-01", stdout=out, stderr=StringIO())
    assert "列入活动异常名录 1 家" in out.getvalue()


REPORT_FORM = {"activities": "开展助老服务 120 场", "income": "500000", "government_income": "300000",
               "expenditure": "450000", "net_assets": "80000", "staff_count": "6", "party_status": "joint"}


def test_a_member_files_the_report_from_the_workspace_and_bad_figures_keep_the_input(client, established_2024):
    from django.urls import reverse

    member = MembershipFactory(organization=established_2024).user
    client.force_login(member)
    url = reverse("orgs:annual_report", args=[established_2024.pk, 2025])
    response = client.post(url, {**REPORT_FORM, "government_income": "600000", "submit": "1"})
    assert response.status_code == 400
    assert response.context["form"].errors["government_income"] == ["政府购买服务收入不能大于本年收入。"]
    assert "开展助老服务 120 场" in response.content.decode()
    assert not AnnualReport.objects.exists()
    client.post(url, {**REPORT_FORM, "submit": "1"})
    report = AnnualReport.objects.get()
    assert report.status == AnnualReport.Status.SUBMITTED and report.government_income == Decimal("300000")


def test_officers_review_reports_of_their_district_only(client, established_2024, officer_nanming, officer_yunyan):
    from django.urls import reverse

    member = MembershipFactory(organization=established_2024).user
    report = submit_annual_report(report_for(established_2024, 2025), acting_user=member)
    client.force_login(officer_yunyan)
    assert client.get(reverse("annual_reports:inspect", args=[report.pk])).status_code == 404
    assert client.post(reverse("annual_reports:decide", args=[report.pk]), {"result": "passed"}).status_code == 404
    client.force_login(officer_nanming)
    assert established_2024.name in client.get(reverse("annual_reports:index")).content.decode()
    client.post(reverse("annual_reports:decide", args=[report.pk]), {"result": "passed", "note": "合格"})
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.PASSED
