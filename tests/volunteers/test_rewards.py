"""Rewards, vouchers and 核销; points and stock returned on cancel and expiry; points expiry; 好市民 awards and
志愿服务证明 certificates (DESIGN.md §4.4)."""

import datetime

import pytest
from django.utils import timezone

from core.models import Notification
from tests.factories import UserFactory
from tests.volunteers.helpers import (
    balance,
    credit,
    make_activity,
    make_merchant,
    make_reward,
    pending_record,
    recomputed,
    register,
    transfers_dated,
)
from volunteers import ledger, services
from volunteers.exceptions import (
    IdempotencyConflict,
    InsufficientPoints,
    PermissionDenied,
    RedemptionRefused,
    VolunteerError,
)
from volunteers.models import (
    Account,
    Award,
    Certificate,
    Reward,
    ServiceRecord,
    Transfer,
    Voucher,
    VoucherStatusChange,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def funded(member, applicant, activity):
    """The member with 30 points earned by approved service."""
    credit(member, 30, organizer=applicant, activity=activity)
    return member


@pytest.fixture
def shop(merchant):
    return make_merchant(merchant)


@pytest.fixture
def reward(shop, merchant):
    return make_reward(shop, merchant, points_price=10, stock=3)


def redeem(reward, volunteer, key="k1", **kwargs):
    return services.redeem(reward, volunteer=volunteer, acting_user=volunteer.user, idempotency_key=key, **kwargs)


def stock(reward):
    return Reward.objects.get(pk=reward.pk).stock


def pool_balance():
    return ledger.system_account(Account.Kind.REWARD_POOL).balance


# --- redemption -----------------------------------------------------------------------------------------------
def test_redeeming_reserves_the_points_and_one_unit_of_stock_and_issues_a_voucher(funded, reward):
    voucher = redeem(reward, funded)

    assert balance(funded) == 20 == recomputed(funded)
    assert stock(reward) == 2
    assert (voucher.status, voucher.points, len(voucher.code)) == (Voucher.Status.ISSUED, 10, 10)
    assert abs(voucher.expires_at - (timezone.now() + 30 * DAY)) < datetime.timedelta(minutes=1)
    moved = Transfer.objects.get(source=Transfer.Source.REDEMPTION)
    assert (moved.source_ref, moved.amount, moved.debit.volunteer, moved.credit.kind) == (
        str(voucher.pk), 10, funded, Account.Kind.REWARD_POOL)
    assert list(VoucherStatusChange.objects.filter(voucher=voucher).values_list("to_status", flat=True)) == ["issued"]
    assert ledger.check_invariants() == []


def test_nobody_redeems_for_someone_else(funded, reward, outsider):
    with pytest.raises(PermissionDenied):
        services.redeem(reward, volunteer=funded, acting_user=outsider, idempotency_key="x")
    assert balance(funded) == 30 and stock(reward) == 3


def test_a_volunteer_redeems_a_reward_no_more_often_than_its_per_person_limit(funded, shop, merchant):
    reward = make_reward(shop, merchant, points_price=5, stock=10, per_person_limit=2)
    first = redeem(reward, funded, "a")
    services.complete_voucher(first.code, acting_user=merchant)  # a used voucher still counts
    redeem(reward, funded, "b")

    with pytest.raises(RedemptionRefused, match="限兑 2 份"):
        redeem(reward, funded, "c")
    assert balance(funded) == 20 and stock(reward) == 8

    services.cancel_voucher(Voucher.objects.get(idempotency_key__endswith=":b"), acting_user=funded.user)
    assert redeem(reward, funded, "d").status == Voucher.Status.ISSUED  # a cancelled one does not


def test_a_reward_out_of_stock_cannot_be_redeemed(funded, shop, merchant, applicant, activity):
    reward = make_reward(shop, merchant, points_price=10, stock=1)
    other = register(UserFactory())
    credit(other, 10, organizer=applicant, activity=activity)
    redeem(reward, other)

    with pytest.raises(RedemptionRefused, match="兑完"):
        redeem(reward, funded)
    assert balance(funded) == 30 and stock(reward) == 0
    assert not Voucher.objects.filter(volunteer=funded).exists()


@pytest.mark.parametrize(("starts", "ends"), [(1, 10), (-10, -1)])
def test_a_reward_outside_its_validity_period_cannot_be_redeemed(funded, shop, merchant, starts, ends):
    today = timezone.localdate()
    reward = make_reward(shop, merchant, valid_from=today + starts * DAY, valid_until=today + ends * DAY)
    with pytest.raises(RedemptionRefused, match="兑换期"):
        redeem(reward, funded)
    assert balance(funded) == 30 and stock(reward) == 5


def test_a_withdrawn_reward_or_a_merchant_no_longer_taking_part_cannot_be_redeemed(funded, shop, merchant, reward):
    Reward.objects.filter(pk=reward.pk).update(active=False)
    with pytest.raises(RedemptionRefused):
        redeem(reward, funded, "a")
    Reward.objects.filter(pk=reward.pk).update(active=True)
    type(shop).objects.filter(pk=shop.pk).update(active=False)
    with pytest.raises(RedemptionRefused):
        redeem(reward, funded, "b")
    assert balance(funded) == 30


def test_a_volunteer_without_enough_points_cannot_redeem_and_nothing_is_reserved(member, applicant, activity, reward):
    credit(member, 9, organizer=applicant, activity=activity)
    with pytest.raises(InsufficientPoints):
        redeem(reward, member)
    assert balance(member) == 9 and stock(reward) == 3
    assert not Voucher.objects.exists()


def test_a_retried_redemption_with_the_same_key_returns_the_same_voucher(funded, reward):
    fingerprint = services.request_fingerprint({"reward": reward.pk})
    first = redeem(reward, funded, "retry", fingerprint=fingerprint)
    again = redeem(reward, funded, "retry", fingerprint=fingerprint)
    unfingerprinted = redeem(reward, funded, "retry")

    assert again.pk == unfingerprinted.pk == first.pk
    assert Voucher.objects.count() == 1
    assert Transfer.objects.filter(source=Transfer.Source.REDEMPTION).count() == 1
    assert balance(funded) == 20 and stock(reward) == 2


def test_the_same_key_for_a_different_request_is_a_conflict(funded, reward, shop, merchant):
    other_reward = make_reward(shop, merchant, points_price=3, title="爱心午餐一份")
    redeem(reward, funded, "k", fingerprint=services.request_fingerprint({"reward": reward.pk}))

    with pytest.raises(IdempotencyConflict):
        redeem(other_reward, funded, "k", fingerprint=services.request_fingerprint({"reward": other_reward.pk}))
    assert Voucher.objects.count() == 1 and balance(funded) == 20 and stock(other_reward) == 5


def test_idempotency_keys_belong_to_one_volunteer(funded, reward, applicant, activity):
    other = register(UserFactory())
    credit(other, 10, organizer=applicant, activity=activity)
    mine, theirs = redeem(reward, funded, "same"), redeem(reward, other, "same")
    assert mine.pk != theirs.pk
    assert (mine.volunteer, theirs.volunteer) == (funded, other)


# --- 核销 ------------------------------------------------------------------------------------------------------
def test_the_merchants_member_completes_a_voucher_once(funded, reward, merchant):
    voucher = redeem(reward, funded)

    done = services.complete_voucher(f" {voucher.code[:5].lower()} {voucher.code[5:]} ", acting_user=merchant)

    assert (done.pk, done.status, done.redeemed_by) == (voucher.pk, Voucher.Status.REDEEMED, merchant)
    with pytest.raises(RedemptionRefused):
        services.complete_voucher(voucher.code, acting_user=merchant)
    assert balance(funded) == 20 and pool_balance() == 10  # the points stay spent


def test_another_merchant_cannot_find_the_voucher(funded, reward):
    voucher = redeem(reward, funded)
    rival = UserFactory(name="冯商家")
    make_merchant(rival, name="另一家爱心商家")

    for stranger in (rival, funded.user):
        with pytest.raises(RedemptionRefused, match="未找到"):
            services.complete_voucher(voucher.code, acting_user=stranger)
    assert Voucher.objects.get(pk=voucher.pk).status == Voucher.Status.ISSUED


def test_a_voucher_presented_after_its_date_is_refused_and_returns_points_and_stock(funded, reward, merchant):
    voucher = redeem(reward, funded)
    Voucher.objects.filter(pk=voucher.pk).update(expires_at=timezone.now() - DAY)

    with pytest.raises(RedemptionRefused, match="过有效期"):
        services.complete_voucher(voucher.code, acting_user=merchant)

    assert Voucher.objects.get(pk=voucher.pk).status == Voucher.Status.EXPIRED
    assert balance(funded) == 30 and stock(reward) == 3
    assert ledger.check_invariants() == []


# --- cancel and expiry ----------------------------------------------------------------------------------------
def test_cancelling_a_voucher_returns_the_points_and_the_stock_by_a_reversing_transfer(funded, reward):
    voucher = redeem(reward, funded)

    services.cancel_voucher(voucher, acting_user=funded.user, reason="临时有事")

    assert Voucher.objects.get(pk=voucher.pk).status == Voucher.Status.CANCELLED
    assert balance(funded) == 30 and stock(reward) == 3
    back = Transfer.objects.get(source=Transfer.Source.REDEMPTION_RETURN)
    original = Transfer.objects.get(source=Transfer.Source.REDEMPTION)
    assert (back.source_ref, back.amount, back.reverses_id) == (str(voucher.pk), 10, original.pk)
    assert (back.debit_id, back.credit_id) == (original.credit_id, original.debit_id)
    with pytest.raises(RedemptionRefused):
        services.cancel_voucher(voucher, acting_user=funded.user)
    assert balance(funded) == 30 and stock(reward) == 3


def test_only_the_holder_or_the_merchant_cancels_a_voucher_and_never_a_used_one(funded, reward, merchant, outsider):
    voucher = redeem(reward, funded, "a")
    with pytest.raises(PermissionDenied):
        services.cancel_voucher(voucher, acting_user=outsider)
    services.cancel_voucher(voucher, acting_user=merchant, reason="商家暂停营业")
    assert balance(funded) == 30

    used = redeem(reward, funded, "b")
    services.complete_voucher(used.code, acting_user=merchant)
    with pytest.raises(RedemptionRefused):
        services.cancel_voucher(used, acting_user=funded.user)
    assert balance(funded) == 20


def test_expiring_vouchers_returns_points_and_stock_once(funded, shop, merchant):
    short = make_reward(shop, merchant, points_price=10, voucher_days=7)
    long = make_reward(shop, merchant, points_price=5, voucher_days=60, title="爱心洗车一次")
    lapsing, lasting = redeem(short, funded, "a"), redeem(long, funded, "b")
    later = timezone.now() + 8 * DAY

    assert services.expire_vouchers(now=later) == 1

    assert Voucher.objects.get(pk=lapsing.pk).status == Voucher.Status.EXPIRED
    assert Voucher.objects.get(pk=lasting.pk).status == Voucher.Status.ISSUED
    assert balance(funded) == 25 and stock(short) == 5 and stock(long) == 4
    transfers = Transfer.objects.count()
    assert services.expire_vouchers(now=later) == 0
    assert Transfer.objects.count() == transfers and balance(funded) == 25 and stock(short) == 5


def test_points_expire_only_when_old_and_unspent_and_once(member, applicant, activity, shop, merchant):
    long_ago = timezone.now() - 400 * DAY
    with transfers_dated(long_ago):
        old = credit(member, 10, organizer=applicant, activity=activity)
        redeem(make_reward(shop, merchant, points_price=3), member)  # spending takes the oldest points first
    credit(member, 5, organizer=applicant, activity=activity)
    expiry = ledger.system_account(Account.Kind.EXPIRY)
    expired_before = expiry.balance

    assert services.expire_points(months=12, as_of=timezone.localdate()) == 7

    assert balance(member) == 5 == recomputed(member)
    assert ledger.system_account(Account.Kind.EXPIRY).balance == expired_before + 7
    moved = Transfer.objects.get(source=Transfer.Source.EXPIRY)
    assert (moved.debit.volunteer, moved.amount) == (member, 7)
    assert services.expire_points(months=12, as_of=timezone.localdate()) == 0
    assert Transfer.objects.filter(source=Transfer.Source.EXPIRY).count() == 1
    record = ServiceRecord.objects.get(pk=old.pk)
    assert (record.minutes, record.status) == (600, ServiceRecord.Status.APPROVED)  # the hours stay
    assert ledger.check_invariants() == []


def test_points_never_expire_unless_configured(member, applicant, activity, settings):
    settings.PORTAL_POINTS_EXPIRE_MONTHS = None
    with transfers_dated(timezone.now() - 800 * DAY):
        credit(member, 10, organizer=applicant, activity=activity)
    assert services.expire_points(as_of=timezone.localdate()) == 0
    assert balance(member) == 10


# --- 好市民 awards --------------------------------------------------------------------------------------------
def test_an_award_credits_its_bonus_once_and_is_conferred_once_a_year(member, officer_nanming, nanming):
    award = services.confer_award(acting_user=officer_nanming, volunteer=member, year=2025, region=nanming,
                                  citation="全年服务 300 小时", bonus_points=50)

    assert balance(member) == 50
    moved = Transfer.objects.get(source=Transfer.Source.AWARD)
    assert (moved.source_ref, moved.amount) == (str(award.pk), 50)
    assert Notification.objects.filter(user=member.user, title__contains="2025 年度“好市民”").exists()
    with pytest.raises(VolunteerError):
        services.confer_award(acting_user=officer_nanming, volunteer=member, year=2025, region=nanming, bonus_points=50)
    assert balance(member) == 50 and Award.objects.count() == 1

    services.confer_award(acting_user=officer_nanming, volunteer=member, year=2026, region=nanming, bonus_points=0)
    assert Award.objects.count() == 2 and Transfer.objects.filter(source=Transfer.Source.AWARD).count() == 1


def test_an_officer_awards_only_volunteers_of_their_jurisdiction(member, officer_yunyan, yunyan, nanming, applicant):
    for user, region in ((officer_yunyan, yunyan), (officer_yunyan, nanming), (applicant, nanming)):
        with pytest.raises(PermissionDenied):
            services.confer_award(acting_user=user, volunteer=member, year=2025, region=region, bonus_points=10)
    assert balance(member) == 0 and not Award.objects.exists()


# --- certificates ---------------------------------------------------------------------------------------------
@pytest.fixture
def served(member, applicant, activity):
    """Two approved records (120 and 90 minutes), one pending and one declined."""
    credit(member, 2, organizer=applicant, activity=activity)
    services.approve_record(pending_record(member, activity, 90), acting_user=applicant)
    pending_record(member, activity, 45)
    services.decline_record(pending_record(member, activity, 300), acting_user=applicant, reason="无签到记录")
    return member


def test_a_certificate_lists_the_approved_records_only_and_keeps_them_as_issued(served, applicant, settings):
    certificate = services.issue_certificate(served, acting_user=served.user)

    assert (certificate.record_count, certificate.total_minutes) == (2, 210)
    assert sorted(r["minutes"] for r in certificate.records) == [90, 120]
    assert certificate.issuer_name == settings.PORTAL_VOLUNTEER_CERTIFICATE_ISSUER["name"]
    assert certificate.number.startswith(f"ZYFW{timezone.localdate():%Y}")
    assert len(certificate.token) <= Certificate._meta.get_field("token").max_length  # PostgreSQL enforces it

    record = ServiceRecord.objects.filter(volunteer=served, minutes=120).get()
    services.correct_record(record, acting_user=applicant, new_minutes=180, reason="少记一小时")
    certificate.refresh_from_db()
    assert certificate.total_minutes == 210  # frozen at issue
    assert services.issue_certificate(served, acting_user=served.user).total_minutes == 270


def test_certificate_numbers_never_repeat(served, officer_nanming):
    numbers = {services.issue_certificate(served, acting_user=served.user).number for _ in range(3)}
    numbers.add(services.issue_certificate(served, acting_user=officer_nanming).number)
    assert len(numbers) == 4


def test_a_certificate_is_issued_to_the_volunteer_or_by_an_officer_of_their_region_only(served, outsider,
                                                                                        officer_yunyan,
                                                                                        officer_nanming):
    for stranger in (outsider, officer_yunyan):
        with pytest.raises(PermissionDenied):
            services.issue_certificate(served, acting_user=stranger)
    by_officer = services.issue_certificate(served, acting_user=officer_nanming)
    assert by_officer.issuer_handler == "刘南明"


def test_an_organization_certifies_only_its_own_activities(served, applicant, other_member, org_a, org_b):
    elsewhere = make_activity(other_member, org_b, title="云岩区敬老院探访")
    services.approve_record(pending_record(served, elsewhere, 60), acting_user=other_member)

    certificate = services.issue_certificate(served, acting_user=applicant, organization=org_a)

    assert (certificate.record_count, certificate.total_minutes, certificate.issuer_name) == (2, 210, org_a.name)
    with pytest.raises(PermissionDenied):
        services.issue_certificate(served, acting_user=other_member, organization=org_a)


def test_no_certificate_without_an_approved_record(member, applicant, activity):
    pending_record(member, activity, 60)
    with pytest.raises(VolunteerError):
        services.issue_certificate(member, acting_user=member.user)



# --- the redemption's hot path (issue 10: ≥ 1,000 per second one at a time) --------------------------------------
def test_a_redemption_writes_the_audit_rows_and_history_of_any_service(funded, reward, shop):
    from core.models import AuditEntry

    voucher = redeem(reward, funded)

    issue = AuditEntry.objects.get(action="volunteers.voucher.issue")
    assert (issue.object_id, issue.region_id, issue.actor, issue.after) == (
        str(voucher.pk), shop.region_id, funded.user, {"reward": reward.pk, "points": 10})
    assert issue.object_repr == str(Voucher.objects.get(pk=voucher.pk))
    moved = AuditEntry.objects.get(action="ledger.redemption")
    assert moved.after["amount"] == 10 and moved.reason == f"兑换：{reward.title}（{shop.name}）"
    assert VoucherStatusChange.objects.get(voucher=voucher).actor == funded.user
    assert (voucher.reward.title, voucher.reward.merchant.name) == (reward.title, shop.name)


def test_a_redemption_takes_the_same_ten_statements_however_many_vouchers_the_volunteer_holds(
        funded, shop, merchant, django_assert_max_num_queries):
    many = make_reward(shop, merchant, points_price=1, stock=20, per_person_limit=20)
    with django_assert_max_num_queries(10):
        redeem(many, funded, "first")
    for n in range(12):
        redeem(many, funded, f"more-{n}")
    with django_assert_max_num_queries(10):
        redeem(many, funded, "last")
    assert Voucher.objects.filter(reward=many).count() == 14 and stock(many) == 6


def test_a_retried_redemption_of_the_last_unit_returns_the_voucher_and_not_a_refusal(funded, shop, merchant):
    last = make_reward(shop, merchant, points_price=10, stock=1)
    first = redeem(last, funded, "last-one")

    assert stock(last) == 0
    assert redeem(last, funded, "last-one").pk == first.pk
    with pytest.raises(RedemptionRefused, match="已兑完"):
        redeem(last, funded, "another")
    assert stock(last) == 0 and balance(funded) == 20
