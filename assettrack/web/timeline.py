"""A case's timeline as an inline SVG: one lane per kind of event, one mark per day.

Drawn on the server like :mod:`.charts` (no script, no ``style`` attribute, legible printed in
grey): each kind has its own shape as well as its colour, each mark a ``<title>`` (a tooltip,
and its name for screen readers), the chart a ``<title>`` and a ``<desc>`` that states how many
events each lane holds. The page shows the same events as a table beside it.

:func:`timeline_chart` is pure: the caller gives the lanes' labels and each mark's text, already
translated and formatted for the user's language; :func:`case_timeline` does that for the case
page.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import gettext
from flask_babel import ngettext
from markupsafe import Markup
from markupsafe import escape

from ..services.case_view import TIMELINE_KINDS
from .charts import _safe_id
from .forms import label

__all__ = ["Lane", "Mark", "timeline_chart", "case_timeline", "SHAPES"]


@dataclass(frozen=True)
class Lane:
    """One row of the chart: a kind of event (``key``, a key of :data:`SHAPES`) and its label."""

    key: str
    label: str


@dataclass(frozen=True)
class Mark:
    """One event (or several of a kind on one day, ``count``) on the lane ``lane``."""

    lane: str
    day: date
    text: str
    count: int = 1
    struck: bool = False  # an annulled decision: drawn hollow


#: Shape and fill of each kind: Okabe-Ito colours (colour-blind safe), a different shape each.
SHAPES = {
    "decision": ("circle", "#0072b2"),
    "lapse": ("triangle", "#d55e00"),
    "change": ("square", "#009e73"),
    "import": ("diamond", "#cc79a7"),
    "report": ("bar", "#1d4f8c"),
}

_LANE = 34
_TOP = 10
_AXIS = 34  # room for the tick labels under the lanes
_PAD = 14  # between the first or last day and the drawing's edge


def timeline_chart(
    lanes: Sequence[Lane],
    marks: Sequence[Mark],
    *,
    start: date,
    end: date,
    title: str,
    description: str,
    chart_id: str,
    width: int = 760,
    label_width: int = 170,
) -> Markup:
    """Return the markup of a timeline from ``start`` to ``end``.

    Examples
    --------
    >>> svg = timeline_chart(
    ...     [Lane("decision", "Decisions"), Lane("change", "Changes")],
    ...     [Mark("decision", date(2026, 3, 2), "2 Mar: freeze"),
    ...      Mark("change", date(2026, 4, 1), "1 Apr: 3 changes", count=3)],
    ...     start=date(2026, 1, 1), end=date(2026, 6, 30),
    ...     title="Timeline", description="1 decision, 3 changes", chart_id="t")
    >>> "<title>2 Mar: freeze</title>" in svg, svg.count("<g class=\\"mark\\">"), "style=" in svg
    (True, 2, False)
    """
    ident = _safe_id(chart_id)
    if end <= start:
        end = date.fromordinal(start.toordinal() + 1)
    height = _TOP + _LANE * max(1, len(lanes)) + _AXIS
    left = label_width + _PAD
    area = max(40, width - left - _PAD)
    span = (end - start).days

    def x_of(day: date) -> float:
        return left + area * min(max((day - start).days, 0), span) / span

    rows = {lane.key: index for index, lane in enumerate(lanes)}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart timeline" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{ident}-title {ident}-desc" '
        f'font-family="Noto Sans, Segoe UI, Arial, sans-serif" font-size="13">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]
    bottom = _TOP + _LANE * len(lanes)
    for index, lane in enumerate(lanes):
        middle = _TOP + index * _LANE + _LANE / 2
        parts.append(
            f'<text x="{label_width}" y="{middle:.1f}" text-anchor="end" '
            f'dominant-baseline="middle" fill="#1b1f24">{escape(lane.label)}</text>'
            f'<line x1="{left}" y1="{middle:.1f}" x2="{left + area}" y2="{middle:.1f}" '
            f'stroke="#c4ccd6" stroke-width="1"/>'
        )
    for day, tick in _ticks(start, end):
        x = x_of(day)
        parts.append(
            f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{bottom + 4}" '
            f'stroke="#8a96a3" stroke-width="0.75" stroke-dasharray="2,3"/>'
            f'<text x="{x:.1f}" y="{bottom + 20}" text-anchor="middle" '
            f'fill="#4d5662" font-size="12">{escape(tick)}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{bottom + 4}" x2="{left + area}" y2="{bottom + 4}" '
        f'stroke="#1b1f24" stroke-width="1.5"/>'
    )
    for mark in marks:
        if mark.lane not in rows:
            continue
        middle = _TOP + rows[mark.lane] * _LANE + _LANE / 2
        size = 5 + min(6.0, math.log2(max(1, mark.count)) * 1.5)
        shape, colour = SHAPES.get(mark.lane, ("circle", "#1b1f24"))
        parts.append(
            f'<g class="mark"><title>{escape(mark.text)}</title>'
            f"{_shape(shape, x_of(mark.day), middle, size, colour, hollow=mark.struck)}</g>"
        )
    parts.append("</svg>")
    # Safe: every text above went through escape(); numbers and ids are made here.
    return Markup("".join(parts))  # noqa: S704


def case_timeline(case, page: dict) -> dict:
    """The case page's timeline: its chart (SVG) and, for its table, each event's text.

    ``page`` is ``services.case_view.case_page``'s answer (its ``timeline`` and ``today``).
    """
    # In the order of case_view.TIMELINE_KINDS.
    lanes = [
        Lane("decision", gettext("Decisions")),
        Lane("lapse", gettext("Urgent freezes lapsing")),
        Lane("change", gettext("Changes")),
        Lane("import", gettext("Imports")),
        Lane("report", gettext("Reports issued")),
    ]
    rows = []
    for event in page["timeline"]:
        kind, count = event["kind"], event["count"]
        if kind == "decision":
            text = f"{label(event['action'])} {event['reference']}"
            if event["urgent"]:
                text += " (" + gettext("urgent") + ")"
            if event["annulled"]:
                text += " — " + gettext("annulled")
        elif kind == "lapse":
            text = (
                ngettext(
                    "urgent freeze of %(num)d asset lapsed",
                    "urgent freeze of %(num)d assets lapsed",
                    count,
                )
                if event["lapsed"]
                else ngettext(
                    "urgent freeze of %(num)d asset lapses unless confirmed",
                    "urgent freeze of %(num)d assets lapse unless confirmed",
                    count,
                )
            )
        elif kind == "change":
            text = ngettext("%(num)d change", "%(num)d changes", count)
        elif kind == "import":
            text = ngettext("%(num)d import", "%(num)d imports", count)
        else:
            text = gettext("report %(number)s issued", number=event["number"])
        rows.append({**event, "text": text, "lane": lanes[TIMELINE_KINDS.index(kind)].label})
    days = [event["day"] for event in page["timeline"]]
    start = min([case.opened_on, *days])
    end = max([page["today"], *days])
    counts = {key: sum(1 for r in rows if r["kind"] == key) for key in TIMELINE_KINDS}
    description = gettext(
        "From %(start)s to %(end)s: %(decisions)d decisions, %(lapses)d urgent-freeze lapses, "
        "%(changes)d days with changes, %(imports)d days with imports, %(reports)d reports. "
        "The table below lists each event.",
        start=format_date(start),
        end=format_date(end),
        decisions=counts["decision"],
        lapses=counts["lapse"],
        changes=counts["change"],
        imports=counts["import"],
        reports=counts["report"],
    )
    marks = [
        Mark(
            r["kind"],
            r["day"],
            f"{format_date(r['day'])}: {r['text']}",
            count=r["count"],
            struck=bool(r.get("annulled")),
        )
        for r in rows
    ]
    chart = timeline_chart(
        lanes,
        marks,
        start=start,
        end=end,
        title=gettext("Timeline of the case"),
        description=description,
        chart_id="case-timeline",
    )
    return {"chart": chart, "rows": rows}


def _shape(kind: str, x: float, y: float, r: float, colour: str, *, hollow: bool) -> str:
    fill = "#ffffff" if hollow else colour
    paint = f'fill="{fill}" stroke="#1b1f24" stroke-width="1"'
    if kind == "triangle":
        return f'<path d="M{x:.1f},{y - r:.1f} L{x + r:.1f},{y + r:.1f} L{x - r:.1f},{y + r:.1f} Z" {paint}/>'  # noqa: E501
    if kind == "square":
        return f'<rect x="{x - r * 0.8:.1f}" y="{y - r * 0.8:.1f}" width="{r * 1.6:.1f}" height="{r * 1.6:.1f}" {paint}/>'  # noqa: E501
    if kind == "diamond":
        return f'<path d="M{x:.1f},{y - r:.1f} L{x + r:.1f},{y:.1f} L{x:.1f},{y + r:.1f} L{x - r:.1f},{y:.1f} Z" {paint}/>'  # noqa: E501
    if kind == "bar":
        return f'<rect x="{x - 2:.1f}" y="{y - r - 2:.1f}" width="4" height="{2 * r + 4:.1f}" {paint}/>'  # noqa: E501
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {paint}/>'


def _ticks(start: date, end: date) -> list[tuple[date, str]]:
    """Ticks on the first of a month, at most about eight: by month, quarter or year.

    >>> [label for _d, label in _ticks(date(2026, 1, 15), date(2026, 5, 2))]
    ['2026-02', '2026-03', '2026-04', '2026-05']
    >>> [label for _d, label in _ticks(date(2019, 6, 1), date(2026, 5, 2))]
    ['2020', '2021', '2022', '2023', '2024', '2025', '2026']
    """
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 30:
        step = max(1, math.ceil(months / 12 / 8))
        return [
            (date(year, 1, 1), str(year))
            for year in range(start.year + 1, end.year + 1, step)
            if start < date(year, 1, 1) <= end
        ]
    step = max(1, math.ceil(months / 8))
    ticks = []
    year, month = start.year, start.month
    while True:
        month += step
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        day = date(year, month, 1)
        if day > end:
            break
        ticks.append((day, f"{year}-{month:02d}"))
    return ticks
