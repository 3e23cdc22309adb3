"""The 爱心银行 demo data: built at a tiny scale on top of seed_demo's first steps (regions, demo accounts, the
demo organizations), so it runs in seconds; seed_demo's own test runs the whole command at demo scale."""

import datetime
import random
from io import StringIO

import pytest
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from core.models import Role, Sequence, User
from orgs.codes import is_valid_id_number
from portal.management.commands.seed_demo import Command
from volunteers import demo, ledger, permissions, services
from volunteers.models import (
    Account,
    Activity,
    Award,
    Certificate,
    Merchant,
    Reward,
    ServiceRecord,
    Shift,
    SignUp,
    Transfer,
    Volunteer,
    Voucher,
)

TINY = {"volunteers": 80, "activities": 14, "records": 400, "merchants": 3, "vouchers": 40}


@pytest.fixture
def seeded(db):
    command = Command(stdout=StringIO())
    rng = random.Random(2026)
    for step in (command.seed_regions, command.seed_accounts, command.seed_organizations):
        step(rng)
    return demo.build(random.Random(7), **TINY)


def test_the_books_balance_and_every_approved_record_earned_its_points_once(seeded):
    assert ledger.check_invariants() == []
    issued = Transfer.objects.filter(source__in=["service", "award"]).aggregate(s=Sum("amount"))["s"]
    assert ledger.system_account(Account.Kind.ISSUER).balance == -issued
    assert not Account.objects.filter(kind=Account.Kind.VOLUNTEER, balance__lt=0).exists()

    approved = ServiceRecord.objects.filter(status=ServiceRecord.Status.APPROVED)
    assert approved.count() == Transfer.objects.filter(source=Transfer.Source.SERVICE).count()
    for record in approved.select_related("volunteer__account")[:50]:
        credit = Transfer.objects.get(source=Transfer.Source.SERVICE, source_ref=str(record.pk))
        assert credit.idempotency_key == f"service:{record.pk}"
        assert credit.amount == record.points == services.points_for(record.minutes, record.points_per_hour)
        assert credit.credit == record.volunteer.account
    not_approved = ServiceRecord.objects.exclude(status=ServiceRecord.Status.APPROVED).values_list("pk", flat=True)
    assert not Transfer.objects.filter(source=Transfer.Source.SERVICE, source_ref__in=[str(pk) for pk in not_approved]).exists()

    # Every voucher took its points to the reward pool; cancelled and expired ones got them back by a reversal.
    assert Voucher.objects.count() == Transfer.objects.filter(source=Transfer.Source.REDEMPTION).count()
    closed = Voucher.objects.filter(status__in=[Voucher.Status.CANCELLED, Voucher.Status.EXPIRED])
    returns = Transfer.objects.filter(source=Transfer.Source.REDEMPTION_RETURN)
    assert returns.count() == closed.count() > 0
    for back in returns.select_related("reverses"):
        assert back.reverses.source == Transfer.Source.REDEMPTION and back.reverses.source_ref == back.source_ref
        assert back.amount == back.reverses.amount


def test_every_volunteer_has_a_valid_id_number_an_account_and_the_volunteer_role(seeded):
    volunteers = Volunteer.objects.all()
    assert volunteers.count() == TINY["volunteers"] + 1  # and 孙志愿
    assert all(is_valid_id_number(number) for number in volunteers.values_list("id_number", flat=True))
    assert Account.objects.filter(kind=Account.Kind.VOLUNTEER).count() == volunteers.count()
    assert User.objects.filter(volunteer__isnull=False, role_assignments__role=Role.VOLUNTEER).count() == volunteers.count()
    assert all(number.startswith("ZY") and len(number) == 13 for number in volunteers.values_list("number", flat=True))
    # The next registration continues the numbering.
    assert Sequence.objects.get(name="volunteer").value >= volunteers.count()
    assert all(region.startswith("5201") for region in volunteers.values_list("region__code", flat=True))


def test_no_shift_is_overbooked_and_places_taken_match_the_sign_ups(seeded):
    taking = [SignUp.Status.CONFIRMED, SignUp.Status.ATTENDED, SignUp.Status.NO_SHOW]
    shifts = Shift.objects.annotate(taken=Count("signups", filter=Q(signups__status__in=taking)))
    assert shifts.exists()
    assert not shifts.filter(confirmed__gt=F("capacity")).exists()
    assert not shifts.exclude(taken=F("confirmed")).exists()
    for activity in Activity.objects.prefetch_related("shifts"):
        assert activity.starts_on == timezone.localdate(min(s.starts_at for s in activity.shifts.all()))
    assert not Reward.objects.filter(stock__lt=0).exists()

    # Nothing is dated in the future, and nobody signed up before the activity was published.
    now = timezone.now()
    assert not SignUp.objects.filter(created_at__gt=now).exists()
    assert not SignUp.objects.filter(created_at__lt=F("shift__activity__created_at")).exists()
    assert not ServiceRecord.objects.filter(decided_at__gt=now).exists()
    assert not Transfer.objects.filter(created_at__gt=now).exists()
    assert not Voucher.objects.filter(Q(created_at__gt=now) | Q(redeemed_at__gt=now) | Q(closed_at__gt=now)).exists()


def test_the_demo_volunteer_has_points_an_upcoming_shift_a_voucher_and_a_certificate(seeded):
    volunteer = Volunteer.objects.get(user__phone=demo.DEMO_VOLUNTEER_PHONE)
    assert volunteer.real_name == "孙志愿" and volunteer.public_name_consent
    assert services.volunteer_balance(volunteer) > 0
    assert volunteer.records.filter(status=ServiceRecord.Status.APPROVED).exists()
    assert volunteer.signups.filter(status=SignUp.Status.CONFIRMED).exists()
    assert volunteer.vouchers.filter(status=Voucher.Status.ISSUED).count() == 1
    certificate = Certificate.objects.get(volunteer=volunteer)
    assert certificate.record_count == volunteer.records.filter(status=ServiceRecord.Status.APPROVED).count()
    assert Award.objects.filter(volunteer=volunteer, bonus_points=100).exists()


def test_the_demo_merchant_sees_their_vouchers_and_the_organization_member_has_a_queue(seeded):
    user = User.objects.get(phone=demo.DEMO_MERCHANT_PHONE)
    assert user.has_role(Role.MERCHANT)
    merchant = Merchant.objects.get(members=user)
    assert merchant.name == demo.MERCHANTS[0][0]
    vouchers = permissions.merchant_vouchers(user)
    assert vouchers.exists()
    assert set(vouchers.values_list("reward__merchant", flat=True)) == {merchant.pk}

    member = User.objects.get(phone="13800000008")
    pending = permissions.managed_records(member).filter(status=ServiceRecord.Status.PENDING)
    assert pending.exists()
    assert set(pending.values_list("activity__organization__name", flat=True)) == {demo.DEMO_ORGANIZATION}


def test_running_it_again_adds_nothing(seeded):
    counts = {model: model.objects.count() for model in (User, Volunteer, Transfer, ServiceRecord, Voucher, Merchant)}
    assert demo.build(random.Random(7), **TINY) is None
    assert {model: model.objects.count() for model in counts} == counts


def test_generated_id_numbers_are_valid_and_carry_the_sex_in_the_sequence_digit():
    rng, born = random.Random(5), datetime.date(1970, 1, 1)
    men = [demo.id_number(rng, "520102", born, True) for _ in range(20)]
    women = [demo.id_number(rng, "520103", born, False) for _ in range(20)]
    assert all(is_valid_id_number(n) for n in men + women)
    assert all(int(n[16]) % 2 == 1 for n in men) and all(int(n[16]) % 2 == 0 for n in women)
