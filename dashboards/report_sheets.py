"""The rows of the yearly statistical report (年度统计报表): one table per domain, and the summary (概览) computed
from those same tables, for one :class:`~dashboards.scope.Scope` and one year.

Which rows belong to a jurisdiction follows each app's own officer scoping (the rule an officer's admin lists and
exports already keep), so the report never shows a district officer a row their lists would hide:

* organizations, registration applications, volunteer service records: the row's own region;
* annual reports: the organization's region;
* grant applications and payments: the call's region (the jurisdiction that runs the call);
* contracts: the contract's region (the purchaser's, copied from the project);
* points redeemed: the merchant's region (where the voucher is 核销);
* 五比五看 results: the organization's region.

Which rows belong to the year: organizations established by its end (all of them when the date is unknown),
applications decided in it, annual reports about it (``year``), grant applications to its calls (``call.year``),
payments and contracts dated in it (``paid_on``, ``signed_on``), service records served in it, vouchers redeemed
in it, and the latest published 五比五看 campaign of the year or before.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from core.models import Region
from core.money import to_yuan
from evaluations.models import Campaign, Result
from grants.models import GrantApplication
from orgs.models import AnnualReport, Application, Organization

from . import figures
from .scope import Scope

ZERO = Decimal("0")


@dataclass
class Sheet:
    """One worksheet: its Chinese name, its rows, and which columns hold money, dates, times or other numbers."""

    name: str
    frame: pd.DataFrame
    money: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    datetimes: tuple[str, ...] = ()
    numbers: dict[str, str] = field(default_factory=dict)  # column → Excel number format
    money_rows: tuple[int, ...] = ()  # 概览: rows (0-based) whose 数值 is an amount in 元
    campaign: Campaign | None = None  # 五比五看: the campaign whose results the sheet lists
    summary: list[SummaryRow] = field(default_factory=list)  # 概览: the rows it was made from

    @property
    def visible(self) -> pd.DataFrame:
        """The columns the workbook shows (those starting with "_" are kept for the summary only)."""
        return self.frame[[c for c in self.frame.columns if not str(c).startswith("_")]]


@dataclass(frozen=True)
class SummaryRow:
    section: str
    label: str
    value: int | Decimal | str
    unit: str = ""

    @property
    def is_money(self) -> bool:
        return self.unit == "元"


def _local(value):
    """An aware time as the wall-clock time Excel can hold (it has no time zones)."""
    return timezone.localtime(value).replace(tzinfo=None) if value is not None else None


def _money(value):
    return to_yuan(value) if value is not None else None


def _identifier(organization) -> str:
    return organization.credit_code or organization.filing_number or ""


class Districts:
    """The 区（市、县） a region lies in, by materialised path: one query for every row of the report."""

    def __init__(self):
        self.names = dict(Region.objects.filter(level=Region.Level.DISTRICT).values_list("path", "name"))
        self.lengths = sorted({len(path) for path in self.names})

    def of(self, region: Region) -> str:
        for length in self.lengths:
            name = self.names.get(region.path[:length])
            if name:
                return name
        return f"{region.name}（本级）"


# --- the sheets ------------------------------------------------------------------------------------------------
ORG_COLUMNS = ["名称", "统一社会信用代码（备案编号）", "类型", "性质", "所在区县", "所在区划", "状态", "成立日期",
               "评估等级", "注册资金（元）", "专职工作人员数"]


def organizations_sheet(scope: Scope, year: int, districts: Districts) -> Sheet:
    end = datetime.date(year, 12, 31)
    organizations = (
        Organization.objects.filter(scope.q("region"))
        .filter(Q(established_on__isnull=True) | Q(established_on__lte=end))
        .select_related("region").order_by("region__path", "name", "pk")
    )
    rows = [{
        "名称": o.name, "统一社会信用代码（备案编号）": _identifier(o), "类型": o.get_kind_display(),
        "性质": o.get_nature_display(), "所在区县": districts.of(o.region), "所在区划": o.region.name,
        "状态": o.get_status_display(), "成立日期": o.established_on, "评估等级": o.grade_on(end),
        "注册资金（元）": _money(o.funds), "专职工作人员数": o.staff_count,
        "_status": o.status, "_established": o.established_on,
    } for o in organizations]
    frame = pd.DataFrame(rows, columns=[*ORG_COLUMNS, "_status", "_established"])
    return Sheet("社会组织", frame, money=("注册资金（元）",), dates=("成立日期",))


APPLICATION_COLUMNS = ["申请事项", "拟定名称", "组织类型", "所在区县", "所在区划", "办理结果", "提交时间", "受理时间",
                       "决定时间", "法定办结期限", "是否超期", "决定理由"]
DECIDED = [Application.Status.APPROVED, Application.Status.DENIED, Application.Status.REJECTED]


def applications_sheet(scope: Scope, year: int, districts: Districts) -> Sheet:
    start, end = figures.year_bounds(year)
    applications = (
        Application.objects.filter(scope.q("region"), status__in=DECIDED, decided_at__gte=start, decided_at__lt=end)
        .select_related("region").order_by("decided_at", "pk")
    )
    rows = []
    for a in applications:
        late = bool(a.due_on and a.decided_at and timezone.localdate(a.decided_at) > a.due_on)
        rows.append({
            "申请事项": a.get_kind_display(), "拟定名称": a.name, "组织类型": a.get_org_kind_display(),
            "所在区县": districts.of(a.region), "所在区划": a.region.name, "办理结果": a.get_status_display(),
            "提交时间": _local(a.submitted_at), "受理时间": _local(a.accepted_at), "决定时间": _local(a.decided_at),
            "法定办结期限": a.due_on, "是否超期": "是" if late else "否", "决定理由": a.decision_reason,
            "_status": a.status, "_late": late,
        })
    frame = pd.DataFrame(rows, columns=[*APPLICATION_COLUMNS, "_status", "_late"])
    return Sheet("登记备案", frame, dates=("法定办结期限",), datetimes=("提交时间", "受理时间", "决定时间"))


ANNUAL_COLUMNS = ["组织名称", "统一社会信用代码（备案编号）", "所在区县", "报告年度", "审核结果", "本年收入（元）",
                  "其中：政府购买服务收入（元）", "本年支出（元）", "年末净资产（元）", "专职工作人员数", "报送时间"]


def annual_reports_sheet(scope: Scope, year: int, districts: Districts) -> Sheet:
    reports = (
        AnnualReport.objects.filter(scope.q("organization__region"), year=year)
        .exclude(status=AnnualReport.Status.DRAFT)
        .select_related("organization__region").order_by("organization__region__path", "organization__name", "pk")
    )
    rows = [{
        "组织名称": r.organization.name, "统一社会信用代码（备案编号）": _identifier(r.organization),
        "所在区县": districts.of(r.organization.region), "报告年度": r.year, "审核结果": r.get_status_display(),
        "本年收入（元）": _money(r.income), "其中：政府购买服务收入（元）": _money(r.government_income),
        "本年支出（元）": _money(r.expenditure), "年末净资产（元）": _money(r.net_assets),
        "专职工作人员数": r.staff_count, "报送时间": _local(r.submitted_at), "_status": r.status,
    } for r in reports]
    frame = pd.DataFrame(rows, columns=[*ANNUAL_COLUMNS, "_status"])
    return Sheet("年度报告", frame, money=("本年收入（元）", "其中：政府购买服务收入（元）", "本年支出（元）", "年末净资产（元）"),
                 datetimes=("报送时间",))


GRANT_COLUMNS = ["申报编号", "资助计划", "资助类型", "项目名称", "申报组织", "所在区县", "状态", "申请金额（元）",
                 "资助金额（元）", "已拨付（元）", "计划服务人数", "提交时间", "资助决定时间"]


def grants_sheet(scope: Scope, year: int, districts: Districts) -> Sheet:
    """Grant applications submitted in the year, and those whose award was decided in it (the dashboard counts
    money awarded by the year of the decision)."""
    start, end = figures.year_bounds(year)
    applications = (
        GrantApplication.objects.filter(scope.q("call__region"))
        .filter(Q(submitted_at__gte=start, submitted_at__lt=end)
                | Q(award__awarded_at__gte=start, award__awarded_at__lt=end))
        .exclude(status=GrantApplication.Status.DRAFT)
        .select_related("call", "organization", "region", "award").order_by("call_id", "number")
    )
    rows = []
    for a in applications:
        award = getattr(a, "award", None)
        rows.append({
            "申报编号": a.number, "资助计划": a.call.title, "资助类型": a.call.get_kind_display(),
            "项目名称": a.project_title, "申报组织": a.organization.name, "所在区县": districts.of(a.region),
            "状态": a.get_status_display(), "申请金额（元）": _money(a.requested_amount),
            "资助金额（元）": _money(award.amount) if award else None,
            "已拨付（元）": _money(award.paid_total) if award else None,
            "计划服务人数": a.beneficiaries_target, "提交时间": _local(a.submitted_at),
            "资助决定时间": _local(award.awarded_at) if award else None,
            "_submitted_in_year": bool(a.submitted_at and start <= a.submitted_at < end),
            "_awarded_in_year": bool(award and start <= award.awarded_at < end),
        })
    frame = pd.DataFrame(rows, columns=[*GRANT_COLUMNS, "_submitted_in_year", "_awarded_in_year"])
    return Sheet("孵化补贴", frame, money=("申请金额（元）", "资助金额（元）", "已拨付（元）"),
                 datetimes=("提交时间", "资助决定时间"))


PAYMENT_COLUMNS = ["申报编号", "资助计划", "项目名称", "申报组织", "类型", "期次", "金额（元）", "拨付日期", "凭证号", "说明"]


def grant_payments_sheet(scope: Scope, year: int, districts: Districts) -> Sheet:
    disbursements = (
        figures.disbursements(scope).filter(paid_on__year=year)
        .select_related("award__application__call", "award__application__organization", "tranche")
        .order_by("paid_on", "pk")
    )
    rows = []
    for d in disbursements:
        application = d.award.application
        rows.append({
            "申报编号": application.number, "资助计划": application.call.title, "项目名称": application.project_title,
            "申报组织": application.organization.name, "类型": d.get_kind_display(),
            "期次": d.tranche.sequence if d.tranche else None, "金额（元）": _money(d.amount), "拨付日期": d.paid_on,
            "凭证号": d.reference, "说明": d.reason,
        })
    frame = pd.DataFrame(rows, columns=PAYMENT_COLUMNS)
    return Sheet("资助拨付", frame, money=("金额（元）",), dates=("拨付日期",))


CONTRACT_COLUMNS = ["合同编号", "合同名称", "购买主体", "服务类别", "承接组织", "所在区县", "签订日期", "服务开始日期",
                    "服务结束日期", "状态", "合同金额（元）", "已支付（元）", "撬动社会资金（元）", "服务人数", "绩效等级"]


def contracts_sheet(scope: Scope, year: int, districts: Districts) -> Sheet:
    contracts = (
        figures.signed_contracts(scope, year)
        .select_related("project__purchaser", "project__category", "organization", "region", "evaluation")
        .prefetch_related("deliverables", "matching_funds").order_by("signed_on", "pk")
    )
    rows = []
    for c in contracts:
        evaluation = getattr(c, "evaluation", None)
        rows.append({
            "合同编号": c.number, "合同名称": c.title, "购买主体": c.project.purchaser.name,
            "服务类别": c.project.category.name, "承接组织": c.organization.name, "所在区县": districts.of(c.region),
            "签订日期": c.signed_on, "服务开始日期": c.starts_on, "服务结束日期": c.ends_on, "状态": c.get_status_display(),
            "合同金额（元）": _money(c.value), "已支付（元）": _money(c.paid_total),
            "撬动社会资金（元）": _money(c.matching_total), "服务人数": c.people_reached,
            "绩效等级": evaluation.get_grade_display() if evaluation and evaluation.grade else "",
        })
    frame = pd.DataFrame(rows, columns=CONTRACT_COLUMNS)
    return Sheet("政府购买服务", frame, money=("合同金额（元）", "已支付（元）", "撬动社会资金（元）"),
                 dates=("签订日期", "服务开始日期", "服务结束日期"))


VOLUNTEER_COLUMNS = ["月份", "服务记录（条）", "参与志愿者（人）", "服务时长（小时）", "发放积分", "兑换积分"]
TOTAL_LABEL = "合计"


def volunteers_sheet(scope: Scope, year: int, districts: Districts) -> Sheet:
    # ExtractMonth of a time counts in the current time zone (Asia/Shanghai), like the rest of the report.
    records = (
        figures.approved_records(scope, year).annotate(month=ExtractMonth("served_on")).values("month")
        .annotate(count=Count("pk"), people=Count("volunteer", distinct=True), minutes=Sum("minutes")).order_by()
    )
    by_month = {row["month"]: row for row in records}
    issued = {row["month"]: row["total"] for row in figures.points_issued(scope, year)
              .annotate(month=ExtractMonth("created_at")).values("month").annotate(total=Sum("amount")).order_by()}
    redeemed = {row["month"]: row["total"] for row in figures.points_redeemed(scope, year)
                .annotate(month=ExtractMonth("created_at")).values("month").annotate(total=Sum("amount")).order_by()}
    # The year's distinct volunteers, not the sum of the months' (the same person serves in several months).
    people = figures.approved_records(scope, year).values("volunteer").distinct().count()
    rows = []
    for month in range(1, 13):
        served = by_month.get(month, {})
        rows.append({
            "月份": f"{year}-{month:02d}", "服务记录（条）": served.get("count", 0),
            "参与志愿者（人）": served.get("people", 0), "服务时长（小时）": _hours(served.get("minutes")),
            "发放积分": issued.get(month) or 0, "兑换积分": redeemed.get(month) or 0,
        })
    total = {column: sum(row[column] for row in rows) for column in VOLUNTEER_COLUMNS[1:]}
    total.update({"月份": TOTAL_LABEL, "参与志愿者（人）": people})
    frame = pd.DataFrame([*rows, total], columns=VOLUNTEER_COLUMNS)
    return Sheet("爱心银行", frame, numbers={"服务时长（小时）": "#,##0.00", "发放积分": "#,##0", "兑换积分": "#,##0"})


def _hours(minutes) -> Decimal:
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.01"))


EVALUATION_COLUMNS = ["评价活动", "组织名称", "组织类型", "所在区县", "群众评价人数", "群众评价得分", "干部专家得分",
                      "综合得分", "同类排名", "等级"]


def latest_campaign(scope: Scope, year: int) -> Campaign | None:
    """The latest campaign of the year or before with computed results for organizations in scope (the dashboard's
    definition, bounded by the report's year so that last year's report does not show this year's campaign)."""
    return (Campaign.objects.filter(status__in=figures.GRADED_STATUSES, year__lte=year)
            .filter(pk__in=Result.objects.filter(scope.q("organization__region")).values("campaign_id"))
            .order_by("-year", "-closes_at", "-pk").first())


def evaluations_sheet(scope: Scope, year: int, districts: Districts) -> Sheet:
    campaign = latest_campaign(scope, year)
    rows = []
    if campaign is not None:
        results = (
            Result.objects.filter(scope.q("organization__region"), campaign=campaign)
            .select_related("organization__region").order_by("rank_in_kind", "organization__name", "pk")
        )
        for r in results:
            rows.append({
                "评价活动": campaign.title, "组织名称": r.organization.name, "组织类型": r.get_org_kind_display(),
                "所在区县": districts.of(r.organization.region), "群众评价人数": r.public_raters,
                "群众评价得分": r.public_score, "干部专家得分": r.official_score, "综合得分": r.total,
                "同类排名": r.rank_in_kind, "等级": r.get_grade_display() if r.valid and r.grade else "无有效结果",
                "_grade": r.grade if r.valid else "",
            })
    frame = pd.DataFrame(rows, columns=[*EVALUATION_COLUMNS, "_grade"])
    return Sheet("五比五看", frame, numbers=dict.fromkeys(("群众评价得分", "干部专家得分", "综合得分"), "0.00"),
                 campaign=campaign)


# The domain sheets in the order of the workbook (after 概览) and of the PDF's sections.
BUILDERS: list[tuple[str, Callable[[Scope, int, Districts], Sheet]]] = [
    ("社会组织", organizations_sheet),
    ("登记备案", applications_sheet),
    ("年度报告", annual_reports_sheet),
    ("孵化补贴", grants_sheet),
    ("资助拨付", grant_payments_sheet),
    ("政府购买服务", contracts_sheet),
    ("爱心银行", volunteers_sheet),
    ("五比五看", evaluations_sheet),
]
SHEET_NAMES = ["概览", *(name for name, _ in BUILDERS)]


# --- the summary -----------------------------------------------------------------------------------------------
def _sum(frame: pd.DataFrame, column: str, rows=None) -> Decimal:
    values = frame[column] if rows is None else frame.loc[rows, column]
    return sum((Decimal(v) for v in values if v is not None and not pd.isna(v)), ZERO)


def summarize(sheets: dict[str, Sheet], year: int) -> list[SummaryRow]:
    """The headline numbers of the report, each computed from the rows of its sheet."""
    orgs = sheets["社会组织"].frame
    active = orgs["_status"].isin([Organization.Status.REGISTERED, Organization.Status.FILED])
    new = orgs["_established"].map(lambda d: d is not None and not pd.isna(d) and d.year == year)
    apps = sheets["登记备案"].frame
    annual = sheets["年度报告"].frame
    grants = sheets["孵化补贴"].frame
    payments = sheets["资助拨付"].frame
    contracts = sheets["政府购买服务"].frame
    volunteers = sheets["爱心银行"].frame
    total = volunteers[volunteers["月份"] == TOTAL_LABEL].iloc[0]
    results = sheets["五比五看"].frame
    campaign = sheets["五比五看"].campaign

    contract_value = _sum(contracts, "合同金额（元）")
    matching = _sum(contracts, "撬动社会资金（元）")
    leverage = (matching / contract_value).quantize(Decimal("0.01")) if contract_value else ZERO
    awarded = grants["_awarded_in_year"].astype(bool)
    grades = results["_grade"]
    rows = [
        SummaryRow("社会组织", "社会组织（存续）", int(active.sum()), "家"),
        SummaryRow("社会组织", "其中：已登记", int((orgs["_status"] == Organization.Status.REGISTERED).sum()), "家"),
        SummaryRow("社会组织", "其中：已备案", int((orgs["_status"] == Organization.Status.FILED).sum()), "家"),
        SummaryRow("社会组织", "本年成立", int(new.sum()), "家"),
        SummaryRow("登记备案", "本年办结申请", len(apps), "件"),
        SummaryRow("登记备案", "其中：准予", int((apps["_status"] == Application.Status.APPROVED).sum()), "件"),
        SummaryRow("登记备案", "其中：不予或不予受理", int(apps["_status"].isin(
            [Application.Status.DENIED, Application.Status.REJECTED]).sum()), "件"),
        SummaryRow("登记备案", "超期办结", int(apps["_late"].sum()) if len(apps) else 0, "件"),
        SummaryRow("年度报告", "已报送年度报告", len(annual), "份"),
        SummaryRow("年度报告", "其中：合格或基本合格", int(annual["_status"].isin(AnnualReport.ACCEPTED).sum()), "份"),
        SummaryRow("年度报告", "其中：不合格", int((annual["_status"] == AnnualReport.Status.FAILED).sum()), "份"),
        SummaryRow("年度报告", "年度收入合计", _sum(annual, "本年收入（元）"), "元"),
        SummaryRow("年度报告", "其中：政府购买服务收入", _sum(annual, "其中：政府购买服务收入（元）"), "元"),
        SummaryRow("孵化补贴", "本年申报项目", int(grants["_submitted_in_year"].astype(bool).sum()), "个"),
        SummaryRow("孵化补贴", "本年决定资助项目", int(awarded.sum()), "个"),
        SummaryRow("孵化补贴", "本年资助金额", _sum(grants, "资助金额（元）", awarded) if len(grants) else ZERO, "元"),
        SummaryRow("孵化补贴", "本年拨付净额（拨付减追回）", _sum(payments, "金额（元）"), "元"),
        SummaryRow("政府购买服务", "本年签订合同", len(contracts), "份"),
        SummaryRow("政府购买服务", "合同金额合计", contract_value, "元"),
        SummaryRow("政府购买服务", "已支付合计", _sum(contracts, "已支付（元）"), "元"),
        SummaryRow("政府购买服务", "撬动社会资金", matching, "元"),
        SummaryRow("政府购买服务", "社会资金与合同金额之比", leverage, "倍"),
        SummaryRow("政府购买服务", "服务人数", int(_sum(contracts, "服务人数")), "人"),
        SummaryRow("爱心银行", "志愿服务记录", int(total["服务记录（条）"]), "条"),
        SummaryRow("爱心银行", "参与志愿者", int(total["参与志愿者（人）"]), "人"),
        SummaryRow("爱心银行", "志愿服务时长", Decimal(total["服务时长（小时）"]), "小时"),
        SummaryRow("爱心银行", "发放积分", int(total["发放积分"]), "分"),
        SummaryRow("爱心银行", "兑换积分", int(total["兑换积分"]), "分"),
        SummaryRow("五比五看", "评价活动", campaign.title if campaign else "本年度及以前尚无已发布的评价活动"),
        SummaryRow("五比五看", "参评组织", len(results), "家"),
    ]
    grading = campaign is not None and campaign.kind == Campaign.Kind.GRADING
    labels = dict(Result.Grade.choices)
    for value in (["5A", "4A", "3A", "2A", "1A"] if grading else ["excellent", "good", "pass", "fail"]):
        rows.append(SummaryRow("五比五看", f"评为{labels[value]}", int((grades == value).sum()), "家"))
    return rows


def summary_sheet(summary: list[SummaryRow]) -> Sheet:
    frame = pd.DataFrame([{"类别": r.section, "指标": r.label, "数值": r.value, "单位": r.unit} for r in summary],
                         columns=["类别", "指标", "数值", "单位"])
    return Sheet("概览", frame, money_rows=tuple(i for i, r in enumerate(summary) if r.is_money), summary=summary)


def build_sheets(scope: Scope, year: int, *, progress: Callable[[str], None] | None = None) -> list[Sheet]:
    """Every sheet of the workbook, 概览 first; ``progress(name)`` is called as each domain sheet is read."""
    districts = Districts()
    sheets: dict[str, Sheet] = {}
    for name, builder in BUILDERS:
        if progress:
            progress(name)
        sheets[name] = builder(scope, year, districts)
    summary = summarize(sheets, year)
    return [summary_sheet(summary), *sheets.values()]
