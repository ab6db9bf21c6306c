"""Reading and exporting the audit log (auditors); the trail of one case or one entity.

The page shows each entry's object by reference (a case's reference, an entity's name, a
decision's case) and its details as fields, "old → new" for a change, instead of a line of JSON:
:func:`describe` resolves the references of a page of entries in a fixed number of queries.
:func:`case_condition` and :func:`entity_condition` say which entries concern a case or an
entity; the case page reads its history and "last change" through them.
"""

import json
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import String
from sqlalchemy import and_
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlmodel import Session

from .. import access
from .. import audit
from .. import csv_export
from ..domain import clock
from ..jobs import handler
from ..models import AuditEntry
from ..models import Case
from ..models import CaseEntity
from ..models import Decision
from ..models import Entity
from ..models import Organisation
from ..models import Relation
from ..models import Report
from ..models import User
from .cases import contains_pattern

__all__ = [
    "search",
    "ACTIONS",
    "CHANGES",
    "export_csv",
    "CSV_COLUMNS",
    "case_condition",
    "entity_condition",
    "reports_of_case",
    "describe",
    "detail_rows",
]

ACTIONS = audit.Action.ALL
#: The actions that change what a case holds (its "last change", its history, its timeline).
CHANGES = (audit.Action.CREATE, audit.Action.UPDATE, audit.Action.COMBINE)
#: Object types whose id is an entity's (an asset is an entity).
_ENTITY_OBJECTS = ("entity", "asset")
CSV_COLUMNS = (
    "seq",
    "ts",
    "actor",
    "organisation",
    "action",
    "object_type",
    "object_id",
    "justification",
    "details",
    "erased_at",
    "hmac",
)


def search(
    session: Session,
    auditor: User,
    *,
    user=None,
    object_type=None,
    object_id=None,
    action=None,
    since=None,
    until=None,
    case=None,
    entity=None,
    limit=50,
    offset=0,
):
    """Return a page of entries (newest first) and the total; the consultation is logged.

    ``case`` and ``entity`` (ids) keep the entries that concern that case (:func:`case_condition`)
    or that entity (:func:`entity_condition`); the other filters as before.
    """
    stmt = _filtered(
        session, auditor, user, object_type, object_id, action, since, until, case, entity
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = list(session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)))
    filters = {
        k: v
        for k, v in {
            "user": user,
            "object_type": object_type,
            "object_id": object_id,
            "action": action,
            "since": since,
            "until": until,
            "case": case,
            "entity": entity,
        }.items()
        if v
    }
    filters["shown"] = [e.seq for e in rows]
    audit.record(session, auditor, audit.Action.READ, "audit_log", None, details=filters)
    return rows, total


def export_csv(session: Session, auditor: User, path: Path, filters: dict, progress) -> int:
    """Write the filtered entries to ``path`` as CSV (oldest first); return the row count."""
    stmt = _filtered(
        session,
        auditor,
        filters.get("user"),
        filters.get("object_type"),
        filters.get("object_id"),
        filters.get("action"),
        filters.get("since"),
        filters.get("until"),
        filters.get("case"),
        filters.get("entity"),
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    codes = dict(session.execute(select(Organisation.id, Organisation.code)).all())
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv_export.writer(handle)
        writer.writerow(CSV_COLUMNS)
        stmt = stmt.order_by(AuditEntry.seq).execution_options(yield_per=2000)
        for entry in session.scalars(stmt):
            writer.writerow(
                [
                    entry.seq,
                    entry.ts.isoformat(),
                    entry.actor,
                    codes.get(entry.organisation_id, ""),
                    entry.action,
                    entry.object_type,
                    entry.object_id or "",
                    entry.justification or "",
                    entry.details,
                    entry.erased_at.isoformat() if entry.erased_at else "",
                    entry.hmac,
                ]
            )
            written += 1
            if written % 2000 == 0 and total:
                progress(written * 100 // total, f"{written} / {total}")
    return written


@handler("audit_export")
def _export_job(session: Session, job, user: User, params: dict, progress):
    name = f"audit-{clock.utc_today().isoformat()}-{job.id}.csv"
    relative = Path("jobs") / name
    count = export_csv(
        session, user, Path(current_app.config["FILES_DIR"]) / relative, params, progress
    )
    audit.record(
        session,
        user,
        audit.Action.DISCLOSE,
        "audit_log",
        None,
        details={"rows": count, "filters": params, "file": name},
        justification="audit log export by an auditor",
    )
    return str(relative), name, "text/csv"


# --- the trail of a case or an entity --------------------------------------------------------


def _ids(column):
    """A column of ids as the audit log writes them (``object_id`` is text)."""
    return cast(column, String)


def case_condition(case_id: int):
    """The entries that concern case ``case_id``: the case itself, its imports, its decisions,
    the entities it holds (and their links to it), the relations among them and its reports.

    An entity held by two cases is part of both trails: a change to it changes both cases.
    """
    entity_ids = select(CaseEntity.entity_id).where(CaseEntity.case_id == case_id)
    key = str(case_id)
    return or_(
        and_(AuditEntry.object_type.in_(("case", "collection")), AuditEntry.object_id == key),
        and_(
            AuditEntry.object_type == "decision",
            AuditEntry.object_id.in_(select(_ids(Decision.id)).where(Decision.case_id == case_id)),
        ),
        and_(
            AuditEntry.object_type.in_(_ENTITY_OBJECTS),
            AuditEntry.object_id.in_(
                select(_ids(CaseEntity.entity_id)).where(CaseEntity.case_id == case_id)
            ),
        ),
        and_(
            AuditEntry.object_type == "case_entity",
            AuditEntry.object_id.in_(
                select(_ids(CaseEntity.id)).where(CaseEntity.case_id == case_id)
            ),
        ),
        and_(
            AuditEntry.object_type == "relation",
            AuditEntry.object_id.in_(
                select(_ids(Relation.id)).where(
                    Relation.source_id.in_(entity_ids), Relation.target_id.in_(entity_ids)
                )
            ),
        ),
        and_(
            AuditEntry.object_type == "report",
            AuditEntry.object_id.in_(select(_ids(Report.id)).where(reports_of_case(case_id))),
        ),
    )


def reports_of_case(case_id: int):
    """The condition "the report covers case ``case_id``" (``case_ids`` is a JSON list)."""
    key = str(int(case_id))
    return or_(
        Report.case_ids == f"[{key}]",
        Report.case_ids.like(f"[{key},%"),
        Report.case_ids.like(f"% {key},%"),
        Report.case_ids.like(f"% {key}]"),
    )


def entity_condition(entity_id: int):
    """The entries that concern entity ``entity_id``: the entity (or its asset), its links to
    cases and the relations from or to it."""
    return or_(
        and_(
            AuditEntry.object_type.in_(_ENTITY_OBJECTS),
            AuditEntry.object_id == str(entity_id),
        ),
        and_(
            AuditEntry.object_type == "case_entity",
            AuditEntry.object_id.in_(
                select(_ids(CaseEntity.id)).where(CaseEntity.entity_id == entity_id)
            ),
        ),
        and_(
            AuditEntry.object_type == "relation",
            AuditEntry.object_id.in_(
                select(_ids(Relation.id)).where(
                    or_(Relation.source_id == entity_id, Relation.target_id == entity_id)
                )
            ),
        ),
    )


# --- entries as a reader reads them ----------------------------------------------------------


def describe(session: Session, user: User, entries) -> list[dict]:
    """Return each entry with its object by reference and its details as rows.

    Four queries whatever the number of entries: the users' names, the cases, the decisions'
    cases and the entities' names (of the organisations whose entries ``user`` may read, as
    ``access.visible_audit_entries``; an object outside keeps its number). Each item:
    ``entry``, ``actor`` (the user's name, else the logged actor), ``object`` ({"type", "id",
    "label", "case_id", "entity_id", "anchor", "user_name"}: ``case_id`` links a case page,
    ``entity_id`` an entity page) and ``details`` (:func:`detail_rows`).
    """
    entries = list(entries)
    ids: dict[str, set[int]] = {"case": set(), "decision": set(), "entity": set()}
    for entry in entries:
        number = _number(entry.object_id)
        if number is None:
            continue
        if entry.object_type in ("case", "collection"):
            ids["case"].add(number)
        elif entry.object_type == "decision":
            ids["decision"].add(number)
        elif entry.object_type in _ENTITY_OBJECTS:
            ids["entity"].add(number)
    readable = access.organisation_ids(session, user) or {-1}
    names = dict(
        session.execute(
            select(User.id, User.name).where(
                User.id.in_(
                    {e.user_id for e in entries if e.user_id}
                    | {_number(e.object_id) for e in entries if e.object_type == "user"}
                    | {-1}
                )
            )
        ).all()
    )
    decisions = {
        decision_id: (case_id, reference)
        for decision_id, case_id, reference in session.execute(
            select(Decision.id, Case.id, Case.reference)
            .join(Case, Case.id == Decision.case_id)
            .where(Decision.id.in_(ids["decision"] or {-1}), Case.organisation_id.in_(readable))
        )
    }
    cases = dict(
        session.execute(
            select(Case.id, Case.reference).where(
                Case.id.in_(ids["case"] or {-1}), Case.organisation_id.in_(readable)
            )
        ).all()
    )
    entities = dict(
        session.execute(
            select(Entity.id, Entity.caption).where(
                Entity.id.in_(ids["entity"] or {-1}), Entity.organisation_id.in_(readable)
            )
        ).all()
    )
    items = []
    for entry in entries:
        number = _number(entry.object_id)
        obj = {
            "type": entry.object_type,
            "id": entry.object_id,
            "label": None,
            "case_id": None,
            "entity_id": None,
            "anchor": None,
            "user_name": None,
        }
        if entry.object_type in ("case", "collection") and number in cases:
            obj.update(label=cases[number], case_id=number)
        elif entry.object_type == "decision" and number in decisions:
            case_id, reference = decisions[number]
            obj.update(label=reference, case_id=case_id, anchor=f"decision-{number}")
        elif entry.object_type in _ENTITY_OBJECTS and number in entities:
            obj.update(label=entities[number], entity_id=number)
        elif entry.object_type == "user" and number in names:
            obj.update(user_name=names[number])
        items.append(
            {
                "entry": entry,
                "actor": names.get(entry.user_id) or entry.actor,
                "object": obj,
                "details": detail_rows(entry.action, entry.details),
            }
        )
    return items


#: Bounds of the details shown on a page: the CSV export keeps them whole.
_MAX_ROWS = 40
_MAX_TEXT = 400


def detail_rows(action: str, details) -> list[dict]:
    """Return an entry's details as rows: ``field``, then ``old`` and ``new`` for a change
    (a pair ``[old, new]`` in an ``update`` entry), else ``value``; nested objects are
    flattened ("properties › name"), lists joined, long texts shortened.

    >>> detail_rows("update", '{"title": ["Old", "New"], "properties": {"name": [["A"], ["B"]]}}')
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'field': 'properties › name', 'old': 'A', 'new': 'B', 'change': True},
     {'field': 'title', 'old': 'Old', 'new': 'New', 'change': True}]
    >>> detail_rows("read", '{"via": "page"}')
    [{'field': 'via', 'value': 'page', 'change': False}]
    >>> detail_rows("read", "not json")
    [{'field': '', 'value': 'not json', 'change': False}]
    """
    if isinstance(details, str):
        try:
            data = json.loads(details) if details else {}
        except ValueError:
            return [{"field": "", "value": _text(details), "change": False}]
    else:
        data = details or {}
    if not isinstance(data, dict):
        return [{"field": "", "value": _text(data), "change": False}]
    rows: list[dict] = []
    _flatten(rows, "", data, change=action == audit.Action.UPDATE)
    if len(rows) > _MAX_ROWS:
        more = len(rows) - _MAX_ROWS
        rows = rows[:_MAX_ROWS] + [{"field": "…", "value": f"+{more}", "change": False}]
    return rows


def _flatten(rows: list, prefix: str, data: dict, *, change: bool) -> None:
    for key in sorted(data, key=str):
        value = data[key]
        field = f"{prefix} › {key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            _flatten(rows, field, value, change=change)
        elif change and isinstance(value, list) and len(value) == 2:
            rows.append(
                {"field": field, "old": _text(value[0]), "new": _text(value[1]), "change": True}
            )
        else:
            rows.append({"field": field, "value": _text(value), "change": False})


def _text(value) -> str | bool:
    """The value as text (bounded); a boolean stays one, for the page to say yes or no."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        text = ", ".join(_text(v) for v in value) if value else "—"
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    else:
        text = str(value)
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _number(object_id) -> int | None:
    text = str(object_id or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


# --- helpers ---------------------------------------------------------------------------------


def _filtered(
    session, auditor, user_filter, object_type, object_id, action, since, until, case, entity
):
    stmt = access.visible_audit_entries(session, auditor)
    if case:
        stmt = stmt.where(case_condition(int(case)))
    if entity:
        stmt = stmt.where(entity_condition(int(entity)))
    if user_filter:
        like = contains_pattern(user_filter.lower())
        stmt = stmt.where(func.lower(AuditEntry.actor).like(like, escape="\\"))
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if since:
        stmt = stmt.where(AuditEntry.ts >= _utc_start(since))
    if until:
        stmt = stmt.where(AuditEntry.ts < _utc_start(until) + timedelta(days=1))
    return stmt


def _utc_start(day) -> datetime:
    from datetime import UTC

    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime.combine(day, time.min, tzinfo=UTC)
