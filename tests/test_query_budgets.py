"""The budget every public page keeps: at most 12 SQL queries when the anonymous page cache misses, and the same
number whatever the size of the data it shows (issue 10).

Each public page — every Wagtail page type, every public Django view and every anonymous list of the API — is
requested twice by an anonymous visitor with the anonymous page cache off (``PORTAL_PAGE_CACHE_SECONDS = 0``): the
first request makes what a first view makes once (image renditions, the site settings row) and fills the caches a
running site keeps warm (Wagtail's site root paths, the home page's figures, the open-data facts); the second is
counted. Image renditions are never cached here (a dummy ``renditions`` cache), so a page that looks up its photos'
renditions one by one cannot hide it. The page is measured after building 2 items of what it lists or shows of one
object (photos, attachments, body images, shifts, results …) and again after growing them to 15, more than a list's
page; both counts must be at most 12 and equal.
"""

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from wagtail.documents.models import Document
from wagtail.models import PageViewRestriction

from evaluations.models import Campaign, Dimension, Result
from grants import incubation, procurement
from grants.models import IncubationBase
from orgs.models import Application, Certificate, CreditListing, Organization, ServiceField
from portal.models import (
    CampaignResultsPage,
    OpenDataPage,
    PolicyAttachment,
    ShowcaseOutcome,
    ShowcasePhoto,
)
from tests.factories import OrganizationFactory, UserFactory, community, district
from tests.grants.helpers import funded, make_call, officer_for, pdf
from tests.grants.procurement_helpers import awarded, bid, make_project, signed
from tests.portal.factories import (
    EventPageFactory,
    NewsPageFactory,
    PolicyPageFactory,
    ShowcaseProjectPageFactory,
    StandardPageFactory,
    event_index,
    home,
    make_image,
    news_index,
    policy_index,
    showcase_index,
)
from tests.volunteers.helpers import credit, make_activity, make_merchant, make_reward, make_shift, register
from volunteers import services as volunteer_services

BUDGET = 12
SIZES = (2, 15)


@pytest.fixture(autouse=True)
def _no_page_cache(db, settings, tmp_path):
    """Images and renditions in a temporary folder; the anonymous page cache off, so every request renders."""
    settings.MEDIA_ROOT = tmp_path
    settings.PORTAL_PAGE_CACHE_SECONDS = 0
    settings.CACHES = {**settings.CACHES, "renditions": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


_serial = itertools.count(1)


def n() -> int:
    return next(_serial)


@dataclass
class World:
    """What the builders share within one test: the people and organizations, and the object a detail page shows."""

    member: object
    organization: Organization
    officer: object
    objects: dict = field(default_factory=dict)

    def once(self, key: str, make: Callable):
        if key not in self.objects:
            self.objects[key] = make()
        return self.objects[key]


@pytest.fixture
def world(applicant, org_a, city_officer) -> World:
    for index_page in (news_index, policy_index, showcase_index, event_index):
        index_page()
    return World(member=applicant, organization=org_a, officer=city_officer)


@dataclass
class Page:
    """A public page: ``grow(world, count)`` adds ``count`` items of what it lists; ``url(world)`` is its address."""

    grow: Callable[[World, int], None]
    url: Callable[[World], str]
    params: dict = field(default_factory=dict)


# --- builders -----------------------------------------------------------------------------------------------------
def photographed_project(**fields):
    project = ShowcaseProjectPageFactory(**fields)
    ShowcasePhoto.objects.create(page=project, image=make_image(f"照片{n()}"), caption="社区助餐现场", sort_order=0)
    return project


def upcoming_activity(world: World, **fields):
    activity = make_activity(world.member, world.organization, title=f"志愿活动{n()}", **fields)
    make_shift(activity, world.member, starts_in=datetime.timedelta(days=3))
    return activity


def grow_home(world: World, count: int):
    for i in range(count):
        photographed_project(featured=i % 2 == 0)
        NewsPageFactory(cover=make_image(f"新闻图{n()}"))
        make_call(title=f"资助计划{n()}", created_by=world.officer)
        make_project(title=f"采购项目{n()}")
        upcoming_activity(world)


def grow_news(world: World, count: int):
    for _ in range(count):
        NewsPageFactory(cover=make_image(f"新闻图{n()}"))


def republish(page, **fields):
    """Change a live page as an editor would: a new revision, published."""
    for name, value in fields.items():
        setattr(page, name, value)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def body_of(world: World, key: str, count: int) -> list:
    """``count`` more of each kind of body block that reads rows: an image, a document attachment, a paragraph."""
    blocks = world.objects.setdefault(f"{key}-blocks", [])
    for _ in range(count):
        number = n()
        document = Document.objects.create(title=f"附件{number}", file=ContentFile(b"%PDF-1.4\n", name=f"f{number}.pdf"))
        blocks += [
            {"type": "paragraph", "value": f"<p>第{number}段正文</p>"},
            {"type": "image",
             "value": {"image": make_image(f"正文图{number}").pk, "alt_text": f"正文图{number}", "decorative": False}},
            {"type": "attachment", "value": {"document": document.pk, "title": f"附件{number}"}},
        ]
    return blocks


def grow_news_page(world: World, count: int):
    page = world.once("news", lambda: NewsPageFactory(cover=make_image("题图")))
    republish(page, body=body_of(world, "news", count))
    grow_news(world, count)


def grow_policies(world: World, count: int):
    for _ in range(count):
        PolicyPageFactory()


def grow_policy_page(world: World, count: int):
    policy = world.once("policy", PolicyPageFactory)
    for _ in range(count):
        number = n()
        document = Document.objects.create(title=f"附件{number}", file=ContentFile(b"%PDF-1.4\n", name=f"f{number}.pdf"))
        PolicyAttachment.objects.create(page=policy, document=document, sort_order=number)
    republish(policy, body=body_of(world, "policy", count))
    grow_policies(world, count)


def grow_showcase(world: World, count: int):
    for _ in range(count):
        photographed_project(organization=OrganizationFactory())


def grow_showcase_page(world: World, count: int):
    project = world.once("showcase", lambda: ShowcaseProjectPageFactory(
        organization=world.organization, service_field=ServiceField.objects.first()))
    for _ in range(count):
        number = n()
        ShowcasePhoto.objects.create(page=project, image=make_image(f"照片{number}"), caption=f"照片{number}",
                                     sort_order=number)
        ShowcaseOutcome.objects.create(page=project, indicator=f"指标{number}", target=10, achieved=5, sort_order=number)
        photographed_project(organization=world.organization)
    republish(project, body=body_of(world, "showcase", count))


def grow_events(world: World, count: int):
    now = timezone.now()
    for i in range(count):
        start = now + datetime.timedelta(days=i - count // 2)
        EventPageFactory(starts_at=start, ends_at=start + datetime.timedelta(hours=3))


def grow_event_page(world: World, count: int):
    event = world.once("event", EventPageFactory)
    sessions = world.objects.setdefault("event-sessions", [])
    sessions += [{"type": "session", "value": {"kind": "showcase", "title": f"环节{n()}"}} for _ in range(count)]
    event.organizations.add(*[OrganizationFactory() for _ in range(count)])
    republish(event, sessions=sessions, body=body_of(world, "event", count))
    grow_events(world, count)


def published_campaign(world: World) -> Campaign:
    def make():
        campaign = Campaign.objects.create(
            kind=Campaign.Kind.PUBLIC, year=2025, title="2025年度五比五看", region=district("520100"),
            opens_at=timezone.now() - datetime.timedelta(days=30), closes_at=timezone.now() - datetime.timedelta(days=1),
            status=Campaign.Status.PUBLISHED,
        )
        for order, name in enumerate(("比政治立场看谁更爱党", "比专业规范看谁更爱公益")):
            Dimension.objects.create(campaign=campaign, name=name, sort_order=order)
        return campaign

    return world.once("published-campaign", make)


def grow_results(world: World, count: int):
    campaign = published_campaign(world)
    for _ in range(count):
        organization = OrganizationFactory()
        Result.objects.create(campaign=campaign, organization=organization, org_kind=organization.kind, valid=True,
                              total=Decimal(90), grade=Result.Grade.EXCELLENT, rank_in_kind=n(),
                              district=organization.region)


def campaign_results_page(world: World):
    def make():
        page = CampaignResultsPage(title="2025年度五比五看结果", slug="results-2025", campaign=published_campaign(world))
        home().add_child(instance=page)
        page.save_revision().publish()
        return page

    return world.once("results-page", make)


def grow_campaign_results_page(world: World, count: int):
    campaign_results_page(world)
    grow_results(world, count)


def open_data_page(world: World):
    def make():
        page = OpenDataPage(title="公开数据", slug="open-data")
        home().add_child(instance=page)
        page.save_revision().publish()
        return page

    return world.once("open-data", make)


def grow_open_data(world: World, count: int):
    """More published campaigns (each a dataset of its own), organizations and procurement projects."""
    open_data_page(world)
    for _ in range(count):
        number = n()
        world.objects.pop("published-campaign", None)
        grow_results(world, 1)
        Campaign.objects.filter(pk=world.objects["published-campaign"].pk).update(year=2000 + number)
        make_project(title=f"采购项目{number}")


def grow_standard_page(world: World, count: int):
    page = world.once("standard", StandardPageFactory)
    republish(page, body=body_of(world, "standard", count))


def grow_organizations(world: World, count: int):
    fields = list(ServiceField.objects.all()[:2])
    for i in range(count):
        organization = OrganizationFactory(name=f"社区养老服务中心{n()}")
        organization.service_fields.add(*fields)
        if i % 3 == 0:
            CreditListing.objects.create(organization=organization, kind=CreditListing.Kind.ABNORMAL,
                                         reason="未按规定报送年度工作报告", listed_on=datetime.date(2026, 6, 1))


def grow_profile(world: World, count: int):
    """The organization's service fields, credit listings, showcase projects, activities, grants and results."""
    organization = world.organization
    call = world.once("profile-call", lambda: make_call(created_by=world.officer, budget="10000000"))
    fields = list(ServiceField.objects.exclude(organizations=organization)[:count])
    organization.service_fields.add(*fields)
    campaign = published_campaign(world)
    for _ in range(count):
        photographed_project(organization=organization)
        upcoming_activity(world)
    if not organization.credit_listings.exists():  # a listed organization may not apply: the grant comes first
        funded(call, world.officer, organization=organization, amount=Decimal("1000"), marks=(8,))
    kinds = [kind for kind in CreditListing.Kind.values if not organization.credit_listings.filter(kind=kind).exists()]
    for kind in kinds[:count]:
        CreditListing.objects.create(organization=organization, kind=kind, reason="未按规定报送年度工作报告",
                                     listed_on=datetime.date(2026, 6, 1))
    if not Result.objects.filter(campaign=campaign, organization=organization).exists():
        Result.objects.create(campaign=campaign, organization=organization, org_kind=organization.kind, valid=True,
                              total=Decimal(90), grade=Result.Grade.EXCELLENT, rank_in_kind=1,
                              district=organization.region)
    grow_organizations(world, count)


def grow_activities(world: World, count: int):
    for _ in range(count):
        upcoming_activity(world)


def grow_activity(world: World, count: int):
    activity = world.once("activity", lambda: upcoming_activity(world))
    for i in range(count):
        shift = make_shift(activity, world.member, starts_in=datetime.timedelta(days=4 + i + n() % 7))
        volunteer = register()
        volunteer_services.sign_up(shift, volunteer=volunteer, acting_user=volunteer.user)
    grow_activities(world, count)


def grow_rewards(world: World, count: int):
    merchant_user = world.once("merchant-user", UserFactory)
    shop = world.once("shop", lambda: make_merchant(merchant_user))
    for _ in range(count):
        make_reward(shop, merchant_user, title=f"回馈{n()}")


def grow_rankings(world: World, count: int):
    activity = world.once("activity", lambda: upcoming_activity(world))
    for _ in range(count):
        credit(register(real_name=f"志愿者{n()}"), 2, organizer=world.member, activity=activity)


def grow_calls(world: World, count: int):
    for _ in range(count):
        make_call(title=f"资助计划{n()}", created_by=world.officer)


def grow_call(world: World, count: int):
    call = world.once("call", lambda: make_call(created_by=world.officer, budget="10000000"))
    for _ in range(count):
        funded(call, world.officer, organization=OrganizationFactory(name=f"获资助组织{n()}"), amount=Decimal("1000"),
               marks=(8,))
    grow_calls(world, count)


def grow_bases(world: World, count: int):
    for _ in range(count):
        organization = OrganizationFactory()
        base = IncubationBase.objects.create(name=f"孵化基地{n()}", level=IncubationBase.Level.DISTRICT,
                                             region=organization.region, operator="运营单位", capacity=5)
        incubation.admit(base, organization, acting_user=world.officer, admitted_on=timezone.localdate())


def grow_procurements(world: World, count: int):
    for _ in range(count):
        make_project(title=f"采购项目{n()}")


def grow_procurement(world: World, count: int):
    """An announced project with its tender documents."""
    project = world.once("procurement", make_project)
    officer = world.once("procurement-officer", lambda: officer_for(project.region))
    for i in range(count):
        procurement.attach_project_document(project, pdf(f"文件{n()}.pdf"), acting_user=officer, title=f"文件{i}")
    grow_procurements(world, count)


def awarded_project(world: World):
    return world.once("awarded", lambda: awarded()[0])


def grow_award(world: World, count: int):
    awarded_project(world)
    grow_procurements(world, count)


def signed_contract(world: World):
    return world.once("contract", lambda: signed()[0])


def grow_contract(world: World, count: int):
    contract = signed_contract(world)
    officer = world.once("contract-officer", lambda: officer_for(contract.project.region))
    for i in range(count):
        procurement.amend_contract(contract, acting_user=officer, reason=f"调整{n()}",
                                   changes={"quality": f"满意率不低于 {80 + i % 15}%。"})
    grow_procurements(world, count)


def grow_campaigns(world: World, count: int):
    for _ in range(count):
        world.objects.pop("published-campaign", None)
        grow_results(world, 2)
        Campaign.objects.filter(pk=world.objects["published-campaign"].pk).update(year=1900 + n())


def certificate(world: World) -> Certificate:
    def make():
        organization = world.organization
        application = Application.objects.create(
            kind=Application.Kind.ESTABLISH, status=Application.Status.APPROVED, applicant=world.member,
            organization=organization, region=organization.region, name=organization.name, org_kind=organization.kind,
        )
        return Certificate.objects.create(
            organization=organization, application=application, kind=Certificate.Kind.REGISTRATION,
            number=f"证{n()}", issued_on=datetime.date(2026, 1, 5), valid_until=datetime.date(2031, 1, 4),
            issuer="贵阳市民政局",
        )

    return world.once("certificate", make)


def grow_certificates(world: World, count: int):
    certificate(world)
    for _ in range(count):
        world.objects.pop("certificate")
        certificate(world)


def grow_search(world: World, count: int):
    for _ in range(count):
        OrganizationFactory(name=f"社区养老服务中心{n()}")
        NewsPageFactory(title=f"养老服务新闻{n()}")
        upcoming_activity(world)
        make_call(title=f"养老资助计划{n()}", created_by=world.officer)
        make_project(title=f"居家养老服务项目{n()}")


def grow_regions(world: World, count: int):
    parent = district("520102")
    for _ in range(count):
        number = n()
        community(parent, f"520102{number:06d}", f"测试街道{number}")


def grow_ocds(world: World, count: int):
    for _ in range(count):
        project = make_project(title=f"采购项目{n()}")
        for _ in range(2):
            bid(project)


def grow_grants(world: World, count: int):
    call = world.once("call", lambda: make_call(created_by=world.officer, budget="10000000"))
    for _ in range(count):
        funded(call, world.officer, organization=OrganizationFactory(), amount=Decimal("1000"), marks=(8,))


def page_url(key: str):
    return lambda world: world.objects[key].url


PAGES = {
    # Wagtail pages
    "home": Page(grow_home, lambda world: home().url),
    "news index": Page(grow_news, lambda world: news_index().url),
    "news page": Page(grow_news_page, page_url("news")),
    "policy index": Page(grow_policies, lambda world: policy_index().url),
    "policy index filtered": Page(grow_policies, lambda world: policy_index().url, {"validity": "in_force"}),
    "policy page": Page(grow_policy_page, page_url("policy")),
    "showcase index": Page(grow_showcase, lambda world: showcase_index().url),
    "showcase index filtered": Page(grow_showcase, lambda world: showcase_index().url, {"district": "520102"}),
    "showcase project page": Page(grow_showcase_page, page_url("showcase")),
    "event index": Page(grow_events, lambda world: event_index().url),
    "event page": Page(grow_event_page, page_url("event")),
    "campaign results page": Page(grow_campaign_results_page, page_url("results-page")),
    "open data page": Page(grow_open_data, lambda world: reverse("open-data")),
    "standard page": Page(grow_standard_page, page_url("standard")),
    # Django public views
    "registry": Page(grow_organizations, lambda world: reverse("orgs:directory")),
    "registry searched": Page(grow_organizations, lambda world: reverse("orgs:directory"), {"q": "养老"}),
    "registry filtered": Page(grow_organizations, lambda world: reverse("orgs:directory"),
                              {"district": "520102", "field": "elderly", "credit": "abnormal", "page": "2"}),
    "organization profile": Page(grow_profile, lambda world: reverse("orgs:profile", args=[world.organization.pk])),
    "certificate verification": Page(grow_certificates,
                                     lambda world: reverse("orgs:verify", args=[certificate(world).verification_code])),
    "activities": Page(grow_activities, lambda world: reverse("volunteers:activities")),
    "activity": Page(grow_activity, lambda world: reverse("volunteers:activity", args=[world.objects["activity"].pk])),
    "rewards": Page(grow_rewards, lambda world: reverse("volunteers:rewards")),
    "rankings": Page(grow_rankings, lambda world: reverse("volunteers:rankings")),
    "calls": Page(grow_calls, lambda world: reverse("grants:calls")),
    "call": Page(grow_call, lambda world: reverse("grants:call", args=[world.objects["call"].pk])),
    "incubation bases": Page(grow_bases, lambda world: reverse("grants:bases")),
    "procurement announcements": Page(grow_procurements, lambda world: reverse("grants:procurements")),
    "procurement announcement": Page(grow_procurement,
                                     lambda world: reverse("grants:procurement", args=[world.objects["procurement"].pk])),
    "procurement award": Page(grow_award, lambda world: reverse("grants:procurement_award",
                                                                 args=[awarded_project(world).pk])),
    "contract announcement": Page(grow_contract, lambda world: reverse("grants:contract",
                                                                        args=[signed_contract(world).pk])),
    "campaigns": Page(grow_campaigns, lambda world: reverse("evaluations:campaigns")),
    "campaign": Page(grow_results, lambda world: reverse("evaluations:campaign", args=[published_campaign(world).pk])),
    "search": Page(grow_search, lambda world: reverse("search"), {"q": "养老"}),
    # the anonymous lists of the API
    "api regions": Page(grow_regions, lambda world: "/api/v1/regions"),
    "api organizations": Page(grow_organizations, lambda world: "/api/v1/orgs/"),
    "api organizations searched": Page(grow_organizations, lambda world: "/api/v1/orgs/", {"q": "养老"}),
    "api activities": Page(grow_activities, lambda world: "/api/v1/volunteers/activities"),
    "api rewards": Page(grow_rewards, lambda world: "/api/v1/volunteers/rewards"),
    "api calls": Page(grow_calls, lambda world: "/api/v1/grants/calls"),
    "api 360giving": Page(grow_grants, lambda world: "/api/v1/grants.360giving.json"),
    "api ocds releases": Page(grow_ocds, lambda world: "/api/v1/ocds/releases.json"),
    "api ocds records": Page(grow_ocds, lambda world: "/api/v1/ocds/records.json"),
}


def count_queries(client, url: str, params: dict, django_assert_max_num_queries) -> int:
    """The queries of one anonymous GET of ``url``, after a first one that made what a first view makes once."""
    assert client.get(url, params).status_code == 200
    with django_assert_max_num_queries(BUDGET) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", list(PAGES))
def test_a_public_page_takes_at_most_12_queries_and_as_many_for_2_or_15_items(
        client, world, name, django_assert_max_num_queries):
    page = PAGES[name]
    counts, built = {}, 0
    for size in SIZES:
        page.grow(world, size - built)
        built = size
        counts[size] = count_queries(client, page.url(world), page.params, django_assert_max_num_queries)
    assert counts[SIZES[0]] == counts[SIZES[1]], counts


# --- routing in fewer queries decides as Wagtail does ---------------------------------------------------------------
def test_a_page_in_a_section_restricted_to_signed_in_users_sends_an_anonymous_visitor_to_sign_in(client, world):
    article = NewsPageFactory(title="内部通知")
    PageViewRestriction.objects.create(page=news_index(), restriction_type=PageViewRestriction.LOGIN)
    response = client.get(article.url)
    assert response.status_code == 302 and "内部通知" not in response.content.decode()
    client.force_login(world.member)
    assert "内部通知" in client.get(article.url).content.decode()


def test_a_password_protected_page_asks_for_the_password_and_its_alias_does_too(client):
    article = NewsPageFactory(title="密码保护的新闻")
    PageViewRestriction.objects.create(page=article, restriction_type=PageViewRestriction.PASSWORD, password="secret")
    alias = article.create_alias(update_slug="news-alias")
    for url in (article.url, alias.url):
        html = client.get(url).content.decode()
        assert 'name="password"' in html and "新闻摘要" not in html


def test_a_draft_or_missing_page_is_404_and_a_live_page_under_a_draft_section_is_served(client):
    draft = NewsPageFactory(title="草稿新闻", live=False)
    assert client.get(draft.url_path.replace("/home", "", 1)).status_code == 404
    assert client.get("/news/no-such-article/").status_code == 404
    article = NewsPageFactory(title="已发布的新闻")
    news_index().unpublish()
    assert client.get("/news/").status_code == 404
    assert "已发布的新闻" in client.get(article.url_path.replace("/home", "", 1)).content.decode()


def test_the_breadcrumbs_lead_back_to_the_section_index(client):
    article = NewsPageFactory(title="全市社会组织年检工作启动")
    html = client.get(article.url).content.decode()
    breadcrumbs = html[html.index('class="breadcrumbs"'):]
    breadcrumbs = breadcrumbs[:breadcrumbs.index("</nav>")]
    assert f'href="{news_index().url}"' in breadcrumbs and "新闻动态" in breadcrumbs
