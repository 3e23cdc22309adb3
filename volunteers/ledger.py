"""The points ledger (DESIGN.md §4.4, issue 4): double entry, append-only, idempotent.

Every movement is one :class:`Transfer` from a debit account to a credit account, written by :func:`transfer`
together with the two cached balances, in one transaction. Invariants, each held by the database as well as by
this code:

- all balances sum to zero (each transfer takes from one account what it gives to another);
- a volunteer's balance never goes below zero (a CHECK on the account row);
- a cached balance equals the sum of its transfers (only :func:`transfer`, and :func:`post` for a hot path
  whose key is new by construction, change either);
- an idempotency key, and a (source, source_ref) pair, are used once (unique indexes);
- transfers are never updated or deleted (triggers on SQLite and PostgreSQL, installed by migration).
"""

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum

from core import audit, fastsql, triggers

from .exceptions import InsufficientPoints, LedgerError
from .models import Account, Transfer

TRIGGER_TABLE = Transfer._meta.db_table

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS volunteers_transfer_no_update BEFORE UPDATE ON {TRIGGER_TABLE}
        BEGIN SELECT RAISE(ABORT, 'points transfers are append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS volunteers_transfer_no_delete BEFORE DELETE ON {TRIGGER_TABLE}
        BEGIN SELECT RAISE(ABORT, 'points transfers are append-only'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS volunteers_transfer_no_update",
    "DROP TRIGGER IF EXISTS volunteers_transfer_no_delete",
]
POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION volunteers_transfer_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'points transfers are append-only'; END; $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS volunteers_transfer_no_change ON {TRIGGER_TABLE}",
    f"""CREATE TRIGGER volunteers_transfer_no_change BEFORE UPDATE OR DELETE ON {TRIGGER_TABLE}
        FOR EACH ROW EXECUTE FUNCTION volunteers_transfer_append_only()""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS volunteers_transfer_no_change ON {TRIGGER_TABLE}",
    "DROP FUNCTION IF EXISTS volunteers_transfer_append_only()",
]


def install_triggers(conn=None) -> None:
    """Make the table refuse UPDATE and DELETE (run by the migration; tests re-run it after a flush)."""
    triggers.run({"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}, conn)


def drop_triggers(conn=None) -> None:
    """Only for emptying a SQLite test database between transactional tests (its flush deletes row by row)."""
    triggers.run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}, conn)


def system_account(kind: str) -> Account:
    """The issuer, reward pool or expiry account (created by migration; created here if a flush removed it)."""
    account, _ = Account.objects.get_or_create(kind=kind, volunteer=None)
    return account


def account_for(volunteer) -> Account:
    account, _ = Account.objects.get_or_create(kind=Account.Kind.VOLUNTEER, volunteer=volunteer)
    return account


def transfer(
    *,
    debit: Account,
    credit: Account,
    amount: int,
    source: str,
    source_ref,
    key: str | None = None,
    memo: str = "",
    actor=None,
    reverses: Transfer | None = None,
) -> Transfer:
    """Move ``amount`` points from ``debit`` to ``credit`` and return the transfer; idempotent on ``key``.

    ``key`` defaults to ``"{source}:{source_ref}"``, so a source moves points at most once. A second call with
    a key already used returns the first transfer unchanged. Raises :class:`InsufficientPoints` when a
    volunteer's account would go below zero, :class:`LedgerError` for a malformed transfer.
    """
    amount = int(amount)
    if amount <= 0:
        raise LedgerError("积分数量必须大于零。")
    if debit.pk == credit.pk:
        raise LedgerError("转出与转入账户不能相同。")
    key = key or f"{source}:{source_ref}"
    existing = Transfer.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    # One transaction for the row and both balances. The account rows are locked in primary-key order so two
    # transfers between the same accounts in opposite directions cannot deadlock on PostgreSQL (SQLite's
    # IMMEDIATE transactions already serialize writers).
    with transaction.atomic():
        locked = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=[debit.pk, credit.pk]).order_by("pk")}
        payer = locked[debit.pk]
        existing = Transfer.objects.filter(Q(idempotency_key=key) | Q(source=source, source_ref=str(source_ref))).first()
        if existing is not None:  # another request made it while this one waited for the lock
            return existing
        if payer.kind == Account.Kind.VOLUNTEER and payer.balance < amount:
            raise InsufficientPoints(f"积分余额不足：需要 {amount} 分，当前余额 {payer.balance} 分。")
        try:
            with transaction.atomic():  # savepoint: a unique or CHECK violation undoes only this movement
                row = Transfer.objects.create(
                    debit=payer, credit=locked[credit.pk], amount=amount, source=source, source_ref=str(source_ref),
                    idempotency_key=key, memo=memo[:200], created_by=actor if getattr(actor, "pk", None) else None,
                    reverses=reverses,
                )
                Account.objects.filter(pk=payer.pk).update(balance=F("balance") - amount)
                Account.objects.filter(pk=credit.pk).update(balance=F("balance") + amount)
        except IntegrityError as exc:
            existing = Transfer.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return existing
            raise InsufficientPoints("积分余额不足。") from exc
        audit.record(
            f"ledger.{source}", actor=actor, obj=row,
            after={"debit": payer.pk, "credit": credit.pk, "amount": amount, "source_ref": str(source_ref)}, reason=memo,
        )
    return row


def post(*, debit_id: int, credit_id: int, amount: int, source: str, source_ref, memo: str = "", actor=None,
         cursor, also_audit=()) -> Transfer:
    """:func:`transfer` for a caller that is already inside its transaction, with a cursor open, and whose
    ``source_ref`` is new by construction (the voucher it has just inserted): four plain statements instead of a
    dozen ORM ones (``core.fastsql``), because issue 10 asks ≥ 1,000 redemptions per second, one at a time.

    Same guarantees: both balances change with the transfer row in the caller's transaction, the accounts are
    updated in primary-key order (the order :func:`transfer` locks them, so the two cannot deadlock on
    PostgreSQL), the volunteer's debit is conditional on the balance (``InsufficientPoints`` when it would go
    below zero; the CHECK stays the last word), the unique key and source still hold, and the audit row is the
    one :func:`transfer` writes. ``also_audit``: the caller's own unsaved audit rows (``audit.build``), inserted
    in the same statement.
    """
    conn = fastsql.db()
    if not conn.in_atomic_block:
        raise LedgerError("post() must run inside the caller's transaction.")
    amount = int(amount)
    if amount <= 0 or debit_id == credit_id:
        raise LedgerError("积分转账的金额或账户不正确。")
    table = conn.ops.quote_name(Account._meta.db_table)
    # Only a volunteer account may not go below zero; system accounts (issuer, pool) may.
    debit_sql = f"UPDATE {table} SET balance = balance - %s WHERE id = %s AND (kind <> %s OR balance >= %s)"  # noqa: S608 - the model's table  # nosec B608
    credit_sql = f"UPDATE {table} SET balance = balance + %s WHERE id = %s"  # noqa: S608 - the model's table  # nosec B608
    for account_id in sorted((debit_id, credit_id)):
        if account_id == debit_id:
            cursor.execute(debit_sql, [amount, debit_id, Account.Kind.VOLUNTEER, amount])
            if cursor.rowcount != 1:
                raise InsufficientPoints("积分余额不足。")
        else:
            cursor.execute(credit_sql, [amount, credit_id])
    row = Transfer(debit_id=debit_id, credit_id=credit_id, amount=amount, source=source, source_ref=str(source_ref),
                   idempotency_key=f"{source}:{source_ref}", memo=memo[:200],
                   created_by=actor if getattr(actor, "pk", None) else None)
    fastsql.insert(row, cursor=cursor)
    fastsql.insert(audit.build(
        f"ledger.{source}", actor=actor, obj=row,
        after={"debit": debit_id, "credit": credit_id, "amount": amount, "source_ref": str(source_ref)}, reason=memo,
    ), *also_audit, cursor=cursor)
    return row


def reverse(original: Transfer, *, source: str, source_ref, actor=None, memo: str = "") -> Transfer:
    """Undo ``original`` by the opposite transfer (the only way points move back)."""
    return transfer(
        debit=original.credit, credit=original.debit, amount=original.amount, source=source, source_ref=source_ref,
        actor=actor, memo=memo or f"冲正：{original.memo}", reverses=original,
    )


def balance_from_transfers(account: Account) -> int:
    """The account's balance recomputed from its transfers (what the cached balance must always equal)."""
    credits = Transfer.objects.filter(credit=account).aggregate(s=Sum("amount"))["s"] or 0
    debits = Transfer.objects.filter(debit=account).aggregate(s=Sum("amount"))["s"] or 0
    return credits - debits


def check_invariants() -> list[str]:
    """Every broken ledger invariant, in Chinese; an empty list when the books balance."""
    problems = []
    total = Account.objects.aggregate(s=Sum("balance"))["s"] or 0
    if total != 0:
        problems.append(f"全部账户余额合计为 {total}，应为 0。")
    credits = dict(Transfer.objects.values_list("credit").annotate(s=Sum("amount")).values_list("credit", "s"))
    debits = dict(Transfer.objects.values_list("debit").annotate(s=Sum("amount")).values_list("debit", "s"))
    for pk, balance, kind in Account.objects.values_list("pk", "balance", "kind"):
        recomputed = credits.get(pk, 0) - debits.get(pk, 0)
        if recomputed != balance:
            problems.append(f"账户 {pk} 缓存余额 {balance} 与流水合计 {recomputed} 不一致。")
        if kind == Account.Kind.VOLUNTEER and balance < 0:
            problems.append(f"志愿者账户 {pk} 余额为负。")
    return problems
