"""Import asset registers (CSV or XLSX) into a case, with their statuses as register decisions.

A register is a table with one asset per row, such as Italy's list of confiscated real estate
(ANBSC). Reading one takes three steps:

1. :func:`read_table` detects the format (XLSX by its zip signature, else CSV), the encoding of
   a CSV (UTF-8 with or without byte-order mark, else Windows-1252/Latin-1) and its delimiter
   (``,`` ``;`` or tab), and :func:`suggest_columns` proposes which column holds what.
2. A :class:`ColumnMapping` says which column is the asset's ``name``, ``schema`` (its type),
   ``address``, ``city``, ``region``, ``country``, ``status``, ``value``, ``currency`` and
   ``external_id``; how the register's statuses map to lifecycle stages (editable: a status that
   fits no stage keeps the register's own label on the asset) and its types to FtM schemata.
   Mappings are saved per organisation (:func:`save_mapping`). :func:`preview_register` shows
   the first rows with their errors before anything is written.
3. :func:`import_register` writes every row, or none when a row is bad (unless
   ``skip_invalid``): an entity per row (``external_id`` from the id column, so importing the
   register again updates rather than duplicates), its link to the case, its ``asset`` row at
   the stage its status maps to, a ``register_entry`` with the status label, region, city and the
   row as it came. Each stage reached is recorded as the chain of decisions the lifecycle
   requires (a disposed asset was frozen, finally confiscated, then disposed of), with
   ``source="register"`` and the status as ``register_label``: the Directive statistics leave
   them out, since the register is not the order.

"no data", "n.d.", "n/d", "unknown" and empty cells read as unknown (:data:`schema.UNKNOWN`).
:func:`register_counts` gives the per-region and per-status counts a dashboard shows.
"""

import codecs
import csv
import hashlib
import io
import json
import re
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import Path

from defusedxml import DefusedXmlException
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlmodel import Session

from .. import access
from .. import audit
from ..domain import lifecycle
from ..domain import schema as ftm_schema
from ..domain.ftm import ImportFailed
from ..domain.lifecycle import ISO_4217_CURRENCIES
from ..domain.lifecycle import Stage
from ..domain.money import MoneyRefused
from ..domain.money import read_amount
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import Asset
from ..models import Case
from ..models import CaseEntity
from ..models import Decision
from ..models import DecisionAsset
from ..models import Entity
from ..models import Organisation
from ..models import User
from ..models import Valuation
from ..models import utcnow
from ..models.imports import REGISTER_TARGETS
from ..models.imports import RegisterEntry
from ..models.imports import RegisterImport
from ..models.imports import RegisterMapping
from . import provenance
from .cases import org_today
from .cases import review_date
from .entities import normalise_name
from .imports import ImportReport

__all__ = [
    "FIELDS",
    "DEFAULT_STATUSES",
    "DEFAULT_TYPES",
    "ColumnMapping",
    "RegisterReport",
    "RegisterLimits",
    "Table",
    "read_table",
    "suggest_columns",
    "parse_pairs",
    "preview_register",
    "status_labels",
    "check_xlsx",
    "import_register",
    "register_counts",
    "save_mapping",
    "get_mapping",
    "list_mappings",
    "mapping_from_params",
    "is_unknown",
    "parse_amount",
]

#: The fields a column can be mapped to.
FIELDS = (
    "name",
    "schema",
    "address",
    "city",
    "region",
    "country",
    "status",
    "value",
    "currency",
    "external_id",
)

#: Status labels understood without a mapping (compared case-insensitively), and their target.
#: "" keeps the label without a stage. Italian labels: ANBSC's open data (DOMAIN.md).
DEFAULT_STATUSES = {
    "in gestione": Stage.MANAGED,
    "destinati consegnati": Stage.DISPOSED,
    "destinati non consegnati": "confiscated_final",
    "usciti dalla gestione": "",
    "non confiscati in via autonoma": "",
    "traced": Stage.TRACED,
    "frozen": Stage.FROZEN,
    "seized": Stage.FROZEN,
    "managed": Stage.MANAGED,
    "confiscated": Stage.CONFISCATED,
    "disposed": Stage.DISPOSED,
    "released": Stage.RELEASED,
}

#: Type labels understood without a mapping (case-insensitive), and their FtM schema.
DEFAULT_TYPES = {
    "bene immobile": "RealEstate",
    "immobile": "RealEstate",
    "real estate": "RealEstate",
    "property": "RealEstate",
    "land": "RealEstate",
    "building": "RealEstate",
    "vessel": "Vessel",
    "ship": "Vessel",
    "boat": "Vessel",
    "vehicle": "Vehicle",
    "car": "Vehicle",
    "aircraft": "Airplane",
    "airplane": "Airplane",
    "bank account": "BankAccount",
    "security": "Security",
    "shares": "Security",
    "crypto wallet": "CryptoWallet",
    "company": "Company",
    "bene aziendale": "Company",
    "azienda": "Company",
    "cash": "Asset",
    "bene mobile": "Asset",
}

# Header words that suggest a field, compared without accents, case or punctuation.
_HEADER_WORDS = {
    "external_id": ("id", "externalid", "identifier", "codice", "code", "reference", "ref"),
    "name": ("name", "nome", "denominazione", "naam", "nom", "title", "description"),
    "schema": ("schema", "type", "tipo", "soort", "kind", "typology", "tipologia"),
    "address": ("address", "indirizzo", "adres", "adresse", "street", "via"),
    "city": ("city", "nomecom", "comune", "municipality", "gemeente", "ville", "town"),
    "region": ("region", "nomereg", "regione", "province", "provincie", "state"),
    "country": ("country", "paese", "land", "pays", "nation"),
    "status": ("status", "stato", "stage", "statut", "state", "toestand"),
    "value": ("value", "valore", "waarde", "valeur", "estimatedvalue", "amount"),
    "currency": ("currency", "valuta", "devise"),
}
_UNKNOWN_WORDS = frozenset({"", "no data", "n.d.", "n.d", "n/d", "unknown"})
_DELIMITERS = (",", ";", "\t")
_BATCH = 1000
_ID_KEEP = re.compile(r"[^0-9a-zA-Z.\-]+")
_ZIP_MAGIC = b"PK\x03\x04"
# Files that are neither CSV nor XLSX, told by their first bytes (PNG, JPEG, GIF, PDF, the old
# binary Excel, gzip, 7z, RAR); a NUL byte in the first kilobytes also marks a binary file.
_BINARY_MAGIC = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"\xd0\xcf\x11\xe0", b"\x1f\x8b",
    b"7z\xbc\xaf", b"Rar!",
)
# A column header names a column: longer ones are refused rather than shown on every page.
_MAX_HEADER_CHARS = 200
# Compression ratio is judged only on members that unzip past this: small parts of a workbook
# (styles, a short sheet) compress far better than data does.
_RATIO_FLOOR = 1024 * 1024
# The csv module's own bound on one cell, so one field cannot take the reader's memory. The
# standard library's default; followthemoney raises it for the whole process to 30 MB when it
# is imported (its statement CSV reader), so it is set back here, where registers are read.
CSV_FIELD_LIMIT = 131_072
csv.field_size_limit(CSV_FIELD_LIMIT)
# In the XML of a workbook a cell's text is never longer, in bytes, than this many times its
# characters (a character reference such as &#x10FFFF; takes ten bytes).
_BYTES_PER_CHAR = 10
# Where each cell (worksheets) or each shared string begins: the byte scan measures the gaps.
_CELL_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?c[\s>/]")
_STRING_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?si[\s>/]")
_TAG_START = re.compile(rb"<")
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(worksheet|sst|[A-Za-z_][\w.\-]*)[\s>/]")
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, OSError, EOFError)
# What openpyxl raises on a workbook it cannot read (broken XML, missing parts, odd values).
_XLSX_ERRORS = (
    *_ZIP_ERRORS, KeyError, ValueError, TypeError, IndexError, AttributeError, SyntaxError,
    DefusedXmlException, InvalidFileException,
)


@dataclass(frozen=True)
class RegisterLimits:
    """How much of a register file is read (the ``REGISTER_*`` and ``XLSX_*`` settings)."""

    max_cell_chars: int
    max_columns: int
    max_rows: int
    preview_rows: int
    preview_bytes: int
    preview_seconds: float
    preview_cell_chars: int
    xlsx_max_members: int
    xlsx_max_bytes: int
    xlsx_max_ratio: int

    @classmethod
    def from_config(cls, config=None) -> "RegisterLimits":
        """Read the limits from ``config`` (the app's, else the defaults of config.py)."""
        if config is None:
            from flask import current_app
            from flask import has_app_context

            from .. import config as defaults

            config = current_app.config if has_app_context() else vars(defaults)
        return cls(
            max_cell_chars=int(config["REGISTER_MAX_CELL_CHARS"]),
            max_columns=int(config["REGISTER_MAX_COLUMNS"]),
            max_rows=int(config["REGISTER_MAX_ROWS"]),
            preview_rows=int(config["REGISTER_PREVIEW_ROWS"]),
            preview_bytes=int(config["REGISTER_PREVIEW_BYTES"]),
            preview_seconds=float(config["REGISTER_PREVIEW_SECONDS"]),
            preview_cell_chars=int(config["REGISTER_PREVIEW_CELL_CHARS"]),
            xlsx_max_members=int(config["XLSX_MAX_MEMBERS"]),
            xlsx_max_bytes=int(config["XLSX_MAX_BYTES"]),
            xlsx_max_ratio=int(config["XLSX_MAX_RATIO"]),
        )


@dataclass
class ColumnMapping:
    """How to read one register (see :class:`assettrack.models.imports.RegisterMapping`).

    ``columns`` maps fields (:data:`FIELDS`) to column headers. ``statuses`` maps status labels
    to a target (:data:`~assettrack.models.imports.REGISTER_TARGETS`) or ``""`` (keep the label,
    no stage); labels not listed fall back on :data:`DEFAULT_STATUSES`. ``types`` maps type
    labels to FtM schemata (fallback :data:`DEFAULT_TYPES`). ``defaults`` gives values for
    fields without a column: ``schema``, ``country``, ``currency``, ``register`` (the
    register's name, also the prefix of its ids), ``manager`` and ``decimal`` (``","`` when
    amounts are written 1.234,56).
    """

    columns: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    name: str | None = None

    def as_dict(self) -> dict:
        """Return the mapping as JSON-ready data."""
        return {
            "name": self.name,
            "columns": self.columns,
            "statuses": self.statuses,
            "types": self.types,
            "defaults": self.defaults,
        }

    def target_of(self, label: str | None) -> str | None:
        """Return the target a status label maps to, or None when it fits no stage."""
        if label is None:
            return None
        for given in (self.statuses, DEFAULT_STATUSES):
            for key in (label, label.casefold()):
                if key in given:
                    return given[key] or None
            folded = {k.casefold(): v for k, v in given.items()}
            if label.casefold() in folded:
                return folded[label.casefold()] or None
        return None


@dataclass
class RegisterReport(ImportReport):
    """What a register import read and changed; ``statuses`` and ``targets`` count the rows."""

    import_id: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    targets: dict[str, int] = field(default_factory=dict)
    decisions: int = 0
    mapping: dict = field(default_factory=dict)


@dataclass
class Table:
    """A register file opened for reading: its shape, and its rows on demand."""

    path: Path
    format: str
    encoding: str | None
    delimiter: str | None
    headers: list[str]
    limits: RegisterLimits = field(default_factory=RegisterLimits.from_config)

    def rows(self, *, head: bool = False) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield ``(row number, {header: text})``; the header is row 1.

        ``head`` reads only the first ``preview_bytes`` of a CSV file. Raises
        :class:`~assettrack.domain.ftm.ImportFailed` naming the row when the file cannot be read on
        (a line longer than a row may be, a broken CSV) or holds more than ``max_rows`` rows.
        """
        if self.format == "xlsx":
            rows = _xlsx_rows(self.path, self.headers)
        else:
            rows = _csv_rows(self.path, self.encoding, self.delimiter, self.headers, self.limits,
                             head=head)
        for count, (number, values) in enumerate(rows, 1):
            if count > self.limits.max_rows:
                raise ImportFailed(
                    [{"line": number, "reason": Msg(
                        "the register has more than {limit} rows; split it into several files",
                        limit=self.limits.max_rows,
                    )}]
                )
            yield number, values


@dataclass
class _Row:
    line: int
    external_id: str
    schema: str
    properties: dict
    label: str | None
    target: str | None
    region: str | None
    city: str | None
    value: Decimal | None
    currency: str
    raw: dict
    errors: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


def is_unknown(text: object) -> bool:
    """Tell whether a register cell says nothing is known.

    >>> is_unknown("no data"), is_unknown(" N/D "), is_unknown(""), is_unknown("Palermo")
    (True, True, True, False)
    """
    return text is None or str(text).strip().casefold() in _UNKNOWN_WORDS


def parse_amount(text: str, decimal: str | None = None) -> Decimal:
    """Read an amount as registers write it: ``1234.56``, ``1,234.56``, ``1.234,56``, ``€ 1 200``.

    A lone comma followed by three digits (``1,234``) is ambiguous and refused unless
    ``decimal`` says which mark is the decimal one.

    >>> parse_amount("1.234,56"), parse_amount("€ 1,234.50"), parse_amount("250000")
    (Decimal('1234.56'), Decimal('1234.50'), Decimal('250000'))
    >>> parse_amount("1,234", decimal=",")
    Decimal('1.234')
    """
    clean = re.sub(r"[\s€$£]|EUR", "", str(text), flags=re.IGNORECASE).replace("'", "")
    if not clean:
        raise ValueError("no number")
    commas, points = clean.count(","), clean.count(".")
    mark = decimal
    if mark is None:
        if commas and points:
            mark = "," if clean.rfind(",") > clean.rfind(".") else "."
        elif commas == 1 and len(clean) - clean.find(",") - 1 == 3:
            raise ValueError("ambiguous: say whether the comma is a decimal mark")
        elif commas == 1:
            mark = ","
        elif points > 1:
            mark = ","  # 1.234.567 groups thousands with points
        else:
            mark = "."
    thousands = "." if mark == "," else ","
    clean = clean.replace(thousands, "")
    if mark == ",":
        clean = clean.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?", clean):
        raise ValueError("not a number")
    try:
        return Decimal(clean)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValueError("not a number") from None


def read_table(path: str | Path, limits: RegisterLimits | None = None) -> Table:
    """Open a register file: detect XLSX or CSV, the encoding and the delimiter; read headers.

    An XLSX file is checked before it is opened (:func:`check_xlsx`). Raises
    :class:`~assettrack.errors.Invalid` when the file is neither CSV nor XLSX, breaks a limit,
    has no header row or two columns with the same header.
    """
    path = Path(path)
    limits = limits or RegisterLimits.from_config()
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(_ZIP_MAGIC):
        check_xlsx(path, limits)
        table = Table(path, "xlsx", None, None, [], limits)
        table.headers = _xlsx_headers(path)
    else:
        if head.startswith(_BINARY_MAGIC) or b"\x00" in head:
            raise Invalid(
                {"file": Msg("not a register: send a CSV text file or an XLSX workbook")}
            )
        encoding = _detect_encoding(path)
        delimiter = _detect_delimiter(path, encoding)
        table = Table(path, "csv", encoding, delimiter, [], limits)
        records = _csv_records(path, encoding, delimiter, limits)
        try:
            _number, header = next(records, (1, []))
        except ImportFailed as failed:
            raise Invalid({"file": Msg("the header row: {reason}", reason=failed.reason)}) from None
        finally:
            records.close()
        table.headers = [h.strip() for h in header]
    if not any(table.headers):
        raise Invalid({"file": Msg("the file has no header row")})
    if len(table.headers) > limits.max_columns:
        raise Invalid(
            {"file": Msg(
                "the file has {count} columns; the limit is {limit}",
                count=len(table.headers),
                limit=limits.max_columns,
            )}
        )
    seen = set()
    for header in table.headers:
        if len(header) > _MAX_HEADER_CHARS:
            raise Invalid(
                {"file": Msg(
                    "a column header is {length} characters long; the limit is {limit}",
                    length=len(header),
                    limit=_MAX_HEADER_CHARS,
                )}
            )
        if header in seen:
            raise Invalid({"file": Msg("two columns are called {header}", header=header)})
        seen.add(header)
    return table


def check_xlsx(path: str | Path, limits: RegisterLimits) -> None:
    """Check an XLSX file before any XML of it is parsed; raise :class:`Invalid` saying why.

    The zip must hold at most ``xlsx_max_members`` members, unzip to at most ``xlsx_max_bytes``
    (the sizes the zip declares are what :mod:`zipfile` reads at most), no member may be
    compressed more than ``xlsx_max_ratio`` times (Apache POI's default too), and
    ``[Content_Types].xml`` must be there and well-formed. Every XML part is then read once as
    bytes: it must be UTF-8, declare no DTD or entity, and no cell or shared string may be
    longer than ``max_cell_chars`` would allow — so the parser never meets a bomb.
    """
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS:
        raise Invalid({"file": Msg("not a readable XLSX workbook: the zip is broken")}) from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.xlsx_max_members:
            raise Invalid({"file": Msg(
                "the workbook holds {count} files; the limit is {limit}",
                count=len(members), limit=limits.xlsx_max_members,
            )})
        total = sum(member.file_size for member in members)
        if total > limits.xlsx_max_bytes:
            raise Invalid({"file": Msg(
                "the workbook unzips to {size} MB; the limit is {limit} MB",
                size=-(-total // 2**20), limit=limits.xlsx_max_bytes // 2**20,
            )})
        for member in members:
            if (
                member.file_size > _RATIO_FLOOR
                and member.file_size > limits.xlsx_max_ratio * max(member.compress_size, 1)
            ):
                raise Invalid({"file": Msg(
                    "{member} is compressed {ratio} times; the limit is {limit}",
                    member=member.filename[:100],
                    ratio=member.file_size // max(member.compress_size, 1),
                    limit=limits.xlsx_max_ratio,
                )})
        sizes = {member.filename: member.file_size for member in members}
        if "[Content_Types].xml" not in sizes:
            raise Invalid({"file": Msg(
                "not an XLSX workbook: [Content_Types].xml is missing"
            )})
        bound = limits.max_cell_chars * _BYTES_PER_CHAR + 4096
        for member in members:
            if member.filename.endswith((".xml", ".rels", ".vml")):
                _scan_xml(archive, member, bound, limits.max_cell_chars)
        _parse_content_types(archive)


def _scan_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo, bound: int, chars: int) -> None:
    """Read one XML part as bytes: UTF-8, no DTD or entity, no cell or string over ``bound``."""
    name = member.filename
    start = _TAG_START
    run, carry, first = 0, b"", True
    try:
        with archive.open(member) as fh:
            while data := fh.read(1 << 20):
                if first and (data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]):
                    raise Invalid({"file": Msg(
                        "{member} is not UTF-8 XML", member=name[:100]
                    )})
                if first:  # told by the root element, whatever the part is called
                    root = _ROOT.search(data, 0, 4096)
                    kind = root.group(1) if root else b""
                    start = {b"worksheet": _CELL_START, b"sst": _STRING_START}.get(kind, start)
                first = False
                window = carry + data
                if any(marker in window for marker in _DECLARATIONS):
                    raise Invalid({"file": Msg(
                        "{member} declares a DTD or entities, which a workbook never needs",
                        member=name[:100],
                    )})
                carry = data[-16:]
                pieces = start.split(data)
                if len(pieces) == 1:
                    run += len(data)
                else:
                    longest = max(map(len, pieces[1:-1]), default=0)
                    run = max(run + len(pieces[0]), longest)
                    if run <= bound:
                        run = len(pieces[-1])
                if run > bound:
                    raise Invalid({"file": Msg(
                        "{member} holds a cell longer than {limit} characters",
                        member=name[:100], limit=chars,
                    )})
    except _ZIP_ERRORS:
        raise Invalid({"file": Msg(
            "not a readable XLSX workbook: {member} is broken", member=name[:100]
        )}) from None


def _parse_content_types(archive: zipfile.ZipFile) -> None:
    from defusedxml.ElementTree import ParseError
    from defusedxml.ElementTree import fromstring

    try:
        if archive.getinfo("[Content_Types].xml").file_size > _RATIO_FLOOR:
            raise ParseError("too large for a list of content types")
        root = fromstring(archive.read("[Content_Types].xml"))
    except (ParseError, DefusedXmlException, *_ZIP_ERRORS):
        root = None
    if root is None or not root.tag.endswith("Types"):
        raise Invalid({"file": Msg("not an XLSX workbook: [Content_Types].xml is broken")})


def suggest_columns(headers: list[str]) -> dict[str, str]:
    """Propose a column for each field from the headers' words.

    >>> suggest_columns(["ID", "tipo", "NOME_COM", "NOME_REG", "stato", "Categoria"])
    {'external_id': 'ID', 'schema': 'tipo', 'city': 'NOME_COM', 'region': 'NOME_REG', 'status': 'stato'}
    """  # noqa: E501
    suggested: dict[str, str] = {}
    keys = {header: _fold(header) for header in headers}
    for field_name, words in _HEADER_WORDS.items():
        for header, key in keys.items():
            if header in suggested.values():
                continue
            if key in words:
                suggested[field_name] = header
                break
    return suggested


def parse_pairs(text: str | dict | None) -> dict[str, str]:
    """Read ``"name=Nome,city=NOME_COM"`` (or a dict) into ``{field: value}``.

    >>> parse_pairs("name=Nome bene, city=NOME_COM")
    {'name': 'Nome bene', 'city': 'NOME_COM'}
    """
    if text is None or text == "":
        return {}
    if isinstance(text, dict):
        return {str(k).strip(): str(v).strip() for k, v in text.items()}
    pairs = {}
    for part in str(text).split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise Invalid({"columns": Msg("write field=column pairs separated by commas")})
        pairs[key.strip()] = value.strip()
    return pairs


def preview_register(
    path: str | Path,
    mapping: ColumnMapping | None = None,
    *,
    limit=20,
    limits: RegisterLimits | None = None,
) -> dict:
    """Show how the first rows of a register would be read, with their errors; write nothing.

    Reads a bounded head of the file: at most ``preview_rows`` rows, ``preview_bytes`` of a
    CSV, for ``preview_seconds``; cells are shown cut to ``preview_cell_chars`` (marked).
    Returns the detected ``format``, ``encoding``, ``delimiter``, the ``headers``, the
    ``mapping`` used (suggested columns when none is given), ``rows`` (the first ``limit``:
    ``line``, ``values``, ``schema``, ``name``, ``status``, ``target``, ``errors``, ``notes``),
    ``statuses`` (each status label of the rows read with its count and target),
    ``row_count`` (the rows read) and ``complete`` (whether they are the whole file).
    """
    limits = limits or RegisterLimits.from_config()
    table = read_table(path, limits)
    if mapping is None:
        mapping = ColumnMapping(columns=suggest_columns(table.headers))
    _check_mapping(mapping, table.headers)
    rows, statuses = [], {}
    count, complete = 0, True
    status_column = mapping.columns.get("status")
    deadline = time.monotonic() + limits.preview_seconds
    register = _register_name(mapping, table.path)
    for line, values in _previewed(table.rows(head=True)):
        if count >= limits.preview_rows or time.monotonic() > deadline:
            complete = False
            break
        count += 1
        if status_column:
            label = None if is_unknown(values.get(status_column)) else values[status_column].strip()
            label = None if label is None else _shown(label, limits.preview_cell_chars)
            statuses[label] = statuses.get(label, 0) + 1
        if len(rows) < limit:
            row = _read_row(line, values, mapping, register, limits.max_cell_chars)
            rows.append(
                {
                    "line": line,
                    "values": {k: _shown(v, limits.preview_cell_chars) for k, v in values.items()},
                    "schema": row.schema,
                    "name": _shown(ftm_schema.caption(row.schema, row.properties),
                                   limits.preview_cell_chars)
                    if ftm_schema.is_native_schema(row.schema)
                    else None,
                    "status": _shown(row.label, limits.preview_cell_chars),
                    "target": row.target,
                    "errors": {k: _shown(str(v), limits.preview_cell_chars)
                               for k, v in row.errors.items()},
                    "notes": [_shown(str(n), limits.preview_cell_chars) for n in row.notes],
                }
            )
    if table.format == "csv" and complete and table.path.stat().st_size > limits.preview_bytes:
        complete = False
    return {
        "format": table.format,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "headers": table.headers,
        "mapping": mapping.as_dict(),
        "rows": rows,
        "statuses": [
            {"status": label, "count": n, "target": mapping.target_of(label)}
            for label, n in sorted(statuses.items(), key=lambda i: (-i[1], str(i[0])))
        ],
        "row_count": count,
        "complete": complete,
    }


def status_labels(table: Table, column: str | None, *, most: int = 100) -> list[str]:
    """The status labels in the head of a register's status column, most frequent first."""
    if not column:
        return []
    counts: dict[str, int] = {}
    deadline = time.monotonic() + table.limits.preview_seconds
    for read, (_line, values) in enumerate(_previewed(table.rows(head=True))):
        if read >= table.limits.preview_rows or time.monotonic() > deadline:
            break
        text = values.get(column)
        if is_unknown(text) or len(text) > _MAX_HEADER_CHARS:
            continue
        label = text.strip()
        counts[label] = counts.get(label, 0) + 1
    return [label for label, _n in sorted(counts.items(), key=lambda i: (-i[1], i[0]))][:most]


def _previewed(rows):
    """The rows of a preview; a row that stops the reading is an Invalid on the file."""
    try:
        yield from rows
    except ImportFailed as failed:
        raise Invalid(
            {"file": Msg("row {line}: {reason}", line=failed.line, reason=failed.reason)}
        ) from None


def import_register(
    session: Session,
    user: User,
    case: Case,
    path: str | Path,
    mapping: ColumnMapping,
    *,
    skip_invalid: bool = False,
    file_name: str | None = None,
    progress=None,
) -> RegisterReport:
    """Import every row of a register into ``case``; all of them, or none.

    Raises :class:`~assettrack.domain.ftm.ImportFailed` naming the bad rows (nothing written) unless
    ``skip_invalid``. Rows already imported (same register and id) are updated; a status that
    moved on is recorded as the further decisions, a move the lifecycle forbids (back from
    disposed, say) is reported as a warning and leaves the asset as it is.
    """
    access.require_edit_case(user, case)
    started = time.perf_counter()
    path = Path(path)
    table = read_table(path)
    guessed = not mapping.columns
    if guessed:
        mapping = ColumnMapping(
            columns=suggest_columns(table.headers),
            statuses=mapping.statuses,
            types=mapping.types,
            defaults=mapping.defaults,
            name=mapping.name,
        )
    _check_mapping(mapping, table.headers)
    register = _register_name(mapping, path)
    report = RegisterReport(
        format=table.format,
        file=file_name or path.name,
        case=case.reference,
        encoding=table.encoding,
        delimiter=table.delimiter,
    )
    good: list[_Row] = []
    problems: list[dict] = []
    ids: dict[str, int] = {}
    for count, (line, values) in enumerate(table.rows(), 1):
        row = _read_row(line, values, mapping, register, table.limits.max_cell_chars)
        if row.external_id in ids:
            row.errors.setdefault(
                "external_id",
                Msg(
                    "id {id} is already on row {line}",
                    id=row.external_id,
                    line=ids[row.external_id],
                ),
            )
        if row.errors:
            field_name, message = next(iter(row.errors.items()))
            problems.append(
                {
                    "line": line,
                    "reason": Msg("{field}: {message}", field=field_name, message=message),
                }
            )
            continue
        ids[row.external_id] = line
        good.append(row)
        if progress and count % 5000 == 0:
            progress(min(45, 5 + count // 5000), "reading")
    if progress:
        progress(45, "reading")
    if problems and not skip_invalid:
        raise ImportFailed(problems)
    report.skipped = problems
    report.mapping = mapping.as_dict()
    if guessed:
        report.warnings.append(
            {
                "message": "no column mapping given: the columns were guessed from the headers",
                "lines": [1],
                "count": 1,
            }
        )
    writer = _RegisterWriter(session, user, case, mapping, register, table, path, report)
    writer.write(good, progress)
    report.seconds = time.perf_counter() - started
    return report


def register_counts(
    session: Session,
    organisation_id: int,
    *,
    register: str | None = None,
    case_id: int | None = None,
) -> dict:
    """Count an organisation's register-listed assets by region, by status and by stage.

    Returns ``{"total": n, "by_region": [{"region", "count"}], "by_status": [{"status",
    "target", "count"}], "by_stage": [{"stage", "count"}]}``, each list largest first. A region
    or status the register left unknown is ``None``. ``by_stage`` is the assets' stage now
    (decisions recorded since the import included). ``register`` or ``case_id`` narrow it.
    """
    entry = RegisterEntry.__table__
    conditions = [entry.c.organisation_id == organisation_id]
    if register is not None:
        conditions.append(entry.c.register_name == register)
    if case_id is not None:
        in_case = select(CaseEntity.entity_id).where(CaseEntity.case_id == case_id)
        conditions.append(entry.c.entity_id.in_(in_case))
    live = select(Entity.id).where(
        Entity.organisation_id == organisation_id, Entity.merged_into_id.is_(None)
    )
    conditions.append(entry.c.entity_id.in_(live))
    count = func.count().label("count")
    by_region = session.execute(
        select(entry.c.region, count).where(*conditions).group_by(entry.c.region)
    ).all()
    by_status = session.execute(
        select(entry.c.status_label, entry.c.target, count)
        .where(*conditions)
        .group_by(entry.c.status_label, entry.c.target)
    ).all()
    by_stage = session.execute(
        select(Asset.stage, count)
        .join(entry, entry.c.entity_id == Asset.entity_id)
        .where(*conditions)
        .group_by(Asset.stage)
    ).all()
    return {
        "total": sum(row.count for row in by_region),
        "by_region": _largest_first({"region": r.region, "count": r.count} for r in by_region),
        "by_status": _largest_first(
            {"status": r.status_label, "target": r.target, "count": r.count} for r in by_status
        ),
        "by_stage": _largest_first({"stage": r.stage, "count": r.count} for r in by_stage),
    }


def save_mapping(
    session: Session, user: User, name: str, mapping: ColumnMapping
) -> RegisterMapping:
    """Save ``mapping`` under ``name`` for the user's organisation (replacing one of that name)."""
    access.require_edit_organisation(user, user.organisation_id)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid({"name": Msg("give the mapping a name of 1 to 100 characters")})
    _check_mapping(mapping, None)
    row = session.scalar(
        select(RegisterMapping).where(
            RegisterMapping.organisation_id == user.organisation_id, RegisterMapping.name == name
        )
    )
    before = _mapping_of(row).as_dict() if row else None
    if row is None:
        row = RegisterMapping(
            organisation_id=user.organisation_id, name=name, created_by_id=user.id
        )
    row.columns = json.dumps(mapping.columns, ensure_ascii=False, sort_keys=True)
    row.statuses = json.dumps(mapping.statuses, ensure_ascii=False, sort_keys=True)
    row.types = json.dumps(mapping.types, ensure_ascii=False, sort_keys=True)
    row.defaults = json.dumps(mapping.defaults, ensure_ascii=False, sort_keys=True)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    mapping.name = name
    audit.record(
        session,
        user,
        audit.Action.UPDATE if before else audit.Action.CREATE,
        "register_mapping",
        row.id,
        details={"name": name, "before": before, "after": mapping.as_dict()}
        if before
        else mapping.as_dict(),
        organisation_id=user.organisation_id,
    )
    return row


def get_mapping(session: Session, organisation_id: int, name: str) -> ColumnMapping:
    """Return the mapping saved as ``name`` by the organisation, else NotFound."""
    row = session.scalar(
        select(RegisterMapping).where(
            RegisterMapping.organisation_id == organisation_id, RegisterMapping.name == name
        )
    )
    if row is None:
        raise NotFound(f"no register mapping called {name!r}")
    return _mapping_of(row)


def list_mappings(session: Session, organisation_id: int) -> list[ColumnMapping]:
    """Return the organisation's saved mappings, by name."""
    rows = session.scalars(
        select(RegisterMapping)
        .where(RegisterMapping.organisation_id == organisation_id)
        .order_by(RegisterMapping.name)
    )
    return [_mapping_of(row) for row in rows]


def mapping_from_params(session: Session, organisation_id: int, params: dict) -> ColumnMapping:
    """Build a mapping from request or job parameters: a saved ``mapping`` name, then
    ``columns``, ``statuses``, ``types`` and ``defaults`` (pairs text or objects) on top."""
    name = params.get("mapping")
    mapping = get_mapping(session, organisation_id, name) if name else ColumnMapping()
    for key in ("columns", "statuses", "types", "defaults"):
        given = params.get(key)
        if isinstance(given, str) and given.strip().startswith("{"):
            try:
                given = json.loads(given)
            except ValueError:
                raise Invalid({key: Msg("is not a JSON object")}) from None
        getattr(mapping, key).update(parse_pairs(given))
    return mapping


# --- the writer ------------------------------------------------------------------------------


class _RegisterWriter:
    def __init__(self, session, user, case, mapping, register, table, path, report):
        self.session = session
        self.user = user
        self.case = case
        self.mapping = mapping
        self.register = register
        self.table = table
        self.path = path
        self.report = report
        self.org = session.get(Organisation, case.organisation_id)
        self.now = utcnow()
        self.today = org_today(self.org)
        self.paths: dict = {}
        # (label, tuple of steps) -> [(asset id, state before each step)]
        self.moves: dict[tuple, list] = {}
        self.planned: dict[int, int] = {}
        self.run: RegisterImport | None = None

    def write(self, rows: list[_Row], progress) -> None:
        self.run = RegisterImport(
            organisation_id=self.org.id,
            case_id=self.case.id,
            register_name=self.register,
            mapping_name=self.mapping.name,
            mapping=json.dumps(self.mapping.as_dict(), ensure_ascii=False, sort_keys=True),
            file_name=self.report.file[:255],
            file_sha256=_sha256(self.path),
            encoding=self.table.encoding or "xlsx",
            delimiter=self.table.delimiter,
            entered_by_id=self.user.id,
        )
        self.session.add(self.run)
        self.session.flush()
        self.report.import_id = self.run.id
        for number, start in enumerate(range(0, len(rows), _BATCH), 1):
            self._batch(rows[start : start + _BATCH])
            if progress:
                progress(50 + int(40 * min(1.0, number * _BATCH / max(len(rows), 1))), "writing")
        self._decisions()
        for row in rows:
            label = row.label if row.label is not None else "unknown"
            self.report.statuses[label] = self.report.statuses.get(label, 0) + 1
            target = row.target or "label only"
            self.report.targets[target] = self.report.targets.get(target, 0) + 1
            self.report.counts[row.schema] = self.report.counts.get(row.schema, 0) + 1
        self.report.entities = len(rows)
        self.report.counts = dict(sorted(self.report.counts.items()))
        self.run.rows_read = len(rows) + len(self.report.skipped)
        self.run.created = self.report.created
        self.run.updated = self.report.updated
        self.run.unchanged = self.report.unchanged
        self.run.skipped = len(self.report.skipped)
        self.session.add(self.run)
        if self.report.created or self.report.linked or self.report.updated:
            self.case.updated_at = self.now
            self.session.add(self.case)
            audit.record(
                self.session,
                self.user,
                audit.Action.CREATE,
                "collection",
                self.case.id,
                details={
                    "format": self.table.format,
                    "register": self.register,
                    "file": self.report.file,
                    "case": self.case.reference,
                    "import": self.run.id,
                    "counts": self.report.counts,
                    "statuses": self.report.statuses,
                    "created": self.report.created,
                    "updated": self.report.updated,
                    "unchanged": self.report.unchanged,
                    "linked": self.report.linked,
                    "decisions": self.report.decisions,
                    "skipped_lines": [p["line"] for p in self.report.skipped[:100]],
                },
                organisation_id=self.org.id,
            )
        self.session.flush()

    def _batch(self, rows: list[_Row]) -> None:
        table = Entity.__table__
        existing = {
            row.external_id: row
            for row in self.session.execute(
                select(table.c.id, table.c.external_id, table.c.schema, table.c.properties).where(
                    table.c.organisation_id == self.org.id,
                    table.c.external_id.in_([r.external_id for r in rows]),
                )
            )
        }
        fresh = [r for r in rows if r.external_id not in existing]
        known = [(r, existing[r.external_id]) for r in rows if r.external_id in existing]
        self._insert(fresh)
        self._update(known)

    def _insert(self, rows: list[_Row]) -> None:
        if not rows:
            return
        table = Entity.__table__
        entity_rows = []
        for row in rows:
            caption = _caption(row)
            entity_rows.append(
                {
                    "organisation_id": self.org.id,
                    "schema": row.schema,
                    "caption": caption[:500],
                    "caption_norm": normalise_name(caption)[:500],
                    "properties": _json(row.properties),
                    "external_id": row.external_id,
                    "merged_into_id": None,
                    "created_by_id": self.user.id,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
        result = self.session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), entity_rows
        )
        links, assets, entries, valuations = [], [], [], []
        traced = lifecycle.AssetState(lifecycle.Stage.TRACED)
        for row, entity_id in zip(rows, [r.id for r in result], strict=True):
            links.append(
                {
                    "case_id": self.case.id,
                    "entity_id": entity_id,
                    "role": "other",
                    "source_grade": None,
                    "info_grade": None,
                    "as_asset": row.schema == "Company",
                    "note": None,
                    "created_at": self.now,
                }
            )
            state = self._plan(entity_id, traced, row)
            assets.append(
                {
                    "entity_id": entity_id,
                    "organisation_id": self.org.id,
                    "stage": state.stage.value,
                    "urgent_unconfirmed": False,
                    "urgent_expires_on": None,
                    "confiscation_final": state.confiscation_final,
                    "last_decided_on": state.last_decided_on,
                    "estimated_value": row.value,
                    "currency": row.currency,
                    "manager": self._manager() if state.stage is Stage.MANAGED else None,
                    "version": 1 + self._steps_planned(entity_id),
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
            entries.append(self._entry(entity_id, row))
            if row.value is not None:
                valuations.append(self._valuation(entity_id, row))
        self._rows(CaseEntity, links)
        self._rows(Asset, assets)
        self._rows(RegisterEntry, entries)
        self._rows(Valuation, valuations)
        # Provenance (issue #12): each value came from this register row.
        provenance.record_sources(
            self.session,
            [
                source
                for row, entity_id in zip(rows, [link["entity_id"] for link in links], strict=True)
                for source in provenance.source_rows(
                    entity_id,
                    row.properties,
                    provenance.SourceKind.REGISTER,
                    user_id=self.user.id,
                    file_name=self.report.file,
                    line=row.line,
                    recorded_at=self.now,
                )
            ],
        )
        self.report.created += len(rows)

    def _update(self, pairs) -> None:
        if not pairs:
            return
        ids = [existing.id for _row, existing in pairs]
        assets = {
            a.entity_id: a
            for a in self.session.scalars(
                select(Asset).where(Asset.entity_id.in_(ids)).with_for_update()
            )
        }
        entries = {
            e.entity_id: e
            for e in self.session.scalars(
                select(RegisterEntry).where(RegisterEntry.entity_id.in_(ids))
            )
        }
        linked = set(
            self.session.scalars(
                select(CaseEntity.entity_id).where(
                    CaseEntity.case_id == self.case.id, CaseEntity.entity_id.in_(ids)
                )
            )
        )
        entity_updates, links, new_entries, asset_updates, valuations = [], [], [], [], []
        for row, existing in pairs:
            entity_id = existing.id
            old = json.loads(existing.properties)
            entry = entries.get(entity_id)
            changed = old != row.properties or existing.schema != row.schema
            moved = entry is None or entry.status_label != row.label or entry.target != row.target
            if changed:
                caption = _caption(row)
                entity_updates.append(
                    {
                        "b_id": entity_id,
                        "schema": row.schema,
                        "caption": caption[:500],
                        "caption_norm": normalise_name(caption)[:500],
                        "properties": _json(row.properties),
                        "updated_at": self.now,
                    }
                )
                audit.record(
                    self.session,
                    self.user,
                    audit.Action.UPDATE,
                    "entity",
                    entity_id,
                    details={
                        "properties": _changes(old, row.properties),
                        "import": row.external_id,
                    },
                    organisation_id=self.org.id,
                )
            if entity_id not in linked:
                links.append(
                    {
                        "case_id": self.case.id,
                        "entity_id": entity_id,
                        "role": "other",
                        "source_grade": None,
                        "info_grade": None,
                        "as_asset": row.schema == "Company",
                        "note": None,
                        "created_at": self.now,
                    }
                )
            if entry is None:
                new_entries.append(self._entry(entity_id, row))
            elif moved or entry.region != row.region or entry.city != row.city:
                entry.status_label, entry.target = row.label, row.target
                entry.region, entry.city = row.region, row.city
                entry.row = _json(row.raw)
                entry.import_id = self.run.id
                entry.updated_at = self.now
                self.session.add(entry)
            asset = assets.get(entity_id)
            revalued = (
                asset is not None
                and row.value is not None
                and (asset.estimated_value != row.value or asset.currency != row.currency)
            )
            if asset is not None and moved and row.target is not None:
                state = self._plan(entity_id, _state(asset), row)
            else:
                state, self.planned[entity_id] = None, 0
            steps = self._steps_planned(entity_id)
            if asset is not None and (steps or revalued):
                values = {
                    "b_id": entity_id,
                    "stage": asset.stage,
                    "urgent_unconfirmed": asset.urgent_unconfirmed,
                    "urgent_expires_on": asset.urgent_expires_on,
                    "confiscation_final": asset.confiscation_final,
                    "last_decided_on": asset.last_decided_on,
                    "manager": asset.manager,
                    "estimated_value": asset.estimated_value,
                    "currency": asset.currency,
                    "version": asset.version + max(steps, 1),
                    "updated_at": self.now,
                }
                if steps:
                    values.update(
                        stage=state.stage.value,
                        urgent_unconfirmed=state.urgent_unconfirmed,
                        urgent_expires_on=None,
                        confiscation_final=state.confiscation_final,
                        last_decided_on=state.last_decided_on,
                    )
                    if state.stage is lifecycle.Stage.MANAGED:
                        values["manager"] = self._manager()
                if revalued:
                    values.update(estimated_value=row.value, currency=row.currency)
                    valuations.append(self._valuation(entity_id, row))
                asset_updates.append(values)
            if changed or moved or revalued:
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        if entity_updates:
            table = Entity.__table__
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    {k: bindparam(k) for k in entity_updates[0] if k != "b_id"},
                )
                .execution_options(synchronize_session=False),
                entity_updates,
            )
        if asset_updates:
            table = Asset.__table__
            self.session.execute(
                update(table)
                .where(table.c.entity_id == bindparam("b_id"))
                .values({k: bindparam(k) for k in asset_updates[0] if k != "b_id"})
                .execution_options(synchronize_session=False),
                asset_updates,
            )
            for asset in assets.values():
                self.session.expire(asset)
        self._rows(CaseEntity, links)
        self._rows(RegisterEntry, new_entries)
        self._rows(Valuation, valuations)
        self.report.linked += len(links)

    def _plan(self, entity_id, state, row, current=None) -> lifecycle.AssetState:
        """Plan the decisions that bring an asset from ``state`` to its row's target."""
        self.planned[entity_id] = 0
        if row.target is None:
            return state
        steps = self._path(state, row.target)
        if steps is None:
            self.report.warnings.append(
                {
                    "message": f"status {row.label!r} means {row.target}, which a "
                    f"{state.stage.value} asset cannot reach; left as it is",
                    "lines": [row.line],
                    "count": 1,
                }
            )
            return state
        key = (
            row.label,
            row.target,
            state.stage.value,
            tuple((action, tuple(sorted(flags.items()))) for action, flags in steps),
        )
        befores = []
        for action, flags in steps:
            befores.append(state)
            state = lifecycle.next_state(state, action, decided_on=self.today, **flags)
        if steps:
            self.moves.setdefault(key, []).append((entity_id, befores, state))
        self.planned[entity_id] = len(steps)
        return state

    def _steps_planned(self, entity_id) -> int:
        return self.planned.get(entity_id, 0)

    def _path(self, state: lifecycle.AssetState, target: str):
        """Return the shortest list of ``(action, flags)`` from ``state`` to ``target``."""
        key = (state.stage, state.urgent_unconfirmed, state.confiscation_final, target)
        if key in self.paths:
            return self.paths[key]
        start = lifecycle.AssetState(
            state.stage,
            urgent_unconfirmed=state.urgent_unconfirmed,
            confiscation_final=state.confiscation_final,
        )
        queue = [(start, [])]
        seen = {(start.stage, start.urgent_unconfirmed, start.confiscation_final)}
        found = None
        while queue:
            current, steps = queue.pop(0)
            if _reached(current, target):
                found = steps
                break
            for action, flags in lifecycle.allowed_moves(current):
                if flags.get("urgent"):
                    continue  # a register records orders, not an urgent freeze to confirm
                nxt = lifecycle.next_state(current, action, **flags)
                marker = (nxt.stage, nxt.urgent_unconfirmed, nxt.confiscation_final)
                if marker not in seen:
                    seen.add(marker)
                    queue.append((nxt, [*steps, (action, flags)]))
        self.paths[key] = found
        return found

    def _decisions(self) -> None:
        decision_table = Decision.__table__
        link_rows = []
        for (label, _target, _stage, steps), assets in self.moves.items():
            for position, (action, flag_items) in enumerate(steps):
                flags = dict(flag_items)
                values = {
                    "case_id": self.case.id,
                    "organisation_id": self.org.id,
                    "action": action.value,
                    "decided_on": self.today,
                    "authority": _cut(self.mapping.defaults.get("authority") or self.register, 200),
                    "reference": _cut(f"{self.register}, import {self.run.id}", 200),
                    "legal_basis": _cut(f'status "{label}" in the register {self.register}', 500),
                    "urgent": False,
                    "lapse_acknowledged": False,
                    "early_sale": False,
                    "final": bool(flags.get("final")),
                    "manager": self._manager() if action is lifecycle.Action.MANAGE else None,
                    "reason": f'register status "{label}"'
                    if action is lifecycle.Action.RELEASE
                    else None,
                    "currency": "EUR",
                    "source": "register",
                    "register_label": _cut(label or "", 200) or None,
                    "entered_by_id": self.user.id,
                    "entered_at": self.now,
                }
                decision_id = self.session.execute(
                    insert(decision_table).returning(decision_table.c.id), [values]
                ).scalar_one()
                self.report.decisions += 1
                for entity_id, befores, final_state in assets:
                    before = befores[position]
                    after = befores[position + 1] if position + 1 < len(befores) else final_state
                    link_rows.append(
                        {
                            "decision_id": decision_id,
                            "asset_id": entity_id,
                            "stage_before": before.stage.value,
                            "stage_after": after.stage.value,
                            "state_before": json.dumps(_state_dict(before, self._manager())),
                            "amount": None,
                        }
                    )
                if len(link_rows) >= 5000:
                    self._rows(DecisionAsset, link_rows)
                    link_rows = []
        self._rows(DecisionAsset, link_rows)
        if self.moves:
            self.case.review_on = max(self.case.review_on, review_date(self.today))

    def _entry(self, entity_id, row) -> dict:
        return {
            "entity_id": entity_id,
            "organisation_id": self.org.id,
            "import_id": self.run.id,
            "register_name": self.register,
            "status_label": _cut(row.label, 200),
            "target": row.target,
            "region": _cut(row.region, 200),
            "city": _cut(row.city, 200),
            "row": _json(row.raw),
            "updated_at": self.now,
        }

    def _valuation(self, entity_id, row) -> dict:
        return {
            "asset_id": entity_id,
            "valued_on": self.today,
            "amount": row.value,
            "currency": row.currency,
            "basis": _cut(f"value in the register {self.register}", 200),
            "valuer": _cut(self.register, 200),
            "entered_by_id": self.user.id,
            "entered_at": self.now,
        }

    def _manager(self) -> str:
        return _cut(self.mapping.defaults.get("manager") or ftm_schema.UNKNOWN, 200)

    def _rows(self, model, rows) -> None:
        if rows:
            self.session.execute(insert(model.__table__), rows)


# --- helpers ---------------------------------------------------------------------------------


def _read_row(
    line: int, values: dict, mapping: ColumnMapping, register: str, max_cell: int
) -> _Row:
    for column, text in values.items():
        if len(text) > max_cell:
            # Nothing else of the row is read: a cell this long is not an asset's data.
            return _Row(
                line=line, external_id="", schema="Asset", properties={}, label=None,
                target=None, region=None, city=None, value=None, currency="", raw={},
                errors={column: Msg(
                    "{length} characters; the limit is {limit}", length=len(text), limit=max_cell
                )},
            )
    errors: dict = {}
    notes: list = []

    def cell(field_name):
        column = mapping.columns.get(field_name)
        if not column:
            return None, False
        text = values.get(column)
        if is_unknown(text):
            return None, True
        return " ".join(str(text).split()), True

    schema_name = _schema_of(cell("schema"), mapping, errors)
    properties: dict[str, list[str]] = {}
    name, mapped = cell("name")
    if mapped:
        properties["name"] = [name or ftm_schema.UNKNOWN]
    address, address_mapped = cell("address")
    city, _ = cell("city")
    region, _ = cell("region")
    parts = [part for part in (address, city, region) if part]
    if parts:
        properties["address"] = [", ".join(parts)]
    elif address_mapped:
        properties["address"] = [ftm_schema.UNKNOWN]
    country, country_mapped = cell("country")
    country = country or (None if country_mapped else mapping.defaults.get("country"))
    if country:
        properties["country"] = [country]
    elif country_mapped:
        properties["country"] = [ftm_schema.UNKNOWN]
    value = None
    raw_value, _ = cell("value")
    if raw_value:
        try:
            value = parse_amount(raw_value, mapping.defaults.get("decimal"))
        except ValueError as error:
            errors["value"] = Msg("{value}: {problem}", value=raw_value, problem=str(error))
        else:
            try:
                value = read_amount(value)
            except MoneyRefused as refused:
                problem = refused.message
                errors["value"] = Msg("{value}: {problem}", value=raw_value, problem=problem)
                value = None
    currency, _ = cell("currency")
    currency = (currency or mapping.defaults.get("currency") or "EUR").upper()
    if currency not in ISO_4217_CURRENCIES:
        errors["currency"] = Msg("{value} is not an ISO 4217 currency code", value=currency)
    label, _ = cell("status")
    target = mapping.target_of(label)
    if label is not None and target is None:
        notes.append(Msg("no stage for status {label}; kept as the register's label", label=label))
    identifier, id_mapped = cell("external_id")
    if id_mapped and identifier is None:
        errors["external_id"] = Msg("no id in this row")
    external_id = _external_id(register, identifier if id_mapped else f"row-{line}")
    if schema_name is not None:
        checked = ftm_schema.validate_properties(schema_name, properties, partial=True)
        for prop, message in checked.errors.items():
            errors[_FIELD_OF.get(prop, prop)] = message
        properties = dict(sorted(checked.properties.items()))
    return _Row(
        line=line,
        external_id=external_id,
        schema=schema_name or "Asset",
        properties=properties,
        label=label,
        target=target,
        region=region,
        city=city,
        value=value,
        currency=currency,
        raw=values,
        errors=errors,
        notes=notes,
    )


_FIELD_OF = {"name": "name", "address": "address", "country": "country"}


def _schema_of(cell, mapping: ColumnMapping, errors) -> str | None:
    text, mapped = cell
    default = mapping.defaults.get("schema")
    if not mapped or text is None:
        schema_name = default or ("Asset" if not mapped else None)
        if schema_name is None:
            errors["schema"] = Msg("the type is unknown and the mapping gives no default schema")
            return None
    else:
        schema_name = None
        for given in (mapping.types, DEFAULT_TYPES):
            folded = {k.casefold(): v for k, v in given.items()}
            if text.casefold() in folded:
                schema_name = folded[text.casefold()]
                break
        if schema_name is None and ftm_schema.is_asset_schema(text, marked_as_asset=True):
            schema_name = text
        if schema_name is None:
            errors["schema"] = Msg(
                "type {value} is not an asset schema; map it to one (RealEstate, Vessel...)",
                value=text,
            )
            return None
    if not ftm_schema.is_asset_schema(schema_name, marked_as_asset=True):
        errors["schema"] = Msg("{schema} is not an asset schema", schema=schema_name)
        return None
    return schema_name


def _check_mapping(mapping: ColumnMapping, headers: list[str] | None) -> None:
    errors = {}
    for field_name, column in mapping.columns.items():
        if field_name not in FIELDS:
            errors[f"columns.{field_name}"] = Msg(
                "unknown field; expected one of {choices}", choices=", ".join(FIELDS)
            )
        elif headers is not None and column not in headers:
            errors[f"columns.{field_name}"] = Msg(
                "no column {column} in the file; the columns are {headers}",
                column=column,
                headers=", ".join(headers),
            )
    for label, target in mapping.statuses.items():
        if target and target not in REGISTER_TARGETS:
            errors[f"statuses.{label}"] = Msg(
                "unknown stage {target}; expected one of {choices}",
                target=target,
                choices=", ".join(REGISTER_TARGETS),
            )
    for label, schema_name in mapping.types.items():
        if not ftm_schema.is_asset_schema(schema_name, marked_as_asset=True):
            errors[f"types.{label}"] = Msg("{schema} is not an asset schema", schema=schema_name)
    decimal = mapping.defaults.get("decimal")
    if decimal not in (None, "", ".", ","):
        errors["defaults.decimal"] = Msg('must be "." or ","')
    if errors:
        raise Invalid(errors)


def _reached(state: lifecycle.AssetState, target: str) -> bool:
    if target == "confiscated_final":
        return state.stage is lifecycle.Stage.CONFISCATED and state.confiscation_final
    return state.stage.value == target and not state.urgent_unconfirmed


def _state(asset: Asset) -> lifecycle.AssetState:
    return lifecycle.AssetState(
        asset.stage,
        urgent_unconfirmed=asset.urgent_unconfirmed,
        confiscation_final=asset.confiscation_final,
        last_decided_on=asset.last_decided_on,
    )


def _state_dict(state: lifecycle.AssetState, manager: str) -> dict:
    return {
        "stage": state.stage.value,
        "urgent_unconfirmed": state.urgent_unconfirmed,
        "urgent_expires_on": None,
        "confiscation_final": state.confiscation_final,
        "last_decided_on": state.last_decided_on.isoformat() if state.last_decided_on else None,
        "manager": manager if state.stage is lifecycle.Stage.MANAGED else None,
    }


def _register_name(mapping: ColumnMapping, path: Path) -> str:
    name = mapping.defaults.get("register") or mapping.name or Path(path).stem
    return _cut(name, 100)


def _external_id(register: str, identifier: str) -> str:
    text = f"reg-{register}-{identifier}"
    clean = _ID_KEEP.sub("-", text).strip("-.")
    if len(clean) > 200:
        clean = clean[:180] + "-" + hashlib.sha1(text.encode()).hexdigest()[:12]  # noqa: S324
    return clean


def _caption(row: _Row) -> str:
    return ftm_schema.caption(row.schema, row.properties)


def _changes(old: dict, new: dict) -> dict:
    return {
        key: [old.get(key), new.get(key)]
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }


def _largest_first(items) -> list[dict]:
    return sorted(items, key=lambda item: (-item["count"], str(next(iter(item.values())))))


def _mapping_of(row: RegisterMapping) -> ColumnMapping:
    return ColumnMapping(
        columns=json.loads(row.columns),
        statuses=json.loads(row.statuses),
        types=json.loads(row.types),
        defaults=json.loads(row.defaults),
        name=row.name,
    )


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum()).casefold()


def _shown(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, the cut marked with how much was left out."""
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}… [+{len(text) - limit} characters]"


def _cut(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _detect_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(3)
        if head == codecs.BOM_UTF8:
            return "utf-8-sig"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        # Latin-1 and Windows-1252 differ only in 0x80-0x9F (control codes in Latin-1, "€",
        # curly quotes... in Windows-1252): a file using them is Windows-1252 if it decodes.
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("cp1252")()
        uses_c1 = False
        try:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                uses_c1 = uses_c1 or any(0x80 <= byte <= 0x9F for byte in chunk)
                decoder.decode(chunk)
        except UnicodeDecodeError:
            return "latin-1"
        return "cp1252" if uses_c1 else "latin-1"


def _detect_delimiter(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, newline="") as fh:
        sample = fh.read(65536)
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and len(sample) == 65536:
        lines = lines[:-1]  # the last line may be cut
    text = "".join(lines[:50])
    best, best_fields = ",", 0
    for delimiter in _DELIMITERS:
        try:
            widths = [
                len(r)
                for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
                if r
            ]
        except csv.Error:  # the reader proper names the row
            continue
        if not widths or widths[0] < 2:
            continue
        consistent = sum(1 for w in widths if w == widths[0]) / len(widths)
        if consistent >= 0.9 and widths[0] > best_fields:
            best, best_fields = delimiter, widths[0]
    return best


def _csv_records(path, encoding, delimiter, limits: RegisterLimits, *, head: bool = False):
    """Yield ``(row number, values)`` of every CSV record, header included (row 1).

    Lines are read at most a row's worth of characters at a time, ``head`` stops after
    ``preview_bytes``; a line too long or a CSV the reader refuses is an ImportFailed naming
    the row.
    """
    # A row holds at most max_columns cells of max_cell_chars, with their quotes and delimiters.
    longest = (limits.max_cell_chars + 3) * limits.max_columns
    number = 1
    with path.open("rb") as raw:
        if head:
            data = raw.read(limits.preview_bytes)
            text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(data)
            if len(data) == limits.preview_bytes:
                text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]  # the last line is cut
            lines = io.StringIO(text, newline="")
        else:
            lines = io.TextIOWrapper(raw, encoding=encoding, newline="")
        reader = csv.reader(_bounded_lines(lines, longest), delimiter=delimiter)
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except (csv.Error, _LineTooLong) as error:
                problem = {"line": number, "reason": _csv_problem(error, longest)}
                raise ImportFailed([problem]) from None
            yield number, values
            number += 1


class _LineTooLong(Exception):
    pass


def _bounded_lines(lines, longest: int):
    while line := lines.readline(longest + 1):
        if len(line) > longest:
            raise _LineTooLong()
        yield line


def _csv_problem(error: Exception, longest: int) -> Msg:
    if isinstance(error, _LineTooLong):
        return Msg("a line is longer than {limit} characters", limit=longest)
    text = str(error)
    if "field larger than field limit" in text:
        return Msg("a cell is longer than {limit} characters", limit=CSV_FIELD_LIMIT)
    return Msg("not readable as CSV: {error}", error=text[:200])


def _csv_rows(path, encoding, delimiter, headers, limits, *, head=False):
    records = _csv_records(path, encoding, delimiter, limits, head=head)
    next(records, None)
    for number, values in records:
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(headers) and any(v.strip() for v in values[len(headers) :]):
            values = values[: len(headers)] + [" ".join(values[len(headers) :])]
        yield number, {h: (values[i] if i < len(values) else "") for i, h in enumerate(headers)}


def _xlsx_headers(path: Path) -> list[str]:
    with _workbook(path) as sheet:
        try:
            for values in sheet.iter_rows(values_only=True, max_row=1):
                headers = [_cell_text(v).strip() for v in values]
                while headers and not headers[-1]:
                    headers.pop()  # a sheet's declared width often runs past its columns
                return headers
        except _XLSX_ERRORS as error:
            raise Invalid({"file": _xlsx_problem(error)}) from None
        return []


def _xlsx_rows(path, headers) -> Iterator[tuple[int, dict[str, str]]]:
    with _workbook(path) as sheet:
        number = 1
        rows = sheet.iter_rows(values_only=True, min_row=2, max_col=len(headers))
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except _XLSX_ERRORS as error:
                raise ImportFailed([{"line": number + 1, "reason": _xlsx_problem(error)}]) from None
            number += 1
            texts = [_cell_text(v) for v in values]
            if not any(t.strip() for t in texts):
                continue
            yield number, {h: (texts[i] if i < len(texts) else "") for i, h in enumerate(headers)}


@contextmanager
def _workbook(path):
    """The first worksheet of an XLSX file already checked by :func:`check_xlsx`."""
    from openpyxl import load_workbook

    # Opened as a file: given a name, openpyxl refuses any not ending .xlsx (uploads do not).
    with Path(path).open("rb") as fh:
        try:
            book = load_workbook(fh, read_only=True, data_only=True)
            sheet = book.worksheets[0]
        except _XLSX_ERRORS as error:
            raise Invalid({"file": _xlsx_problem(error)}) from None
        try:
            yield sheet
        finally:
            book.close()


def _xlsx_problem(error: Exception) -> Msg:
    text = str(error)[:200] or type(error).__name__
    return Msg("not a readable XLSX workbook: {error}", error=text)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)
