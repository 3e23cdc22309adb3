"""The 政府购买服务 daily run (cron, e.g. every night after midnight, or more often): open the bids (开标) of every
announced project whose bid window has closed, so that no project waits for an officer to press the button.
Each project is opened in its own transaction by grants.procurement.open_bids (valid bids are judged, and a
project with too few valid bids fails: 流标); running twice does nothing more, since an opened project is no
longer 已公告."""

from django.core.management.base import BaseCommand

from grants import procurement


class Command(BaseCommand):
    help = "政府购买服务 daily run: open the bids of announced projects whose bid window has closed."

    def handle(self, *args, **options):
        opened = procurement.close_due_projects()
        self.stdout.write(f"已开标采购项目 {opened} 个（投标截止时间已过）。")
