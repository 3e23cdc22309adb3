"""PDF helpers shared by every document the portal prints: the embedded CJK font and the QR code."""

import itertools
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from reportlab.graphics.barcode import qrencoder
from reportlab.lib.colors import black
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


QR_BORDER = 4  # modules of quiet zone around the code, as the QR standard asks


def draw_qr(canvas, value: str, x: float, y: float, size: float) -> None:
    """Draw a QR code (error correction M) of ``value`` in the ``size``-point square at (x, y).

    The code is encoded once and its dark runs filled as one path. reportlab's QrCodeWidget encodes the value twice
    (once for its bounds, once to draw) and renders every run as a separate shape through the graphics tree: that was
    150 ms of a 180 ms certificate, and 1,000 certificates took a minute (issue 10 asks for 30 s)."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(value)
    code.make()
    box = size / (code.getModuleCount() + 2 * QR_BORDER)
    path = canvas.beginPath()
    for row_index, row in enumerate(code.modules):
        column = 0
        for dark, run in itertools.groupby(bool(module) for module in row):
            length = len(list(run))
            if dark:
                path.rect(x + (column + QR_BORDER) * box, y + size - (row_index + QR_BORDER + 1) * box, length * box, box)
            column += length
    canvas.saveState()
    canvas.setFillColor(black)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
