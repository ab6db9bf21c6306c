"""/api/v1 entities, relations, assets, decisions and statistics."""

import json

from flask import request
from flask import url_for
from flask_login import current_user

from .. import access
from ..db import get_session
from ..errors import AccessDenied
from ..errors import Invalid
from ..models import Organisation
from ..services import case_view
from ..services import cases as case_service
from ..services import decisions as decision_service
from ..services import entities as entity_service
from ..services import sharing
from ..services import stats as stats_service
from . import bp
from . import json_body
from . import page_args


@bp.post("/cases/<int:case_id>/entities")
def add_case_entity(case_id: int):
    """Add a new entity to a case, or link an existing one (``entity_id``), with its role."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    data = json_body()
    link = entity_service.add_entity_to_case(db, current_user, case, data, offer_existing=True)
    entity = entity_service.get_entity(db, current_user, link.entity_id, audit_read=False)
    similar = entity_service.similar_names(
        db, case.organisation_id, entity.schema_name, json.loads(entity.properties), but=entity.id
    )
    db.commit()
    body = entity_service.entity_as_dict(db, entity, full=False)
    body.update(
        role=link.role,
        source_grade=link.source_grade,
        info_grade=link.info_grade,
        as_asset=link.as_asset,
        similar=similar,
    )
    return body, 201, {"Location": url_for("api.get_entity", entity_id=entity.id)}


@bp.get("/entities")
def list_entities():
    """Search entities in scope by name or identifier (``q``) or FtM id (``external_id``)."""
    db = get_session()
    limit, offset = page_args()
    items, total = entity_service.search_entities(
        db,
        current_user,
        q=request.args.get("q"),
        external_id=request.args.get("external_id"),
        schema=request.args.get("schema"),
        limit=limit,
        offset=offset,
    )
    found = [entity_service.entity_as_dict(db, e, full=False) for e in items]
    items = _labelled(db, found)
    if request.args.get("q") or request.args.get("external_id"):
        # A protected person found by its name or id would tell its name: left out.
        items = [item for item in items if not item.get("redacted")]
        total -= len(found) - len(items)
    return {
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@bp.get("/entities/<int:entity_id>")
def get_entity(entity_id: int):
    """Return an entity with its properties, asset state and cases (a consultation)."""
    db = get_session()
    entity = entity_service.get_entity(db, current_user, entity_id)
    db.commit()
    body = _labelled(db, [entity_service.entity_as_dict(db, entity)])[0]
    # The version to send back in If-Match with a PATCH (issue #12).
    return body, 200, {"ETag": f'"{entity.version}"'}


def _labelled(db, bodies: list[dict]) -> list[dict]:
    """The entities as the caller may see them: a protected person by its label, without its
    ids or properties, where the caller's grant lacks the names flag (DECISIONS #10)."""
    labels = sharing.screen_labels(db, current_user, [body["id"] for body in bodies])
    for body in bodies:
        if body["id"] in labels:
            body.update(name=labels[body["id"]], external_id=None, redacted=True)
            if "properties" in body:
                body["properties"] = {}
    return bodies


@bp.post("/relations")
def create_relation():
    """Record a relation (Ownership, Directorship, Payment...) between two entities."""
    db = get_session()
    relation = entity_service.create_relation(db, current_user, json_body())
    db.commit()
    return entity_service.relation_as_dict(relation), 201


@bp.post("/cases/<int:case_id>/decisions")
def record_decision(case_id: int):
    """Record a decision on one or more assets of a case (all or nothing)."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    decision = decision_service.record_decision(db, current_user, case, json_body())
    db.commit()
    return decision_service.decision_as_dict(db, decision), 201


@bp.post("/decisions/<int:decision_id>/annul")
def annul_decision(decision_id: int):
    """Annul a decision entered by mistake, with the reason; its assets step back."""
    db = get_session()
    decision = decision_service.annul_decision(
        db, current_user, decision_id, json_body().get("reason")
    )
    db.commit()
    return decision_service.decision_as_dict(db, decision)


@bp.get("/assets/<int:asset_id>")
def get_asset(asset_id: int):
    """Return an asset: stage, values, ledger totals, valuations and decision history."""
    db = get_session()
    asset, _entity = case_view.read_asset(db, current_user, asset_id, via="api")
    db.commit()
    return decision_service.asset_as_dict(db, asset)


@bp.post("/assets/<int:asset_id>/valuations")
def add_valuation(asset_id: int):
    """Add a valuation of an asset."""
    db = get_session()
    valuation = decision_service.add_valuation(db, current_user, asset_id, json_body())
    db.commit()
    return {
        "id": valuation.id,
        "asset_id": asset_id,
        "valued_on": valuation.valued_on.isoformat(),
        "amount": decision_service.money_text(valuation.amount),
        "currency": valuation.currency,
        "basis": valuation.basis,
        "valuer": valuation.valuer,
    }, 201


@bp.post("/assets/<int:asset_id>/ledger")
def add_ledger_entry(asset_id: int):
    """Book a management cost or income on an asset."""
    db = get_session()
    entry = decision_service.add_ledger_entry(db, current_user, asset_id, json_body())
    db.commit()
    return {
        "id": entry.id,
        "asset_id": asset_id,
        "booked_on": entry.booked_on.isoformat(),
        "kind": entry.kind,
        "amount": decision_service.money_text(entry.amount),
        "currency": entry.currency,
        "category": entry.category,
        "note": entry.note,
    }, 201


@bp.get("/stats")
def statistics():
    """Directive statistics of the caller's organisation for ``year`` (default: this year)."""
    db = get_session()
    if not access.can_read_cases(current_user):
        raise AccessDenied("statistics are for officers and liaisons")
    org = db.get(Organisation, current_user.organisation_id)
    today = case_service.org_today(org)
    try:
        year = case_view.statistics_year(request.args.get("year"), today)
    except Invalid as exc:  # a query parameter here, not a body field
        raise Invalid({f"?{k}": v for k, v in exc.errors.items()}) from None
    stats = stats_service.directive_statistics(db, org.id, year)
    return _plain({"organisation": org.code, **stats, "generated_on": today.isoformat()})


def _plain(value):
    """Decimals as decimal strings (money beside its currency), recursively."""
    from decimal import Decimal

    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return decision_service.money_text(value)
    return value
