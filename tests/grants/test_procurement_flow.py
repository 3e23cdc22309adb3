"""政府购买服务 through the services: announce, sealed bids against the clock, 综合评分法, award, a contract that
meets Art. 23, delivery, milestone payments, performance evaluation and the grade's effect on the last payment."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import AuditEntry
from grants import procurement
from grants.exceptions import BidClosed, NotEligible, PermissionDenied, ProcurementRefused
from grants.models import (
    Bid,
    BidReview,
    Contract,
    ContractPayment,
    Milestone,
    OcdsRelease,
    PerformanceEvaluation,
    ProcurementProject,
)
from orgs.models import CreditListing
from tests.factories import district

from .procurement_helpers import (
    answer,
    awarded,
    bid,
    bidder,
    close_window,
    contract_form,
    first_milestone,
    make_project,
    officer_for,
    opened,
    purchaser,
    reviewer_user,
    score_all,
    signed,
)

pytestmark = pytest.mark.django_db
P = ProcurementProject.Status


def test_a_project_without_a_budget_line_cannot_be_announced():
    project = make_project(announce=False, budget_line=" ")
    officer = officer_for(project.region)
    with pytest.raises(ProcurementRefused) as refused:
        procurement.announce(project, acting_user=officer)
    assert "先有预算" in refused.value.errors["budget_line"]
    project.refresh_from_db()
    assert project.status == P.PLANNED


def test_technical_criteria_must_total_one_hundred_points_before_announcing():
    project = make_project(announce=False, criteria=[("服务方案", 50), ("团队", 30)])
    with pytest.raises(ProcurementRefused) as refused:
        procurement.announce(project, acting_user=officer_for(project.region))
    assert refused.value.errors["criteria"] == "技术评分项分值合计须为 100 分，目前合计 80 分。"


def test_an_officer_of_another_district_cannot_announce_the_project():
    project = make_project(announce=False)
    with pytest.raises(PermissionDenied):
        procurement.announce(project, acting_user=officer_for(district("520102")))


def test_a_bid_after_the_deadline_is_refused_and_nothing_is_saved():
    project = make_project()
    organization, user = bidder()
    close_window(project)
    with pytest.raises(BidClosed) as refused:
        procurement.save_bid(project, organization, acting_user=user, price="200000", proposal="方案")
    assert "截止后提交的投标不予受理" in str(refused.value)
    assert not Bid.objects.filter(project=project).exists()


def test_a_bid_may_be_revised_until_the_deadline_and_stays_one_bid():
    project = make_project()
    organization, user = bidder()
    procurement.save_bid(project, organization, acting_user=user, price="260000", proposal="第一版")
    revised = procurement.save_bid(project, organization, acting_user=user, price="240000", proposal="第二版")
    assert Bid.objects.filter(project=project).count() == 1
    assert revised.price == Decimal("240000") and revised.revisions == 1 and revised.proposal == "第二版"


def test_the_audit_log_names_no_bidder_and_no_price_until_the_bids_are_opened():
    officer = officer_for(district("520115"))
    project = make_project(officer=officer)
    first = bid(project, price="234567")
    bid(project, price="245678")
    procurement.withdraw_bid(first, acting_user=first.submitted_by)
    assert not AuditEntry.objects.filter(action__startswith="grants.bid").exists()
    assert all("234567" not in str(e.after) for e in AuditEntry.objects.all())
    opened(project, officer)
    records = AuditEntry.objects.filter(action="grants.bid.sealed_record").order_by("pk")
    assert [(r.actor_id, r.after["status"]) for r in records] == [
        (first.submitted_by_id, "withdrawn"), (Bid.objects.exclude(pk=first.pk).get().submitted_by_id, "submitted")]
    assert records[0].after["price"] == "234567.00"


def test_a_price_above_the_budget_is_refused_by_the_price_field():
    project = make_project(budget="300000")
    organization, user = bidder()
    with pytest.raises(ProcurementRefused) as refused:
        procurement.save_bid(project, organization, acting_user=user, price="300000.01", proposal="方案")
    assert "超过采购预算" in refused.value.errors["price"]


def test_a_credit_listed_organization_cannot_bid():
    project = make_project()
    organization, user = bidder()
    CreditListing.objects.create(organization=organization, kind=CreditListing.Kind.ABNORMAL,
                                 listed_on=timezone.localdate(), reason="未按期年检")
    with pytest.raises(NotEligible) as refused:
        procurement.save_bid(project, organization, acting_user=user, price="100000", proposal="方案")
    assert "信用状况" in str(refused.value)


def test_opening_with_fewer_valid_bids_than_the_method_needs_fails_the_project():
    officer = officer_for(district("520115"))
    project = make_project(officer=officer)  # 竞争性磋商 needs two
    bid(project)
    opened(project, officer)
    assert project.status == P.FAILED
    assert "不少于 2 家有效投标，实际 1 家" in project.history.last().reason


def test_comprehensive_scoring_gives_the_lowest_price_full_price_marks():
    officer = officer_for(district("520115"))
    project = make_project(officer=officer)
    cheap, dear = bid(project, price="200000"), bid(project, price="250000")
    opened(project, officer)
    score_all(project, officer, marks={cheap.pk: 0.7, dear.pk: 0.9})
    cheap.refresh_from_db()
    dear.refresh_from_db()
    assert cheap.price_score == Decimal("100.00") and dear.price_score == Decimal("80.00")
    assert cheap.technical_score == Decimal("70.00") and dear.technical_score == Decimal("90.00")
    # 30 % price + 70 % technical
    assert cheap.total_score == Decimal("79.00") and dear.total_score == Decimal("87.00")
    assert (dear.rank, cheap.rank) == (1, 2)


def test_a_reviewer_who_declares_a_conflict_is_left_out_of_the_technical_score():
    officer = officer_for(district("520115"))
    project = make_project(officer=officer)
    first, second = bid(project), bid(project, price="260000")
    opened(project, officer)
    careful, conflicted = reviewer_user("甲"), reviewer_user("乙")
    procurement.assign_bid_reviewers(project, [careful, conflicted], acting_user=officer)
    review = BidReview.objects.get(bid=first, reviewer=conflicted)
    procurement.declare_bid_conflict(review, acting_user=conflicted, has_conflict=True, statement="曾在该组织任职")
    review.refresh_from_db()
    assert review.status == BidReview.Status.CONFLICTED
    with pytest.raises(ProcurementRefused):
        procurement.submit_bid_review(review, acting_user=conflicted, scores={})
    assert second.pk


def test_awarding_other_than_the_first_ranked_needs_a_reason():
    officer = officer_for(district("520115"))
    project = make_project(officer=officer)
    cheap, dear = bid(project, price="200000"), bid(project, price="250000")
    opened(project, officer)
    score_all(project, officer, marks={cheap.pk: 0.9, dear.pk: 0.6})
    dear.refresh_from_db()
    with pytest.raises(ProcurementRefused) as refused:
        procurement.award_bid(project, dear, acting_user=officer)
    assert "排名第 2" in str(refused.value)


def test_a_contract_missing_an_article_23_term_is_refused_naming_it():
    project, _bids, officer = awarded()
    contract = procurement.draft_contract(project, acting_user=officer)
    procurement.save_contract(contract, acting_user=officer, **contract_form(contract, liability=""))
    with pytest.raises(ProcurementRefused) as refused:
        procurement.sign_contract(contract, acting_user=officer)
    assert refused.value.errors["liability"] == "财政部令第102号第二十三条：合同须载明“违约责任”，该项不能为空。"
    contract.refresh_from_db()
    assert contract.status == Contract.Status.DRAFT


def test_a_two_year_term_needs_the_continuing_service_mark_and_three_years_is_the_limit():
    project, _bids, officer = awarded()
    contract = procurement.draft_contract(project, acting_user=officer)
    procurement.save_contract(contract, acting_user=officer, **contract_form(contract, months=24))
    with pytest.raises(ProcurementRefused) as refused:
        procurement.sign_contract(contract, acting_user=officer)
    assert "第二十四条" in refused.value.errors["ends_on"] and "跨年度连续服务" in refused.value.errors["ends_on"]
    procurement.save_contract(contract, acting_user=officer, **contract_form(contract, months=24, continuing=True))
    procurement.sign_contract(contract, acting_user=officer)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE


def test_a_payment_schedule_that_does_not_add_up_is_refused():
    project, _bids, officer = awarded()
    contract = procurement.draft_contract(project, acting_user=officer)
    start = timezone.localdate()
    schedule = [{"title": "首期", "due_on": start, "amount": Decimal("100000")},
                {"title": "尾款", "due_on": start + datetime.timedelta(days=300), "amount": Decimal("100000")}]
    procurement.save_contract(contract, acting_user=officer, **contract_form(contract, milestones=schedule))
    with pytest.raises(ProcurementRefused) as refused:
        procurement.sign_contract(contract, acting_user=officer)
    assert refused.value.errors["milestones"].startswith("付款计划合计 ¥200,000.00，与合同价格 ¥250,000.00 不一致")


def test_a_payment_beyond_the_contract_value_is_refused():
    contract, officer = signed()
    milestone = first_milestone(contract)
    procurement.confirm_milestone(milestone, acting_user=officer)
    with pytest.raises(ProcurementRefused) as refused:
        procurement.pay_milestone(milestone, acting_user=officer, paid_on=timezone.localdate(), amount="250000.01")
    assert "合同支付不得超过合同价格" in str(refused.value)
    assert not ContractPayment.objects.exists()


def test_delivery_payments_and_evaluation_set_the_final_payment_by_grade():
    contract, officer = signed()
    member = contract.organization.memberships.first().user
    people = contract.deliverables.get(kind="people")
    from .helpers import pdf

    procurement.log_delivery(people, acting_user=member, quantity=120, delivered_on=timezone.localdate(),
                             description="第一季度上门服务", upload=pdf("签到表.pdf"))
    contract.refresh_from_db()
    people.refresh_from_db()
    assert people.delivered == 120 and contract.people_reached == 120
    first, second, last = contract.milestones.order_by("sequence")
    procurement.submit_milestone(first, acting_user=member, report="合同签订，团队到位")
    procurement.confirm_milestone(first, acting_user=officer)
    procurement.pay_milestone(first, acting_user=officer, paid_on=timezone.localdate(), voucher="GK-001")
    procurement.confirm_milestone(second, acting_user=officer)
    procurement.pay_milestone(second, acting_user=officer, paid_on=timezone.localdate())
    with pytest.raises(ProcurementRefused):
        procurement.confirm_milestone(last, acting_user=officer)
    evaluation = procurement.start_evaluation(contract, acting_user=officer)
    scores = {i.pk: (str(Decimal(i.weight) * Decimal("0.75")), "基本达到") for i in evaluation.indicators.exclude(dimension="satisfaction")}
    procurement.score_indicators(evaluation, acting_user=officer, assessor="purchaser", scores=scores)
    answer(evaluation, "13900000001", 5)
    answer(evaluation, "13900000002", 4)
    answer(evaluation, "13900000003", 2)
    with pytest.raises(ProcurementRefused):
        answer(evaluation, "13900000001", 5)
    evaluation = procurement.finish_evaluation(evaluation, acting_user=officer)
    # 80 points × 0.75 = 60, satisfaction 20 × 2/3 = 13.33 → 73.33 合格 → 80 % of the last instalment
    assert evaluation.final_score == Decimal("73.33") and evaluation.grade == PerformanceEvaluation.Grade.PASS
    procurement.confirm_milestone(last, acting_user=officer)
    payment = procurement.pay_milestone(last, acting_user=officer, paid_on=timezone.localdate())
    assert payment.amount == (last.amount * Decimal("0.8")).quantize(Decimal("0.01"))
    contract.refresh_from_db()
    assert contract.status == Contract.Status.COMPLETED
    assert contract.paid_total == sum(p.amount for p in ContractPayment.objects.filter(contract=contract))
    assert list(contract.milestones.values_list("status", flat=True)) == [Milestone.Status.PAID] * 3


def test_every_event_appends_a_release_and_none_is_ever_edited():
    contract, officer = signed()
    tags = list(OcdsRelease.objects.filter(project=contract.project).values_list("tags", flat=True))
    assert tags == [["planning", "tender"], ["tenderUpdate"], ["award"], ["contract"]]
    release = OcdsRelease.objects.filter(project=contract.project).first()
    release.tags = ["changed"]
    with pytest.raises(Exception, match="append-only"):
        release.save()


def test_an_amendment_records_the_reason_and_each_change():
    contract, officer = signed()
    new_end = contract.ends_on - datetime.timedelta(days=30)
    amendment = procurement.amend_contract(contract, acting_user=officer, reason="服务对象减少，缩短服务期",
                                           changes={"ends_on": new_end})
    assert amendment.changes == {"ends_on": {"before": str(contract.ends_on), "after": str(new_end)}}
    contract.refresh_from_db()
    assert contract.ends_on == new_end
    assert OcdsRelease.objects.filter(project=contract.project).last().tags == ["contractAmendment"]


def test_a_bid_of_another_organization_cannot_be_saved_by_an_outsider():
    project = make_project()
    organization, _user = bidder()
    _other, outsider = bidder()
    with pytest.raises(PermissionDenied):
        procurement.save_bid(project, organization, acting_user=outsider, price="1000", proposal="x")
    assert purchaser().projects.count() == 1


def test_five_wrong_survey_codes_use_the_code_up():
    from core import sms

    contract, officer = signed()
    evaluation = procurement.start_evaluation(contract, acting_user=officer)
    sms.outbox.clear()
    procurement.send_survey_code(evaluation, "13900000009")
    code = sms.outbox[-1][1].split("验证码为 ")[1][:6]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ProcurementRefused, match="验证码不正确"):
            procurement.answer_survey(evaluation, phone="13900000009", code=wrong, rating=5)
    with pytest.raises(ProcurementRefused, match="验证码已失效"):
        procurement.answer_survey(evaluation, phone="13900000009", code=code, rating=5)
    assert not evaluation.survey_responses.exists()


def test_a_project_cancelled_before_it_was_announced_stays_private():
    from grants.permissions import public_projects

    project = make_project(announce=False)
    procurement.cancel_project(project, acting_user=officer_for(project.region), reason="预算调整")
    assert not public_projects().filter(pk=project.pk).exists()
    assert not OcdsRelease.objects.filter(project=project).exists()


def test_the_final_instalment_waits_for_every_earlier_one_to_be_paid():
    contract, officer = signed()
    evaluation = procurement.start_evaluation(contract, acting_user=officer)
    procurement.score_indicators(evaluation, acting_user=officer, assessor="purchaser", scores={
        i.pk: (str(i.weight), "好") for i in evaluation.indicators.exclude(dimension="satisfaction")})
    answer(evaluation, "13900000011", 5)
    procurement.finish_evaluation(evaluation, acting_user=officer)
    last = contract.milestones.order_by("sequence").last()
    with pytest.raises(ProcurementRefused, match="此前各期均已支付"):
        procurement.confirm_milestone(last, acting_user=officer)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE


def test_a_survey_closed_without_answers_lets_the_purchaser_score_satisfaction_so_the_evaluation_can_finish():
    contract, officer = signed()
    evaluation = procurement.start_evaluation(contract, acting_user=officer)
    everything = {i.pk: (str(i.weight), "回访") for i in evaluation.indicators.all()}
    procurement.score_indicators(evaluation, acting_user=officer, assessor="purchaser", scores=everything)
    with pytest.raises(ProcurementRefused, match="满意度调查尚无答卷"):
        procurement.finish_evaluation(evaluation, acting_user=officer)
    PerformanceEvaluation.objects.filter(pk=evaluation.pk).update(survey_closes_at=timezone.now())
    evaluation.refresh_from_db()
    procurement.score_indicators(evaluation, acting_user=officer, assessor="purchaser", scores=everything)
    evaluation = procurement.finish_evaluation(evaluation, acting_user=officer)
    assert evaluation.final_score == Decimal("100.00") and evaluation.satisfaction is None


def test_the_daily_run_skips_a_project_an_officer_opened_meanwhile_and_opens_the_rest():
    officer = officer_for(district("520115"))
    first, second = make_project(officer=officer), make_project(officer=officer, title="第二个项目")
    for project in (first, second):
        bid(project)
        bid(project, price="260000")
        close_window(project)
    procurement.open_bids(first, acting_user=officer)
    procurement.open_bids(first)  # the daily run arriving late: nothing happens
    assert procurement.close_due_projects() == 1
    second.refresh_from_db()
    assert second.status == P.CLOSED


def test_releases_cannot_be_deleted_and_a_cancelled_award_is_published_as_cancelled():
    project, _bids, officer = awarded()
    procurement.cancel_project(project, acting_user=officer, reason="需求取消")
    release = OcdsRelease.objects.filter(project=project).last()
    assert release.tags == ["tenderCancellation"]
    assert release.data["awards"][0]["status"] == "cancelled" and release.data["tender"]["status"] == "cancelled"
    with pytest.raises(Exception, match="append-only"):
        OcdsRelease.objects.filter(pk=release.pk).delete()


def test_a_phone_typed_in_full_width_digits_is_the_same_phone_for_the_survey():
    contract, officer = signed()
    evaluation = procurement.start_evaluation(contract, acting_user=officer)
    answer(evaluation, "13900000021", 5)
    with pytest.raises(ProcurementRefused, match="每个号码只能作答一次"):
        answer(evaluation, "１３９００００００２１", 4)
    assert evaluation.survey_responses.count() == 1 and evaluation.responses == 1
