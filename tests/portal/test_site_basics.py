"""Site basics: robots.txt, the sitemaps, canonical and sharing tags, the icons and the print stylesheet."""

import io
import re
from html import unescape
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from PIL import Image
from wagtail.models import Site

from grants.models import FundingCall
from tests.factories import OrganizationFactory
from tests.grants.helpers import make_call

from .factories import NewsPageFactory, ShowcaseProjectPageFactory, StandardPageFactory, home, make_image

pytestmark = pytest.mark.django_db


def meta(html: str, prop: str) -> str | None:
    match = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', html)
    return unescape(match.group(1)) if match else None


def canonical(html: str) -> str | None:
    match = re.search(r'<link rel="canonical" href="([^"]*)"', html)
    return unescape(match.group(1)) if match else None


def locations(xml: str) -> list[str]:
    return re.findall(r"<loc>([^<]+)</loc>", xml)


# --- robots.txt -------------------------------------------------------------------------------------------------


def test_robots_txt_opens_the_public_site_and_closes_sign_in_workspaces_and_admin(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines and "Allow: /" in lines
    for path in ("/admin/", "/django-admin/", "/accounts/", "/orgs/workspace/", "/grants/workspace/",
                 "/showcase/workspace/", "/volunteers/me/", "/volunteers/manage/", "/volunteers/merchant/", "/api/"):
        assert f"Disallow: {path}" in lines
    assert "Allow: /api/v1/docs" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_robots_txt_names_the_sitemap_on_the_sites_configured_host(client):
    Site.objects.filter(is_default_site=True).update(hostname="gongyi.example.gov.cn", port=443)
    lines = client.get("/robots.txt").content.decode().splitlines()
    assert "Sitemap: https://gongyi.example.gov.cn/sitemap.xml" in lines


# --- sitemap.xml ------------------------------------------------------------------------------------------------


def test_sitemap_index_lists_one_absolute_sitemap_per_section(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    assert "<sitemapindex" in response.content.decode()
    assert set(locations(response.content.decode())) == {
        f"http://testserver/sitemap-{name}.xml"
        for name in ("pages", "lists", "organizations", "activities", "calls", "procurements", "campaigns")
    }


def test_sitemap_lists_live_pages_but_not_drafts(client):
    live = StandardPageFactory(title="办事指南", slug="guide")
    StandardPageFactory(title="未发布", slug="draft-guide", live=False)
    urls = locations(client.get("/sitemap-pages.xml").content.decode())
    assert "http://testserver/" in urls
    assert f"http://testserver{live.url}" in urls
    assert not any("draft-guide" in url for url in urls)


def test_sitemap_lists_public_organizations_and_calls_but_not_a_draft_call(client):
    organization = OrganizationFactory(name="阳光助残服务社")
    published = make_call(title="公益创投")
    draft = make_call(title="草稿计划", publish=False)
    assert draft.status == FundingCall.Status.DRAFT
    assert f"http://testserver/orgs/{organization.pk}/" in locations(client.get("/sitemap-organizations.xml").content.decode())
    calls = locations(client.get("/sitemap-calls.xml").content.decode())
    assert f"http://testserver/grants/calls/{published.pk}/" in calls
    assert f"http://testserver/grants/calls/{draft.pk}/" not in calls


def test_sitemap_lists_the_public_list_pages(client):
    urls = locations(client.get("/sitemap-lists.xml").content.decode())
    assert {"http://testserver/orgs/", "http://testserver/grants/", "http://testserver/evaluations/"} <= set(urls)


def test_an_unknown_sitemap_section_is_404(client):
    assert client.get("/sitemap-nothing.xml").status_code == 404


@pytest.mark.parametrize("count", [2, 25])
def test_sitemap_sections_take_a_fixed_number_of_queries(client, count, django_assert_max_num_queries):
    OrganizationFactory.create_batch(count)
    for n in range(count // 5 + 1):
        StandardPageFactory(title=f"页面{n}", slug=f"page-{n}")
    with django_assert_max_num_queries(4):
        assert client.get("/sitemap-organizations.xml").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/sitemap-pages.xml").status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get("/sitemap.xml").status_code == 200


# --- canonical and sharing tags ---------------------------------------------------------------------------------


def test_home_page_has_canonical_open_graph_and_twitter_tags_with_the_default_share_image(client):
    html = client.get("/").content.decode()
    assert canonical(html) == "http://testserver/"
    assert meta(html, "og:url") == "http://testserver/"
    assert meta(html, "og:type") == "website"
    assert meta(html, "og:locale") == "zh_CN"
    assert meta(html, "og:site_name") == "社会组织与购买服务管理门户"
    assert meta(html, "og:title") == (home().seo_title or home().title)
    assert meta(html, "og:description")
    assert meta(html, "og:image") == "http://testserver/static/img/og-default.png"
    assert meta(html, "og:image:width") == "1200" and meta(html, "og:image:height") == "630"
    assert meta(html, "twitter:card") == "summary_large_image"


def test_a_showcase_page_is_shared_as_an_article_with_its_first_photo(client):
    page = ShowcaseProjectPageFactory(title="长者助餐计划", slug="meals", summary="为社区老人提供助餐")
    page.photos.create(image=make_image("助餐现场"), caption="助餐现场")
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert canonical(html) == f"http://testserver{page.url}"
    assert meta(html, "og:type") == "article"
    assert meta(html, "og:title") == "长者助餐计划"
    assert meta(html, "og:description") == "为社区老人提供助餐"
    image = meta(html, "og:image")
    assert image.startswith("http://testserver/media/images/") and "fill-1200x630" in image
    assert meta(html, "og:image:alt") == "助餐现场"


def test_a_news_page_is_shared_with_its_cover(client):
    page = NewsPageFactory(title="民政新闻", cover=make_image("题图"))
    html = client.get(page.url).content.decode()
    assert "fill-1200x630" in meta(html, "og:image")


def test_a_django_view_shares_its_own_title_and_description_escaped_once(client):
    organization = OrganizationFactory(name="阳光&助残<服务社>")
    html = client.get(f"/orgs/{organization.pk}/").content.decode()
    assert 'content="阳光&amp;助残&lt;服务社&gt;"' in html
    assert meta(html, "og:title") == "阳光&助残<服务社>"
    assert meta(html, "og:description").startswith("阳光&助残<服务社>：")
    assert canonical(html) == f"http://testserver/orgs/{organization.pk}/"


def test_the_canonical_url_drops_tracking_parameters_and_keeps_the_page_number(client):
    html = client.get("/orgs/", {"utm_source": "wechat", "from": "timeline", "page": "2"}).content.decode()
    assert canonical(html) == "http://testserver/orgs/?page=2"
    html = client.get("/orgs/", {"utm_source": "wechat", "page": "1"}).content.decode()
    assert canonical(html) == "http://testserver/orgs/"


def test_the_canonical_url_uses_the_host_configured_on_the_wagtail_site(client):
    Site.objects.filter(is_default_site=True).update(hostname="gongyi.example.gov.cn", port=443)
    html = client.get("/", HTTP_HOST="10.0.0.5").content.decode()
    assert canonical(html) == "https://gongyi.example.gov.cn/"
    assert meta(html, "og:image") == "https://gongyi.example.gov.cn/static/img/og-default.png"


def test_the_default_share_image_is_1200_by_630():
    with Image.open(finders.find("img/og-default.png")) as image:
        assert image.size == (1200, 630)


# --- icons and print --------------------------------------------------------------------------------------------


def test_favicon_ico_is_served_at_the_site_root_with_a_32_pixel_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    with Image.open(io.BytesIO(response.content)) as icon:
        assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]


def test_apple_touch_icon_is_a_180_pixel_png_linked_from_every_page(client):
    response = client.get("/apple-touch-icon.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as icon:
        assert icon.size == (180, 180)
    assert '<link rel="apple-touch-icon" href="/static/img/apple-touch-icon.png">' in client.get("/").content.decode()


def test_pages_link_the_print_stylesheet_for_print_only(client):
    html = client.get("/").content.decode()
    assert '<link rel="stylesheet" href="/static/css/print.css" media="print">' in html
    css = Path(finders.find("css/print.css")).read_text(encoding="utf-8")
    assert ".main-nav" in css and 'attr(href)' in css and "@page" in css
