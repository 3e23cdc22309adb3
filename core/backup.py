"""Backup and restore of the database and, optionally, the uploaded files (issue 11, item 8; docs/operations.md).

SQLite (the embedded default) is copied with SQLite's online backup API (:meth:`sqlite3.Connection.backup`): a
consistent snapshot taken while the site keeps writing. Under WAL (the portal's mode) the copy holds one read
transaction, which writers never wait for, and copies pages a few at a time with a short pause between steps, so
every step reads the same snapshot. (In rollback-journal mode a held read lock would block writers, so the copy
runs unlocked between steps, SQLite restarts it whenever a writer commits, and after a few restarts the rest is
copied in one step.) The copy is checked with ``PRAGMA integrity_check`` and left as one self-contained file.

PostgreSQL is dumped with ``pg_dump --format=custom`` and restored with ``pg_restore --clean --if-exists
--no-owner`` in one transaction. The connection parameters come from ``settings.DATABASES`` and reach the client
tools through the ``PG*`` environment variables, so the password is never on a command line (where ``ps`` shows it).

Every backup gets a ``<file>.sha256`` beside it (``sha256sum -c`` reads it); restore refuses a file whose digest
differs, and refuses to overwrite a database that holds data unless told to.
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess  # pg_dump/pg_restore by absolute path, fixed argument lists  # nosec B404
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils import timezone

CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why (Chinese, then English)."""


class DatabaseNotEmpty(BackupError):
    """The restore's target database holds data and the operator did not confirm overwriting it."""


@dataclass
class BackupResult:
    path: Path
    size: int
    sha256: str
    method: str = ""  # "stepwise", "snapshot" (SQLite) or "pg_dump"
    restarts: int = 0
    media: "BackupResult | None" = None
    notes: list[str] = field(default_factory=list)


# --- files and digests --------------------------------------------------------------------------------------
def sha256_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sidecar(path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def write_sidecar(path) -> str:
    """Write ``<path>.sha256`` in ``sha256sum`` format and return the digest."""
    digest = sha256_file(path)
    sidecar(path).write_text(f"{digest}  {Path(path).name}\n", encoding="ascii")
    return digest


def verify_sidecar(path) -> bool:
    """True when ``<path>.sha256`` exists and matches, False when there is none; raises on a mismatch."""
    check = sidecar(path)
    if not check.exists():
        return False
    words = check.read_text(encoding="ascii", errors="replace").split()
    expected = words[0].lower() if words else ""
    actual = sha256_file(path)
    if expected != actual:
        raise BackupError(
            f"备份文件 {path} 的 SHA-256 与校验文件不符（文件已损坏或被篡改），拒绝恢复。"
            f" / The SHA-256 of {path} does not match {check.name} (corrupted or tampered with); refusing to restore."
            f"\n  expected {expected}\n  actual   {actual}"
        )
    return True


def _result(path: Path, **kwargs) -> BackupResult:
    return BackupResult(path=path, size=path.stat().st_size, sha256=write_sidecar(path), **kwargs)


def backup_dir() -> Path:
    return Path(getattr(settings, "PORTAL_BACKUP_DIR", Path(settings.VAR_DIR) / "backups"))


def default_output(vendor: str) -> Path:
    """``var/backups/<local timestamp>.<ext>``: ``.sqlite3`` for SQLite, ``.dump`` (custom format) for PostgreSQL."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return backup_dir() / f"{stamp}.{'sqlite3' if vendor == 'sqlite' else 'dump'}"


def _vendor(using: str) -> str:
    return connections[using].vendor


def _fresh_path(output) -> Path:
    output = Path(output)
    if output.exists():
        raise BackupError(f"{output} 已存在，不覆盖已有备份。 / {output} exists; an existing backup is never overwritten.")
    output.parent.mkdir(parents=True, exist_ok=True)
    return output


# --- backup -------------------------------------------------------------------------------------------------
def backup(output=None, *, using: str = DEFAULT_DB_ALIAS, media: bool = False, pages: int = 1024,
           pause: float = 0.005, max_restarts: int = 3, progress=None) -> BackupResult:
    """Back up database ``using`` to ``output`` (default :func:`default_output`) and write its ``.sha256``;
    with ``media``, also a ``.media.tar.gz`` of MEDIA_ROOT and PRIVATE_MEDIA_ROOT. ``progress(done, total)`` is
    called as SQLite pages are copied."""
    vendor = _vendor(using)
    output = _fresh_path(output or default_output(vendor))
    db = connections[using].settings_dict
    if vendor == "sqlite":
        result = backup_sqlite(db["NAME"], output, pages=pages, pause=pause, max_restarts=max_restarts,
                               progress=progress)
    elif vendor == "postgresql":
        result = backup_postgres(db, output)
    else:
        raise BackupError(f"不支持的数据库：{vendor}。 / Unsupported database vendor: {vendor}.")
    if media:
        result.media = backup_media(output.with_name(output.stem + ".media.tar.gz"))
    return result


class _Restarting(Exception):
    """Raised from the progress callback to leave a stepwise copy that writers keep restarting (rollback-journal
    databases only; under WAL the copy reads one snapshot and never restarts)."""


def backup_sqlite(source, output, *, pages: int = 1024, pause: float = 0.005, max_restarts: int = 3,
                  progress=None) -> BackupResult:
    output = Path(output)
    if str(source) in ("", ":memory:") or not Path(source).exists():
        raise BackupError(f"找不到数据库文件 {source}。 / SQLite database file {source} not found.")
    state = {"remaining": None, "restarts": 0}

    def step(_status, remaining, total):
        # SQLite restarts the copy from page 1 whenever another connection changed the source between steps;
        # progress that does not go down is such a restart.
        if state["remaining"] is not None and remaining >= state["remaining"]:
            state["restarts"] += 1
            if state["restarts"] > max_restarts:
                raise _Restarting
        state["remaining"] = remaining
        if progress:
            progress(total - remaining, total)
        if remaining and pause:
            time.sleep(pause)  # let writers in between steps

    src = sqlite3.connect(str(source), timeout=30, isolation_level=None)
    dst = sqlite3.connect(str(output))
    try:
        wal = src.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        if wal:
            # Under WAL a reader never blocks a writer, so the source holds one read transaction for the whole
            # copy: every step reads the same snapshot (taken here), SQLite never restarts, and writers go on.
            src.execute("BEGIN")
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        try:
            src.backup(dst, pages=max(pages, 1), progress=step)
            method = "stepwise"
        except _Restarting:
            # Rollback-journal mode: a held read lock would stop writers committing, so the copy runs unlocked
            # between steps and SQLite restarts it whenever a writer commits. After a few restarts the rest is
            # copied in one step (one read lock: writers wait for it on their busy timeout).
            src.backup(dst, pages=-1)
            method = "snapshot"
        if wal:
            src.execute("COMMIT")
        # One self-contained file: no -wal beside the backup.
        dst.execute("PRAGMA journal_mode=DELETE")
        _integrity(dst, output)
    except sqlite3.Error as exc:
        dst.close()
        output.unlink(missing_ok=True)
        raise BackupError(f"SQLite 备份失败：{exc} / SQLite backup failed: {exc}") from exc
    finally:
        src.close()
        dst.close()
    return _result(output, method=method, restarts=state["restarts"])


def _integrity(conn: sqlite3.Connection, path) -> None:
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        raise BackupError(f"{path} 完整性检查未通过：{'; '.join(rows[:5])} / integrity_check failed on {path}.")


def _pg_env(db: dict) -> dict:
    """The libpq environment for ``db`` (a DATABASES entry); the password goes here, never into argv."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    options = db.get("OPTIONS") or {}
    for var, value in (("PGHOST", db.get("HOST")), ("PGPORT", db.get("PORT")), ("PGUSER", db.get("USER")),
                       ("PGPASSWORD", db.get("PASSWORD")), ("PGDATABASE", db.get("NAME")),
                       ("PGSSLMODE", options.get("sslmode")), ("PGSSLROOTCERT", options.get("sslrootcert"))):
        if value not in (None, ""):
            env[var] = str(value)
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"找不到 {name}：请安装 PostgreSQL 客户端（Debian/Ubuntu：apt-get install postgresql-client），其主版本不低于服务器。"
            f" / {name} not found: install the PostgreSQL client tools (apt-get install postgresql-client), of the"
            " server's major version or newer."
        )
    return path


def _run(argv: list[str], env: dict, what: str) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv  # nosec B603
    if done.returncode != 0:
        raise BackupError(f"{what} 失败（退出码 {done.returncode}）/ {what} failed:\n{done.stderr.strip()[-2000:]}")


def backup_postgres(db: dict, output) -> BackupResult:
    output = Path(output)
    try:
        _run([_tool("pg_dump"), "--format=custom", "--no-password", f"--file={output}"], _pg_env(db), "pg_dump")
    except BackupError:
        output.unlink(missing_ok=True)
        raise
    return _result(output, method="pg_dump")


def backup_media(output) -> BackupResult | None:
    """A gzipped tar of the public media (``media/``) and the private uploads (``private/``) that exist."""
    roots = _media_roots()
    output = _fresh_path(output)
    with tarfile.open(output, "w:gz") as tar:
        for arcname, root in roots.items():
            if root.is_dir():
                tar.add(root, arcname=arcname)
    return _result(output, method="tar")


def _media_roots() -> dict[str, Path]:
    roots = {"media": Path(settings.MEDIA_ROOT)}
    if getattr(settings, "PRIVATE_MEDIA_ROOT", None):
        roots["private"] = Path(settings.PRIVATE_MEDIA_ROOT)
    return roots


# --- restore ------------------------------------------------------------------------------------------------
def database_contents(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """What would be lost by overwriting ``using``: the number of user accounts and audit rows (every action
    writes one), zero for a database that has no tables yet."""
    from django.contrib.auth import get_user_model

    from core.models import AuditEntry

    found = {}
    for label, model in (("用户 users", get_user_model()), ("操作日志 audit entries", AuditEntry)):
        try:
            found[label] = model._base_manager.using(using).count()
        except DatabaseError:  # no such table: a new, empty database
            found[label] = 0
    return found


def restore(path, *, using: str = DEFAULT_DB_ALIAS, overwrite: bool = False, media=None) -> list[str]:
    """Restore the backup at ``path`` into database ``using`` (and the media archive ``media`` if given).

    Verifies the ``.sha256`` beside the file when there is one; refuses (:class:`DatabaseNotEmpty`) when the
    target holds data and ``overwrite`` is false. Returns notes for the operator."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件 {path}。 / Backup file {path} not found.")
    notes = []
    verified = verify_sidecar(path)
    notes.append("SHA-256 校验通过 / checksum verified" if verified
                 else f"没有 {sidecar(path).name}，未校验 SHA-256 / no checksum file, not verified")
    if media:
        verify_sidecar(media)
    contents = database_contents(using)
    if any(contents.values()) and not overwrite:
        held = "，".join(f"{label} {n}" for label, n in contents.items())
        raise DatabaseNotEmpty(
            f"目标数据库已有数据（{held}），恢复会覆盖全部现有数据。确认后加 --yes 重新运行。"
            f" / The target database is not empty ({held}); restoring replaces everything in it. Run again with"
            " --yes to confirm."
        )
    vendor = _vendor(using)
    db = connections[using].settings_dict
    # Django's own connections would keep reading the old pages (SQLite) or hold locks (PostgreSQL).
    connections.close_all()
    if vendor == "sqlite":
        restore_sqlite(path, db["NAME"])
    elif vendor == "postgresql":
        restore_postgres(db, path)
        refresh_planner_statistics(using)
        notes.append("已刷新查询规划统计（ANALYZE）/ planner statistics refreshed")
    else:
        raise BackupError(f"不支持的数据库：{vendor}。 / Unsupported database vendor: {vendor}.")
    if media:
        restore_media(media)
        notes.append(f"文件已恢复 / files restored from {media}")
    return notes


def refresh_planner_statistics(using: str = DEFAULT_DB_ALIAS) -> None:
    """ANALYZE a PostgreSQL database after rows arrived in bulk (a restore, the demo seed). pg_restore brings no
    statistics and autovacuum may be off or not yet round; without them the planner guesses 0.5 % of a table for
    any equality and, for "a volunteer's latest ten records", walked the whole date index: 270 ms instead of
    0.2 ms per query at city scale (found by ``make bench`` on PostgreSQL). SQLite plans without statistics
    were measured fine and its ANALYZE reads every index, so it is left alone."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def restore_sqlite(backup_path, target) -> None:
    """Copy the backup over the database file ``target`` with the backup API, in one step: the target is locked
    for the copy, so no reader sees a half-restored database."""
    if str(target) in ("", ":memory:"):
        raise BackupError("目标数据库不是文件。 / The target database is not a file.")
    src = sqlite3.connect(f"file:{Path(backup_path).resolve()}?mode=ro", uri=True)
    dst = sqlite3.connect(str(target), timeout=30)
    try:
        _integrity(src, backup_path)
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=WAL")  # the portal's mode (settings.SQLITE_OPTIONS)
        _integrity(dst, target)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite 恢复失败：{exc} / SQLite restore failed: {exc}") from exc
    finally:
        src.close()
        dst.close()


def restore_postgres(db: dict, path) -> None:
    # One transaction: the database ends as the dump or as it was, never in between.
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", "--no-password",
          f"--dbname={db['NAME']}", str(path)], _pg_env(db), "pg_restore")


def restore_media(archive) -> None:
    """Unpack ``media/`` and ``private/`` of a media archive into MEDIA_ROOT and PRIVATE_MEDIA_ROOT. Only regular
    files and folders under those two names are taken (the ``data`` filter refuses absolute paths, ``..`` and
    links out of the tree)."""
    roots = _media_roots()
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            top, _, rest = member.name.partition("/")
            if top not in roots or not (member.isfile() or member.isdir()):
                continue
            roots[top].mkdir(parents=True, exist_ok=True)
            member = member.replace(name=rest or ".")
            tar.extract(member, roots[top], filter="data")


def describe(result: BackupResult) -> str:
    size = f"{result.size / 1024 / 1024:.1f} MB" if result.size >= 1024 * 1024 else f"{result.size / 1024:.1f} KB"
    return f"{result.path}  {size}  sha256={result.sha256}"
