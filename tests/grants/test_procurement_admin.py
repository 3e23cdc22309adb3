"""The officers' 政府购买服务 admin: a project created with its technical rubric and announced; bids sealed on every
admin page and list until the deadline, even for a superuser; bids opened, reviewers assigned, the ranking board
and the award; the contract drafted, refused by the field Art. 23 and 24 concern, and signed; milestones confirmed
and paid within the contract value; the performance evaluation; and the scoping that answers 404 outside the
officer's jurisdiction."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from grants import procurement
from grants.models import (
    BidReview,
    Contract,
    Indicator,
    Milestone,
    PerformanceEvaluation,
    ProcurementProject,
    ServiceCategory,
)

from .procurement_helpers import (
    answer,
    awarded,
    bid,
    category,
    close_window,
    contract_form,
    first_milestone,
    make_project,
    officer_for,
    pdf,
    purchaser,
    reviewer_user,
    signed,
)

pytestmark = pytest.mark.django_db
P = ProcurementProject.Status
PRICE_FORMS = ("234567", "234,567", "¥234,567.00", "234567.00")


def inspect(name, obj):
    return reverse(f"{name}:inspect", args=[obj.pk])


def project_form(buyer, *, criteria=((50, "服务方案"), (50, "团队与资质")), **overrides):
    now = timezone.localtime()
    data = {
        "title": "社区禁毒宣传服务项目", "purchaser": buyer.pk, "category": category().pk, "method": "consultation",
        "service_period": "合同签订之日起 12 个月", "description": "在辖区 12 个社区开展禁毒宣传。", "budget": "200000",
        "price_weight": "30", "budget_line": "2026年区民政局部门预算·禁毒专项",
        "bids_open_at": (now + datetime.timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
        "bids_close_at": (now + datetime.timedelta(days=15)).strftime("%Y-%m-%d %H:%M"),
        "eligible_kinds": ["service_institution"], "exclude_credit_listed": "on", "min_grade": "",
        "criteria-TOTAL_FORMS": str(len(criteria)), "criteria-INITIAL_FORMS": "0", "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
    }
    for index, (weight, name) in enumerate(criteria):
        data.update({f"criteria-{index}-name": name, f"criteria-{index}-weight": str(weight),
                     f"criteria-{index}-description": "", f"criteria-{index}-id": ""})
    return {**data, **overrides}


def contract_post(contract, action="sign", **overrides) -> dict:
    """The edit page's POST for the terms, deliverables and milestones of procurement_helpers.contract_form."""
    form = contract_form(contract, **{k: v for k, v in overrides.items() if k in ("months", "continuing", "milestones")})
    fields = {**form["fields"], **{k: v for k, v in overrides.items() if k not in ("months", "continuing", "milestones")}}
    data = {"action": action, "terms-title": contract.title, "terms-value": str(contract.value), "sign-signed_on": ""}
    for name, value in fields.items():
        if name == "continuing":
            if value:
                data["terms-continuing"] = "on"
            continue
        data[f"terms-{name}"] = value.isoformat() if isinstance(value, datetime.date) else str(value)
    for prefix, rows in (("deliverables", form["deliverables"]), ("milestones", form["milestones"])):
        data.update({f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
        for index, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{index}-{key}"] = value.isoformat() if isinstance(value, datetime.date) else str(value)
    return data


def near(page, anchor, message, limit=1500):
    """``message`` appears after ``anchor`` (a field's id) and within ``limit`` characters of it."""
    start = page.index(anchor)
    position = page.find(message, start)
    return position != -1 and position - start < limit


# --- projects ------------------------------------------------------------------------------------------------
def test_criteria_totalling_90_come_back_with_the_error_by_the_rubric_and_the_typed_rows_kept(client):
    buyer = purchaser()
    officer = officer_for(buyer.region)
    client.force_login(officer)
    response = client.post(reverse("procurement_projects:add"),
                           project_form(buyer, criteria=((50, "服务方案"), (40, "专业团队"))))
    page = response.content.decode()
    assert response.status_code == 200
    assert "技术评分项分值合计须为 100 分，目前合计 90 分" in page
    # at the head of the rubric's inline panel, just before its rows
    assert 0 < page.index('id="id_criteria-FORMS"') - page.index("目前合计 90 分") < 300
    assert "社区禁毒宣传服务项目" in page and "专业团队" in page and 'value="40"' in page
    assert not ProcurementProject.objects.exists()


def test_a_bid_time_in_year_one_is_refused_by_its_field_not_a_server_error(client):
    buyer = purchaser()
    client.force_login(officer_for(buyer.region))
    response = client.post(reverse("procurement_projects:add"), project_form(buyer, bids_open_at="0001-01-01 00:00"))
    page = response.content.decode()
    assert response.status_code == 200
    assert near(page, 'data-contentpath="bids_open_at"', "日期须在 2000–2100 年之间", 600)
    assert not ProcurementProject.objects.exists()


def test_a_project_without_a_budget_line_is_refused_by_that_field_with_the_article_12_message(client):
    buyer = purchaser()
    client.force_login(officer_for(buyer.region))
    response = client.post(reverse("procurement_projects:add"), project_form(buyer, budget_line=""))
    page = response.content.decode()
    assert response.status_code == 200
    assert near(page, 'data-contentpath="budget_line"', "财政部令第102号第十二条：购买服务应当先有预算", 400)
    assert not ProcurementProject.objects.exists()


def test_a_district_officer_creates_a_project_numbered_in_the_purchasers_region_and_announces_it(client):
    buyer = purchaser()
    officer = officer_for(buyer.region)
    client.force_login(officer)
    response = client.post(reverse("procurement_projects:add"), project_form(buyer))
    project = ProcurementProject.objects.get()
    assert response.status_code == 302 and response.url == inspect("procurement_projects", project)
    assert project.number.startswith("CG") and project.region == buyer.region and project.created_by == officer
    assert [(c.name, c.weight) for c in project.criteria.all()] == [("服务方案", 50), ("团队与资质", 50)]
    assert project.eligible_kinds == ["service_institution"]
    assert AuditEntry.objects.filter(action="grants.procurement.create").exists()
    assert client.get(reverse("procurement_projects:edit", args=[project.pk])).status_code == 200

    response = client.post(inspect("procurement_projects", project), {"action": "announce"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == P.ANNOUNCED
    page = client.get(inspect("procurement_projects", project)).content.decode()
    assert "采购项目已公告" in page and "投标截止前投标内容密封" in page
    assert client.get(reverse("procurement_projects:edit", args=[project.pk])).status_code == 404  # only planned


def test_an_officer_cannot_choose_a_purchaser_of_another_district(client, officer_nanming):
    buyer = purchaser()  # 观山湖区
    client.force_login(officer_nanming)
    response = client.post(reverse("procurement_projects:add"), project_form(buyer))
    assert response.status_code == 200
    assert "只能选择本人辖区内的购买主体" in response.content.decode()
    assert not ProcurementProject.objects.exists()


def test_a_document_is_uploaded_to_a_planned_project_and_a_wrong_file_is_refused_by_its_field(client):
    buyer = purchaser()
    officer = officer_for(buyer.region)
    project = make_project(officer=officer, buyer=buyer, announce=False)
    client.force_login(officer)
    url = inspect("procurement_projects", project)
    response = client.post(url, {"action": "document", "document-title": "采购文件", "document-file": pdf("采购文件.pdf")})
    assert response.status_code == 302
    document = project.documents.get()
    assert client.get(reverse("procurement_projects:document", args=[document.pk])).status_code == 200

    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.pdf", b"not a pdf at all", content_type="application/pdf")
    response = client.post(url, {"action": "document", "document-title": "需求说明", "document-file": fake})
    assert response.status_code == 400
    assert "文件内容不是" in response.content.decode() and "需求说明" in response.content.decode()


# --- the seal -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["officer", "superuser"])
def test_before_the_deadline_no_admin_page_or_list_shows_a_bid_price_or_count(client, admin_user, who):
    buyer = purchaser()
    officer = officer_for(buyer.region)
    project = make_project(officer=officer, buyer=buyer)
    sealed_bid = bid(project, price="234567")
    client.force_login(officer if who == "officer" else admin_user)
    urls = [inspect("procurement_projects", project), reverse("procurement_projects:index"),
            reverse("procurement_projects:index_results"), reverse("procurement_contracts:index"),
            reverse("procurement_contracts:index_results")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for form in PRICE_FORMS:
            assert form not in page, (url, form)
        assert sealed_bid.organization.name not in page, url
    page = client.get(inspect("procurement_projects", project)).content.decode()
    assert "投标截止前投标内容密封" in page
    assert "ranking-board" not in page and "1 家" not in page
    assert client.get(reverse("procurement_projects:bid_document", args=[999999])).status_code == 404
    # opening before the deadline is refused
    response = client.post(inspect("procurement_projects", project), {"action": "open"}, follow=True)
    project.refresh_from_db()
    assert project.status == P.ANNOUNCED


def test_after_the_deadline_the_officer_opens_bids_assigns_reviewers_reads_the_ranking_and_awards(client):
    buyer = purchaser()
    officer = officer_for(buyer.region)
    project = make_project(officer=officer, buyer=buyer)
    cheap, dear = bid(project, price="250000"), bid(project, price="280000")
    close_window(project)
    client.force_login(officer)
    url = inspect("procurement_projects", project)
    page = client.get(url).content.decode()
    assert "¥250,000.00" in page and "投标截止前投标内容密封" not in page
    assert client.post(url, {"action": "open"}).status_code == 302
    project.refresh_from_db()
    assert project.status == P.CLOSED and cheap.__class__.objects.filter(project=project, valid=True).count() == 2

    first, second = reviewer_user("评审专家甲"), reviewer_user("评审专家乙")
    response = client.post(url, {"action": "assign", "assign-reviewers": [first.pk, second.pk]})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == P.EVALUATING
    for review in BidReview.objects.filter(bid__project=project):
        procurement.declare_bid_conflict(review, acting_user=review.reviewer, has_conflict=False)
        share = Decimal("0.8") if review.bid_id == cheap.pk else Decimal("0.9")
        procurement.submit_bid_review(review, acting_user=review.reviewer, scores={
            c.pk: (str(Decimal(c.weight) * share), "方案可行。") for c in project.criteria.all()})

    page = client.get(url).content.decode()
    board = page[page.index('id="ranking-board"'):]
    assert "100.00" in board  # the lowest price scores full marks
    assert "89.29" in board  # 250000 / 280000 × 100
    assert "80.00" in board and "90.00" in board  # technical scores
    assert "已提交 2" in board

    cheap.refresh_from_db()
    dear.refresh_from_db()
    ranked_second = cheap if cheap.rank == 2 else dear
    response = client.post(url, {"action": "award", "award-bid": ranked_second.pk, "award-reason": ""})
    assert response.status_code == 400
    assert near(response.content.decode(), "排名第 2", "排名第一以外的中标人须说明理由", 200) or \
        "确定排名第一以外的中标人须说明理由" in response.content.decode()
    winner = cheap if cheap.rank == 1 else dear
    assert client.post(url, {"action": "award", "award-bid": winner.pk, "award-reason": ""}).status_code == 302
    project.refresh_from_db()
    assert project.status == P.AWARDED and project.winning_bid_id == winner.pk


def test_withdrawing_a_silent_review_needs_a_reason_and_then_takes_it_back(client):
    buyer = purchaser()
    officer = officer_for(buyer.region)
    project = make_project(officer=officer, buyer=buyer)
    bid(project, price="250000"), bid(project, price="260000")
    close_window(project)
    procurement.open_bids(project, acting_user=officer)
    silent = reviewer_user("沉默专家")
    procurement.assign_bid_reviewers(project, [silent], acting_user=officer)
    review = BidReview.objects.filter(reviewer=silent).first()
    client.force_login(officer)
    url = inspect("procurement_projects", project)
    response = client.post(url, {"action": "withdraw", "withdraw-review": review.pk, "withdraw-reason": ""})
    assert response.status_code == 400 and "请填写撤回理由" in response.content.decode()
    response = client.post(url, {"action": "withdraw", "withdraw-review": review.pk, "withdraw-reason": "联系不上"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == BidReview.Status.WITHDRAWN


def test_failing_and_cancelling_need_a_reason(client):
    buyer = purchaser()
    officer = officer_for(buyer.region)
    project = make_project(officer=officer, buyer=buyer)
    client.force_login(officer)
    url = inspect("procurement_projects", project)
    response = client.post(url, {"action": "cancel", "cancel-reason": ""})
    assert response.status_code == 400 and "请填写取消理由" in response.content.decode()
    assert client.post(url, {"action": "cancel", "cancel-reason": "预算调整"}).status_code == 302
    project.refresh_from_db()
    assert project.status == P.CANCELLED

    other = make_project(officer=officer, buyer=buyer)
    bid(other, price="250000"), bid(other, price="260000")
    close_window(other)
    procurement.open_bids(other, acting_user=officer)
    response = client.post(inspect("procurement_projects", other), {"action": "fail", "fail-reason": "投标均不响应需求"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.status == P.FAILED


# --- contracts -----------------------------------------------------------------------------------------------
def test_an_officer_drafts_a_contract_is_refused_by_the_field_art_23_and_24_concern_and_signs_it(client):
    project, _bids, officer = awarded()
    client.force_login(officer)
    response = client.post(inspect("procurement_projects", project), {"action": "contract"})
    contract = Contract.objects.get(project=project)
    edit = reverse("procurement_contracts:edit", args=[contract.pk])
    assert response.status_code == 302 and response.url == edit
    page = client.get(edit).content.decode()
    assert near(page, 'id="id_terms-liability"', "合同须载明“违约责任”")

    response = client.post(edit, contract_post(contract, liability=""))
    page = response.content.decode()
    assert response.status_code == 400
    assert near(page, 'id="term-liability"', "财政部令第102号第二十三条：合同须载明“违约责任”，该项不能为空。")
    assert "合同已保存，但尚不能签订" in page
    assert "乙方按方案提供服务" in page  # what was typed is kept
    contract.refresh_from_db()
    assert contract.status == Contract.Status.DRAFT

    response = client.post(edit, contract_post(contract, months=24))
    page = response.content.decode()
    assert response.status_code == 400
    assert near(page, 'id="term-ends_on"', "财政部令第102号第二十四条：合同期限一般不超过 1 年")

    short = contract_form(contract)["milestones"][:2]
    response = client.post(edit, contract_post(contract, milestones=short))
    page = response.content.decode()
    assert response.status_code == 400
    assert near(page, 'id="milestones-errors"', "与合同价格 ¥250,000.00 不一致", 400)

    response = client.post(edit, contract_post(contract))
    assert response.status_code == 302, re.findall(r'error-message">\s*([^<]+)', response.content.decode())
    assert response.url == inspect("procurement_contracts", contract)
    contract.refresh_from_db()
    project.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE and contract.signed_on == timezone.localdate()
    assert project.status == P.CONTRACTED
    assert list(contract.milestones.values_list("final", flat=True)) == [False, False, True]
    assert client.get(edit).status_code == 404  # a signed contract changes only by amendment


def test_saving_a_draft_keeps_incomplete_terms_and_names_what_signing_still_needs(client):
    project, _bids, officer = awarded()
    contract = procurement.draft_contract(project, acting_user=officer)
    client.force_login(officer)
    edit = reverse("procurement_contracts:edit", args=[contract.pk])
    response = client.post(edit, contract_post(contract, action="save", quality=""), follow=True)
    page = response.content.decode()
    contract.refresh_from_db()
    assert contract.status == Contract.Status.DRAFT and contract.liability
    assert near(page, 'id="term-quality"', "合同须载明“服务质量”")
    assert contract.milestones.count() == 3 and contract.deliverables.count() == 2
    page = client.get(inspect("procurement_contracts", contract)).content.decode()
    assert "签订前还需完善" in page and "合同须载明“服务质量”" in page and edit in page


def test_a_milestone_is_confirmed_and_a_payment_beyond_the_contract_value_is_refused_with_the_rule(client):
    contract, officer = signed()
    client.force_login(officer)
    url = inspect("procurement_contracts", contract)
    milestone = first_milestone(contract)
    assert client.post(url, {"action": "confirm", "confirm-milestone": milestone.pk, "confirm-reason": ""}).status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.CONFIRMED

    page = client.get(url).content.decode()
    assert f'value="{milestone.amount}"' in page  # the amount defaults to what the milestone releases
    too_much = contract.value + 1
    response = client.post(url, {"action": "pay", "pay-milestone": milestone.pk, "pay-paid_on": timezone.localdate(),
                                 "pay-voucher": "GK001", "pay-amount": str(too_much)})
    page = response.content.decode()
    assert response.status_code == 400
    assert near(page, 'id="id_pay-amount"', "合同支付不得超过合同价格") or "合同支付不得超过合同价格" in page
    assert "将超过合同价格 ¥250,000.00" in page

    response = client.post(url, {"action": "pay", "pay-milestone": milestone.pk, "pay-paid_on": timezone.localdate(),
                                 "pay-voucher": "GK001", "pay-amount": ""})
    assert response.status_code == 302
    milestone.refresh_from_db()
    contract.refresh_from_db()
    assert milestone.status == Milestone.Status.PAID and contract.paid_total == milestone.amount


def test_a_milestone_is_returned_with_a_reason_and_matching_funds_are_recorded(client):
    contract, officer = signed()
    milestone = first_milestone(contract)
    member = contract.organization.memberships.first().user
    procurement.submit_milestone(milestone, acting_user=member, report="已完成第一阶段服务。")
    client.force_login(officer)
    url = inspect("procurement_contracts", contract)
    response = client.post(url, {"action": "return", "return-milestone": milestone.pk, "return-reason": "缺少签到表"})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.PENDING

    response = client.post(url, {"action": "matching", "matching-source": "donation", "matching-funder": "爱心企业",
                                 "matching-amount": "30000", "matching-received_on": timezone.localdate()})
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.matching_total == Decimal("30000")


def test_an_amendment_changes_unpaid_milestone_amounts_with_the_value_and_is_recorded(client):
    contract, officer = signed()
    client.force_login(officer)
    url = inspect("procurement_contracts", contract)
    last = contract.milestones.order_by("-sequence").first()
    data = {"action": "amend", "amend-reason": "服务人数调减", "amend-value": "240000"}
    for milestone in contract.milestones.all():
        amount = milestone.amount - 10000 if milestone.pk == last.pk else milestone.amount
        data[f"amend-milestone_{milestone.pk}"] = str(amount)
    for name in ("service_content", "quantity", "quality", "settlement", "rights_obligations", "liability"):
        data[f"amend-{name}"] = getattr(contract, name)
    data["amend-ends_on"] = contract.ends_on.isoformat()
    response = client.post(url, {**data, "amend-value": "230000"})
    assert response.status_code == 400 and "与合同价格 ¥230,000.00 不一致" in response.content.decode()
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    contract.refresh_from_db()
    assert contract.value == Decimal("240000") and contract.amendments.count() == 1
    assert set(contract.amendments.get().changes) == {"value", f"milestone_{last.sequence}"}


def test_the_evaluation_is_started_scored_and_finished_from_the_contract_page(client):
    contract, officer = signed()
    client.force_login(officer)
    url = inspect("procurement_contracts", contract)
    assert client.post(url, {"action": "evaluate", "evaluate-third_party": "", "evaluate-survey_days": "14"}).status_code == 302
    evaluation = PerformanceEvaluation.objects.get(contract=contract)
    page = client.get(url).content.decode()
    assert reverse("grants:survey", args=[evaluation.survey_token]) in page
    assert reverse("grants:survey_poster", args=[evaluation.survey_token]) in page

    scored = evaluation.indicators.exclude(dimension=Indicator.Dimension.SATISFACTION)
    data = {"action": "score", "score-assessor": "purchaser"}
    for indicator in scored:
        data[f"score-score_{indicator.pk}"] = str(indicator.weight + 1)
        data[f"score-note_{indicator.pk}"] = ""
    response = client.post(url, data)
    assert response.status_code == 400 and "得分不能超过该指标分值" in response.content.decode()
    for indicator in scored:
        data[f"score-score_{indicator.pk}"] = str(indicator.weight)
    assert client.post(url, data).status_code == 302

    response = client.post(url, {"action": "finish"}, follow=True)
    assert "满意度调查尚无答卷" in response.content.decode()
    answer(evaluation, "13800138000", 5)
    assert client.post(url, {"action": "finish"}).status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.status == PerformanceEvaluation.Status.FINISHED
    assert evaluation.final_score == Decimal("100.00") and evaluation.grade == PerformanceEvaluation.Grade.EXCELLENT


def test_terminating_a_contract_needs_a_reason(client):
    contract, officer = signed()
    client.force_login(officer)
    url = inspect("procurement_contracts", contract)
    response = client.post(url, {"action": "terminate", "terminate-reason": ""})
    assert response.status_code == 400 and "请填写终止理由" in response.content.decode()
    assert client.post(url, {"action": "terminate", "terminate-reason": "乙方严重违约"}).status_code == 302
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED


# --- scope -----------------------------------------------------------------------------------------------------
def test_an_officer_of_another_district_gets_404_on_the_project_and_contract_pages_and_actions(client, officer_nanming):
    contract, officer = signed()
    planned = make_project(officer=officer, announce=False)
    draft_project, _bids, _officer = awarded(officer)
    draft = procurement.draft_contract(draft_project, acting_user=officer)
    document = procurement.attach_project_document(planned, pdf(), acting_user=officer, title="采购文件")
    client.force_login(officer_nanming)
    urls = [inspect("procurement_projects", contract.project), inspect("procurement_projects", planned),
            reverse("procurement_projects:edit", args=[planned.pk]), inspect("procurement_contracts", contract),
            reverse("procurement_contracts:edit", args=[draft.pk]),
            reverse("procurement_projects:document", args=[document.pk]),
            reverse("procurement_projects:export") + f"?what=bids&project={contract.project_id}"]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(inspect("procurement_projects", planned), {"action": "announce"}).status_code == 404
    assert client.post(inspect("procurement_projects", planned),
                       {"action": "cancel", "cancel-reason": "越权"}).status_code == 404
    assert client.post(inspect("procurement_contracts", contract),
                       {"action": "terminate", "terminate-reason": "越权"}).status_code == 404
    assert client.post(reverse("procurement_contracts:edit", args=[draft.pk]),
                       contract_post(draft)).status_code == 404
    planned.refresh_from_db()
    contract.refresh_from_db()
    assert planned.status == P.PLANNED and contract.status == Contract.Status.ACTIVE


def test_an_officer_sees_only_projects_and_contracts_of_their_jurisdiction(client, officer_nanming, nanming):
    contract, _officer = signed()
    own = make_project(officer=officer_nanming, buyer=purchaser(nanming, name="南明区民政局"), title="南明区助残服务项目",
                       announce=False)
    client.force_login(officer_nanming)
    page = client.get(reverse("procurement_projects:index")).content.decode()
    assert own.number in page and contract.project.number not in page
    page = client.get(reverse("procurement_contracts:index")).content.decode()
    assert contract.number not in page
    page = client.get(reverse("procurement_purchasers:index")).content.decode()
    assert "南明区民政局" in page and "观山湖区民政局" not in page


def test_officers_read_the_catalogue_and_only_a_superuser_changes_it(client, officer_nanming, admin_user):
    item = category()
    client.force_login(officer_nanming)
    assert client.get(reverse("procurement_categories:index")).status_code == 200
    assert client.get(reverse("procurement_categories:add")).status_code == 302
    assert client.get(reverse("procurement_categories:edit", args=[item.pk])).status_code == 302
    client.force_login(admin_user)
    response = client.post(reverse("procurement_categories:add"),
                           {"code": "B05", "name": "社区文体", "description": "", "sort_order": "5", "active": "on"})
    assert response.status_code == 302
    assert ServiceCategory.objects.filter(code="B05").exists()


def test_an_officer_adds_a_purchaser_only_within_their_jurisdiction(client, officer_nanming, nanming, yunyan):
    client.force_login(officer_nanming)
    data = {"name": "南明区民政局", "kind": "department", "region": nanming.pk, "credit_code": "", "address": "",
            "contact_name": "张科长", "contact_phone": "0851-85000000"}
    response = client.post(reverse("procurement_purchasers:add"), {**data, "region": yunyan.pk})
    assert response.status_code == 200 and "只能选择本人辖区内的区划" in response.content.decode()
    assert client.post(reverse("procurement_purchasers:add"), data).status_code == 302


def test_the_admin_menu_holds_the_procurement_group_with_its_four_items(client, officer_nanming):
    client.force_login(officer_nanming)
    page = client.get(reverse("wagtailadmin_home")).content.decode().encode().decode("unicode_escape")
    assert "政府购买服务" in page
    for url in ("procurement_projects:index", "procurement_contracts:index", "procurement_purchasers:index",
                "procurement_categories:index"):
        assert reverse(url) in page


# --- odd input (a tester's probe) -----------------------------------------------------------------------------
def test_a_reviewer_id_too_large_for_the_database_is_an_invalid_choice_not_a_server_error(client):
    officer = officer_for(purchaser().region)
    project = make_project(officer=officer)
    bid(project), bid(project, price="260000")
    close_window(project)
    procurement.open_bids(project, acting_user=officer)
    client.force_login(officer)
    response = client.post(inspect("procurement_projects", project),
                           {"action": "assign", "assign-reviewers": ["99999999999999999999"]})
    assert response.status_code == 400
    assert "所选用户不能担任本项目的评审专家" in response.content.decode()
    assert not BidReview.objects.exists()


def test_an_edited_rubric_row_with_a_broken_id_is_a_new_row_and_the_total_still_counts(client):
    buyer = purchaser()
    officer = officer_for(buyer.region)
    project = make_project(officer=officer, buyer=buyer, announce=False)  # 服务方案 40, 团队与资质 30, 以往业绩 30
    client.force_login(officer)
    first, second, _third = project.criteria.all()
    data = project_form(buyer, criteria=((60, "甲"), (40, "乙")))
    data.update({"criteria-INITIAL_FORMS": "2", "criteria-0-id": "abc", "criteria-1-id": str(second.pk)})
    response = client.post(reverse("procurement_projects:edit", args=[project.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200
    # 以往业绩 (30) was not sent back and stays, 服务方案 (40) too since "abc" is no id: 40 + 30 + 60 + 40
    assert "技术评分项分值合计须为 100 分，目前合计 170 分" in page
    assert [(c.name, c.weight) for c in project.criteria.all()] == [("服务方案", 40), ("团队与资质", 30), ("以往业绩", 30)]
    assert first.pk


def test_a_zero_payment_of_a_milestone_that_releases_money_is_refused_by_the_amount(client):
    contract, officer = signed()
    milestone = first_milestone(contract)
    procurement.confirm_milestone(milestone, acting_user=officer)
    client.force_login(officer)
    response = client.post(inspect("procurement_contracts", contract), {
        "action": "pay", "pay-milestone": milestone.pk, "pay-paid_on": timezone.localdate(), "pay-voucher": "GK0",
        "pay-amount": "0"})
    assert response.status_code == 400
    page = response.content.decode()
    field = page.index('id="id_pay-amount"')  # Wagtail puts a field's errors just above its input
    assert 0 < field - page.rfind("支付金额须大于 0（尾款按绩效评价等级不予支付的除外）", 0, field) < 1000
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.CONFIRMED and not contract.payments.exists()
