"""The points ledger (DESIGN.md §4.4): double entry, append-only, idempotent, never overdrawn. Runs on SQLite and,
with DATABASE_URL pointing at PostgreSQL, on PostgreSQL: the refusals tested here are the database's own."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F

from tests.volunteers.helpers import (
    balance,
    credit,
    make_activity,
    make_merchant,
    make_reward,
    recomputed,
)
from volunteers import ledger, services
from volunteers.exceptions import InsufficientPoints, LedgerError
from volunteers.models import Account, Transfer, Voucher

pytestmark = pytest.mark.django_db


@pytest.fixture
def issuer():
    return ledger.system_account(Account.Kind.ISSUER)


@pytest.fixture
def pool():
    return ledger.system_account(Account.Kind.REWARD_POOL)


@pytest.fixture
def account(member):
    return ledger.account_for(member)


def give(issuer, account, amount, ref="t1", **kwargs):
    return ledger.transfer(debit=issuer, credit=account, amount=amount, source=Transfer.Source.AWARD, source_ref=ref, **kwargs)


def test_a_transfer_takes_from_one_account_exactly_what_it_gives_to_the_other(issuer, account, pool):
    issuer_before = Account.objects.get(pk=issuer.pk).balance
    give(issuer, account, 30)
    spent = ledger.transfer(debit=account, credit=pool, amount=12, source=Transfer.Source.REDEMPTION, source_ref="v1")

    assert Account.objects.get(pk=account.pk).balance == 18
    assert Account.objects.get(pk=pool.pk).balance == 12
    assert Account.objects.get(pk=issuer.pk).balance == issuer_before - 30
    assert (spent.debit_id, spent.credit_id, spent.amount) == (account.pk, pool.pk, 12)
    assert ledger.balance_from_transfers(account) == 18
    assert ledger.check_invariants() == []


def test_a_retried_transfer_with_the_same_key_returns_the_first_row_and_moves_nothing_more(issuer, account):
    first = give(issuer, account, 10, key="retry-1")
    again = give(issuer, account, 10, ref="t2", key="retry-1")

    assert again.pk == first.pk
    assert Transfer.objects.filter(idempotency_key="retry-1").count() == 1
    assert Account.objects.get(pk=account.pk).balance == 10


def test_a_source_moves_points_at_most_once_even_when_asked_under_another_key(issuer, account):
    first = give(issuer, account, 10, ref="award-7")
    again = give(issuer, account, 10, ref="award-7", key="some-other-key")

    assert again.pk == first.pk
    assert Transfer.objects.filter(source=Transfer.Source.AWARD, source_ref="award-7").count() == 1
    assert Account.objects.get(pk=account.pk).balance == 10


def test_a_service_record_approved_twice_is_credited_once(member, applicant, org_a):
    activity = make_activity(applicant, org_a)
    record = credit(member, 3, organizer=applicant, activity=activity)

    ledger.transfer(debit=ledger.system_account(Account.Kind.ISSUER), credit=ledger.account_for(member), amount=3,
                    source=Transfer.Source.SERVICE, source_ref=record.pk, key="a-new-key-for-the-same-record")

    assert Transfer.objects.filter(source=Transfer.Source.SERVICE, source_ref=str(record.pk)).count() == 1
    assert balance(member) == 3


@pytest.mark.parametrize("amount", [0, -5])
def test_a_transfer_of_no_points_or_negative_points_is_refused(issuer, account, amount):
    with pytest.raises(LedgerError):
        give(issuer, account, amount)
    assert not Transfer.objects.exists()
    assert Account.objects.get(pk=account.pk).balance == 0


def test_a_transfer_from_an_account_to_itself_is_refused(account):
    with pytest.raises(LedgerError):
        ledger.transfer(debit=account, credit=account, amount=1, source=Transfer.Source.AWARD, source_ref="x")
    assert not Transfer.objects.exists()


def test_a_volunteer_cannot_spend_more_than_their_balance_and_nothing_moves(issuer, account, pool):
    give(issuer, account, 5)
    pool_before = Account.objects.get(pk=pool.pk).balance

    with pytest.raises(InsufficientPoints):
        ledger.transfer(debit=account, credit=pool, amount=6, source=Transfer.Source.REDEMPTION, source_ref="v1")

    assert Account.objects.get(pk=account.pk).balance == 5
    assert Account.objects.get(pk=pool.pk).balance == pool_before
    assert not Transfer.objects.filter(source=Transfer.Source.REDEMPTION).exists()
    assert ledger.check_invariants() == []


def test_the_issuer_may_run_negative_but_a_volunteer_may_spend_exactly_to_zero(issuer, account, pool):
    give(issuer, account, 5)
    ledger.transfer(debit=account, credit=pool, amount=5, source=Transfer.Source.REDEMPTION, source_ref="v1")

    assert Account.objects.get(pk=account.pk).balance == 0
    assert Account.objects.get(pk=issuer.pk).balance < 0


def test_the_database_refuses_to_update_or_delete_a_transfer_written_in_raw_sql(issuer, account):
    row = give(issuer, account, 7)
    table = connection.ops.quote_name(Transfer._meta.db_table)

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET amount = 700 WHERE id = %s", [row.pk])  # noqa: S608 - fixed table name
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row.pk])  # noqa: S608 - fixed table name

    row.refresh_from_db()
    assert row.amount == 7
    assert Transfer.objects.filter(pk=row.pk).exists()


def test_the_database_refuses_to_update_or_delete_a_transfer_through_the_orm(issuer, account):
    row = give(issuer, account, 7)

    with pytest.raises(DatabaseError), transaction.atomic():
        Transfer.objects.filter(pk=row.pk).update(amount=700)
    with pytest.raises(DatabaseError), transaction.atomic():
        Transfer.objects.filter(pk=row.pk).delete()
    row.amount = 1
    with pytest.raises(DatabaseError), transaction.atomic():
        row.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        Transfer.objects.get(pk=row.pk).delete()

    assert Transfer.objects.get(pk=row.pk).amount == 7
    assert Account.objects.get(pk=account.pk).balance == 7


def test_the_database_refuses_a_negative_volunteer_balance_even_when_written_directly(account):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(balance=-1)
    assert Account.objects.get(pk=account.pk).balance == 0


def test_the_database_refuses_a_transfer_row_of_no_points_or_between_one_account(issuer, account):
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(debit=issuer, credit=account, amount=0, source="award", source_ref="z", idempotency_key="z")
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(debit=account, credit=account, amount=1, source="award", source_ref="y", idempotency_key="y")


def test_a_reversal_moves_the_points_back_and_names_what_it_reverses(issuer, account, pool):
    give(issuer, account, 10)
    spent = ledger.transfer(debit=account, credit=pool, amount=4, source=Transfer.Source.REDEMPTION, source_ref="v9")

    back = ledger.reverse(spent, source=Transfer.Source.REDEMPTION_RETURN, source_ref="v9")

    assert (back.debit_id, back.credit_id, back.amount) == (pool.pk, account.pk, 4)
    assert back.reverses_id == spent.pk
    assert Account.objects.get(pk=account.pk).balance == 10
    assert ledger.reverse(spent, source=Transfer.Source.REDEMPTION_RETURN, source_ref="v9").pk == back.pk
    assert Account.objects.get(pk=account.pk).balance == 10


def test_a_reversal_the_volunteer_can_no_longer_cover_is_refused(issuer, account, pool):
    earned = give(issuer, account, 10)
    ledger.transfer(debit=account, credit=pool, amount=8, source=Transfer.Source.REDEMPTION, source_ref="v1")

    with pytest.raises(InsufficientPoints):
        ledger.reverse(earned, source=Transfer.Source.REVERSAL, source_ref=earned.pk)
    assert Account.objects.get(pk=account.pk).balance == 2


def test_the_books_balance_after_earning_spending_returning_and_correcting(member, applicant, org_a, merchant,
                                                                              officer_nanming, nanming):
    activity = make_activity(applicant, org_a)
    record = credit(member, 4, organizer=applicant, activity=activity)
    services.confer_award(acting_user=officer_nanming, volunteer=member, year=2026, region=nanming, bonus_points=6)
    reward = make_reward(make_merchant(merchant), merchant, points_price=3, per_person_limit=3)
    first = services.redeem(reward, volunteer=member, acting_user=member.user, idempotency_key="k1")
    services.redeem(reward, volunteer=member, acting_user=member.user, idempotency_key="k2")
    services.cancel_voucher(first, acting_user=member.user)
    services.correct_record(record, acting_user=applicant, new_minutes=180, reason="签退时间登记有误")

    assert balance(member) == 4 + 6 - 3 - 3 + 3 - 1 == recomputed(member)
    assert Voucher.objects.filter(volunteer=member, status=Voucher.Status.ISSUED).count() == 1
    assert ledger.check_invariants() == []


def test_check_invariants_reports_a_cached_balance_that_no_longer_matches_its_transfers(issuer, account):
    give(issuer, account, 5)
    Account.objects.filter(pk=account.pk).update(balance=F("balance") + 2)

    problems = ledger.check_invariants()

    assert any("合计为 2" in p for p in problems)
    assert any(f"账户 {account.pk} 缓存余额 7" in p for p in problems)


def test_the_ledger_has_exactly_one_issuer_reward_pool_and_expiry_account():
    kinds = sorted(Account.objects.filter(volunteer=None).values_list("kind", flat=True))
    assert kinds == ["expiry", "issuer", "reward_pool"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(kind=Account.Kind.ISSUER)


def test_reading_a_balance_takes_one_query(member, issuer, django_assert_num_queries):
    give(issuer, ledger.account_for(member), 9)
    with django_assert_num_queries(1):
        assert services.volunteer_balance(member) == 9


# --- ledger.post: the redemption's hot path (issue 10) ----------------------------------------------------------
def post(debit, credit_to, amount, ref="p1"):
    with transaction.atomic(), connection.cursor() as cursor:
        return ledger.post(debit_id=debit.pk, credit_id=credit_to.pk, amount=amount, source=Transfer.Source.REDEMPTION,
                           source_ref=ref, memo="兑换：测试", cursor=cursor)


def test_a_posted_transfer_moves_the_balances_and_is_audited_like_any_transfer(issuer, account, pool):
    from core.models import AuditEntry

    give(issuer, account, 10)
    row = post(account, pool, 4)

    assert (balance(account.volunteer), recomputed(account.volunteer)) == (6, 6)
    assert Account.objects.get(pk=pool.pk).balance == pool.balance + 4
    stored = Transfer.objects.get(pk=row.pk)
    assert (stored.idempotency_key, stored.source_ref, stored.amount, stored.memo) == ("redemption:p1", "p1", 4, "兑换：测试")
    entry = AuditEntry.objects.get(action="ledger.redemption", object_id=str(row.pk))
    assert entry.after == {"debit": account.pk, "credit": pool.pk, "amount": 4, "source_ref": "p1"}
    assert entry.object_repr == str(stored)
    assert ledger.check_invariants() == []


def test_a_posted_transfer_that_would_overdraw_a_volunteer_is_refused_and_nothing_moves(issuer, account, pool):
    give(issuer, account, 3)
    with pytest.raises(InsufficientPoints):
        post(account, pool, 4)
    assert balance(account.volunteer) == 3
    assert Account.objects.get(pk=pool.pk).balance == pool.balance
    assert not Transfer.objects.filter(source=Transfer.Source.REDEMPTION).exists()

