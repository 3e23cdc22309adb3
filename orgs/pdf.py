"""The 登记证书 and 备案回执 as PDF (reportlab), with every item recorded for the kind and a QR code to the public
verification page."""

import io

from django.conf import settings
from django.urls import reverse
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from core.money import format_wan
from core.pdf import cjk_font, draw_qr

from .models import Certificate, Organization

TITLES = {
    Organization.Kind.SOCIAL_GROUP: "社会团体法人登记证书",
    Organization.Kind.SERVICE_INSTITUTION: "民办非企业单位（社会服务机构）登记证书",
    Organization.Kind.FOUNDATION: "基金会法人登记证书",
    Organization.Kind.COMMUNITY: "社区社会组织备案回执",
}
RED = HexColor("#b3261e")
INK = HexColor("#1f2328")


def verification_url(certificate: Certificate) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("orgs:verify", args=[certificate.verification_code])


def certificate_items(certificate: Certificate) -> list[tuple[str, str]]:
    org = certificate.organization
    if certificate.kind == Certificate.Kind.FILING:
        return [
            ("名称", org.name), ("备案编号", org.filing_number or ""), ("住所", org.domicile),
            ("负责人", org.legal_representative), ("活动地域", org.activity_area or org.region.name),
            ("业务范围", org.business_scope), ("备案机关", certificate.issuer),
            ("备案日期", f"{certificate.issued_on:%Y年%m月%d日}"),
        ]
    supervisor = f"无（{org.get_direct_category_display()}，直接登记）" if org.direct_category else (org.business_supervisor or "—")
    valid = f"{certificate.issued_on:%Y年%m月%d日} 至 {certificate.valid_until:%Y年%m月%d日}"
    return [
        ("名称", org.name), ("统一社会信用代码", org.credit_code or ""), ("住所", org.domicile),
        ("宗旨", org.purpose), ("业务范围", org.business_scope), ("活动地域", org.activity_area),
        ("法定代表人", org.legal_representative),
        (str(org.funds_label), format_wan(org.funds) if org.funds is not None else "—"),
        ("业务主管单位", supervisor), ("有效期限", valid), ("发证机关", certificate.issuer),
        ("发证日期", f"{certificate.issued_on:%Y年%m月%d日}"),
    ]


def render_certificate(certificate: Certificate) -> bytes:
    font = cjk_font()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(f"{TITLES[certificate.organization.kind]} {certificate.number}")
    canvas.setAuthor(certificate.issuer)
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(3)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)

    canvas.setFillColor(RED)
    canvas.setFont(font, 24)
    canvas.drawCentredString(width / 2, height - 35 * mm, TITLES[certificate.organization.kind])
    canvas.setFillColor(INK)
    canvas.setFont(font, 10)
    canvas.drawRightString(width - 24 * mm, height - 44 * mm, f"证书编号：{certificate.number}")

    label_x, value_x, right = 30 * mm, 72 * mm, width - 70 * mm
    y = height - 58 * mm
    for label, value in certificate_items(certificate):
        lines = simpleSplit(value or "—", font, 13, right - value_x) or ["—"]
        canvas.setFont(font, 13)
        canvas.setFillColor(HexColor("#57606a"))
        canvas.drawString(label_x, y, label)
        canvas.setFillColor(INK)
        for line in lines[:3]:
            canvas.drawString(value_x, y, line)
            y -= 7.2 * mm
        y -= 1.2 * mm

    qr_size = 38 * mm
    draw_qr(canvas, verification_url(certificate), width - 24 * mm - qr_size, 26 * mm, qr_size)
    canvas.setFont(font, 8)
    canvas.drawCentredString(width - 24 * mm - qr_size / 2, 22 * mm, "扫码核验证书状态")
    if certificate.voided_at:
        canvas.saveState()
        canvas.setFillColor(HexColor("#c0152f"))
        canvas.setFont(font, 60)
        canvas.translate(width / 2, height / 2)
        canvas.rotate(20)
        canvas.drawCentredString(0, 0, "已作废")
        canvas.restoreState()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
