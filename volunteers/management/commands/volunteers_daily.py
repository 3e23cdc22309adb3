"""The 爱心银行 daily run (cron, once a day): expire unused vouchers past their date (points and stock return),
and, when PORTAL_POINTS_EXPIRE_MONTHS is set, move points earned before the cutoff and not spent since to the
expiry account. Both are idempotent, so running twice in a day, or after a crash halfway, does no harm."""

import datetime

from django.core.management.base import BaseCommand

from volunteers import ledger, services


class Command(BaseCommand):
    help = "爱心银行 daily run: expire vouchers and (if configured) points; check the ledger's invariants."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=None, help="the day to run for (YYYY-MM-DD)")

    def handle(self, *args, as_of=None, **options):
        vouchers = services.expire_vouchers()
        points = services.expire_points(as_of=as_of)
        self.stdout.write(f"过期兑换券 {vouchers} 张；过期积分 {points} 分"
                          f"（积分有效期：{services.expiry_months() or '不过期'}{' 个月' if services.expiry_months() else ''}）。")
        problems = ledger.check_invariants()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise SystemExit(1)
        self.stdout.write("积分账本校验通过：全部账户合计为零，缓存余额与流水一致。")
