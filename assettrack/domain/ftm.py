"""FollowTheMoney (FtM) streams in and out of assettrack, one entity at a time.

Reading
    :func:`iter_items` reads an FtM file as it comes from Aleph, OpenAleph, OpenSanctions or
    ``ftm`` tools: JSON lines (one entity per line) or one JSON array of entities (parsed
    incrementally with ``ijson``), plain or gzip-compressed (told by the magic bytes, not the file
    name). Memory stays flat however large the file is: one entity is in memory at a time.
    :class:`ReadLimits` bounds what a hostile file can cost: the length of a line (or array
    item), the nesting depth of JSON (measured before the JSON parser sees it), the bytes a
    gzip file unpacks to and its compression ratio. A line past a limit is an error naming it.

Checking
    :class:`Scan` is the first of the two passes of an import. It checks every entity
    (:func:`check_entity`): an object with an ``id`` FtM accepts, a schema FtM has, property
    values that pass :func:`assettrack.domain.schema.validate_properties` (an IBAN with wrong check
    digits is an error), a relation with at least one entity at each end (several values at an
    end become several edges: :func:`relation_pairs`). What it keeps per
    entity is small: the id, the schema and the line, plus the references not yet resolved. The
    checked entity goes to a spill file (JSON lines in a temporary directory) that the second pass
    writes to the database from, so no entity is validated twice and none is held in memory.
    A reference to an entity that is neither in the file nor already imported (``known``) is
    *dangling*: an error for a relation's end (the edge cannot be drawn), a warning for a property
    such as ``addressEntity``. A property FtM requires but the entity lacks (a ``Person`` without
    ``name``) is a warning, not an error.

Schemata
    The schemata assettrack models (:mod:`domain.schema`) are checked property by property.
    Any other FtM schema (``Sanction``, ``Debt``, ``PublicBody``...) is kept as it came
    (DOMAIN.md), its values only checked to be text. A name FtM does not have (``Persn``) or one of
    FtM's abstract schemata (``Thing``) is an error.

Writing
    :func:`entity_line` builds one exported FtM line: ``id``, ``schema``, ``properties`` and,
    when there is anything to carry, the assettrack extension under
    :data:`domain.schema.EXTENSION_KEY` (local properties, unknown markers, the entity's role
    and grades in the case, the asset's lifecycle). docs/ftm.md describes the extension.

The module touches no database; the services in :mod:`assettrack.services.imports` drive it.
"""

import calendar
import gzip
import json
import marshal
import os
import re
import zlib
from collections.abc import Container
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from itertools import accumulate
from pathlib import Path

import ijson

from ..errors import DomainError
from ..errors import Msg
from . import schema as ftm_schema
from .involvement import CASE_ROLES
from .involvement import INFO_GRADES
from .involvement import SOURCE_GRADES
from .money import MoneyRefused
from .money import read_amount

__all__ = [
    "FTM_SCHEMATA",
    "FTM_ABSTRACT_SCHEMATA",
    "ID_MAX_LENGTH",
    "ImportFailed",
    "Item",
    "ReadLimits",
    "json_depth_exceeds",
    "Record",
    "Scan",
    "iter_items",
    "open_stream",
    "is_gzip",
    "is_ftm_id",
    "check_entity",
    "relation_columns",
    "relation_pairs",
    "relation_edges",
    "exported_ends",
    "entity_line",
    "start_of",
    "end_of",
]

#: FollowTheMoney's schemata, from the library (:mod:`assettrack.domain.schema`).
FTM_SCHEMATA = ftm_schema.FTM_SCHEMATA
FTM_ABSTRACT_SCHEMATA = ftm_schema.FTM_ABSTRACT_SCHEMATA
#: Longest FtM id kept (the width of ``entity.external_id``).
ID_MAX_LENGTH = 200

_ID_RE = re.compile(r"[0-9a-zA-Z]([0-9a-zA-Z.\-]*[0-9a-zA-Z])?")  # FtM's EntityType
_GZIP_MAGIC = b"\x1f\x8b"
_MAX_WARNINGS_PER_LINE = 20
_TEXT_TYPES = frozenset({"name", "string", "text", "address"})
_MAX_WARNING_KINDS = 500
# The compression ratio is judged once this much is unpacked: a small file of a few repeated
# lines compresses far better than real data does.
_RATIO_FLOOR = 16 * 1024 * 1024
# A JSON string (with its escapes), removed before brackets are counted.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_STARTS = frozenset({"start_map", "start_array"})
_ENDS = frozenset({"end_map", "end_array"})
_GZIP_ERRORS = (gzip.BadGzipFile, zlib.error, EOFError)


@dataclass(frozen=True)
class ReadLimits:
    """How much of an FtM or BODS file is read (the ``IMPORT_*`` settings of config.py)."""

    max_line_bytes: int
    max_depth: int
    max_bytes: int
    max_ratio: int

    @classmethod
    def from_config(cls, config: Mapping | None = None) -> "ReadLimits":
        """Read the limits from an app's ``config`` (default: the defaults of config.py)."""
        if config is None:
            from .. import config as defaults

            config = vars(defaults)
        return cls(
            max_line_bytes=int(config["IMPORT_MAX_LINE_BYTES"]),
            max_depth=int(config["IMPORT_MAX_JSON_DEPTH"]),
            max_bytes=int(config["IMPORT_MAX_BYTES"]),
            max_ratio=int(config["IMPORT_MAX_RATIO"]),
        )


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """Tell whether the JSON text ``data`` nests arrays and objects deeper than ``limit``.

    Cheap enough to run before the parser (whose memory or stack grows with the depth):
    brackets inside strings do not count.

    >>> json_depth_exceeds(b'{"a": [[1]], "b": "[[[[["}', 3), json_depth_exceeds(b"[[[[]]]]", 3)
    (False, True)
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(_DEPTH_STEP[b] for b in brackets), default=0) > limit


class ImportFailed(DomainError):
    """An import file has bad lines; nothing was written.

    Attributes
    ----------
    problems : list of dict
        ``{"line": n, "reason": text}``, in line order. ``line`` is the line of a JSON lines
        file, the position (from 1) of the item of a JSON array, or the row of a register.
    line, reason
        The first problem's, for a one-line message.
    """

    status = 422
    title = "Import failed"

    def __init__(self, problems: list[dict], detail: str = ""):
        problems = sorted(problems, key=lambda p: p.get("line") or 0)
        shown = "; ".join(f"line {p['line']}: {p['reason']}" for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(
            detail or f"{len(problems)} bad line(s), nothing imported: {shown}{more}",
            problems=[{"line": p["line"], "reason": str(p["reason"])} for p in problems[:500]],
        )
        self.problems = problems
        self.line = problems[0]["line"] if problems else None
        self.reason = problems[0]["reason"] if problems else None


@dataclass(frozen=True)
class Item:
    """One item read from a file: its value, or why it could not be read.

    ``fatal`` marks an error after which nothing more can be read (a broken JSON array).
    """

    line: int
    value: object = None
    error: str | None = None
    fatal: bool = False


@dataclass
class Record:
    """One checked FtM entity, as the second pass writes it.

    ``case`` holds what the extension says about the entity in the case (``role``,
    ``source_grade``, ``info_grade``, ``as_asset``, ``note``; for a relation the grades);
    ``edges`` holds one ``(source, target, columns)`` per edge the relation draws
    (:func:`relation_pairs`): the FtM ids at its ends and its typed columns
    (:func:`relation_columns`) as JSON-friendly strings; ``source``, ``target`` and ``columns``
    are those of the first edge.
    """

    line: int
    id: str
    schema: str
    properties: dict[str, list[str]]
    case: dict = field(default_factory=dict)
    source: str | None = None
    target: str | None = None
    columns: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)

    @property
    def several_ends(self) -> bool:
        """Whether an end of the relation holds several entities (then it draws several edges)."""
        if not self.is_relation:
            return False
        (_, sources), (_, targets), _share = _ends(self.schema, self.properties)
        return len(sources) > 1 or len(targets) > 1

    @property
    def is_relation(self) -> bool:
        """Whether the entity is an edge (Ownership, Payment...)."""
        return ftm_schema.is_relation_schema(self.schema)

    def dump(self, fh) -> None:
        """Append the record to a spill file (opened in binary mode)."""
        # marshal: the fastest format for plain data, read back only from our own temporary
        # file in the same run.
        marshal.dump(
            (
                self.line,
                self.id,
                self.schema,
                self.properties,
                self.case,
                self.source,
                self.target,
                self.columns,
                self.extra,
                self.edges,
            ),
            fh,
        )

    @classmethod
    def load(cls, fh) -> "Record":
        """Read the next record of a spill file; raise EOFError at its end."""
        line, id_, schema, properties, case, source, target, columns, extra, edges = marshal.load(  # noqa: S302
            fh
        )
        edges = [tuple(edge) for edge in edges]
        return cls(line, id_, schema, properties, case, source, target, columns, [], extra, edges)


def is_gzip(path: str | os.PathLike) -> bool:
    """Tell whether the file at ``path`` is gzip-compressed (by its first two bytes)."""
    with open(path, "rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def open_stream(path: str | os.PathLike):
    """Open ``path`` for reading bytes, decompressing gzip; return ``(stream, raw_file)``.

    ``raw_file.tell()`` over the file size gives the fraction read, also for gzip.
    """
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller
    if raw.read(2) == _GZIP_MAGIC:
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    raw.seek(0)
    return raw, raw


def iter_items(
    path: str | os.PathLike, *, on_progress=None, limits: ReadLimits | None = None
) -> Iterator[Item]:
    """Yield the items of a JSON lines file or of a JSON array, one at a time.

    Parameters
    ----------
    path : path-like
        The file, plain or gzip-compressed. A file whose first character (after a byte-order
        mark and white space) is ``[`` is one JSON array; anything else is JSON lines, blank
        lines skipped.
    on_progress : callable, optional
        Called now and then with the fraction of the file read (0.0 to 1.0).
    limits : ReadLimits, optional
        The limits (default: those of config.py). A line longer than ``max_line_bytes`` or
        nested deeper than ``max_depth`` is an error item; an array item past them, a file
        unpacking past ``max_bytes`` or compressed more than ``max_ratio`` times ends the
        reading with a ``fatal`` item.

    Yields
    ------
    Item
        Numbers come as :class:`decimal.Decimal`, never floats. An unreadable line is an item
        with ``error``; a broken array ends with a ``fatal`` item.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    ...     _ = f.write('[{"id": "a"}, 7.5]')
    >>> [(item.line, item.value) for item in iter_items(f.name)]
    [(1, {'id': 'a'}), (2, Decimal('7.5'))]
    >>> os.unlink(f.name)
    """
    limits = limits or ReadLimits.from_config()
    stream, raw = open_stream(path)
    size = max(os.fstat(raw.fileno()).st_size, 1)
    try:
        try:
            head = stream.read(4096)
            stream.seek(0)
        except _GZIP_ERRORS:
            head = b""
        guard = _Guarded(stream, raw, limits)
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if text.startswith(b"["):
            yield from _array_items(guard, raw, size, on_progress, limits)
        else:
            yield from _line_items(guard, raw, size, on_progress, limits)
    finally:
        stream.close()
        raw.close()
    if on_progress is not None:
        on_progress(1.0)


def is_ftm_id(value: object) -> bool:
    """Tell whether ``value`` is an id FtM accepts (letters, digits, dots and dashes).

    >>> is_ftm_id("bods-fermcat-per-5faa4103dee78621"), is_ftm_id("a_b"), is_ftm_id("")
    (True, False, False)
    """
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def check_entity(line: int, raw: object) -> Record:
    """Check one FtM entity and return it clean, or raise :class:`LineError` saying why.

    Parameters
    ----------
    line : int
        Where the entity is in the file (kept on the record).
    raw : object
        The parsed JSON value.

    Returns
    -------
    Record
        Properties normalised by :func:`assettrack.domain.schema.validate_properties` (extension
        properties and markers merged back), the case facts of the extension, and for a relation
        its ends and columns. Warnings: properties kept as they came, required properties
        missing, extension values ignored.

    Raises
    ------
    LineError
        Not an object, no usable ``id`` or ``schema``, a refused value, a relation without an
        entity at an end.

    Examples
    --------
    >>> record = check_entity(3, {"id": "p1", "schema": "Payment", "properties": {
    ...     "payer": ["a"], "beneficiary": ["b"], "amountEur": ["100.50"], "date": ["2011"]}})
    >>> record.source, record.target, record.columns["amount"], record.columns["currency"]
    ('a', 'b', '100.50', 'EUR')
    >>> check_entity(4, {"id": "x", "schema": "Persn", "properties": {}})
    Traceback (most recent call last):
    ...
    assettrack.domain.ftm.LineError: unknown FollowTheMoney schema 'Persn'
    """
    if not isinstance(raw, dict):
        raise LineError(Msg("not a JSON object"))
    entity_id = raw.get("id")
    if entity_id is None or (isinstance(entity_id, str) and not entity_id.strip()):
        raise LineError(Msg("no id"))
    if not is_ftm_id(entity_id):
        raise LineError(
            Msg(
                "id {id} is not a FollowTheMoney id (letters, digits, dots and dashes)",
                id=_shown(entity_id),
            )
        )
    if len(entity_id) > ID_MAX_LENGTH:
        raise LineError(
            Msg(
                "id is {length} characters long; the limit is {limit}",
                length=len(entity_id),
                limit=ID_MAX_LENGTH,
            )
        )
    schema_name = raw.get("schema")
    if not isinstance(schema_name, str) or not schema_name:
        raise LineError(Msg("no schema"))
    if schema_name in FTM_ABSTRACT_SCHEMATA:
        raise LineError(
            Msg(
                "{schema} is an abstract FollowTheMoney schema, not one of an entity",
                schema=schema_name,
            )
        )
    if schema_name not in FTM_SCHEMATA:
        raise LineError(Msg("unknown FollowTheMoney schema {schema}", schema=repr(schema_name)))
    properties = raw.get("properties", {})
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise LineError(Msg("properties must be an object of property names and lists of values"))
    extension = raw.get(ftm_schema.EXTENSION_KEY) or {}
    if not isinstance(extension, dict):
        raise LineError(Msg("{key} must be an object", key=ftm_schema.EXTENSION_KEY))
    warnings: list[str] = []
    try:
        ftm_schema.get_schema(schema_name)
    except ftm_schema.UnknownSchema:
        clean = _kept_as_is(properties)
    else:
        clean = _checked(schema_name, properties, extension, warnings)
    record = Record(line, entity_id, schema_name, clean, warnings=warnings)
    record.case = _case_facts(schema_name, extension, warnings)
    if ftm_schema.is_relation_schema(schema_name):
        _relation_ends(record)
    return record


class LineError(Exception):
    """Why one line of an import file is refused (a :class:`~assettrack.errors.Msg`)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def relation_columns(schema_name: str, properties: Mapping[str, list[str]]):
    """Return the typed columns of a relation read from its FtM properties, and warnings.

    ``role`` (``role``, else ``relationship``), ``percentage``, ``percentage_min``,
    ``percentage_max`` (an exact share fills all three, a band only the bounds), ``start_date``
    and ``end_date`` (a partial date widened: a start of ``"2020"`` is 1 January, an end
    31 December), and for a payment ``amount``, ``currency`` (``amountEur`` alone means EUR) and
    ``paid_on`` (a full date only). Values are strings (ISO dates, decimal text) or None.

    Examples
    --------
    >>> columns, _ = relation_columns("Ownership", {"owner": ["a"], "asset": ["b"],
    ...     "percentage": ["25-50"], "startDate": ["2020"], "endDate": ["2021-02"]})
    >>> columns["percentage"], columns["percentage_min"], columns["percentage_max"]
    (None, '25', '50')
    >>> columns["start_date"], columns["end_date"]
    ('2020-01-01', '2021-02-28')
    """
    warnings: list[str] = []

    def first(prop):
        values = [v for v in properties.get(prop, ()) if not ftm_schema.is_marker(v)]
        if len(values) > 1:
            warnings.append(f"{prop}: {len(values)} values; the first is used for the column")
        return values[0] if values else None

    columns: dict = {}
    role = first("role") or first("relationship")
    columns["role"] = role[:200] if role else None
    columns["percentage"] = columns["percentage_min"] = columns["percentage_max"] = None
    if schema_name == "Ownership":
        share = first("percentage")
        bounds = _percentage_bounds(share, warnings) if share else None
        if bounds is not None:
            low, high = bounds
            columns["percentage_min"], columns["percentage_max"] = str(low), str(high)
            if low == high:
                columns["percentage"] = str(low)
    start = _date_or_none(first("startDate"), start_of)
    end = _date_or_none(first("endDate"), end_of)
    if start and end and end < start:
        # Kept in the properties as FtM accepts it; as a period it means nothing (DECISIONS #11).
        warnings.append("the end date is before the start date; the relation counts as undated")
        start = end = None
    columns["start_date"] = start.isoformat() if start else None
    columns["end_date"] = end.isoformat() if end else None
    columns["amount"] = columns["currency"] = columns["paid_on"] = None
    if schema_name == "Payment":
        amount, currency = first("amount"), first("currency")
        if amount is None and first("amountEur") is not None:
            amount, currency = first("amountEur"), "EUR"
        if amount is not None:
            try:
                read_amount(amount)
            except MoneyRefused:
                warnings.append(
                    f"amount {amount}: too large or too precise for the amount column; kept in "
                    "the properties only"
                )
            else:
                columns["amount"], columns["currency"] = amount, currency
        paid = first("date")
        if paid and len(paid) >= 10:
            columns["paid_on"] = paid[:10]
    return columns, warnings


def _percentage_bounds(share: str, warnings: list[str]):
    # A share FtM accepts but that is no percentage of 0-100 ("120", "n/a %") stays in the
    # properties; the typed columns stay empty and the import report says why.
    try:
        return ftm_schema.parse_percentage(share)
    except ftm_schema.InvalidValue as error:
        warnings.append(f"{error.message}; the share is left unknown")
        return None


def _date_or_none(value: str | None, read) -> date | None:
    if not value:
        return None
    try:
        return read(value)
    except ValueError:
        return None


def start_of(value: str) -> date:
    """Return the first day a partial FtM date can mean.

    >>> start_of("2020"), start_of("2020-05"), start_of("2020-05-17T10:00")
    (datetime.date(2020, 1, 1), datetime.date(2020, 5, 1), datetime.date(2020, 5, 17))
    """
    year, month, day = _date_parts(value)
    return date(year, month or 1, day or 1)


def end_of(value: str) -> date:
    """Return the last day a partial FtM date can mean.

    >>> end_of("2020"), end_of("2024-02"), end_of("2020-05-17")
    (datetime.date(2020, 12, 31), datetime.date(2024, 2, 29), datetime.date(2020, 5, 17))
    """
    year, month, day = _date_parts(value)
    month = month or 12
    return date(year, month, day or calendar.monthrange(year, month)[1])


def entity_line(
    entity_id: str,
    schema_name: str,
    properties: Mapping[str, Iterable[str]],
    extra: Mapping[str, object] | None = None,
) -> dict:
    """Build one FtM line: FtM properties, and the extension when there is something to carry.

    Local properties and markers leave the FtM ``properties`` for the extension
    (:func:`assettrack.domain.schema.export_properties`); ``extra`` adds assettrack's own facts to the
    extension (``case``, ``asset``, ``relation``). A schema outside the registry is written as it
    was kept. A property FtM requires whose only value is a marker keeps it on the FtM side too
    when its type is text (a person whose name is "unknown"), so the line stays valid FtM.

    Examples
    --------
    >>> entity_line("v1", "Vehicle", {"vin": ["WVWZZZ1JZXW000001"], "model": ["Golf"]},
    ...             {"case": {"role": "other"}})
    {'id': 'v1', 'schema': 'Vehicle', 'properties': {'model': ['Golf']}, 'assettrack': {'properties': {'vin': ['WVWZZZ1JZXW000001']}, 'case': {'role': 'other'}}}
    >>> entity_line("p1", "Person", {"name": ["unknown"]})
    {'id': 'p1', 'schema': 'Person', 'properties': {'name': ['unknown']}, 'assettrack': {'unknown': ['name']}}
    """  # noqa: E501
    try:
        ftm, extension = ftm_schema.export_properties(schema_name, properties)
    except ftm_schema.UnknownSchema:
        ftm, extension = {k: list(v) for k, v in properties.items()}, {}
    else:
        info = ftm_schema.get_schema(schema_name)
        for prop in info.required:
            spec = info.properties.get(prop)
            values = list(properties.get(prop) or ())
            if prop not in ftm and values and spec is not None and spec.type in _TEXT_TYPES:
                ftm[prop] = values
    line = {"id": entity_id, "schema": schema_name, "properties": ftm}
    extension.update({k: v for k, v in (extra or {}).items() if v})
    if extension:
        line[ftm_schema.EXTENSION_KEY] = extension
    return line


class Scan:
    """The first pass of an import: check every entity, remember ids, spill the good ones.

    Feed it the items of a file (:meth:`feed`), then :meth:`resolve` the references it could
    not resolve within the file against what the organisation already holds. ``problems`` then
    lists the bad lines; :meth:`entities` and :meth:`relations` give back the good records, in
    file order, from the spill files in ``workdir``.

    Parameters
    ----------
    workdir : path-like
        A directory for the two spill files (a temporary directory the caller removes).
    prepare : callable, optional
        Called with each good record before it is spilled; it may fill ``record.extra`` with
        what the second pass needs (a caption, identifiers), so that work is done once.
    """

    def __init__(self, workdir: str | os.PathLike, *, prepare=None):
        workdir = Path(workdir)
        self.problems: list[dict] = []
        self.warnings: dict[str, list[int]] = {}
        self.warning_counts: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.fatal = False
        self.skipped_lines: set[int] = set()
        # id -> (line, schema) of every good line; id -> line of every bad line with an id.
        self._seen: dict[str, tuple[int, str]] = {}
        self._bad_ids: dict[str, int] = {}
        # Forward references: id -> [(line, property, is_relation_end)].
        self._pending: dict[str, list[tuple[int, str, bool]]] = {}
        self._entity_path = workdir / "entities.jsonl"
        self._relation_path = workdir / "relations.jsonl"
        self._entity_out = self._entity_path.open("wb")
        self._relation_out = self._relation_path.open("wb")
        self.prepare = prepare
        self.entity_count = 0
        self.relation_count = 0

    def feed(self, item: Item | tuple[int, object]) -> Record | None:
        """Check one item; return its record when it is good."""
        if not isinstance(item, Item):
            item = Item(*item)
        if item.error is not None:
            self._problem(item.line, item.error)
            self.fatal = self.fatal or item.fatal
            return None
        try:
            record = check_entity(item.line, item.value)
        except LineError as error:
            self._problem(item.line, error.reason)
            value = item.value if isinstance(item.value, dict) else {}
            if is_ftm_id(value.get("id")) and value["id"] not in self._seen:
                self._bad_ids.setdefault(value["id"], item.line)
            return None
        if record.id in self._seen:
            first_line = self._seen[record.id][0]
            self._problem(
                record.line,
                Msg("id {id} is already used on line {line}", id=record.id, line=first_line),
            )
            return None
        self._seen[record.id] = (record.line, _intern(record.schema))
        for message in record.warnings[:_MAX_WARNINGS_PER_LINE]:
            self.warn(record.line, message)
        for prop, ref, is_end in _references(record):
            self._check_reference(record.line, prop, ref, is_end)
        if record.is_relation:
            if self.prepare is not None:
                self.prepare(record)
            record.dump(self._relation_out)
            self.relation_count += 1
        else:
            if self.prepare is not None:
                self.prepare(record)
            record.dump(self._entity_out)
            self.entity_count += 1
        return record

    def pending_ids(self) -> set[str]:
        """The ids referred to but not (or not yet) seen among the good lines."""
        return {ref for ref in self._pending if ref not in self._seen}

    def resolve(self, known: Mapping[str, str]) -> None:
        """Settle the references left open, given ``known`` (FtM id -> schema) in the database.

        A relation whose end is neither a good line nor known is a problem; a dangling property
        reference is a warning.
        """
        self._entity_out.close()
        self._relation_out.close()
        for ref, uses in self._pending.items():
            if ref in self._seen:
                schema_name = self._seen[ref][1]
            elif ref in known:
                schema_name = known[ref]
            else:
                for line, prop, is_end in uses:
                    if is_end and ref in self._bad_ids:
                        self._problem(
                            line,
                            Msg(
                                "{property} {id} is on line {line}, which is refused",
                                property=prop,
                                id=ref,
                                line=self._bad_ids[ref],
                            ),
                        )
                    elif is_end:
                        self._problem(
                            line,
                            Msg(
                                "{property} {id} is neither in the file nor imported before",
                                property=prop,
                                id=ref,
                            ),
                        )
                    else:
                        self.warn(
                            line, f"{prop}: an entity neither in the file nor imported before"
                        )
                continue
            for line, prop, _is_end in uses:
                self._check_range(line, prop, ref, schema_name)
        self._pending.clear()
        self.skipped_lines = {p["line"] for p in self.problems}

    def known_schema(self, entity_id: str) -> str | None:
        """The schema of a good line's id, or None."""
        seen = self._seen.get(entity_id)
        return seen[1] if seen else None

    def entities(self) -> Iterator[Record]:
        """The good non-relation records, in file order (after :meth:`resolve`)."""
        yield from self._read(self._entity_path)

    def relations(self) -> Iterator[Record]:
        """The good relation records, in file order (after :meth:`resolve`)."""
        yield from self._read(self._relation_path)

    def warn(self, line: int, message: str) -> None:
        """Record a warning; the same message on many lines is kept once with its lines."""
        key = _warning_key(message)
        if key not in self.warnings and len(self.warnings) >= _MAX_WARNING_KINDS:
            key = "more warnings of other kinds"
        lines = self.warnings.setdefault(key, [])
        self.warning_counts[key] = self.warning_counts.get(key, 0) + 1
        if len(lines) < 100:
            lines.append(line)

    def close(self) -> None:
        """Close the spill files (also done by :meth:`resolve`)."""
        self._entity_out.close()
        self._relation_out.close()

    def _read(self, path: Path) -> Iterator[Record]:
        with path.open("rb") as fh:
            while True:
                try:
                    record = Record.load(fh)
                except EOFError:
                    return
                if record.line in self.skipped_lines:
                    continue
                self.counts[record.schema] = self.counts.get(record.schema, 0) + 1
                yield record

    def _problem(self, line: int, reason: str) -> None:
        self.problems.append({"line": line, "reason": reason})

    def _check_reference(self, line, prop, ref, is_end) -> None:
        seen = self._seen.get(ref)
        if seen is None:
            self._pending.setdefault(ref, []).append((line, prop, is_end))
        else:
            self._check_range(line, prop, ref, seen[1])

    def _check_range(self, line, prop, ref, target_schema) -> None:
        # FtM's range (Ownership:asset is an Asset) is checked only between modelled schemata;
        # real exports bend it (a Directorship of a LegalEntity), so a mismatch only warns.
        if not ftm_schema.is_native_schema(target_schema):
            return
        expected = _RANGES.get(prop)
        if expected and not ftm_schema.get_schema(target_schema).is_a(expected):
            self.warn(line, f"{prop}: a {target_schema}, where FollowTheMoney expects {expected}")


# --- helpers ---------------------------------------------------------------------------------

_RANGES = {
    "owner": "LegalEntity",
    "asset": "Asset",
    "director": "LegalEntity",
    "payer": "LegalEntity",
    "beneficiary": "LegalEntity",
    "employee": "Person",
    "employer": "Organization",
    "member": "LegalEntity",
    "person": "Person",
    "relative": "Person",
    "associate": "Person",
    "agent": "LegalEntity",
    "client": "LegalEntity",
    "addressEntity": "Address",
    "holder": "LegalEntity",
}
_INTERNED: dict[str, str] = {}


def _intern(text: str) -> str:
    return _INTERNED.setdefault(text, text)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _warning_key(message: str) -> str:
    return str(message)


class _LimitReached(Exception):
    def __init__(self, reason: Msg):
        super().__init__(reason)
        self.reason = reason


class _Guarded:
    """A byte stream that counts what it hands out and stops at the limits.

    ``mark()`` starts a new item; an item longer than ``max_line_bytes`` stops the reading
    too (for JSON arrays, where the parser would otherwise buffer it whole).
    """

    def __init__(self, stream, raw, limits: ReadLimits):
        self.stream = stream
        self.raw = raw
        self.limits = limits
        self.compressed = stream is not raw
        self.count = 0
        self.item_start: int | None = None

    def mark(self) -> None:
        self.item_start = self.count

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # ijson's probe of the stream's type
        size = size if size and size > 0 else 64 * 1024  # never unbounded
        return self._counted(self.stream.read, size)

    def readline(self, size: int) -> bytes:
        return self._counted(self.stream.readline, size)

    def _counted(self, read, size: int) -> bytes:
        try:
            data = read(size)
        except _GZIP_ERRORS as error:
            reason = Msg("the gzip file is broken: {error}", error=str(error)[:200])
            raise _LimitReached(reason) from None
        self.count += len(data)
        limits = self.limits
        if self.count > limits.max_bytes:
            raise _LimitReached(
                Msg("the file holds more than {limit} bytes once unpacked", limit=limits.max_bytes)
            )
        if (
            self.compressed
            and self.count > _RATIO_FLOOR
            and self.count > limits.max_ratio * max(self.raw.tell(), 1)
        ):
            raise _LimitReached(
                Msg(
                    "the file is compressed more than {limit} times; it is refused as a "
                    "decompression bomb",
                    limit=limits.max_ratio,
                )
            )
        if self.item_start is not None and self.count - self.item_start > limits.max_line_bytes:
            raise _LimitReached(
                Msg("an item is longer than {limit} bytes", limit=limits.max_line_bytes)
            )
        return data


def _array_items(guard: _Guarded, raw, size, on_progress, limits) -> Iterator[Item]:
    # Events without prefixes (ijson's prefixes grow with the square of the depth); items are
    # built here, and a depth past the limit stops before anything deeper is built.
    position = 0
    builder, depth = None, 0
    try:
        events = ijson.basic_parse(guard, use_float=False)
        next(events, None)  # the array's start
        for event, value in events:
            if builder is None:
                if event == "end_array":
                    break
                builder, depth = ijson.ObjectBuilder(), 0
                guard.mark()
            if event in _STARTS:
                depth += 1
                if depth > limits.max_depth:
                    raise _LimitReached(
                        Msg("nested deeper than {limit} levels", limit=limits.max_depth)
                    )
            elif event in _ENDS:
                depth -= 1
            builder.event(event, value)
            if depth == 0:
                position += 1
                yield Item(position, builder.value)
                builder = None
                guard.item_start = None
                if on_progress is not None and position % 2000 == 0:
                    on_progress(raw.tell() / size)
    except _LimitReached as stop:
        yield Item(
            position + 1,
            error=Msg(
                "{reason}; nothing after item {position} can be read",
                reason=stop.reason,
                position=position,
            ),
            fatal=True,
        )
    except ijson.JSONError as error:
        yield Item(
            position + 1,
            error=Msg(
                "the JSON array is broken after item {position}: {error}; nothing after it "
                "can be read",
                position=position,
                error=str(error)[:200],
            ),
            fatal=True,
        )


def _line_items(guard: _Guarded, raw, size, on_progress, limits) -> Iterator[Item]:
    number = 0
    try:
        for number, line in enumerate(_bounded_lines(guard, limits.max_line_bytes), 1):
            if line is None:
                yield Item(
                    number, error=Msg("longer than {limit} bytes", limit=limits.max_line_bytes)
                )
                continue
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            if not line.strip():
                continue
            if json_depth_exceeds(line, limits.max_depth):
                yield Item(
                    number, error=Msg("nested deeper than {limit} levels", limit=limits.max_depth)
                )
                continue
            try:
                value = json.loads(line, parse_float=Decimal)
            except UnicodeDecodeError:
                yield Item(number, error=Msg("not UTF-8 text"))
                continue
            except json.JSONDecodeError as error:
                yield Item(
                    number,
                    error=Msg(
                        "not valid JSON: {error} (column {column})",
                        error=error.msg,
                        column=error.colno,
                    ),
                )
                continue
            yield Item(number, value)
            if on_progress is not None and number % 2000 == 0:
                on_progress(raw.tell() / size)
    except _LimitReached as stop:
        yield Item(
            number + 1,
            error=Msg("{reason}; nothing after it can be read", reason=stop.reason),
            fatal=True,
        )


def _bounded_lines(guard: _Guarded, longest: int) -> Iterator[bytes | None]:
    """Each line of the stream, or None for one longer than ``longest`` (skipped, not held)."""
    while line := guard.readline(longest + 1):
        if len(line) > longest and not line.endswith(b"\n"):
            while (rest := guard.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line


def _kept_as_is(properties: Mapping) -> dict[str, list[str]]:
    clean: dict[str, list[str]] = {}
    for prop, raw_values in properties.items():
        if not isinstance(prop, str) or not prop:
            raise LineError(Msg("{property}: not a property name", property=_shown(prop)))
        values = raw_values if isinstance(raw_values, list) else [raw_values]
        kept = []
        for value in values:
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
                raise LineError(
                    Msg("{property}: {value} is not text", property=prop, value=_shown(value))
                )
            text = str(value).strip()
            if text and text not in kept:
                kept.append(text)
        if kept:
            clean[prop] = kept
    return dict(sorted(clean.items()))


def _checked(schema_name, properties, extension, warnings) -> dict[str, list[str]]:
    info = ftm_schema.get_schema(schema_name)
    merged = ftm_schema.import_properties(schema_name, properties, extension)
    checked = ftm_schema.validate_properties(schema_name, merged, partial=True, imported=True)
    if checked.errors:
        prop, message = next(iter(checked.errors.items()))
        more = len(checked.errors) - 1
        reason = Msg("{property}: {message}", property=prop, message=message)
        if more:
            reason = Msg(
                "{property}: {message} (and {count} more problems)",
                property=prop,
                message=message,
                count=more,
            )
        raise LineError(reason)
    if info.kind is not ftm_schema.Kind.OTHER:
        warnings.extend(checked.warnings)
    ends = (info.edge.source, info.edge.target) if info.edge else ()
    for prop in info.required:
        if prop not in checked.properties and prop not in ends:
            warnings.append(f"{prop}: required by FollowTheMoney but missing")
    return dict(sorted(checked.properties.items()))


def _relation_ends(record: Record) -> None:
    source_prop, target_prop = ftm_schema.relation_endpoints(record.schema)
    for prop in (source_prop, target_prop):
        if not record.properties.get(prop):
            raise LineError(
                Msg(
                    "{schema} without {property}: a relation needs an entity at each end",
                    schema=record.schema,
                    property=prop,
                )
            )
    # An Ownership whose owner is its asset is a company holding its own (treasury) shares:
    # real data, kept; effective ownership leaves it out of the chains and says so.
    edges, notes = relation_edges(record.schema, record.properties)
    for source, target, columns, column_warnings in edges:
        record.edges.append((source, target, columns))
        record.warnings.extend(w for w in column_warnings if w not in record.warnings)
    record.warnings.extend(notes)
    record.source, record.target, record.columns = record.edges[0]


def relation_pairs(
    sources: list[str], targets: list[str], shares: list[str] | None = None
) -> tuple[str, list[tuple[int, int]]]:
    """Return how a relation's ends make edges, and the edges as indexes into the ends.

    FtM allows several values at a relation's end (merging fragments that share an id does it:
    both directions of a mutual holding in one ``Ownership``). DECISIONS #11: when both ends
    hold one value, that is the one edge (``"single"``); when the ends and ``shares`` (an
    Ownership's percentages) hold the same number of values, they are read as pairs by
    position, one edge each with its own share (``"pairs"``); otherwise each source × target
    pair is an edge of unknown share (``"each"``), leaving out a pair whose two ends are the
    same entity: a self-holding is only an owner equal to the asset it is *paired* with, never
    inferred from an entity that appears at both ends.

    Examples
    --------
    >>> relation_pairs(["a"], ["a"], ["1.81"])
    ('single', [(0, 0)])
    >>> relation_pairs(["a", "b"], ["b", "a"], ["10", "20"])
    ('pairs', [(0, 0), (1, 1)])
    >>> relation_pairs(["a", "b"], ["b", "a"], ["10"])
    ('each', [(0, 0), (1, 1)])
    >>> relation_pairs(["p", "q"], ["c"])
    ('each', [(0, 0), (1, 0)])
    """
    if len(sources) == 1 and len(targets) == 1:
        return "single", [(0, 0)]
    if shares and len(sources) == len(targets) == len(shares):
        return "pairs", [(i, i) for i in range(len(sources))]
    pairs = [
        (i, j)
        for i, source in enumerate(sources)
        for j, target in enumerate(targets)
        if source != target
    ]
    return ("each", pairs) if pairs else ("single", [(0, 0)])


#: The property that holds a relation's share, per schema: read as pairs by position.
_SHARE_PROPERTY = {"Ownership": "percentage"}
#: What an edge of unknown share leaves empty (a payment's amount cannot be split by pair).
_PER_PAIR_PROPERTIES = {"Ownership": ("percentage",), "Payment": ("amount", "amountEur")}


def _ends(schema_name: str, properties: Mapping[str, list[str]]):
    """``(property, values)`` of a relation's source, target and share (no share: empty)."""
    source_prop, target_prop = ftm_schema.relation_endpoints(schema_name)
    share_prop = _SHARE_PROPERTY.get(schema_name, "")
    return tuple(
        (prop, list(properties.get(prop, ())) if prop else [])
        for prop in (source_prop, target_prop, share_prop)
    )


def relation_edges(schema_name: str, properties: Mapping[str, list[str]]):
    """Return the edges a relation draws, each with its typed columns, and notes for the report.

    Each edge is ``(source id, target id, columns, warnings)`` (:func:`relation_pairs` says
    which pairs; :func:`relation_columns` reads each edge's columns from the relation's
    properties with its own ends and, read as pairs, its own share). The properties themselves
    are kept as they came.

    Examples
    --------
    >>> edges, notes = relation_edges("Ownership", {"owner": ["a", "b"], "asset": ["b", "a"],
    ...     "percentage": ["10", "20"]})
    >>> [(s, t, c["percentage"]) for s, t, c, _ in edges]
    [('a', 'b', '10'), ('b', 'a', '20')]
    >>> notes[0].endswith("read as 2 pairs by position, one edge each with its own share")
    True
    >>> edges, notes = relation_edges("Ownership", {"owner": ["a", "b"], "asset": ["b", "a"]})
    >>> [(s, t, c["percentage"]) for s, t, c, _ in edges]
    [('a', 'b', None), ('b', 'a', None)]
    """
    (source_prop, sources), (target_prop, targets), (share_prop, shares) = _ends(
        schema_name, properties
    )
    mode, pairs = relation_pairs(sources, targets, shares)
    notes: list[str] = []
    if mode == "pairs":
        notes.append(
            f"{source_prop}, {target_prop} and {share_prop} hold {len(sources)} values each: "
            f"read as {len(pairs)} pairs by position, one edge each with its own share"
        )
    elif mode == "each":
        unknown = "share" if schema_name == "Ownership" else "amount"
        notes.append(
            f"{source_prop}: {len(sources)} values, {target_prop}: {len(targets)} values: "
            f"each {source_prop} × {target_prop} pair is an edge of unknown {unknown}"
            if schema_name in _PER_PAIR_PROPERTIES
            else f"{source_prop}: {len(sources)} values, {target_prop}: {len(targets)} values: "
            f"each {source_prop} × {target_prop} pair is an edge"
        )
        both = sorted(set(sources) & set(targets))
        if both:
            notes.append(
                f"an entity at both ends of a relation with several values is not read as "
                f"holding itself ({len(both)})"
            )
    edges = []
    for k, (i, j) in enumerate(pairs):
        own = dict(properties)
        own[source_prop], own[target_prop] = [sources[i]], [targets[j]]
        if mode == "pairs":
            own[share_prop] = [shares[k]]
        elif mode == "each":
            for prop in _PER_PAIR_PROPERTIES.get(schema_name, ()):
                own.pop(prop, None)
        columns, warnings = relation_columns(schema_name, own)
        edges.append((sources[i], targets[j], columns, warnings))
    return edges, notes


def exported_ends(
    schema_name: str,
    properties: Mapping[str, list[str]],
    parts: Mapping[int, tuple[str, str]],
    present: Container[str] = (),
) -> dict[str, list[str]]:
    """Return a relation with several values at an end as an export gives it back.

    ``properties`` are the relation's properties as they came (ends included); ``parts`` maps
    each exported edge (its ``part``, the position in :func:`relation_pairs`) to the ids its
    ends have now. Each end value becomes the id its entity has now (after a merge, the
    survivor's); a value none of the exported edges reaches stays as it is when it is among the
    ``present`` ids (an entity of the export), else it is left out, and read as pairs the share
    of a pair left out goes with it. Nothing else changes.

    Examples
    --------
    >>> props = {"owner": ["a", "b"], "asset": ["b", "a"], "percentage": ["10", "20"]}
    >>> exported_ends("Ownership", props, {0: ("a", "b"), 1: ("b", "a")}) == props
    True
    >>> exported_ends("Ownership", props, {1: ("x", "a")})
    {'asset': ['a'], 'owner': ['x'], 'percentage': ['20']}
    >>> exported_ends("Ownership", {"owner": ["a", "b"], "asset": ["b"]}, {0: ("a", "b")}, {"b"})
    {'asset': ['b'], 'owner': ['a', 'b']}
    """
    (source_prop, sources), (target_prop, targets), (share_prop, shares) = _ends(
        schema_name, properties
    )
    mode, pairs = relation_pairs(sources, targets, shares)
    new_source: dict[int, str] = {}
    new_target: dict[int, str] = {}
    for part, (source, target) in parts.items():
        if part < len(pairs):
            i, j = pairs[part]
            new_source.setdefault(i, source)
            new_target.setdefault(j, target)
    for i, value in enumerate(sources):
        if i not in new_source and mode != "pairs" and value in present:
            new_source[i] = value
    for j, value in enumerate(targets):
        if j not in new_target and mode != "pairs" and value in present:
            new_target[j] = value
    out = dict(properties)
    out[source_prop] = [new_source[i] for i in range(len(sources)) if i in new_source]
    out[target_prop] = [new_target[j] for j in range(len(targets)) if j in new_target]
    if mode == "pairs":
        out[share_prop] = [shares[i] for i in range(len(shares)) if i in new_source]
    return dict(sorted(out.items()))


def _references(record: Record) -> Iterator[tuple[str, str, bool]]:
    if record.is_relation:
        source_prop, target_prop = ftm_schema.relation_endpoints(record.schema)
        for prop in (source_prop, target_prop):
            for value in record.properties[prop]:
                yield prop, value, True
        ends = {source_prop, target_prop}
    else:
        ends = set()
    if not ftm_schema.is_native_schema(record.schema):
        return
    info = ftm_schema.get_schema(record.schema)
    for prop, values in record.properties.items():
        spec = info.properties.get(prop)
        if spec is None or spec.type != "entity" or prop in ends:
            continue
        for value in values:
            yield prop, value, False


def _case_facts(schema_name, extension, warnings) -> dict:
    facts: dict = {}
    for key in ("case", "relation"):
        given = extension.get(key)
        if given is None:
            continue
        if not isinstance(given, dict):
            warnings.append(f"{ftm_schema.EXTENSION_KEY}.{key}: not an object; ignored")
            continue
        for name, allowed in (
            ("role", CASE_ROLES),
            ("source_grade", SOURCE_GRADES),
            ("info_grade", INFO_GRADES),
        ):
            value = given.get(name)
            if value is None:
                continue
            if name == "role" and key == "relation":
                continue
            if value in allowed:
                facts[name] = value
            else:
                warnings.append(f"{ftm_schema.EXTENSION_KEY}.{key}.{name}: {value!r} ignored")
        as_asset = given.get("as_asset")
        if as_asset is True and ftm_schema.is_asset_schema(schema_name, marked_as_asset=True):
            facts["as_asset"] = True
        note = given.get("note")
        if isinstance(note, str) and note.strip():
            facts["note"] = note.strip()
    return facts


def _date_parts(value: str) -> tuple[int, int | None, int | None]:
    parts = value[:10].split("-")
    year = int(parts[0])
    month = int(parts[1]) if len(parts) > 1 else None
    day = int(parts[2]) if len(parts) > 2 else None
    return year, month, day
