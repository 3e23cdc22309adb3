"""``manage.py backup [--output PATH] [--media]``: a consistent copy of the database while the site runs
(SQLite's online backup API, or pg_dump on PostgreSQL), with its SHA-256 beside it (docs/operations.md)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from core import backup


class Command(BaseCommand):
    help = "备份数据库（SQLite 在线备份 API / PostgreSQL pg_dump），写出 SHA-256 校验文件。Back up the database."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", default=None,
                            help="backup file (default var/backups/<timestamp>.sqlite3 or .dump); never overwritten")
        parser.add_argument("--media", action="store_true",
                            help="also archive MEDIA_ROOT and the private uploads to <name>.media.tar.gz")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, *args, output=None, media=False, database="default", verbosity=1, **options):
        shown = {"tenth": -1}

        def progress(done, total):
            # Long-running commands show progress (DESIGN.md §5): one line per tenth of the pages copied.
            tenth = done * 10 // max(total, 1)
            if verbosity >= 1 and tenth != shown["tenth"]:
                shown["tenth"] = tenth
                self.stderr.write(f"  已复制 {done}/{total} 页 ({tenth * 10}%)", ending="\r" if sys.stderr.isatty() else "\n")

        try:
            result = backup.backup(output, using=database, media=media, progress=progress)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        how = {"stepwise": "分步在线复制 / stepwise online copy",
               "snapshot": f"写入频繁，{result.restarts} 次重启后一次性快照 / snapshot after {result.restarts} restarts",
               "pg_dump": "pg_dump --format=custom"}[result.method]
        self.stdout.write(f"备份完成 / backup written ({how}):")
        self.stdout.write(f"  {backup.describe(result)}")
        self.stdout.write(f"  {backup.sidecar(result.path)}")
        if result.media:
            self.stdout.write(f"  {backup.describe(result.media)}")
