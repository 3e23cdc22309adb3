"""Run the yearly credit rules (orgs.credit.credit_sweep). Schedule it daily, e.g. with cron:

    15 2 * * *  cd /srv/portal && .venv/bin/python manage.py credit_sweep

It is idempotent: before the annual-report deadline and on any later run the same day it changes nothing new.
"""

import datetime

from django.core.management.base import BaseCommand
from tqdm import tqdm

from orgs.credit import credit_sweep


class Command(BaseCommand):
    help = "List organizations without an annual report, promote and clear credit listings (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=datetime.date.fromisoformat, help="run as of this day (YYYY-MM-DD)")

    def handle(self, *args, date=None, **options):
        bar = tqdm(desc="credit_sweep", unit="家", total=0, file=self.stderr)

        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        result = credit_sweep(date, progress=progress)
        bar.close()
        self.stdout.write(
            f"列入活动异常名录 {result.listed_abnormal} 家，列入严重违法失信名单 {result.listed_serious} 家，"
            f"移出严重违法失信名单 {result.removed_serious} 家。"
        )
