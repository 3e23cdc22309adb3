"""爱心银行 under real concurrency: threads, each on its own connection, against the file SQLite test database or,
with DATABASE_URL pointing at it, PostgreSQL (CI runs both).

Every job starts at a barrier. On SQLite each job gets its own thread; on PostgreSQL (100 connections, shared
with whatever else runs) at most 40 threads carry the jobs, each taking the next job as it finishes one, so 40
requests are always in flight at once. A thread may fail only with the domain error the losers of a race are
meant to get; "database is locked", a deadlock or an IntegrityError fails the test.
"""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import InvalidTransition
from tests.factories import UserFactory
from tests.threads import run_with_workers, unexpected
from tests.volunteers.helpers import (
    balance,
    credit,
    make_merchant,
    make_reward,
    make_shift,
    pending_record,
    register,
)
from volunteers import ledger, services
from volunteers.exceptions import InsufficientPoints, RedemptionRefused
from volunteers.models import Reward, ServiceRecord, Shift, SignUp, Transfer, Voucher

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def member(volunteer, applicant, activity):
    """A volunteer with 10 points."""
    member = register(volunteer)
    credit(member, 10, organizer=applicant, activity=activity)
    return member


@pytest.fixture
def shop(merchant):
    return make_merchant(merchant)


def test_a_hundred_parallel_redemptions_against_ten_points_issue_exactly_ten_vouchers(member, shop, merchant):
    reward = make_reward(shop, merchant, points_price=1, stock=150, per_person_limit=100)

    results = run_with_workers([
        (lambda i=i: services.redeem(reward, volunteer=member, acting_user=member.user, idempotency_key=f"k{i}"))
        for i in range(100)
    ])

    assert unexpected(results, InsufficientPoints) == []
    assert sum(isinstance(r, Voucher) for r in results) == 10
    assert Voucher.objects.filter(volunteer=member).count() == 10
    assert balance(member) == 0 == ledger.balance_from_transfers(ledger.account_for(member))
    assert Reward.objects.get(pk=reward.pk).stock == 140
    assert Transfer.objects.filter(source=Transfer.Source.REDEMPTION).count() == 10
    assert ledger.check_invariants() == []


def test_fifty_parallel_sign_ups_to_ten_places_confirm_the_first_ten_to_arrive(activity, applicant):
    shift = make_shift(activity, applicant, capacity=10)
    people = [register(UserFactory(), real_name=f"志愿者{i}") for i in range(50)]

    results = run_with_workers([
        (lambda person=person: services.sign_up(shift, volunteer=person, acting_user=person.user)) for person in people
    ])

    assert unexpected(results) == []
    signups = list(SignUp.objects.filter(shift=shift).order_by("position"))
    assert [s.position for s in signups] == list(range(1, 51))
    assert [s.status for s in signups] == [SignUp.Status.CONFIRMED] * 10 + [SignUp.Status.WAITLISTED] * 40
    shift = Shift.objects.get(pk=shift.pk)
    assert (shift.confirmed, shift.next_position) == (10, 51)


def test_parallel_approvals_of_one_record_credit_it_once(member, activity, applicant, officer_nanming):
    record = pending_record(member, activity, 180)
    approvers = [applicant, officer_nanming] * 4

    results = run_with_workers([
        (lambda user=user: services.approve_record(record, acting_user=user)) for user in approvers
    ])

    assert unexpected(results, InvalidTransition) == []
    assert sum(isinstance(r, ServiceRecord) for r in results) == 1
    assert Transfer.objects.filter(source=Transfer.Source.SERVICE, source_ref=str(record.pk)).count() == 1
    assert balance(member) == 10 + 3
    assert ledger.check_invariants() == []


def test_fifty_parallel_redemptions_with_one_key_make_one_voucher(member, shop, merchant):
    reward = make_reward(shop, merchant, points_price=3, stock=5)
    fingerprint = services.request_fingerprint({"reward": reward.pk})

    results = run_with_workers([
        (lambda: services.redeem(reward, volunteer=member, acting_user=member.user, idempotency_key="once",
                                 fingerprint=fingerprint))
        for _ in range(50)
    ])

    assert unexpected(results) == []
    assert {r.pk for r in results} == set(Voucher.objects.values_list("pk", flat=True))
    assert Voucher.objects.count() == 1
    assert Transfer.objects.filter(source=Transfer.Source.REDEMPTION).count() == 1
    assert balance(member) == 7 and Reward.objects.get(pk=reward.pk).stock == 4


def test_a_voucher_cancelled_completed_and_expired_at_once_is_settled_once(member, shop, merchant):
    reward = make_reward(shop, merchant, points_price=4, stock=5)
    voucher = services.redeem(reward, volunteer=member, acting_user=member.user, idempotency_key="v")
    later = timezone.now() + datetime.timedelta(days=365)

    results = run_with_workers(
        [(lambda: services.cancel_voucher(voucher, acting_user=member.user))] * 4
        + [(lambda: services.complete_voucher(voucher.code, acting_user=merchant))] * 4
        + [(lambda: services.expire_vouchers(now=later))] * 4
    )

    assert unexpected(results, RedemptionRefused) == []
    voucher.refresh_from_db()
    returned = Transfer.objects.filter(source=Transfer.Source.REDEMPTION_RETURN).count()
    if voucher.status == Voucher.Status.REDEEMED:
        assert (returned, balance(member)) == (0, 6)
    else:
        assert voucher.status in (Voucher.Status.CANCELLED, Voucher.Status.EXPIRED)
        assert (returned, balance(member)) == (1, 10)
        assert Reward.objects.get(pk=reward.pk).stock == 5
    assert sum(isinstance(r, Voucher) for r in results) + sum(r == 1 for r in results if isinstance(r, int)) == 1
    assert ledger.check_invariants() == []
