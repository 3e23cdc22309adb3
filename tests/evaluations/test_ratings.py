import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from evaluations import services
from evaluations.exceptions import RatingRefused
from evaluations.models import Campaign, Flag, Rating, Result
from orgs.models import Organization
from tests.evaluations.helpers import end_window, public_campaign, values, verified_user
from tests.factories import OrganizationFactory, UserFactory
from tests.pdftext import pdf_text


@pytest.fixture
def campaign(city_officer, city, org_a, org_b):
    return public_campaign(city_officer, city)


def test_opening_a_campaign_puts_every_existing_organization_of_its_region_in_scope(city_officer, nanming, org_a, org_b):
    closed = OrganizationFactory(region=nanming, status=Organization.Status.DEREGISTERED)
    campaign = public_campaign(city_officer, nanming)
    in_scope = set(Result.objects.filter(campaign=campaign).values_list("organization_id", flat=True))
    assert in_scope == {org_a.pk}  # org_b is in 云岩区; the deregistered one no longer exists
    assert closed.pk not in in_scope
    assert [d.name for d in campaign.dimensions.all()][0] == "比政治立场看谁更爱党"
    assert campaign.dimensions.count() == 5


def test_a_verified_person_rates_once_and_may_revise_while_open(campaign, org_a):
    person = verified_user()
    services.submit_rating(campaign, org_a, acting_user=person, values=values(campaign, 4), comment="服务很用心")
    services.submit_rating(campaign, org_a, acting_user=person, values=values(campaign, 5), comment="服务很用心")
    rating = Rating.objects.get(campaign=campaign, organization=org_a)
    assert set(rating.values.values()) == {5}
    assert rating.revisions == 1
    assert rating.comment_status == Rating.CommentStatus.PENDING
    assert AuditEntry.objects.filter(action="evaluations.rating.revise").count() == 1


@pytest.mark.parametrize("case, message", [
    ("closed", "评价已于"),
    ("not_started", "评价尚未开始"),
    ("out_of_range", "须在 1–5 之间，收到 6"),
    ("unverified", "须先验证手机号码"),
    ("out_of_scope", "不在本次评价范围内"),
])
def test_a_rating_is_refused_with_a_chinese_reason(campaign, org_a, case, message):
    person = verified_user()
    given = values(campaign, 4)
    organization = org_a
    if case == "closed":
        end_window(campaign)
    elif case == "not_started":
        Campaign.objects.filter(pk=campaign.pk).update(opens_at=timezone.now() + datetime.timedelta(days=1))
        campaign.refresh_from_db()
    elif case == "out_of_range":
        given[next(iter(given))] = 6
    elif case == "unverified":
        person = UserFactory()
    elif case == "out_of_scope":
        organization = OrganizationFactory(name="范围外的组织")
    with pytest.raises(RatingRefused, match=message):
        services.submit_rating(campaign, organization, acting_user=person, values=given)
    assert not Rating.objects.exists()


def test_the_rating_page_shows_an_out_of_range_value_as_a_field_error_and_keeps_the_comment(client, campaign, org_a):
    person = verified_user()
    client.force_login(person)
    data = {f"d{key}": value for key, value in values(campaign, 4).items()} | {"comment": "志愿者很热心"}
    first = next(iter(values(campaign, 4)))
    data[f"d{first}"] = "6"
    response = client.post(reverse("evaluations:rate", args=[campaign.pk, org_a.pk]), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "“比政治立场看谁更爱党”的评分须在 1–5 之间" in body
    assert "志愿者很热心" in body
    assert not Rating.objects.exists()


def test_an_unverified_person_is_sent_to_verify_their_phone_and_back(client, campaign, org_a, outsider):
    client.force_login(outsider)
    url = reverse("evaluations:rate", args=[campaign.pk, org_a.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:phone_verify"))
    assert "next=" in response["Location"]


def test_rating_through_the_page_records_the_client_address(client, campaign, org_a):
    person = verified_user()
    client.force_login(person)
    data = {f"d{key}": value for key, value in values(campaign, 5).items()}
    response = client.post(reverse("evaluations:rate", args=[campaign.pk, org_a.pk]), data, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    assert Rating.objects.get().client_address == "10.1.2.3"


def test_a_person_is_rate_limited_after_thirty_ratings_an_hour(campaign, city):
    person = verified_user()
    organizations = [OrganizationFactory(region=city) for _ in range(31)]
    services.fill_scope(campaign)
    for organization in organizations[:30]:
        services.submit_rating(campaign, organization, acting_user=person, values=values(campaign, 4))
    with pytest.raises(services.ratelimit.RateLimited, match="一小时后再试"):
        services.submit_rating(campaign, organizations[30], acting_user=person, values=values(campaign, 4))
    assert Rating.objects.count() == 30


def test_many_ratings_from_one_address_are_flagged_and_an_officer_excludes_one_with_a_reason(campaign, org_a, officer_nanming):
    for _ in range(5):
        services.submit_rating(campaign, org_a, acting_user=verified_user(), values=values(campaign, 5), client_address="10.9.9.9")
    flagged = Rating.objects.filter(flags__kind=Flag.Kind.ADDRESS_BURST).distinct()
    assert flagged.count() == 5
    rating = flagged.first()
    with pytest.raises(services.CampaignError, match="请填写处理理由"):
        services.resolve_flags(rating, acting_user=officer_nanming, exclude=True, reason=" ")
    services.resolve_flags(rating, acting_user=officer_nanming, exclude=True, reason="同一网吧集中刷分")
    rating.refresh_from_db()
    assert rating.excluded and rating.exclusion_reason == "同一网吧集中刷分"
    assert rating.flags.get().resolution == Flag.Resolution.EXCLUDED
    assert AuditEntry.objects.filter(action="evaluations.rating.exclude", reason="同一网吧集中刷分").exists()
    assert Rating.objects.count() == 5  # excluded, never deleted


def test_an_officer_of_another_district_cannot_exclude_a_rating(campaign, org_a, officer_yunyan):
    rating = services.submit_rating(campaign, org_a, acting_user=verified_user(), values=values(campaign, 5))
    with pytest.raises(services.PermissionDenied):
        services.resolve_flags(rating, acting_user=officer_yunyan, exclude=True, reason="x")


def test_identical_comments_and_bursts_of_new_accounts_are_flagged(campaign, org_a, org_b):
    for _ in range(3):
        services.submit_rating(campaign, org_b, acting_user=verified_user(), values=values(campaign, 5), comment="非常好非常好")
    assert Flag.objects.filter(kind=Flag.Kind.DUPLICATE_COMMENT).count() == 3
    for _ in range(5):
        newcomer = UserFactory(phone_verified_at=timezone.now())
        services.submit_rating(campaign, org_a, acting_user=newcomer, values=values(campaign, 5))
    assert Flag.objects.filter(kind=Flag.Kind.NEW_ACCOUNT_BURST).count() == 5


def test_a_comment_is_public_only_after_an_officer_approves_it(client, campaign, org_a, officer_nanming):
    rating = services.submit_rating(campaign, org_a, acting_user=verified_user(), values=values(campaign, 5), comment="帮助了我家老人")
    profile = reverse("orgs:profile", args=[org_a.pk])
    assert "帮助了我家老人" not in client.get(profile).content.decode()
    services.moderate_comment(rating, acting_user=officer_nanming, approve=True)
    body = client.get(profile).content.decode()
    assert "帮助了我家老人" in body
    assert reverse("evaluations:rate", args=[campaign.pk, org_a.pk]) in body


def test_the_poster_is_a_pdf_holding_the_organizations_name(client, campaign, org_a):
    response = client.get(reverse("evaluations:poster", args=[campaign.pk, org_a.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "阳光助残服务社" in text and "扫码评价" in text
