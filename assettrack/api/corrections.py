"""/api/v1 corrections: PATCH an entity, its place in a case or a relation; DELETE (remove, with
a reason) a link or a relation; revert a change.

The version of each record is its ``ETag``; a change needs it in ``If-Match`` (428 without it,
412 when it is no longer the current one). Liaisons and read-only roles get 403.
"""

import json

from flask import request
from flask_login import current_user
from pydantic import ValidationError
from sqlalchemy import select

from .. import access
from .. import shapes
from ..db import get_session
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import CaseEntity
from ..models import Relation
from ..services import corrections
from ..services import entities as entity_service
from . import bp
from . import json_body
from . import openapi


@bp.patch("/entities/<int:entity_id>")
def patch_entity(entity_id: int):
    """Change some properties of an entity; only those given are checked."""
    db = get_session()
    body = _shape(shapes.EntityPatch)
    version = _if_match()
    change = _apply(
        lambda: corrections.update_entity(
            db, current_user, entity_id, body.properties, version=version, reason=body.reason
        )
    )
    db.commit()
    entity = entity_service.get_entity(db, current_user, entity_id, audit_read=False)
    return _with_etag(entity_service.entity_as_dict(db, entity), entity.version, change)


@bp.get("/cases/<int:case_id>/entities/<int:entity_id>")
def get_case_entity(case_id: int, entity_id: int):
    """Return an entity's place in a case with its version (ETag)."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    link = _link(db, case, entity_id)
    return _with_etag(_link_body(link), link.version)


@bp.patch("/cases/<int:case_id>/entities/<int:entity_id>")
def patch_case_entity(case_id: int, entity_id: int):
    """Change an entity's role, grades or note in a case."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    body = _shape(shapes.CaseEntityPatch)
    version = _if_match()
    data = body.model_dump(exclude_unset=True, exclude={"reason"})
    change = _apply(
        lambda: corrections.update_case_link(
            db, current_user, case, entity_id, data, version=version, reason=body.reason
        )
    )
    db.commit()
    link = _link(db, case, entity_id)
    return _with_etag(_link_body(link), link.version, change)


@bp.delete("/cases/<int:case_id>/entities/<int:entity_id>")
def delete_case_entity(case_id: int, entity_id: int):
    """Take an entity out of a case with a reason; the link is kept, hidden."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    body = _shape(shapes.Removal)
    version = _if_match()
    change = _apply(
        lambda: corrections.remove_case_link(
            db, current_user, case, entity_id, version=version, reason=body.reason
        )
    )
    db.commit()
    return _change_body(change)


@bp.get("/relations/<int:relation_id>")
def get_relation(relation_id: int):
    """Return a relation with its version (ETag)."""
    db = get_session()
    relation = _relation(db, relation_id)
    return _with_etag(entity_service.relation_as_dict(relation), relation.version)


@bp.patch("/relations/<int:relation_id>")
def patch_relation(relation_id: int):
    """Change some fields of a relation; only those given are checked."""
    db = get_session()
    body = _shape(shapes.RelationPatch)
    version = _if_match()
    data = body.model_dump(exclude_unset=True, exclude={"reason"})
    change = _apply(
        lambda: corrections.update_relation(
            db, current_user, relation_id, data, version=version, reason=body.reason
        )
    )
    db.commit()
    relation = _relation(db, relation_id)
    return _with_etag(entity_service.relation_as_dict(relation), relation.version, change)


@bp.delete("/relations/<int:relation_id>")
def delete_relation(relation_id: int):
    """Remove a relation with a reason; the row is kept, hidden."""
    db = get_session()
    body = _shape(shapes.Removal)
    version = _if_match()
    change = _apply(
        lambda: corrections.remove_relation(
            db, current_user, relation_id, version=version, reason=body.reason
        )
    )
    db.commit()
    return _change_body(change)


@bp.post("/changes/<int:change_id>/revert")
def revert_change(change_id: int):
    """Revert a change (itself a change); 409 when a later change altered the same fields."""
    db = get_session()
    body = json_body() if request.data else {}
    change = corrections.revert(db, current_user, change_id, reason=body.get("reason"))
    db.commit()
    return _change_body(change), 201


# --- helpers ---------------------------------------------------------------------------------


def _shape(model):
    try:
        return model.model_validate(json_body())
    except ValidationError as exc:
        errors = {}
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            errors.setdefault(
                field,
                Msg("is not valid")
                if error["type"] != "extra_forbidden"
                else Msg("cannot be changed here"),
            )
        raise Invalid(errors) from None


def _if_match() -> int:
    raw = request.headers.get("If-Match")
    if not raw:
        raise corrections.PreconditionRequired("send the version you read (its ETag) in If-Match")
    try:
        return corrections.parse_version(raw)
    except Invalid:
        raise corrections.PreconditionFailed("If-Match is not a version of this record") from None


def _apply(call):
    try:
        return call()
    except corrections.StaleVersion as exc:
        get_session().rollback()
        raise corrections.PreconditionFailed(
            exc.detail, current_version=exc.extra["current_version"], current=exc.extra["current"]
        ) from None


def _with_etag(body: dict, version: int, change=None):
    body["version"] = version
    if change is not None:
        body["change"] = change.id
    return body, 200, {"ETag": f'"{version}"'}


def _link(db, case, entity_id) -> CaseEntity:
    link = db.scalar(
        select(CaseEntity).where(CaseEntity.case_id == case.id, CaseEntity.entity_id == entity_id)
    )
    if link is None:
        raise NotFound(f"entity {entity_id} is not in case {case.reference}")
    return link


def _link_body(link: CaseEntity) -> dict:
    return {
        "case_id": link.case_id,
        "entity_id": link.entity_id,
        **corrections.link_state(link),
        "version": link.version,
    }


def _relation(db, relation_id) -> Relation:
    relation = db.get(Relation, relation_id)
    if relation is None or relation.organisation_id not in access.readable_organisation_ids(
        db, current_user
    ):
        raise NotFound(f"relation {relation_id} not found")
    return relation


def _change_body(change) -> dict:
    return {
        "id": change.id,
        "object_type": change.object_type,
        "object_id": change.object_id,
        "kind": change.kind,
        "before": json.loads(change.before),
        "after": json.loads(change.after),
        "reason": change.reason,
        "version": change.version_after,
    }


def _operation(
    summary, body=None, response=None, *, conditional=True, status="200", conflict=False
):
    operation = {"summary": summary, "responses": {**openapi.ERRORS}}
    if conflict:
        operation["responses"]["409"] = openapi.PROBLEM
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": openapi.ref(body)}},
        }
    if conditional:
        operation["parameters"] = [
            {
                "name": "If-Match",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "the ETag (version) of the record as read",
            }
        ]
        operation["responses"].update(
            {"409": openapi.PROBLEM, "412": openapi.PROBLEM, "428": openapi.PROBLEM}
        )
    ok = openapi.json_response(openapi.ref(response) if response else {"type": "object"}, "done")
    ok["headers"] = {"ETag": {"schema": {"type": "string"}, "description": "the new version"}}
    operation["responses"][status] = ok
    return operation


def _register() -> None:
    case_entity = "/cases/{case_id}/entities/{entity_id}"
    ids = [openapi.id_param("case_id", "case id"), openapi.id_param("entity_id", "entity id")]
    openapi.register(
        {
            case_entity: {
                "parameters": ids,
                "get": _operation(
                    "Read an entity's place in a case, with its version (ETag)",
                    response="CaseLink",
                    conditional=False,
                ),
                "patch": _operation(
                    "Change an entity's role, grades or note in a case",
                    "CaseEntityPatch",
                    "CaseLink",
                ),
                "delete": _operation(
                    "Take an entity out of a case, with a reason (kept, hidden)",
                    "Removal",
                    "Change",
                ),
            },
            "/relations/{relation_id}": {
                "parameters": [openapi.id_param("relation_id", "relation id")],
                "get": _operation("Read a relation, with its version (ETag)", conditional=False),
                "patch": _operation("Change some fields of a relation", "RelationPatch"),
                "delete": _operation(
                    "Remove a relation, with a reason (kept, hidden)", "Removal", "Change"
                ),
            },
            "/changes/{change_id}/revert": {
                "parameters": [openapi.id_param("change_id", "change id")],
                "post": _operation(
                    "Revert a change (itself a change); 409 when a later change altered the "
                    "same fields",
                    response="Change",
                    conditional=False,
                    status="201",
                    conflict=True,
                ),
            },
        },
        {
            **shapes.component_schemas(*shapes.CORRECTION_BODIES, mode="validation"),
            **shapes.component_schemas(*shapes.CORRECTION_RESPONSES),
        },
    )
    # PATCH beside the GET already described for an entity.
    openapi.PATHS["/entities/{entity_id}"]["patch"] = _operation(
        "Change some properties of an entity (only those given are checked)",
        "EntityPatch",
        "Entity",
    )


_register()
