"""站内搜索 (portal.search): Chinese words found inside longer names on SQLite and PostgreSQL, ranked, paginated,
filtered by type, never showing what the public may not see, safe with odd input, in a fixed number of queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageViewRestriction

from grants.models import FundingCall, ProcurementProject
from portal import search
from portal.search import MAX_QUERY_LENGTH, site_search
from tests.factories import OrganizationFactory
from tests.grants.helpers import make_call, member_of
from tests.grants.procurement_helpers import make_project
from tests.volunteers.helpers import make_activity, make_shift
from volunteers.models import Activity, Shift

from .factories import PolicyPageFactory, ShowcaseProjectPageFactory, StandardPageFactory

pytestmark = pytest.mark.django_db

URL = "/search/"


def get(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def titles(response) -> list[str]:
    return [result.title for result in response.context["page_obj"].object_list]


def result_titles(query, **kwargs) -> list[str]:
    return [result.title for result in site_search(query, **kwargs).results]


def published_activity(title: str, summary: str = "陪伴老人聊天、协助助餐"):
    organization = OrganizationFactory(name="花果园志愿服务队")
    organizer = member_of(organization)
    activity = make_activity(organizer, organization, title=title)
    Activity.objects.filter(pk=activity.pk).update(summary=summary)
    make_shift(activity, organizer)
    return activity


# --- Chinese words inside longer names ---------------------------------------------------------------------
def test_searching_yanglao_finds_the_community_elderly_care_centre(client):
    centre = OrganizationFactory(name="社区养老服务中心")

    response = get(client, q="养老")

    assert "社区养老服务中心" in titles(response)
    result = next(r for r in response.context["page_obj"].object_list if r.title == "社区养老服务中心")
    assert result.kind == "organization"
    assert result.url == reverse("orgs:profile", args=[centre.pk])
    assert f'href="{result.url}"' in response.text


def test_searching_zhucan_finds_the_sunshine_disability_service(client, org_a):
    response = get(client, q="助残")

    assert titles(response) == ["阳光助残服务社"]
    assert "阳光<mark>助残</mark>服务社" in response.text


def test_a_showcase_page_is_found_by_its_summary(client):
    page = ShowcaseProjectPageFactory(title="长者助餐", summary="为社区养老提供助餐服务")

    response = get(client, q="养老")

    [result] = [r for r in response.context["page_obj"].object_list if r.title == "长者助餐"]
    assert result.kind == "page"
    assert result.kind_label == "公益项目"
    assert result.url == page.url
    assert "为社区<mark>养老</mark>提供助餐服务" in response.text


def test_a_policy_is_found_by_its_document_number():
    PolicyPageFactory(title="社会组织登记管理办法", document_number="筑民发〔2026〕12号")

    assert result_titles("筑民发〔2026〕12号") == ["社会组织登记管理办法"]


def test_a_volunteer_activity_is_found_by_title_and_by_summary():
    activity = published_activity("花果园社区助老服务", summary="陪伴独居老人")

    by_title = site_search("助老").results
    by_summary = site_search("独居").results

    assert [(r.kind, r.title) for r in by_title] == [("activity", "花果园社区助老服务")]
    assert by_title[0].url == reverse("volunteers:activity", args=[activity.pk])
    assert [r.title for r in by_summary] == ["花果园社区助老服务"]


def test_a_procurement_project_and_a_funding_call_are_found():
    project = make_project(title="社区居家养老服务项目")
    call = make_call(title="2026 年养老服务公益创投")

    results = {r.kind: r for r in site_search("养老").results}

    assert results["procurement"].title == "社区居家养老服务项目"
    assert results["procurement"].url == reverse("grants:procurement", args=[project.pk])
    assert results["call"].title == "2026 年养老服务公益创投"
    assert results["call"].url == reverse("grants:call", args=[call.pk])


def test_a_procurement_project_is_found_by_its_number():
    project = make_project(title="社区居家养老服务项目")

    assert result_titles(project.number) == ["社区居家养老服务项目"]


def test_an_organization_is_found_by_its_full_credit_code_in_any_case():
    organization = OrganizationFactory(name="阳光助残服务社")

    assert result_titles(organization.credit_code) == ["阳光助残服务社"]
    assert result_titles(organization.credit_code.lower()) == ["阳光助残服务社"]
    assert result_titles(organization.credit_code[:10]) == []  # a partial code is not a name


def test_a_long_text_is_cut_around_the_match_and_marked(client):
    make_call(title="2026 年养老服务创投", description="面向全市社会组织。" * 20 + "重点支持居家养老。" + "申报须知。" * 20)

    response = get(client, q="养老")

    [result] = response.context["page_obj"].object_list
    assert result.snippet_html.startswith("…")
    assert "居家<mark>养老</mark>" in result.snippet_html
    assert len(search.excerpt(result.snippet, ["养老"])) <= search.SNIPPET_LENGTH + 1


# --- ranking -----------------------------------------------------------------------------------------------
def test_results_rank_exact_then_prefix_then_contains_then_other_fields():
    ShowcaseProjectPageFactory(title="长者助餐", summary="社区养老")
    OrganizationFactory(name="云岩区社区养老服务中心")
    OrganizationFactory(name="养老服务中心")
    OrganizationFactory(name="养老")
    OrganizationFactory(name="社区养老服务中心")
    OrganizationFactory(name="养老院")

    assert result_titles("养老") == [
        "养老",  # exact
        "养老院", "养老服务中心",  # starts with the query, shorter first
        "社区养老服务中心", "云岩区社区养老服务中心",  # contains it, shorter first
        "长者助餐",  # only the summary matches
    ]


def test_equal_matches_rank_the_most_recent_first():
    older = OrganizationFactory(name="甲养老服务社", created_at=timezone.now() - datetime.timedelta(days=30))
    newer = OrganizationFactory(name="乙养老服务社")

    assert result_titles("养老") == [newer.name, older.name]


def test_a_query_of_several_words_finds_only_what_contains_every_word():
    OrganizationFactory(name="云岩区社区养老服务中心")
    OrganizationFactory(name="养老服务中心")
    OrganizationFactory(name="社区助残服务社")

    assert result_titles("社区 养老") == ["云岩区社区养老服务中心"]
    assert result_titles("社区\u3000养老") == ["云岩区社区养老服务中心"]  # full-width space
    assert result_titles("  养老   社区 ") == ["云岩区社区养老服务中心"]


# --- pagination and the type filter ------------------------------------------------------------------------
def test_results_are_paginated_twenty_to_a_page(client):
    for n in range(25):
        OrganizationFactory(name=f"养老服务社{n:02d}")

    first = get(client, q="养老")
    second = get(client, q="养老", page=2)

    assert len(first.context["page_obj"].object_list) == 20
    assert len(second.context["page_obj"].object_list) == 5
    assert set(titles(first)).isdisjoint(titles(second))
    assert 'href="?q=%E5%85%BB%E8%80%81&amp;page=2"' in first.text
    assert "第 2 / 2 页" in second.text


def test_the_type_filter_shows_one_kind_and_the_tabs_count_every_kind(client):
    OrganizationFactory(name="社区养老服务中心")
    ShowcaseProjectPageFactory(title="长者助餐", summary="社区养老")
    make_project(title="社区居家养老服务项目")

    everything = get(client, q="养老")
    organizations = get(client, q="养老", type="organization")

    assert len(titles(everything)) == 3
    assert titles(organizations) == ["社区养老服务中心"]
    counts = {tab["kind"]: tab["count"] for tab in organizations.context["outcome"].tabs}
    assert counts == {"": 3, "page": 1, "organization": 1, "activity": 0, "call": 0, "procurement": 1}
    assert 'href="?type=organization&amp;q=%E5%85%BB%E8%80%81" aria-current="page"' in organizations.text
    # The page links keep the filter.
    assert '<input type="hidden" name="type" value="organization">' in organizations.text


def test_an_unknown_type_shows_everything(client):
    OrganizationFactory(name="社区养老服务中心")

    response = get(client, q="养老", type="<script>")

    assert titles(response) == ["社区养老服务中心"]
    assert "<script>" not in response.text.split("<main", 1)[1]


# --- what the public may not see ---------------------------------------------------------------------------
def test_draft_and_private_pages_never_appear():
    StandardPageFactory(title="养老政策解读（草稿）", live=False)
    private = StandardPageFactory(title="养老内部资料")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.PASSWORD, password="secret")
    StandardPageFactory(title="养老服务指南")

    assert result_titles("养老") == ["养老服务指南"]


def test_unpublished_activities_calls_and_projects_never_appear():
    cancelled = published_activity("养老助餐志愿服务")
    Activity.objects.filter(pk=cancelled.pk).update(status=Activity.Status.CANCELLED)
    finished = published_activity("养老陪伴志愿服务")
    Shift.objects.filter(activity=finished).update(
        starts_at=timezone.now() - datetime.timedelta(days=3), ends_at=timezone.now() - datetime.timedelta(days=2, hours=22))
    make_call(title="养老服务公益创投（草稿）", publish=False)
    make_project(title="社区居家养老服务项目（计划）", announce=False)

    assert result_titles("养老") == []
    assert FundingCall.objects.filter(title__contains="养老").exists()
    assert ProcurementProject.objects.filter(title__contains="养老").exists()


def test_search_shows_only_the_organizations_the_public_registry_shows(monkeypatch):
    shown = OrganizationFactory(name="社区养老服务中心")
    hidden = OrganizationFactory(name="云岩区养老服务中心")
    registry = search.public_organizations
    monkeypatch.setattr(search, "public_organizations", lambda: registry().exclude(pk=hidden.pk))

    assert result_titles("养老") == [shown.name]


# --- odd input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["%", "_", "\\", "养%", "养_", "%%", "'", '"', "养老' OR 1=1 --"])
def test_wildcards_and_quotes_match_only_themselves(client, query):
    OrganizationFactory(name="养老服务中心")
    OrganizationFactory(name="社区助残服务社")

    response = get(client, q=query)

    assert titles(response) == []


def test_a_wildcard_character_in_a_name_is_found_literally():
    OrganizationFactory(name="百分百_养老%服务社")
    OrganizationFactory(name="养老服务中心")

    assert result_titles("_养老%") == ["百分百_养老%服务社"]


def test_an_overlong_query_is_cut_at_fifty_characters(client):
    OrganizationFactory(name="养老服务中心")
    query = "养老" + "服" * 80

    response = get(client, q=query)

    assert response.context["outcome"].query == query[:MAX_QUERY_LENGTH]
    assert response.context["outcome"].truncated
    assert "搜索词过长" in response.text
    assert titles(response) == []


def test_control_characters_are_dropped_and_never_break_the_database(client):
    OrganizationFactory(name="养老服务中心")

    response = get(client, q="养\x00老")

    assert response.context["outcome"].terms == ["养", "老"]
    assert titles(response) == ["养老服务中心"]


def test_names_are_escaped_and_only_the_match_is_marked(client):
    OrganizationFactory(name="<b>养老</b>之家")

    response = get(client, q="养老")

    assert "&lt;b&gt;<mark>养老</mark>&lt;/b&gt;之家" in response.text
    assert "<b>养老</b>" not in response.text


def test_a_query_with_markup_is_escaped_in_the_page(client):
    response = get(client, q="<img src=x onerror=alert(1)>")

    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text


def test_an_empty_query_shows_a_prompt_and_no_results(client, django_assert_max_num_queries):
    OrganizationFactory(name="养老服务中心")
    get(client)  # the first request of a site creates its settings row

    for params in ({}, {"q": ""}, {"q": " \u3000 "}):
        with django_assert_max_num_queries(2):  # the site and its settings: no search query runs
            response = get(client, **params)
        assert titles(response) == []
        assert "请输入要查找的关键词" in response.text


def test_every_page_has_the_search_box_in_its_header(client):
    response = client.get(reverse("orgs:directory"))

    assert 'action="/search/"' in response.text
    assert '<label for="site-search-q" class="visually-hidden">搜索</label>' in response.text


# --- a fixed number of queries -----------------------------------------------------------------------------
def populate(count: int) -> None:
    """``count`` matching rows of every kind: pages, organizations, activities (with a shift to come), published
    calls and announced projects."""
    template_activity = published_activity("养老助餐志愿服务0")
    template_call = make_call(title="养老服务公益创投0")
    template_project = make_project(title="社区居家养老服务项目0")
    now = timezone.now()
    for n in range(count):
        StandardPageFactory(title=f"养老服务指南{n}", intro="养老政策")
        OrganizationFactory(name=f"养老服务社{n}")
        if n:
            activity = Activity.objects.create(**{
                **{f.attname: getattr(template_activity, f.attname) for f in Activity._meta.concrete_fields
                   if not f.primary_key}, "title": f"养老助餐志愿服务{n}",
            })
            Shift.objects.create(activity=activity, starts_at=now + datetime.timedelta(days=2),
                                 ends_at=now + datetime.timedelta(days=2, hours=2), place="社区服务站", capacity=5)
            FundingCall.objects.create(**{
                **{f.attname: getattr(template_call, f.attname) for f in FundingCall._meta.concrete_fields
                   if not f.primary_key}, "title": f"养老服务公益创投{n}",
            })
            ProcurementProject.objects.create(**{
                **{f.attname: getattr(template_project, f.attname) for f in ProcurementProject._meta.concrete_fields
                   if not f.primary_key and f.name != "winning_bid"},
                "title": f"社区居家养老服务项目{n}", "number": f"T{n:06d}",
            })


@pytest.mark.parametrize("count", [5, 60])
def test_the_search_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, count):
    populate(count)
    get(client)  # the first request of a site creates its settings row

    with django_assert_max_num_queries(9):  # 5 sources, view restrictions, site roots, the site and its settings
        response = get(client, q="养老")

    counts = {tab["kind"]: tab["count"] for tab in response.context["outcome"].tabs}
    assert counts == {"": 5 * count, "page": count, "organization": count, "activity": count, "call": count,
                      "procurement": count}
    assert len(titles(response)) == 20
