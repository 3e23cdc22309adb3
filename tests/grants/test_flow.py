"""The life of a grant through the services: apply, screen, review with a declared conflict, award, pay tranche 1,
mid-term 合格 releases tranche 2, a failed mid-term stops the rest, clawbacks; and every refusal the issue names,
each with a Chinese message that names the rule."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.exceptions import InvalidTransition
from core.models import AuditEntry
from grants import services
from grants.exceptions import (
    ApplicationIncomplete,
    BudgetExceeded,
    CallInvalid,
    NotEligible,
    PaymentRefused,
    ReportRefused,
    ReviewRefused,
)
from grants.models import (
    ApplicationStatusChange,
    Disbursement,
    FundingCall,
    GrantApplication,
    GrantReport,
    Review,
    Tranche,
)
from orgs.models import CreditListing
from tests.factories import OrganizationFactory, district

from .helpers import draft, funded, make_call, officer_for, report, reviewer_user, scored, submitted

pytestmark = pytest.mark.django_db
Status = GrantApplication.Status


@pytest.fixture
def officer(city):
    return officer_for(city)


@pytest.fixture
def call(officer):
    return make_call(created_by=officer)


def test_an_application_goes_from_draft_to_a_scored_ranking_with_a_conflicted_reviewer_left_out(call, officer):
    application = submitted(call)
    assert application.status == Status.SUBMITTED
    assert all(check["passed"] for check in application.eligibility)
    services.screen(application, acting_user=officer, passed=True)
    experts = [reviewer_user(name) for name in ("甲专家", "乙专家", "丙专家")]
    services.assign_reviewers(application, experts, acting_user=officer)
    reviews = {r.reviewer_id: r for r in Review.objects.filter(application=application)}
    services.declare_conflict(reviews[experts[0].pk], acting_user=experts[0], has_conflict=True, statement="曾任该组织理事")
    for expert, mark in ((experts[1], 9), (experts[2], 6)):
        services.declare_conflict(reviews[expert.pk], acting_user=expert, has_conflict=False)
        services.submit_review(reviews[expert.pk], acting_user=expert,
                               scores={c.pk: (mark, "依据申报书") for c in call.criteria.all()})
    application.refresh_from_db()
    assert application.status == Status.SCORED
    assert application.score == Decimal("75.00")  # mean of 90 and 60; the conflicted reviewer is not counted
    assert (application.score_min, application.score_max, application.score_count) == (Decimal("60"), Decimal("90"), 2)
    moves = list(ApplicationStatusChange.objects.filter(application=application).values_list("to_status", flat=True))
    assert moves == [Status.SUBMITTED, Status.SCREENING, Status.REVIEWING, Status.SCORED]
    assert AuditEntry.objects.filter(action="grants.review.declare", after__has_conflict=True).count() == 1


def test_a_conflicted_reviewer_cannot_score(call, officer):
    application = submitted(call)
    services.screen(application, acting_user=officer, passed=True)
    expert = reviewer_user()
    [review] = services.assign_reviewers(application, [expert], acting_user=officer)
    services.declare_conflict(review, acting_user=expert, has_conflict=True, statement="亲属任负责人")
    with pytest.raises(ReviewRefused, match="利益冲突"):
        services.submit_review(review, acting_user=expert, scores={c.pk: (5, "x") for c in call.criteria.all()})


def test_scoring_before_declaring_is_refused(call, officer):
    application = submitted(call)
    services.screen(application, acting_user=officer, passed=True)
    expert = reviewer_user()
    [review] = services.assign_reviewers(application, [expert], acting_user=officer)
    with pytest.raises(ReviewRefused, match="先声明"):
        services.submit_review(review, acting_user=expert, scores={c.pk: (5, "x") for c in call.criteria.all()})


def test_a_member_of_the_applicant_cannot_be_assigned_as_its_reviewer(call, officer):
    application = submitted(call)
    services.screen(application, acting_user=officer, passed=True)
    with pytest.raises(ReviewRefused, match="申报组织的成员"):
        services.assign_reviewers(application, [application.applicant], acting_user=officer)


def test_budget_lines_that_do_not_add_up_are_refused_naming_the_rule(call):
    application = draft(call, lines=[{"item": "人员劳务", "amount": Decimal("5000")}])
    with pytest.raises(ApplicationIncomplete) as refused:
        services.submit_application(application, acting_user=application.applicant)
    assert "各项预算之和须等于申请金额" in refused.value.errors["budget_lines"]
    assert GrantApplication.objects.get(pk=application.pk).status == Status.DRAFT


def test_rubric_weights_that_do_not_total_100_stop_the_call_being_published(officer):
    call = make_call(publish=False, criteria=((60, "项目设计"), (30, "执行能力")))
    with pytest.raises(CallInvalid) as refused:
        services.publish_call(call, acting_user=officer)
    assert "权重合计须为 100 分，目前合计 90 分" in refused.value.errors["criteria"]
    assert FundingCall.objects.get(pk=call.pk).status == FundingCall.Status.DRAFT


def test_a_second_application_from_the_same_organization_is_refused(call):
    first = submitted(call)
    with pytest.raises(NotEligible, match="只能申报一次"):
        services.start_application(call, first.organization, acting_user=first.applicant)


def test_an_ineligible_organization_is_refused_with_every_failing_rule(officer):
    call = make_call(created_by=officer, kind=FundingCall.Kind.STARTUP, max_months_established=24,
                     eligible_kinds=["community"], require_residency=True)
    organization = OrganizationFactory(established_on=datetime.date(2019, 1, 1))
    CreditListing.objects.create(organization=organization, kind=CreditListing.Kind.ABNORMAL, reason="未报年报",
                                 listed_on=datetime.date(2026, 7, 1))
    from .helpers import member_of
    with pytest.raises(NotEligible) as refused:
        services.start_application(call, organization, acting_user=member_of(organization))
    rules = {rule for rule, _message in refused.value.failures}
    assert rules == {"kind", "age", "credit", "residency"}
    assert "成立时间" in refused.value.message and "活动异常名录" in refused.value.message


def test_an_organization_outside_the_calls_region_is_refused(officer_nanming, nanming, yunyan):
    call = make_call(region=nanming, created_by=officer_nanming)
    outside = OrganizationFactory(region=yunyan)
    from .helpers import member_of
    with pytest.raises(NotEligible, match="所在区划"):
        services.start_application(call, outside, acting_user=member_of(outside))


def test_submission_after_the_deadline_is_refused_on_the_server(call):
    application = draft(call)
    FundingCall.objects.filter(pk=call.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    application.refresh_from_db()
    with pytest.raises(Exception, match="截止"):
        services.submit_application(application, acting_user=application.applicant)


def test_an_award_above_the_remaining_budget_is_refused(officer):
    call = make_call(created_by=officer, budget="30000")
    first = scored(call, officer)
    second = scored(call, officer)
    services.award(first, acting_user=officer)
    with pytest.raises(BudgetExceeded, match="剩余 ¥10,000.00"):
        services.award(second, acting_user=officer)
    services.award(second, acting_user=officer, amount=Decimal("10000"))
    call.refresh_from_db()
    assert call.awarded_total == call.budget


def test_bulk_award_is_all_or_nothing(officer):
    call = make_call(created_by=officer, budget="50000")
    ranked = [scored(call, officer, marks=(m, m)) for m in (9, 8, 7)]
    with pytest.raises(BudgetExceeded, match="所选 3 项"):
        services.award_in_bulk(call, [(a, None) for a in ranked], acting_user=officer)
    assert not GrantApplication.objects.filter(status=Status.AWARDED).exists()
    awards = services.award_in_bulk(call, [(a, None) for a in services.ranking(call)[:2]], acting_user=officer)
    assert [a.application_id for a in awards] == [ranked[0].pk, ranked[1].pk]


def test_tranches_follow_their_conditions_and_a_passed_midterm_releases_tranche_two(call, officer):
    award = funded(call, officer, amount=Decimal("20000"))
    first, second, third = award.tranches.all()
    assert [(t.percent, t.amount) for t in (first, second, third)] == [
        (50, Decimal("10000.00")), (30, Decimal("6000.00")), (20, Decimal("4000.00"))]
    with pytest.raises(PaymentRefused, match="请先拨付第 1 期"):
        services.pay_tranche(second, acting_user=officer, paid_on=timezone.localdate())
    services.pay_tranche(first, acting_user=officer, paid_on=timezone.localdate(), reference="BK001")
    award.application.refresh_from_db()
    assert award.application.status == Status.IN_PROGRESS
    with pytest.raises(PaymentRefused, match="中期报告尚未评定"):
        services.pay_tranche(second, acting_user=officer, paid_on=timezone.localdate())
    midterm = report(award)
    services.assess_report(midterm, acting_user=officer, score=78, assessment="进度符合计划")
    midterm.refresh_from_db()
    assert (midterm.grade, midterm.passed) == ("B", True)
    services.pay_tranche(second, acting_user=officer, paid_on=timezone.localdate())
    award.refresh_from_db()
    assert award.paid_total == Decimal("16000.00")
    assert award.paid_total == sum(d.amount for d in Disbursement.objects.filter(award=award))


def test_a_failed_midterm_stops_the_later_tranches_and_terminates_the_project(call, officer):
    award = funded(call, officer)
    services.pay_tranche(award.tranches.get(sequence=1), acting_user=officer, paid_on=timezone.localdate())
    services.assess_report(report(award), acting_user=officer, score=55, assessment="未按计划开展")
    statuses = list(award.tranches.values_list("status", flat=True))
    assert statuses == [Tranche.Status.PAID, Tranche.Status.STOPPED, Tranche.Status.STOPPED]
    award.application.refresh_from_db()
    assert award.application.status == Status.TERMINATED
    with pytest.raises(PaymentRefused, match="已停止"):
        services.pay_tranche(award.tranches.get(sequence=2), acting_user=officer, paid_on=timezone.localdate())


def test_a_clawback_is_a_negative_disbursement_and_never_exceeds_what_was_paid(call, officer):
    award = funded(call, officer, amount=Decimal("20000"))
    services.pay_tranche(award.tranches.get(sequence=1), acting_user=officer, paid_on=timezone.localdate())
    with pytest.raises(PaymentRefused, match="超过已拨付金额"):
        services.claw_back(award, acting_user=officer, amount="10000.01", reason="违规使用", paid_on=timezone.localdate())
    clawback = services.claw_back(award, acting_user=officer, amount="2500", reason="活动物料票据不合规",
                                  paid_on=timezone.localdate())
    assert clawback.amount == Decimal("-2500.00")
    award.refresh_from_db()
    assert award.paid_total == Decimal("7500.00")


def test_a_passed_final_report_closes_the_project(call, officer):
    award = funded(call, officer)
    services.pay_tranche(award.tranches.get(sequence=1), acting_user=officer, paid_on=timezone.localdate())
    services.assess_report(report(award), acting_user=officer, score=90, assessment="好")
    services.pay_tranche(award.tranches.get(sequence=2), acting_user=officer, paid_on=timezone.localdate())
    final = report(award, GrantReport.Kind.FINAL, reached=130)
    services.assess_report(final, acting_user=officer, score=88, assessment="目标全部完成")
    services.pay_tranche(award.tranches.get(sequence=3), acting_user=officer, paid_on=timezone.localdate())
    award.refresh_from_db()
    assert award.paid_total == award.amount
    assert award.application.status == Status.COMPLETED


def test_an_officer_of_another_district_cannot_award(officer_yunyan, nanming):
    officer = officer_for(nanming)
    call = make_call(region=nanming, created_by=officer)
    application = scored(call, officer, organization=OrganizationFactory(region=district("520102")))
    with pytest.raises(Exception, match="本辖区"):
        services.award(application, acting_user=officer_yunyan)


def test_reviews_tranches_and_reports_move_through_their_own_workflows_with_history(call, officer):
    award = funded(call, officer)
    review = award.application.reviews.first()
    assert list(review.history.values_list("from_status", "to_status")) == [
        (Review.Status.ASSIGNED, Review.Status.DECLARED), (Review.Status.DECLARED, Review.Status.SUBMITTED)]
    first = award.tranches.get(sequence=1)
    services.pay_tranche(first, acting_user=officer, paid_on=timezone.localdate())
    midterm = report(award)
    services.return_report(midterm, acting_user=officer, reason="请补充签到表")
    services.submit_report(midterm, acting_user=award.application.applicant)
    services.assess_report(midterm, acting_user=officer, score=50, assessment="未达标")
    assert list(midterm.history.values_list("to_status", flat=True)) == [
        GrantReport.Status.SUBMITTED, GrantReport.Status.DRAFT, GrantReport.Status.SUBMITTED, GrantReport.Status.ASSESSED]
    assert list(first.history.values_list("to_status", flat=True)) == [Tranche.Status.PAID]
    assert [t.history.get().to_status for t in award.tranches.filter(sequence__gt=1)] == [Tranche.Status.STOPPED] * 2
    # Every move is audited under the applicant's region (inside the call's), so its district's officers see it too.
    moves = AuditEntry.objects.filter(action__in=["grants.tranche.paid", "grants.report.midterm.assessed"])
    assert moves.count() == 2 and set(moves.values_list("region", flat=True)) == {award.application.region_id}
    with pytest.raises(ReportRefused, match="未评定"):
        services.return_report(midterm, acting_user=officer, reason="再退")
    midterm.refresh_from_db()
    with pytest.raises(InvalidTransition):  # the map itself refuses, whatever a service forgets to check
        services._move_report(midterm, GrantReport.Status.DRAFT, actor=officer, region=None)
