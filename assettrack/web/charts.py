"""Inline SVG bar charts for pages and print: no script, no style attribute, legible in grey.

The Content-Security-Policy forbids inline scripts and ``style`` attributes, so a chart is an
``<svg>`` element drawn with presentation attributes only. Each bar carries its value as text
and a hatching pattern as well as a colour, so the chart reads the same printed in black and
white; each bar has a ``<title>`` (a tooltip, and its name for screen readers) and the chart a
``<title>`` and ``<desc>``. The page shows the same figures in a table beside the chart.

The module is pure: the caller gives the labels and value texts already translated and
formatted for the user's language.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup
from markupsafe import escape

__all__ = ["Bar", "bar_chart", "PATTERNS"]


@dataclass(frozen=True)
class Bar:
    """One labelled bar.

    Attributes
    ----------
    label : str
        What the bar stands for ("Frozen"), written left of the bar.
    value : int or Decimal
        Its length; negative values are drawn as zero.
    text : str
        The value as the user reads it ("€1,250.00"), written after the bar.
    pattern : str, optional
        A key of :data:`PATTERNS` (a stage name or ``"plain"``); by default the bars cycle
        through the patterns so that neighbours differ in grey.
    """

    label: str
    value: int | Decimal
    text: str
    pattern: str | None = None


#: Fill colour and hatching of each pattern: the lifecycle stage colours of app.css (Okabe-Ito,
#: colour-blind safe) with a different black hatching each, so that they differ in grey too.
PATTERNS = {
    "traced": ("#56b4e9", "dots"),
    "frozen": ("#0072b2", "diagonal"),
    "managed": ("#009e73", "none"),
    "confiscated": ("#d55e00", "cross"),
    "disposed": ("#cc79a7", "horizontal"),
    "released": ("#f0e442", "vertical"),
    "plain": ("#1d4f8c", "none"),
}
_CYCLE = ("frozen", "confiscated", "traced", "disposed", "released", "managed")

_ROW = 30  # height of one bar's row
_BAR = 20  # height of a bar
_TOP = 8
_GAP = 8  # between a bar and its value text
_TEXT_ROOM = 150  # room kept right of the longest bar for its value text


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    chart_id: str,
    description: str = "",
    width: int = 640,
    label_width: int = 210,
) -> Markup:
    """Return the markup of a horizontal bar chart.

    Parameters
    ----------
    bars : sequence of Bar
        The bars, top to bottom.
    title : str
        The chart's accessible name (its ``<title>``).
    chart_id : str
        A prefix unique on the page, for the ids of the title and the patterns.
    description : str, optional
        A longer text for screen readers (its ``<desc>``).
    width, label_width : int, optional
        The drawing's width and the room for the labels, in user units; the page scales it.

    Returns
    -------
    Markup
        An ``<svg role="img">`` element, safe to put in a template as is.

    Examples
    --------
    >>> svg = bar_chart([Bar("Frozen", 3, "3"), Bar("Confiscated", 0, "0")],
    ...                 title="Assets by stage", chart_id="c1")
    >>> svg.count("<g>"), "<title>Frozen: 3</title>" in svg, "style=" in svg
    (2, True, False)
    """
    ident = _safe_id(chart_id)
    height = _TOP * 2 + _ROW * max(1, len(bars))
    area = max(40, width - label_width - _GAP - _TEXT_ROOM)
    top = max([_number(bar.value) for bar in bars] + [0])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{ident}-title{f" {ident}-desc" if description else ""}" '
        f'font-family="Noto Sans, Segoe UI, Arial, sans-serif" font-size="13">',
        f'<title id="{ident}-title">{escape(title)}</title>',
    ]
    if description:
        parts.append(f'<desc id="{ident}-desc">{escape(description)}</desc>')
    parts.append(_defs(ident))
    for index, bar in enumerate(bars):
        key = bar.pattern if bar.pattern in PATTERNS else _CYCLE[index % len(_CYCLE)]
        value = _number(bar.value)
        length = 0.0 if top <= 0 else area * value / top
        if value > 0:
            length = max(length, 2.0)  # a small value stays visible
        y = _TOP + index * _ROW
        middle = y + _ROW / 2
        bar_y = middle - _BAR / 2
        x = label_width + _GAP
        parts.append(
            f"<g><title>{escape(bar.label)}: {escape(bar.text)}</title>"
            f'<text x="{label_width}" y="{middle:.1f}" text-anchor="end" '
            f'dominant-baseline="middle" fill="#1b1f24">{escape(_clip(bar.label))}</text>'
            f'<rect x="{x}" y="{bar_y:.1f}" width="{length:.1f}" height="{_BAR}" '
            f'fill="url(#{ident}-{key})" stroke="#1b1f24" stroke-width="1"/>'
            f'<text x="{x + length + _GAP:.1f}" y="{middle:.1f}" dominant-baseline="middle" '
            f'font-weight="700" fill="#1b1f24">{escape(bar.text)}</text></g>'
        )
    # The axis: where every bar starts.
    parts.append(
        f'<line x1="{label_width + _GAP}" y1="{_TOP / 2}" x2="{label_width + _GAP}" '
        f'y2="{height - _TOP / 2}" stroke="#1b1f24" stroke-width="1.5"/>'
    )
    parts.append("</svg>")
    # Safe: every text above went through escape(); numbers and ids are made here.
    return Markup("".join(parts))  # noqa: S704


# --- helpers ---------------------------------------------------------------------------------


def _defs(ident: str) -> str:
    defs = ["<defs>"]
    for key, (colour, hatch) in PATTERNS.items():
        defs.append(
            f'<pattern id="{ident}-{key}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{colour}"/>{_hatch(hatch)}</pattern>'
        )
    defs.append("</defs>")
    return "".join(defs)


def _hatch(kind: str) -> str:
    ink = 'stroke="#000000" stroke-opacity="0.55" stroke-width="1.5"'
    if kind == "dots":
        return '<circle cx="4" cy="4" r="1.4" fill="#000000" fill-opacity="0.55"/>'
    if kind == "diagonal":
        return f'<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" {ink}/>'
    if kind == "cross":
        return f'<path d="M0,8 l8,-8 M0,0 l8,8" {ink}/>'
    if kind == "horizontal":
        return f'<path d="M0,4 h8" {ink}/>'
    if kind == "vertical":
        return f'<path d="M4,0 v8" {ink}/>'
    return ""


def _number(value) -> float:
    # Geometry only: the exact amount is printed as text, never computed from this float.
    try:
        return max(0.0, float(value or 0))
    except (TypeError, ValueError):
        return 0.0


def _clip(text: str, limit: int = 30) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _safe_id(text: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in str(text))
    return cleaned if cleaned[:1].isalpha() else f"chart-{cleaned}"
