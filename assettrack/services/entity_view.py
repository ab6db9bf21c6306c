"""The read model of an entity's page: properties with their sources, roles in cases, relations
both ways, owners and holdings, asset state, screening hits, other cities' hits, history.

One consultation audit entry per page, naming what it showed (the network pieces it calls are
asked not to log their own).
"""

import json

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from .. import access
from .. import audit
from ..domain import schema as ftm_schema
from ..models import Asset
from ..models import Case
from ..models import CaseEntity
from ..models import Entity
from ..models import Relation
from ..models import User
from . import corrections
from . import network
from . import provenance
from . import screening
from . import sharing
from .entities import get_entity
from .entities import relation_as_dict

__all__ = ["entity_page"]


def entity_page(session: Session, user: User, entity_id: int) -> dict:
    """Return everything the entity page shows, within the user's scope (404 outside it)."""
    entity = get_entity(session, user, entity_id, audit_read=False)
    label = sharing.screen_labels(session, user, [entity.id]).get(entity.id)
    orgs = access.readable_organisation_ids(session, user)
    cases = [
        {"link": link, "case": case}
        for link, case in session.execute(
            select(CaseEntity, Case)
            .join(Case, Case.id == CaseEntity.case_id)
            .where(CaseEntity.entity_id == entity.id, Case.organisation_id.in_(orgs))
            .order_by(Case.reference)
        )
    ]
    relations = _relations(session, entity)
    # A protected person at the other end is shown by its label, as everywhere else.
    others = sharing.screen_labels(session, user, {r["other_id"] for r in relations})
    for relation in relations:
        relation["other_name"] = others.get(relation["other_id"], relation["other_name"])
    page = {
        "entity": entity,
        "label": label,
        "properties": [] if label else _properties(session, entity),
        "cases": cases,
        "relations": relations,
        "holdings": [r for r in relations if r["schema"] == "Ownership" and r["outgoing"]],
        "owners": network.owners(session, user, entity.id, audit_read=False),
        "asset": session.get(Asset, entity.id),
        "hits": screening.hits_for_entity(session, user, entity.id),
        "links": network.links(session, user, entity.id, audit_read=False),
        "history": [] if label else corrections.history(session, entity.id),
        "can_edit": _can_edit(user, entity),
    }
    audit.record(
        session,
        user,
        audit.Action.READ,
        "entity",
        entity.id,
        details={
            "view": "page",
            "cases": [c["case"].id for c in cases],
            "relations": [r["id"] for r in relations],
            "owners": [o["id"] for o in page["owners"]["owners"]],
        },
        organisation_id=entity.organisation_id,
    )
    return page


def _can_edit(user: User, entity: Entity) -> bool:
    return access.can_create_case(user) and user.organisation_id == entity.organisation_id


def _properties(session, entity: Entity) -> list[dict]:
    """The entity's properties in the schema's order, each value with its sources."""
    values = json.loads(entity.properties or "{}")
    known = corrections.editable_properties(entity.schema_name)
    try:
        every = ftm_schema.get_schema(entity.schema_name).properties
    except ftm_schema.UnknownSchema:
        every = {}
    sources = provenance.sources_of(session, entity.id)
    order = [name for name in every if name in values] + [n for n in values if n not in every]
    shown = []
    for name in order:
        items = values[name] if isinstance(values[name], list) else [values[name]]
        shown.append(
            {
                "name": name,
                "label": every[name].label if name in every else name,
                "editable": name in known,
                "values": [
                    {"value": str(v), "sources": sources.get(name, {}).get(str(v), [])}
                    for v in items
                ],
            }
        )
    return shown


def _relations(session, entity: Entity) -> list[dict]:
    source, target = aliased(Entity), aliased(Entity)
    rows = session.execute(
        select(Relation, source.caption, target.caption)
        .join(source, source.id == Relation.source_id)
        .join(target, target.id == Relation.target_id)
        .where(or_(Relation.source_id == entity.id, Relation.target_id == entity.id))
        .order_by(Relation.schema_name, Relation.id)
        .limit(500)
    )
    found = []
    for relation, source_name, target_name in rows:
        outgoing = relation.source_id == entity.id
        body = relation_as_dict(relation)
        body.update(
            outgoing=outgoing,
            other_id=relation.target_id if outgoing else relation.source_id,
            other_name=target_name if outgoing else source_name,
            version=relation.version,
        )
        found.append(body)
    return found
