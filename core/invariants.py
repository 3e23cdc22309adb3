"""The books must balance (issue 11, items 8 and 9): every ledger, budget and payment invariant, checked over the
whole database, so that a restored backup, a load run or a nightly job can prove nothing was lost or doubled.

:func:`check_all` returns every broken invariant as a Chinese sentence (an empty list when all hold). Each rule is
also held by the code that writes the rows (locks, CHECK constraints, unique indexes, triggers); this module is
the independent auditor that reads the rows afterwards and recomputes every cached total from the rows it sums.

``core`` imports no domain app (DESIGN.md §3), so the domain checks below reach their models by name through the
app registry (as ``PORTAL_MEMBERSHIP_MODEL`` does) and run only when the app is installed. The 爱心银行 ledger's own
check, :func:`volunteers.ledger.check_invariants`, is reused by its dotted path. Another app adds a check with
:func:`register` (from its ``AppConfig.ready``).

Every check is a handful of aggregate queries (one per table, grouped in SQL), so it stays a few seconds at city
scale on SQLite.
"""

import re
from collections.abc import Callable
from decimal import Decimal

from django.apps import apps
from django.db import DatabaseError, connection
from django.db.models import Count, Sum
from django.utils.module_loading import import_string

Check = Callable[[], list[str]]
_registered: list[tuple[str, Check]] = []

# Append-only tables and the triggers that keep them so, per database vendor (the names the migrations create:
# volunteers.ledger, grants.ocds and core/migrations/0003). SQLite's audit table is guarded by the ORM only.
APPEND_ONLY_TRIGGERS = {
    "sqlite": {
        "volunteers": ["volunteers_transfer_no_update", "volunteers_transfer_no_delete"],
        "grants": ["grants_ocdsrelease_no_update", "grants_ocdsrelease_no_delete"],
    },
    "postgresql": {
        "core": ["core_auditentry_no_change"],
        "volunteers": ["volunteers_transfer_no_change"],
        "grants": ["grants_ocdsrelease_no_update"],
    },
}


def register(label: str, check: Check) -> None:
    """Add a check (a callable returning the broken invariants as sentences) to :func:`check_all`."""
    if all(existing is not check for _label, existing in _registered):
        _registered.append((label, check))


def _model(app_label: str, name: str):
    return apps.get_model(app_label, name) if apps.is_installed(app_label) else None


def _sums(queryset, group: str, field: str = "amount") -> dict:
    """{group value: sum of field} in one grouped query."""
    return dict(queryset.order_by().values_list(group).annotate(s=Sum(field)).values_list(group, "s"))


def _money(value) -> Decimal:
    return Decimal(value or 0)


# --- 爱心银行 -----------------------------------------------------------------------------------------------
def ledger() -> list[str]:
    """The points ledger: the ledger's own check (all balances sum to zero, each cached balance equals its
    transfers, no volunteer below zero), then points issued − spent − expired = what volunteers hold, the reward
    pool holds exactly the points of the vouchers outstanding, and every voucher moved its points once."""
    Account, Transfer = _model("volunteers", "Account"), _model("volunteers", "Transfer")
    if Account is None:
        return []
    problems = list(import_string("volunteers.ledger.check_invariants")())
    kinds = dict(Account.objects.values_list("pk", "kind"))
    net_in = {kind: 0 for kind in set(kinds.values())}  # points that flowed into each kind of account, net
    for pk, amount in _sums(Transfer.objects, "credit").items():
        net_in[kinds[pk]] = net_in.get(kinds[pk], 0) + amount
    for pk, amount in _sums(Transfer.objects, "debit").items():
        net_in[kinds[pk]] = net_in.get(kinds[pk], 0) - amount
    issued = -net_in.get("issuer", 0)
    spent, expired = net_in.get("reward_pool", 0), net_in.get("expiry", 0)
    held = Account.objects.filter(kind="volunteer").aggregate(s=Sum("balance"))["s"] or 0
    if issued - spent - expired != held:
        problems.append(f"发行积分 {issued} − 兑换 {spent} − 过期 {expired} = {issued - spent - expired}，"
                        f"与志愿者账户余额合计 {held} 不一致。")
    for kind, label in (("reward_pool", "回馈兑换池"), ("expiry", "过期积分账户")):
        for pk, balance in Account.objects.filter(kind=kind, balance__lt=0).values_list("pk", "balance"):
            problems.append(f"{label}（账户 {pk}）余额为负：{balance}。")
    problems += _vouchers(Account, Transfer)
    duplicates = (Transfer.objects.order_by().values("source", "source_ref").annotate(n=Count("pk"))
                  .filter(n__gt=1).values_list("source", "source_ref", "n")[:20])
    for source, ref, n in duplicates:
        problems.append(f"积分来源 {source}:{ref} 记账 {n} 次，应至多一次。")
    return problems


def _vouchers(Account, Transfer) -> list[str]:
    Voucher = _model("volunteers", "Voucher")
    problems = []
    held_statuses = ["issued", "redeemed"]
    outstanding = Voucher.objects.filter(status__in=held_statuses).aggregate(s=Sum("points"))["s"] or 0
    pool = Account.objects.filter(kind="reward_pool").aggregate(s=Sum("balance"))["s"] or 0
    if pool != outstanding:
        problems.append(f"回馈兑换池余额 {pool} 与未退回兑换券的积分合计 {outstanding} 不一致。")
    taken = _sums(Transfer.objects.filter(source="redemption"), "source_ref")
    returned = _sums(Transfer.objects.filter(source="redemption_return"), "source_ref")
    for pk, status, points in Voucher.objects.values_list("pk", "status", "points").iterator():
        ref = str(pk)
        if taken.get(ref) != points:
            problems.append(f"兑换券 {pk} 应扣 {points} 分，实扣 {taken.get(ref, 0)} 分。")
        expected_back = 0 if status in held_statuses else points
        if returned.get(ref, 0) != expected_back:
            problems.append(f"兑换券 {pk}（{status}）应退回 {expected_back} 分，实退 {returned.get(ref, 0)} 分。")
        if len(problems) >= 50:
            break
    return problems


# --- 孵化与资助 budgets -----------------------------------------------------------------------------------------
def grant_budgets() -> list[str]:
    """Funding calls: awarded = the sum of the call's awards, within the budget. Awards: paid = the sum of the
    disbursements, between zero and the award; a tranche is 已拨付 exactly when one payment of its amount exists."""
    FundingCall, Award = _model("grants", "FundingCall"), _model("grants", "Award")
    if FundingCall is None:
        return []
    Disbursement, Tranche = _model("grants", "Disbursement"), _model("grants", "Tranche")
    problems = []
    awarded = _sums(Award.objects, "application__call")
    for pk, title, budget, total in FundingCall.objects.values_list("pk", "title", "budget", "awarded_total"):
        if _money(awarded.get(pk)) != total:
            problems.append(f"资助计划“{title}”已资助金额 {total} 与各项资助合计 {_money(awarded.get(pk))} 不一致。")
        if not Decimal(0) <= total <= budget:
            problems.append(f"资助计划“{title}”已资助 {total}，超出预算 {budget}。")
    paid = _sums(Disbursement.objects, "award")
    for pk, amount, total in Award.objects.values_list("pk", "amount", "paid_total"):
        if _money(paid.get(pk)) != total:
            problems.append(f"资助 {pk} 已拨付 {total} 与拨付记录合计 {_money(paid.get(pk))} 不一致。")
        if not Decimal(0) <= total <= amount:
            problems.append(f"资助 {pk} 已拨付 {total}，超出资助金额 {amount} 或为负。")
    payments = {tranche: (n, amount) for tranche, n, amount in Disbursement.objects.filter(kind="payment")
                .order_by().values_list("tranche").annotate(n=Count("pk"), s=Sum("amount")).values_list("tranche", "n", "s")}
    for pk, status, amount in Tranche.objects.values_list("pk", "status", "amount"):
        n, paid_amount = payments.get(pk, (0, None))
        if (status == "paid") != (n == 1) or n > 1:
            problems.append(f"分期 {pk} 状态为 {status}，却有 {n} 条拨付记录。")
        elif n == 1 and paid_amount != amount:
            problems.append(f"分期 {pk} 金额 {amount}，拨付记录为 {paid_amount}。")
    return problems


# --- 政府购买服务 payments ------------------------------------------------------------------------------------
def contract_payments() -> list[str]:
    """Contracts: paid = the sum of payments, within the value; a signed contract's milestones add up to its
    value; a milestone is 已支付 exactly when it has a payment, of the same contract, not above its amount."""
    Contract, ContractPayment = _model("grants", "Contract"), _model("grants", "ContractPayment")
    if Contract is None:
        return []
    Milestone = _model("grants", "Milestone")
    problems = []
    paid = _sums(ContractPayment.objects, "contract")
    scheduled = _sums(Milestone.objects, "contract")
    for pk, number, status, value, total in Contract.objects.values_list("pk", "number", "status", "value", "paid_total"):
        if _money(paid.get(pk)) != total:
            problems.append(f"合同 {number} 已支付 {total} 与支付记录合计 {_money(paid.get(pk))} 不一致。")
        if total < 0 or (value is not None and total > value):
            problems.append(f"合同 {number} 已支付 {total}，超出合同价格 {value} 或为负。")
        if status != "draft" and _money(scheduled.get(pk)) != value:
            problems.append(f"合同 {number} 付款节点合计 {_money(scheduled.get(pk))} 与合同价格 {value} 不一致。")
    payments = {m: (c, a) for m, c, a in ContractPayment.objects.values_list("milestone", "contract", "amount")}
    for pk, contract, status, amount in Milestone.objects.values_list("pk", "contract", "status", "amount"):
        payment = payments.get(pk)
        if (status == "paid") != (payment is not None):
            problems.append(f"付款节点 {pk} 状态为 {status}，" + ("却有支付记录。" if payment else "却没有支付记录。"))
        elif payment and (payment[0] != contract or payment[1] > amount):
            problems.append(f"付款节点 {pk} 的支付记录（合同 {payment[0]}，{payment[1]}）与节点（合同 {contract}，{amount}）不符。")
    return problems


# --- append-only tables -------------------------------------------------------------------------------------
def append_only_triggers() -> list[str]:
    """The triggers that refuse UPDATE and DELETE on the ledger, the OCDS releases and (PostgreSQL) the audit log
    exist: a restore or a hand-made schema that lost them would let history be rewritten silently."""
    expected = [name for app_label, names in APPEND_ONLY_TRIGGERS.get(connection.vendor, {}).items()
                if apps.is_installed(app_label) for name in names]
    if not expected:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        present = {row[0] for row in cursor.fetchall()}
    return [f"只追加表的触发器 {name} 不存在：历史记录可能被修改或删除。" for name in expected if name not in present]


BUILT_IN: list[tuple[str, Check]] = [
    ("爱心银行积分账本", ledger),
    ("资助预算与拨付", grant_budgets),
    ("购买服务合同支付", contract_payments),
    ("只追加表", append_only_triggers),
]


def check_all() -> list[str]:
    """Every broken invariant, each prefixed with its area; an empty list when all hold. A check that cannot run
    (a missing table, an older schema) is reported as a problem, never skipped silently."""
    problems = []
    for label, check in BUILT_IN + _registered:
        try:
            found = check()
        except DatabaseError as exc:
            found = [f"无法检查：{_one_line(exc)}"]
        problems += [f"[{label}] {problem}" for problem in found]
    return problems


def _one_line(exc: Exception) -> str:
    return re.sub(r"\s+", " ", str(exc)).strip()[:200]
