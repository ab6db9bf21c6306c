"""Search across everything a user may read: entities by name or identifier, cases by reference
or title, grouped by kind (DECISIONS #12 "One search key").

**The key.** For each entity and case, Python writes one ``search_key`` row (``models.search``):
``terms``, the words of its names, addresses and identifiers normalised by ``normality`` (case,
accents, transliteration of other scripts; punctuation splits words), and ``idents``, its
identifiers written compactly (letters and digits only: ``NL91 ABNA 0417 1643 00`` →
``nl91abna0417164300``). SQLite indexes the row with FTS5, PostgreSQL with a tsvector and
``pg_trgm`` (migration ``w3search_01``); both read the same words, so a query finds the same
rows on both.

**A query** matches a row when every word of the query begins a word of ``terms`` (word order is
free; a word shorter than 3 characters must match whole), or when the query written compactly
(with a leading ``IMO`` dropped) holds a digit, is at least 4 characters long and occurs in
``idents``. Results are scoped by ``access`` (the organisations the user reads; protected persons
only where the user sees their names) and ordered by group, then label.

**Kept current on every write path** without touching the services that write: session events
collect the entities and cases a flush or a Core statement (bulk insert, update, delete) changed,
and the key of each is rebuilt just before the transaction commits (``reindex`` does it at once,
e.g. for a connection outside a session).
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

from followthemoney import model as ftm_model
from normality import normalize
from sqlalchemy import Column
from sqlalchemy import column
from sqlalchemy import delete
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BinaryExpression
from sqlalchemy.sql.elements import BindParameter

from .. import access
from .. import audit
from ..domain import schema as ftm_schema
from ..errors import Invalid
from ..errors import Msg
from ..models import Case
from ..models import CaseEntity
from ..models import Entity
from ..models import EntityIdentifier
from ..models import SearchKey
from ..models import User
from .sharing import is_protected

__all__ = [
    "GROUPS",
    "MAX_QUERY_LENGTH",
    "MAX_WORDS",
    "PAGE_SIZE",
    "GROUP_PREVIEW",
    "RESULT_CAP",
    "Query",
    "Results",
    "words",
    "compact",
    "parse_query",
    "entity_key",
    "case_key",
    "group_of",
    "reindex",
    "reindex_all",
    "search",
]

#: The groups results are listed under, in display order.
GROUPS = ("cases", "people", "companies", "vehicles", "properties", "accounts", "other")
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
#: Results on a page of one group; a search over all groups shows the first few of each.
PAGE_SIZE = 20
GROUP_PREVIEW = 5
#: At most this many matches are read; beyond it the user is asked to narrow the search.
RESULT_CAP = 1000
#: A word shorter than this matches whole, longer ones as a prefix.
PREFIX_FROM = 3
_MAX_WORD = 64
_MAX_TERMS = 4000
_BATCH = 500

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_IMO = re.compile(r"imo(\d{7})")
# Words of a person's name that FtM keeps outside its name-typed properties.
_NAME_PARTS = ("firstName", "middleName", "secondName", "lastName", "fatherName", "motherName")
_NAME_TYPES = {"name", "address"}
_IDENT_TYPES = {"identifier", "iban", "checksum"}
_GROUP_OF_SCHEMA = (
    ("Person", "people"),
    ("LegalEntity", "companies"),
    ("Vehicle", "vehicles"),
    ("RealEstate", "properties"),
    ("BankAccount", "accounts"),
    ("CryptoWallet", "accounts"),
)


# --- the key ---------------------------------------------------------------------------------


def words(value: str | None) -> list[str]:
    """Return the search words of a text: lower case, ASCII (transliterated), no punctuation.

    >>> words("Jóhan  de-Wit"), words("Йохан Шмидт"), words("Ştefan ÇELİK")
    (['johan', 'de', 'wit'], ['johan', 'smidt'], ['stefan', 'celik'])
    """
    folded = normalize(value or "", ascii=True) or ""
    return [w[:_MAX_WORD] for w in _NOT_WORD.split(folded) if w]


def compact(value: str | None) -> str:
    """Return an identifier as letters and digits only, lower case: how identifiers are compared.

    >>> compact("NL91 ABNA 0417 1643 00"), compact("B 123.456"), compact("IMO 9074729")
    ('nl91abna0417164300', 'b123456', 'imo9074729')
    """
    return "".join(words(value))


def group_of(schema_name: str) -> str:
    """Return the group an entity of ``schema_name`` is listed under.

    >>> group_of("Person"), group_of("Company"), group_of("Vessel"), group_of("Security")
    ('people', 'companies', 'vehicles', 'other')
    """
    schema = ftm_model.get(schema_name)
    if schema is None:
        return "other"
    for ancestor, group in _GROUP_OF_SCHEMA:
        if schema.is_a(ancestor):
            return group
    return "other"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _bounded(items: list[str]) -> str:
    out, size = [], 0
    for item in items:
        size += len(item) + 1
        if size > _MAX_TERMS:
            break
        out.append(item)
    return " ".join(out)


def entity_key(
    schema_name: str,
    caption: str,
    properties: dict,
    identifiers: Iterable[tuple[str, str]] = (),
) -> tuple[str, str]:
    """Return ``(terms, idents)`` of an entity: its name words and its compact identifiers.

    >>> entity_key("Vessel", "Sea Breeze", {"name": ["Sea Breeze"], "imoNumber": ["IMO 9074729"]},
    ...            [("imoNumber", "9074729")])
    ('sea breeze imo9074729 9074729', 'imo9074729 9074729')
    """
    try:
        info = ftm_schema.get_schema(schema_name).properties
    except ftm_schema.UnknownSchema:
        info = {}
    names, idents = [caption], []
    for prop, values in properties.items():
        spec = info.get(prop)
        kind = spec.type if spec is not None else None
        values = values if isinstance(values, list) else [values]
        if kind in _NAME_TYPES or prop in _NAME_PARTS:
            names.extend(str(v) for v in values)
        elif kind in _IDENT_TYPES:
            idents.extend(compact(str(v)) for v in values)
    # A scoped identifier is stored with its scope ("lu:B123456"): the number is what people type.
    idents.extend(compact(value.rsplit(":", 1)[-1]) for _kind, value in identifiers)
    idents = _unique(idents)
    terms = _unique(w for name in _unique(names) for w in words(name))
    return _bounded(terms + [i[:_MAX_WORD] for i in idents]), _bounded(idents)


def case_key(reference: str, title: str) -> tuple[str, str]:
    """Return ``(terms, idents)`` of a case: the words of its reference and title.

    >>> case_key("NLRTM-2026-0007", "Reefer containers")
    ('nlrtm 2026 0007 reefer containers', 'nlrtm20260007')
    """
    return _bounded(_unique(words(reference) + words(title))), compact(reference)


def _sort_key(label: str) -> str:
    return " ".join(words(label))[:200]


# --- keeping it current ----------------------------------------------------------------------


def reindex(
    target: Session | Connection,
    entity_ids: Iterable[int] = (),
    case_ids: Iterable[int] = (),
) -> None:
    """Rebuild the search key of these entities and cases now (in the caller's transaction).

    An id that no longer exists (or an entity merged into another) loses its key.
    """
    conn = target.connection() if isinstance(target, Session) else target
    entity_ids, case_ids = sorted(set(entity_ids)), sorted(set(case_ids))
    for start in range(0, len(entity_ids), _BATCH):
        _entity_rows(conn, entity_ids[start : start + _BATCH], replace=True)
    for start in range(0, len(case_ids), _BATCH):
        _case_rows(conn, case_ids[start : start + _BATCH], replace=True)


def reindex_all(conn: Connection, *, fresh: bool = False, batch: int = 2000) -> int:
    """Rebuild the key of every entity and case (the migration, a benchmark); return the rows.

    ``fresh`` skips removing old keys: for an empty ``search_key`` only.
    """
    written = 0
    for table, build in ((Entity.__table__, _entity_rows), (Case.__table__, _case_rows)):
        last = 0
        while True:
            ids = list(
                conn.scalars(
                    select(table.c.id).where(table.c.id > last).order_by(table.c.id).limit(batch)
                )
            )
            if not ids:
                break
            written += build(conn, ids, replace=not fresh)
            last = ids[-1]
    return written


def _entity_rows(conn: Connection, ids: list[int], *, replace: bool) -> int:
    table = Entity.__table__
    ident = EntityIdentifier.__table__
    link = CaseEntity.__table__
    identifiers: dict[int, list] = {}
    for entity_id, kind, value in conn.execute(
        select(ident.c.entity_id, ident.c.kind, ident.c.value).where(ident.c.entity_id.in_(ids))
    ):
        identifiers.setdefault(entity_id, []).append((kind, value))
    roles: dict[int, set] = {}
    for entity_id, role in conn.execute(
        select(link.c.entity_id, link.c.role).where(link.c.entity_id.in_(ids))
    ):
        roles.setdefault(entity_id, set()).add(role)
    rows = []
    for row in conn.execute(
        select(
            table.c.id,
            table.c.organisation_id,
            table.c.schema,
            table.c.caption,
            table.c.properties,
            table.c.merged_into_id,
        ).where(table.c.id.in_(ids))
    ):
        if row.merged_into_id is not None:
            continue
        try:
            properties = json.loads(row.properties or "{}")
        except ValueError:
            properties = {}
        if not isinstance(properties, dict):
            properties = {}
        terms, idents = entity_key(
            row.schema, row.caption or "", properties, identifiers.get(row.id, ())
        )
        label = (row.caption or "")[:500]
        rows.append(
            {
                "kind": "entity",
                "object_id": row.id,
                "organisation_id": row.organisation_id,
                "grp": group_of(row.schema),
                "label": label,
                "detail": row.schema[:200],
                "sort_key": _sort_key(label),
                "protected": any(is_protected(r, row.schema) for r in roles.get(row.id, ())),
                "terms": terms,
                "idents": idents,
            }
        )
    return _write(conn, "entity", ids, rows, replace)


def _case_rows(conn: Connection, ids: list[int], *, replace: bool) -> int:
    table = Case.__table__
    rows = []
    for row in conn.execute(
        select(table.c.id, table.c.organisation_id, table.c.reference, table.c.title).where(
            table.c.id.in_(ids)
        )
    ):
        terms, idents = case_key(row.reference, row.title)
        rows.append(
            {
                "kind": "case",
                "object_id": row.id,
                "organisation_id": row.organisation_id,
                "grp": "cases",
                "label": (row.title or "")[:500],
                "detail": row.reference[:200],
                "sort_key": _sort_key(row.reference),
                "protected": False,
                "terms": terms,
                "idents": idents,
            }
        )
    return _write(conn, "case", ids, rows, replace)


def _write(conn: Connection, kind: str, ids: list[int], rows: list[dict], replace: bool) -> int:
    table = SearchKey.__table__
    if replace:
        conn.execute(delete(table).where(table.c.kind == kind, table.c.object_id.in_(ids)))
    if rows:
        conn.execute(insert(table), rows)
    return len(rows)


# The tables whose writes change a key: table → (key kind, column holding the object's id).
_WATCHED = {
    "entity": ("entity", "id"),
    "entity_identifier": ("entity", "entity_id"),
    "case_entity": ("entity", "entity_id"),
    "case_file": ("case", "id"),
}
_PENDING = "search.pending"


def _pending(session: Session) -> dict[str, set]:
    return session.info.setdefault(_PENDING, {"entity": set(), "case": set()})


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context):
    """Note the entities and cases an ORM flush wrote (new, changed or deleted objects)."""
    pending = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        spec = _WATCHED.get(getattr(getattr(obj, "__table__", None), "name", None))
        if spec is None:
            continue
        value = getattr(obj, spec[1], None)
        if value is not None:
            pending = pending or _pending(session)
            pending[spec[0]].add(value)


@event.listens_for(Session, "do_orm_execute")
def _core_write(state):
    """Note the entities and cases a Core INSERT, UPDATE or DELETE through the session touches."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    statement = state.statement
    table = getattr(statement, "table", None)
    spec = _WATCHED.get(getattr(table, "name", None))
    if spec is None:
        return None
    kind, column_name = spec
    column = table.c[column_name]
    pending = _pending(state.session)[kind]
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    if state.is_insert:
        values = [r[column_name] for r in rows if r.get(column_name) is not None]
        values.extend(_set_value(statement, column_name))
        if values:
            pending.update(values)
            return None
        # New rows with ids from the database: read them from RETURNING, when asked for.
        result = state.invoke_statement()
        if column_name not in result.keys():
            return result
        frozen = result.freeze()
        pending.update(row._mapping[column_name] for row in frozen())
        return frozen()
    # An UPDATE that moves rows to another object (a merge) changes that object's key too.
    pending.update(_set_value(statement, column_name))
    key = _bound_key(statement.whereclause, column)
    if len(rows) > 1 or (key is not None and rows and key in rows[0]):
        if key is not None:
            pending.update(r[key] for r in rows if r.get(key) is not None)
        elif column_name in rows[0]:
            pending.update(r[column_name] for r in rows)  # bulk UPDATE by primary key
        return None
    if statement.whereclause is None:
        return None  # a whole-table write: nothing in the application does it
    found = state.session.connection().execute(
        select(column).where(statement.whereclause), rows[0] if rows else {}
    )
    pending.update(found.scalars())
    return None


def _set_value(statement, column_name: str) -> list:
    value = statement.compile().params.get(column_name)
    return [] if value is None else [value]


def _bound_key(clause, column: Column) -> str | None:
    """The name of the bound parameter compared to ``column`` in a WHERE clause (executemany)."""
    if clause is None:
        return None
    for element in visitors.iterate(clause):
        if isinstance(element, BinaryExpression) and isinstance(element.right, BindParameter):
            left = element.left
            if getattr(left, "table", None) is column.table and left.name == column.name:
                return element.right.key
    return None


@event.listens_for(Session, "before_commit")
def _before_commit(session):
    flush_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, _previous):
    session.info.pop(_PENDING, None)


def flush_pending(session: Session) -> None:
    """Flush the session and rebuild the keys its writes changed (before commit, before search)."""
    if session.info.get(_PENDING) is None and not (session.new or session.dirty or session.deleted):
        return
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if pending and (pending["entity"] or pending["case"]):
        reindex(session, pending["entity"], pending["case"])


# --- searching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A query as search reads it: its words, and its compact form when it may be an identifier."""

    text: str
    words: tuple[str, ...]
    ident: str | None

    @property
    def empty(self) -> bool:
        return not self.words and not self.ident


def parse_query(value: str | None) -> Query:
    """Read a query: at most 200 characters and 8 words, else ``Invalid`` (field ``q``).

    >>> parse_query("IMO 9074729")
    Query(text='IMO 9074729', words=('imo', '9074729'), ident='9074729')
    >>> parse_query("de Wit, Jóhan")
    Query(text='de Wit, Jóhan', words=('de', 'wit', 'johan'), ident=None)
    """
    value = " ".join((value or "").split())
    if len(value) > MAX_QUERY_LENGTH:
        raise Invalid({"q": Msg("At most {n} characters.", n=MAX_QUERY_LENGTH)})
    found = _unique(words(value))
    if len(found) > MAX_WORDS:
        raise Invalid({"q": Msg("At most {n} words.", n=MAX_WORDS)})
    ident = "".join(found)
    imo = _IMO.fullmatch(ident)
    ident = imo.group(1) if imo else ident
    if len(ident) < 4 or not any(c.isdigit() for c in ident):
        ident = None
    return Query(value, tuple(found), ident)


@dataclass
class Results:
    """What a search found: counts per group, the items shown, and the page asked for."""

    query: Query
    kind: str | None
    page: int
    counts: dict[str, int] = field(default_factory=dict)
    items: dict[str, list[dict]] = field(default_factory=dict)
    truncated: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def pages(self) -> int:
        if self.kind is None:
            return 1
        return max(1, -(-self.counts.get(self.kind, 0) // PAGE_SIZE))

    def shown_ids(self) -> dict[str, list[int]]:
        shown: dict[str, list[int]] = {"entity": [], "case": []}
        for items in self.items.values():
            for item in items:
                shown[item["type"]].append(item["id"])
        return shown


def _match(dialect: str, query: Query):
    key = SearchKey.__table__
    if dialect == "postgresql":
        conditions = []
        if query.words:
            conditions.append(
                text("search_key.tsv @@ CAST(:tsq AS tsquery)").bindparams(
                    tsq=" & ".join(
                        f"'{w}':*" if len(w) >= PREFIX_FROM else f"'{w}'" for w in query.words
                    )
                )
            )
        if query.ident:
            conditions.append(key.c.idents.like(f"%{query.ident}%"))
        return or_(*conditions)
    parts, params = [], {}
    if query.words:
        parts.append("SELECT rowid FROM search_terms WHERE search_terms MATCH :terms")
        params["terms"] = " ".join(
            f'"{w}"*' if len(w) >= PREFIX_FROM else f'"{w}"' for w in query.words
        )
    if query.ident:
        parts.append("SELECT rowid FROM search_idents WHERE search_idents MATCH :ident")
        params["ident"] = f'"{query.ident}"'
    ids = text(" UNION ".join(parts)).bindparams(**params).columns(column("rowid"))
    return key.c.id.in_(ids)


def search(
    session: Session,
    user: User,
    q: str | None,
    *,
    kind: str | None = None,
    page: int = 1,
    record: bool = True,
) -> Results:
    """Search what ``user`` may read; record the query and the ids shown in the audit log.

    Without ``kind`` each group shows its first few results; with it, one page of that group.
    Raises ``Invalid`` for a query too long or with too many words, or an unknown ``kind``.
    """
    if kind is not None and kind not in GROUPS:
        raise Invalid({"kind": Msg("Choose one of the kinds listed.")})
    query = parse_query(q)
    results = Results(query=query, kind=kind, page=page)
    readable = access.readable_organisation_ids(session, user)
    if query.empty or not readable:
        return results
    flush_pending(session)
    key = SearchKey.__table__
    named = access.named_organisation_ids(session, user) & readable
    stmt = (
        select(
            key.c.kind,
            key.c.object_id,
            key.c.grp,
            key.c.label,
            key.c.detail,
            key.c.sort_key,
            key.c.organisation_id,
        )
        .where(
            _match(session.get_bind().dialect.name, query),
            key.c.organisation_id.in_(readable),
            or_(key.c.protected.is_(False), key.c.organisation_id.in_(named or {-1})),
        )
        .limit(RESULT_CAP + 1)
    )
    if kind is not None:
        stmt = stmt.where(key.c.grp == kind)
    rows = session.connection().execute(stmt).all()
    results.truncated = len(rows) > RESULT_CAP
    rank = {g: i for i, g in enumerate(GROUPS)}
    rows = sorted(
        rows[:RESULT_CAP], key=lambda r: (rank.get(r.grp, 99), r.sort_key, r.kind, r.object_id)
    )
    grouped: dict[str, list] = {}
    for row in rows:
        grouped.setdefault(row.grp, []).append(row)
    results.counts = {g: len(grouped[g]) for g in GROUPS if g in grouped}
    for group, members in grouped.items():
        if kind is None:
            chosen = members[:GROUP_PREVIEW]
        else:
            chosen = members[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        if chosen:
            results.items[group] = [_item(row) for row in chosen]
    if record:
        audit.record(
            session,
            user,
            audit.Action.READ,
            "search",
            None,
            details={
                "query": query.text,
                "kind": kind,
                "page": page,
                "shown": results.shown_ids(),
            },
            organisation_id=user.organisation_id,
        )
    return results


def _item(row) -> dict:
    return {
        "type": row.kind,
        "id": row.object_id,
        "group": row.grp,
        "label": row.label,
        "detail": row.detail,
        "organisation_id": row.organisation_id,
    }
