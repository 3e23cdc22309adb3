"""The public site's page types (筑城公益汇): what each shows to an anonymous reader, what it leaves out, how its lists
page and filter, and that each takes a fixed number of queries whatever the number of items."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from wagtail.documents.models import Document

from evaluations import services as evaluation_services
from evaluations.models import Campaign, Result
from grants import procurement
from orgs.models import ServiceField
from portal.models import (
    CampaignResultsPage,
    PolicyAttachment,
    PolicyPage,
    ShowcaseOutcome,
    ShowcasePhoto,
)
from tests.evaluations.helpers import end_window, public_campaign, values, verified_user
from tests.factories import OrganizationFactory, district
from tests.grants.helpers import draft, make_call
from tests.grants.procurement_helpers import awarded, make_project, signed
from tests.volunteers.helpers import make_activity, make_shift

from .factories import (
    EventPageFactory,
    NewsPageFactory,
    PolicyPageFactory,
    ShowcaseProjectPageFactory,
    event_index,
    home,
    make_image,
    news_index,
    policy_index,
    showcase_index,
)


@pytest.fixture(autouse=True)
def _media(db, settings, tmp_path):
    """Images and their renditions go to a temporary folder, not the project's media; the anonymous page cache is
    off, so every request renders the page (and the query counts are the page's own)."""
    settings.MEDIA_ROOT = tmp_path
    settings.PORTAL_PAGE_CACHE_SECONDS = 0


def html_of(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def photographed_project(*, caption="社区助餐现场", **fields):
    project = ShowcaseProjectPageFactory(**fields)
    ShowcasePhoto.objects.create(page=project, image=make_image("助餐照片"), caption=caption, sort_order=0)
    return project


def images_without_alt(html: str) -> list[str]:
    return [tag for tag in re.findall(r"<img\b[^>]*>", html) if not re.search(r'\balt="[^"]+"', tag)]


def headings(html: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])\b", html)]


def assert_accessible(html: str):
    """In the main content: one h1, no heading level skipped, every image described, every table header scoped."""
    html = html[html.index("<main"):html.index("</main>")]
    levels = headings(html)
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(later - earlier <= 1 for earlier, later in zip(levels, levels[1:], strict=False))
    assert images_without_alt(html) == []
    assert all("scope=" in th for th in re.findall(r"<th\b[^>]*>", html))


# --- home ------------------------------------------------------------------------------------------------------
def test_home_page_shows_projects_calls_announcements_activities_and_news_to_anyone(client, applicant, org_a):
    project = photographed_project(title="助老食堂", organization=org_a, featured=True)
    call = make_call(title="2026 年公益创投大赛")
    announced = make_project(title="社区居家养老服务项目")
    activity = make_activity(applicant, org_a, title="花果园社区助老服务")
    make_shift(activity, applicant, starts_in=datetime.timedelta(days=2))
    news = NewsPageFactory(title="全市社会组织年检工作启动")

    html = html_of(client, home().url)

    assert f'href="{project.url}"' in html and "助老食堂" in html and "阳光助残服务社" in html
    assert f'href="{reverse("grants:call", args=[call.pk])}"' in html
    assert f'href="{reverse("grants:procurement", args=[announced.pk])}"' in html and "观山湖区民政局" in html
    assert f'href="{reverse("volunteers:activity", args=[activity.pk])}"' in html
    assert f'href="{news.url}"' in html
    assert_accessible(html)


def test_home_page_puts_featured_projects_first_and_shows_their_first_photo(client):
    plain = ShowcaseProjectPageFactory(title="普通项目")
    featured = photographed_project(title="推荐项目", featured=True, caption="推荐项目照片")
    html = html_of(client, home().url)
    assert html.index(featured.title) < html.index(plain.title)
    assert re.search(r'<img[^>]*alt="推荐项目照片"[^>]*srcset="[^"]*400w', html) or \
        re.search(r'<img[^>]*srcset="[^"]*400w[^>]*alt="推荐项目照片"', html)


def test_home_page_leaves_out_drafts_announcements_not_yet_made_and_past_activities(client, applicant, org_a):
    NewsPageFactory(title="尚未发布的新闻", live=False)
    ShowcaseProjectPageFactory(title="待审核项目", live=False)
    planned = make_project(title="计划中的采购项目", announce=False)
    past = make_activity(applicant, org_a, title="上个月的活动")
    make_shift(past, applicant, starts_in=-datetime.timedelta(days=30))
    html = html_of(client, home().url)
    assert "尚未发布的新闻" not in html and "待审核项目" not in html
    assert reverse("grants:procurement", args=[planned.pk]) not in html
    assert "上个月的活动" not in html


def test_home_page_links_the_index_pages_that_exist(client):
    html = html_of(client, home().url)
    assert "栏目" not in html
    news, events = news_index(), event_index()
    html = html_of(client, home().url)
    assert f'href="{news.url}"' in html and f'href="{events.url}"' in html


def home_data(size: int, applicant, org_a):
    for n in range(size):
        photographed_project(title=f"首页项目{n}", featured=n % 2 == 0)
        NewsPageFactory()
        make_call(title=f"资助计划{n}")
        make_project(title=f"采购项目{n}")
        activity = make_activity(applicant, org_a, title=f"志愿活动{n}")
        make_shift(activity, applicant, starts_in=datetime.timedelta(days=n + 1))


@pytest.mark.parametrize("size", [2, 12])
def test_home_page_takes_the_same_number_of_queries_for_few_or_many_items(client, applicant, org_a, size,
                                                                           django_assert_max_num_queries):
    for index_page in (news_index, policy_index, showcase_index, event_index):
        index_page()
    home_data(size, applicant, org_a)
    url = home().url
    client.get(url)  # renditions are made once, on first view
    cache.clear()  # the figures are computed again: the bound holds on a cold cache
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200


# --- news ------------------------------------------------------------------------------------------------------
def test_news_index_lists_live_news_newest_first_and_leaves_out_drafts(client):
    older = NewsPageFactory(title="较早的新闻", date=datetime.date(2026, 1, 5))
    newer = NewsPageFactory(title="最新的新闻", date=datetime.date(2026, 3, 5))
    NewsPageFactory(title="草稿新闻", live=False)
    html = html_of(client, news_index().url)
    assert html.index(newer.title) < html.index(older.title)
    assert "草稿新闻" not in html and "2026年3月5日" in html
    assert_accessible(html)


def test_news_index_shows_twelve_a_page_and_survives_a_bad_page_number(client):
    for day in range(1, 15):
        NewsPageFactory(title=f"第{day:02d}号新闻", date=datetime.date(2026, 4, day))
    first = html_of(client, news_index().url)
    assert first.count('class="entry"') == 12 and "第14号新闻" in first and "第02号新闻" not in first
    assert "第 1 / 2 页" in first and 'href="?page=2"' in first
    second = html_of(client, news_index().url, page=2)
    assert second.count('class="entry"') == 2 and "第01号新闻" in second
    assert html_of(client, news_index().url, page="x").count('class="entry"') == 12
    assert html_of(client, news_index().url, page=99).count('class="entry"') == 2


def test_news_page_shows_its_date_cover_and_body(client):
    news = NewsPageFactory(
        title="社会组织年检启动", date=datetime.date(2026, 5, 20), cover=make_image("年检现场"),
        body=[("paragraph", "<p>年检工作于五月启动。</p>")],
    )
    html = html_of(client, news.url)
    assert "社会组织年检启动" in html and "2026年5月20日" in html and "年检工作于五月启动。" in html
    assert re.search(r'<img[^>]*alt="年检现场"', html) and "1200w" in html
    assert_accessible(html)


def test_a_draft_news_page_is_404_to_anonymous_readers(client):
    news = NewsPageFactory(live=False)
    assert client.get(news.url).status_code == 404


# --- policies ---------------------------------------------------------------------------------------------------
def test_policy_index_shows_document_numbers_and_filters_by_validity(client):
    PolicyPageFactory(title="现行办法", document_number="筑民发〔2026〕8号")
    PolicyPageFactory(title="旧办法", document_number="筑民发〔2019〕3号", validity=PolicyPage.Validity.REPEALED)
    everything = html_of(client, policy_index().url)
    assert "筑民发〔2026〕8号" in everything and "筑民发〔2019〕3号" in everything
    in_force = html_of(client, policy_index().url, validity="in_force")
    assert "现行办法" in in_force and "旧办法" not in in_force
    repealed = html_of(client, policy_index().url, validity="repealed")
    assert "旧办法" in repealed and "现行办法" not in repealed
    unknown = html_of(client, policy_index().url, validity="<script>")
    assert "现行办法" in unknown and "旧办法" in unknown and "<script>" not in unknown
    assert_accessible(everything)


def test_policy_index_pages_keep_the_validity_filter(client):
    for n in range(13):
        PolicyPageFactory(validity=PolicyPage.Validity.REPEALED, issued_on=datetime.date(2020, 1, n + 1))
    html = html_of(client, policy_index().url, validity="repealed")
    assert 'href="?validity=repealed&amp;page=2"' in html


def test_policy_page_shows_issuer_number_dates_validity_and_attachments_with_their_size(client):
    policy = PolicyPageFactory(
        title="社会组织登记管理实施办法", issuer="贵阳市民政局", document_number="筑民发〔2026〕12号",
        issued_on=datetime.date(2026, 3, 1), effective_on=datetime.date(2026, 4, 1),
    )
    document = Document(title="实施办法正式文本")
    document.file.save("banfa.pdf", ContentFile(b"%PDF-1.4\n" + b"0" * 2048), save=False)
    document._set_document_file_metadata()
    document.save()
    PolicyAttachment.objects.create(page=policy, document=document, title="正式文本", sort_order=0)
    html = html_of(client, policy.url)
    assert "贵阳市民政局" in html and "筑民发〔2026〕12号" in html
    assert "2026年3月1日" in html and "2026年4月1日" in html and "现行有效" in html
    assert f'href="{document.url}"' in html and "正式文本" in html and "2.0" in html and "KB" in html
    assert_accessible(html)


def test_a_repealed_policy_says_so(client):
    policy = PolicyPageFactory(validity=PolicyPage.Validity.REPEALED)
    html = html_of(client, policy.url)
    assert "已废止" in html and "本文件已废止" in html


def test_a_draft_policy_is_404_to_anonymous_readers(client):
    assert client.get(PolicyPageFactory(live=False).url).status_code == 404


# --- showcase ---------------------------------------------------------------------------------------------------
def test_showcase_index_shows_cards_with_photo_organization_and_people_reached(client, org_a):
    photographed_project(title="助残陪伴计划", organization=org_a, people_reached=365, caption="陪伴活动")
    html = html_of(client, showcase_index().url)
    assert "助残陪伴计划" in html and "阳光助残服务社" in html and "服务 365 人" in html
    assert re.search(r'<img[^>]*alt="陪伴活动"', html) and "800w" in html
    assert_accessible(html)


def test_showcase_index_filters_by_service_field_and_district(client, org_a, org_b):
    elderly, disabled = ServiceField.objects.get_or_create(code="elderly", defaults={"name": "养老"})[0], \
        ServiceField.objects.get_or_create(code="disability", defaults={"name": "助残"})[0]
    ShowcaseProjectPageFactory(title="南明助残项目", organization=org_a, service_field=disabled)
    ShowcaseProjectPageFactory(title="云岩养老项目", organization=org_b, service_field=elderly)
    by_field = html_of(client, showcase_index().url, field=elderly.code)
    assert "云岩养老项目" in by_field and "南明助残项目" not in by_field
    by_district = html_of(client, showcase_index().url, district="520102")
    assert "南明助残项目" in by_district and "云岩养老项目" not in by_district
    both = html_of(client, showcase_index().url, district="520102", field=elderly.code)
    assert "共 <strong>0</strong> 个项目" in both
    unknown = html_of(client, showcase_index().url, district="999999", field="nonsense")
    assert "南明助残项目" in unknown and "云岩养老项目" in unknown


def test_showcase_project_links_its_organization_and_public_contract(client):
    contract, _officer = signed()
    project = ShowcaseProjectPageFactory(organization=contract.organization, contract=contract)
    html = html_of(client, project.url)
    assert f'href="{reverse("orgs:profile", args=[contract.organization_id])}"' in html
    assert contract.organization.name in html
    assert f'href="{reverse("grants:contract", args=[contract.pk])}"' in html and contract.title in html


def test_showcase_project_does_not_link_a_contract_still_in_draft(client):
    project_row, _bids, officer = awarded()
    contract = procurement.draft_contract(project_row, acting_user=officer)
    project = ShowcaseProjectPageFactory(organization=contract.organization, contract=contract)
    html = html_of(client, project.url)
    assert reverse("grants:contract", args=[contract.pk]) not in html and "购买服务合同" not in html


def test_showcase_project_links_the_call_of_its_grant(client):
    call = make_call(title="2026 年助残专项")
    application = draft(call)
    project = ShowcaseProjectPageFactory(organization=application.organization, grant_application=application)
    html = html_of(client, project.url)
    assert f'href="{reverse("grants:call", args=[call.pk])}"' in html and "2026 年助残专项" in html


def test_showcase_project_shows_outcomes_as_percentages_of_their_targets(client):
    project = ShowcaseProjectPageFactory(people_reached=1200)
    ShowcaseOutcome.objects.create(page=project, indicator="助餐服务", unit="人次", target=1000, achieved=1200, sort_order=0)
    ShowcaseOutcome.objects.create(page=project, indicator="上门探访", unit="次", target=200, achieved=50, sort_order=1)
    ShowcaseOutcome.objects.create(page=project, indicator="志愿者培训", unit="场", target=0, achieved=3, sort_order=2)
    html = html_of(client, project.url)
    assert "120%" in html and 'value="100"' in html  # over target: the bar is full, the figure says by how much
    assert "25%" in html and 'value="25"' in html
    assert "0%" in html
    assert "1,000 人次" in html and "1,200 人次" in html
    assert_accessible(html)


def test_showcase_project_shows_a_responsive_gallery_and_other_projects_of_its_organization(client, org_a):
    project = photographed_project(title="助残陪伴计划", organization=org_a, caption="")
    sibling = ShowcaseProjectPageFactory(title="助残就业计划", organization=org_a)
    ShowcaseProjectPageFactory(title="别家的项目")
    html = html_of(client, project.url)
    assert re.search(r'<img[^>]*alt="助餐照片"', html)  # no caption: the image's title
    assert "400w" in html and "1200w" in html and 'sizes="(max-width: 600px) 100vw, 50vw"' in html
    assert f'href="{sibling.url}"' in html and "别家的项目" not in html
    assert_accessible(html)


def test_a_preview_shows_the_photos_and_outcomes_being_edited_before_they_are_saved():
    """The moderating officer approves what the preview shows: the unsaved photos and outcomes, not the saved ones."""
    project = ShowcaseProjectPageFactory()
    ShowcaseOutcome.objects.create(page=project, indicator="已保存的指标", target=10, achieved=10, sort_order=0)
    editing = project.get_latest_revision_as_object()
    editing.photos = [ShowcasePhoto(image=make_image("编辑中"), caption="编辑中的照片")]
    editing.outcomes = [ShowcaseOutcome(indicator="编辑中的指标", unit="次", target=40, achieved=30)]
    html = editing.make_preview_request().content.decode()
    assert 'alt="编辑中的照片"' in html and "编辑中的指标" in html and "75%" in html
    assert "已保存的指标" not in html


def test_a_showcase_project_awaiting_approval_is_404_to_anonymous_readers(client):
    assert client.get(ShowcaseProjectPageFactory(live=False).url).status_code == 404


# --- events -----------------------------------------------------------------------------------------------------
def test_event_index_lists_upcoming_events_soonest_first_then_past_events_latest_first(client):
    now = timezone.now()

    def event(title, days):
        return EventPageFactory(title=title, starts_at=now + datetime.timedelta(days=days),
                                ends_at=now + datetime.timedelta(days=days, hours=6))

    event("去年的活动", -300)
    event("上月的活动", -30)
    event("下月的活动", 30)
    event("下周的活动", 7)
    html = html_of(client, event_index().url)
    order = [html.index(title) for title in ("下周的活动", "下月的活动", "上月的活动", "去年的活动")]
    assert order == sorted(order)
    assert html.index("即将举行") < html.index("下周的活动") < html.index("往期活动") < html.index("上月的活动")
    assert_accessible(html)


def test_event_page_shows_sessions_by_kind_organizations_and_outcomes_with_money_formatted(client, org_a, org_b):
    event = EventPageFactory(
        title="第三届筑城公益汇", venue="贵阳国际生态会议中心", visitors=5200, projects_matched=36,
        donations_pledged=Decimal("1234567.80"), talents_presented=48,
        sessions=[
            ("session", {"kind": "matching", "title": "公益项目洽谈会", "place": "B 厅", "description": ""}),
            ("session", {"kind": "showcase", "title": "助老成果展", "place": "A 厅", "description": "图片与实物展示"}),
            ("session", {"kind": "matching", "title": "企业对接专场", "place": "C 厅", "description": ""}),
        ],
    )
    event.organizations.add(org_a, org_b)
    html = html_of(client, event.url)
    assert html.index("成果展演") < html.index("助老成果展") < html.index("项目洽谈") < html.index("公益项目洽谈会")
    assert html.index("公益项目洽谈会") < html.index("企业对接专场")
    assert "公益体验" not in html  # a kind without sessions has no heading
    assert f'href="{reverse("orgs:profile", args=[org_a.pk])}"' in html and "云岩区社区养老服务中心" in html
    assert "123.46万元" in html and "¥1,234,567.80" in html
    assert "5200" in html and "36" in html and "48" in html and "贵阳国际生态会议中心" in html
    assert_accessible(html)


def test_an_upcoming_event_without_outcomes_does_not_show_empty_figures(client):
    html = html_of(client, EventPageFactory().url)
    assert "活动成效" not in html and "即将开始" in html


def test_a_draft_event_is_404_to_anonymous_readers(client):
    assert client.get(EventPageFactory(live=False).url).status_code == 404


# --- campaign results -------------------------------------------------------------------------------------------
def campaign_results_page(campaign, **fields) -> CampaignResultsPage:
    page = CampaignResultsPage(title=f"{campaign.title}结果", slug=f"results-{campaign.pk}", campaign=campaign, **fields)
    home().add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


@pytest.fixture
def computed(city_officer, officer_nanming, officer_yunyan, city, org_a, org_b, django_capture_on_commit_callbacks):
    """A 五比五看 campaign taken through ratings, officers' scores and computation (as tests/evaluations do)."""
    campaign = public_campaign(city_officer, city, min_raters=2)
    for organization, ratings, scorer, score in ((org_a, [5, 4], officer_nanming, 90), (org_b, [3, 3], officer_yunyan, 70)):
        for value in ratings:
            evaluation_services.submit_rating(campaign, organization, acting_user=verified_user(),
                                              values=values(campaign, value))
        evaluation_services.declare_conflict(campaign, organization, acting_user=scorer, has_conflict=False)
        evaluation_services.submit_score(campaign, organization, acting_user=scorer, values=values(campaign, score),
                                         notes={key: "查阅台账" for key in values(campaign, 0)})
    end_window(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation_services.request_computation(campaign, acting_user=city_officer)
    campaign.refresh_from_db()
    return campaign


def test_campaign_results_page_shows_the_ranking_once_published(client, computed, city_officer):
    page = campaign_results_page(computed, intro="2026 年度五比五看评价结果")
    before = html_of(client, page.url)
    assert 'id="ranking-title"' not in before and "结果尚未发布" in before
    assert f'href="{reverse("evaluations:campaign", args=[computed.pk])}"' in before

    evaluation_services.publish_results(computed, acting_user=city_officer)
    html = html_of(client, page.url)
    assert 'id="ranking-title"' in html and "2026 年度五比五看评价结果" in html
    assert html.index("阳光助残服务社") < html.index("云岩区社区养老服务中心")
    first = Result.objects.get(campaign=computed, organization__name="阳光助残服务社")
    assert first.rank_in_kind == 1 and f"{first.total}" in html and first.get_grade_display() in html
    assert f'href="{reverse("evaluations:report", args=[computed.pk])}"' in html
    assert_accessible(html)


def test_campaign_results_page_of_a_draft_campaign_shows_nothing_of_it(client, city_officer, city, org_a):
    campaign = public_campaign(city_officer, city, open_now=False)
    html = html_of(client, campaign_results_page(campaign).url)
    assert "评价结果尚未公开" in html
    assert reverse("evaluations:campaign", args=[campaign.pk]) not in html and "阳光助残服务社" not in html


# --- query counts -----------------------------------------------------------------------------------------------
def index_children(kind: str, count: int, **context):
    for n in range(count):
        if kind == "news":
            NewsPageFactory(cover=make_image(f"新闻图{n}"))
        elif kind == "policy":
            PolicyPageFactory()
        elif kind == "showcase":
            photographed_project()
        else:
            EventPageFactory(starts_at=timezone.now() + datetime.timedelta(days=n - count // 2),
                             ends_at=timezone.now() + datetime.timedelta(days=n - count // 2, hours=3))


INDEXES = {"news": (news_index, 8), "policy": (policy_index, 7), "showcase": (showcase_index, 11),
           "event": (event_index, 7)}


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize("kind", list(INDEXES))
def test_each_index_page_takes_the_same_number_of_queries_for_two_or_twelve_children(
        client, kind, size, django_assert_max_num_queries):
    index_page, bound = INDEXES[kind]
    index_children(kind, size)
    url = index_page().url
    client.get(url)  # renditions are made once, on first view
    with django_assert_max_num_queries(bound):
        assert client.get(url).status_code == 200


def detail_page(kind: str, size: int, org_a, org_b):
    if kind == "news":
        return NewsPageFactory(cover=make_image(), body=[("paragraph", "<p>正文</p>")] * size)
    if kind == "policy":
        policy = PolicyPageFactory()
        for n in range(size):
            document = Document.objects.create(title=f"附件{n}", file=ContentFile(b"%PDF-1.4\n", name=f"f{n}.pdf"))
            PolicyAttachment.objects.create(page=policy, document=document, sort_order=n)
        return policy
    if kind == "showcase":
        project = ShowcaseProjectPageFactory(organization=org_a, service_field=ServiceField.objects.first())
        for n in range(size):
            ShowcasePhoto.objects.create(page=project, image=make_image(f"照片{n}"), caption=f"照片{n}", sort_order=n)
            ShowcaseOutcome.objects.create(page=project, indicator=f"指标{n}", target=10, achieved=n, sort_order=n)
            ShowcaseProjectPageFactory(organization=org_a)
        return project
    if kind == "event":
        event = EventPageFactory(sessions=[("session", {"kind": "showcase", "title": f"环节{n}"}) for n in range(size)])
        event.organizations.add(*[OrganizationFactory() for _ in range(size)])
        return event
    campaign = Campaign.objects.create(
        kind=Campaign.Kind.PUBLIC, year=2026, title="2026年度五比五看", region=district("520100"),
        opens_at=timezone.now() - datetime.timedelta(days=30), closes_at=timezone.now() - datetime.timedelta(days=1),
        status=Campaign.Status.PUBLISHED,
    )
    for n in range(size):
        organization = OrganizationFactory()
        Result.objects.create(campaign=campaign, organization=organization, org_kind=organization.kind, valid=True,
                              total=Decimal(90 - n), grade=Result.Grade.EXCELLENT, rank_in_kind=n + 1,
                              district=organization.region)
    return campaign_results_page(campaign)


DETAILS = {"news": 6, "policy": 6, "showcase": 9, "event": 6, "campaign": 9}


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize("kind", list(DETAILS))
def test_each_detail_page_takes_the_same_number_of_queries_for_two_or_twelve_items(
        client, kind, size, org_a, org_b, django_assert_max_num_queries):
    url = detail_page(kind, size, org_a, org_b).url
    client.get(url)  # renditions are made once, on first view
    with django_assert_max_num_queries(DETAILS[kind]):
        assert client.get(url).status_code == 200
