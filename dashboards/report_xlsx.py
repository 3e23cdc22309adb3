"""The yearly statistical report as an XLSX workbook (pandas, openpyxl engine): one sheet per domain, Chinese
headers, money as numbers in a 元 format, dates as dates, a frozen header row and columns wide enough for Chinese."""

from __future__ import annotations

import io
from decimal import Decimal

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill

from core.admin_exports import display_width as text_width
from core.admin_exports import formula_safe

from .report_sheets import Sheet

MONEY_FORMAT = '#,##0.00"元"'
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FILL = PatternFill("solid", fgColor="F2E6E4")
MAX_WIDTH = 60


def display_width(value) -> int:
    """How many Latin-letter widths ``value`` takes: CJK characters (and full-width punctuation) count two."""
    if value is None:
        return 0
    return text_width(f"{value:,.2f}" if isinstance(value, Decimal | float) else str(value))


def _cell_value(value):
    if value is None:
        return None
    if not isinstance(value, str) and pd.isna(value):
        return None
    if hasattr(value, "item") and not isinstance(value, Decimal):  # numpy scalars → Python numbers
        return value.item()
    return formula_safe(value) if isinstance(value, str) else value  # opening the report never runs a formula


def _write_sheet(writer: pd.ExcelWriter, sheet: Sheet) -> None:
    frame = sheet.visible
    # pandas writes the header and the shape; every data cell is then put back typed (a Decimal stays an exact
    # number, an empty cell stays empty, a date stays a date) with its number format.
    frame.to_excel(writer, index=False, sheet_name=sheet.name)
    worksheet = writer.sheets[sheet.name]
    worksheet.freeze_panes = "A2"
    formats = {**dict.fromkeys(sheet.money, MONEY_FORMAT), **dict.fromkeys(sheet.dates, DATE_FORMAT),
               **dict.fromkeys(sheet.datetimes, DATETIME_FORMAT), **sheet.numbers}
    for index, column in enumerate(frame.columns, start=1):
        header = worksheet.cell(row=1, column=index)
        header.font = Font(bold=True)
        header.fill = HEADER_FILL
        header.alignment = Alignment(vertical="center", wrap_text=False)
        width = display_width(column)
        number_format = formats.get(column)
        for row, value in enumerate(frame[column].tolist(), start=2):
            cell = worksheet.cell(row=row, column=index)
            cell.value = _cell_value(value)
            if number_format:
                cell.number_format = number_format
            elif column == "数值" and (row - 2) in sheet.money_rows:
                cell.number_format = MONEY_FORMAT
            width = max(width, display_width(cell.value) + (3 if number_format == MONEY_FORMAT else 0))
        worksheet.column_dimensions[header.column_letter].width = min(max(width + 2, 8), MAX_WIDTH)


def build_xlsx(sheets: list[Sheet], *, progress=None) -> bytes:
    """The workbook's bytes; ``progress(name)`` is called as each sheet is written."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for sheet in sheets:
            if progress:
                progress(sheet.name)
            _write_sheet(writer, sheet)
    return buffer.getvalue()
