"""The 政府购买服务 demo data (grants.demo, built on top of seed_demo's first steps): projects in every status, a
completed contract whose payments add up and whose evaluation is finished, work waiting for the demo reviewer and
the demo member, and an OCDS release package that validates with libcoveocds."""

import json
import random

import pytest
from django.db.models import F, Sum
from django.utils import timezone

from core.models import User
from grants import demo, eligibility, ocds, procurement
from grants.models import (
    BidReview,
    Contract,
    ContractPayment,
    DeliveryLog,
    OcdsRelease,
    PerformanceEvaluation,
    ProcurementProject,
    ProjectStatusChange,
    Purchaser,
)
from orgs.models import Organization

from .ocds_validation import cove_problems, schema_problems

pytestmark = pytest.mark.django_db
P = ProcurementProject.Status


def test_the_demo_holds_projects_in_every_status(seeded):
    assert set(ProcurementProject.objects.values_list("status", flat=True)) == set(P.values)
    assert 8 <= ProcurementProject.objects.count() <= 12
    assert Purchaser.objects.filter(kind=Purchaser.Kind.CENTRE).exists()
    assert Purchaser.objects.values("region__code").distinct().count() >= 3
    assert set(Contract.objects.values_list("status", flat=True)) == {
        Contract.Status.DRAFT, Contract.Status.ACTIVE, Contract.Status.COMPLETED}


def test_a_completed_contract_was_paid_in_full_by_grade_after_a_finished_evaluation(seeded):
    completed = Contract.objects.filter(status=Contract.Status.COMPLETED)
    assert completed.exists()
    for contract in completed:
        assert contract.paid_total == ContractPayment.objects.filter(contract=contract).aggregate(s=Sum("amount"))["s"]
        evaluation = contract.evaluation
        assert evaluation.status == PerformanceEvaluation.Status.FINISHED and evaluation.grade
        assert evaluation.responses == evaluation.survey_responses.count() >= 10
        assert contract.amendments.exists() and contract.matching_total > 0
        assert DeliveryLog.objects.filter(deliverable__contract=contract, content_type="image/png").exists()
        assert DeliveryLog.objects.filter(deliverable__contract=contract, content_type="application/pdf").exists()
    for contract in Contract.objects.exclude(status=Contract.Status.DRAFT):
        assert contract.paid_total == (contract.payments.aggregate(s=Sum("amount"))["s"] or 0) <= contract.value


def test_the_demo_reviewer_has_bid_reviews_waiting_for_a_declaration(seeded):
    waiting = BidReview.objects.filter(reviewer__phone=demo.REVIEWER, status=BidReview.Status.ASSIGNED)
    assert waiting.exists() and {r.bid.project.status for r in waiting} == {P.EVALUATING}


def test_the_demo_member_can_bid_on_an_open_project_and_delivers_a_contract(seeded):
    member = User.objects.get(phone=demo.DEMO_MEMBER)
    organization = Organization.objects.get(name=demo.DEMO_ORGANIZATION, memberships__user=member)
    open_now = [p for p in ProcurementProject.objects.filter(status=P.ANNOUNCED) if p.accepting_bids()]
    biddable = [p for p in open_now if not p.bids.filter(organization=organization).exists()
                and not eligibility.failures(procurement.bidder_checks(p, organization))]
    assert biddable
    contract = Contract.objects.get(organization=organization, status=Contract.Status.ACTIVE)
    assert contract.deliverables.filter(delivered__gt=0).exists()
    assert contract.milestones.filter(status="paid").count() == 1


def test_nothing_of_the_demo_happened_in_the_future(seeded):
    now, today = timezone.now(), timezone.localdate()
    assert not ContractPayment.objects.filter(paid_on__gt=today).exists()
    assert not DeliveryLog.objects.filter(delivered_on__gt=today).exists()
    assert not ProjectStatusChange.objects.filter(at__gt=now).exists()
    assert not ProcurementProject.objects.filter(awarded_at__gt=now).exists()
    assert not ProcurementProject.objects.filter(awarded_at__lt=F("bids_close_at")).exists()
    assert not Contract.objects.filter(project__awarded_at__date__gt=F("signed_on")).exists()


def test_the_demo_ocds_release_package_validates_with_libcoveocds(seeded):
    body = json.dumps(ocds.release_package(), ensure_ascii=False)
    records = json.dumps(ocds.record_package(), ensure_ascii=False)
    print(f"demo release package {len(body.encode()) / 1024:.0f} KiB, record package {len(records.encode()) / 1024:.0f} KiB")
    package = json.loads(body)
    assert len(package["releases"]) == OcdsRelease.objects.count() >= 30
    assert cove_problems(package) == {"validation_errors": [], "additional_closed_codelist_values": {},
                                      "ocds_prefixes_bad_format": []}
    assert schema_problems(json.loads(records), "record-package-schema.json") == []


def test_running_it_again_adds_nothing_and_it_takes_seconds(seeded):
    print(f"demo.build took {seeded['seconds']:.2f}s: {seeded['counts']}")
    assert seeded["seconds"] < 30
    counts = (ProcurementProject.objects.count(), Contract.objects.count(), OcdsRelease.objects.count())
    assert demo.build(random.Random(11)) is None
    assert (ProcurementProject.objects.count(), Contract.objects.count(), OcdsRelease.objects.count()) == counts
