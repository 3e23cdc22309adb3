"""Server-side chart rendering (matplotlib, Agg): SVG for the admin dashboard, PNG for the PDF report.

Chinese text is drawn with the WenQuanYi Micro Hei that ships in ``portal/fonts`` and, in the SVG, turned into
paths (``svg.fonttype = "path"``), so labels render on a phone or a server without any CJK font installed. The SVG
has no fixed width: its ``viewBox`` lets it scale to the width of its box. Every bar, wedge and point with a
drill-down link is wrapped in an ``<a>`` (matplotlib's ``set_url``); the table under each chart carries the same
links for keyboards and screen readers.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from decimal import Decimal
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.utils.html import escape  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure as MplFigure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from .figures import Chart  # noqa: E402

FONT_PATH = Path(settings.BASE_DIR) / "portal" / "fonts" / "wqy-microhei.ttc"
FONT_FAMILY = "WenQuanYi Micro Hei"
PALETTE = ["#2e6fdb", "#f08a24", "#3aa76d", "#c0392b", "#8e44ad", "#16a2b8", "#7f8c8d", "#d4ac0d"]
RC = {
    "font.family": [FONT_FAMILY, "DejaVu Sans"],
    "font.size": 10,
    "axes.unicode_minus": False,  # the CJK font has no U+2212
    "svg.fonttype": "path",  # glyphs as paths: no font needed where the SVG is shown
    "svg.hashsalt": "dashboards",  # stable element ids, so the same data gives the same SVG
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_lock = threading.Lock()  # matplotlib's rc and font state are process-global
_registered = False


def _register_font() -> None:
    global _registered
    if not _registered:
        font_manager.fontManager.addfont(str(FONT_PATH))
        _registered = True


def _number(value) -> float:
    return float(value) if isinstance(value, Decimal) else float(value or 0)


def _scaled(chart: Chart) -> tuple[float, str]:
    """Money above ten thousand is plotted in 万元 so the axis stays short."""
    peak = max((abs(_number(v)) for _name, values in chart.series for v in values), default=0)
    if chart.unit == "元" and peak >= 10000:
        return 10000.0, "万元"
    return 1.0, chart.unit


def _compact(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _draw(chart: Chart) -> MplFigure:
    divisor, unit = _scaled(chart)
    horizontal = chart.kind == "bar" and (len(chart.labels) > 8 or max((len(x) for x in chart.labels), default=0) > 4)
    # A narrow figure (4.8 in = 345 pt): on a 375 px phone it is drawn at about 90 % of its size, so 10 pt text
    # stays readable; on a desktop it grows with its box.
    height = 3.0 if not horizontal else max(2.0, 0.8 + 0.3 * len(chart.labels) * max(1, len(chart.series)) ** 0.5)
    fig = MplFigure(figsize=(4.8, height), layout="constrained")
    ax = fig.add_subplot()
    series = [(name, [_number(v) / divisor for v in values]) for name, values in chart.series]

    def url(s: int, i: int) -> str | None:
        if s < len(chart.series_links) and i < len(chart.series_links[s]):
            return chart.series_links[s][i]
        return chart.links[i] if i < len(chart.links) else None

    if chart.is_empty:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "暂无数据", ha="center", va="center", fontsize=13, color="#666", transform=ax.transAxes)
    elif chart.kind == "pie":
        name, values = series[0]
        shown = [(i, v) for i, v in enumerate(values) if v > 0]
        wedges, _texts, _autotexts = ax.pie(
            [v for _i, v in shown], colors=[PALETTE[i % len(PALETTE)] for i, _v in shown], startangle=90,
            counterclock=False, autopct=lambda pct: f"{pct:.0f}%" if pct >= 5 else "", pctdistance=0.72,
            wedgeprops={"linewidth": 1, "edgecolor": "white"}, textprops={"color": "white", "fontsize": 9},
        )
        for wedge, (i, _v) in zip(wedges, shown, strict=True):
            wedge.set_url(url(0, i))
        fig.legend(wedges, [f"{chart.labels[i].split('（')[0]}  {_compact(v)}" for i, v in shown],
                   loc="outside right", frameon=False, fontsize=9)
        ax.set_aspect("equal")
    elif chart.kind == "line":
        xs = list(range(len(chart.labels)))
        for s, (name, values) in enumerate(series):
            color = PALETTE[s % len(PALETTE)]
            ax.plot(xs, values, color=color, linewidth=2, label=name)
            points = ax.scatter(xs, values, color=color, s=22, zorder=3)
            points.set_urls([url(s, i) for i in xs])
        ax.set_xticks(xs, chart.labels)
        ax.set_ylim(bottom=0)
    else:
        positions = list(range(len(chart.labels)))
        count = len(series)
        stacked = chart.kind == "stacked"
        width = 0.7 if stacked else 0.8 / count
        bottoms = [0.0] * len(positions)
        for s, (name, values) in enumerate(series):
            offset = 0 if stacked else (s - (count - 1) / 2) * width
            where = [p + offset for p in positions]
            kwargs = {"left" if horizontal else "bottom": bottoms} if stacked else {}
            draw = ax.barh if horizontal else ax.bar
            bars = draw(where, values, width, label=name, color=PALETTE[s % len(PALETTE)], **kwargs)
            for i, bar in enumerate(bars):
                bar.set_url(url(s, i))
            if stacked:
                bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        if horizontal:
            ax.set_yticks(positions, chart.labels)
            ax.invert_yaxis()
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=unit not in ("万元", "小时")))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _compact(v)))
        else:
            ax.set_xticks(positions, chart.labels)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=unit not in ("万元", "小时")))
    if not chart.is_empty and chart.kind != "pie":
        if not horizontal:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: _compact(v)))
            ax.set_ylabel(unit)
            if len(chart.labels) > 6:
                ax.tick_params(axis="x", labelsize=8, pad=2)
        else:
            ax.set_xlabel(unit)
        ax.grid(axis="x" if horizontal else "y", color="#e5e5e5", linewidth=0.8)
        ax.set_axisbelow(True)
        if horizontal and len(chart.labels) <= 2:
            ax.margins(y=0.6)  # one or two bars: keep them bars, not slabs
        if len(series) > 1:
            fig.legend(frameon=False, fontsize=9, loc="outside upper left", ncols=len(series))
    return fig


def _render(chart: Chart, fmt: str, dpi: int) -> bytes:
    with _lock, matplotlib.rc_context(RC):
        _register_font()
        figure = _draw(chart)
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, dpi=dpi, metadata={"Date": None} if fmt == "svg" else None)
        return buffer.getvalue()


def _cache_key(chart: Chart, fmt: str, dpi: int) -> str:
    digest = hashlib.sha256(repr((chart, fmt, dpi)).encode()).hexdigest()
    return f"dashboards:chart:{digest}"


def render_svg(chart: Chart) -> str:
    """The chart as an inline-able ``<svg>``: scales to its box (viewBox, no fixed size), with a ``<title>`` and an
    ``aria-label``. The same data gives the same SVG, so it is cached by content for a day."""
    key = _cache_key(chart, "svg", 72)
    cached = cache.get(key)
    if cached is not None:
        return cached
    svg = _render(chart, "svg", 72).decode()
    svg = svg[svg.index("<svg"):]  # drop the XML declaration and doctype: the SVG goes inline into HTML
    label = escape(chart.title + (f"（{chart.unit}）" if chart.unit else ""))
    svg = re.sub(
        r'<svg([^>]*?) width="[^"]*" height="[^"]*"',
        lambda m: f'<svg{m.group(1)} role="img" aria-label="{label}" class="dashboard-chart__svg"'
                  f' preserveAspectRatio="xMidYMid meet"',
        svg, count=1,
    )
    svg = svg.replace(">", f"><title>{label}</title>", 1)
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    cache.set(key, svg, 24 * 3600)
    return svg


def render_png(chart: Chart, *, dpi: int = 150) -> bytes:
    """The chart as a PNG (for the PDF report)."""
    return _render(chart, "png", dpi)
