"""QR codes for web pages as small inline SVG (one path), from the encoder reportlab already ships, so a
check-in code or a voucher shows on a phone without an image request or another library."""

from django.utils.html import format_html
from django.utils.safestring import SafeString
from reportlab.graphics.barcode import qrencoder


def qr_matrix(value: str) -> list[list[bool]]:
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)  # None: the smallest version that fits
    code.addData(value)
    code.make()
    size = code.getModuleCount()
    return [[bool(code.isDark(r, c)) for c in range(size)] for r in range(size)]


def qr_svg(value: str, *, label: str = "二维码", quiet: int = 4) -> SafeString:
    """An ``<svg>`` of ``value`` that scales to its container; ``label`` is read by screen readers."""
    matrix = qr_matrix(value)
    size = len(matrix) + 2 * quiet
    path = "".join(
        f"M{c + quiet},{r + quiet}h1v1h-1z" for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark
    )
    return format_html(
        '<svg class="qr" role="img" aria-label="{}" viewBox="0 0 {} {}" xmlns="http://www.w3.org/2000/svg" '
        'shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path d="{}" fill="#000"/></svg>',
        label, size, size, path,
    )
