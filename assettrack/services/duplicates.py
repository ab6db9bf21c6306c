"""Duplicate entities within an organisation: find candidates, review them, merge, undo.

Candidates are searched per organisation, never across two: an entity of Rotterdam is never
proposed as a duplicate of one of Antwerp (across organisations only hit/no-hit answers exist).
The last search is stored (``duplicate_candidate``, ``duplicate_scan``); a listing searches
again first when the organisation's entities changed since and there are at most
``SYNC_SCAN_LIMIT`` of them, else ``assettrack duplicates find`` refreshes it.

A verdict (same, not the same, unsure) is stored in ``duplicate_review`` and the pair is never
proposed again. A merge applies :func:`domain.matching.merge_plan`, keeps every changed row
in a ``merge_record`` and is audited as a combination with the whole plan; an undo replays the
plan backwards and refuses when something it would overwrite changed after the merge.
"""

import json
import time
from datetime import date
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import aliased
from sqlmodel import Session
from sqlmodel import SQLModel

from .. import access
from .. import audit
from ..domain import matching
from ..domain import schema as ftm_schema
from ..errors import Conflict
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import Asset
from ..models import Case
from ..models import CaseEntity
from ..models import DuplicateCandidate
from ..models import DuplicateReview
from ..models import DuplicateScan
from ..models import Entity
from ..models import EntityIdentifier
from ..models import LedgerEntry
from ..models import ManagerAssignment
from ..models import MergeRecord
from ..models import Organisation
from ..models import User
from ..models import Valuation
from ..models import utcnow
from ..models.duplicates import VERDICTS
from ..routing import id_value
from . import provenance

__all__ = [
    "SYNC_SCAN_LIMIT",
    "MATCHABLE_SCHEMATA",
    "load_records",
    "scan",
    "list_candidates",
    "confirmed_pairs",
    "review",
    "merge",
    "undo_merge",
    "list_merges",
    "merge_as_dict",
    "entity_brief",
]

#: A listing searches again by itself up to this many entities; beyond, the command does.
SYNC_SCAN_LIMIT = 5000
#: Entities that can have duplicates: parties and assets (not addresses, not kept-as-is FtM).
MATCHABLE_SCHEMATA = tuple(
    sorted(
        info.name
        for kind in (ftm_schema.Kind.PARTY, ftm_schema.Kind.ASSET)
        for info in ftm_schema.schemata(kind)
    )
)
_CHUNK = 500


def load_records(session: Session, organisation_id: int, entity_ids=None) -> list[matching.Record]:
    """Return the matcher's records of an organisation's live entities (or of ``entity_ids``)."""
    stmt = select(Entity.id, Entity.schema_name, Entity.properties).where(
        Entity.organisation_id == organisation_id,
        Entity.merged_into_id.is_(None),
        Entity.schema_name.in_(MATCHABLE_SCHEMATA),
    )
    idents = (
        select(EntityIdentifier.entity_id, EntityIdentifier.kind, EntityIdentifier.value)
        .join(Entity, Entity.id == EntityIdentifier.entity_id)
        .where(Entity.organisation_id == organisation_id, Entity.merged_into_id.is_(None))
    )
    if entity_ids is not None:
        rows, ident_rows = [], []
        ids = sorted(set(entity_ids))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows += session.execute(stmt.where(Entity.id.in_(chunk))).all()
            ident_rows += session.execute(idents.where(Entity.id.in_(chunk))).all()
    else:
        rows = session.execute(stmt.order_by(Entity.id)).all()
        ident_rows = session.execute(idents).all()
    by_entity: dict[int, list] = {}
    for entity_id, kind, value in ident_rows:
        by_entity.setdefault(entity_id, []).append((kind, value))
    return [
        matching.record_from_ftm(
            entity_id, schema_name, json.loads(props or "{}"), by_entity.get(entity_id, ())
        )
        for entity_id, schema_name, props in rows
    ]


def scan(
    session: Session, organisation_id: int, *, threshold: float = matching.DEFAULT_THRESHOLD
) -> DuplicateScan:
    """Search an organisation's entities for duplicates and store the candidates found."""
    started = time.perf_counter()
    records = load_records(session, organisation_id)
    reviewed = session.execute(
        select(DuplicateReview.entity_a_id, DuplicateReview.entity_b_id).where(
            DuplicateReview.organisation_id == organisation_id
        )
    ).all()
    matches, stats = matching.find_candidates(
        records, threshold=threshold, exclude=[tuple(r) for r in reviewed]
    )
    session.execute(
        delete(DuplicateCandidate).where(DuplicateCandidate.organisation_id == organisation_id)
    )
    now = utcnow()
    rows = [
        {
            "organisation_id": organisation_id,
            "entity_a_id": min(m.a, m.b),
            "entity_b_id": max(m.a, m.b),
            "score": m.score,
            "explanation": json.dumps(m.explanation(), ensure_ascii=False),
            "found_at": now,
        }
        for m in matches
    ]
    for start in range(0, len(rows), 1000):
        session.execute(insert(DuplicateCandidate), rows[start : start + 1000])
    result = session.get(DuplicateScan, organisation_id) or DuplicateScan(
        organisation_id=organisation_id
    )
    result.scanned_at = now
    result.entity_count = stats.records
    result.comparisons = stats.comparisons
    result.candidate_count = stats.candidates
    result.seconds = round(time.perf_counter() - started, 3)
    session.add(result)
    session.flush()
    return result


def list_candidates(
    session: Session,
    user: User,
    *,
    organisation_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
    refresh: bool = True,
) -> tuple[list[dict], int]:
    """Return one page of candidate pairs within the user's organisations, best first.

    Pairs already reviewed, and entities merged since the search, are left out. The read is
    audited (the page shows entities).
    """
    orgs = _organisations(session, user, organisation_id)
    if refresh:
        for org in orgs:
            if _is_stale(session, org):
                scan(session, org)
    a, b = aliased(Entity), aliased(Entity)
    reviewed = select(DuplicateReview.id).where(
        DuplicateReview.entity_a_id == DuplicateCandidate.entity_a_id,
        DuplicateReview.entity_b_id == DuplicateCandidate.entity_b_id,
    )
    stmt = (
        select(DuplicateCandidate, a, b)
        .join(a, a.id == DuplicateCandidate.entity_a_id)
        .join(b, b.id == DuplicateCandidate.entity_b_id)
        .where(
            DuplicateCandidate.organisation_id.in_(orgs or {-1}),
            a.organisation_id == DuplicateCandidate.organisation_id,
            b.organisation_id == DuplicateCandidate.organisation_id,
            a.merged_into_id.is_(None),
            b.merged_into_id.is_(None),
            ~reviewed.exists(),
        )
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.execute(
        stmt.order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id)
        .limit(limit)
        .offset(offset)
    ).all()
    codes = _codes(session)
    items = [
        {
            "id": cand.id,
            "organisation": codes.get(cand.organisation_id),
            "a": entity_brief(session, ea),
            "b": entity_brief(session, eb),
            "score": round(cand.score, 4),
            "explanation": json.loads(cand.explanation),
        }
        for cand, ea, eb in rows
    ]
    if items:
        audit.record(
            session,
            user,
            audit.Action.READ,
            "duplicate_candidates",
            details={"entities": sorted({i[k]["id"] for i in items for k in ("a", "b")})},
        )
    return items, total


def confirmed_pairs(session: Session, user: User, *, organisation_id: int | None = None):
    """Return the pairs reviewed as the same whose two entities are both still live."""
    orgs = _organisations(session, user, organisation_id)
    a, b = aliased(Entity), aliased(Entity)
    rows = session.execute(
        select(DuplicateReview, a, b)
        .join(a, a.id == DuplicateReview.entity_a_id)
        .join(b, b.id == DuplicateReview.entity_b_id)
        .where(
            DuplicateReview.organisation_id.in_(orgs or {-1}),
            DuplicateReview.verdict == "same",
            a.merged_into_id.is_(None),
            b.merged_into_id.is_(None),
        )
        .order_by(DuplicateReview.reviewed_at.desc())
        .limit(200)
    ).all()
    return [
        {
            "review": r.id,
            "a": entity_brief(session, ea),
            "b": entity_brief(session, eb),
            "score": r.score,
            "explanation": json.loads(r.explanation),
            "reviewed_at": r.reviewed_at.isoformat(),
        }
        for r, ea, eb in rows
    ]


def review(session: Session, user: User, a, b, verdict) -> DuplicateReview:
    """Record whether entities ``a`` and ``b`` are the same; the pair is not proposed again."""
    errors = {}
    if verdict not in VERDICTS:
        errors["verdict"] = Msg("must be one of {choices}", choices=", ".join(VERDICTS))
    first, second = _pair(session, user, errors, a, b)
    if errors:
        raise Invalid(errors)
    access.require_edit_organisation(user, first.organisation_id)
    low, high = sorted((first.id, second.id))
    row = session.scalar(
        select(DuplicateReview).where(
            DuplicateReview.entity_a_id == low, DuplicateReview.entity_b_id == high
        )
    )
    old = row.verdict if row is not None else None
    if row is None:
        score, explanation = _scored(session, low, high)
        row = DuplicateReview(
            organisation_id=first.organisation_id,
            entity_a_id=low,
            entity_b_id=high,
            verdict=verdict,
            score=score,
            explanation=explanation,
            reviewed_by_id=user.id,
        )
    row.verdict = verdict
    row.reviewed_by_id = user.id
    row.reviewed_at = utcnow()
    session.add(row)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.CREATE if old is None else audit.Action.UPDATE,
        "duplicate_review",
        row.id,
        details={"a": low, "b": high, "verdict": verdict, "before": old},
        organisation_id=row.organisation_id,
    )
    return row


def merge(session: Session, user: User, keep, merge_id) -> MergeRecord:
    """Merge entity ``merge_id`` into ``keep``: everything moves to the survivor; audited."""
    errors: dict = {}
    survivor, merged = _pair(session, user, errors, keep, merge_id, names=("keep", "merge"))
    if errors:
        raise Invalid(errors)
    access.require_edit_organisation(user, survivor.organisation_id)
    session.flush()
    tables = SQLModel.metadata.tables
    entity_t = tables["entity"]
    keep_row = _row(session, entity_t, entity_t.c.id == survivor.id, lock=True)
    merge_row = _row(session, entity_t, entity_t.c.id == merged.id, lock=True)
    rel_t = tables["relation"]
    relations = _rows(
        session,
        select(rel_t.c.id, rel_t.c.source_id, rel_t.c.target_id, rel_t.c.schema).where(
            or_(rel_t.c.source_id == merged.id, rel_t.c.target_id == merged.id)
        ),
    )
    ce_t = tables["case_entity"]
    links = _rows(session, select(ce_t).where(ce_t.c.entity_id.in_([survivor.id, merged.id])))
    identifiers = [
        tuple(r)
        for r in session.execute(
            select(EntityIdentifier.entity_id, EntityIdentifier.kind, EntityIdentifier.value).where(
                EntityIdentifier.entity_id.in_([survivor.id, merged.id])
            )
        )
    ]
    asset_t = tables["asset"]
    assets = {
        r["entity_id"]: r
        for r in _rows(
            session, select(asset_t).where(asset_t.c.entity_id.in_([survivor.id, merged.id]))
        )
    }
    da_t = tables["decision_asset"]
    asset_rows = {
        "decision_asset": _rows(session, select(da_t).where(da_t.c.asset_id == merged.id)),
        "keep_decision_asset": _rows(session, select(da_t).where(da_t.c.asset_id == survivor.id)),
    }
    for model in (Valuation, LedgerEntry, ManagerAssignment):
        t = model.__table__
        asset_rows[t.name] = _rows(
            session, select(t.c.id, t.c.asset_id).where(t.c.asset_id == merged.id)
        )
    try:
        plan = matching.merge_plan(
            keep_row,
            merge_row,
            relations=relations,
            case_links=links,
            identifiers=identifiers,
            assets=assets,
            asset_rows=asset_rows,
            now=utcnow(),
        )
    except matching.MergeRefused as exc:
        raise Conflict(exc.message, errors={"merge": exc.message}) from None
    for op in plan.operations:
        _apply(session, op)
    record = MergeRecord(
        organisation_id=survivor.organisation_id,
        survivor_id=survivor.id,
        merged_id=merged.id,
        plan=json.dumps(
            {"operations": _encode(plan.operations), "summary": plan.summary},
            ensure_ascii=False,
            sort_keys=True,
        ),
        merged_by_id=user.id,
    )
    session.add(record)
    session.flush()
    # Provenance (issue #12): the merged record's values reached the survivor by this merge.
    provenance.record_sources(
        session,
        provenance.source_rows(
            survivor.id,
            json.loads(merge_row["properties"] or "{}"),
            provenance.SourceKind.MERGE,
            user_id=user.id,
            merge_record_id=record.id,
        ),
    )
    _remember_same(session, user, survivor, merged)
    audit.record(
        session,
        user,
        audit.Action.COMBINE,
        "entity",
        survivor.id,
        details={
            "merge_record": record.id,
            "survivor": survivor.id,
            "merged": merged.id,
            "summary": plan.summary,
            "operations": _encode(plan.operations),
        },
        organisation_id=survivor.organisation_id,
    )
    session.expire_all()
    return record


def undo_merge(session: Session, user: User, record_id) -> MergeRecord:
    """Restore exactly what a merge changed; refused when later changes stand in the way."""
    record = _merge_record(session, user, record_id)
    access.require_edit_organisation(user, record.organisation_id)
    if record.undone_at is not None:
        raise Conflict(Msg("merge {id} was already undone", id=record.id))
    involved = (record.survivor_id, record.merged_id)
    later = session.scalar(
        select(MergeRecord.id)
        .where(
            MergeRecord.id > record.id,
            MergeRecord.undone_at.is_(None),
            or_(MergeRecord.survivor_id.in_(involved), MergeRecord.merged_id.in_(involved)),
        )
        .order_by(MergeRecord.id.desc())
        .limit(1)
    )
    if later is not None:
        raise Conflict(Msg("undo the later merge {id} first", id=later))
    session.flush()
    operations = _decode(json.loads(record.plan)["operations"])
    problems = [p for op in operations if (p := _undo_problem(session, op))]
    if problems:
        raise Conflict(
            Msg(
                "this merge cannot be undone exactly: {problems}",
                problems="; ".join(problems[:5]),
            )
        )
    for op in reversed(operations):
        _apply(session, _reverse(op))
    record.undone_at = utcnow()
    record.undone_by_id = user.id
    session.add(record)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.COMBINE,
        "merge_record",
        record.id,
        details={
            "undo": True,
            "survivor": record.survivor_id,
            "merged": record.merged_id,
            "operations_reversed": len(operations),
        },
        organisation_id=record.organisation_id,
    )
    session.expire_all()
    return record


def list_merges(
    session: Session,
    user: User,
    *,
    organisation_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[MergeRecord], int]:
    """Return the merges of the user's organisations, latest first."""
    orgs = _organisations(session, user, organisation_id)
    stmt = select(MergeRecord).where(MergeRecord.organisation_id.in_(orgs or {-1}))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(
        stmt.order_by(MergeRecord.merged_at.desc(), MergeRecord.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def merge_as_dict(session: Session, record: MergeRecord) -> dict:
    """Return the public shape of a merge record (its summary, not the raw operations)."""
    users = {
        u.id: u.name
        for u in session.scalars(
            select(User).where(User.id.in_([record.merged_by_id, record.undone_by_id or -1]))
        )
    }
    survivor = session.get(Entity, record.survivor_id)
    merged = session.get(Entity, record.merged_id)
    return {
        "id": record.id,
        "survivor": {"id": survivor.id, "name": survivor.caption, "schema": survivor.schema_name},
        "merged": {"id": merged.id, "name": merged.caption, "schema": merged.schema_name},
        "merged_by": users.get(record.merged_by_id),
        "merged_at": record.merged_at.isoformat(),
        "undone_by": users.get(record.undone_by_id),
        "undone_at": record.undone_at.isoformat() if record.undone_at else None,
        "summary": json.loads(record.plan)["summary"],
    }


def entity_brief(session: Session, entity: Entity) -> dict:
    """Return what a reviewer needs to judge an entity: names, key facts and its cases."""
    props = json.loads(entity.properties or "{}")
    shown = {
        key: props[key]
        for key in (
            "name",
            "alias",
            "birthDate",
            "nationality",
            "country",
            "jurisdiction",
            "registrationNumber",
            "leiCode",
            "imoNumber",
            "iban",
            "address",
        )
        if props.get(key)
    }
    cases = session.execute(
        select(Case.id, Case.reference, CaseEntity.role)
        .join(CaseEntity, CaseEntity.case_id == Case.id)
        .where(CaseEntity.entity_id == entity.id)
        .order_by(Case.reference)
    ).all()
    asset = session.get(Asset, entity.id)
    return {
        "id": entity.id,
        "schema": entity.schema_name,
        "name": entity.caption,
        "properties": shown,
        "stage": asset.stage if asset else None,
        "cases": [{"id": c, "reference": ref, "role": role} for c, ref, role in cases],
    }


# --- helpers ---------------------------------------------------------------------------------


def _organisations(session, user, organisation_id) -> list[int]:
    readable = access.readable_organisation_ids(session, user)
    if organisation_id is None:
        return sorted(readable)
    if organisation_id not in readable:
        raise NotFound(f"organisation {organisation_id} not found")
    return [organisation_id]


def _codes(session) -> dict[int, str]:
    return dict(session.execute(select(Organisation.id, Organisation.code)).all())


def _is_stale(session, organisation_id) -> bool:
    last = session.get(DuplicateScan, organisation_id)
    count, created, updated = session.execute(
        select(func.count(), func.max(Entity.created_at), func.max(Entity.updated_at)).where(
            Entity.organisation_id == organisation_id
        )
    ).one()
    if count > SYNC_SCAN_LIMIT:
        return False
    if last is None:
        return True
    changed = max((t for t in (created, updated) if t is not None), default=None)
    if changed is not None and changed.tzinfo is None:  # SQLite aggregates lose the type
        changed = datetime.fromisoformat(str(changed)).replace(tzinfo=last.scanned_at.tzinfo)
    elif isinstance(changed, str):
        changed = datetime.fromisoformat(changed)
    return changed is not None and changed > last.scanned_at


def _pair(session, user, errors, a, b, names=("a", "b")):
    entities = []
    for name, raw in zip(names, (a, b), strict=True):
        try:
            entity_id = id_value(raw)
        except (TypeError, ValueError):
            errors[name] = Msg("must be the id of an entity")
            entities.append(None)
            continue
        entity = session.get(Entity, entity_id)
        if entity is None or entity.organisation_id not in access.readable_organisation_ids(
            session, user
        ):
            errors[name] = Msg("no entity {id} within your organisations", id=entity_id)
            entities.append(None)
            continue
        entities.append(entity)
    first, second = entities
    if first is not None and second is not None:
        if first.id == second.id:
            errors[names[1]] = Msg("an entity cannot be merged into itself")
        elif first.organisation_id != second.organisation_id:
            errors[names[1]] = Msg("entities of two organisations are never merged")
    return first, second


def _scored(session, low, high) -> tuple[float | None, str]:
    stored = session.scalar(
        select(DuplicateCandidate).where(
            DuplicateCandidate.entity_a_id == low, DuplicateCandidate.entity_b_id == high
        )
    )
    if stored is not None:
        return stored.score, stored.explanation
    entity = session.get(Entity, low)
    records = {r.id: r for r in load_records(session, entity.organisation_id, [low, high])}
    if len(records) < 2:
        return None, "[]"
    match = matching.compare(records[low], records[high])
    return match.score, json.dumps(match.explanation(), ensure_ascii=False)


def _remember_same(session, user, survivor, merged) -> None:
    low, high = sorted((survivor.id, merged.id))
    row = session.scalar(
        select(DuplicateReview).where(
            DuplicateReview.entity_a_id == low, DuplicateReview.entity_b_id == high
        )
    )
    if row is not None and row.verdict == "same":
        return
    review(session, user, low, high, "same")


def _merge_record(session, user, record_id) -> MergeRecord:
    try:
        record = session.get(MergeRecord, id_value(record_id))
    except (TypeError, ValueError):
        record = None
    if record is None or record.organisation_id not in access.readable_organisation_ids(
        session, user
    ):
        raise NotFound(f"merge {record_id} not found")
    return record


def _row(session, table, condition, *, lock=False) -> dict:
    stmt = select(table).where(condition)
    if lock:
        stmt = stmt.with_for_update()
    return dict(session.execute(stmt).mappings().one())


def _rows(session, stmt) -> list[dict]:
    return [dict(r) for r in session.execute(stmt).mappings()]


def _where(table, key: dict):
    return and_(*[table.c[column] == value for column, value in key.items()])


def _after_key(op) -> dict:
    return {k: (op["set"][k][1] if k in op["set"] else v) for k, v in op["key"].items()}


def _primary_key(table, row: dict) -> dict:
    return {c.name: row[c.name] for c in table.primary_key.columns}


def _apply(session, op) -> None:
    table = SQLModel.metadata.tables[op["table"]]
    if op["op"] == "update":
        result = session.execute(
            update(table)
            .where(_where(table, op["key"]))
            .values({column: values[1] for column, values in op["set"].items()})
        )
        count = result.rowcount
    elif op["op"] == "insert":
        session.execute(insert(table).values(op["row"]))
        count = 1
    else:
        count = session.execute(
            delete(table).where(_where(table, _primary_key(table, op["row"])))
        ).rowcount
    if count != 1:
        # Another officer changed the same rows in the meantime: nothing is written.
        raise Conflict(Msg("{table} changed meanwhile; reload and try again", table=op["table"]))


def _reverse(op) -> dict:
    if op["op"] == "update":
        return {
            "op": "update",
            "table": op["table"],
            "key": _after_key(op),
            "set": {column: [after, before] for column, (before, after) in op["set"].items()},
        }
    return {
        "op": "delete" if op["op"] == "insert" else "insert",
        "table": op["table"],
        "row": op["row"],
    }


def _undo_problem(session, op) -> str | None:
    table = SQLModel.metadata.tables[op["table"]]
    if op["op"] == "update":
        current = (
            session.execute(select(table).where(_where(table, _after_key(op)))).mappings().first()
        )
        if current is None:
            return f"{op['table']} {_after_key(op)} is gone"
        changed = [c for c, (_before, after) in op["set"].items() if current[c] != after]
        if changed:
            return f"{op['table']} {_after_key(op)} changed since ({', '.join(changed)})"
        return None
    key = _primary_key(table, op["row"])
    current = session.execute(select(table).where(_where(table, key))).mappings().first()
    if op["op"] == "insert":
        if current is None:
            return f"{op['table']} {key} is gone"
        changed = [c for c, v in op["row"].items() if current[c] != v]
        if changed:
            return f"{op['table']} {key} changed since ({', '.join(changed)})"
        return None
    if current is not None:
        return f"{op['table']} {key} exists again"
    return None


def _encode(value):
    # JSON keeps no dates or decimals: tag them so an undo writes back the very same values.
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    return value


def _decode(value):
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, text),) = value.items()
            if tag == "$decimal":
                return Decimal(text)
            if tag == "$datetime":
                return datetime.fromisoformat(text)
            if tag == "$date":
                return date.fromisoformat(text)
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
