"""The public site in a real browser: axe-core (the npm package's build, shipped inside axe-playwright-python and
injected into each page) finds no serious or critical accessibility violation on the pages the public uses most, and
every public page type fits a 375 px phone; screenshots at 375 and 1280 px are saved as test artifacts."""

import json

import pytest

from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, district

from .pages import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


@pytest.fixture
def public_world(demo_people):
    """Two organizations the search examples name, an activity, one page of every public type."""
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    from portal.models import OpenDataPage, PolicyAttachment
    from tests.portal import factories as pages
    from tests.volunteers.helpers import make_activity, make_shift

    nanming = district("520102")
    elderly = OrganizationFactory(name="社区养老服务中心", region=nanming)
    disability = OrganizationFactory(name="阳光助残服务社", region=nanming)
    member = MembershipFactory(organization=elderly, user=UserFactory(name="吴经办")).user
    activity = make_activity(member, elderly, title="花果园社区助老服务")
    make_shift(activity, member)

    project = pages.ShowcaseProjectPageFactory(
        organization=elderly, title="长者助餐暖心行动", summary="为社区高龄、独居老人提供助餐、陪伴与健康监测服务",
        people_reached=1260, featured=True,
    )
    project.photos.create(image=pages.make_image("长者助餐"), caption="志愿者为老人送餐")
    project.outcomes.create(indicator="助餐服务", unit="人次", target=1000, achieved=1260)
    project.outcomes.create(indicator="健康监测", unit="人次", target=500, achieved=420)
    project.save_revision().publish()
    pages.ShowcaseProjectPageFactory(organization=disability, title="阳光助残就业辅导", summary="残障青年职业技能培训")
    news = pages.NewsPageFactory(title="我市社会组织登记实现全程网办", intro="登记、备案、变更与注销均可在线办理")
    policy = pages.PolicyPageFactory(title="贵阳市社会组织孵化基地管理办法")
    document = Document.objects.create(title="管理办法全文", file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="rules.pdf"))
    PolicyAttachment.objects.create(page=policy, document=document, title="管理办法（正式文本）")
    event = pages.EventPageFactory(title="第四届筑城公益汇", intro="成果展演、公益体验、人才推介、项目洽谈")
    open_data = OpenDataPage(title="公开数据", slug="open-data", intro="社会组织名录、政府购买服务与资助数据")
    pages.home().add_child(instance=open_data)
    open_data.save_revision().publish()
    return {
        "elderly": elderly, "activity": activity, "project": project, "news": news, "policy": policy,
        "event": event,
    }


def _paths(world):
    return {
        "home": "/",
        "registry": "/orgs/",
        "profile": f"/orgs/{world['elderly'].pk}/",
        "activities": "/volunteers/",
        "activity": f"/volunteers/activities/{world['activity'].pk}/",
        "showcase-index": "/showcase/",
        "showcase-project": world["project"].url,
        "news-index": "/news/",
        "news-article": world["news"].url,
        "policy-index": "/policies/",
        "policy": world["policy"].url,
        "events": "/events/",
        "event": world["event"].url,
        "open-data": "/open-data/",
        "search": "/search/?q=养老",
        "signup-form": "/accounts/signup/",
    }


ACCESSIBILITY_CHECKED = ["home", "registry", "profile", "activities", "showcase-project", "signup-form", "search"]


def test_public_pages_have_no_serious_or_critical_accessibility_violations(browser, live_server, public_world, artifacts):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    paths = _paths(public_world)
    found = {}
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    for name in ACCESSIBILITY_CHECKED:
        response = page.goto(live_server.url + paths[name])
        assert response.status == 200, name
        results = axe.run(page)
        violations = results.response["violations"]
        found[name] = [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in violations
        ]
    page.close()
    (artifacts / "axe-public-site.json").write_text(json.dumps(found, ensure_ascii=False, indent=2), encoding="utf-8")
    blocking = {name: [v for v in items if v["impact"] in BLOCKING] for name, items in found.items()}
    assert blocking == {name: [] for name in ACCESSIBILITY_CHECKED}
    assert found["home"] is not None  # axe ran on every page (an empty list is a clean page, not a skipped one)


def test_every_public_page_type_fits_a_phone_and_is_screenshotted(browser, live_server, public_world, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    for name, path in _paths(public_world).items():
        response = page.goto(live_server.url + path)
        assert response.status == 200, f"{name} {path} answered {response.status}"
        assert page.locator("h1").count() == 1, f"{name} should have exactly one h1"
        shoot(page, artifacts, f"public-{name}")
    page.close()


def test_search_in_the_browser_finds_the_organization_inside_a_longer_name(browser, live_server, public_world):
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(live_server.url + "/")
    page.fill("header input[name=q]", "助残")
    page.press("header input[name=q]", "Enter")
    page.wait_for_url("**/search/**")
    assert page.locator("main").get_by_text("阳光助残服务社").first.is_visible()
    page.close()
