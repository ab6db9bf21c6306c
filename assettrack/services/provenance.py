"""Where each property value of an entity came from: an officer, an import line, a register row,
a merge; with the 4x4 grade of the source when one was given (issue #12)."""

import json

from sqlalchemy import insert
from sqlalchemy import select
from sqlmodel import Session

from ..models import PropertySource
from ..models import User
from ..models import utcnow
from ..models.corrections import SourceKind

__all__ = ["source_rows", "record_sources", "sources_of", "SourceKind"]


def source_rows(entity_id: int, properties: dict, kind: SourceKind, **facts) -> list[dict]:
    """Return the ``property_source`` rows saying that ``properties`` came from one source.

    ``facts``: ``user_id``, ``file_name``, ``line``, ``merge_record_id``, ``change_id``,
    ``source_grade``, ``info_grade``; a property without values gives no row.
    """
    now = facts.pop("recorded_at", None) or utcnow()
    rows = []
    for prop, values in (properties or {}).items():
        values = values if isinstance(values, list) else [values]
        if not values:
            continue
        rows.append(
            {
                "entity_id": entity_id,
                "property": str(prop)[:64],
                "values": json.dumps([str(v) for v in values], ensure_ascii=False),
                "kind": SourceKind(kind).value,
                "user_id": facts.get("user_id"),
                "file_name": (facts.get("file_name") or None) and str(facts["file_name"])[:255],
                "line": facts.get("line"),
                "merge_record_id": facts.get("merge_record_id"),
                "change_id": facts.get("change_id"),
                "source_grade": facts.get("source_grade") or None,
                "info_grade": facts.get("info_grade") or None,
                "recorded_at": now,
            }
        )
    return rows


def record_sources(session: Session, rows: list[dict]) -> None:
    """Write provenance rows (from :func:`source_rows`) in one statement."""
    if rows:
        session.execute(insert(PropertySource.__table__), rows)


def sources_of(session: Session, entity_id: int) -> dict[str, dict[str, list[dict]]]:
    """Return, per property and value, the sources that gave it, the latest first.

    ``{"name": {"Acme BV": [{"kind": "import", "file_name": ..., "line": 3, "user": ...}]}}``;
    the caller has checked that the user may read the entity.
    """
    rows = session.execute(
        select(PropertySource, User.name)
        .outerjoin(User, User.id == PropertySource.user_id)
        .where(PropertySource.entity_id == entity_id)
        .order_by(PropertySource.id.desc())
    )
    found: dict[str, dict[str, list[dict]]] = {}
    for source, user_name in rows:
        shown = {
            "kind": source.kind,
            "user": user_name,
            "file_name": source.file_name,
            "line": source.line,
            "merge_record_id": source.merge_record_id,
            "change_id": source.change_id,
            "source_grade": source.source_grade,
            "info_grade": source.info_grade,
            "recorded_at": source.recorded_at,
        }
        for value in json.loads(source.values or "[]"):
            found.setdefault(source.property, {}).setdefault(value, []).append(shown)
    return found
