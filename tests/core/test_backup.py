"""Backup and restore (issue 11, item 8): a backup taken while points and payments are being written restores to a
database where every ledger, budget and payment invariant holds (core.invariants); a tampered backup, or a restore
over a database that holds data without --yes, is refused and changes nothing.

The SQLite tests run on the file test database with a real writer thread on its own connection (tests/threads.py
explains the pattern); the PostgreSQL test runs when DATABASE_URL points at PostgreSQL and pg_dump is installed.
"""

import contextlib
import datetime
import io
import shutil
import sqlite3
import tarfile
import threading
import time
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from core import backup, invariants
from grants import procurement
from grants.models import Contract, ContractPayment, Milestone
from tests.factories import UserFactory
from tests.grants.procurement_helpers import signed
from tests.volunteers.helpers import credit, make_activity, make_merchant, make_reward, register
from volunteers import ledger, services
from volunteers.models import Account, Transfer, Voucher

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite online backup API")


@contextlib.contextmanager
def default_database_named(name):
    """Point this thread's default connection at another database (a restored copy) for the block."""
    connection.close()
    saved = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = str(name)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = saved


def counts() -> dict:
    return {"transfers": Transfer.objects.count(), "vouchers": Voucher.objects.count(),
            "payments": ContractPayment.objects.count()}


def a_contract_with_many_milestones(pieces: int = 40):
    """A signed contract whose value (250,000) is paid in ``pieces`` equal milestones, the last one final."""
    start = timezone.localdate() - datetime.timedelta(days=30)
    share = Decimal("250000") / pieces
    milestones = [{"title": f"第{i + 1}期", "due_on": start + datetime.timedelta(days=i * 8), "amount": share}
                  for i in range(pieces)]
    contract, officer = signed(milestones=milestones)
    return contract, officer


@pytest.fixture
def busy_world(applicant, org_a, merchant):
    """A volunteer, an activity to earn points from, a reward to spend them on and a contract to pay."""
    member = register(UserFactory(), real_name="钱志愿")
    activity = make_activity(applicant, org_a, category_code="professional")  # 3 points an hour
    reward = make_reward(make_merchant(merchant), merchant, points_price=2, stock=10_000, per_person_limit=10_000)
    contract, officer = a_contract_with_many_milestones()
    return {"member": member, "activity": activity, "organizer": applicant, "reward": reward,
            "contract": contract, "officer": officer}


class Writer(threading.Thread):
    """Keeps writing through the real services until stopped: credits points (an approved record), redeems a
    voucher every other round, and confirms and pays the next milestone of the contract."""

    def __init__(self, world):
        super().__init__(daemon=True)
        self.world, self.stop, self.rounds, self.errors = world, threading.Event(), 0, []
        self.started_writing = threading.Event()

    def run(self):
        world = self.world
        milestones = list(Milestone.objects.filter(contract=world["contract"], final=False).order_by("sequence"))
        try:
            while not self.stop.is_set() and self.rounds < 2000:
                credit(world["member"], 3, organizer=world["organizer"], activity=world["activity"])
                if self.rounds % 2:
                    services.redeem(world["reward"], volunteer=world["member"], acting_user=world["member"].user,
                                    idempotency_key=f"writer-{self.rounds}")
                if milestones:
                    milestone = milestones.pop(0)
                    procurement.confirm_milestone(milestone, acting_user=world["officer"])
                    procurement.pay_milestone(milestone, acting_user=world["officer"], paid_on=timezone.localdate())
                self.rounds += 1
                self.started_writing.set()
        except Exception as exc:  # noqa: BLE001 - the test reports what the writer hit
            self.errors.append(exc)
        finally:
            self.started_writing.set()
            connection.close()


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_while_points_and_payments_are_written_restores_with_every_invariant_holding(busy_world, tmp_path):
    writer = Writer(busy_world)
    writer.start()
    try:
        assert writer.started_writing.wait(60)
        before = counts()
        # Small steps with a pause between them, so the copy spans many of the writer's commits.
        result = backup.backup(tmp_path / "during-writes.sqlite3", pages=8, pause=0.01)
        after = counts()
    finally:
        writer.stop.set()
        writer.join(120)
    assert writer.errors == []
    assert after["transfers"] > before["transfers"], "the writer kept committing while the backup ran"
    # WAL: one read transaction for the whole copy, so the steps never restart however much is written.
    assert (result.method, result.restarts) == ("stepwise", 0) and result.size > 0
    assert backup.sidecar(result.path).read_text().split() == [result.sha256, result.path.name]
    final = counts()

    fresh = tmp_path / "fresh.sqlite3"
    backup.restore_sqlite(result.path, fresh)
    with default_database_named(fresh):
        assert invariants.check_all() == []
        restored = counts()
        member_balance = services.volunteer_balance(busy_world["member"])
        assert member_balance == ledger.balance_from_transfers(ledger.account_for(busy_world["member"]))
        contract = Contract.objects.get(pk=busy_world["contract"].pk)
        paid_milestones = Milestone.objects.filter(contract=contract, status=Milestone.Status.PAID).count()

    for name in ("transfers", "vouchers", "payments"):
        assert before[name] <= restored[name] <= after[name] <= final[name], name
    # Every payment row has its milestone marked paid and is in the contract's total: nothing half-written.
    assert paid_milestones == restored["payments"]
    assert contract.paid_total == Decimal("6250.00") * restored["payments"]

    # The command restores the same snapshot over the live (test) database, dropping what came after it.
    out = io.StringIO()
    call_command("restore", str(result.path), "--yes", stdout=out)
    assert "SHA-256 校验通过" in out.getvalue() and "不变量检查通过" in out.getvalue()
    assert counts() == restored
    assert invariants.check_all() == []


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_quiet_database_is_copied_step_by_step_without_restarting(tmp_path, volunteer):
    steps = []

    result = backup.backup(tmp_path / "quiet.sqlite3", pages=64, pause=0, progress=lambda done, total: steps.append(done))

    assert (result.method, result.restarts) == ("stepwise", 0)
    assert len(steps) > 1 and steps == sorted(steps)
    assert backup.sha256_file(result.path) == result.sha256


def test_a_rollback_journal_database_that_writers_keep_changing_is_finished_in_one_consistent_step(tmp_path):
    source = tmp_path / "journal.sqlite3"
    with contextlib.closing(sqlite3.connect(source)) as setup:
        setup.execute("PRAGMA journal_mode=DELETE")
        setup.execute("CREATE TABLE entry (debit INTEGER, credit INTEGER)")
        setup.executemany("INSERT INTO entry VALUES (?, ?)", [(-1, 1)] * 20000)
        setup.commit()
    stop, writing = threading.Event(), threading.Event()

    def write():
        with contextlib.closing(sqlite3.connect(source, timeout=30)) as conn:
            while not stop.is_set():
                conn.execute("INSERT INTO entry VALUES (-1, 1)")  # each row balances, like a transfer
                conn.commit()
                writing.set()
                time.sleep(0.002)  # a busy site, not a tight loop that never lets a reader in

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert writing.wait(30)
        result = backup.backup_sqlite(source, tmp_path / "copy.sqlite3", pages=1, pause=0.01, max_restarts=2)
    finally:
        stop.set()
        writer.join(30)

    assert result.method == "snapshot" and result.restarts == 3
    with contextlib.closing(sqlite3.connect(result.path)) as copy:
        rows, total = copy.execute("SELECT count(*), sum(debit + credit) FROM entry").fetchone()
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert rows >= 20000 and total == 0


@sqlite_only
def test_a_tampered_backup_is_refused_because_its_sha256_does_not_match(db, tmp_path, volunteer):
    result = backup.backup(tmp_path / "copy.sqlite3")
    data = bytearray(result.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    result.path.write_bytes(bytes(data))
    users = get_user_model().objects.count()

    with pytest.raises(CommandError, match="SHA-256") as refused:
        call_command("restore", str(result.path), "--yes")

    assert "篡改" in str(refused.value)
    assert get_user_model().objects.filter(pk=volunteer.pk).exists()
    assert get_user_model().objects.count() == users


@sqlite_only
def test_restore_without_yes_over_a_database_with_data_refuses_and_changes_nothing(db, tmp_path):
    result = backup.backup(tmp_path / "before-anyone-signed-up.sqlite3")
    later = UserFactory(name="后来注册的用户")

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(result.path))

    message = str(refused.value)
    assert "目标数据库已有数据" in message and "--yes" in message and "not empty" in message
    assert get_user_model().objects.filter(pk=later.pk).exists()


def test_a_backup_is_never_written_over_an_existing_file(tmp_path, db):
    existing = tmp_path / "taken.sqlite3"
    existing.write_bytes(b"an earlier backup")

    with pytest.raises(CommandError, match="已存在"):
        call_command("backup", "--output", str(existing))

    assert existing.read_bytes() == b"an earlier backup"


def test_the_media_archive_brings_back_public_and_private_files_and_ignores_paths_outside_them(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    (settings.MEDIA_ROOT / "images").mkdir(parents=True)
    (settings.MEDIA_ROOT / "images" / "logo.png").write_bytes(b"\x89PNG logo")
    (settings.PRIVATE_MEDIA_ROOT / "grants").mkdir(parents=True)
    (settings.PRIVATE_MEDIA_ROOT / "grants" / "a.pdf").write_bytes(b"%PDF-1.4 private")
    archive = backup.backup_media(tmp_path / "files.media.tar.gz")
    shutil.rmtree(settings.MEDIA_ROOT)
    shutil.rmtree(settings.PRIVATE_MEDIA_ROOT)
    evil = tmp_path / "evil.media.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        payload = tmp_path / "payload"
        payload.write_bytes(b"owned")
        tar.add(payload, arcname="media/../../outside.txt")
        tar.add(payload, arcname="etc/passwd")

    backup.restore_media(archive.path)

    assert (settings.MEDIA_ROOT / "images" / "logo.png").read_bytes() == b"\x89PNG logo"
    assert (settings.PRIVATE_MEDIA_ROOT / "grants" / "a.pdf").read_bytes() == b"%PDF-1.4 private"
    with pytest.raises(tarfile.TarError):
        backup.restore_media(evil)
    assert not (tmp_path / "outside.txt").exists() and not (tmp_path.parent / "outside.txt").exists()


# --- the invariant checker ----------------------------------------------------------------------------------
def test_the_invariants_hold_on_books_written_through_the_services(db, busy_world):
    world = busy_world
    for _ in range(3):
        credit(world["member"], 3, organizer=world["organizer"], activity=world["activity"])
    voucher = services.redeem(world["reward"], volunteer=world["member"], acting_user=world["member"].user,
                              idempotency_key="one")
    services.cancel_voucher(voucher, acting_user=world["member"].user)
    services.redeem(world["reward"], volunteer=world["member"], acting_user=world["member"].user, idempotency_key="two")
    milestone = Milestone.objects.filter(contract=world["contract"]).order_by("sequence").first()
    procurement.confirm_milestone(milestone, acting_user=world["officer"])
    procurement.pay_milestone(milestone, acting_user=world["officer"], paid_on=timezone.localdate())

    assert invariants.check_all() == []
    out = io.StringIO()
    call_command("check_invariants", stdout=out)
    assert "All invariants hold" in out.getvalue()


def test_a_cached_balance_or_a_contract_total_changed_behind_the_services_back_is_reported(db, busy_world):
    world = busy_world
    credit(world["member"], 3, organizer=world["organizer"], activity=world["activity"])
    Account.objects.filter(volunteer=world["member"]).update(balance=1000)
    Contract.objects.filter(pk=world["contract"].pk).update(paid_total=Decimal("100"))

    problems = invariants.check_all()

    assert any("[爱心银行积分账本]" in p and "缓存余额 1000" in p for p in problems)
    assert any("[购买服务合同支付]" in p and "已支付 100" in p for p in problems)
    err = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("check_invariants", stderr=err)
    assert exited.value.code == 1 and "缓存余额 1000" in err.getvalue()


def test_a_paid_milestone_without_its_payment_row_is_reported(db, busy_world):
    milestone = Milestone.objects.filter(contract=busy_world["contract"]).order_by("sequence").first()
    Milestone.objects.filter(pk=milestone.pk).update(status=Milestone.Status.PAID)

    problems = invariants.check_all()

    assert problems == [f"[购买服务合同支付] 付款节点 {milestone.pk} 状态为 paid，却没有支付记录。"]


@sqlite_only
def test_a_missing_append_only_trigger_is_reported(db):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER volunteers_transfer_no_delete")

    problems = invariants.check_all()

    assert problems == ["[只追加表] 只追加表的触发器 volunteers_transfer_no_delete 不存在：历史记录可能被修改或删除。"]


# --- PostgreSQL ---------------------------------------------------------------------------------------------
def column_statistics(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_stats WHERE tablename = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pg_dump_backup_restores_with_pg_restore_into_a_second_database_where_invariants_hold(busy_world, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("DATABASE_URL is not PostgreSQL")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore missing (apt-get install postgresql-client)")
    world = busy_world
    for _ in range(3):
        credit(world["member"], 3, organizer=world["organizer"], activity=world["activity"])
    services.redeem(world["reward"], volunteer=world["member"], acting_user=world["member"].user, idempotency_key="pg")
    milestone = Milestone.objects.filter(contract=world["contract"]).order_by("sequence").first()
    procurement.confirm_milestone(milestone, acting_user=world["officer"])
    procurement.pay_milestone(milestone, acting_user=world["officer"], paid_on=timezone.localdate())
    taken = counts()
    result = backup.backup(tmp_path / "pg.dump")
    assert result.method == "pg_dump" and result.path.read_bytes()[:5] == b"PGDMP"

    second = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{second}"')
        cursor.execute(f'CREATE DATABASE "{second}"')
    try:
        backup.restore_postgres({**connection.settings_dict, "NAME": second}, result.path)
        with default_database_named(second):
            assert invariants.check_all() == []
            assert counts() == taken
            assert Contract.objects.get(pk=world["contract"].pk).paid_total == milestone.amount
            # pg_restore brings no planner statistics; `restore` refreshes them (a city-scale page took 270 ms
            # per query without).
            assert column_statistics("volunteers_transfer") == 0
            backup.refresh_planner_statistics()
            assert column_statistics("volunteers_transfer") > 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{second}" WITH (FORCE)')
