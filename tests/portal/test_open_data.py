"""The open-data page (issue 8): at /open-data/ whatever its slug, it lists the registry, OCDS, 360Giving and published
evaluation results with links that work, renders the API reference from the OpenAPI document, and costs a fixed
number of queries whatever the data size."""

import io
import json
import re

import openpyxl
import pytest
from django.core.cache import cache
from django.urls import reverse
from wagtail.models import PageViewRestriction
from wagtail.rich_text import RichText

from grants.models import OcdsRelease
from portal.models import OpenDataPage
from tests.evaluations.test_results_export import published_campaign
from tests.factories import OrganizationFactory, district
from tests.grants.helpers import funded, make_call, officer_for
from tests.grants.procurement_helpers import make_project
from tests.portal.factories import home

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def open_data_page(*, slug="shuju", live=True, **fields) -> OpenDataPage:
    page = OpenDataPage(title="公开数据", slug=slug, intro="社会组织名录、政府购买服务与资助数据，免费下载。",
                        body=[("paragraph", RichText("<p>使用数据时请注明来源：贵阳市民政局。</p>"))], **fields)
    home().add_child(instance=page)
    revision = page.save_revision()
    if live:
        revision.publish()
    else:
        OpenDataPage.objects.filter(pk=page.pk).update(live=False)
    page.refresh_from_db()
    return page


@pytest.fixture
def page(db):
    return open_data_page()


def download_links(html: str) -> list[tuple[str, str]]:
    """(href, type) of every download button on the page."""
    return re.findall(r'<a class="button[^"]*" href="([^"]+)" type="([^"]+)" data-format=', html)


def test_open_data_answers_404_while_no_page_is_published(client, db):
    assert client.get("/open-data/").status_code == 404
    open_data_page(live=False)
    assert client.get("/open-data/").status_code == 404


def test_the_page_lives_at_open_data_whatever_slug_the_editors_gave_it(client, page):
    assert page.url == "/open-data/" == reverse("open-data")
    response = client.get("/shuju/")
    assert response.status_code == 301 and response["Location"] == "/open-data/"
    response = client.get("/open-data/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>公开数据</h1>" in html
    assert "社会组织名录、政府购买服务与资助数据，免费下载。" in html and "使用数据时请注明来源：贵阳市民政局。" in html
    assert '<a href="/open-data/" aria-current="page">公开数据</a>' in html  # the main navigation's entry


def test_a_page_restricted_to_signed_in_users_is_restricted_at_open_data_too(client, page, volunteer):
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    response = client.get("/open-data/")
    assert response.status_code == 302 and "/open-data/" in response["Location"]
    client.force_login(volunteer)
    assert client.get("/open-data/").status_code == 200


def test_every_dataset_is_listed_with_a_link_that_answers_with_its_format(client, page, city_officer, city, org_a, org_b):
    campaign = published_campaign(city_officer, city, [org_a, org_b])
    html = client.get("/open-data/").content.decode()
    links = dict(download_links(html))
    expected = {
        reverse("orgs:export", kwargs={"fmt": "csv"}): "text/csv",
        reverse("orgs:export", kwargs={"fmt": "xlsx"}): XLSX,
        "/api/v1/ocds/releases.json": "application/json",
        "/api/v1/ocds/records.json": "application/json",
        "/api/v1/grants.360giving.json": "application/json",
        f"/evaluations/{campaign.pk}/results.csv": "text/csv",
        f"/evaluations/{campaign.pk}/results.xlsx": XLSX,
    }
    assert links == expected
    for title in ("社会组织名录", "政府购买服务发布包（OCDS）", "政府购买服务记录包（OCDS）", "孵化资助数据（360Giving）",
                  "2026年度五比五看评价结果"):
        assert f">{title}</h3>" in html
    assert "开放合同数据标准 OCDS 1.1（发布包）" in html and "360Giving 数据标准 1.4（资助数据包）" in html
    assert html.count("知识共享署名 4.0 国际许可协议（CC BY 4.0）") >= len(expected)
    for url, content_type in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith(content_type), url
        if content_type == "text/csv":
            assert response.content.startswith(b"\xef\xbb\xbf"), url
        elif content_type == XLSX:
            assert openpyxl.load_workbook(io.BytesIO(response.content)).active.max_row >= 2, url
        else:
            assert isinstance(json.loads(response.content), dict), url


def test_the_counts_and_update_times_are_read_from_the_rows(client, page, org_a, org_b):
    datasets = {d.key: d for d in client.get("/open-data/").context["datasets"]}
    assert datasets["registry"].count == 2
    assert datasets["registry"].updated_at == max(org_a.updated_at, org_b.updated_at)
    assert (datasets["ocds-releases"].count, datasets["ocds-releases"].updated_at) == (0, None)
    assert (datasets["360giving"].count, datasets["360giving"].updated_at) == (0, None)
    project = make_project()  # announced: its first OCDS release
    award = funded(make_call(), officer_for(district("520100")))
    cache.clear()
    response = client.get("/open-data/")
    datasets = {d.key: d for d in response.context["datasets"]}
    release = OcdsRelease.objects.get(project=project)
    assert (datasets["ocds-releases"].count, datasets["ocds-releases"].updated_at) == (1, release.date)
    assert datasets["ocds-records"].count == 1
    assert datasets["360giving"].count == 1 and datasets["360giving"].updated_at >= award.awarded_at
    assert "暂无数据" not in response.content.decode()


def test_unpublished_results_are_not_listed(client, page, city_officer, city, org_a):
    computed = published_campaign(city_officer, city, [org_a], publish=False)
    response = client.get("/open-data/")
    html = response.content.decode()
    assert response.context["result_datasets"] == []
    assert f"/evaluations/{computed.pk}/results" not in html and "暂无已发布的评价结果。" in html
    assert client.get(f"/evaluations/{computed.pk}/results.csv").status_code == 404


def test_the_api_reference_lists_each_path_with_its_chinese_summary_and_whether_login_is_needed(client, page):
    html = client.get("/open-data/").content.decode()
    organizations = html.index('<code class="token">/api/v1/orgs/</code>')
    row = html[organizations:html.index("</tr>", organizations)]
    assert "社会组织名录" in row and "无需登录" in row and "<code>q</code>" in row and "页码，从 1 开始" in row
    me = html.index('<code class="token">/api/v1/me</code>')
    assert "需要登录" in html[me:html.index("</tr>", me)]
    redeem = html.index('<code class="token">/api/v1/volunteers/redemptions</code>')
    assert "Idempotency-Key" in html[redeem:html.index("</tr>", redeem)]
    for tag in ("社会组织", "孵化与资助", "爱心银行", "行政区划"):
        assert f">{tag}</h3>" in html
    for url, content_type in (("/api/v1/docs", "text/html"), ("/api/v1/openapi.json", "application/json")):
        assert f'href="{url}"' in html
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"].startswith(content_type)


def test_the_page_query_count_does_not_grow_with_the_data(client, page, city_officer, city, django_assert_max_num_queries):
    client.get("/open-data/")  # the first request of a site creates its footer settings row
    published_campaign(city_officer, city, OrganizationFactory.create_batch(1), year=2025)
    cache.clear()
    # The site and page (2), page aliases and view restrictions (2), the four facts (4), the footer settings (1).
    with django_assert_max_num_queries(9):
        small = client.get("/open-data/")
    OrganizationFactory.create_batch(25)
    published_campaign(city_officer, city, OrganizationFactory.create_batch(4), year=2026)
    cache.clear()
    with django_assert_max_num_queries(9):
        large = client.get("/open-data/")
    assert len(small.context["result_datasets"]) == 1 and len(large.context["result_datasets"]) == 2
    assert large.context["datasets"][0].count == 30
