"""``manage.py procurement_daily`` opens the bids of announced projects whose window has closed, and only those."""

from io import StringIO

import pytest
from django.core.management import call_command

from grants.models import OcdsRelease, ProcurementProject

from .procurement_helpers import bid, close_window, make_project

pytestmark = pytest.mark.django_db
P = ProcurementProject.Status


def run() -> str:
    out = StringIO()
    call_command("procurement_daily", stdout=out)
    return out.getvalue()


def test_the_daily_run_opens_projects_whose_window_closed_and_leaves_open_windows_alone():
    due = make_project()
    for price in ("250000", "260000"):
        bid(due, price=price)
    close_window(due)
    lonely = make_project(title="社区助餐服务项目")
    bid(lonely)
    close_window(lonely)
    still_open = make_project(title="青少年成长服务项目")
    planned = make_project(title="禁毒宣传服务项目", announce=False)
    ProcurementProject.objects.filter(pk=planned.pk).update(bids_close_at=due.bids_close_at)

    assert run().strip() == "已开标采购项目 2 个（投标截止时间已过）。"

    statuses = dict(ProcurementProject.objects.values_list("pk", "status"))
    assert statuses[due.pk] == P.CLOSED  # two valid bids: enough for 竞争性磋商
    assert statuses[lonely.pk] == P.FAILED  # one valid bid: 流标
    assert statuses[still_open.pk] == P.ANNOUNCED
    assert statuses[planned.pk] == P.PLANNED
    assert OcdsRelease.objects.filter(project=due, tags=["tenderUpdate"]).count() == 1


def test_running_it_again_the_same_day_opens_nothing_more():
    project = make_project()
    close_window(project)
    assert "1 个" in run()
    releases = OcdsRelease.objects.count()
    assert run().strip() == "已开标采购项目 0 个（投标截止时间已过）。"
    assert OcdsRelease.objects.count() == releases
