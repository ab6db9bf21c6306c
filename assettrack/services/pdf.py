"""PDF reports: a context (plain, already redacted data) → HTML → WeasyPrint → bytes.

Templates live in ``templates/reports/``; they receive the context and two helpers, ``fmt``
(dates, money, numbers and messages in the report's language, with Babel) and ``charts``
(inline SVG bar charts drawn here, no script). They never query the database and fetch nothing
remote: the stylesheet and the vendored Noto fonts load from ``assettrack/static`` through
WeasyPrint's ``base_url`` (without it WeasyPrint silently falls back to DejaVu Sans).

WeasyPrint is imported on first use (about 0.45 s), and the parsed stylesheet and its fonts are
kept per thread, so a warm two-page brief renders in about 0.2 s.
"""

import csv
import io
import threading
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.dates import format_datetime
from babel.numbers import format_currency
from babel.numbers import format_decimal
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext
from markupsafe import Markup
from markupsafe import escape

from ..errors import Msg

__all__ = [
    "STATIC",
    "STYLESHEET",
    "TEMPLATES",
    "Formatter",
    "Charts",
    "render_html",
    "render_pdf",
    "render_report",
    "split_annexes",
]

STATIC = Path(__file__).resolve().parent.parent / "static"
STYLESHEET = STATIC / "css" / "report.css"
#: The template of each kind of report.
TEMPLATES = {"case_brief": "reports/case_brief.html", "partner": "reports/partner.html"}
# Babel locale of each report language: European English writes 26/11/2026, not 11/26/26.
_LOCALES = {"en": "en_GB", "fr": "fr_FR"}
_local = threading.local()


def render_html(template: str, context: dict, *, lang: str, standalone: bool = False) -> str:
    """Render a report template in ``lang``; ``standalone`` links the stylesheet (browsers)."""
    timezone = (context.get("issuer") or {}).get("timezone") or "UTC"
    with force_locale(lang):
        return render_template(
            template,
            **context,
            fmt=Formatter(lang, timezone),
            charts=Charts(),
            stylesheet=STYLESHEET.as_uri() if standalone else None,
        )


def render_pdf(
    template: str, context: dict, *, lang: str, attachments: dict | None = None, when=None
) -> bytes:
    """Render a report template to PDF bytes (A4), with the vendored fonts embedded.

    ``attachments`` maps file names to ``(description, bytes)`` embedded in the PDF (one
    file, one SHA-256); ``when`` dates them.
    """
    from weasyprint import HTML
    from weasyprint import Attachment

    html = render_html(template, context, lang=lang)
    stylesheet, fonts = _resources()
    files = [
        Attachment(
            file_obj=io.BytesIO(data),
            name=name,
            description=description,
            created=when,
            modified=when,
        )
        for name, (description, data) in (attachments or {}).items()
    ]
    # PDF/UA-1 (EN 301 549 covers documents): tagged, with XMP and the document's title shown.
    return HTML(string=html, base_url=str(STATIC)).write_pdf(
        stylesheets=[stylesheet], font_config=fonts, pdf_variant="pdf/ua-1", attachments=files
    )


def render_report(
    context: dict, *, number: str, generated_at: datetime, annex_rows: int | None = None
) -> bytes:
    """Render a report context (``services.reports``) with its id and time of generation.

    Tables longer than ``annex_rows`` print their first rows; all rows go into a CSV file
    embedded in the PDF (:func:`split_annexes`).
    """
    lang = context["language"]
    with force_locale(lang):
        context, attachments = split_annexes(context, annex_rows, Formatter(lang))
    return render_pdf(
        TEMPLATES[context["kind"]],
        {**context, "report_number": number, "generated_at": generated_at},
        lang=lang,
        attachments=attachments,
        when=generated_at,
    )


#: The tables of a case section that may be long, and the columns of their CSV annex.
ANNEX_TABLES = {
    "assets": ("name", "schema", "stage", "estimated", "frozen", "confiscated", "realised"),
    "entities": ("name", "schema", "role", "source_grade", "info_grade", "details"),
    "decisions": ("decided_on", "action", "authority", "reference", "legal_basis", "amount",
                  "assets", "annulled"),
}


def split_annexes(context: dict, limit: int | None, fmt: "Formatter") -> tuple[dict, dict]:
    """Cut each case table to ``limit`` rows; return the context and the CSV annexes.

    Each cut table gets ``<table>_annex`` = ``{"shown", "total", "file"}`` in its section,
    and the annex holds every row of the table (already redacted, as the context is), so a
    reader finds the whole table in the one file whose SHA-256 was recorded.
    """
    if not limit:
        return context, {}
    attachments: dict = {}
    sections = [context["case"]] if "case" in context else list(context.get("cases") or [])
    cut = []
    for section in sections:
        section = dict(section)
        for table, columns in ANNEX_TABLES.items():
            rows = section.get(table) or []
            if len(rows) <= limit:
                continue
            name = f"{section['reference']}-{table}.csv"
            attachments[name] = (
                f"{section['reference']}: {table} ({len(rows)})",
                _annex_csv(rows, columns, fmt),
            )
            section[table] = rows[:limit]
            section[f"{table}_annex"] = {"shown": limit, "total": len(rows), "file": name}
        cut.append(section)
    if "case" in context:
        return {**context, "case": cut[0]}, attachments
    return {**context, "cases": cut}, attachments


class Formatter:
    """Dates, money, numbers and messages as the report's reader writes them.

    >>> f = Formatter("fr", "Europe/Paris")
    >>> " ".join(f.money({"amount": Decimal("1350000"), "currency": "EUR"}).split())
    '1 350 000 €'
    >>> Formatter("en").money({"amount": Decimal("12.5"), "currency": "EUR"})
    '€12.50'
    >>> Formatter("en", "UTC").date(datetime(2026, 3, 14).date())
    '14 Mar 2026'
    """

    def __init__(self, lang: str, timezone: str = "UTC"):
        self.lang = lang
        self.locale = _LOCALES.get(lang, lang)
        self.tz = ZoneInfo(timezone)
        pattern = Locale.parse(self.locale).currency_formats["standard"].pattern
        self._whole_pattern = pattern.split(";")[0].replace(".00", "")
        self._percent_sign = "\u00a0%" if lang == "fr" else "%"

    def date(self, value, format: str = "medium") -> str:  # noqa: A002 (Babel's own name)
        """A date ("14 Mar 2026"), also given as ISO text; empty for None."""
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return format_date(value, format=format, locale=self.locale) if value else ""

    def month(self, value) -> str:
        """A month ("Mar 2026")."""
        return format_date(value, format="MMM y", locale=self.locale)

    def datetime(self, value) -> str:
        """A time in the issuing organisation's zone, with the zone ("14 Mar 2026, 10:42 CET")."""
        if value is None:
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return format_datetime(
            value, format="d MMM y, HH:mm zzz", tzinfo=self.tz, locale=self.locale
        )

    def money(self, value) -> str:
        """A ``{"amount", "currency"}`` value ("€1,350,000", "€12.50"); empty for None.

        Cents are written only when there are some, so that columns of large amounts stay
        narrow enough for A4.
        """
        if not value:
            return ""
        amount = Decimal(value["amount"])
        if amount == amount.to_integral_value():
            return format_currency(
                amount,
                value["currency"],
                format=self._whole_pattern,
                currency_digits=False,
                locale=self.locale,
            )
        return format_currency(amount, value["currency"], locale=self.locale)

    def moneys(self, values) -> str:
        """Several currencies, one per line (totals are never converted)."""
        return Markup("<br>").join(self.money(v) for v in values or [])

    def money_list(self, amounts: dict) -> list[dict]:
        """``{currency: amount}`` (the statistics' shape) as a list of money values."""
        return [{"amount": v, "currency": c} for c, v in sorted((amounts or {}).items())]

    def number(self, value) -> str:
        """A whole number or decimal with the reader's separators."""
        return "" if value is None else format_decimal(value, locale=self.locale)

    def percent(self, value) -> str:
        """A share out of 100 ("60 %", "33.33 %")."""
        if value is None:
            return "?"
        text = format_decimal(Decimal(value), format="#,##0.##", locale=self.locale)
        return text + self._percent_sign

    def t(self, message) -> str:
        """Translate a service message (``Msg``, with its parameters) or a plain string."""
        if isinstance(message, Msg):
            text = gettext(message.msgid)
            return text.format(**message.params) if message.params else text
        return gettext(str(message)) if message else ""

    def css_string(self, text) -> Markup:
        """``text`` as a quoted CSS string (margin boxes)."""
        value = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
        # "<" written as a CSS escape, so no text can close the <style> element.
        value = value.replace("<", "\\3c ")
        return Markup(f'"{value}"')  # noqa: S704 (quoted and escaped for CSS above)

    def css_pages(self, template: str) -> Markup:
        """A translated "Page %(page)s of %(pages)s" as CSS ``content`` with page counters."""
        text = template % {"page": "\x01", "pages": "\x02"}
        parts = []
        for piece in text.replace("\x02", "\x00\x02\x00").replace("\x01", "\x00\x01\x00").split(
            "\x00"
        ):
            if piece == "\x01":
                parts.append("counter(page)")
            elif piece == "\x02":
                parts.append("counter(pages)")
            elif piece:
                parts.append(self.css_string(piece))
        return Markup(" ".join(parts))  # noqa: S704 (CSS strings and counters only)


class Charts:
    """Inline SVG charts for reports: horizontal bars, monthly columns, the stage bar.

    Drawn with presentation attributes only (no script, no style), text in the document's font;
    every bar carries its value in words, and fills differ in lightness, so a chart reads the
    same printed in black and white. Each chart's ``<title>`` (its text alternative in the
    tagged PDF) states its figures.
    """

    #: Fill of each lifecycle stage (Okabe-Ito, colour-blind safe, distinct in grey).
    STAGE_FILLS = {
        "traced": "#56b4e9",
        "frozen": "#0072b2",
        "managed": "#009e73",
        "confiscated": "#d55e00",
        "disposed": "#cc79a7",
        "released": "#e8e8e8",
    }
    BAR_FILL = "#1d4f8c"

    @staticmethod
    def titled(svg: str, title: str) -> Markup:
        """An SVG drawn elsewhere (the network diagram) with ``title`` as its text alternative.

        >>> str(Charts.titled('<svg role="img"><g/></svg>', "A & B"))
        '<svg role="img"><title>A &amp; B</title><g/></svg>'
        """
        end = svg.index(">", svg.index("<svg")) + 1
        # The drawing comes from network.render, which escapes every label.
        return Markup(svg[:end] + f"<title>{escape(title)}</title>" + svg[end:])  # noqa: S704

    def bars(self, rows, *, title: str, width: int = 640, label_width: int = 170) -> Markup:
        """Horizontal bars: ``rows`` of ``(label, value, text, fill or None)``."""
        rows = list(rows)
        row_height, bar_height = 22, 14
        height = row_height * len(rows) + 8
        largest = max((float(r[1] or 0) for r in rows), default=0) or 1.0
        room = width - label_width - 150
        # The text alternative states the figures, as the bars do.
        summary = "; ".join(f"{label}: {text}" for label, _value, text, _fill in rows)
        parts = [_svg_open(width, height, f"{title}. {summary}" if rows else title)]
        for i, (label, value, text, fill) in enumerate(rows):
            y = 4 + i * row_height
            length = max(0.0, float(value or 0)) / largest * room
            parts.append(
                f'<text x="{label_width - 8}" y="{y + 11}" text-anchor="end" '
                f'font-size="9">{escape(label)}</text>'
            )
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
                f'fill="{fill or self.BAR_FILL}" stroke="#000" stroke-width="0.5"/>'
            )
            parts.append(
                f'<text x="{label_width + length + 5:.1f}" y="{y + 11}" font-size="9">'
                f"{escape(text)}</text>"
            )
        parts.append("</svg>")
        return Markup("".join(parts))  # noqa: S704 (every text above went through escape)

    def columns(self, rows, *, title: str, width: int = 640, height: int = 170) -> Markup:
        """Vertical columns: ``rows`` of ``(label, value)``, such as decisions per month."""
        rows = list(rows)
        top, bottom, left = 14, 30, 8
        largest = max((r[1] for r in rows), default=0) or 1
        slot = (width - 2 * left) / max(1, len(rows))
        bar = max(4.0, slot * 0.6)
        room = height - top - bottom
        summary = "; ".join(f"{label}: {value}" for label, value in rows)
        parts = [_svg_open(width, height, f"{title}. {summary}" if rows else title)]
        parts.append(
            f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" '
            f'y2="{height - bottom}" stroke="#000" stroke-width="0.6"/>'
        )
        every = max(1, len(rows) // 12)
        for i, (label, value) in enumerate(rows):
            x = left + i * slot + (slot - bar) / 2
            length = value / largest * room
            y = height - bottom - length
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{length:.1f}" '
                f'fill="{self.BAR_FILL}"/>'
            )
            if value:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                    f'font-size="8">{value}</text>'
                )
            if i % every == 0:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 12}" '
                    f'text-anchor="middle" font-size="8">{escape(label)}</text>'
                )
        parts.append("</svg>")
        return Markup("".join(parts))  # noqa: S704 (every text above went through escape)

    def stage_bar(self, stages, labels: dict, *, title: str, width: int = 640) -> Markup:
        """One bar split by lifecycle stage, with a legend giving each stage's count."""
        total = sum(s["count"] for s in stages)
        height = 58
        summary = "; ".join(f"{labels.get(s['stage'], s['stage'])}: {s['count']}" for s in stages)
        parts = [_svg_open(width, height, f"{title}. {summary}")]
        x = 0.0
        if total:
            for s in stages:
                if not s["count"]:
                    continue
                length = s["count"] / total * width
                parts.append(
                    f'<rect x="{x:.1f}" y="0" width="{length:.1f}" height="18" '
                    f'fill="{self.STAGE_FILLS[s["stage"]]}" stroke="#000" stroke-width="0.6"/>'
                )
                if length > 18:
                    parts.append(
                        f'<text x="{x + length / 2:.1f}" y="13" text-anchor="middle" '
                        f'font-size="9" font-weight="bold" fill="{_ink(s["stage"])}">'
                        f'{s["count"]}</text>'
                    )
                x += length
        else:
            parts.append(
                f'<rect x="0" y="0" width="{width}" height="18" fill="#fff" stroke="#000" '
                'stroke-width="0.6" stroke-dasharray="3 2"/>'
            )
        step = width / max(1, len(stages))
        for i, s in enumerate(stages):
            lx = i * step
            parts.append(
                f'<rect x="{lx:.1f}" y="30" width="10" height="10" '
                f'fill="{self.STAGE_FILLS[s["stage"]]}" stroke="#000" stroke-width="0.5"/>'
            )
            parts.append(
                f'<text x="{lx + 14:.1f}" y="39" font-size="9">'
                f'{escape(labels.get(s["stage"], s["stage"]))}: {s["count"]}</text>'
            )
        parts.append("</svg>")
        return Markup("".join(parts))  # noqa: S704 (every text above went through escape)


# --- helpers -----------------------------------------------------------------------------------


def _resources():
    """The parsed stylesheet and its font configuration, made once per thread."""
    if not hasattr(_local, "stylesheet"):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        fonts = FontConfiguration()
        _local.fonts = fonts
        _local.stylesheet = CSS(filename=str(STYLESHEET), font_config=fonts)
    return _local.stylesheet, _local.fonts


def _annex_csv(rows: list[dict], columns: tuple, fmt: "Formatter") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column), fmt) for column in columns])
    return out.getvalue().encode("utf-8")


def _cell(value, fmt: "Formatter") -> str:
    """A CSV cell: money as "amount currency", lists joined, no cell read as a formula."""
    if value is None:
        return ""
    if isinstance(value, dict) and "amount" in value:
        text = f"{value['amount']} {value['currency']}"
    elif isinstance(value, list | tuple):
        text = "; ".join(
            f"{fmt.t(item[0])} {item[1]}" if isinstance(item, tuple | list) else str(item)
            for item in value
        )
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    # A spreadsheet runs a cell starting with = + - @ as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="Noto Sans"><title>{escape(title)}</title>'
    )


def _ink(stage: str) -> str:
    # White figures on the dark fills, black on the light ones.
    return "#fff" if stage in ("frozen", "confiscated", "managed") else "#000"
