"""The demo officer's dashboard in a real browser: signs in, opens /admin/, charts render (Chinese glyphs drawn from
the bundled font), nothing overflows at phone width; screenshots at 1280 px and 375 px are kept as artifacts."""

import pytest
from django.utils import timezone

from .pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dashboard_world(demo_people, settings):
    from core.models import Region
    from tests.dashboards.factories import build

    settings.PORTAL_DASHBOARD_CACHE_SECONDS = 0
    build(Region.objects.get(code="520102"), timezone.localdate().year)
    return demo_people


@pytest.mark.parametrize("width", [1280, 375])
def test_the_demo_officer_sees_the_dashboard_on_the_admin_home(browser, live_server, dashboard_world, artifacts, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    sign_in(page, live_server.url, "13800000003")
    page.goto(live_server.url + "/admin/")
    assert page.locator(".dashboard__title").inner_text().startswith("南明区")
    charts = page.locator(".dashboard-chart__svg")
    assert charts.count() == 11
    # Every chart fits its box: none wider than the viewport, none with zero height.
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["height"] > 50 and box["x"] >= 0 and box["x"] + box["width"] <= width + 1
    # A drill-down link in the SVG works: the first bar of the region chart opens its list.
    link = page.locator("#chart-org_region svg a").first.get_attribute("xlink:href") or \
        page.locator("#chart-org_region svg a").first.get_attribute("href")
    # The admin scrolls inside its own wrapper, so grow the viewport to the content's height for the whole picture.
    height = page.evaluate("Math.max(document.body.scrollHeight, ...Array.from(document.querySelectorAll("
                           "'main, .content-wrapper, .content')).map(e => e.scrollHeight))")
    page.set_viewport_size({"width": width, "height": min(int(height) + 100, 16000)})
    page.screenshot(path=str(artifacts / f"dashboard-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # nothing overflows sideways
    assert link
    page.goto(live_server.url + link.replace("&amp;", "&"))
    assert "共" in page.locator("main").inner_text()
    page.close()
