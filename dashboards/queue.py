"""The officer's queue on the dashboard: what waits for an officer of the scope, soonest deadline first.

Each domain queue is read with two queries (a count and the first few rows by deadline), so the whole queue costs
a fixed number of queries however long it is. A deadline is the statutory one where the law sets it (登记备案申请's
``due_on``, a contract milestone's planned date, the end of a grading campaign's posting period); items without one
sort after those with one, oldest first.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .scope import Scope

NEAR_DAYS = 3  # an item due within this many days is highlighted
PER_SOURCE = 10  # rows read from each source
SHOWN = 12  # rows shown on the dashboard


@dataclass(frozen=True)
class QueueItem:
    kind: str  # what it is, e.g. 成立登记申请
    title: str
    status: str
    url: str
    due_on: datetime.date | None = None
    since: datetime.datetime | None = None

    def days_left(self, today: datetime.date) -> int | None:
        return None if self.due_on is None else (self.due_on - today).days

    def state(self, today: datetime.date) -> str:
        """"overdue", "near" (due within three days) or ""."""
        days = self.days_left(today)
        if days is None:
            return ""
        if days < 0:
            return "overdue"
        return "near" if days <= NEAR_DAYS else ""


@dataclass(frozen=True)
class QueueSource:
    label: str
    count: int
    url: str


@dataclass(frozen=True)
class Queue:
    items: list[QueueItem]
    sources: list[QueueSource]

    @property
    def total(self) -> int:
        return sum(source.count for source in self.sources)


def _sorted(rows, deadline: str, since: str):
    return rows.order_by(F(deadline).asc(nulls_last=True), F(since).asc(nulls_last=True), "pk")


def queue_for(scope: Scope) -> Queue:
    """Pending items of every domain in the scope."""
    from evaluations.models import ReviewRequest
    from grants.models import GrantApplication, GrantReport, Milestone
    from orgs.models import AnnualReport, Application

    items: list[QueueItem] = []
    sources: list[QueueSource] = []

    applications = Application.objects.filter(scope.q("region"), status__in=Application.OPEN)
    sources.append(QueueSource(_("登记备案申请"), applications.count(), reverse("org_applications:index")))
    for app in _sorted(applications, "due_on", "submitted_at")[:PER_SOURCE]:
        items.append(QueueItem(app.get_kind_display(), app.name, app.get_status_display(),
                               reverse("org_applications:inspect", args=[app.pk]), app.due_on, app.submitted_at))

    reports = AnnualReport.objects.filter(scope.q("organization__region"), status=AnnualReport.Status.SUBMITTED)
    sources.append(QueueSource(_("年度报告待审核"), reports.count(),
                               reverse("annual_reports:index") + "?status=submitted"))
    for report in reports.select_related("organization").order_by("submitted_at", "pk")[:PER_SOURCE]:
        items.append(QueueItem(_("年度报告"), f"{report.organization.name} {report.year}", report.get_status_display(),
                               reverse("annual_reports:inspect", args=[report.pk]), None, report.submitted_at))

    waiting = [GrantApplication.Status.SUBMITTED, GrantApplication.Status.SCREENING, GrantApplication.Status.SCORED]
    grant_apps = GrantApplication.objects.filter(scope.q("call__region"), status__in=waiting)
    sources.append(QueueSource(_("资助申报"), grant_apps.count(), reverse("grant_applications:index")))
    for app in grant_apps.order_by("submitted_at", "pk")[:PER_SOURCE]:
        items.append(QueueItem(_("资助申报"), app.project_title, app.get_status_display(),
                               reverse("grant_applications:inspect", args=[app.pk]), None, app.submitted_at))

    grant_reports = GrantReport.objects.filter(scope.q("application__call__region"), status=GrantReport.Status.SUBMITTED)
    sources.append(QueueSource(_("资助项目报告待评定"), grant_reports.count(), reverse("grant_applications:index")))
    for report in grant_reports.select_related("application").order_by("submitted_at", "pk")[:PER_SOURCE]:
        items.append(QueueItem(report.get_kind_display(), report.application.project_title, report.get_status_display(),
                               reverse("grant_applications:inspect", args=[report.application_id]), None,
                               report.submitted_at))

    milestones = Milestone.objects.filter(scope.q("contract__region"), status=Milestone.Status.SUBMITTED)
    sources.append(QueueSource(_("合同履约节点待确认"), milestones.count(), reverse("procurement_contracts:index")))
    for milestone in _sorted(milestones.select_related("contract"), "due_on", "confirmed_at")[:PER_SOURCE]:
        items.append(QueueItem(_("履约节点"), f"{milestone.contract.title} · {milestone.title}",
                               milestone.get_status_display(),
                               reverse("procurement_contracts:inspect", args=[milestone.contract_id]), milestone.due_on))

    reviews = ReviewRequest.objects.filter(scope.q("result__organization__region"),
                                           status=ReviewRequest.Status.PENDING)
    sources.append(QueueSource(_("评价复核申请"), reviews.count(), reverse("campaigns:index")))
    for review in _sorted(reviews.select_related("result__organization", "result__campaign"),
                          "result__campaign__posting_ends_on", "created_at")[:PER_SOURCE]:
        items.append(QueueItem(_("复核申请"), review.result.organization.name, review.get_status_display(),
                               reverse("campaigns:inspect", args=[review.result.campaign_id]),
                               review.result.campaign.posting_ends_on, review.created_at))

    far = datetime.date.max
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    items.sort(key=lambda item: (item.due_on or far, item.since or epoch))
    return Queue(items=items[:SHOWN], sources=sources)


def today() -> datetime.date:
    return timezone.localdate()
