import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Role
from core.services import grant_role
from evaluations import services
from evaluations.exceptions import CampaignError, NotEligible, ReviewRefused, ScoringRefused
from evaluations.models import Campaign, Result, ReviewRequest
from orgs.models import AnnualReport, CreditListing, Organization
from tests.evaluations.helpers import end_window, grading_campaign
from tests.factories import UserFactory


@pytest.fixture
def grading(city_officer, city, org_a, reviewer):
    Organization.objects.filter(pk=org_a.pk).update(established_on=datetime.date(2019, 5, 1))
    org_a.refresh_from_db()
    campaign = grading_campaign(city_officer, city)
    campaign.experts.add(reviewer)
    return campaign


def expert_scores(campaign, points):
    return {str(d.pk): p for d, p in zip(campaign.dimensions.all(), points, strict=True)}


def notes(campaign):
    return {str(d.pk): "现场评估、查阅档案" for d in campaign.dimensions.all()}


@pytest.mark.parametrize("problem, message", [
    ("young", "取得登记证书未满两个年度"),
    ("listed", "已被列入活动异常名录"),
    ("failed_report", "2025 年度报告结论为不合格"),
])
def test_an_ineligible_organization_is_refused_with_the_reason(grading, org_a, applicant, problem, message):
    if problem == "young":
        Organization.objects.filter(pk=org_a.pk).update(established_on=datetime.date(2025, 3, 1))
    elif problem == "listed":
        CreditListing.objects.create(organization=org_a, kind=CreditListing.Kind.ABNORMAL, reason="未报送年度报告",
                                     listed_on=datetime.date(2026, 6, 1))
    else:
        AnnualReport.objects.create(organization=org_a, year=2025, status=AnnualReport.Status.FAILED, activities="—",
                                    income=0, expenditure=0, net_assets=0)
    org_a.refresh_from_db()
    with pytest.raises(NotEligible, match=message):
        services.apply_for_grading(grading, org_a, acting_user=applicant)
    assert not Result.objects.filter(campaign=grading).exists()


def test_the_member_page_explains_why_an_organization_cannot_apply(client, grading, org_a, applicant):
    Organization.objects.filter(pk=org_a.pk).update(established_on=datetime.date(2025, 3, 1))
    client.force_login(applicant)
    body = client.get(reverse("evaluations:mine")).content.decode()
    assert "取得登记证书未满两个年度" in body


def test_only_a_member_may_apply(grading, org_a, other_member):
    with pytest.raises(services.PermissionDenied):
        services.apply_for_grading(grading, org_a, acting_user=other_member)


def test_grading_from_application_to_a_grade_on_the_profile(client, grading, org_a, applicant, reviewer, city_officer,
                                                            django_capture_on_commit_callbacks):
    client.force_login(applicant)
    client.post(reverse("evaluations:apply", args=[grading.pk, org_a.pk]))
    assert Result.objects.filter(campaign=grading, organization=org_a, applied_by=applicant).exists()
    with pytest.raises(ScoringRefused, match="先声明"):
        services.submit_score(grading, org_a, acting_user=reviewer, values=expert_scores(grading, [60, 380, 400, 120]), notes=notes(grading))
    services.declare_conflict(grading, org_a, acting_user=reviewer, has_conflict=False)
    with pytest.raises(ScoringRefused, match="须在 0–60 之间"):
        services.submit_score(grading, org_a, acting_user=reviewer, values=expert_scores(grading, [61, 380, 400, 120]), notes=notes(grading))
    services.submit_score(grading, org_a, acting_user=reviewer, values=expert_scores(grading, [60, 380, 400, 120]), notes=notes(grading))
    end_window(grading)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_computation(grading, acting_user=city_officer)
    result = Result.objects.get(campaign=grading, organization=org_a)
    assert result.total == Decimal("960.00") and result.grade == "5A"
    grading.refresh_from_db()
    services.publish_results(grading, acting_user=city_officer)
    grading.refresh_from_db()
    assert grading.posting_ends_on == timezone.localdate() + datetime.timedelta(days=7)
    review = services.request_review(result, acting_user=applicant, reason="工作绩效加分项未计入")
    with pytest.raises(CampaignError, match="公示期满后才能定级"):
        services.finalize_grading(grading, acting_user=city_officer)
    services.decide_review(review, acting_user=city_officer, change=True, response="核实后调整", new_total=Decimal("940"))
    result.refresh_from_db()
    assert result.grade == "4A"
    assert ReviewRequest.objects.get().status == ReviewRequest.Status.CHANGED
    Campaign.objects.filter(pk=grading.pk).update(posting_ends_on=timezone.localdate() - datetime.timedelta(days=1))
    grading.refresh_from_db()
    with pytest.raises(ReviewRefused, match="只能在结果公示期内申请复核"):
        services.request_review(result, acting_user=applicant, reason="再次申请")
    services.finalize_grading(grading, acting_user=city_officer)
    org_a.refresh_from_db()
    assert org_a.grade == "4A"
    assert org_a.grade_valid_until == datetime.date(timezone.localdate().year + 5, timezone.localdate().month, timezone.localdate().day) - datetime.timedelta(days=1)
    assert "评估等级 4A" in client.get(reverse("orgs:profile", args=[org_a.pk])).content.decode()
    assert [o.name for o in client.get(reverse("orgs:directory"), {"grade": "4A"}).context["page_obj"]] == [org_a.name]


def test_a_declared_conflict_bars_the_expert_from_scoring(grading, org_a, applicant, reviewer):
    services.apply_for_grading(grading, org_a, acting_user=applicant)
    services.declare_conflict(grading, org_a, acting_user=reviewer, has_conflict=True, statement="曾任该机构理事")
    with pytest.raises(ScoringRefused, match="存在利益冲突"):
        services.submit_score(grading, org_a, acting_user=reviewer, values=expert_scores(grading, [60, 380, 400, 120]), notes=notes(grading))


def test_an_expert_not_assigned_to_the_campaign_may_not_score(grading, org_a, applicant):
    stranger = UserFactory()
    grant_role(stranger, Role.REVIEWER, acting_user=None)
    services.apply_for_grading(grading, org_a, acting_user=applicant)
    with pytest.raises(services.PermissionDenied):
        services.declare_conflict(grading, org_a, acting_user=stranger, has_conflict=False)


def test_the_39_bands_put_each_total_in_its_grade(grading):
    assert [grading.grade_for(Decimal(t)) for t in (1000, 950, 949, 901, 900, 851, 850, 801, 800, 0)] == [
        "5A", "5A", "4A", "4A", "3A", "3A", "2A", "2A", "1A", "1A"]


def test_finalizing_before_the_results_are_published_is_a_chinese_error(grading, city_officer):
    end_window(grading)
    services.close_campaign(grading, acting_user=city_officer)
    with pytest.raises(CampaignError, match="结果发布并公示期满后才能定级"):
        services.finalize_grading(grading, acting_user=city_officer)


def test_an_officer_outside_the_region_cannot_create_a_campaign_there(officer_nanming, yunyan):
    with pytest.raises(services.PermissionDenied):
        services.create_campaign(
            acting_user=officer_nanming, kind=Campaign.Kind.PUBLIC, year=2027, title="越权创建", region=yunyan,
            opens_at=timezone.now(), closes_at=timezone.now() + datetime.timedelta(days=3),
        )
    assert not Campaign.objects.filter(title="越权创建").exists()
