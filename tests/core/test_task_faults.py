"""Background tasks that die midway are retried without doing their work twice.

The portal has two tasks on the ``background`` queue (django-tasks with the database backend, worked by
``manage.py db_worker``): the yearly report (dashboards.tasks.build_yearly_report) and a campaign's results
(evaluations.services.compute_campaign_results). django-tasks-db never runs a task again once a worker has claimed
it, so a worker killed mid-task leaves its task "running" for ever; the application's own retry (after
30 minutes without a sign of life) is what brings the work back, and it must not double anything.

The report is killed for real: a db_worker process is stopped with SIGKILL while it lays out the PDF, then a second
worker runs the retry. The campaign's death is simulated in-process by an exception no handler in the portal
catches (BaseException), which leaves the rows exactly as a killed process would.
"""

import datetime
import os
import signal
import subprocess  # nosec B404 - runs this project's own manage.py code on the test database
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.models import AuditEntry
from dashboards import reports
from dashboards.models import YearlyReport
from evaluations import results, services
from evaluations.exceptions import CampaignError
from evaluations.models import Campaign, CampaignStatusChange, Result
from tests.evaluations.helpers import end_window, public_campaign, values, verified_user
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
DATABASE_BACKEND = {"BACKEND": "django_tasks_db.DatabaseBackend"}

# A worker process on the test database: ``manage.py db_worker --backend background --batch`` with, when
# WORKER_HANG_MARKER is set, a PDF step that writes the marker and then hangs until the process is killed.
WORKER = r"""
import os, pathlib, time
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
from django.conf import settings
settings.DATABASES["default"]["NAME"] = os.environ["WORKER_DATABASE"]
settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
                  "background": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
import django
django.setup()
marker = os.environ.get("WORKER_HANG_MARKER")
if marker:
    from dashboards import report_pdf

    def hang(*args, **kwargs):
        pathlib.Path(marker).write_text("laying out the PDF")
        time.sleep(600)

    report_pdf.build_pdf = hang
from django.core.management import call_command
call_command("db_worker", "--backend", "background", "--batch", "--no-startup-delay", "--interval", "0.1",
             "--no-reload")
"""


class WorkerDied(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no ``except Exception`` sees it."""


def start_worker(hang_marker: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "WORKER_DATABASE": str(connection.settings_dict["NAME"])}
    if hang_marker:
        env["WORKER_HANG_MARKER"] = str(hang_marker)
    return subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env,  # noqa: S603  # nosec B603
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(path: Path, worker: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if worker.poll() is not None:
            pytest.fail(f"the worker ended before reaching the PDF step:\n{worker.stdout.read()[-3000:]}")
        assert time.monotonic() < deadline, "the worker never reached the PDF step"
        time.sleep(0.1)


def audits(action: str, obj) -> int:
    return AuditEntry.objects.filter(action=action, object_id=str(obj.pk)).count()


@pytest.fixture
def report_files():
    """Take away the files the reports wrote to the private storage."""
    yield
    for report in YearlyReport.objects.all():
        for stored in (report.xlsx_file, report.pdf_file):
            if stored and stored.storage.exists(stored.name):
                stored.storage.delete(stored.name)


def test_a_report_worker_killed_midway_is_retried_once_and_builds_one_report(
        settings, nanming, officer_nanming, tmp_path, report_files):
    settings.TASKS = {**settings.TASKS, "background": DATABASE_BACKEND}  # the real queue, not the tests' inline one
    OrganizationFactory(region=nanming, name="南明区花果园社区互助会")
    report = reports.request_report(nanming, timezone.localdate().year, acting_user=officer_nanming)
    first_task = DBTaskResult.objects.get()
    assert first_task.status == "READY"

    marker = tmp_path / "in-pdf"
    worker = start_worker(marker)
    try:
        wait_for(marker, worker)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL

    # What the killed worker left: the report half built with no file, its task claimed and never finished.
    report.refresh_from_db()
    assert (report.status, report.attempt) == (YearlyReport.Status.RUNNING, 1)
    assert not report.xlsx_file and not report.pdf_file
    first_task.refresh_from_db()
    assert first_task.status == "RUNNING"
    with pytest.raises(reports.ReportRefused):  # too early to call it dead
        reports.retry_report(report, acting_user=officer_nanming)

    # Half an hour without a sign of life: the officer retries, and a new worker builds it.
    YearlyReport.objects.filter(pk=report.pk).update(started_at=timezone.now() - datetime.timedelta(minutes=31))
    reports.retry_report(report, acting_user=officer_nanming)
    worker = start_worker()
    output, _ = worker.communicate(timeout=300)
    assert worker.returncode == 0, output[-3000:]

    report.refresh_from_db()
    assert (report.status, report.attempt, report.progress) == (YearlyReport.Status.DONE, 2, 100)
    assert YearlyReport.objects.filter(region=nanming, year=report.year).count() == 1
    assert audits("dashboards.yearly_report.done", report) == 1
    assert audits("dashboards.yearly_report.failed", report) == 0
    storage = report.xlsx_file.storage
    assert storage.exists(report.xlsx_file.name) and storage.exists(report.pdf_file.name)
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1

    # The killed run's task, were it ever delivered again, finds the report done and leaves it alone.
    assert reports.run_report(report.pk) == YearlyReport.Status.DONE
    report.refresh_from_db()
    assert report.attempt == 2 and audits("dashboards.yearly_report.done", report) == 1


@pytest.fixture
def closed_campaign(city_officer, officer_nanming, city, org_a, org_b):
    """A closed 五比五看 campaign: 阳光助残服务社 rated 5, 4, 3 by the public (80 on 100) and 90 by the officer."""
    campaign = public_campaign(city_officer, city, min_raters=3)
    for value in (5, 4, 3):
        services.submit_rating(campaign, org_a, acting_user=verified_user(), values=values(campaign, value))
    services.declare_conflict(campaign, org_a, acting_user=officer_nanming, has_conflict=False)
    services.submit_score(campaign, org_a, acting_user=officer_nanming, values=values(campaign, 90),
                          notes={key: "查阅台账" for key in values(campaign, 0)})
    end_window(campaign)
    return campaign


def computed_moves(campaign) -> int:
    return CampaignStatusChange.objects.filter(campaign=campaign, to_status=Campaign.Status.COMPUTED).count()


def test_a_campaign_computation_that_dies_midway_can_be_requested_again_and_computes_once(
        closed_campaign, city_officer, org_a, monkeypatch):
    campaign = closed_campaign
    def killed(*args, **kwargs):
        raise WorkerDied

    monkeypatch.setattr(results, "_write", killed)  # dies as it is about to save the results
    services.request_computation(campaign, acting_user=city_officer)  # the task runs inline in the tests

    campaign.refresh_from_db()
    assert (campaign.status, campaign.compute_state) == (Campaign.Status.CLOSED, Campaign.ComputeState.RUNNING)
    assert not Result.objects.filter(campaign=campaign, total__isnull=False).exists()
    with pytest.raises(CampaignError, match="正在计算中"):  # it may still be alive
        services.request_computation(campaign, acting_user=city_officer)

    # Half an hour without progress: the officer asks again and the computation runs to the end, once.
    monkeypatch.undo()
    Campaign.objects.filter(pk=campaign.pk).update(updated_at=timezone.now() - datetime.timedelta(minutes=31))
    services.request_computation(campaign, acting_user=city_officer)

    campaign.refresh_from_db()
    assert (campaign.status, campaign.compute_state) == (Campaign.Status.COMPUTED, Campaign.ComputeState.DONE)
    assert computed_moves(campaign) == 1
    assert Result.objects.filter(campaign=campaign).count() == 2  # one row per organization in scope, as before
    assert Result.objects.get(campaign=campaign, organization=org_a).total == 86


def test_a_campaign_task_delivered_twice_computes_once(closed_campaign, city_officer):
    campaign = closed_campaign
    services.request_computation(campaign, acting_user=city_officer)
    first = list(Result.objects.filter(campaign=campaign).order_by("pk").values_list("pk", "total", "computed_at"))

    services.compute_campaign_results.call(campaign.pk, city_officer.pk)  # the same task, delivered again

    assert computed_moves(campaign) == 1
    assert list(Result.objects.filter(campaign=campaign).order_by("pk").values_list("pk", "total", "computed_at")) \
        == first
