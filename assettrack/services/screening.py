"""Screening: load reference lists (sanctions exports in FtM JSON lines), match entities against
them, and read the hits of an entity or a case.

A list is loaded line by line (never whole in memory): its parties and assets with a name become
``screening_entry`` rows (names, aliases, strong identifiers, birth dates, countries); each FtM
``Sanction`` adds its programme, authority and reason to the entry of its subject (``entity``).
Screening compares entities with the entries of the lists their organisation uses (global ones
and its own) through :func:`assettrack.domain.matching.screen`; hits are stored with their reasons,
replacing the earlier hits of the same entities.
"""

import json
from collections.abc import Iterable

from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlmodel import Session

from .. import access
from .. import audit
from ..domain import matching
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import CaseEntity
from ..models import Entity
from ..models import ScreeningEntry
from ..models import ScreeningHit
from ..models import ScreeningList
from ..models import User
from ..models import utcnow
from . import watchlist
from .duplicates import MATCHABLE_SCHEMATA
from .duplicates import load_records

__all__ = [
    "load_list",
    "screen_entities",
    "screen_organisation",
    "hits_for_entity",
    "hits_for_case",
    "hit_as_dict",
]

# FtM schemata whose entities are screened subjects (sanctions lists also carry PublicBody).
_SUBJECT_SCHEMATA = frozenset(MATCHABLE_SCHEMATA) | {"PublicBody"}
_BATCH = 1000


def load_list(
    session: Session,
    name: str,
    lines: Iterable[str],
    *,
    organisation_id: int | None = None,
    source: str = "",
) -> ScreeningList:
    """Load (or replace) the list ``name`` from FtM JSON ``lines``; return it.

    Raises Invalid naming the line of the first entity that is not FtM JSON.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid({"name": Msg("must be text of at most {limit} characters", limit=100)})
    listing = session.scalar(select(ScreeningList).where(ScreeningList.name == name))
    if listing is None:
        listing = ScreeningList(name=name, organisation_id=organisation_id)
        session.add(listing)
        session.flush()
    else:
        session.execute(delete(ScreeningHit).where(ScreeningHit.list_id == listing.id))
        session.execute(delete(ScreeningEntry).where(ScreeningEntry.list_id == listing.id))
    sanctions: dict[str, list[str]] = {}
    batch: list[dict] = []
    seen: set[str] = set()
    count = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            schema_name = item["schema"]
            props = item.get("properties") or {}
            external_id = str(item["id"])
        except (ValueError, KeyError, TypeError):
            raise Invalid(
                {"file": Msg("line {line}: not an FtM entity in JSON", line=number)}
            ) from None
        if schema_name == "Sanction":
            text = _sanction_text(props)
            for subject in props.get("entity") or []:
                sanctions.setdefault(str(subject), []).append(text)
            continue
        if schema_name not in _SUBJECT_SCHEMATA or external_id in seen:
            continue
        record = matching.record_from_ftm(external_id, schema_name, props)
        if not record.names:
            continue
        seen.add(external_id)
        batch.append(
            {
                "list_id": listing.id,
                "external_id": external_id[:200],
                "schema": schema_name,
                "caption": record.names[0][:500],
                "data": json.dumps(
                    {
                        "names": list(record.names),
                        "birth_dates": list(record.birth_dates),
                        "countries": sorted(record.countries),
                        "identifiers": sorted([k, v] for k, v in record.identifiers),
                    },
                    ensure_ascii=False,
                ),
                "sanctions": "",
            }
        )
        if len(batch) >= _BATCH:
            session.execute(insert(ScreeningEntry.__table__), batch)
            count += len(batch)
            batch = []
    if batch:
        session.execute(insert(ScreeningEntry.__table__), batch)
        count += len(batch)
    for external_id, texts in sanctions.items():
        session.execute(
            update(ScreeningEntry)
            .where(ScreeningEntry.list_id == listing.id, ScreeningEntry.external_id == external_id)
            .values(sanctions="\n".join(dict.fromkeys(t for t in texts if t)))
        )
    listing.entry_count = count
    listing.source = (source or "")[:500]
    listing.loaded_at = utcnow()
    listing.organisation_id = organisation_id
    session.add(listing)
    session.flush()
    audit.record(
        session,
        None,
        audit.Action.CREATE,
        "screening_list",
        listing.id,
        details={"name": name, "source": listing.source, "entries": count},
        organisation_id=organisation_id,
        actor="assettrack screen-list add",
    )
    return listing


def screen_entities(
    session: Session, user: User | None, entity_ids: Iterable[int]
) -> list[ScreeningHit]:
    """Screen the given entities against the lists of their organisation; return the hits.

    ``user`` is the person on whose behalf it runs (the importer), whose read scope must cover
    every entity; None for a system run (the command). Earlier hits of these entities are
    replaced. The caller commits.
    """
    ids = sorted({int(i) for i in entity_ids})
    if not ids:
        return []
    orgs: dict[int, list[int]] = {}
    for start in range(0, len(ids), 500):
        for entity_id, org in session.execute(
            select(Entity.id, Entity.organisation_id).where(Entity.id.in_(ids[start : start + 500]))
        ):
            orgs.setdefault(org, []).append(entity_id)
    found = {i for members in orgs.values() for i in members}
    readable = access.readable_organisation_ids(session, user) if user is not None else None
    missing = [i for i in ids if i not in found]
    outside = [
        i
        for org, members in orgs.items()
        for i in members
        if readable is not None and org not in readable
    ]
    if missing or outside:
        raise NotFound(f"entity {(missing or outside)[0]} not found")
    hits: list[ScreeningHit] = []
    for org, members in sorted(orgs.items()):
        hits += _screen(session, user, org, members)
    return hits


def screen_organisation(session: Session, organisation_id: int) -> tuple[int, list[ScreeningHit]]:
    """Screen every live entity of an organisation (the command); return (screened, hits)."""
    ids = list(
        session.scalars(
            select(Entity.id).where(
                Entity.organisation_id == organisation_id,
                Entity.merged_into_id.is_(None),
                Entity.schema_name.in_(MATCHABLE_SCHEMATA),
            )
        )
    )
    return len(ids), _screen(session, None, organisation_id, ids)


def hits_for_entity(session: Session, user: User, entity_id: int) -> list[dict]:
    """Return the screening hits of an entity the user may read, best first."""
    entity = session.get(Entity, entity_id)
    if entity is None or entity.organisation_id not in access.readable_organisation_ids(
        session, user
    ):
        raise NotFound(f"entity {entity_id} not found")
    rows = session.execute(_hits().where(ScreeningHit.entity_id == entity_id)).all()
    return [hit_as_dict(*row) for row in rows]


def hits_for_case(session: Session, user: User, case_id: int) -> list[dict]:
    """Return the screening hits of the entities of a case the user may read, best first."""
    case = access.get_case(session, user, case_id)
    in_case = select(CaseEntity.entity_id).where(CaseEntity.case_id == case.id)
    rows = session.execute(_hits().where(ScreeningHit.entity_id.in_(in_case))).all()
    return [hit_as_dict(*row) for row in rows]


def hit_as_dict(hit: ScreeningHit, entry: ScreeningEntry, listing: ScreeningList, entity) -> dict:
    """Return the public shape of a hit: the entity, the listed subject, score and reasons."""
    data = json.loads(entry.data or "{}")
    return {
        "id": hit.id,
        "entity": {"id": entity.id, "name": entity.caption, "schema": entity.schema_name},
        "list": {"id": listing.id, "name": listing.name},
        "entry": {
            "id": entry.id,
            "external_id": entry.external_id,
            "schema": entry.schema_name,
            "name": entry.caption,
            "names": data.get("names", []),
            "birth_dates": data.get("birth_dates", []),
            "countries": data.get("countries", []),
            "identifiers": data.get("identifiers", []),
            "sanctions": [line for line in entry.sanctions.split("\n") if line],
        },
        "score": round(hit.score, 4),
        "explanation": json.loads(hit.explanation),
        "found_at": hit.found_at.isoformat(),
    }


# --- helpers ---------------------------------------------------------------------------------


def _hits():
    return (
        select(ScreeningHit, ScreeningEntry, ScreeningList, Entity)
        .join(ScreeningEntry, ScreeningEntry.id == ScreeningHit.entry_id)
        .join(ScreeningList, ScreeningList.id == ScreeningHit.list_id)
        .join(Entity, Entity.id == ScreeningHit.entity_id)
        .order_by(ScreeningHit.score.desc(), ScreeningHit.id)
    )


def _sanction_text(props: dict) -> str:
    parts = []
    for key in ("program", "authority", "reason"):
        values = [str(v).strip() for v in props.get(key) or [] if str(v).strip()]
        if values:
            parts.append("; ".join(values))
    return " — ".join(parts)[:1000]


def _references(session: Session, organisation_id: int) -> tuple[list[matching.Record], dict]:
    rows = session.execute(
        select(
            ScreeningEntry.id,
            ScreeningEntry.list_id,
            ScreeningEntry.schema_name,
            ScreeningEntry.data,
        )
        .join(ScreeningList, ScreeningList.id == ScreeningEntry.list_id)
        .where(
            or_(
                ScreeningList.organisation_id.is_(None),
                ScreeningList.organisation_id == organisation_id,
            )
        )
    ).all()
    records, lists = [], {}
    for entry_id, list_id, schema_name, data_text in rows:
        data = json.loads(data_text or "{}")
        records.append(
            matching.Record(
                id=entry_id,
                schema=schema_name,
                names=tuple(data.get("names", ())),
                identifiers=frozenset(tuple(i) for i in data.get("identifiers", ())),
                birth_dates=tuple(data.get("birth_dates", ())),
                countries=frozenset(data.get("countries", ())),
            )
        )
        lists[entry_id] = list_id
    return records, lists


def _screen(session, user, organisation_id: int, entity_ids: list[int]) -> list[ScreeningHit]:
    references, lists = _references(session, organisation_id)
    records = load_records(session, organisation_id, entity_ids)
    for start in range(0, len(entity_ids), 500):
        session.execute(
            delete(ScreeningHit).where(ScreeningHit.entity_id.in_(entity_ids[start : start + 500]))
        )
    if not references or not records:
        return []
    matches, stats = matching.screen(records, references)
    now = utcnow()
    hits = [
        ScreeningHit(
            organisation_id=organisation_id,
            entity_id=m.a,
            entry_id=m.b,
            list_id=lists[m.b],
            score=m.score,
            explanation=json.dumps(m.explanation(), ensure_ascii=False),
            found_at=now,
        )
        for m in matches
    ]
    session.add_all(hits)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.COMBINE,
        "screening",
        details={
            "entities": len(records),
            "comparisons": stats.comparisons,
            "hits": [[h.entity_id, h.entry_id, h.score] for h in hits],
        },
        organisation_id=organisation_id,
        actor=None if user is not None else "assettrack screen-list run",
    )
    watchlist.tell_screening_hits(session, user, [(h.entity_id, h.entry_id) for h in hits])
    return hits
