"""PDF helpers shared by every document the portal prints: the embedded CJK font and the QR code."""

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "PortalCJK"
FONT_FILE = Path(settings.BASE_DIR) / "portal" / "fonts" / "wqy-microhei.ttc"


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register the shipped WenQuanYi Micro Hei once per process and return its name; reportlab embeds the
    subset of glyphs each document uses."""
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_FILE), subfontIndex=0))
    return FONT_NAME


def draw_qr(canvas, value: str, x: float, y: float, size: float) -> None:
    widget = QrCodeWidget(value, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)
