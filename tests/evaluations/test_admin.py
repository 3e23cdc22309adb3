import datetime

from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from evaluations import services
from evaluations.models import Campaign, Rating
from tests.evaluations.helpers import public_campaign, values, verified_user


def test_an_officer_creates_a_campaign_in_the_admin_and_gets_the_five_default_dimensions(client, city_officer, city):
    client.force_login(city_officer)
    now = timezone.localtime()
    data = {
        "kind": "public", "year": "2027", "title": "2027年度五比五看", "description": "",
        "region": city.pk, "scope_kinds": ["service_institution", "social_group"],
        "opens_at": (now + datetime.timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
        "closes_at": (now + datetime.timedelta(days=30)).strftime("%Y-%m-%d %H:%M"),
        "public_weight": "40", "min_raters": "30", "band_excellent": "90", "band_good": "80", "band_pass": "60",
        "posting_days": "7",
        "dimensions-TOTAL_FORMS": "0", "dimensions-INITIAL_FORMS": "0", "dimensions-MIN_NUM_FORMS": "0",
        "dimensions-MAX_NUM_FORMS": "1000",
    }
    response = client.post(reverse("campaigns:add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get(year=2027)
    assert campaign.scope_kinds == ["service_institution", "social_group"]
    assert campaign.created_by == city_officer
    assert campaign.dimensions.count() == 5
    assert AuditEntry.objects.filter(action="evaluations.campaign.create", object_id=str(campaign.pk)).exists()


def test_a_window_that_ends_before_it_starts_is_a_chinese_field_error(client, city_officer, city):
    client.force_login(city_officer)
    now = timezone.localtime()
    data = {
        "kind": "public", "year": "2027", "title": "倒置的活动", "region": city.pk,
        "opens_at": (now + datetime.timedelta(days=5)).strftime("%Y-%m-%d %H:%M"),
        "closes_at": (now + datetime.timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
        "public_weight": "40", "min_raters": "30", "band_excellent": "90", "band_good": "80", "band_pass": "60",
        "posting_days": "7", "dimensions-TOTAL_FORMS": "0", "dimensions-INITIAL_FORMS": "0",
        "dimensions-MIN_NUM_FORMS": "0", "dimensions-MAX_NUM_FORMS": "1000",
    }
    response = client.post(reverse("campaigns:add"), data)
    assert response.status_code == 200
    assert "截止时间须晚于开始时间" in response.content.decode()
    assert "倒置的活动" in response.content.decode()
    assert not Campaign.objects.filter(title="倒置的活动").exists()


def test_an_officer_opens_closes_and_computes_from_the_campaign_page(client, city_officer, city, org_a,
                                                                    django_capture_on_commit_callbacks):
    campaign = public_campaign(city_officer, city, open_now=False)
    client.force_login(city_officer)
    act = reverse("campaigns:act", args=[campaign.pk])
    client.post(act, {"action": "open"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.OPEN and campaign.results.count() == 1
    client.post(act, {"action": "close"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(act, {"action": "compute"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPUTED and campaign.compute_state == Campaign.ComputeState.DONE
    page = client.get(reverse("campaigns:inspect", args=[campaign.pk])).content.decode()
    assert "有效结果 0 个" in page and "审核通过并发布结果" in page


def test_an_open_campaign_can_no_longer_be_edited(client, city_officer, city):
    campaign = public_campaign(city_officer, city)
    client.force_login(city_officer)
    response = client.post(reverse("campaigns:edit", args=[campaign.pk]), {"title": "改名"})
    assert response.status_code == 404
    campaign.refresh_from_db()
    assert campaign.title == "2026年度五比五看"


def test_a_district_officer_cannot_open_another_districts_campaign(client, officer_nanming, officer_yunyan, yunyan):
    campaign = public_campaign(officer_yunyan, yunyan, open_now=False)
    client.force_login(officer_nanming)
    assert client.post(reverse("campaigns:act", args=[campaign.pk]), {"action": "open"}).status_code == 404
    assert client.get(reverse("campaigns:inspect", args=[campaign.pk])).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_the_review_queue_lists_flagged_ratings_and_the_officer_excludes_one(client, city_officer, officer_nanming, city, org_a):
    campaign = public_campaign(city_officer, city)
    for _ in range(5):
        services.submit_rating(campaign, org_a, acting_user=verified_user(), values=values(campaign, 5), client_address="10.0.0.8")
    client.force_login(officer_nanming)
    index = client.get(reverse("rating_review:index")).content.decode()
    assert "同一地址短时间内大量评价" in index
    rating = Rating.objects.first()
    response = client.post(reverse("rating_review:act", args=[rating.pk]), {"step": "resolve", "decision": "exclude", "reason": "网吧刷分"})
    assert response.status_code == 302
    rating.refresh_from_db()
    assert rating.excluded and rating.exclusion_reason == "网吧刷分"


def test_an_officer_of_another_district_gets_404_for_a_rating(client, city_officer, city, org_a, officer_yunyan):
    campaign = public_campaign(city_officer, city)
    rating = services.submit_rating(campaign, org_a, acting_user=verified_user(), values=values(campaign, 5))
    client.force_login(officer_yunyan)
    assert client.get(reverse("rating_review:inspect", args=[rating.pk])).status_code == 404
    assert client.post(reverse("rating_review:act", args=[rating.pk]), {"decision": "exclude", "reason": "x"}).status_code == 404
