"""The service budgets of ``make bench`` (issue 10), timed in-process inside the bench database.

:func:`measure` returns one entry per budget; ``bench/probe.py`` calls it (dev settings, Django set up) and
``bench/run.py`` prints them. Every entry has ``name`` (Chinese), ``value``, ``unit``, ``budget`` (text) and
``pass``; a time also carries ``seconds`` and ``budget_s``, a rate ``rate_per_s`` and ``min_rate_per_s``, a
ratio ``ratio`` and ``max_ratio``. A budget that is only reported (no limit in issue 10) always passes.

What each measurement leaves behind:

- the ledger rates run on a throwaway volunteer, merchant and reward made for the run, each call in its own
  committed transaction as in production (an outer transaction would turn the commits into savepoints and
  flatter the figure). Transfers are append-only, so those rows stay: the credits are matched by the
  redemptions point for point, every invariant of ``core.invariants`` holds, and afterwards the reward, the
  merchant and the account are switched off so no one sees them;
- everything else (the 1,000,000-transfer account, the OCDS releases added to reach 300 contracts, the
  recomputed campaign results) happens inside one transaction that is rolled back.
"""

import json
import secrets
import statistics
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone

BUDGETS = {
    "redemptions_per_s": 1000,
    "balance_ratio": 2.0,
    "registry_xlsx_s": 3,
    "registry_csv_s": 1,
    "ocds_s": 2,
    "giving_s": 2,
    "results_s": 30,
    "pdfs_s": 30,
}
REPORT_ONLY = "仅报告"


class _Rollback(Exception):
    """Raised to leave a measurement's transaction without keeping anything it wrote."""


class _Seconds(float):
    """Wall-clock seconds, with the process's CPU seconds beside them (``cpu``): on a shared, busy machine the wall
    clock also counts the time other processes held the cores; the CPU time does not (nor the database server's)."""

    cpu: float


def _timed(function) -> _Seconds:
    started, cpu = time.perf_counter(), time.process_time()
    function()
    seconds = _Seconds(time.perf_counter() - started)
    seconds.cpu = time.process_time() - cpu
    return seconds


def _cpu(seconds: float) -> float | None:
    cpu = getattr(seconds, "cpu", None)
    return None if cpu is None else round(cpu, 3)


def _time_entry(name: str, seconds: float, budget_s: float | None, **extra) -> dict:
    passed = True if budget_s is None else seconds <= budget_s
    return {"name": name, "value": round(seconds, 3), "unit": "s", "budget": f"≤ {budget_s} s" if budget_s else REPORT_ONLY,
            "pass": passed, "seconds": round(seconds, 3), "budget_s": budget_s, "cpu_s": _cpu(seconds), **extra}


def _rate_entry(name: str, count: int, seconds: float, min_rate: float | None, **extra) -> dict:
    rate = count / seconds if seconds else float("inf")
    passed = True if min_rate is None else rate >= min_rate
    return {"name": name, "value": round(rate, 1), "unit": "次/秒", "budget": f"≥ {min_rate:,} 次/秒" if min_rate else REPORT_ONLY,
            "pass": passed, "rate_per_s": round(rate, 1), "min_rate_per_s": min_rate, "count": count,
            "elapsed_s": round(seconds, 3), "cpu_s": _cpu(seconds), **extra}


def _missing(name: str, why: str) -> dict:
    """A budget that could not be measured fails: a silent gap would read as a pass."""
    return {"name": name, "value": None, "unit": "", "budget": why, "pass": False}  # a result flag  # nosec B105


@contextmanager
def _rolled_back():
    """Run the body in a transaction and roll it back, whatever it wrote."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


@contextmanager
def _no_query_log():
    """Time as production runs: with DEBUG on (dev settings) Django would copy every query into a log."""
    debug = settings.DEBUG
    settings.DEBUG = False
    try:
        yield
    finally:
        settings.DEBUG = debug


# --- 爱心银行 ledger ------------------------------------------------------------------------------------------
def _throwaway_volunteer(token: str, label: str):
    """A volunteer made for the measurement: a user without a password (it cannot sign in), no ID number, a 志愿者
    account. :func:`_retire` switches the user off afterwards."""
    from core.models import Region, User
    from volunteers import ledger
    from volunteers.models import Volunteer

    region = Region.objects.filter(depth=2).order_by("path").first() or Region.objects.order_by("path").first()
    phone = "1990" + f"{int(token[:6], 16) % 10_000_000:07d}"
    while User.objects.filter(phone=phone).exists():
        phone = "1990" + f"{secrets.randbelow(10_000_000):07d}"
    user = User.objects.create_user(phone, name=f"压测{label}")  # no password: it cannot sign in
    volunteer = Volunteer.objects.create(user=user, number=f"BENCH{token[:8].upper()}{label[:2]}", real_name="压测志愿者",
                                         phone=phone, region=region)
    return volunteer, ledger.account_for(volunteer)


def _retire(volunteer, *, reward=None) -> None:
    """Switch the throwaway rows off: the user cannot sign in, the reward and merchant are not listed."""
    from core.models import User
    from volunteers.models import Merchant, Reward

    User.objects.filter(pk=volunteer.user_id).update(is_active=False)
    if reward is not None:
        Reward.objects.filter(pk=reward.pk).update(active=False)
        Merchant.objects.filter(pk=reward.merchant_id).update(active=False)


def measure_ledger(count: int = 2000) -> list[dict]:
    """Credits (issuer → volunteer, :func:`volunteers.ledger.transfer`) and redemptions (volunteer → reward
    pool, :func:`volunteers.services.redeem`), one at a time, each in its own transaction."""
    import datetime

    from volunteers import ledger, services
    from volunteers.models import Account, Merchant, Reward, Transfer

    token = secrets.token_hex(8)
    volunteer, account = _throwaway_volunteer(token, "兑换")
    issuer = ledger.system_account(Account.Kind.ISSUER)
    seconds = _timed(lambda: [
        ledger.transfer(debit=issuer, credit=account, amount=1, source=Transfer.Source.AWARD,
                        source_ref=f"bench-{token}-{i}", memo="性能测试积分（make bench）")
        for i in range(count)
    ])
    credits = _rate_entry(f"积分入账（逐笔，{count:,} 笔）", count, seconds, None)

    region = volunteer.region
    merchant = Merchant.objects.create(name=f"压测商家{token}", region=region, address="—", contact_phone="—",
                                       introduction="make bench 性能测试，测后停用")
    today = timezone.localdate()
    reward = Reward.objects.create(
        merchant=merchant, title="压测回馈", points_price=1, stock=count, per_person_limit=min(count, 32767),
        valid_from=today - datetime.timedelta(days=1), valid_until=today + datetime.timedelta(days=1),
    )
    user = volunteer.user
    per_reward = min(count, 32767)  # the per-person limit is a small integer
    rewards = [reward]
    while per_reward * len(rewards) < count:
        rewards.append(Reward.objects.create(
            merchant=merchant, title="压测回馈", points_price=1, stock=per_reward, per_person_limit=per_reward,
            valid_from=reward.valid_from, valid_until=reward.valid_until,
        ))
    try:
        seconds = _timed(lambda: [
            services.redeem(rewards[i // per_reward], volunteer=volunteer, acting_user=user, idempotency_key=f"bench-{i}")
            for i in range(count)
        ])
    finally:
        for each in rewards:
            _retire(volunteer, reward=each)
    account.refresh_from_db()
    redemptions = _rate_entry(f"积分兑换（逐笔，{count:,} 笔）", count, seconds, BUDGETS["redemptions_per_s"],
                              balance_after=account.balance)
    return [credits, redemptions, measure_commit_ceiling(reward.pk, count)]


def measure_commit_ceiling(reward_pk: int, count: int = 2000) -> dict:
    """What the database alone allows one client: ``count`` transactions that each change one row (the retired
    bench reward, unchanged values) and commit durably, one at a time. No service that writes and commits can run
    faster one at a time on this machine, so the redemption budget is read against it (on PostgreSQL each commit
    waits for the WAL to reach the disk, and each statement is a round trip)."""
    from volunteers.models import Reward

    table = connection.ops.quote_name(Reward._meta.db_table)
    sql = f"UPDATE {table} SET stock = stock WHERE id = %s"  # noqa: S608 - the model's table  # nosec B608

    def commits():
        for _ in range(count):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [reward_pk])

    return _rate_entry(f"数据库单行更新并提交（逐笔，{count:,} 次，上限参考）", count, _timed(commits), None)


def _bulk_transfers(debit_pk: int, credit_pk: int, n: int, token: str) -> None:
    """``n`` one-point transfers from ``debit`` to ``credit`` written as fast as the database takes them (COPY
    on PostgreSQL, executemany on SQLite), and the two cached balances moved by ``n``: the books still balance."""
    from volunteers.models import Account, Transfer

    opts, ops = Transfer._meta, connection.ops
    names = ["debit", "credit", "amount", "source", "source_ref", "idempotency_key", "memo", "created_at"]
    columns = [opts.get_field(name).column for name in names]
    now = timezone.now()
    moment = ops.adapt_datetimefield_value(now) if connection.vendor != "postgresql" else now

    def rows():
        for i in range(n):
            ref = f"bench-{token}-{i}"
            yield (debit_pk, credit_pk, 1, "award", ref, f"award:{ref}", "", moment)

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quoted = ", ".join(ops.quote_name(c) for c in columns)
            with cursor.cursor.copy(f"COPY {ops.quote_name(opts.db_table)} ({quoted}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = (f"INSERT INTO {ops.quote_name(opts.db_table)} ({', '.join(ops.quote_name(c) for c in columns)}) "  # noqa: S608 - identifiers from the model  # nosec B608
                   f"VALUES ({marks})")
            batch = []
            for row in rows():
                batch.append(row)
                if len(batch) >= 50_000:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
    Account.objects.filter(pk=debit_pk).update(balance=F("balance") - n)
    Account.objects.filter(pk=credit_pk).update(balance=F("balance") + n)


def _read_seconds(volunteers: list, reads: int) -> list[float]:
    """The median time of one balance read for each of ``volunteers``, over ``reads`` reads each, interleaved so
    that a noisy moment of the machine falls on all of them alike (after a warm-up)."""
    from volunteers.services import volunteer_balance

    samples = [[] for _ in volunteers]
    for round_ in range(reads + 50):
        for index, volunteer in enumerate(volunteers):
            started = time.perf_counter()
            volunteer_balance(volunteer)
            if round_ >= 50:
                samples[index].append(time.perf_counter() - started)
    return [statistics.median(each) for each in samples]


def measure_balance_reads(small: int = 1_000, big: int = 1_000_000, reads: int = 2_000) -> list[dict]:
    """A balance read (:func:`volunteers.services.volunteer_balance`) for an account of ``small`` transfers and
    one of ``big``; the budget is the second within twice the first. Rolled back."""
    from volunteers import ledger
    from volunteers.models import Account, Transfer

    with _rolled_back():
        issuer = ledger.system_account(Account.Kind.ISSUER)
        token = secrets.token_hex(8)
        little, little_account = _throwaway_volunteer(token, "小户")
        large, large_account = _throwaway_volunteer(secrets.token_hex(8), "大户")
        started = time.perf_counter()
        _bulk_transfers(issuer.pk, little_account.pk, small, token + "s")
        _bulk_transfers(issuer.pk, large_account.pk, big, token + "b")
        fill = time.perf_counter() - started
        counted = {a: Transfer.objects.filter(credit=a).count() for a in (little_account, large_account)}
        at_small, at_big = _read_seconds([little, large], reads)
        # The balance is the cached one: check it is also right before trusting the timing.
        assert ledger.balance_from_transfers(little_account) == Account.objects.get(pk=little_account.pk).balance  # noqa: S101  # nosec B101
    ratio = at_big / at_small if at_small else float("inf")
    return [{
        "name": f"余额读取（{counted[large_account]:,} 笔 对 {counted[little_account]:,} 笔流水）",
        "value": round(ratio, 2), "unit": "倍", "budget": f"≤ {BUDGETS['balance_ratio']} 倍", "pass": ratio <= BUDGETS["balance_ratio"],
        "ratio": round(ratio, 2), "max_ratio": BUDGETS["balance_ratio"],
        "small_read_ms": round(at_small * 1000, 4), "big_read_ms": round(at_big * 1000, 4), "fill_s": round(fill, 1),
    }]


# --- registry, open data, results, certificates --------------------------------------------------------------
def measure_registry() -> list[dict]:
    """The registry of registered and filed organizations as XLSX and as CSV (orgs.exports)."""
    from orgs import exports
    from orgs.queries import public_organizations

    registry = public_organizations().filter(status__in=["registered", "filed"])
    count = registry.count()
    return [
        _time_entry(f"名录 XLSX（{count:,} 家）", _timed(lambda: exports.registry_xlsx(registry)), BUDGETS["registry_xlsx_s"]),
        _time_entry(f"名录 CSV（{count:,} 家）", _timed(lambda: exports.registry_csv(registry)), BUDGETS["registry_csv_s"]),
    ]


def _contracted_ocids() -> list[str]:
    from grants.models import OcdsRelease

    return sorted({ocid for ocid, tags in OcdsRelease.objects.values_list("ocid", "tags") if "contract" in (tags or [])})


def _top_up_releases(contracts: int) -> int:
    """Copy the releases of the projects that have a signed contract, under new ocids, until ``contracts``
    projects have one; returns how many there are. Only ever called inside a rolled-back transaction."""
    from grants.models import OcdsRelease

    ocids = _contracted_ocids()
    if not ocids or len(ocids) >= contracts:
        return len(ocids)
    templates = {ocid: list(OcdsRelease.objects.filter(ocid=ocid).order_by("date", "pk")) for ocid in ocids}
    copies = []
    for n in range(contracts - len(ocids)):
        source = ocids[n % len(ocids)]
        ocid = f"{source}-bench{n:04d}"
        for release in templates[source]:
            release_id = release.release_id.replace(source, ocid, 1)
            copies.append(OcdsRelease(project_id=release.project_id, ocid=ocid, release_id=release_id, date=release.date,
                                      tags=release.tags, data={**release.data, "ocid": ocid, "id": release_id}))
    OcdsRelease.objects.bulk_create(copies, batch_size=500)
    return contracts


def measure_ocds(contracts: int = 300) -> list[dict]:
    """The OCDS release package (and, reported, the record package) as the API serves them, with ``contracts``
    contracted projects (copies of the seeded ones added if there are fewer; rolled back)."""
    from grants import ocds
    from grants.models import OcdsRelease

    def serve(package) -> int:
        return len(json.dumps(package, ensure_ascii=False, separators=(",", ":")))

    with _rolled_back():
        have = _top_up_releases(contracts)
        if not have:
            return [_missing("OCDS 发布包", "库中没有已签约合同的 OCDS 发布，未测")]
        releases = OcdsRelease.objects.count()
        package = _timed(lambda: serve(ocds.release_package()))
        records = _timed(lambda: serve(ocds.record_package()))
    return [
        _time_entry(f"OCDS 发布包（{have:,} 份合同，{releases:,} 条发布）", package, BUDGETS["ocds_s"]),
        _time_entry(f"OCDS 记录包（{have:,} 份合同）", records, None),
    ]


def measure_giving() -> list[dict]:
    """The 360Giving package built and encoded (grants.opendata), bypassing its cache."""
    from grants import opendata

    grants = opendata.public_awards().count()
    seconds = _timed(lambda: opendata.dumps(opendata.build_package(base_url="https://bench.invalid")))
    return [_time_entry(f"360Giving 资助数据包（{grants:,} 项资助）", seconds, BUDGETS["giving_s"])]


def measure_results() -> list[dict]:
    """evaluations.results.calculate for the campaign with the most ratings (rolled back)."""
    from evaluations import results
    from evaluations.models import Campaign, Rating

    top = Rating.objects.values("campaign").annotate(n=Count("pk")).order_by("-n").first()
    if top is None:
        return [_missing("评价结果计算", "库中没有群众评价，未测")]
    campaign = Campaign.objects.get(pk=top["campaign"])
    with _rolled_back():
        seconds = _timed(lambda: results.calculate(campaign))
    return [_time_entry(f"评价结果计算（{top['n']:,} 条评价，{campaign.results.count():,} 家）", seconds, BUDGETS["results_s"])]


def measure_certificates(count: int = 1000) -> list[dict]:
    """``count`` registration certificate PDFs (orgs.pdf.render_certificate), cycling through 20 certificates."""
    from orgs.models import Certificate
    from orgs.pdf import render_certificate

    certificates = list(Certificate.objects.select_related("organization", "organization__region")[:20])
    if not certificates:
        return [_missing(f"{count:,} 份证书 PDF", "库中没有登记证书，未测")]
    seconds = _timed(lambda: [render_certificate(certificates[i % len(certificates)]) for i in range(count)])
    return [_time_entry(f"{count:,} 份证书 PDF", seconds, BUDGETS["pdfs_s"])]


def measure(*, redemptions: int = 2000, small: int = 1_000, big: int = 1_000_000, reads: int = 2_000,
            contracts: int = 300, pdfs: int = 1000) -> list[dict]:
    """Every service budget of issue 10, in the database Django is connected to. The keyword arguments shrink
    the runs for the tests; ``make bench`` uses the defaults."""
    with _no_query_log():
        entries = [
            *measure_ledger(redemptions),
            *measure_balance_reads(small, big, reads),
            *measure_registry(),
            *measure_ocds(contracts),
            *measure_giving(),
            *measure_results(),
            *measure_certificates(pdfs),
        ]
    for entry in entries:
        entry["database"] = connection.vendor
    return entries

