"""政府购买服务 as spreadsheets for officers (DESIGN.md §3, §4.3, §5): procurement projects, the bids of one
project, contracts (with paid, social money leveraged, people reached and the performance grade) and contract
payments. Same files as grants/exports.py: XLSX with Chinese headers, money as numbers in a 元 format, dates as
dates, a frozen header row, text that a spreadsheet would run as a formula neutralized; CSV with a UTF-8 BOM.

Every export scopes its rows to the officer first (grants.permissions) and only then filters them. Bids are read
only through ``unsealed_bids``: before a project's deadline its bid export has a header and no rows, for every
officer and for superusers alike."""

import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone

from .exports import Sheet, _identifier, _local, _money, attachment, to_csv, to_xlsx
from .models import BidReview, ContractPayment, PerformanceEvaluation, ProcurementProject
from .permissions import contracts_for_officer, projects_for_officer, unsealed_bids

__all__ = ["KINDS", "attachment", "bids_sheet", "contracts_sheet", "filename", "payments_sheet", "projects_sheet", "sheet_for",
           "to_csv", "to_xlsx"]

KINDS = ("projects", "bids", "contracts", "payments")
LABELS = {"projects": "采购项目", "bids": "投标", "contracts": "购买服务合同", "payments": "合同支付"}


def projects_sheet(projects: QuerySet, user) -> Sheet:
    """One row per project. The winner and its price appear only once the project's bids are unsealed."""
    winners = {pk: (name, price) for pk, name, price in
               unsealed_bids(user).filter(project__in=projects, pk__in=projects.values("winning_bid"))
               .values_list("pk", "organization__name", "price")}
    rows = []
    for project in projects.select_related("purchaser", "category", "region").order_by("-created_at", "-pk"):
        winner = winners.get(project.winning_bid_id)
        rows.append({
            "项目编号": project.number, "项目名称": project.title, "购买主体": project.purchaser.name,
            "辖区": project.region.name, "目录项": str(project.category), "采购方式": project.get_method_display(),
            "预算金额（元）": _money(project.budget), "预算科目及资金来源": project.budget_line,
            "状态": project.get_status_display(), "价格分权重（%）": project.price_weight,
            "投标开始时间": _local(project.bids_open_at), "投标截止时间": _local(project.bids_close_at),
            "公告时间": _local(project.announced_at), "中标组织": winner[0] if winner else "",
            "中标金额（元）": _money(winner[1]) if winner else None, "中标公告时间": _local(project.awarded_at),
        })
    columns = ["项目编号", "项目名称", "购买主体", "辖区", "目录项", "采购方式", "预算金额（元）", "预算科目及资金来源", "状态",
               "价格分权重（%）", "投标开始时间", "投标截止时间", "公告时间", "中标组织", "中标金额（元）", "中标公告时间"]
    return Sheet("采购项目", "projects", pd.DataFrame(rows, columns=columns),
                 money=("预算金额（元）", "中标金额（元）"),
                 datetimes=("投标开始时间", "投标截止时间", "公告时间", "中标公告时间"))


def bids_sheet(project: ProcurementProject, user) -> Sheet:
    """The bids of one project through ``unsealed_bids`` (none before the deadline), ranked."""
    bids = (unsealed_bids(user).filter(project=project).select_related("organization")
            .prefetch_related("reviews").order_by("rank", "price", "pk"))
    rows = []
    for bid in bids:
        reviews = [r for r in bid.reviews.all() if r.status != BidReview.Status.WITHDRAWN]
        submitted = sum(1 for r in reviews if r.status == BidReview.Status.SUBMITTED)
        rows.append({
            "排名": bid.rank, "投标组织": bid.organization.name, "统一社会信用代码（备案编号）": _identifier(bid.organization),
            "投标报价（元）": _money(bid.price), "状态": bid.get_status_display(),
            "有效投标": "" if bid.valid is None else ("是" if bid.valid else "否"), "无效原因": bid.invalid_reason,
            "价格分": bid.price_score, "技术分（百分制）": bid.technical_score, "综合得分": bid.total_score,
            "评审（已提交/分配）": f"{submitted}/{len(reviews)}", "中标": "是" if project.winning_bid_id == bid.pk else "",
            "首次投标时间": _local(bid.submitted_at), "最后修改时间": _local(bid.revised_at), "修改次数": bid.revisions,
        })
    columns = ["排名", "投标组织", "统一社会信用代码（备案编号）", "投标报价（元）", "状态", "有效投标", "无效原因", "价格分",
               "技术分（百分制）", "综合得分", "评审（已提交/分配）", "中标", "首次投标时间", "最后修改时间", "修改次数"]
    return Sheet("投标", "bids", pd.DataFrame(rows, columns=columns), money=("投标报价（元）",),
                 scores=("价格分", "技术分（百分制）", "综合得分"), datetimes=("首次投标时间", "最后修改时间"))


def contracts_sheet(contracts: QuerySet) -> Sheet:
    rows = []
    evaluations = {e.contract_id: e for e in PerformanceEvaluation.objects.filter(contract__in=contracts)}
    contracts = (contracts.select_related("project", "project__purchaser", "organization", "region")
                 .prefetch_related("deliverables", "matching_funds"))
    for contract in contracts.order_by("-created_at", "-pk"):
        evaluation = evaluations.get(contract.pk)
        finished = evaluation is not None and evaluation.status == PerformanceEvaluation.Status.FINISHED
        rows.append({
            "合同编号": contract.number, "合同名称": contract.title, "采购项目编号": contract.project.number,
            "购买主体": contract.project.purchaser.name, "承接主体": contract.organization.name,
            "统一社会信用代码（备案编号）": _identifier(contract.organization), "辖区": contract.region.name,
            "状态": contract.get_status_display(), "合同价格（元）": _money(contract.value),
            "已支付（元）": _money(contract.paid_total), "未支付（元）": _money(contract.unpaid),
            "撬动社会资金（元）": _money(contract.matching_total), "服务对象人数": contract.people_reached,
            "服务开始日期": contract.starts_on, "服务结束日期": contract.ends_on, "签订日期": contract.signed_on,
            "绩效评价得分": evaluation.final_score if finished else None,
            "绩效评价等级": evaluation.get_grade_display() if finished else "",
        })
    columns = ["合同编号", "合同名称", "采购项目编号", "购买主体", "承接主体", "统一社会信用代码（备案编号）", "辖区", "状态",
               "合同价格（元）", "已支付（元）", "未支付（元）", "撬动社会资金（元）", "服务对象人数", "服务开始日期",
               "服务结束日期", "签订日期", "绩效评价得分", "绩效评价等级"]
    return Sheet("购买服务合同", "contracts", pd.DataFrame(rows, columns=columns),
                 money=("合同价格（元）", "已支付（元）", "未支付（元）", "撬动社会资金（元）"), scores=("绩效评价得分",),
                 dates=("服务开始日期", "服务结束日期", "签订日期"))


def payments_sheet(payments: QuerySet) -> Sheet:
    rows = []
    payments = payments.select_related("contract", "contract__organization", "milestone", "recorded_by")
    for payment in payments.order_by("paid_on", "pk"):
        rows.append({
            "合同编号": payment.contract.number, "合同名称": payment.contract.title,
            "承接主体": payment.contract.organization.name, "期次": payment.milestone.sequence,
            "付款节点": payment.milestone.title, "尾款": "是" if payment.milestone.final else "",
            "支付金额（元）": _money(payment.amount), "支付日期": payment.paid_on, "凭证号": payment.voucher,
            "登记人": str(payment.recorded_by), "登记时间": _local(payment.recorded_at),
        })
    columns = ["合同编号", "合同名称", "承接主体", "期次", "付款节点", "尾款", "支付金额（元）", "支付日期", "凭证号", "登记人",
               "登记时间"]
    return Sheet("合同支付", "payments", pd.DataFrame(rows, columns=columns), money=("支付金额（元）",),
                 dates=("支付日期",), datetimes=("登记时间",))


def sheet_for(what: str, user, *, project: ProcurementProject | None = None, filters: dict | None = None) -> Sheet:
    """The ``what`` export of the rows ``user`` may see. ``project`` (already checked to be in scope by the
    caller, and checked again here) narrows every kind; ``filters`` are the list pages' (status, method,
    category for projects; status for contracts)."""
    filters = filters or {}
    projects = projects_for_officer(user)
    if project is not None:
        projects = projects.filter(pk=project.pk)
    if what == "projects":
        for name in ("status", "method", "category"):
            if filters.get(name):
                projects = projects.filter(**{name: filters[name]})
        return projects_sheet(projects, user)
    if what == "bids":
        if project is None or not projects.exists():
            raise ValueError("the bids export needs a project in scope")
        return bids_sheet(project, user)
    contracts = contracts_for_officer(user)
    if project is not None:
        contracts = contracts.filter(project__in=projects)
    if what == "contracts":
        if filters.get("status"):
            contracts = contracts.filter(status=filters["status"])
        return contracts_sheet(contracts)
    if what == "payments":
        return payments_sheet(ContractPayment.objects.filter(contract__in=contracts))
    raise ValueError(f"unknown export {what!r}")


def filename(sheet: Sheet, fmt: str, project: ProcurementProject | None = None) -> tuple[str, str]:
    """(ASCII name, Chinese name) of the file."""
    stamp = timezone.localdate().strftime("%Y%m%d")
    suffix = f"-{project.number}" if project is not None else ""
    return f"procurement-{sheet.slug}{suffix}-{stamp}.{fmt}", f"{sheet.name}{suffix}-{stamp}.{fmt}"
