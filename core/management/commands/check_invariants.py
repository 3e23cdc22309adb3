"""``manage.py check_invariants``: every ledger, budget and payment invariant (core.invariants), for CI, the load
run, after a restore or from cron. Exit status 1 when any fails."""

from django.core.management.base import BaseCommand

from core import invariants


class Command(BaseCommand):
    help = "检查积分账本、资助预算、合同支付与只追加表的不变量；有不成立项时退出码为 1。Check every invariant."

    def handle(self, *args, **options):
        problems = invariants.check_all()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            self.stderr.write(f"{len(problems)} 项不变量不成立。 / {len(problems)} invariant(s) fail.")
            raise SystemExit(1)
        self.stdout.write("不变量检查通过：积分账本、资助预算与合同支付均一致。 / All invariants hold.")
