"""The grants as spreadsheets for officers (DESIGN.md §3, §5): funding calls, applications, awards and payments
(one row per disbursement: payments positive, clawbacks negative). XLSX with Chinese headers, money as numbers
in a 元 number format, dates as dates and a frozen header row; and CSV with a UTF-8 BOM so that Excel opens the
Chinese correctly.

Every export scopes its rows to the officer first (grants.permissions) and only then narrows them to a call or a
year, so a district officer's file holds only their jurisdiction's calls."""

import io
from dataclasses import dataclass
from urllib.parse import quote

import pandas as pd
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone

from core.admin_exports import formula_safe
from core.money import to_yuan

from .models import Award, Disbursement, FundingCall, GrantApplication
from .permissions import applications_for_officer, calls_for_officer

MONEY_FORMAT = '#,##0.00"元"'
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
SCORE_FORMAT = "0.00"


@dataclass(frozen=True)
class Sheet:
    name: str  # the sheet's Chinese name, also the file's
    slug: str  # the file name's ASCII part
    frame: "pd.DataFrame"
    money: tuple[str, ...] = ()
    scores: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    datetimes: tuple[str, ...] = ()


def _local(value):
    """An aware datetime as the Asia/Shanghai wall-clock time Excel can hold (it has no time zones)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None)


def _identifier(organization) -> str:
    return organization.credit_code or organization.filing_number or ""


def _money(value):
    return to_yuan(value) if value is not None else None


# --- the four sheets -------------------------------------------------------------------------------------
def calls_sheet(calls: QuerySet) -> Sheet:
    rows = []
    calls = calls.select_related("region").annotate(
        application_count=Count("applications", filter=~Q(applications__status=GrantApplication.Status.DRAFT),
                                distinct=True),
        award_count=Count("applications__award", distinct=True),
    )
    for call in calls.order_by("-year", "-opens_at", "-pk"):
        rows.append({
            "资助计划": call.title, "资助类型": call.get_kind_display(), "年度": call.year, "发布辖区": call.region.name,
            "状态": call.get_status_display(), "资金总额（元）": _money(call.budget),
            "单项资助上限（元）": _money(call.max_amount), "已资助（元）": _money(call.awarded_total),
            "剩余预算（元）": _money(call.remaining), "申报数": call.application_count, "获资助数": call.award_count,
            "申报开始时间": _local(call.opens_at), "申报截止时间": _local(call.closes_at),
        })
    columns = ["资助计划", "资助类型", "年度", "发布辖区", "状态", "资金总额（元）", "单项资助上限（元）", "已资助（元）",
               "剩余预算（元）", "申报数", "获资助数", "申报开始时间", "申报截止时间"]
    return Sheet("资助计划", "calls", pd.DataFrame(rows, columns=columns),
                 money=("资金总额（元）", "单项资助上限（元）", "已资助（元）", "剩余预算（元）"),
                 datetimes=("申报开始时间", "申报截止时间"))


def applications_sheet(applications: QuerySet) -> Sheet:
    rows = []
    applications = applications.select_related("call", "organization", "region", "award")
    for application in applications.order_by("call_id", "number"):
        award = getattr(application, "award", None)
        rows.append({
            "申报编号": application.number, "资助计划": application.call.title, "项目名称": application.project_title,
            "申报组织": application.organization.name, "统一社会信用代码（备案编号）": _identifier(application.organization),
            "所在区划": application.region.name, "状态": application.get_status_display(),
            "申请金额（元）": _money(application.requested_amount),
            "评审得分": application.score, "最低分": application.score_min, "最高分": application.score_max,
            "有效评审数": application.score_count,
            "资助金额（元）": _money(award.amount) if award else None,
            "已拨付（元）": _money(award.paid_total) if award else None,
            "计划服务人数": application.beneficiaries_target, "计划活动场次": application.activities_target,
            "提交时间": _local(application.submitted_at),
        })
    columns = ["申报编号", "资助计划", "项目名称", "申报组织", "统一社会信用代码（备案编号）", "所在区划", "状态",
               "申请金额（元）", "评审得分", "最低分", "最高分", "有效评审数", "资助金额（元）", "已拨付（元）",
               "计划服务人数", "计划活动场次", "提交时间"]
    return Sheet("资助申报", "applications", pd.DataFrame(rows, columns=columns),
                 money=("申请金额（元）", "资助金额（元）", "已拨付（元）"), scores=("评审得分", "最低分", "最高分"),
                 datetimes=("提交时间",))


def awards_sheet(awards: QuerySet) -> Sheet:
    rows = []
    awards = awards.select_related("application__call", "application__organization", "application__region")
    for award in awards.order_by("application__call_id", "application__number"):
        application = award.application
        rows.append({
            "申报编号": application.number, "资助计划": application.call.title, "项目名称": application.project_title,
            "申报组织": application.organization.name, "统一社会信用代码（备案编号）": _identifier(application.organization),
            "所在区划": application.region.name, "资助金额（元）": _money(award.amount),
            "已拨付（元）": _money(award.paid_total), "未拨付（元）": _money(award.amount - award.paid_total),
            "资助决定时间": _local(award.awarded_at), "协议编号": award.agreement_number,
            "协议签订日期": award.agreement_signed_on, "项目状态": application.get_status_display(),
        })
    columns = ["申报编号", "资助计划", "项目名称", "申报组织", "统一社会信用代码（备案编号）", "所在区划", "资助金额（元）",
               "已拨付（元）", "未拨付（元）", "资助决定时间", "协议编号", "协议签订日期", "项目状态"]
    return Sheet("资助", "awards", pd.DataFrame(rows, columns=columns),
                 money=("资助金额（元）", "已拨付（元）", "未拨付（元）"), dates=("协议签订日期",),
                 datetimes=("资助决定时间",))


def payments_sheet(disbursements: QuerySet) -> Sheet:
    rows = []
    disbursements = disbursements.select_related(
        "award__application__call", "award__application__organization", "tranche", "recorded_by")
    for row in disbursements.order_by("paid_on", "pk"):
        application = row.award.application
        rows.append({
            "申报编号": application.number, "资助计划": application.call.title, "项目名称": application.project_title,
            "申报组织": application.organization.name, "类型": row.get_kind_display(),
            "期次": row.tranche.sequence if row.tranche else None,
            "拨付条件": row.tranche.get_condition_display() if row.tranche else "",
            "金额（元）": _money(row.amount), "日期": row.paid_on, "凭证号": row.reference, "说明": row.reason,
            "登记人": str(row.recorded_by), "登记时间": _local(row.recorded_at),
        })
    columns = ["申报编号", "资助计划", "项目名称", "申报组织", "类型", "期次", "拨付条件", "金额（元）", "日期", "凭证号",
               "说明", "登记人", "登记时间"]
    return Sheet("拨付记录", "payments", pd.DataFrame(rows, columns=columns),
                 money=("金额（元）",), dates=("日期",), datetimes=("登记时间",))


# --- scoping -----------------------------------------------------------------------------------------------
KINDS = ("calls", "applications", "awards", "payments")


def sheet_for(what: str, user, *, call: FundingCall | None = None, year: int | None = None) -> Sheet:
    """The ``what`` export of the rows ``user`` may see, narrowed to ``call`` (already checked to be in scope by
    the caller, and checked again here) or to a ``year``."""
    calls = calls_for_officer(user)
    if call is not None:
        calls = calls.filter(pk=call.pk)
    if year is not None:
        calls = calls.filter(year=year)
    if what == "calls":
        return calls_sheet(calls)
    if what == "applications":
        return applications_sheet(applications_for_officer(user).filter(call__in=calls))
    if what == "awards":
        return awards_sheet(Award.objects.filter(application__call__in=calls))
    if what == "payments":
        return payments_sheet(Disbursement.objects.filter(award__application__call__in=calls))
    raise ValueError(f"unknown export {what!r}")


# --- files ---------------------------------------------------------------------------------------------------
def _inert(frame):
    """Text typed by applicants (a project title, a reason) that a spreadsheet would run as a formula gets a
    leading apostrophe, so opening an export never executes anything (CSV/formula injection)."""
    def fix(value):
        return formula_safe(value) if isinstance(value, str) else value

    return frame.apply(lambda column: column.map(fix) if column.dtype == object else column)


def to_csv(sheet: Sheet) -> bytes:
    return _inert(sheet.frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx(sheet: Sheet) -> bytes:
    buffer = io.BytesIO()
    frame = _inert(sheet.frame)
    formats = {**dict.fromkeys(sheet.money, MONEY_FORMAT), **dict.fromkeys(sheet.scores, SCORE_FORMAT),
               **dict.fromkeys(sheet.dates, DATE_FORMAT), **dict.fromkeys(sheet.datetimes, DATETIME_FORMAT)}
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet.name)
        worksheet = writer.sheets[sheet.name]
        worksheet.freeze_panes = "A2"
        for index, column in enumerate(frame.columns, start=1):
            letter = worksheet.cell(row=1, column=index).column_letter
            worksheet.column_dimensions[letter].width = max(len(str(column)) * 2 + 2, 12)
            number_format = formats.get(column)
            if number_format is None:
                continue
            # pandas writes a Decimal as text: put the typed value back (money stays exact, an empty cell stays
            # empty) and give it its format.
            for row, value in enumerate(frame[column].tolist(), start=2):
                cell = worksheet.cell(row=row, column=index)
                cell.value = None if value is None or pd.isna(value) else value
                cell.number_format = number_format
    return buffer.getvalue()


def attachment(sheet: Sheet, fmt: str, names: tuple[str, str]) -> HttpResponse:
    """The sheet as a download: CSV (UTF-8 with BOM) or XLSX, under an ASCII name and its Chinese original."""
    ascii_name, chinese_name = names
    if fmt == "csv":
        response = HttpResponse(to_csv(sheet), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(to_xlsx(sheet),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese_name)}"
    return response


def filename(sheet: Sheet, fmt: str, call: FundingCall | None = None) -> tuple[str, str]:
    """(ASCII name, Chinese name) of the file."""
    stamp = timezone.localdate().strftime("%Y%m%d")
    suffix = f"-{call.pk}" if call is not None else ""
    return f"grants-{sheet.slug}{suffix}-{stamp}.{fmt}", f"{sheet.name}{suffix}-{stamp}.{fmt}"

