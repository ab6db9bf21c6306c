"""/api/v1/cases"""

from flask import request
from flask import url_for
from flask_login import current_user

from .. import access
from ..db import get_session
from ..errors import Invalid
from ..models import TLP
from ..models import CaseStatus
from ..services import cases as case_service
from . import bp
from . import json_body
from . import page_args


@bp.get("/cases")
def list_cases():
    """List the cases the caller may read: ``q``, ``status``, ``tlp``, ``sort``, paging."""
    db = get_session()
    limit, offset = page_args()
    status = request.args.get("status")
    tlp = request.args.get("tlp")
    sort = request.args.get("sort", "-updated_at")
    errors = {}
    if status and status not in {s.value for s in CaseStatus}:
        errors["?status"] = "unknown status; expected open or closed"
    if tlp and tlp not in {t.value for t in TLP}:
        errors["?tlp"] = "unknown TLP label"
    # "-title" sorts descending; "dir=desc" is accepted too (as the HTML list uses it).
    descending = sort.startswith("-") or request.args.get("dir") == "desc"
    sort = sort.lstrip("-")
    if sort not in case_service.SORTABLE:
        errors["?sort"] = "unknown sort key; one of " + ", ".join(case_service.SORTABLE)
    if errors:
        raise Invalid(errors)
    items, total = case_service.search_cases(
        db,
        current_user,
        q=request.args.get("q"),
        status=status,
        tlp=tlp,
        sort=sort,
        descending=descending,
        limit=limit,
        offset=offset,
    )
    return {
        "items": case_service.cases_as_dicts(db, items),
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@bp.post("/cases")
def create_case():
    """Open a case in the caller's organisation."""
    db = get_session()
    case = case_service.create_case(db, current_user, json_body())
    db.commit()
    body = case_service.case_as_dict(db, case)
    return body, 201, {"Location": url_for("api.get_case", case_id=case.id)}


@bp.get("/cases/<int:case_id>")
def get_case(case_id: int):
    """Return one case (logged as a consultation)."""
    db = get_session()
    case = case_service.read_case(db, current_user, case_id, via="api")
    db.commit()
    body = case_service.case_as_dict(db, case)
    body["entities"], body["assets"] = _case_contents(db, case)
    return body


def _case_contents(db, case) -> tuple[list, list]:
    from ..domain.money import money_text
    from ..services import case_view
    from ..services import entities as entity_service

    # Protected persons by label where the reader may not see them named (DECISIONS #10).
    shown = {
        e["entity_id"]: str(e["name"]) for e in case_view.case_entities(db, current_user, case)
    }
    entities, assets = [], []
    for link, entity, asset in entity_service.case_entities(db, case):
        entities.append(
            {
                "id": entity.id,
                "schema": entity.schema_name,
                "name": shown.get(entity.id, entity.caption),
                "role": link.role,
                "source_grade": link.source_grade,
                "info_grade": link.info_grade,
                "as_asset": link.as_asset,
            }
        )
        if asset is not None:
            assets.append(
                {
                    "id": entity.id,
                    "schema": entity.schema_name,
                    "name": shown.get(entity.id, entity.caption),
                    "stage": asset.stage,
                    "estimated_value": money_text(asset.estimated_value),
                    "currency": asset.currency,
                    "urgent_unconfirmed": asset.urgent_unconfirmed,
                    "urgent_expires_on": asset.urgent_expires_on.isoformat()
                    if asset.urgent_expires_on
                    else None,
                }
            )
    return entities, assets


@bp.patch("/cases/<int:case_id>")
def update_case(case_id: int):
    """Change some fields of a case; the audit log keeps old and new values."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    case_service.update_case(db, current_user, case, json_body())
    db.commit()
    return case_service.case_as_dict(db, case)
