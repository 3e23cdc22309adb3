"""The yearly statistical report (年度统计报表): requesting one (a service), building it (what the background task
runs), and which reports an officer may see.

The build reads the year's rows for the report's region (report_sheets), writes the XLSX (report_xlsx) and the PDF
(report_pdf) in memory, and only then stores both files and marks the report done, in one transaction: a report is
either done with both files or not done, never listed with half a file. A run is numbered (``attempt``): a rerun of a
done report does nothing, a rerun of a queued or crashed running one starts again from scratch and replaces the files,
and a run that is overtaken by a newer one throws its work away.
"""

from __future__ import annotations

import datetime
import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core import audit
from core.exceptions import DomainError
from core.exceptions import PermissionDenied as NotPermitted
from core.models import Region
from core.permissions import can_administer_region, jurisdiction_q

from . import report_pdf, report_sheets, report_xlsx
from .models import YearlyReport
from .scope import Scope

logger = logging.getLogger(__name__)

FIRST_YEAR = 2000
# A run that has said nothing for this long is taken to have crashed (the worker died): it may be started again.
STALE_AFTER = datetime.timedelta(minutes=30)


class ReportRefused(DomainError):
    """The report cannot be requested (or requested again) as asked."""


# --- who sees what -----------------------------------------------------------------------------------------
def reports_for(user) -> QuerySet:
    """The reports of regions under the officer's jurisdictions (all for a superuser, none for anybody else)."""
    queryset = YearlyReport.objects.select_related("region", "requested_by")
    if user.is_authenticated and user.is_superuser:
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(jurisdiction_q(user, "region"))


def regions_for(user) -> list[Region]:
    """The regions a report may be requested for: the officer's jurisdictions and the districts under them (a
    superuser: every city and district), in code order."""
    if not user.is_authenticated:
        return []
    levels = [Region.Level.CITY, Region.Level.DISTRICT]
    if user.is_superuser:
        return list(Region.objects.filter(level__in=levels).order_by("path"))
    jurisdictions = user.jurisdictions
    if not jurisdictions:
        return []
    below = Region.objects.filter(jurisdiction_q(user, "self"), level=Region.Level.DISTRICT)
    regions = {region.pk: region for region in [*jurisdictions, *below]}
    return sorted(regions.values(), key=lambda region: region.path)


def year_choices(today=None) -> list[int]:
    """This year and the nine before it, newest first (the dashboard's year range)."""
    this_year = (today or timezone.localdate()).year
    return list(range(this_year, max(this_year - 10, FIRST_YEAR - 1), -1))


# --- the service -------------------------------------------------------------------------------------------
def request_report(region: Region, year: int, *, acting_user) -> YearlyReport:
    """Queue the yearly report of ``region`` for ``year``. Refused for a region the officer does not administer,
    for a year outside the offered range, and while the same report is already being built."""
    if not can_administer_region(acting_user, region):
        raise NotPermitted("您不管辖该区划，不能为其生成统计报表。")
    if year not in year_choices():
        raise ReportRefused(f"统计年度须为 {year_choices()[-1]}–{year_choices()[0]} 年之间的年份。", code="year")
    busy = ReportRefused(f"{region.name} {year} 年度统计报表正在生成中，请稍候刷新查看。", code="busy")
    # One transaction: the row and its audit entry exist together, and the task is queued only once they are
    # committed (on_commit), so the worker always finds the queued row it is to build.
    with transaction.atomic():
        if YearlyReport.objects.filter(region=region, year=year, status__in=YearlyReport.PENDING).exists():
            raise busy
        try:
            # A savepoint: the partial unique constraint decides between two requests made at the same moment.
            with transaction.atomic():
                report = YearlyReport.objects.create(region=region, year=year, requested_by=acting_user,
                                                     progress_message="等待生成")
        except IntegrityError:
            raise busy from None
        audit.record("dashboards.yearly_report.request", actor=acting_user, obj=report, region=region,
                     after={"region": region.pk, "year": year})
        transaction.on_commit(lambda: _enqueue(report.pk))
    return report


def retry_report(report: YearlyReport, *, acting_user) -> YearlyReport:
    """Queue a failed report again, or one whose run has said nothing for a long time (its worker crashed)."""
    if not can_administer_region(acting_user, report.region):
        raise NotPermitted("您不管辖该区划，不能为其生成统计报表。")
    with transaction.atomic():
        # The row lock orders this against a worker finishing the same report at this moment.
        report = YearlyReport.objects.select_for_update().select_related("region").get(pk=report.pk)
        if not can_retry(report):
            raise ReportRefused("只有生成失败或长时间无进展的报表可以重新生成。", code="status")
        others = YearlyReport.objects.filter(region=report.region, year=report.year,
                                             status__in=YearlyReport.PENDING).exclude(pk=report.pk)
        if others.exists():
            raise ReportRefused(f"{report} 已有一份正在生成，请稍候刷新查看。", code="busy")
        before = {"status": report.status}
        report.status = YearlyReport.Status.QUEUED
        report.progress, report.progress_message, report.error = 0, "等待重新生成", ""
        report.save(update_fields=["status", "progress", "progress_message", "error"])
        audit.record("dashboards.yearly_report.retry", actor=acting_user, obj=report, region=report.region,
                     before=before, after={"status": report.status})
        transaction.on_commit(lambda: _enqueue(report.pk))
    return report


def can_retry(report: YearlyReport, now=None) -> bool:
    """Failed, or pending without a sign of life for :data:`STALE_AFTER` (its worker died)."""
    if report.status == YearlyReport.Status.FAILED:
        return True
    last_sign = report.started_at or report.requested_at
    return report.is_pending and last_sign < (now or timezone.now()) - STALE_AFTER


def _enqueue(report_id: int) -> None:
    from .tasks import build_yearly_report

    build_yearly_report.enqueue(report_id)


# --- the build ---------------------------------------------------------------------------------------------
def _reporter(report_id: int, attempt: int):
    def report(percent: int, message: str) -> None:
        # Outside any transaction, so the officers' page sees the progress while the task runs; only the current
        # run may write it.
        YearlyReport.objects.filter(pk=report_id, attempt=attempt, status=YearlyReport.Status.RUNNING).update(
            progress=max(0, min(percent, 99)), progress_message=message[:200])

    return report


def _claim(report_id: int) -> YearlyReport | None:
    """Start a run: the row becomes RUNNING under a new attempt number. ``None`` when there is nothing to do."""
    # The row lock makes two workers picking up the same report take turns: the second sees the first's attempt.
    with transaction.atomic():
        report = YearlyReport.objects.select_for_update().select_related("region").filter(pk=report_id).first()
        if report is None or report.status in (YearlyReport.Status.DONE, YearlyReport.Status.FAILED):
            return None  # done: a rerun does nothing; failed: only retry_report queues it again
        report.attempt += 1
        report.status = YearlyReport.Status.RUNNING
        report.progress, report.progress_message = 1, "开始生成"
        report.started_at, report.finished_at, report.error = timezone.now(), None, ""
        report.save(update_fields=["attempt", "status", "progress", "progress_message", "started_at", "finished_at",
                                   "error"])
    return report


def build_files(report: YearlyReport, *, progress=None) -> tuple[bytes, bytes]:
    """The report's XLSX and PDF, built in memory. ``progress(percent, message)`` reports each step."""
    from .charts import render_png
    from .figures import charts_for, figures_for

    progress = progress or (lambda percent, message: None)
    scope = Scope.for_region(report.region)
    names = report_sheets.SHEET_NAMES
    steps = len(names) * 2 + len(report_pdf.HEADINGS) + 2  # read each sheet, write each sheet, the PDF, store
    done = 0

    def step(message: str) -> None:
        nonlocal done
        done += 1
        progress(round(done * 100 / steps), message)

    sheets = report_sheets.build_sheets(scope, report.year, progress=lambda name: step(f"读取{name}数据"))
    xlsx = report_xlsx.build_xlsx(sheets, progress=lambda name: step(f"写入工作表“{name}”"))
    step("计算图表")
    figures = figures_for(scope, year=report.year)
    charts = charts_for(scope, year=report.year)
    pdf = report_pdf.build_pdf(
        title=str(report), scope_label=report.region.full_name, year=report.year, generated_at=timezone.now(),
        sheets=sheets, figures=figures, charts=charts, render_png=render_png,
        progress=lambda heading: step(f"排版 PDF：{heading}"),
    )
    return xlsx, pdf


def run_report(report_id: int) -> str:
    """Build one report (what the task runs). Returns the status the report was left in."""
    report = _claim(report_id)
    if report is None:
        return YearlyReport.objects.filter(pk=report_id).values_list("status", flat=True).first() or "missing"
    attempt = report.attempt
    try:
        xlsx, pdf = build_files(report, progress=_reporter(report.pk, attempt))
        return _finish(report.pk, attempt, xlsx, pdf)
    except Exception as exc:
        logger.exception("building yearly report %s failed", report_id)
        _fail(report.pk, attempt, exc)
        return YearlyReport.Status.FAILED


def _finish(report_id: int, attempt: int, xlsx: bytes, pdf: bytes) -> str:
    stored: list = []
    try:
        # One transaction for both files and the done state: the row never says done without both. The row lock
        # orders this against a newer run claiming the report; a run that has been overtaken keeps nothing.
        with transaction.atomic():
            report = YearlyReport.objects.select_for_update().select_related("region").get(pk=report_id)
            if report.attempt != attempt or report.status != YearlyReport.Status.RUNNING:
                return report.status
            old = [f.name for f in (report.xlsx_file, report.pdf_file) if f]
            for field, content, extension in (("xlsx", xlsx, "xlsx"), ("pdf", pdf, "pdf")):
                getattr(report, f"{field}_file").save(f"report.{extension}", ContentFile(content), save=False)
                stored.append(getattr(report, f"{field}_file").name)
                setattr(report, f"{field}_sha256", hashlib.sha256(content).hexdigest())
                setattr(report, f"{field}_size", len(content))
            report.status = YearlyReport.Status.DONE
            report.progress, report.progress_message = 100, "已完成"
            report.finished_at = timezone.now()
            report.save()
            audit.record("dashboards.yearly_report.done", obj=report, region=report.region,
                         after={"xlsx_sha256": report.xlsx_sha256, "pdf_sha256": report.pdf_sha256})
            # The replaced files of an earlier run go once the new ones are committed.
            transaction.on_commit(lambda: _delete(old))
        return YearlyReport.Status.DONE
    except Exception:
        _delete(stored)  # the transaction rolled back: files it had stored belong to no row
        raise


def _fail(report_id: int, attempt: int, exc: Exception) -> None:
    message = f"{type(exc).__name__}: {exc}"[:2000]
    with transaction.atomic():
        updated = YearlyReport.objects.filter(pk=report_id, attempt=attempt).exclude(
            status=YearlyReport.Status.DONE).update(
            status=YearlyReport.Status.FAILED, error=message, progress_message="生成失败", finished_at=timezone.now())
        if updated:
            report = YearlyReport.objects.select_related("region").get(pk=report_id)
            audit.record("dashboards.yearly_report.failed", obj=report, region=report.region, reason=message)


def _delete(names: list[str]) -> None:
    from core.files import private_storage

    for name in names:
        try:
            private_storage.delete(name)
        except OSError:  # already gone: nothing to clean
            logger.warning("could not delete %s", name)
