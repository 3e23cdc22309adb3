"""Builders for the procurement tests: purchasers, projects taken through the real services to any state (announced,
bids in, opened, scored, awarded, contracted, delivered, paid, evaluated). The bid deadline is passed by moving
``bids_close_at`` into the past with a queryset update, as the clock would."""

import datetime
from decimal import Decimal

from django.utils import timezone

from grants import procurement
from grants.models import (
    Bid,
    BidReview,
    Contract,
    Milestone,
    ProcurementMethod,
    ProcurementProject,
    Purchaser,
    ServiceCategory,
)
from tests.factories import OrganizationFactory, district

from .helpers import member_of, officer_for, pdf, reviewer_user

CRITERIA = [("服务方案", 40), ("团队与资质", 30), ("以往业绩", 30)]


def category(code: str = "T09", name: str = "养老助残") -> ServiceCategory:
    return ServiceCategory.objects.get_or_create(code=code, defaults={"name": name})[0]


def purchaser(region=None, name: str = "观山湖区民政局") -> Purchaser:
    region = region or district("520115")
    return Purchaser.objects.get_or_create(
        region=region, name=name,
        defaults={"kind": Purchaser.Kind.DEPARTMENT, "contact_name": "李科长", "contact_phone": "0851-84800000"})[0]


def make_project(*, officer=None, buyer=None, budget="300000", method=ProcurementMethod.CONSULTATION,
                 announce=True, criteria=CRITERIA, **fields) -> ProcurementProject:
    """A project of ``buyer`` (观山湖区民政局), announced with the window open for ten days unless told."""
    buyer = buyer or purchaser()
    officer = officer or officer_for(buyer.region)
    now = timezone.now()
    values = {
        "title": "社区居家养老服务项目", "category": category(), "budget": Decimal(budget), "method": method,
        "budget_line": "2026年区民政局部门预算·社会福利·养老服务", "description": "为辖区 300 名高龄独居老人提供上门探访和助餐服务。",
        "service_period": "合同签订之日起 12 个月", "bids_open_at": now - datetime.timedelta(days=1),
        "bids_close_at": now + datetime.timedelta(days=10), "price_weight": 30, **fields,
    }
    project = procurement.create_project(acting_user=officer, purchaser=buyer, criteria=list(criteria), **values)
    if announce:
        procurement.announce(project, acting_user=officer)
        project.refresh_from_db()
    return project


def bidder(region=None, **fields):
    organization = OrganizationFactory(region=region or district("520115"), **fields)
    return organization, member_of(organization)


def bid(project, organization=None, user=None, *, price="250000", proposal="配备 6 名专职社工，每周上门探访。") -> Bid:
    if organization is None:
        organization, user = bidder()
    user = user or member_of(organization)
    return procurement.save_bid(project, organization, acting_user=user, price=price, proposal=proposal)


def close_window(project) -> ProcurementProject:
    """The deadline passes: the window's end moves one second into the past."""
    ProcurementProject.objects.filter(pk=project.pk).update(bids_close_at=timezone.now() - datetime.timedelta(seconds=1))
    project.refresh_from_db()
    return project


def opened(project, officer) -> ProcurementProject:
    close_window(project)
    procurement.open_bids(project, acting_user=officer)
    project.refresh_from_db()
    return project


def score_all(project, officer, *, marks: dict | None = None, reviewers=None) -> list:
    """Two reviewers declare no conflict and score every valid bid; ``marks`` maps a bid id to the points given
    per criterion as a fraction of each criterion's weight (default 0.8)."""
    reviewers = reviewers or [reviewer_user("评审专家甲"), reviewer_user("评审专家乙")]
    procurement.assign_bid_reviewers(project, reviewers, acting_user=officer)
    for review in BidReview.objects.filter(bid__project=project).select_related("bid"):
        procurement.declare_bid_conflict(review, acting_user=review.reviewer, has_conflict=False)
        share = Decimal(str((marks or {}).get(review.bid_id, 0.8)))
        scores = {c.pk: (str((Decimal(c.weight) * share).quantize(Decimal("0.1"))), "方案完整，措施可行。")
                  for c in project.criteria.all()}
        procurement.submit_bid_review(review, acting_user=review.reviewer, scores=scores)
    project.refresh_from_db()
    return reviewers


def awarded(officer=None, *, prices=("250000", "280000")) -> tuple[ProcurementProject, list[Bid], object]:
    """A 竞争性磋商 project with one bid per price, opened, scored alike and awarded to the first ranked."""
    buyer = purchaser()
    officer = officer or officer_for(buyer.region)
    project = make_project(officer=officer, buyer=buyer)
    bids = [bid(project, price=price) for price in prices]
    opened(project, officer)
    score_all(project, officer)
    winner = procurement.ranking(project).first()
    procurement.award_bid(project, winner, acting_user=officer)
    project.refresh_from_db()
    return project, bids, officer


CONTRACT_TERMS = {
    "service_content": "上门探访、助餐配送、健康监测。", "quantity": "服务 300 名老人，全年上门探访 3,600 人次。",
    "quality": "探访记录完整率 100%，服务对象满意率不低于 90%。", "settlement": "按付款计划分期支付，凭履约确认单拨付。",
    "rights_obligations": "甲方负责监督和验收；乙方按方案提供服务并接受检查。",
    "liability": "乙方未按约定提供服务的，甲方有权扣减相应费用直至解除合同。",
}


def contract_form(contract: Contract, *, months: int = 12, continuing=False, milestones=None, **overrides) -> dict:
    start = timezone.localdate() - datetime.timedelta(days=30)
    end = start + datetime.timedelta(days=round(months * 30.4) - 1)
    value = contract.value
    if milestones is None:
        first = (value * Decimal("0.4")).quantize(Decimal("0.01"))
        second = (value * Decimal("0.3")).quantize(Decimal("0.01"))
        milestones = [
            {"title": "合同签订", "due_on": start, "amount": first},
            {"title": "中期验收", "due_on": start + datetime.timedelta(days=180), "amount": second},
            {"title": "绩效评价后尾款", "due_on": end, "amount": value - first - second},
        ]
    return {
        "fields": {**CONTRACT_TERMS, "starts_on": start, "ends_on": end, "continuing": continuing, **overrides},
        "deliverables": [{"kind": "people", "name": "服务老人", "target": 300},
                         {"kind": "visits", "name": "上门探访", "target": 3600}],
        "milestones": milestones,
    }


def signed(officer=None, **form_overrides) -> tuple[Contract, object]:
    project, _bids, officer = awarded(officer)
    contract = procurement.draft_contract(project, acting_user=officer)
    procurement.save_contract(contract, acting_user=officer, **contract_form(contract, **form_overrides))
    procurement.sign_contract(contract, acting_user=officer)
    contract.refresh_from_db()
    return contract, officer


def first_milestone(contract) -> Milestone:
    return contract.milestones.order_by("sequence").first()


def answer(evaluation, phone: str, rating: int):
    """A served person answers the survey with the code texted to them."""
    from core import sms

    sms.outbox.clear()
    procurement.send_survey_code(evaluation, phone)
    code = sms.outbox[-1][1].split("验证码为 ")[1][:6]
    return procurement.answer_survey(evaluation, phone=phone, code=code, rating=rating)


__all__ = ["answer", "awarded", "bid", "bidder", "category", "close_window", "contract_form", "first_milestone",
           "make_project", "member_of", "officer_for", "opened", "pdf", "purchaser", "reviewer_user", "score_all",
           "signed"]
