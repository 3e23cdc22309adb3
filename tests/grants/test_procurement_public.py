"""The public face of 政府购买服务 through HTTP: the announcements list and its filters, the announcement page that
keeps bids sealed until the deadline, the award and contract announcements, documents only under their own
project, the satisfaction survey with its errors by the field, the QR poster, the profile section, and fixed
query counts whatever the number of projects, criteria, documents, deliverables or milestones."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core import sms
from grants import procurement
from grants.models import Contract, PerformanceEvaluation, ProcurementProject, SatisfactionResponse
from grants.profile import procurement_section
from tests.factories import district

from .procurement_helpers import (
    answer,
    awarded,
    bid,
    category,
    contract_form,
    make_project,
    officer_for,
    opened,
    pdf,
    purchaser,
    score_all,
    signed,
)

pytestmark = pytest.mark.django_db
P = ProcurementProject.Status
PHONE = "13900000001"


def finished(contract, officer, *, ratings=(5, 4)) -> PerformanceEvaluation:
    """The contract's performance evaluation, scored by the purchaser at 90 % and answered by the served."""
    evaluation = procurement.start_evaluation(contract, acting_user=officer)
    scores = {i.pk: (str(Decimal(i.weight) * Decimal("0.9")), "达到目标")
              for i in evaluation.indicators.exclude(dimension="satisfaction")}
    procurement.score_indicators(evaluation, acting_user=officer, assessor="purchaser", scores=scores)
    for index, rating in enumerate(ratings):
        answer(evaluation, f"1390000010{index}", rating)
    return procurement.finish_evaluation(evaluation, acting_user=officer)


def survey_url(evaluation) -> str:
    return reverse("grants:survey", args=[evaluation.survey_token])


def last_code() -> str:
    return sms.outbox[-1][1].split("验证码为 ")[1][:6]


# --- the announcements list ----------------------------------------------------------------------------------
def test_the_list_shows_announced_projects_and_hides_planned_ones(client):
    make_project(title="社区居家养老服务项目")
    planned = make_project(title="尚未公告的助残项目", announce=False)
    response = client.get(reverse("grants:procurements"))
    assert response.status_code == 200
    text = response.text
    assert "社区居家养老服务项目" in text and "观山湖区民政局" in text and "竞争性磋商" in text and "30万元" in text
    assert "投标中" in text and "data-closes=" in text
    assert "尚未公告的助残项目" not in text
    assert client.get(reverse("grants:procurement", args=[planned.pk])).status_code == 404


def test_a_project_cancelled_before_it_was_announced_stays_hidden(client):
    planned = make_project(title="取消的计划项目", announce=False)
    procurement.cancel_project(planned, acting_user=officer_for(planned.region), reason="预算调整")
    assert "取消的计划项目" not in client.get(reverse("grants:procurements")).text
    assert client.get(reverse("grants:procurement", args=[planned.pk])).status_code == 404


def test_the_list_filters_by_status_category_and_district(client):
    make_project(title="观山湖养老项目")
    make_project(title="南明禁毒项目", buyer=purchaser(district("520102"), name="南明区民政局"),
                 category=category("T10", "禁毒"))
    failed = make_project(title="流标的项目")
    opened(failed, officer_for(failed.region))  # no bids: 流标
    url = reverse("grants:procurements")
    by_district = client.get(url, {"district": "520102"}).text
    assert "南明禁毒项目" in by_district and "观山湖养老项目" not in by_district
    by_category = client.get(url, {"category": "T10"}).text
    assert "南明禁毒项目" in by_category and "观山湖养老项目" not in by_category
    by_status = client.get(url, {"status": P.FAILED}).text
    assert "流标的项目" in by_status and "观山湖养老项目" not in by_status and "南明禁毒项目" not in by_status
    by_words = client.get(url, {"q": "养老"}).text
    assert "观山湖养老项目" in by_words and "南明禁毒项目" not in by_words
    assert client.get(url, {"status": "planned"}).status_code == 200  # not a public status: ignored, never a 500


# --- the announcement ----------------------------------------------------------------------------------------
def test_the_announcement_explains_the_purchase_and_hides_bids_before_the_deadline(client):
    project = make_project(min_grade="good", eligible_kinds=["community", "service_institution"])
    sealed_bid = bid(project, price="234567")
    text = client.get(reverse("grants:procurement", args=[project.pk])).text
    assert "观山湖区民政局" in text and "T09 养老助残" in text and "¥300,000.00" in text
    assert "2026年区民政局部门预算·社会福利·养老服务" in text and "合同签订之日起 12 个月" in text
    assert "社区社会组织" in text and "严重违法失信名单" in text and "“良好”及以上" in text
    assert "价格分 × 30% + 技术分 × 70%" in text and "服务方案" in text and "40 分" in text
    assert "距投标截止还有" in text and "data-closes=" in text
    assert sealed_bid.organization.name not in text and "234,567" not in text and "一律保密" in text
    assert "共收到" not in text


def test_after_the_deadline_the_announcement_shows_the_number_of_bids_but_no_prices(client):
    project = make_project()
    first, second = bid(project, price="234567"), bid(project, price="250000")
    opened(project, officer_for(project.region))
    text = client.get(reverse("grants:procurement", args=[project.pk])).text
    assert "共收到 2 份投标" in text and "有效投标 2 份" in text
    assert "234,567" not in text and first.organization.name not in text and second.organization.name not in text
    assert reverse("grants:procurement_award", args=[project.pk]) not in text
    assert client.get(reverse("grants:procurement_award", args=[project.pk])).status_code == 404


def test_documents_are_listed_with_their_hash_and_served_only_under_their_own_project(client):
    project = make_project(announce=False)
    other = make_project(announce=False, title="另一个项目")
    officer = officer_for(project.region)
    document = procurement.attach_project_document(project, pdf("采购文件.pdf"), acting_user=officer, title="竞争性磋商文件")
    foreign = procurement.attach_project_document(other, pdf("其他.pdf"), acting_user=officer, title="其他文件")
    url = reverse("grants:procurement_document", args=[project.pk, document.pk])
    assert client.get(url).status_code == 404  # planned: not public yet
    procurement.announce(project, acting_user=officer)
    text = client.get(reverse("grants:procurement", args=[project.pk])).text
    assert "竞争性磋商文件" in text and document.sha256 in text and url in text
    response = client.get(url)
    assert response.status_code == 200 and response["X-Content-SHA256"] == document.sha256
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    procurement.announce(other, acting_user=officer)
    assert client.get(reverse("grants:procurement_document", args=[project.pk, foreign.pk])).status_code == 404


# --- the award -----------------------------------------------------------------------------------------------
def test_the_award_announcement_ranks_every_valid_bid_without_naming_reviewers(client):
    project, bids, _officer = awarded()
    project.refresh_from_db()
    winner = project.winning_bid
    response = client.get(reverse("grants:procurement_award", args=[project.pk]))
    assert response.status_code == 200
    text = response.text
    assert "中标结果公告" in text and winner.organization.name in text and "¥250,000.00" in text
    for item in bids:
        item.refresh_from_db()
        assert item.organization.name in text and str(item.total_score) in text and str(item.price_score) in text
    assert text.index(bids[0].organization.name) < text.index(bids[1].organization.name)
    assert "评审专家甲" not in text and "评审专家乙" not in text and "评审专家 2 人" in text
    assert "@media print" in text
    page = client.get(reverse("grants:procurement", args=[project.pk])).text
    assert reverse("grants:procurement_award", args=[project.pk]) in page and winner.organization.name in page


def test_an_award_to_other_than_the_first_ranked_publishes_the_reason(client):
    project = make_project()
    officer = officer_for(project.region)
    cheap, dear = bid(project, price="200000"), bid(project, price="250000")
    opened(project, officer)
    score_all(project, officer, marks={cheap.pk: 0.9, dear.pk: 0.6})
    dear.refresh_from_db()
    procurement.award_bid(project, dear, acting_user=officer, reason="第一名放弃中标资格")
    text = client.get(reverse("grants:procurement_award", args=[project.pk])).text
    assert "第一名放弃中标资格" in text and "排名第 2" in text


# --- the contract --------------------------------------------------------------------------------------------
def test_the_contract_announcement_shows_every_article_23_term_and_the_schedule(client):
    contract, officer = signed()
    procurement.amend_contract(contract, acting_user=officer, reason="服务对象增加",
                               changes={"quantity": "服务 350 名老人。"})
    text = client.get(reverse("grants:contract", args=[contract.pk])).text
    for _field, label in Contract.ARTICLE_23:
        assert label in text
    assert "上门探访、助餐配送、健康监测。" in text and "乙方未按约定提供服务的" in text and "¥250,000.00" in text
    assert contract.organization.name in text and "观山湖区民政局" in text
    assert "服务老人" in text and "300 人" in text and "合同签订" in text and "绩效评价后尾款" in text
    assert "服务对象增加" in text and "服务 350 名老人。" in text and "服务数量" in text
    assert "合同履行结束后开展绩效评价" in text
    project_page = client.get(reverse("grants:procurement", args=[contract.project_id])).text
    assert reverse("grants:contract", args=[contract.pk]) in project_page


def test_the_contract_announcement_shows_the_evaluation_once_finished_and_no_evidence(client):
    contract, officer = signed()
    member = contract.organization.memberships.first().user
    procurement.log_delivery(contract.deliverables.get(kind="people"), acting_user=member, quantity=120,
                             delivered_on=timezone.localdate(), description="第一季度上门服务", upload=pdf("签到表.pdf"))
    evaluation = finished(contract, officer)
    text = client.get(reverse("grants:contract", args=[contract.pk])).text
    assert str(evaluation.final_score) in text and evaluation.get_grade_display() in text and "2 份答卷" in text
    assert "120 人" in text and "签到表.pdf" not in text and "delivery-evidence" not in text


def test_a_draft_contract_is_not_public(client):
    project, _bids, officer = awarded()
    contract = procurement.draft_contract(project, acting_user=officer)
    assert client.get(reverse("grants:contract", args=[contract.pk])).status_code == 404


# --- the survey ----------------------------------------------------------------------------------------------
@pytest.fixture
def evaluation():
    contract, officer = signed()
    return procurement.start_evaluation(contract, acting_user=officer)


def test_the_survey_sends_a_code_and_records_one_answer(client, evaluation):
    url = survey_url(evaluation)
    page = client.get(url)
    assert page.status_code == 200 and evaluation.contract.title in page.text and "获取验证码" in page.text
    assert "非常不满意" in page.text and "非常满意" in page.text
    sms.outbox.clear()
    sent = client.post(url, {"action": "code", "phone": PHONE, "comment": "很好"})
    assert sent.status_code == 200 and "验证码已发送至 139****0001" in sent.text
    assert sms.outbox[-1][0] == PHONE and f'value="{PHONE}"' in sent.text and "很好" in sent.text
    done = client.post(url, {"action": "answer", "phone": PHONE, "code": last_code(), "rating": "5", "comment": "很好"})
    assert done.status_code == 302
    assert "感谢您的评价" in client.get(done.url).text
    response = SatisfactionResponse.objects.get(evaluation=evaluation)
    assert response.rating == 5 and response.comment == "很好"


def test_a_wrong_code_is_shown_by_the_code_field_with_phone_and_comment_kept(client, evaluation):
    url = survey_url(evaluation)
    client.post(url, {"action": "code", "phone": PHONE})
    response = client.post(url, {"action": "answer", "phone": PHONE, "code": "000000" if last_code() != "000000" else "111111",
                                 "rating": "4", "comment": "希望增加上门次数"})
    assert response.status_code == 400
    text = response.text
    assert 'id="id_code_error"' in text and "验证码不正确。" in text
    assert text.index("验证码不正确。") > text.index('name="code"')
    assert f'value="{PHONE}"' in text and "希望增加上门次数" in text
    assert re.search(r'<input type="radio" name="rating" value="4"[^>]* checked>', text)
    assert not SatisfactionResponse.objects.exists()


def test_missing_answers_and_a_bad_phone_are_shown_by_their_fields(client, evaluation):
    url = survey_url(evaluation)
    bad_phone = client.post(url, {"action": "code", "phone": "12345"})
    assert bad_phone.status_code == 400 and 'id="id_phone_error"' in bad_phone.text and "11 位手机号码" in bad_phone.text
    empty = client.post(url, {"action": "answer", "phone": PHONE, "comment": "留言"})
    assert empty.status_code == 400 and "请填写短信验证码。" in empty.text and "请选择满意程度。" in empty.text
    assert "留言" in empty.text
    assert client.post(url, {"action": "other"}).status_code == 400


def test_a_second_answer_from_the_same_phone_is_refused(client, evaluation):
    answer(evaluation, PHONE, 5)
    response = client.post(survey_url(evaluation), {"action": "code", "phone": PHONE})
    assert response.status_code == 400 and "每个号码只能作答一次" in response.text and 'id="id_phone_error"' in response.text
    assert SatisfactionResponse.objects.count() == 1


def test_asking_for_a_second_code_within_a_minute_is_a_form_error(client, evaluation):
    url = survey_url(evaluation)
    assert client.post(url, {"action": "code", "phone": PHONE}).status_code == 200
    again = client.post(url, {"action": "code", "phone": PHONE})
    assert again.status_code == 400 and "请 1 分钟后再试" in again.text and f'value="{PHONE}"' in again.text


def test_guessing_the_code_stops_after_five_tries(client, evaluation):
    url = survey_url(evaluation)
    client.post(url, {"action": "code", "phone": PHONE})
    code = last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert client.post(url, {"action": "answer", "phone": PHONE, "code": wrong, "rating": "3"}).status_code == 400
    blocked = client.post(url, {"action": "answer", "phone": PHONE, "code": code, "rating": "3"})
    assert blocked.status_code == 400 and "错误次数过多" in blocked.text and 'id="id_code_error"' in blocked.text
    assert not SatisfactionResponse.objects.exists()


def test_a_closed_survey_refuses_answers_and_an_unknown_token_is_404(client, evaluation):
    url = survey_url(evaluation)
    client.post(url, {"action": "code", "phone": PHONE})
    code = last_code()
    PerformanceEvaluation.objects.filter(pk=evaluation.pk).update(
        survey_closes_at=timezone.now() - datetime.timedelta(minutes=1))
    page = client.get(url)
    assert page.status_code == 200 and "调查已结束" in page.text and 'name="phone"' not in page.text
    refused = client.post(url, {"action": "answer", "phone": PHONE, "code": code, "rating": "5"})
    assert refused.status_code == 400 and "调查已结束" in refused.text
    assert not SatisfactionResponse.objects.exists()
    assert client.get(reverse("grants:survey", args=["no-such-token"])).status_code == 404
    assert client.get(reverse("grants:survey_poster", args=["no-such-token"])).status_code == 404


def test_the_poster_carries_a_qr_of_the_absolute_survey_address(client, evaluation):
    response = client.get(reverse("grants:survey_poster", args=[evaluation.survey_token]))
    assert response.status_code == 200
    text = response.text
    assert '<svg class="qr"' in text and f"http://testserver{survey_url(evaluation)}" in text
    assert evaluation.contract.title in text and evaluation.contract.organization.name in text
    assert "获取验证码" in text and "size: A4" in text


# --- the organization profile --------------------------------------------------------------------------------
def test_the_profile_lists_the_signed_contracts_with_the_evaluation_grade(client):
    contract, officer = signed()
    evaluation = finished(contract, officer)
    text = client.get(reverse("orgs:profile", args=[contract.organization_id])).text
    assert "政府购买服务" in text and contract.title in text and reverse("grants:contract", args=[contract.pk]) in text
    assert "观山湖区民政局" in text and "¥250,000.00" in text and evaluation.get_grade_display() in text
    loser = contract.project.bids.exclude(pk=contract.bid_id).get().organization
    assert reverse("grants:contract", args=[contract.pk]) not in client.get(reverse("orgs:profile", args=[loser.pk])).text


# --- query budgets -------------------------------------------------------------------------------------------
def weights(size: int) -> list[int]:
    return [100 // size] * (size - 1) + [100 - 100 // size * (size - 1)]


def contract_of_size(size: int) -> Contract:
    """A signed contract with ``size`` deliverables and ``size`` milestones, amended once."""
    project, _bids, officer = awarded()
    contract = procurement.draft_contract(project, acting_user=officer)
    start = timezone.localdate() - datetime.timedelta(days=30)
    share = (contract.value / size).quantize(Decimal("0.01"))
    amounts = [share] * (size - 1) + [contract.value - share * (size - 1)]
    form = contract_form(contract, milestones=[
        {"title": f"节点{i}", "due_on": start + datetime.timedelta(days=20 * i), "amount": amount}
        for i, amount in enumerate(amounts)])
    form["deliverables"] = [{"kind": "visits", "name": f"指标{i}", "target": 100 + i} for i in range(size)]
    procurement.save_contract(contract, acting_user=officer, **form)
    procurement.sign_contract(contract, acting_user=officer)
    procurement.amend_contract(contract, acting_user=officer, reason="调整", changes={"quality": "满意率不低于 95%。"})
    return contract


@pytest.mark.parametrize("size", [2, 12])
def test_public_pages_run_a_fixed_number_of_queries(client, rf, size, django_assert_max_num_queries,
                                                    django_assert_num_queries):
    criteria = [(f"评分项{i}", weight) for i, weight in enumerate(weights(size))]
    project = make_project(announce=False, criteria=criteria)
    officer = officer_for(project.region)
    for i in range(size):
        procurement.attach_project_document(project, pdf(f"文件{i}.pdf"), acting_user=officer, title=f"文件{i}")
        make_project(title=f"其他项目{i}")
    procurement.announce(project, acting_user=officer)
    for _ in range(2):
        bid(project)
    opened(project, officer)
    contract = contract_of_size(size)
    assert client.get(reverse("grants:procurements")).status_code == 200  # the first request creates the site settings
    for url in (reverse("grants:procurements"), reverse("grants:procurement", args=[project.pk]),
                reverse("grants:procurement", args=[contract.project_id]),
                reverse("grants:procurement_award", args=[contract.project_id]),
                reverse("grants:contract", args=[contract.pk])):
        with django_assert_max_num_queries(8):
            response = client.get(url)
        assert response.status_code == 200
    assert f"指标{size - 1}" in response.text and f"节点{size - 1}" in response.text
    with django_assert_num_queries(1):
        section = procurement_section(rf.get("/"), contract.organization)
    assert contract.title in section
