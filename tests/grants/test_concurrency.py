"""孵化与资助 under real concurrency: threads, each on its own connection, against the file SQLite test database or,
with DATABASE_URL pointing at it, PostgreSQL (CI runs both).

Every job starts at a barrier (tests/threads.py). A thread may fail only with the domain error the losers of a
race are meant to get: "database is locked", a deadlock, an IntegrityError or a CHECK violation fails the test.
"""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from grants import incubation, services
from grants.exceptions import BudgetExceeded, CapacityExceeded, PaymentRefused
from grants.models import (
    Award,
    Disbursement,
    FundingCall,
    GrantApplication,
    IncubationBase,
    Residency,
    Tranche,
)
from tests.factories import OrganizationFactory
from tests.threads import run_with_workers, unexpected

from .helpers import funded, make_call, officer_for, reviewer_user, scored

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def officer(city):
    return officer_for(city)


def test_twenty_parallel_awards_against_a_budget_that_fits_ten_leave_exactly_ten(officer):
    call = make_call(created_by=officer, budget="100000")
    experts = [reviewer_user("甲专家"), reviewer_user("乙专家")]
    applications = [scored(call, officer, reviewers=experts, amount="10000") for _ in range(20)]
    assert {a.status for a in applications} == {GrantApplication.Status.SCORED}

    results = run_with_workers([
        (lambda application=application: services.award(application, acting_user=officer)) for application in applications
    ])

    assert unexpected(results, BudgetExceeded) == []
    assert sum(isinstance(r, Award) for r in results) == 10
    assert sum(isinstance(r, BudgetExceeded) for r in results) == 10
    call = FundingCall.objects.get(pk=call.pk)
    awarded = Award.objects.filter(application__call=call).aggregate(total=Sum("amount"))["total"]
    assert Award.objects.filter(application__call=call).count() == 10
    assert call.awarded_total == call.budget == awarded == Decimal("100000.00")
    assert GrantApplication.objects.filter(call=call, status=GrantApplication.Status.AWARDED).count() == 10
    assert GrantApplication.objects.filter(call=call, status=GrantApplication.Status.SCORED).count() == 10
    # Each award made its three tranches, and only the winners have any.
    assert Tranche.objects.filter(award__application__call=call).count() == 30


def test_twenty_parallel_admissions_into_a_base_of_five_places_admit_exactly_five(nanming, officer_nanming):
    base = IncubationBase.objects.create(name="南明区社会组织孵化基地", level=IncubationBase.Level.DISTRICT,
                                         region=nanming, operator="筑城社工服务中心", capacity=5)
    organizations = OrganizationFactory.create_batch(20)
    day = datetime.date(2026, 3, 2)

    results = run_with_workers([
        (lambda organization=organization: incubation.admit(base, organization, acting_user=officer_nanming, admitted_on=day))
        for organization in organizations
    ])

    assert unexpected(results, CapacityExceeded) == []
    assert sum(isinstance(r, Residency) for r in results) == 5
    assert sum(isinstance(r, CapacityExceeded) for r in results) == 15
    assert Residency.objects.filter(base=base, status=Residency.Status.RESIDENT).count() == 5
    assert IncubationBase.objects.get(pk=base.pk).residents == 5


def test_parallel_payments_of_the_same_tranche_make_one_disbursement(officer):
    call = make_call(created_by=officer, budget="100000")
    award = funded(call, officer, amount=Decimal("20000"))
    tranche = award.tranches.get(sequence=1)
    today = timezone.localdate()

    results = run_with_workers([
        (lambda: services.pay_tranche(tranche, acting_user=officer, paid_on=today, reference="BK-1")),
        (lambda: services.pay_tranche(tranche, acting_user=officer, paid_on=today, reference="BK-1")),
    ])

    assert unexpected(results, PaymentRefused) == []
    assert sum(isinstance(r, Disbursement) for r in results) == 1
    assert "已拨付" in next(r for r in results if isinstance(r, PaymentRefused)).message
    assert Disbursement.objects.filter(award=award).count() == 1
    assert Award.objects.get(pk=award.pk).paid_total == Decimal("10000.00") == tranche.amount
    assert Tranche.objects.get(pk=tranche.pk).status == Tranche.Status.PAID
