"""The drill-down list behind a chart's label: exactly the rows the figure counted (the same queryset,
:func:`dashboards.figures.rows_for`), scoped to the officer's jurisdiction, each linking to its own admin page."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.admin_exports import EXPORT_FORMATS, spreadsheet_response
from core.admin_policies import is_officer
from core.money import format_yuan

from .figures import parse_year, rows_for
from .scope import Scope


@dataclass(frozen=True)
class Listing:
    title: str
    related: tuple[str, ...]
    columns: list[tuple[str, Callable]]
    link: Callable | None = None
    total: tuple[str, str, Callable] | None = None  # (heading, field to sum, format)


def _display(value):
    """A cell as the page shows it; the export gets the raw value (numbers stay numbers in Excel)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return format_yuan(value)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return value


def _reverse(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


ORGANIZATIONS = Listing(
    _("社会组织"), ("region",),
    [(_("名称"), lambda o: o.name), (_("类型"), lambda o: o.get_kind_display()), (_("状态"), lambda o: o.get_status_display()),
     (_("所在区划"), lambda o: o.region.name), (_("成立日期"), lambda o: o.established_on)],
    lambda o: _reverse("orgs:profile", o.pk),
)
CONTRACTS = Listing(
    _("购买服务合同"), ("organization", "project__category"),
    [(_("合同编号"), lambda c: c.number), (_("合同名称"), lambda c: c.title), (_("承接组织"), lambda c: c.organization.name),
     (_("目录类别"), lambda c: c.project.category.name), (_("合同金额"), lambda c: c.value),
     (_("签订日期"), lambda c: c.signed_on)],
    lambda c: _reverse("procurement_contracts:inspect", c.pk), (_("合同金额合计"), "value", format_yuan),
)
TRANSFERS = Listing(
    _("积分流水"), ("debit__volunteer", "credit__volunteer"),
    [(_("时间"), lambda t: t.created_at), (_("来源"), lambda t: t.get_source_display()),
     (_("转出"), lambda t: str(t.debit)), (_("转入"), lambda t: str(t.credit)), (_("积分"), lambda t: t.amount)],
    None, (_("积分合计"), "amount", lambda v: f"{v or 0:,}"),
)
LISTINGS = {
    "org_kind": ORGANIZATIONS, "org_region": ORGANIZATIONS, "org_year": ORGANIZATIONS,
    "registrations": Listing(
        _("准予的登记备案申请"), ("region",),
        [(_("名称"), lambda a: a.name), (_("事项"), lambda a: a.get_kind_display()), (_("区划"), lambda a: a.region.name),
         (_("决定时间"), lambda a: a.decided_at)],
        lambda a: _reverse("org_applications:inspect", a.pk),
    ),
    "grant_awarded": Listing(
        _("资助"), ("application__organization",),
        [(_("申报编号"), lambda a: a.application.number), (_("项目"), lambda a: a.application.project_title),
         (_("组织"), lambda a: a.application.organization.name), (_("资助金额"), lambda a: a.amount),
         (_("决定时间"), lambda a: a.awarded_at)],
        lambda a: _reverse("grant_applications:inspect", a.application_id), (_("资助金额合计"), "amount", format_yuan),
    ),
    "grant_paid": Listing(
        _("资助拨付记录"), ("award__application__organization",),
        [(_("申报编号"), lambda d: d.award.application.number), (_("组织"), lambda d: d.award.application.organization.name),
         (_("类型"), lambda d: d.get_kind_display()), (_("金额"), lambda d: d.amount),
         (_("日期"), lambda d: d.paid_on)],
        lambda d: _reverse("grant_applications:inspect", d.award.application_id), (_("金额合计"), "amount", format_yuan),
    ),
    "contracts": CONTRACTS,
    "matching": Listing(
        _("撬动社会资金"), ("contract",),
        [(_("合同"), lambda m: m.contract.title), (_("来源"), lambda m: m.get_source_display()),
         (_("出资方"), lambda m: m.funder), (_("金额"), lambda m: m.amount),
         (_("到位日期"), lambda m: m.received_on)],
        lambda m: _reverse("procurement_contracts:inspect", m.contract_id), (_("金额合计"), "amount", format_yuan),
    ),
    "hours": Listing(
        _("志愿服务记录"), ("volunteer", "activity"),
        [(_("志愿者编号"), lambda r: r.volunteer.number), (_("活动"), lambda r: r.activity.title),
         (_("服务日期"), lambda r: r.served_on), (_("时长（分钟）"), lambda r: r.minutes)],
        lambda r: _reverse("volunteer_admin:inspect", r.volunteer_id),
        (_("时长合计（小时）"), "minutes", lambda v: f"{round((v or 0) / 60, 1):,}"),
    ),
    "points_issued": TRANSFERS, "points_redeemed": TRANSFERS,
    "grades": Listing(
        _("评价结果"), ("organization", "campaign"),
        [(_("组织"), lambda r: r.organization.name), (_("评价活动"), lambda r: r.campaign.title),
         (_("综合得分"), lambda r: r.total), (_("等级"), lambda r: r.get_grade_display())],
        lambda r: _reverse("campaigns:inspect", r.campaign_id),
    ),
}


def rows(request, key: str):
    """One label's rows, as the officer's scope sees them; anything unknown or outside the scope is a 404."""
    if not is_officer(request.user):
        raise Http404
    scope = Scope.for_user(request.user)
    listing = LISTINGS.get(key)
    if scope is None or listing is None:
        raise Http404
    year = parse_year(request.GET.get("year"))
    queryset = rows_for(scope, key, year=year, bucket=request.GET.get("bucket", "")[:40],
                        series=request.GET.get("series", "")[:20])
    if queryset is None:
        raise Http404
    ordered = queryset.select_related(*listing.related).order_by("pk")
    headings = [h for h, _fn in listing.columns]
    export_format = request.GET.get("export", "")
    if export_format in EXPORT_FORMATS:
        # Every row behind the label, not one page: the same scoped queryset the page lists.
        return spreadsheet_response(
            request, title=f"{listing.title}（{scope.label} {year}）", headings=headings,
            rows=([fn(obj) for _h, fn in listing.columns] for obj in ordered.iterator(chunk_size=2000)),
            export_format=export_format)
    total = None
    if listing.total:
        heading, field_name, fmt = listing.total
        total = (heading, fmt(queryset.aggregate(total=Sum(field_name))["total"]))
    page = Paginator(ordered, 50).get_page(request.GET.get("p"))
    table = [{"link": listing.link(obj) if listing.link else None,
              "cells": [_display(fn(obj)) for _h, fn in listing.columns]} for obj in page.object_list]
    return render(request, "dashboards/rows.html", {
        "listing": listing, "headings": headings, "table": table, "page": page,
        "count": page.paginator.count, "total": total, "scope": scope, "year": year,
        "base_query": _without_page(request),
    })


def _without_page(request) -> str:
    query = request.GET.copy()
    query.pop("p", None)
    query.pop("export", None)
    return query.urlencode()


urlpatterns = [path("rows/<slug:key>/", rows, name="rows")]
