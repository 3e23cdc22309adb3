from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations import services
from evaluations.exceptions import CampaignError
from evaluations.models import Campaign, Result
from tests.evaluations.helpers import end_window, public_campaign, values, verified_user
from tests.factories import OrganizationFactory
from tests.pdftext import pdf_text


def rate_all(campaign, organization, scores):
    for value in scores:
        services.submit_rating(campaign, organization, acting_user=verified_user(), values=values(campaign, value))


def score_all(campaign, organization, scorer, value):
    services.declare_conflict(campaign, organization, acting_user=scorer, has_conflict=False)
    notes = {key: "查阅台账与服务记录" for key in values(campaign, 0)}
    services.submit_score(campaign, organization, acting_user=scorer, values=values(campaign, value), notes=notes)


@pytest.fixture
def computed(city_officer, officer_nanming, officer_yunyan, city, org_a, org_b, django_capture_on_commit_callbacks):
    campaign = public_campaign(city_officer, city, min_raters=3)
    rate_all(campaign, org_a, [5, 4, 3])          # public mean 4 → 80 on 100
    rate_all(campaign, org_b, [5, 5])             # two raters: fewer than three
    excluded = services.submit_rating(campaign, org_a, acting_user=verified_user(), values=values(campaign, 1))
    services.resolve_flags(excluded, acting_user=officer_nanming, exclude=True, reason="核实为刷分")
    score_all(campaign, org_a, officer_nanming, 90)
    score_all(campaign, org_b, officer_yunyan, 95)
    end_window(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_computation(campaign, acting_user=city_officer)
    campaign.refresh_from_db()
    return campaign


def test_results_match_an_independent_computation_from_the_rows(computed, org_a, org_b):
    assert computed.status == Campaign.Status.COMPUTED
    assert computed.compute_state == Campaign.ComputeState.DONE and computed.compute_progress == 100
    a = Result.objects.get(campaign=computed, organization=org_a)
    # Three counted raters (the excluded fourth does not count): mean 4 → 80; officers 90; 40/60 → 86.
    assert a.public_raters == 3 and a.excluded_ratings == 1
    assert a.public_score == Decimal("80.00") and a.official_score == Decimal("90.00")
    assert a.total == Decimal("86.00")
    assert a.valid and a.grade == Result.Grade.GOOD and a.rank_in_kind == 1 and a.rank_in_district == 1
    assert set(a.public_means.values()) == {4.0}
    b = Result.objects.get(campaign=computed, organization=org_b)
    assert not b.valid and b.total is None and b.grade == ""
    assert b.note == "群众评价人数 2 人，不足 3 人"


def test_results_are_not_public_until_an_officer_publishes_them(client, computed, city_officer, org_a):
    url = reverse("evaluations:campaign", args=[computed.pk])
    assert "排名与等级" not in client.get(url).content.decode()
    assert client.get(reverse("evaluations:report", args=[computed.pk])).status_code == 404
    services.publish_results(computed, acting_user=city_officer)
    body = client.get(url).content.decode()
    assert "排名与等级" in body and "阳光助残服务社" in body and "良好" in body
    profile = client.get(reverse("orgs:profile", args=[org_a.pk])).content.decode()
    assert "86.00" in profile and "良好" in profile


def test_the_campaign_and_organization_reports_are_pdfs_with_the_ranking(client, computed, city_officer, org_a):
    services.publish_results(computed, acting_user=city_officer)
    text = pdf_text(client.get(reverse("evaluations:report", args=[computed.pk])).content)
    assert "2026年度五比五看 结果报告" in text and "阳光助残服务社" in text and "各维度平均得分" in text
    text = pdf_text(client.get(reverse("evaluations:organization_report", args=[computed.pk, org_a.pk])).content)
    assert "阳光助残服务社" in text and "86.00" in text and "比敬业奉献看谁更爱民" in text


def test_results_cannot_be_computed_while_the_window_is_open(city_officer, city, org_a):
    campaign = public_campaign(city_officer, city)
    with pytest.raises(CampaignError, match="评价截止后才能计算结果"):
        services.request_computation(campaign, acting_user=city_officer)


def test_a_district_officer_cannot_publish_a_city_campaign(computed, officer_nanming):
    with pytest.raises(services.PermissionDenied):
        services.publish_results(computed, acting_user=officer_nanming)


def test_the_results_page_stays_within_a_fixed_number_of_queries(client, computed, city_officer, city,
                                                                django_assert_max_num_queries):
    services.publish_results(computed, acting_user=city_officer)
    url = reverse("evaluations:campaign", args=[computed.pk])
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200
    for index in range(40):  # forty more ranked organizations: the same number of queries
        organization = OrganizationFactory(region=city, name=f"第{index}家参评组织")
        Result.objects.create(campaign=computed, organization=organization, org_kind=organization.kind, valid=True,
                              total=Decimal(70 + index % 20), grade=Result.Grade.PASS, rank_in_kind=index + 2)
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200
