"""The registry as a spreadsheet: XLSX, and CSV with a UTF-8 BOM so that Excel opens the Chinese correctly."""

import datetime
import io

import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone

COLUMNS = {
    "name": "名称",
    "kind": "类型",
    "status": "状态",
    "credit_code": "统一社会信用代码",
    "filing_number": "备案编号",
    "district_name": "所在区县",
    "region__name": "所在区划",
    "legal_representative": "法定代表人（负责人）",
    "established_on": "成立日期",
    "registration_authority": "登记管理机关",
    "on_abnormal_list": "活动异常名录",
    "on_serious_list": "严重违法失信名单",
    "grade": "评估等级",
    "grade_valid_until": "评估等级有效期至",
}


def registry_frame(queryset: QuerySet) -> pd.DataFrame:
    from .models import Organization

    rows = list(queryset.values(*COLUMNS))
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    kinds = dict(Organization.Kind.choices)
    statuses = dict(Organization.Status.choices)
    frame["kind"] = frame["kind"].map(lambda v: str(kinds.get(v, v)))
    frame["status"] = frame["status"].map(lambda v: str(statuses.get(v, v)))
    for column in ("on_abnormal_list", "on_serious_list"):
        frame[column] = frame[column].map({True: "是", False: "否"})
    frame["established_on"] = pd.to_datetime(frame["established_on"]).dt.date
    # A lapsed grade is no grade: only one still in force is exported.
    today = timezone.localdate()
    lapsed = frame["grade_valid_until"].map(lambda day: not isinstance(day, datetime.date) or day < today)
    frame.loc[lapsed, ["grade", "grade_valid_until"]] = ["", None]
    return frame.rename(columns=COLUMNS).fillna("")


def registry_csv(queryset: QuerySet) -> bytes:
    return registry_frame(queryset).to_csv(index=False).encode("utf-8-sig")


def registry_xlsx(queryset: QuerySet) -> bytes:
    buffer = io.BytesIO()
    frame = registry_frame(queryset)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="社会组织名录")
        sheet = writer.sheets["社会组织名录"]
        sheet.freeze_panes = "A2"
        for index, column in enumerate(frame.columns, start=1):
            width = max(len(str(column)) * 2 + 2, 12 if index > 1 else 34)
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    return buffer.getvalue()
