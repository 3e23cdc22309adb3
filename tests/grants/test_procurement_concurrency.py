"""政府购买服务 under real concurrency: threads, each on its own connection, against the file SQLite test database or,
with DATABASE_URL pointing at it, PostgreSQL (CI runs both).

Every job starts at a barrier (tests/threads.py). A thread may fail only with the domain error the losers of a
race are meant to get: "database is locked", a deadlock, an IntegrityError or a CHECK violation fails the test.
"""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from core.exceptions import InvalidTransition
from grants import procurement
from grants.exceptions import ProcurementRefused
from grants.models import Bid, Contract, ContractPayment, Milestone, OcdsRelease, ProcurementProject
from tests.threads import run_with_workers, unexpected

from .procurement_helpers import bid, bidder, make_project, officer_for, opened, purchaser, score_all, signed

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_payments_of_one_milestone_make_one_payment():
    contract, officer = signed()
    milestone = contract.milestones.order_by("sequence").first()
    procurement.confirm_milestone(milestone, acting_user=officer)
    today = timezone.localdate()

    results = run_with_workers([
        (lambda: procurement.pay_milestone(milestone, acting_user=officer, paid_on=today)) for _ in range(8)
    ])

    assert unexpected(results, ProcurementRefused, InvalidTransition) == []
    assert sum(isinstance(r, ContractPayment) for r in results) == 1
    contract = Contract.objects.get(pk=contract.pk)
    assert ContractPayment.objects.filter(contract=contract).count() == 1
    assert contract.paid_total == milestone.amount


def test_parallel_payments_of_every_milestone_add_up_to_the_sum_of_payments_within_the_value():
    contract, officer = signed()
    milestones = list(contract.milestones.order_by("sequence"))
    for milestone in milestones[:-1]:
        procurement.confirm_milestone(milestone, acting_user=officer)
    today = timezone.localdate()

    results = run_with_workers([
        (lambda m=m: procurement.pay_milestone(m, acting_user=officer, paid_on=today)) for m in milestones[:-1]
    ])

    assert unexpected(results) == []
    contract = Contract.objects.get(pk=contract.pk)
    paid = ContractPayment.objects.filter(contract=contract).aggregate(total=Sum("amount"))["total"]
    assert contract.paid_total == paid == sum(m.amount for m in milestones[:-1])
    assert contract.paid_total <= contract.value
    assert Milestone.objects.filter(contract=contract, status=Milestone.Status.PAID).count() == 2
    # each payment appended its own release, numbered without a gap
    ids = list(OcdsRelease.objects.filter(project=contract.project).values_list("release_id", flat=True))
    assert len(ids) == len(set(ids))


def test_ten_parallel_submissions_of_one_organization_leave_one_bid():
    project = make_project()
    organization, user = bidder()
    prices = [f"{200000 + i * 1000}" for i in range(10)]

    results = run_with_workers([
        (lambda price=price: procurement.save_bid(project, organization, acting_user=user, price=price,
                                                  proposal=f"方案 {price}")) for price in prices
    ])

    assert unexpected(results) == []
    bids = Bid.objects.filter(project=project, organization=organization)
    assert bids.count() == 1
    only = bids.get()
    assert only.revisions == 9
    assert f"{only.price:.0f}" in prices and only.proposal == f"方案 {only.price:.0f}"


def test_two_officers_awarding_different_bids_at_once_award_only_one():
    buyer = purchaser()
    officer, colleague = officer_for(buyer.region), officer_for(buyer.region)
    project = make_project(officer=officer, buyer=buyer)
    first, second = bid(project, price="200000"), bid(project, price="200000")
    opened(project, officer)
    score_all(project, officer)
    procurement_reason = "两家得分相同，按方案优劣确定"

    results = run_with_workers([
        lambda: procurement.award_bid(project, first, acting_user=officer, reason=procurement_reason),
        lambda: procurement.award_bid(project, second, acting_user=colleague, reason=procurement_reason),
    ])

    assert unexpected(results, ProcurementRefused, InvalidTransition) == []
    assert sum(isinstance(r, ProcurementProject) for r in results) == 1
    project = ProcurementProject.objects.get(pk=project.pk)
    assert project.status == ProcurementProject.Status.AWARDED
    assert project.winning_bid_id in (first.pk, second.pk)
    assert OcdsRelease.objects.filter(project=project, tags=["award"]).count() == 1
    assert Decimal(project.winning_bid.price) == Decimal("200000")
