"""孵化资助 in a real browser: the district officer publishes a call; an organization applies; three reviewers are
assigned, one declares a conflict, two score; the officer awards, signs the agreement and pays tranche 1; the
organization reports at mid-term; the officer assesses it 合格 and releases tranche 2."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Role
from core.services import grant_role
from grants.models import (
    Criterion,
    Disbursement,
    FundingCall,
    GrantApplication,
    RequiredDocument,
    Review,
    Tranche,
)
from tests.browser.pages import DEMO_PASSWORD, shoot, sign_in
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.grants.helpers import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def person(browser, width=1280):
    return browser.new_context(viewport={"width": width, "height": 900}).new_page()


def test_apply_review_award_pay_and_report_in_the_browser(browser, live_server, artifacts, demo_people, tmp_path):
    officer = demo_people["officer"]
    nanming = officer.jurisdictions[0]
    organization = OrganizationFactory(name="南明区阳光助残服务社", region=nanming, established_on=datetime.date(2025, 3, 1))
    member = UserFactory(phone="13800000008", name="吴经办", password=DEMO_PASSWORD)
    MembershipFactory(organization=organization, user=member)
    experts = []
    for index, name in enumerate(("甲专家", "乙专家", "丙专家")):
        expert = UserFactory(phone=f"1380000010{index}", name=name, password=DEMO_PASSWORD)
        grant_role(expert, Role.REVIEWER, acting_user=None)
        experts.append(expert)
    now = timezone.now()
    call = FundingCall.objects.create(
        title="2026 年南明区公益创投", kind=FundingCall.Kind.VENTURE, year=2026, region=nanming,
        description="面向南明区社会组织的公益创投项目。", budget=Decimal("200000"), max_amount=Decimal("50000"),
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=20),
    )
    for order, (weight, name) in enumerate([(60, "项目设计"), (40, "执行能力")]):
        Criterion.objects.create(call=call, name=name, weight=weight, max_score=10, sort_order=order)
    requirement = RequiredDocument.objects.create(call=call, name="项目申报书")
    evidence = tmp_path / "申报书.pdf"
    evidence.write_bytes(PDF)
    base = live_server.url

    # The officer opens (publishes) the call from its admin page.
    desk = person(browser)
    sign_in(desk, base, officer.phone)
    desk.goto(base + reverse("grant_calls:inspect", args=[call.pk]))
    desk.click("button:text-is('发布资助计划')")
    desk.wait_for_load_state()
    call.refresh_from_db()
    assert call.status == FundingCall.Status.PUBLISHED

    # The public sees it with its countdown; the organization applies from its workspace.
    org = person(browser, width=375)
    org.goto(base + reverse("grants:calls"))
    assert "2026 年南明区公益创投" in org.content()
    shoot(org, artifacts, "grants-calls")
    sign_in(org, base, member.phone)
    org.goto(base + reverse("grants:workspace"))
    org.click("form[action*='/start/'] button:text-is('申报'), main button:text-is('申报')")
    org.wait_for_url("**/workspace/applications/**")
    application = GrantApplication.objects.get(call=call, organization=organization)
    org.fill("input[name=project_title]", "助残陪伴计划")
    org.fill("textarea[name=summary]", "为南明区 120 名残疾人提供陪伴和康复服务。")
    org.fill("input[name=requested_amount]", "40000")
    org.fill("input[name=beneficiaries_target]", "120")
    org.fill("input[name=activities_target]", "24")
    org.fill("input[name=lines-0-item]", "人员劳务")
    org.fill("input[name=lines-0-amount]", "30000")
    org.fill("input[name=lines-1-item]", "活动物料")
    org.fill("input[name=lines-1-amount]", "10000")
    org.set_input_files(f"input[name=doc-{requirement.pk}]", str(evidence))
    shoot(org, artifacts, "grants-application-draft")
    org.click("main button[name=submit]")
    org.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == GrantApplication.Status.SUBMITTED, org.content()[:3000]
    assert application.budget_lines.count() == 2 and application.documents.count() == 1

    # The officer screens it and assigns three reviewers.
    desk.goto(base + reverse("grant_applications:inspect", args=[application.pk]))
    desk.check("input[name=screen-decision][value=pass]")
    desk.click("#form-screen button[type=submit]")
    desk.wait_for_load_state()
    for expert in experts:
        desk.check(f"input[name=assign-reviewers][value='{expert.pk}']")
    desk.click("#form-assign button[type=submit]")
    desk.wait_for_load_state()
    assert Review.objects.filter(application=application).count() == 3

    # One declares a conflict and sees nothing more; two declare none and score.
    for expert, conflict, mark in ((experts[0], True, None), (experts[1], False, 9), (experts[2], False, 7)):
        page = person(browser, width=375)
        sign_in(page, base, expert.phone)
        review = Review.objects.get(application=application, reviewer=expert)
        page.goto(base + reverse("grants:review", args=[review.pk]))
        assert "助残陪伴计划" not in page.content()  # nothing of the application before the declaration
        page.check(f"input[name=has_conflict][value={'yes' if conflict else 'no'}]")
        if conflict:
            page.fill("textarea[name=statement]", "本人曾任该组织理事")
        page.click("button:text-is('提交声明')")
        page.wait_for_load_state()
        if conflict:
            assert "已回避" in page.content() and "助残陪伴计划" not in page.content()
            continue
        assert "助残陪伴计划" in page.content()
        for criterion in call.criteria.all():
            page.fill(f"input[name=s{criterion.pk}]", str(mark))
            page.fill(f"textarea[name=r{criterion.pk}]", "设计合理，团队有经验")
        if expert == experts[1]:
            shoot(page, artifacts, "grants-review-scoring")
        page.click("button:text-is('提交评审意见')")
        page.wait_for_load_state()
        page.context.close()
    application.refresh_from_db()
    assert application.status == GrantApplication.Status.SCORED
    assert application.score == Decimal("80.00") and application.score_count == 2

    # The officer awards from the application page, records the agreement and pays tranche 1.
    desk.goto(base + reverse("grant_calls:inspect", args=[call.pk]))
    assert "助残陪伴计划" in desk.content()  # on the ranking board
    desk.screenshot(path=str(artifacts / "grants-ranking-desktop.png"), full_page=True)
    desk.goto(base + reverse("grant_applications:inspect", args=[application.pk]))
    desk.fill("input[name=award-amount]", "40000")
    desk.click("#form-award button[type=submit]")
    desk.wait_for_load_state()
    today = timezone.localdate().isoformat()
    desk.fill("input[name=sign-number]", "NMGY-2026-001")
    desk.fill("input[name=sign-signed_on]", today)
    desk.click("#form-sign button[type=submit]")
    desk.wait_for_load_state()
    desk.fill("input[name=pay-paid_on]", today)
    desk.fill("input[name=pay-reference]", "GK-0001")
    desk.click("#form-pay button[type=submit]")
    desk.wait_for_load_state()
    award = application.award
    assert list(award.tranches.values_list("status", flat=True)) == [Tranche.Status.PAID, Tranche.Status.PENDING, Tranche.Status.PENDING]

    # The organization reports at mid-term with evidence.
    org.goto(base + reverse("grants:report", kwargs={"pk": application.pk, "kind": "midterm"}))
    org.fill("input[name=beneficiaries_reached]", "65")
    org.fill("input[name=activities_held]", "13")
    org.fill("input[name=spent_amount]", "18000")
    org.fill("textarea[name=outcomes]", "已为 65 名残疾人提供陪伴服务 13 场。")
    org.set_input_files("input[name=file]", str(evidence))
    org.click("main button[name=submit]")
    org.wait_for_load_state()
    report = application.reports.get(kind="midterm")
    assert report.status == "submitted", org.content()[:3000]

    # The officer assesses it 合格 and releases tranche 2.
    desk.goto(base + reverse("grant_applications:inspect", args=[application.pk]))
    desk.fill(f"input[name=assess-{report.pk}-score]", "82")
    desk.fill(f"textarea[name=assess-{report.pk}-assessment]", "进度符合计划，佐证齐全。")
    desk.click(f"form:has(input[name=assess-{report.pk}-score]) button[type=submit]")
    desk.wait_for_load_state()
    report.refresh_from_db()
    assert (report.grade, report.passed) == ("B", True)
    desk.fill("input[name=pay-paid_on]", today)
    desk.click("#form-pay button[type=submit]")
    desk.wait_for_load_state()
    desk.screenshot(path=str(artifacts / "grants-application-admin-desktop.png"), full_page=True)
    award.refresh_from_db()
    assert award.paid_total == Decimal("32000.00")  # 50 % + 30 % of 40,000
    assert sum(d.amount for d in Disbursement.objects.filter(award=award)) == award.paid_total

    # The organization sees its tranches on the application page.
    org.goto(base + reverse("grants:application", args=[application.pk]))
    assert "已拨付" in org.content()
    shoot(org, artifacts, "grants-application-funded")
