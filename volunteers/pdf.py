"""The printed 志愿服务证明 (《志愿服务记录与证明出具办法》): reportlab, A4, the CJK font embedded.

Everything printed comes from the certificate row as it was issued (its frozen ``records`` and totals), so the
PDF always says what was certified. The ID number is printed masked; the QR code leads to the public
verification page, where anyone holding the paper can check it.
"""

import io
from xml.sax.saxutils import escape  # nosec B406 - escapes our own text for reportlab's paragraph markup

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.pdf import cjk_font, draw_qr

RED = colors.HexColor("#b3261e")
INK = colors.HexColor("#1f2328")
MUTED = colors.HexColor("#57606a")
RULE = colors.HexColor("#c9ced4")
SHADE = colors.HexColor("#f6f8fa")

MARGIN = 18 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN  # 174 mm
QR_SIZE = 30 * mm


def format_hours(value) -> str:
    """2 → "2", 1.5 → "1.5", 0.33 → "0.33"."""
    text = f"{float(value or 0):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _styles() -> dict[str, ParagraphStyle]:
    font = cjk_font()
    base = {"fontName": font, "textColor": INK, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle("title", fontSize=24, leading=32, alignment=TA_CENTER, textColor=RED,
                                fontName=font, spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", fontSize=9, leading=13, alignment=TA_CENTER, textColor=MUTED,
                                   fontName=font, spaceAfter=8),
        "meta": ParagraphStyle("meta", fontSize=10, leading=14, **base),
        "body": ParagraphStyle("body", fontSize=11, leading=19, firstLineIndent=22, **base),
        "cell": ParagraphStyle("cell", fontSize=9, leading=12.5, **base),
        "cell_center": ParagraphStyle("cell_center", fontSize=9, leading=12.5, alignment=TA_CENTER, **base),
        "head": ParagraphStyle("head", fontSize=9, leading=12.5, alignment=TA_CENTER, fontName=font,
                               textColor=colors.white, wordWrap="CJK"),
        "label": ParagraphStyle("label", fontSize=10, leading=14, fontName=font, textColor=MUTED, wordWrap="CJK"),
        "value": ParagraphStyle("value", fontSize=10.5, leading=14, **base),
        "issuer": ParagraphStyle("issuer", fontSize=10.5, leading=19, **base),
        "caption": ParagraphStyle("caption", fontSize=9, leading=12, alignment=TA_CENTER, fontName=font,
                                  textColor=INK),
        "small": ParagraphStyle("small", fontSize=8, leading=11, fontName=font, textColor=MUTED, wordWrap="CJK"),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text if text is not None else "")), style)


class QrFlowable(Flowable):
    """A QR code of ``value`` with a caption underneath (core.pdf.draw_qr draws the code)."""

    def __init__(self, value: str, caption: str, size: float = QR_SIZE):
        super().__init__()
        self.value, self.caption, self.size = value, caption, size
        self.caption_height = 5 * mm
        self.width, self.height = size, size + self.caption_height

    def draw(self):
        draw_qr(self.canv, self.value, 0, self.caption_height, self.size)
        self.canv.setFont(cjk_font(), 9)
        self.canv.setFillColor(INK)
        self.canv.drawCentredString(self.size / 2, 1 * mm, self.caption)


def _person_table(certificate, styles) -> Table:
    volunteer = certificate.volunteer
    rows = [
        [_p("姓　　名", styles["label"]), _p(volunteer.real_name, styles["value"]),
         _p("志愿者编号", styles["label"]), _p(volunteer.number, styles["value"])],
        [_p("证件类型", styles["label"]), _p(volunteer.get_id_type_display(), styles["value"]),
         _p("证件号码", styles["label"]), _p(volunteer.masked_id_number, styles["value"])],
    ]
    table = Table(rows, colWidths=[24 * mm, 63 * mm, 24 * mm, 63 * mm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, RULE),
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
        ("BACKGROUND", (2, 0), (2, -1), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))
    return table


RECORD_COLUMNS = ["服务日期", "活动名称", "组织单位", "服务时长（小时）", "服务内容"]
RECORD_WIDTHS = [22 * mm, 42 * mm, 38 * mm, 18 * mm, 54 * mm]


def _records_table(certificate, styles) -> Table:
    rows = [[_p(label, styles["head"]) for label in RECORD_COLUMNS]]
    for record in certificate.records:
        rows.append([
            _p(record.get("date", ""), styles["cell_center"]),
            _p(record.get("activity", ""), styles["cell"]),
            _p(record.get("organizer", ""), styles["cell"]),
            _p(format_hours(record.get("hours", (record.get("minutes") or 0) / 60)), styles["cell_center"]),
            _p(record.get("content", ""), styles["cell"]),
        ])
    rows.append([
        _p("合计", styles["cell_center"]),
        _p(f"记录 {certificate.record_count} 条", styles["cell"]), "",
        _p(format_hours(certificate.total_hours), styles["cell_center"]),
        _p(f"累计服务时长 {format_hours(certificate.total_hours)} 小时", styles["cell"]),
    ])
    table = Table(rows, colWidths=RECORD_WIDTHS, repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), RED),
        ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, SHADE]),
        ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#fbeae9")),
        ("SPAN", (1, -1), (2, -1)),
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def _issuer_block(certificate, verify_url: str, issued_on, styles) -> Table:
    lines = [
        ("出具单位（盖章）", certificate.issuer_name),
        ("负责人", certificate.issuer_head),
        ("经办人", certificate.issuer_handler),
        ("联系方式", certificate.issuer_contact),
        ("出具日期", f"{issued_on:%Y年%m月%d日}"),
    ]
    text = [Paragraph(f"{escape(label)}：{escape(str(value or '—'))}", styles["issuer"]) for label, value in lines]
    block = Table([[text, QrFlowable(verify_url, "扫码核验")]], colWidths=[CONTENT_WIDTH - QR_SIZE - 8 * mm, QR_SIZE + 8 * mm])
    block.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("ALIGN", (1, 0), (1, 0), "CENTER"),
        ("LEFTPADDING", (0, 0), (0, 0), 0),
    ]))
    return block


def certificate_pdf(certificate, *, verify_url: str) -> bytes:
    """The A4 志愿服务证明 of ``certificate``; ``verify_url`` (absolute) goes into the QR code."""
    styles = _styles()
    volunteer = certificate.volunteer
    issued_on = timezone.localdate(certificate.issued_at)
    hours = format_hours(certificate.total_hours)
    dates = sorted(r.get("date", "") for r in certificate.records if r.get("date"))
    span = f"于 {dates[0]} 至 {dates[-1]} 期间" if dates else ""

    story = [
        Paragraph("志愿服务证明", styles["title"]),
        Paragraph("依据《志愿服务记录与证明出具办法》出具", styles["subtitle"]),
        Table(
            [[_p(f"证明编号：{certificate.number}", styles["meta"]),
              Paragraph(f"出具日期：{issued_on:%Y年%m月%d日}", ParagraphStyle("meta_right", parent=styles["meta"], alignment=2))]],
            colWidths=[CONTENT_WIDTH / 2, CONTENT_WIDTH / 2],
            style=TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]),
        ),
        Spacer(1, 3 * mm),
        _person_table(certificate, styles),
        Spacer(1, 5 * mm),
        _p(f"{volunteer.real_name}{span}参加志愿服务，经组织单位记录并确认的服务记录如下：", styles["body"]),
        Spacer(1, 2 * mm),
        _records_table(certificate, styles),
        Spacer(1, 5 * mm),
    ]
    statement = _p(
        f"兹证明 {volunteer.real_name}（{volunteer.get_id_type_display()}：{volunteer.masked_id_number}，"
        f"志愿者编号 {volunteer.number}）参加志愿服务，累计服务时长 {hours} 小时，共记录 {certificate.record_count} 条。"
        "以上志愿服务记录真实有效。本证明免费出具。",
        styles["body"],
    )
    note = _p(f"核验：扫描右下方二维码或访问 {verify_url}，核对本证明编号、姓名与服务时长。"
              "证件号码已作部分隐藏。", styles["small"])
    story.append(KeepTogether([statement, Spacer(1, 8 * mm), _issuer_block(certificate, verify_url, issued_on, styles),
                               Spacer(1, 4 * mm), note]))

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont(cjk_font(), 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 10 * mm, f"志愿服务证明 {certificate.number} · {volunteer.real_name}")
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=f"志愿服务证明 {certificate.number}", author=certificate.issuer_name,
        leftMargin=MARGIN, rightMargin=MARGIN, topMargin=16 * mm, bottomMargin=18 * mm,
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
