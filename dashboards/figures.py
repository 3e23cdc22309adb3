"""Figures and chart data of the officers' dashboard (and the yearly report), computed for a :class:`Scope`.

Every number here is a handful of aggregate queries (GROUP BY in the database), so the cost does not grow with the
number of rows. Each chart label carries the key of the rows behind it (``Bucket``): :func:`rows_for` turns the same
key back into the queryset that was aggregated, which is what the drill-down list shows — the figure and the list
share one definition, so the list holds exactly the rows the figure counted.

Definitions (also shown under each chart):

* organizations: those that exist today (已登记 or 已备案), by kind, by the sub-region of the scope they sit in, and by
  the year they were established (成立日期);
* registrations and filings: 成立登记 / 备案 applications approved (准予) in the year, by month of the decision;
* grant money: awards decided in each year (by 资助决定时间) and disbursements in each year (拨付日期, clawbacks net),
  for the calls of the scope (grants are managed by the call's jurisdiction, like the admin list);
* contract money: contracts signed (签订日期) in the year, by the project's catalogue category; social money is what
  their matching funds (撬动社会资金) add up to, and the ratio divides it by their value; people reached is what their
  服务人数 deliverables delivered;
* volunteer hours: approved service records served in the year, by month;
* points: issued = transfers out of the issuer account into volunteers' accounts, redeemed = redemptions, by month;
* grades: the valid graded results of the latest campaign (computed, published or finalized) that has results for
  organizations of the scope.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Sum
from django.db.models.functions import ExtractMonth, ExtractYear, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core.figures import Figure
from core.models import Region
from core.permissions import ASCII_ID

from .scope import Scope

MONTHS = list(range(1, 13))
YEARS_BACK = 5  # charts "by year" show the selected year and the four before it
STEP = 4  # treebeard's steplen for Region (core.migrations.0002_reference_regions)
CACHE_PREFIX = "dashboards:v1"


@dataclass(frozen=True)
class Chart:
    """One chart's data: labels on the category axis and one or more named series of the same length."""

    key: str
    title: str
    kind: str  # "bar" | "stacked" | "line" | "pie"
    labels: list[str]
    series: list[tuple[str, list[float | int | Decimal]]]
    unit: str = ""
    links: list[str | None] = field(default_factory=list)  # drill-down URL per label (same order as labels)
    # Drill-down URL per series per label, where the series are different rows (e.g. awarded vs paid).
    series_links: list[list[str | None]] = field(default_factory=list)
    note: str = ""  # what is counted, in one sentence

    @property
    def is_empty(self) -> bool:
        return not self.labels or not any(any(v for v in values) for _name, values in self.series)

    def table(self) -> list[dict]:
        """Rows for the accessible table under the chart: label, link, and one (value, link) per series."""
        rows = []
        for i, label in enumerate(self.labels):
            cells = []
            for s, (_name, values) in enumerate(self.series):
                link = self.series_links[s][i] if s < len(self.series_links) else (self.links[i] if self.links else None)
                cells.append({"value": values[i], "link": link})
            rows.append({"label": label, "link": self.links[i] if self.links else None, "cells": cells})
        return rows


# --- the rows behind every figure ---------------------------------------------------------------------------
def year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The year as a half-open range of aware times in the portal's time zone (Asia/Shanghai)."""
    zone = timezone.get_default_timezone()
    return datetime.datetime(year, 1, 1, tzinfo=zone), datetime.datetime(year + 1, 1, 1, tzinfo=zone)


def active_organizations(scope: Scope):
    from orgs.models import Organization

    return Organization.objects.filter(scope.q("region"),
                                       status__in=[Organization.Status.REGISTERED, Organization.Status.FILED])


def approved_registrations(scope: Scope, year: int):
    from orgs.models import Application

    start, end = year_bounds(year)
    return Application.objects.filter(
        scope.q("region"), kind__in=[Application.Kind.ESTABLISH, Application.Kind.FILING],
        status=Application.Status.APPROVED, decided_at__gte=start, decided_at__lt=end,
    )


def awards(scope: Scope):
    from grants.models import Award

    return Award.objects.filter(scope.q("application__call__region"))


def disbursements(scope: Scope):
    from grants.models import Disbursement

    return Disbursement.objects.filter(scope.q("award__application__call__region"))


def signed_contracts(scope: Scope, year: int):
    from grants.models import Contract

    return Contract.objects.filter(scope.q("region"), signed_on__year=year).exclude(status=Contract.Status.DRAFT)


def matching_funds(scope: Scope, year: int):
    from grants.models import MatchingFund

    return MatchingFund.objects.filter(contract__in=signed_contracts(scope, year))


def approved_records(scope: Scope, year: int):
    from volunteers.models import ServiceRecord

    return ServiceRecord.objects.filter(scope.q("region"), status=ServiceRecord.Status.APPROVED, served_on__year=year)


def points_issued(scope: Scope, year: int):
    from volunteers.models import Account, Transfer

    start, end = year_bounds(year)
    return Transfer.objects.filter(
        scope.q("credit__volunteer__region"), debit__kind=Account.Kind.ISSUER, credit__kind=Account.Kind.VOLUNTEER,
        created_at__gte=start, created_at__lt=end,
    )


def points_redeemed(scope: Scope, year: int):
    from volunteers.models import Transfer

    start, end = year_bounds(year)
    return Transfer.objects.filter(
        scope.q("debit__volunteer__region"), source=Transfer.Source.REDEMPTION, created_at__gte=start,
        created_at__lt=end,
    )


GRADED_STATUSES = ("computed", "published", "finalized")


def latest_campaign(scope: Scope):
    """The latest campaign with computed results for organizations of the scope (one query)."""
    from evaluations.models import Campaign

    return (Campaign.objects.filter(status__in=GRADED_STATUSES)
            .filter(pk__in=_scoped_results(scope).values("campaign_id"))
            .order_by("-year", "-closes_at", "-pk").first())


def _scoped_results(scope: Scope):
    from evaluations.models import Result

    return Result.objects.filter(scope.q("organization__region"))


def graded_results(scope: Scope, campaign):
    return _scoped_results(scope).filter(campaign=campaign, valid=True).exclude(grade="")


# --- drill-down keys ----------------------------------------------------------------------------------------
def rows_for(scope: Scope, key: str, *, year: int, bucket: str = "", series: str = ""):
    """The rows behind one label of one chart; ``None`` when the key or bucket does not name one."""
    from orgs.models import Application, Organization

    try:
        if key == "org_kind":
            return active_organizations(scope).filter(kind=bucket) if bucket in Organization.Kind.values else None
        if key == "org_region":
            if not bucket.isalnum() or not any(bucket.startswith(p) for p in scope.paths):
                return None
            group = _group_length(scope)
            qs = active_organizations(scope)
            return (qs.filter(region__path__startswith=bucket) if len(bucket) >= group
                    else qs.filter(region__path=bucket))
        if key == "org_year":
            qs = active_organizations(scope).filter(established_on__year=_bounded(bucket, *YEARS))
            if series in ("registered", "filed"):
                qs = qs.filter(status=series)
            return qs
        if key == "registrations":
            qs = approved_registrations(scope, year).filter(**_month_filter("decided_at", bucket))
            if series in Application.Kind.values:
                qs = qs.filter(kind=series)
            return qs
        if key == "grant_awarded":
            start, end = year_bounds(_bounded(bucket, *YEARS))
            return awards(scope).filter(awarded_at__gte=start, awarded_at__lt=end)
        if key == "grant_paid":
            return disbursements(scope).filter(paid_on__year=_bounded(bucket, *YEARS))
        if key == "contracts":
            return signed_contracts(scope, year).filter(project__category_id=_row_id(bucket))
        if key == "matching":
            return matching_funds(scope, year).filter(contract__project__category_id=_row_id(bucket))
        if key == "hours":
            return approved_records(scope, year).filter(**_month_filter("served_on", bucket))
        if key == "points_issued":
            return points_issued(scope, year).filter(**_month_filter("created_at", bucket))
        if key == "points_redeemed":
            return points_redeemed(scope, year).filter(**_month_filter("created_at", bucket))
        if key == "grades":
            campaign_id = _row_id(series)
            return _scoped_results(scope).filter(campaign_id=campaign_id, valid=True, grade=bucket)
    except (TypeError, ValueError, OverflowError):
        return None
    return None


YEARS = (1900, 2100)  # a year bucket outside these cannot name a bar (and year 1 overflows the database's dates)


def _bounded(value: str, low: int, high: int) -> int:
    """A query-string number within [low, high]; anything else ("１２", "1e3", a 20-digit number) is a ValueError."""
    if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
        raise ValueError(value)
    return int(value)


def _row_id(value: str) -> int:
    """A row id the database can hold (core.permissions.ASCII_ID), else a ValueError."""
    if not ASCII_ID.fullmatch(value):
        raise ValueError(value)
    return int(value)


def _month_filter(field_name: str, bucket: str) -> dict:
    return {f"{field_name}__month": _bounded(bucket, 1, 12)}


def rows_url(key: str, *, year: int, bucket, series: str = "") -> str:
    params = {"year": year, "bucket": bucket}
    if series:
        params["series"] = series
    return reverse("dashboard_rows:rows", args=[key]) + "?" + urlencode(params)


# --- helpers ------------------------------------------------------------------------------------------------
def _group_length(scope: Scope) -> int:
    """Rows are grouped by the node one level below the scope's (shallowest) node: districts for the city."""
    return min(len(p) for p in scope.paths) + STEP if scope.paths else STEP


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _hours(minutes) -> float:
    return round((minutes or 0) / 60, 1)


def _month_labels() -> list[str]:
    return [_("%(m)d月") % {"m": m} for m in MONTHS]


def _ratio(social: Decimal, public: Decimal) -> Decimal | None:
    return (social / public).quantize(Decimal("0.01")) if public else None


# --- the numbers --------------------------------------------------------------------------------------------
def dashboard_data(scope: Scope, *, year: int) -> dict:
    """Every aggregate of the dashboard as plain data (cached briefly: ``PORTAL_DASHBOARD_CACHE_SECONDS``)."""
    seconds = getattr(settings, "PORTAL_DASHBOARD_CACHE_SECONDS", 60)
    key = f"{CACHE_PREFIX}:{year}:{','.join(scope.paths)}"
    if seconds:
        data = cache.get(key)
        if data is not None:
            return data
    data = _compute(scope, year)
    if seconds:
        cache.set(key, data, seconds)
    return data


def _compute(scope: Scope, year: int) -> dict:
    from grants.models import Deliverable, ServiceCategory
    from orgs.models import Application, Organization

    data: dict = {"year": year}
    orgs = active_organizations(scope)

    # Organizations: status × kind in one query; by sub-region in one; by year of establishment in one.
    by_kind_status = orgs.values("kind", "status").annotate(n=Count("pk")).order_by()
    kinds: dict[str, int] = defaultdict(int)
    statuses: dict[str, int] = defaultdict(int)
    for row in by_kind_status:
        kinds[row["kind"]] += row["n"]
        statuses[row["status"]] += row["n"]
    data["org_kind"] = [(k, str(label), kinds.get(k, 0)) for k, label in Organization.Kind.choices]
    data["orgs_registered"] = statuses.get(Organization.Status.REGISTERED, 0)
    data["orgs_filed"] = statuses.get(Organization.Status.FILED, 0)

    group = _group_length(scope)
    by_region = (orgs.annotate(prefix=Substr("region__path", 1, group)).values("prefix")
                 .annotate(n=Count("pk")).order_by("prefix"))
    counts = {row["prefix"]: row["n"] for row in by_region}
    names = dict(Region.objects.filter(path__in=list(counts)).values_list("path", "name"))
    data["org_region"] = [
        (prefix, names.get(prefix, prefix) + ("" if len(prefix) >= group else _("（本级）")), n)
        for prefix, n in counts.items()
    ]

    years = list(range(year - YEARS_BACK + 1, year + 1))
    by_year = (orgs.filter(established_on__year__gte=years[0], established_on__year__lte=year)
               .annotate(y=ExtractYear("established_on")).values("y", "status").annotate(n=Count("pk")).order_by())
    per_year = {(row["y"], row["status"]): row["n"] for row in by_year}
    data["org_year"] = [(y, per_year.get((y, "registered"), 0), per_year.get((y, "filed"), 0)) for y in years]

    # Registrations and filings approved per month.
    by_month = (approved_registrations(scope, year).annotate(m=ExtractMonth("decided_at"))
                .values("m", "kind").annotate(n=Count("pk")).order_by())
    per_month = {(row["m"], row["kind"]): row["n"] for row in by_month}
    data["registrations"] = [(m, per_month.get((m, Application.Kind.ESTABLISH), 0),
                              per_month.get((m, Application.Kind.FILING), 0)) for m in MONTHS]

    # Grant money by year: awarded (decision year) and paid (disbursement year, clawbacks net).
    start, _end = year_bounds(years[0])
    _s, end = year_bounds(year)
    awarded = (awards(scope).filter(awarded_at__gte=start, awarded_at__lt=end)
               .annotate(y=ExtractYear("awarded_at")).values("y").annotate(total=Sum("amount")).order_by())
    paid = (disbursements(scope).filter(paid_on__year__gte=years[0], paid_on__year__lte=year)
            .annotate(y=ExtractYear("paid_on")).values("y").annotate(total=Sum("amount")).order_by())
    awarded_by_year = {row["y"]: _money(row["total"]) for row in awarded}
    paid_by_year = {row["y"]: _money(row["total"]) for row in paid}
    data["grants"] = [(y, awarded_by_year.get(y, _money(0)), paid_by_year.get(y, _money(0))) for y in years]

    # Contracts signed in the year by catalogue category: value, social money, people reached (three queries).
    contracts = signed_contracts(scope, year)
    value_by_cat = {row["project__category"]: (_money(row["total"]), row["n"]) for row in
                    contracts.values("project__category").annotate(total=Sum("value"), n=Count("pk")).order_by()}
    social_by_cat = {row["contract__project__category"]: _money(row["total"]) for row in
                     matching_funds(scope, year).values("contract__project__category")
                     .annotate(total=Sum("amount")).order_by()}
    people_by_cat = {row["contract__project__category"]: row["total"] or 0 for row in
                     Deliverable.objects.filter(contract__in=contracts, kind=Deliverable.Kind.PEOPLE)
                     .values("contract__project__category").annotate(total=Sum("delivered")).order_by()}
    used = set(value_by_cat) | set(social_by_cat) | set(people_by_cat)
    categories = list(ServiceCategory.objects.filter(pk__in=used).order_by("sort_order", "code")
                      .values_list("pk", "name")) if used else []
    data["contracts"] = [
        (pk, name, value_by_cat.get(pk, (_money(0), 0))[0], value_by_cat.get(pk, (_money(0), 0))[1],
         social_by_cat.get(pk, _money(0)), people_by_cat.get(pk, 0))
        for pk, name in categories
    ]

    # Volunteer hours per month (minutes summed, shown in hours).
    minutes = (approved_records(scope, year).annotate(m=ExtractMonth("served_on")).values("m")
               .annotate(total=Sum("minutes")).order_by())
    per_month_minutes = {row["m"]: row["total"] or 0 for row in minutes}
    data["hours"] = [(m, per_month_minutes.get(m, 0)) for m in MONTHS]

    # Points issued and redeemed per month.
    issued = {row["m"]: row["total"] or 0 for row in points_issued(scope, year).annotate(m=ExtractMonth("created_at"))
              .values("m").annotate(total=Sum("amount")).order_by()}
    redeemed = {row["m"]: row["total"] or 0 for row in points_redeemed(scope, year)
                .annotate(m=ExtractMonth("created_at")).values("m").annotate(total=Sum("amount")).order_by()}
    data["points"] = [(m, issued.get(m, 0), redeemed.get(m, 0)) for m in MONTHS]

    # Grade distribution of the latest campaign.
    campaign = latest_campaign(scope)
    data["campaign"] = (campaign.pk, campaign.title, campaign.kind) if campaign else None
    if campaign:
        from evaluations.models import Campaign, Result

        grade_counts = {row["grade"]: row["n"] for row in
                        graded_results(scope, campaign).values("grade").annotate(n=Count("pk")).order_by()}
        order = ["5A", "4A", "3A", "2A", "1A"] if campaign.kind == Campaign.Kind.GRADING else \
            ["excellent", "good", "pass", "fail"]
        labels = dict(Result.Grade.choices)
        data["grades"] = [(g, str(labels[g]), grade_counts.get(g, 0)) for g in order]
    else:
        data["grades"] = []
    return data


def _yuan_text(value: Decimal) -> str:
    from core.money import format_wan

    return format_wan(value)


def figures_for(scope: Scope, *, year: int) -> list[Figure]:
    """Headline numbers of the scope in the year (pending queue items are added by the panel, per officer)."""
    data = dashboard_data(scope, year=year)
    public = sum((row[2] for row in data["contracts"]), Decimal("0.00"))
    social = sum((row[4] for row in data["contracts"]), Decimal("0.00"))
    ratio = _ratio(social, public)
    year_grants = data["grants"][-1]
    return [
        Figure("orgs", _("存续社会组织"), f"{data['orgs_registered'] + data['orgs_filed']:,}", _("家"), 10),
        Figure("orgs_registered", _("其中登记"), f"{data['orgs_registered']:,}", _("家"), 11),
        Figure("orgs_filed", _("其中备案"), f"{data['orgs_filed']:,}", _("家"), 12),
        Figure("registrations", _("本年准予登记备案"), f"{sum(r[1] + r[2] for r in data['registrations']):,}", _("件"), 15),
        Figure("grant_awarded", _("本年资助金额"), _yuan_text(year_grants[1]), "", 20),
        Figure("grant_paid", _("本年资助拨付"), _yuan_text(year_grants[2]), "", 21),
        Figure("contract_value", _("本年签订购买服务合同"), _yuan_text(public), "", 30),
        Figure("social_money", _("撬动社会资金"), _yuan_text(social), "", 31),
        Figure("social_ratio", _("财政资金与撬动社会资金之比"), f"1 : {ratio}" if ratio is not None else "—", "", 32),
        Figure("people_reached", _("服务对象人数"), f"{sum(r[5] for r in data['contracts']):,}", _("人"), 33),
        Figure("volunteer_hours", _("志愿服务时长"), f"{_hours(sum(m for _m, m in data['hours'])):,}", _("小时"), 40),
        Figure("points_issued", _("发放积分"), f"{sum(r[1] for r in data['points']):,}", _("分"), 41),
        Figure("points_redeemed", _("兑换积分"), f"{sum(r[2] for r in data['points']):,}", _("分"), 42),
    ]


def charts_for(scope: Scope, *, year: int) -> list[Chart]:
    """Every dashboard chart of the scope in the year, with a drill-down link per label (and per series)."""
    data = dashboard_data(scope, year=year)

    def link(key, bucket, series=""):
        return rows_url(key, year=year, bucket=bucket, series=series)

    charts = [
        Chart("org_kind", _("社会组织类型分布"), "pie",
              [label for _k, label, _n in data["org_kind"]], [(_("组织数"), [n for *_x, n in data["org_kind"]])],
              _("家"), [link("org_kind", k) for k, _l, _n in data["org_kind"]],
              note=_("已登记、已备案的组织。")),
        Chart("org_region", _("社会组织区划分布"), "bar",
              [label for _p, label, _n in data["org_region"]], [(_("组织数"), [n for *_x, n in data["org_region"]])],
              _("家"), [link("org_region", p) for p, _l, _n in data["org_region"]],
              note=_("按所在下一级区划统计的存续组织。")),
        Chart("org_year", _("社会组织成立年份（登记／备案）"), "stacked",
              [str(y) for y, *_x in data["org_year"]],
              [(_("登记"), [r for _y, r, _f in data["org_year"]]), (_("备案"), [f for _y, _r, f in data["org_year"]])],
              _("家"), [link("org_year", y) for y, *_x in data["org_year"]],
              series_links=[[link("org_year", y, "registered") for y, *_x in data["org_year"]],
                            [link("org_year", y, "filed") for y, *_x in data["org_year"]]],
              note=_("按成立日期的年份统计的存续组织。")),
        Chart("registrations", _("%(year)d 年每月准予登记与备案") % {"year": year}, "stacked", _month_labels(),
              [(_("成立登记"), [e for _m, e, _f in data["registrations"]]),
               (_("备案"), [f for _m, _e, f in data["registrations"]])],
              _("件"), [link("registrations", m) for m in MONTHS],
              series_links=[[link("registrations", m, "establish") for m in MONTHS],
                            [link("registrations", m, "filing") for m in MONTHS]],
              note=_("按决定时间统计的准予成立登记、备案申请。")),
        Chart("grants", _("资助金额（按年度）"), "bar", [str(y) for y, *_x in data["grants"]],
              [(_("资助金额"), [a for _y, a, _p in data["grants"]]), (_("已拨付"), [p for _y, _a, p in data["grants"]])],
              _("元"), [link("grant_awarded", y) for y, *_x in data["grants"]],
              series_links=[[link("grant_awarded", y) for y, *_x in data["grants"]],
                            [link("grant_paid", y) for y, *_x in data["grants"]]],
              note=_("资助金额按资助决定年度，已拨付按拨付日期（扣除追回）。")),
        Chart("contracts", _("%(year)d 年购买服务合同金额（按目录类别）") % {"year": year}, "bar",
              [name for _pk, name, *_x in data["contracts"]], [(_("合同金额"), [r[2] for r in data["contracts"]])],
              _("元"), [link("contracts", r[0]) for r in data["contracts"]],
              note=_("本年签订的合同，按采购项目的指导性目录类别。")),
        Chart("social", _("撬动社会资金与财政资金"), "bar",
              [name for _pk, name, *_x in data["contracts"]],
              [(_("财政资金（合同金额）"), [r[2] for r in data["contracts"]]),
               (_("撬动社会资金"), [r[4] for r in data["contracts"]])],
              _("元"), [link("contracts", r[0]) for r in data["contracts"]],
              series_links=[[link("contracts", r[0]) for r in data["contracts"]],
                            [link("matching", r[0]) for r in data["contracts"]]],
              note=_("本年签订合同的金额及其登记的配套资金。")),
        Chart("people", _("服务对象人数（按目录类别）"), "bar",
              [name for _pk, name, *_x in data["contracts"]], [(_("服务人数"), [r[5] for r in data["contracts"]])],
              _("人"), [link("contracts", r[0]) for r in data["contracts"]],
              note=_("本年签订合同“服务人数”指标的已完成数。")),
        Chart("hours", _("%(year)d 年每月志愿服务时长") % {"year": year}, "line", _month_labels(),
              [(_("服务时长"), [_hours(m) for _m, m in data["hours"]])], _("小时"),
              [link("hours", m) for m in MONTHS], note=_("已确认的志愿服务记录，按服务日期。")),
        Chart("points", _("%(year)d 年每月积分发放与兑换") % {"year": year}, "line", _month_labels(),
              [(_("发放"), [i for _m, i, _r in data["points"]]), (_("兑换"), [r for _m, _i, r in data["points"]])],
              _("分"), [link("points_issued", m) for m in MONTHS],
              series_links=[[link("points_issued", m) for m in MONTHS], [link("points_redeemed", m) for m in MONTHS]],
              note=_("发放：由积分发行账户记入志愿者账户；兑换：兑换回馈。")),
    ]
    campaign = data["campaign"]
    if campaign:
        pk, title, _kind = campaign
        charts.append(Chart(
            "grades", _("最近一次评价等级分布：%(title)s") % {"title": title}, "bar",
            [label for _g, label, _n in data["grades"]], [(_("组织数"), [n for *_x, n in data["grades"]])], _("家"),
            [link("grades", g, str(pk)) for g, _l, _n in data["grades"]], note=_("有效结果的等级。"),
        ))
    return charts


def year_choices(today: datetime.date | None = None) -> list[int]:
    this_year = (today or timezone.localdate()).year
    return list(range(this_year, this_year - 10, -1))


def parse_year(value, today: datetime.date | None = None) -> int:
    """``?year=`` as a year of the last ten; anything else falls back to the current year."""
    choices = year_choices(today)
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        return choices[0]
    return year if year in choices else choices[0]


__all__ = ["Chart", "charts_for", "figures_for", "rows_for", "rows_url", "dashboard_data", "parse_year",
           "year_choices"]
