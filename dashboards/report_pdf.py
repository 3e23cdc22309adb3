"""The yearly statistical report as a PDF (reportlab, the portal's CJK font embedded): the title, the time it was
made, the dashboard's figures, then one section per domain with its numbers as tables and its charts (drawn by
dashboards.charts), and "第 n 页 / 共 m 页" on every page. The rows themselves are in the XLSX of the same report."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from core.figures import Figure
from core.pdf import cjk_font

from .report_sheets import TOTAL_LABEL, Sheet, SummaryRow

RED = colors.HexColor("#b3261e")
INK = colors.HexColor("#1f2328")
MUTED = colors.HexColor("#57606a")
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN

# The report's sections: heading, the summary section (report_sheets.SummaryRow.section) and the dashboard charts
# (dashboards.figures.Chart.key) drawn in it. A chart whose key no section names goes to the last section.
SECTIONS = [
    ("二、社会组织", "社会组织", ("org_kind", "org_region", "org_year")),
    ("三、登记与备案", "登记备案", ("registrations",)),
    ("四、年度报告", "年度报告", ()),
    ("五、孵化与资助", "孵化补贴", ("grants",)),
    ("六、政府购买服务", "政府购买服务", ("contracts", "social", "people")),
    ("七、爱心银行", "爱心银行", ("hours", "points")),
    ("八、五比五看", "五比五看", ("grades",)),
]
OTHER_CHARTS = "九、其他图表"
HEADINGS = ["一、概览", *(heading for heading, _s, _k in SECTIONS)]


def _styles() -> dict[str, ParagraphStyle]:
    font = cjk_font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=20, leading=28, textColor=RED, spaceAfter=4,
                                alignment=1),
        "subtitle": ParagraphStyle("subtitle", fontName=font, fontSize=9.5, leading=14, textColor=MUTED, alignment=1),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=14, leading=20, textColor=RED, spaceBefore=12,
                             spaceAfter=6),
        "h3": ParagraphStyle("h3", fontName=font, fontSize=10.5, leading=15, textColor=INK, spaceBefore=6,
                             spaceAfter=3),
        "body": ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, textColor=INK),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11, textColor=INK),
        "small": ParagraphStyle("small", fontName=font, fontSize=8, leading=11, textColor=MUTED),
    }


class NumberedCanvas(Canvas):
    """Holds the pages back until the end so that each can say how many there are (第 n 页 / 共 m 页)."""

    def __init__(self, *args, title: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self._title = title

    def showPage(self):  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._footer(total)
            super().showPage()
        super().save()

    def _footer(self, total: int) -> None:
        self.saveState()
        self.setFont(cjk_font(), 8)
        self.setFillColor(MUTED)
        self.drawString(MARGIN, 10 * mm, self._title)
        self.drawRightString(A4[0] - MARGIN, 10 * mm, f"第 {self._pageNumber} 页 / 共 {total} 页")
        self.restoreState()


def _table(rows: list[list], widths: list[float], *, numeric: tuple[int, int] = (1, -1)) -> Table:
    """A table with a red header row; the columns ``numeric`` (first, last) are right-aligned."""
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), cjk_font(), 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), RED),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f8fa")]),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#d0d7de")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (numeric[0], 1), (numeric[1], -1), "RIGHT"),
    ]))
    return table


def _value_text(row: SummaryRow) -> str:
    value = row.value
    if isinstance(value, str):
        return value
    if row.is_money:
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}"


def _summary_table(rows: list[SummaryRow], styles) -> Table:
    data = [["指标", "数值", "单位"]]
    for row in rows:
        value = _value_text(row)
        data.append([row.label, Paragraph(value, styles["cell"]) if isinstance(row.value, str) else value, row.unit])
    return _table(data, [78 * mm, 64 * mm, 20 * mm], numeric=(1, 1))


def _figures_table(figures: list[Figure]) -> Table:
    data = [["指标", "数值", "单位"]]
    for figure in sorted(figures, key=lambda f: f.order):
        data.append([str(figure.label), str(figure.value), str(figure.unit)])
    return _table(data, [78 * mm, 64 * mm, 20 * mm], numeric=(1, 1))


def _volunteer_table(sheet: Sheet) -> Table:
    frame = sheet.visible
    data = [list(frame.columns)]
    for row in frame.itertuples(index=False):
        month, records, people, hours, issued, redeemed = row
        data.append([month, f"{records:,}", f"{people:,}", f"{hours:,.2f}", f"{issued:,}", f"{redeemed:,}"])
    table = _table(data, [22 * mm, 26 * mm, 28 * mm, 30 * mm, 28 * mm, 28 * mm])
    if data[-1][0] == TOTAL_LABEL:
        table.setStyle(TableStyle([("BACKGROUND", (0, len(data) - 1), (-1, len(data) - 1), colors.HexColor("#f2e6e4"))]))
    return table


def _chart_flowables(chart, styles, render_png) -> list:
    if getattr(chart, "is_empty", False):
        return [Paragraph(f"{chart.title}：本年度暂无数据。", styles["small"])]
    png = render_png(chart)
    if not png:
        return []
    width, height = ImageReader(io.BytesIO(png)).getSize()
    shown = min(WIDTH, 160 * mm)
    if shown * height / width > 90 * mm:  # tall charts (a pie) are narrowed so a page holds more than one
        shown = 90 * mm * width / height
    image = Image(io.BytesIO(png), width=shown, height=shown * height / width, hAlign="LEFT")
    parts = [Paragraph(str(chart.title), styles["h3"]), image]
    note = getattr(chart, "note", "")
    if note:
        parts.append(Paragraph(f"口径：{note}", styles["small"]))
    return [KeepTogether(parts), Spacer(1, 4)]


def build_pdf(
    *, title: str, scope_label: str, year: int, generated_at, sheets: list[Sheet], figures: list[Figure], charts: list,
    render_png: Callable, progress: Callable[[str], None] | None = None,
) -> bytes:
    """The PDF's bytes. ``progress(heading)`` is called as each section is laid out."""
    styles = _styles()
    by_name = {sheet.name: sheet for sheet in sheets}
    summary = by_name["概览"].summary
    charts_by_key = {chart.key: chart for chart in charts}
    placed: set[str] = set()

    story = [
        Paragraph(title, styles["title"]),
        Paragraph(f"统计范围：{scope_label}及其下辖区划 · 统计年度：{year} 年 · "
                  f"生成时间：{timezone.localtime(generated_at):%Y-%m-%d %H:%M}", styles["subtitle"]),
        HRFlowable(width="100%", thickness=0.6, color=RED, spaceBefore=6, spaceAfter=4),
        Paragraph("一、概览", styles["h2"]),
    ]
    if progress:
        progress("一、概览")
    if figures:
        story.append(_figures_table(figures))
    else:
        story.append(Paragraph("暂无统计指标。", styles["body"]))

    for heading, section, keys in SECTIONS:
        if progress:
            progress(heading)
        story.append(Paragraph(heading, styles["h2"]))
        rows = [row for row in summary if row.section == section]
        if section == "爱心银行":
            story.append(_summary_table(rows, styles))
            story.append(Paragraph("各月情况", styles["h3"]))
            story.append(_volunteer_table(by_name["爱心银行"]))
        elif rows:
            story.append(_summary_table(rows, styles))
        for key in keys:
            chart = charts_by_key.get(key)
            if chart is not None:
                placed.add(key)
                story.extend(_chart_flowables(chart, styles, render_png))
    rest = [chart for chart in charts if chart.key not in placed]
    if rest:
        story.append(Paragraph(OTHER_CHARTS, styles["h2"]))
        for chart in rest:
            story.extend(_chart_flowables(chart, styles, render_png))

    story.append(Spacer(1, 8))
    story.append(Paragraph(
        "说明：各项数据按辖区及其下辖区划统计；金额单位为元。明细见同一报表的 XLSX 文件（每个领域一张工作表）。"
        "组织按所在区划，年度报告按组织所在区划，资助按资助计划的发布辖区，购买服务合同按合同所在辖区统计。",
        styles["small"]))

    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, title=title, author="社会组织与购买服务管理门户",
                                 leftMargin=MARGIN, rightMargin=MARGIN, topMargin=16 * mm, bottomMargin=18 * mm)
    document.build(story, canvasmaker=lambda *args, **kwargs: NumberedCanvas(*args, title=title, **kwargs))
    return buffer.getvalue()
