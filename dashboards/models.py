"""Tables of the dashboards app: the yearly statistical reports (年度统计报表) officers request and download."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.files import private_storage
from core.models import Region


def report_upload_path(instance, filename: str) -> str:
    """A random name under the app's private folder; the download view names the file for the officer."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    extension = extension if extension in ("xlsx", "pdf") else "bin"
    return f"dashboards/yearlyreport/{uuid.uuid4().hex}.{extension}"


class YearlyReport(models.Model):
    """One yearly statistical report (年度统计报表) of a jurisdiction: the XLSX workbook and the PDF, built by a
    background task and kept for download.

    It exists because the report reads every domain of a whole year and takes longer than a web request may: the
    officer asks for it, the task builds it while the row shows its progress, and the finished files stay here, with
    their SHA-256, so that the same file can be downloaded again and shown to be the one that was handed out. The
    files live in the private storage (no URL maps to them); only the permission-checked download view serves them.
    ``attempt`` numbers the runs of the task: a run finishes the report only while it is still the latest run, so a
    crashed run that is restarted never mixes its files with the new one's.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("生成失败")

    # The state of a background computation (like a campaign's compute_state), moved only by dashboards.reports:
    # queued → running (again, when a crashed run restarts) → done or failed; failed → queued on a retry.
    PENDING = [Status.QUEUED, Status.RUNNING]

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("辖区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0, validators=[MaxValueValidator(100)])
    progress_message = models.CharField(_("进度说明"), max_length=200, blank=True)
    attempt = models.PositiveIntegerField(_("运行次数"), default=0, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("申请人")
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    xlsx_file = models.FileField(_("XLSX 文件"), storage=private_storage, upload_to=report_upload_path, blank=True)
    xlsx_sha256 = models.CharField(_("XLSX SHA-256"), max_length=64, blank=True)
    xlsx_size = models.PositiveIntegerField(_("XLSX 大小（字节）"), default=0)
    pdf_file = models.FileField(_("PDF 文件"), storage=private_storage, upload_to=report_upload_path, blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    pdf_size = models.PositiveIntegerField(_("PDF 大小（字节）"), default=0)

    class Meta:
        verbose_name = _("年度统计报表")
        verbose_name_plural = _("年度统计报表")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["region", "year"], name="yearly_report_region_year_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="yearly_report_progress_within_100"),
            # One build at a time per region and year, even when two officers ask at the same moment.
            models.UniqueConstraint(fields=["region", "year"], condition=Q(status__in=["queued", "running"]),
                                    name="one_pending_yearly_report_per_region_year"),
            # A report listed as done always has both files and their digests: never a half-built download.
            models.CheckConstraint(
                condition=~Q(status="done")
                | (~Q(xlsx_file="") & ~Q(pdf_file="") & ~Q(xlsx_sha256="") & ~Q(pdf_sha256="")),
                name="done_yearly_report_has_both_files",
            ),
        ]

    def __str__(self):
        return f"{self.region.name} {self.year} 年度统计报表"

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING

    @property
    def is_done(self) -> bool:
        return self.status == self.Status.DONE

    def filename(self, extension: str) -> str:
        return f"{self.region.name}{self.year}年度统计报表.{extension}"
