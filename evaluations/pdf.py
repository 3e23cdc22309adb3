"""Printed documents of evaluations (reportlab, CJK font embedded): the QR poster for offline events, the
campaign report (ranking table and per-dimension chart) and one organization's report."""

import io

from django.conf import settings
from django.urls import reverse
from django.utils.timezone import localtime
from reportlab.graphics import renderPDF
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.pdf import cjk_font, draw_qr

RED = colors.HexColor("#b3261e")
INK = colors.HexColor("#1f2328")
MUTED = colors.HexColor("#57606a")


def rate_url(campaign, organization) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("evaluations:rate", args=[campaign.pk, organization.pk])


def render_poster(campaign, organization) -> bytes:
    """An A4 poster to print for events: the campaign, the organization, a large QR code to its rating page."""
    font = cjk_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle(f"{campaign.title} · {organization.name}")
    width, height = A4
    canvas.setFillColor(RED)
    canvas.rect(0, height - 70 * mm, width, 70 * mm, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    canvas.setFont(font, 30)
    canvas.drawCentredString(width / 2, height - 32 * mm, campaign.title)
    canvas.setFont(font, 16)
    canvas.drawCentredString(width / 2, height - 48 * mm, "扫码评价 · 您的评价让公益服务更好")
    canvas.setFillColor(INK)
    canvas.setFont(font, 24 if len(organization.name) <= 18 else 18)
    canvas.drawCentredString(width / 2, height - 92 * mm, organization.name)
    size = 110 * mm
    url = rate_url(campaign, organization)
    draw_qr(canvas, url, (width - size) / 2, height - 92 * mm - 12 * mm - size, size)
    canvas.setFont(font, 12)
    canvas.setFillColor(MUTED)
    y = height - 92 * mm - 24 * mm - size
    for line in (
        "用手机扫描二维码，登录并验证手机号码后，按五个维度为本组织打分（1–5 分）。",
        "每人对每个组织只计一次评价，评价期内可以修改。",
        f"评价期：{localtime(campaign.opens_at):%Y年%m月%d日} 至 {localtime(campaign.closes_at):%Y年%m月%d日}",
        url,
    ):
        canvas.drawCentredString(width / 2, y, line)
        y -= 8 * mm
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _styles():
    font = cjk_font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=24, textColor=RED, spaceAfter=6),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=13, leading=18, textColor=INK, spaceBefore=10, spaceAfter=4),
        "body": ParagraphStyle("body", fontName=font, fontSize=10, leading=15, textColor=INK),
        "small": ParagraphStyle("small", fontName=font, fontSize=8, leading=11, textColor=MUTED),
    }


class ChartFlowable(Flowable):
    def __init__(self, drawing: Drawing):
        super().__init__()
        self.drawing = drawing
        self.width, self.height = drawing.width, drawing.height

    def draw(self):
        renderPDF.draw(self.drawing, self.canv, 0, 0)


def dimension_chart(labels: list[str], series: list[tuple[str, list[float]]], top: float) -> Drawing:
    """Horizontal bars, one group per dimension, one bar per series (e.g. the organization and the average)."""
    font = cjk_font()
    row = 16 * len(series) + 10
    drawing = Drawing(170 * mm, max(70, row * len(labels) + 40))
    chart = HorizontalBarChart()
    chart.x, chart.y = 62 * mm, 32
    chart.width, chart.height = 100 * mm, drawing.height - 40
    chart.data = [list(reversed(values)) for _, values in series]
    chart.categoryAxis.categoryNames = list(reversed(labels))
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, top
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 8
    palette = [RED, colors.HexColor("#8aa4c8"), colors.HexColor("#e0a800")]
    for index in range(len(series)):
        chart.bars[index].fillColor = palette[index % len(palette)]
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    x = 62 * mm
    for index, (name, _) in enumerate(series):
        drawing.add(String(x, 4, f"■ {name}", fontName=font, fontSize=8, fillColor=palette[index % len(palette)]))
        x += 40 * mm
    return drawing


def _table(rows, widths, header_color=RED):
    font = cjk_font()
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), header_color),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f8fa")]),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#d0d7de")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


def _document(buffer, title):
    return SimpleDocTemplate(buffer, pagesize=A4, title=title, leftMargin=18 * mm, rightMargin=18 * mm,
                             topMargin=16 * mm, bottomMargin=16 * mm)


def _footer(canvas, document):
    canvas.saveState()
    canvas.setFont(cjk_font(), 8)
    canvas.setFillColor(MUTED)
    canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"第 {document.page} 页")
    canvas.restoreState()


def render_campaign_report(campaign, dimensions, results, averages: dict[str, float]) -> bytes:
    """The campaign's published results: rules, per-dimension chart of the averages, the ranking table."""
    styles = _styles()
    buffer = io.BytesIO()
    grading = campaign.is_grading
    story = [
        Paragraph(f"{campaign.title} 结果报告", styles["title"]),
        Paragraph(
            f"{campaign.get_kind_display()} · {campaign.region.name} · 评价期 {localtime(campaign.opens_at):%Y年%m月%d日}—"
            f"{localtime(campaign.closes_at):%Y年%m月%d日} · 发布于 {localtime(campaign.published_at):%Y年%m月%d日}",
            styles["body"]),
    ]
    if not grading:
        story.append(Paragraph(
            f"综合得分 = 群众评价得分 × {campaign.public_weight}% + 干部专家得分 × {campaign.official_weight}%；"
            f"群众评价 1–5 分，折算为百分制（均分 × 20）。群众评价不少于 {campaign.min_raters} 人且有干部专家评分的结果为有效结果。"
            f"等级：优秀 ≥ {campaign.band_excellent}，良好 ≥ {campaign.band_good}，合格 ≥ {campaign.band_pass}。", styles["body"]))
    else:
        story.append(Paragraph("依据《社会组织评估管理办法》（民政部令第39号），总分 1000 分：5A ≥ 950，4A 901–950，3A 851–900，2A 801–850，1A 800 以下。", styles["body"]))
    labels = [d.name for d in dimensions]
    if averages:
        story.append(Paragraph("各维度平均得分（有效结果）", styles["h2"]))
        if grading:
            values = [averages.get(f"o{d.pk}", 0) / d.max_points * 100 for d in dimensions]
            series = [("专家评分（百分制）", values)]
        else:
            series = [("群众评价（折算百分制）", [averages.get(f"p{d.pk}", 0) * 20 for d in dimensions]),
                      ("干部专家评分", [averages.get(f"o{d.pk}", 0) / d.max_points * 100 for d in dimensions])]
        story.append(ChartFlowable(dimension_chart(labels, series, 100)))
    story.append(Paragraph("排名", styles["h2"]))
    header = ["序号", "组织名称", "类型", "区县", "评价人数", "综合得分", "同类排名", "等级"]
    rows = [header]
    for position, result in enumerate(results, start=1):
        rows.append([
            str(position), Paragraph(result.organization.name, styles["body"]),
            result.get_org_kind_display()[:6], result.district.name if result.district else "",
            str(result.public_raters), f"{result.total:.2f}" if result.total is not None else "—",
            str(result.rank_in_kind or "—"), result.get_grade_display() if result.grade else "无效",
        ])
    if len(rows) == 1:
        rows.append(["", "暂无有效结果", "", "", "", "", "", ""])
    story.append(_table(rows, [11 * mm, 58 * mm, 20 * mm, 18 * mm, 16 * mm, 17 * mm, 16 * mm, 14 * mm]))
    story.append(Spacer(1, 6))
    story.append(Paragraph("按综合得分排列；同类排名为同类型组织内的名次。本报告由社会组织与购买服务管理门户根据公开发布的结果生成。", styles["small"]))
    _document(buffer, f"{campaign.title} 结果报告").build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


def render_organization_report(campaign, dimensions, result, averages: dict[str, float]) -> bytes:
    styles = _styles()
    buffer = io.BytesIO()
    org = result.organization
    story = [
        Paragraph(f"{campaign.title} · {org.name}", styles["title"]),
        Paragraph(f"{result.get_org_kind_display()} · {result.district.name if result.district else ''}", styles["body"]),
    ]
    summary = [["综合得分", "等级", "同类排名", "区县内排名", "群众评价人数", "干部专家评分人数"],
               [f"{result.total:.2f}" if result.total is not None else "—",
                result.get_grade_display() if result.grade else "无效",
                str(result.rank_in_kind or "—"), str(result.rank_in_district or "—"),
                str(result.public_raters), str(result.scorers)]]
    story.append(Spacer(1, 6))
    story.append(_table(summary, [30 * mm] * 6))
    if result.note:
        story.append(Paragraph(f"说明：{result.note}", styles["body"]))
    rows = [["维度", "群众评价均分（1–5）", "干部专家均分", "本次平均（干部专家）"]]
    for d in dimensions:
        rows.append([Paragraph(d.name, styles["body"]),
                     f"{result.public_means.get(str(d.pk)):.2f}" if str(d.pk) in result.public_means else "—",
                     f"{result.official_means.get(str(d.pk)):.2f} / {d.max_points}" if str(d.pk) in result.official_means else "—",
                     f"{averages.get(f'o{d.pk}', averages.get(str(d.pk), 0)):.2f}"])
    story.append(Paragraph("各维度得分", styles["h2"]))
    story.append(_table(rows, [70 * mm, 34 * mm, 34 * mm, 34 * mm]))
    own = [result.official_means.get(str(d.pk), 0) / d.max_points * 100 for d in dimensions]
    avg = [averages.get(f"o{d.pk}", averages.get(str(d.pk), 0)) / d.max_points * 100 for d in dimensions]
    story.append(Paragraph("与平均水平比较（干部专家评分，百分制）", styles["h2"]))
    story.append(ChartFlowable(dimension_chart([d.name for d in dimensions], [("本组织", own), ("平均", avg)], 100)))
    _document(buffer, f"{campaign.title} · {org.name}").build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()
