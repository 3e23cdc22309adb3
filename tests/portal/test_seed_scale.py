"""seed_demo --scale city and --scale province (issue 10): the bulk code paths at a tiny scale, so the suite runs
them in seconds. One world is built per test: seed_demo's first steps, a small registry, then the 爱心银行 and the
grants step with small counts (grants.demo's service-made examples are left out, they have their own tests); the
books must balance afterwards (core.invariants.check_all)."""

import random
from io import StringIO

import pytest
from django.db.models import Count, F, Q, Sum

from core.invariants import check_all
from core.models import Sequence
from grants import demo as grants_demo
from grants.models import (
    ApplicationStatus,
    Award,
    Bid,
    Contract,
    ContractPayment,
    Deliverable,
    Disbursement,
    FundingCall,
    GrantApplication,
    Milestone,
    OcdsRelease,
    PerformanceEvaluation,
    ProcurementProject,
    Review,
    Tranche,
)
from orgs.models import Membership
from portal.management.commands.seed_demo import SCALES, Command
from volunteers.models import ServiceRecord, Transfer

pytestmark = pytest.mark.django_db
TINY = {"organizations": 120, "raters": 10, "ratings": 50, "volunteers": 60, "activities": 10, "records": 200,
        "merchants": 3, "vouchers": 20, "contracts": 14, "grant_applications": 70}


@pytest.fixture
def command(db, monkeypatch):
    """seed_demo's first steps and a registry of 120 organizations; grants.demo (through the services) left out."""
    monkeypatch.setattr(grants_demo, "build", lambda rng, progress=False: None)
    command = Command(stdout=StringIO())
    command.scale, command.progress = dict(TINY), False
    rng = random.Random(2026)
    for step in (command.seed_regions, command.seed_accounts, command.seed_organizations, command.seed_registry):
        step(rng)
    command.rng = rng
    return command


def test_city_and_province_scales_ask_for_contracts_and_applications_ten_times_apart():
    assert SCALES["city"]["contracts"] == 300 and SCALES["city"]["grant_applications"] == 500
    for key, city in SCALES["city"].items():
        assert SCALES["province"][key] == 10 * city, key
    assert SCALES["demo"]["contracts"] < 50 and SCALES["demo"]["grant_applications"] < 100


def test_the_grants_step_tops_up_to_the_scale_and_the_books_balance(command):
    command.seed_grants(command.rng)

    assert Contract.objects.count() == 14 and GrantApplication.objects.count() == 70
    assert check_all() == []
    # Every contract is signed, its milestones add up to its value and its payments to its paid total.
    for contract in Contract.objects.annotate(scheduled=Sum("milestones__amount")):
        assert contract.status in (Contract.Status.ACTIVE, Contract.Status.COMPLETED)
        assert contract.scheduled == contract.value == contract.bid.price
        assert contract.project.status == ProcurementProject.Status.CONTRACTED
        assert contract.project.winning_bid_id == contract.bid_id and contract.bid.rank == 1
        paid = ContractPayment.objects.filter(contract=contract).aggregate(s=Sum("amount"))["s"] or 0
        assert contract.paid_total == paid <= contract.value
        assert contract.deliverables.filter(delivered__gt=0).count() == contract.deliverables.count() >= 2
        if contract.status == Contract.Status.COMPLETED:
            evaluation = contract.evaluation
            assert evaluation.status == PerformanceEvaluation.Status.FINISHED
            assert evaluation.grade == PerformanceEvaluation.grade_for(evaluation.final_score)
            assert contract.milestones.filter(status=Milestone.Status.PAID).count() == 3
    assert Milestone.objects.filter(status=Milestone.Status.PAID).count() == ContractPayment.objects.count() > 14
    assert Bid.objects.values("project").annotate(n=Count("pk")).filter(n__lt=2).count() == 0
    assert OcdsRelease.objects.count() == ProcurementProject.objects.count() == 14
    assert Deliverable.objects.aggregate(s=Sum("delivered"))["s"] > 0

    # Applications in every settled stage; the awards within each call's budget; tranches paid one payment each.
    statuses = set(GrantApplication.objects.values_list("status", flat=True))
    assert {ApplicationStatus.DECLINED, ApplicationStatus.SCORED, ApplicationStatus.COMPLETED} <= statuses
    assert len(statuses) >= 5
    for call in FundingCall.objects.all():
        awarded = Award.objects.filter(application__call=call).aggregate(s=Sum("amount"))["s"] or 0
        assert call.awarded_total == awarded <= call.budget
        assert call.status == FundingCall.Status.FINISHED
    for award in Award.objects.all():
        assert award.tranches.aggregate(s=Sum("amount"))["s"] == award.amount
        assert award.tranches.filter(status=Tranche.Status.PAID).count() == award.disbursements.filter(
            kind=Disbursement.Kind.PAYMENT).count()
    reviewed = GrantApplication.objects.filter(score_count=2)
    assert reviewed.exists() and all(
        app.score == sum(r.total for r in app.reviews.all()) / 2 for app in reviewed.prefetch_related("reviews"))
    assert Review.objects.filter(~Q(status=Review.Status.SUBMITTED)).count() == 0
    # Every applicant and bidder acts through a member; the numbering series moved past the numbers written.
    assert not GrantApplication.objects.exclude(applicant__memberships__organization=F("organization")).exists()
    year = GrantApplication.objects.order_by("-number").values_list("number", flat=True).first()[:4]
    last = GrantApplication.objects.filter(number__startswith=f"{year}ZZ").order_by("-number").first().number
    assert Sequence.objects.get(name=f"grant-application-{year}").value == int(last[-5:])

    # A second run adds nothing.
    command.seed_grants(command.rng)
    assert Contract.objects.count() == 14 and GrantApplication.objects.count() == 70


def test_a_scale_without_grant_counts_writes_no_bulk_grants(command):
    del command.scale["contracts"], command.scale["grant_applications"]
    command.seed_grants(command.rng)
    assert not Contract.objects.exists() and not GrantApplication.objects.exists()
    assert not Membership.objects.filter(user__phone__startswith="135").exists()


def test_approved_service_records_and_their_ledger_transfers_are_one_to_one(command):
    command.seed_volunteers(command.rng)

    approved = ServiceRecord.objects.filter(status=ServiceRecord.Status.APPROVED, points__gt=0)
    service = Transfer.objects.filter(source=Transfer.Source.SERVICE)
    assert approved.count() == service.count() > 100
    assert set(service.values_list("source_ref", flat=True)) == {str(pk) for pk in approved.values_list("pk", flat=True)}
    assert not service.filter(source_ref__in=[str(pk) for pk in ServiceRecord.objects.exclude(
        status=ServiceRecord.Status.APPROVED).values_list("pk", flat=True)]).exists()
    assert check_all() == []
