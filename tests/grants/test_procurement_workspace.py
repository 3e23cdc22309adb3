"""The organization's procurement pages through HTTP: the list of open projects with the eligibility verdict, the
bid form (submit, revise, withdraw; the deadline checked when the form arrives, not when it was opened; errors by
the field with the input kept), private downloads, the contract page (delivery logs with evidence, milestone
reports, matching funds, the evaluation's survey links) and 404 for everything of another organization."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from grants import procurement
from grants.models import Bid, BidDocument, Contract, DeliveryLog, MatchingFund, Milestone
from tests.factories import MembershipFactory

from .procurement_helpers import (
    bid,
    bidder,
    close_window,
    contract_form,
    first_milestone,
    make_project,
    member_of,
    officer_for,
    opened,
    pdf,
    purchaser,
    score_all,
    signed,
)

pytestmark = pytest.mark.django_db


def bid_url(project, organization):
    return reverse("grants:bid", kwargs={"pk": project.pk, "org_pk": organization.pk})


def contract_url(contract):
    return reverse("grants:contract_workspace", args=[contract.pk])


@pytest.fixture
def project(db):
    return make_project(title="社区居家养老服务项目", budget="300000")


@pytest.fixture
def member(db):
    """An organization with one member, signed in by the tests that need it."""
    organization, user = bidder(name="观山湖区乐龄社工服务中心")
    return organization, user


@pytest.fixture
def contract(db):
    contract, _officer = signed()
    return contract


def won(organization, officer, *, title):
    """A project ``organization`` bids on at the lower price, wins and signs (the other bidder is someone else)."""
    project = make_project(officer=officer, buyer=purchaser(), title=title)
    bid(project, organization, price="250000")
    bid(project, price="280000")
    opened(project, officer)
    score_all(project, officer)
    procurement.award_bid(project, procurement.ranking(project).first(), acting_user=officer)
    contract = procurement.draft_contract(project, acting_user=officer)
    procurement.save_contract(contract, acting_user=officer, **contract_form(contract))
    return procurement.sign_contract(contract, acting_user=officer)


# --- the list -----------------------------------------------------------------------------------------------
def test_the_workspace_lists_open_projects_with_the_verdict_and_a_bid_button(client, project, member):
    organization, user = member
    client.force_login(user)
    response = client.get(reverse("grants:procurement_workspace"))
    text = response.text
    assert response.status_code == 200
    assert "观山湖区乐龄社工服务中心" in text and "社区居家养老服务项目" in text and "data-closes=" in text
    assert "组织状态" in text and bid_url(project, organization) in text and ">投标</a>" in text


def test_after_bidding_the_list_shows_the_bid_and_offers_to_revise_it(client, project, member):
    organization, user = member
    bid(project, organization, user, price="250000")
    client.force_login(user)
    text = client.get(reverse("grants:procurement_workspace")).text
    assert "修改投标" in text and "¥250,000.00" in text and "已投标" in text and "已公告" in text


def test_an_ineligible_organization_sees_the_failing_rule_before_bidding(client, member):
    organization, user = member
    project = make_project(title="社区社会组织专项", eligible_kinds=["community"])
    client.force_login(user)
    text = client.get(reverse("grants:procurement_workspace")).text
    assert "暂不符合投标资格" in text and "组织类型" in text and "本项目面向社区社会组织" in text
    assert f'href="{bid_url(project, organization)}"' not in text
    page = client.get(bid_url(project, organization)).text
    assert "暂不符合本项目的投标资格" in page and 'name="price"' not in page


def test_the_workspace_shows_a_won_bid_and_its_contract_with_a_link(client, contract):
    user = member_of(contract.organization)
    client.force_login(user)
    text = client.get(reverse("grants:procurement_workspace")).text
    assert "中标" in text and contract.number in text and contract_url(contract) in text and "履行中" in text


@pytest.mark.parametrize("size", [2, 6])
def test_the_workspace_list_runs_a_bounded_number_of_queries(client, member, size, django_assert_max_num_queries):
    organization, user = member
    buyer = purchaser()
    officer = None
    for i in range(size):
        project = make_project(buyer=buyer, title=f"开放项目{i}")
        bid(project, organization, user, price="200000")
        officer = officer or project.created_by
    for i in range(size):
        won(organization, officer, title=f"已签约项目{i}")
    client.force_login(user)
    client.get(reverse("grants:procurement_workspace"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("grants:procurement_workspace"))
    text = response.text
    assert f"开放项目{size - 1}" in text and f"已签约项目{size - 1}服务合同" in text
    assert text.count("修改投标") == size


def test_the_workspace_needs_a_login(client):
    response = client.get(reverse("grants:procurement_workspace"))
    assert response.status_code == 302 and "login" in response.url


# --- the bid ------------------------------------------------------------------------------------------------
def test_a_member_bids_and_revises_through_the_form(client, project, member):
    organization, user = member
    client.force_login(user)
    page = client.get(bid_url(project, organization))
    assert page.status_code == 200 and "采购预算 ¥300,000.00" in page.text and "data-closes=" in page.text
    response = client.post(bid_url(project, organization),
                           {"price": "260000", "proposal": "配备 6 名专职社工。", "files": [pdf("服务方案.pdf")]})
    assert response.status_code == 302
    saved = Bid.objects.get(project=project, organization=organization)
    assert saved.price == Decimal("260000") and saved.revisions == 0 and saved.documents.count() == 1
    response = client.post(bid_url(project, organization), {"price": "240000", "proposal": "配备 8 名专职社工。"},
                           follow=True)
    assert "投标已修改（第 1 次修改）" in response.text
    saved.refresh_from_db()
    assert saved.price == Decimal("240000") and saved.proposal == "配备 8 名专职社工。" and saved.revisions == 1
    assert Bid.objects.filter(project=project).count() == 1
    assert "¥240,000.00" in response.text and "服务方案.pdf" in response.text and "保存修改" in response.text


def test_a_bid_form_opened_before_the_deadline_and_posted_one_second_after_is_refused(client, project, member):
    organization, user = member
    client.force_login(user)
    assert 'name="price"' in client.get(bid_url(project, organization)).text
    close_window(project)
    response = client.post(bid_url(project, organization), {"price": "250000", "proposal": "迟到的方案。"})
    assert response.status_code == 400
    assert "截止后提交的投标不予受理" in response.text
    assert "迟到的方案。" in response.text  # shown back, not lost
    assert not Bid.objects.filter(project=project).exists()
    assert not BidDocument.objects.exists()


def test_a_price_above_the_budget_is_shown_next_to_the_price_with_the_proposal_kept(client, project, member):
    organization, user = member
    client.force_login(user)
    response = client.post(bid_url(project, organization), {"price": "350000", "proposal": "详细的服务方案。"})
    assert response.status_code == 400
    assert 'id="id_price_error"' in response.text and "超过采购预算 ¥300,000.00" in response.text
    assert "详细的服务方案。" in response.text and 'value="350000"' in response.text
    assert not Bid.objects.exists()


def test_a_file_that_is_not_a_pdf_or_image_is_refused_next_to_the_files(client, project, member):
    organization, user = member
    client.force_login(user)
    fake = SimpleUploadedFile("方案.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(bid_url(project, organization), {"price": "250000", "proposal": "方案。", "files": [fake]})
    assert response.status_code == 400 and 'id="id_files_error"' in response.text and "不是 PDF" in response.text
    assert not Bid.objects.exists()


def test_a_bid_is_withdrawn_with_the_button(client, project, member):
    organization, user = member
    bid(project, organization, user)
    client.force_login(user)
    assert "撤回投标" in client.get(bid_url(project, organization)).text
    response = client.post(bid_url(project, organization), {"action": "withdraw"})
    assert response.status_code == 302
    assert Bid.objects.get(project=project).status == Bid.Status.WITHDRAWN


def test_another_organizations_id_is_404(client, project, member):
    _organization, user = member
    other, other_user = bidder(name="别家组织")
    other_bid = bid(project, other, other_user)
    document = procurement.save_bid(project, other, acting_user=other_user, price="250000", proposal="方案",
                                    uploads=[pdf()]).documents.get()
    client.force_login(user)
    assert client.get(bid_url(project, other)).status_code == 404
    response = client.post(bid_url(project, other), {"price": "1", "proposal": "冒名"})
    assert response.status_code == 404
    other_bid.refresh_from_db()
    assert other_bid.proposal == "方案" and other_bid.price == Decimal("250000")
    assert client.get(reverse("grants:bid_document", args=[document.pk])).status_code == 404
    client.force_login(other_user)
    download = client.get(reverse("grants:bid_document", args=[document.pk]))
    assert download.status_code == 200 and download["X-Content-SHA256"] == document.sha256


def test_a_planned_project_has_no_bid_page(client, member):
    organization, user = member
    project = make_project(announce=False)
    client.force_login(user)
    assert client.get(bid_url(project, organization)).status_code == 404


# --- the contract -------------------------------------------------------------------------------------------
def delivery_data(deliverable, **overrides):
    return {"action": "delivery", "deliverable": deliverable.pk, "quantity": "40",
            "delivered_on": timezone.localdate().isoformat(), "description": "在观山湖区第一社区上门探访 40 位老人。",
            "evidence": pdf("签到表.pdf"), **overrides}


def test_the_contract_page_logs_a_delivery_with_evidence_and_the_total_rises(client, contract):
    user = member_of(contract.organization)
    deliverable = contract.deliverables.get(kind="people")
    client.force_login(user)
    page = client.get(contract_url(contract))
    assert page.status_code == 200 and "服务老人" in page.text and "已完成 0 / 300 人" in page.text
    response = client.post(contract_url(contract), delivery_data(deliverable), follow=True)
    assert response.status_code == 200
    deliverable.refresh_from_db()
    contract.refresh_from_db()
    assert deliverable.delivered == 40 and contract.people_reached == 40
    log = DeliveryLog.objects.get(deliverable=deliverable)
    assert "已完成 40 / 300 人" in response.text
    assert reverse("grants:delivery_evidence", args=[log.pk]) in response.text and "签到表.pdf" in response.text
    evidence = client.get(reverse("grants:delivery_evidence", args=[log.pk]))
    assert evidence.status_code == 200 and evidence["X-Content-SHA256"] == log.sha256


def test_a_delivery_without_evidence_gets_the_error_next_to_the_field(client, contract):
    user = member_of(contract.organization)
    deliverable = contract.deliverables.get(kind="people")
    client.force_login(user)
    data = delivery_data(deliverable)
    del data["evidence"]
    response = client.post(contract_url(contract), data)
    assert response.status_code == 400
    assert 'id="id_evidence_error"' in response.text and "请上传佐证材料" in response.text
    assert "在观山湖区第一社区上门探访 40 位老人。" in response.text
    deliverable.refresh_from_db()
    assert deliverable.delivered == 0 and not DeliveryLog.objects.exists()


def test_a_delivery_outside_the_contract_period_is_refused_by_the_field(client, contract):
    user = member_of(contract.organization)
    deliverable = contract.deliverables.get(kind="people")
    client.force_login(user)
    early = (contract.starts_on - datetime.timedelta(days=1)).isoformat()
    response = client.post(contract_url(contract), delivery_data(deliverable, delivered_on=early))
    assert response.status_code == 400 and 'id="id_delivered_on_error"' in response.text and "合同期限" in response.text
    assert not DeliveryLog.objects.exists()


def test_a_member_submits_a_milestone_with_a_report(client, contract):
    user = member_of(contract.organization)
    milestone = first_milestone(contract)
    client.force_login(user)
    assert "提交交付" in client.get(contract_url(contract)).text
    empty = client.post(contract_url(contract), {"action": "milestone", "milestone": milestone.pk, "report": " "})
    assert empty.status_code == 400 and f'id="id_m{milestone.pk}_report_error"' in empty.text
    response = client.post(contract_url(contract), {"action": "milestone", "milestone": milestone.pk,
                                                    "report": "合同签订，服务团队到位。"})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.SUBMITTED and milestone.report == "合同签订，服务团队到位。"


def test_a_member_records_matching_funds(client, contract):
    user = member_of(contract.organization)
    client.force_login(user)
    response = client.post(contract_url(contract), {
        "action": "matching", "source": "donation", "funder": "贵阳爱心企业", "amount": "12000",
        "received_on": timezone.localdate().isoformat()}, follow=True)
    assert response.status_code == 200 and "贵阳爱心企业" in response.text
    contract.refresh_from_db()
    assert contract.matching_total == Decimal("12000") and MatchingFund.objects.get().funder == "贵阳爱心企业"
    bad = client.post(contract_url(contract), {"action": "matching", "source": "donation", "funder": "某企业",
                                               "amount": "-5", "received_on": timezone.localdate().isoformat()})
    assert bad.status_code == 400 and 'id="id_amount_error"' in bad.text and 'value="某企业"' in bad.text
    assert MatchingFund.objects.count() == 1


def test_the_contract_page_links_the_survey_and_shows_the_final_grade(client):
    contract, officer = signed()
    evaluation = procurement.start_evaluation(contract, acting_user=officer)
    user = member_of(contract.organization)
    client.force_login(user)
    text = client.get(contract_url(contract)).text
    assert reverse("grants:survey", args=[evaluation.survey_token]) in text
    assert reverse("grants:survey_poster", args=[evaluation.survey_token]) in text
    assert "综合得分" not in text
    evaluation.status, evaluation.final_score, evaluation.grade = "finished", Decimal("91.50"), "excellent"
    evaluation.save()
    text = client.get(contract_url(contract)).text
    assert "91.50" in text and "优秀" in text


def test_someone_elses_contract_and_evidence_are_404(client, contract, applicant):
    owner = member_of(contract.organization)
    deliverable = contract.deliverables.first()
    log = procurement.log_delivery(deliverable, acting_user=owner, quantity=5, delivered_on=timezone.localdate(),
                                   description="探访", upload=pdf())
    client.force_login(applicant)
    assert client.get(contract_url(contract)).status_code == 404
    assert client.post(contract_url(contract), delivery_data(deliverable)).status_code == 404
    assert client.get(reverse("grants:delivery_evidence", args=[log.pk])).status_code == 404
    assert DeliveryLog.objects.count() == 1


def test_a_member_of_two_organizations_sees_only_their_own_contracts(client, contract):
    other, _officer = signed()
    user = member_of(contract.organization)
    MembershipFactory(user=user)  # a second organization, with no contract
    client.force_login(user)
    assert client.get(contract_url(contract)).status_code == 200
    assert client.get(contract_url(other)).status_code == 404
    assert Contract.objects.count() == 2


# --- odd input (a tester's probe) -----------------------------------------------------------------------------
def test_matching_funds_dated_in_year_one_are_refused_by_the_date_with_the_funder_kept(client, contract):
    client.force_login(member_of(contract.organization))
    response = client.post(contract_url(contract), {"action": "matching", "source": "donation", "funder": "某企业",
                                                    "amount": "100", "received_on": "0001-01-01"})
    assert response.status_code == 400
    assert 'id="id_received_on_error"' in response.text and "日期须在 2000–2100 年之间" in response.text
    assert 'value="某企业"' in response.text and not MatchingFund.objects.exists()


def test_submitting_a_milestone_twice_shows_the_refusal_with_the_typed_report(client, contract):
    client.force_login(member_of(contract.organization))
    milestone = first_milestone(contract)
    data = {"action": "milestone", "milestone": milestone.pk, "report": "第一次提交"}
    assert client.post(contract_url(contract), data).status_code == 302
    again = client.post(contract_url(contract), {**data, "report": "第二次提交的说明"})
    assert again.status_code == 400
    assert "第二次提交的说明" in again.text and "不能变更为" in again.text
    milestone.refresh_from_db()
    assert milestone.report == "第一次提交"


def test_a_delivery_posted_after_the_contract_ended_shows_the_refusal_with_the_typed_description(client, contract):
    officer = officer_for(contract.region)
    user = member_of(contract.organization)
    procurement.terminate_contract(contract, acting_user=officer, reason="乙方违约")
    deliverable = contract.deliverables.get(kind="people")
    client.force_login(user)
    response = client.post(contract_url(contract), delivery_data(deliverable, description="本周上门探访记录"))
    assert response.status_code == 400
    assert "只有履行中的合同可以登记服务记录" in response.text and "本周上门探访记录" in response.text
    assert not DeliveryLog.objects.exists()
