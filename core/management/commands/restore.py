"""``manage.py restore PATH [--yes] [--media ARCHIVE]``: put a backup back into the configured database, then
check every invariant (core.invariants) and exit non-zero if one fails (docs/operations.md)."""

from django.core.management.base import BaseCommand, CommandError

from core import backup, invariants


class Command(BaseCommand):
    help = "从备份恢复数据库（校验 SHA-256，恢复后检查账本、预算与支付不变量）。Restore the database from a backup."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a backup made by manage.py backup (.sqlite3 or pg_dump custom format)")
        parser.add_argument("--yes", action="store_true",
                            help="overwrite a database that already holds data (everything in it is replaced)")
        parser.add_argument("--media", default=None, help="also unpack this <name>.media.tar.gz into the media roots")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, *args, path, yes=False, media=None, database="default", **options):
        try:
            notes = backup.restore(path, using=database, overwrite=yes, media=media)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已恢复 / restored {path}")
        for note in notes:
            self.stdout.write(f"  {note}")
        problems = invariants.check_all()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"恢复后有 {len(problems)} 项不变量不成立。 / {len(problems)} invariant(s) fail after restore.",
                               returncode=2)
        self.stdout.write("不变量检查通过：积分账本、资助预算与合同支付均一致。 / All invariants hold.")
