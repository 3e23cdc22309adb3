"""五比五看 in a real browser: a member of the public verifies their phone and rates; the district officer scores,
reviews the flagged ratings, computes and publishes; the organization's profile shows its grade."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from core import sms
from evaluations import services
from evaluations.models import Campaign, Rating, Result
from tests.browser.pages import DEMO_PASSWORD
from tests.evaluations.helpers import values, verified_user
from tests.factories import OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rate_review_compute_publish_in_the_browser(browser, live_server, artifacts, demo_people, settings):
    settings.PORTAL_SMS_BACKEND = "core.sms.LocmemBackend"
    sms.outbox.clear()
    officer = demo_people["officer"]
    nanming = officer.jurisdictions[0]
    organization = OrganizationFactory(name="南明区阳光助残服务社", region=nanming)
    now = timezone.now()
    campaign = services.create_campaign(
        acting_user=officer, kind=Campaign.Kind.PUBLIC, year=2026, title="2026年度南明区五比五看", region=nanming,
        opens_at=now - datetime.timedelta(days=1), closes_at=now + datetime.timedelta(days=5), min_raters=1,
    )
    campaign = services.open_campaign(campaign, acting_user=officer)
    for _ in range(5):  # a burst from one address, for the officer's queue
        services.submit_rating(campaign, organization, acting_user=verified_user(), values=values(campaign, 1),
                               client_address="10.7.7.7")
    base = live_server.url

    # A member of the public signs up, is asked to verify the phone, and rates.
    person = browser.new_context(viewport={"width": 390, "height": 900}).new_page()
    person.goto(base + "/accounts/signup/")
    person.fill("input[name=phone]", "13912345678")
    person.fill("input[name=name]", "黄群众")
    person.fill("input[name=password1]", "Qianling#2026")
    person.fill("input[name=password2]", "Qianling#2026")
    person.click("main button[type=submit]")
    person.wait_for_url("**/accounts/")
    person.goto(base + reverse("evaluations:campaign", args=[campaign.pk]))
    person.click(f"a[href='{reverse('evaluations:rate', args=[campaign.pk, organization.pk])}']")
    person.wait_for_url("**/accounts/phone/**")
    person.click("text=获取验证码")
    person.wait_for_load_state()
    code = re.search(r"\d{6}", sms.outbox[-1][1]).group(0)
    person.fill("input[name=code]", code)
    person.click("button:text-is('验证')")
    person.wait_for_url("**/rate/")
    for dimension in campaign.dimensions.all():
        person.check(f"input[name=d{dimension.pk}][value='5']")
    person.fill("textarea[name=comment]", "助残服务很贴心")
    person.screenshot(path=str(artifacts / "evaluation-rate-phone.png"), full_page=True)
    person.click("main button[type=submit]")
    person.wait_for_url(f"**{reverse('evaluations:campaign', args=[campaign.pk])}")
    assert "感谢参与" in person.content()
    assert Rating.objects.filter(user__phone="13912345678", organization=organization).exists()

    # The officer scores, reviews the flagged burst, computes and publishes.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    desk.goto(base + "/admin/login/")
    desk.fill("input[name=username]", officer.phone)
    desk.fill("input[name=password]", DEMO_PASSWORD)
    desk.click("button[type=submit]")
    desk.wait_for_url("**/admin/")
    desk.goto(base + reverse("evaluations:score", args=[campaign.pk, organization.pk]))
    desk.check("input[name=has_conflict][value=no]")
    desk.click("main button[type=submit]")
    desk.wait_for_load_state()
    for dimension in campaign.dimensions.all():
        desk.fill(f"input[name=d{dimension.pk}]", "95")
        desk.fill(f"textarea[name=n{dimension.pk}]", "查阅服务台账，走访服务对象")
    desk.click("main button[type=submit]")
    desk.wait_for_url("**/scoring/")

    desk.goto(base + reverse("rating_review:index"))
    assert "同一地址短时间内大量评价" in desk.content()
    for rating in Rating.objects.filter(client_address="10.7.7.7"):
        desk.goto(base + reverse("rating_review:inspect", args=[rating.pk]))
        desk.check("input[name=decision][value=exclude]")
        desk.fill("textarea[name=reason]", "同一地址集中刷低分，核实后剔除")
        desk.click("form:has(input[value=resolve]) button[type=submit]")
        desk.wait_for_load_state()
    assert Rating.objects.filter(excluded=True).count() == 5

    inspect = base + reverse("campaigns:inspect", args=[campaign.pk])
    desk.goto(inspect)
    desk.click("button[value=close]")
    desk.wait_for_load_state()
    desk.click("button[value=compute]")
    desk.wait_for_load_state()
    desk.goto(inspect)
    desk.screenshot(path=str(artifacts / "evaluation-campaign-admin-desktop.png"), full_page=True)
    desk.click("button[value=publish]")
    desk.wait_for_load_state()
    result = Result.objects.get(campaign=campaign, organization=organization)
    assert result.valid and result.public_raters == 1 and result.grade == Result.Grade.EXCELLENT

    # The organization's profile shows the published grade.
    person.goto(base + reverse("orgs:profile", args=[organization.pk]))
    body = person.content()
    assert "评价与评估" in body and "优秀" in body
    person.screenshot(path=str(artifacts / "evaluation-profile-phone.png"), full_page=True)
    person.goto(base + reverse("evaluations:campaign", args=[campaign.pk]))
    person.screenshot(path=str(artifacts / "evaluation-results-phone.png"), full_page=True)
