"""Property: whatever volunteers earn, spend, get back, lose to expiry or have corrected, in any order, the books
balance after every step (DESIGN.md §4.4): all accounts sum to zero, every cached balance equals the sum of its
transfers, no volunteer's balance is negative; and the reward pool and stock agree with the vouchers outstanding.

Examples share one test transaction, so state accumulates from one example to the next; each example makes its own
volunteers, and the invariants are checked over the whole database, so they must hold regardless.
"""

import contextlib
import datetime
import itertools

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.exceptions import DomainError
from tests.factories import UserFactory
from tests.volunteers.helpers import (
    make_activity,
    make_merchant,
    make_reward,
    pending_record,
    register,
    transfers_dated,
)
from volunteers import ledger, services
from volunteers.models import Account, ServiceRecord, Transfer, Voucher

pytestmark = pytest.mark.django_db

STOCK = 100_000
LONG_AGO = datetime.timedelta(days=400)
_keys = itertools.count(1)

who = st.integers(0, 2)
steps = st.one_of(
    st.tuples(st.just("credit"), who, st.integers(1, 400), st.booleans()),  # minutes served, earned long ago
    st.tuples(st.just("award"), who, st.integers(0, 30), st.sampled_from([2024, 2025]), st.booleans()),
    st.tuples(st.just("redeem"), who, st.integers(0, 1)),
    st.tuples(st.just("cancel"), who),
    st.tuples(st.just("expire_vouchers"), st.integers(1, 90)),  # days from now
    st.tuples(st.just("expire_points"), st.integers(1, 24), st.integers(-30, 60)),  # months, as_of from today
    st.tuples(st.just("correct"), who, st.integers(1, 400)),  # new minutes of the volunteer's latest record
)


@pytest.fixture
def world(applicant, org_a, officer_nanming, nanming, merchant):
    shop = make_merchant(merchant)
    return {
        "organizer": applicant,
        "officer": officer_nanming,
        "region": nanming,
        "activity": make_activity(applicant, org_a, category_code="professional"),  # 3 points an hour
        "rewards": [make_reward(shop, merchant, points_price=price, stock=STOCK, per_person_limit=1000, title=title)
                    for price, title in ((3, "爱心理发一次"), (7, "爱心午餐一份"))],
    }


def perform(step, people, world):
    kind, *args = step
    if kind == "credit":
        index, minutes, old = args
        with transfers_dated(timezone.now() - LONG_AGO) if old else contextlib.nullcontext():
            record = pending_record(people[index], world["activity"], minutes)
            services.approve_record(record, acting_user=world["organizer"])
    elif kind == "award":
        index, bonus, year, old = args
        with transfers_dated(timezone.now() - LONG_AGO) if old else contextlib.nullcontext():
            services.confer_award(acting_user=world["officer"], volunteer=people[index], year=year,
                                  region=world["region"], bonus_points=bonus)
    elif kind == "redeem":
        index, which = args
        services.redeem(world["rewards"][which], volunteer=people[index], acting_user=people[index].user,
                        idempotency_key=f"p{next(_keys)}")
    elif kind == "cancel":
        voucher = Voucher.objects.filter(volunteer=people[args[0]], status=Voucher.Status.ISSUED).order_by("-pk").first()
        if voucher is None:
            return "nothing to cancel"
        services.cancel_voucher(voucher, acting_user=people[args[0]].user)
    elif kind == "expire_vouchers":
        return f"expired {'some' if services.expire_vouchers(now=timezone.now() + datetime.timedelta(days=args[0])) else 'none'}"
    elif kind == "expire_points":
        months, offset = args
        moved = services.expire_points(months=months, as_of=timezone.localdate() + datetime.timedelta(days=offset))
        return f"moved {'some' if moved else 'none'}"
    elif kind == "correct":
        index, minutes = args
        record = ServiceRecord.objects.filter(volunteer=people[index], status=ServiceRecord.Status.APPROVED).first()
        if record is None:
            return "nothing to correct"
        services.correct_record(record, acting_user=world["organizer"], new_minutes=minutes, reason="核对签到表")
    return "done"


def outstanding_agree_with_pool_and_stock(world) -> list[str]:
    problems = []
    held = Voucher.objects.filter(status__in=[Voucher.Status.ISSUED, Voucher.Status.REDEEMED])
    pool = ledger.system_account(Account.Kind.REWARD_POOL).balance
    if pool != (held.aggregate(s=Sum("points"))["s"] or 0):
        problems.append(f"reward pool {pool} differs from the points of vouchers outstanding")
    for reward in world["rewards"]:
        reward.refresh_from_db()
        if reward.stock + held.filter(reward=reward).count() != STOCK:
            problems.append(f"stock of {reward.title} does not match its vouchers outstanding")
    return problems


def records_hold_what_they_earned(people) -> list[str]:
    """Each approved record's points equal what its approval and its corrections moved."""
    problems = []
    for record in ServiceRecord.objects.filter(volunteer__in=people, status=ServiceRecord.Status.APPROVED):
        account = ledger.account_for(record.volunteer)
        earned = Transfer.objects.filter(source=Transfer.Source.SERVICE, source_ref=str(record.pk)).aggregate(
            s=Sum("amount"))["s"] or 0
        refs = [str(pk) for pk in record.corrections.values_list("pk", flat=True)]
        corrections = Transfer.objects.filter(source=Transfer.Source.CORRECTION, source_ref__in=refs)
        up = corrections.filter(credit=account).aggregate(s=Sum("amount"))["s"] or 0
        down = corrections.filter(debit=account).aggregate(s=Sum("amount"))["s"] or 0
        if earned + up - down != record.points:
            problems.append(f"record {record.pk}: {record.points} points but {earned + up - down} moved")
    return problems


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    opening=st.lists(st.tuples(st.integers(1, 600), st.booleans()), min_size=2, max_size=3),
    sequence=st.lists(steps, min_size=3, max_size=20),
)
def test_the_books_balance_after_any_sequence_of_earning_spending_returning_expiring_and_correcting(
    world, opening, sequence
):
    people = [register(UserFactory(), real_name=f"志愿者{i}") for i in range(len(opening))]
    for index, (minutes, old) in enumerate(opening):  # each volunteer starts with some service approved
        perform(("credit", index, minutes, old), people, world)
    for step in sequence:
        if step[0] not in ("expire_vouchers", "expire_points"):
            step = (step[0], step[1] % len(people), *step[2:])
        try:
            event(f"{step[0]}: {perform(step, people, world)}")
        except DomainError:  # a refused step: not enough points, a second award, a correction not covered …
            event(f"{step[0]} refused")
        problems = ledger.check_invariants() + outstanding_agree_with_pool_and_stock(world)
        assert problems == [], (step, problems)
        for person in people:
            assert services.volunteer_balance(person) >= 0
    assert records_hold_what_they_earned(people) == []
