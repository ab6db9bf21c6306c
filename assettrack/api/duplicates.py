"""/api/v1/duplicates, /entities/merge, /merges/<id>/undo and the screening hits."""

from flask import request
from flask_login import current_user
from sqlalchemy import select

from .. import access
from .. import shapes
from ..db import get_session
from ..errors import AccessDenied
from ..errors import Invalid
from ..errors import Msg
from ..models import Organisation
from ..services import duplicates as duplicate_service
from ..services import screening as screening_service
from . import bp
from . import json_body
from . import openapi
from . import page_args
from . import query_call


@bp.get("/duplicates")
def list_duplicates():
    """List the candidate pairs of the last search (``POST /duplicates/scan``), best first."""
    db = get_session()
    limit, offset = page_args()
    organisation_id = _org_arg()
    # A GET reads the stored search; searching again writes, so it is a POST.
    items, total = duplicate_service.list_candidates(
        db,
        current_user,
        organisation_id=organisation_id,
        limit=limit,
        offset=offset,
        refresh=False,
    )
    db.commit()
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@bp.post("/duplicates/scan")
def scan_duplicates():
    """Search the caller's organisation for duplicates again and store the candidates."""
    if not access.can_create_case(current_user):
        raise AccessDenied("only officers search their organisation for duplicates")
    db = get_session()
    result = duplicate_service.scan(db, current_user.organisation_id)
    db.commit()
    return {
        "organisation": db.get(Organisation, current_user.organisation_id).code,
        "entities": result.entity_count,
        "comparisons": result.comparisons,
        "candidates": result.candidate_count,
        "scanned_at": result.scanned_at.isoformat(),
    }


@bp.post("/duplicates/review")
def review_duplicate():
    """Record a verdict on a pair: same, not_same or unsure (never proposed again)."""
    db = get_session()
    data = json_body()
    row = duplicate_service.review(
        db, current_user, data.get("a"), data.get("b"), data.get("verdict")
    )
    db.commit()
    return {
        "id": row.id,
        "a": row.entity_a_id,
        "b": row.entity_b_id,
        "verdict": row.verdict,
        "reviewed_at": row.reviewed_at.isoformat(),
    }


@bp.post("/entities/merge")
def merge_entities():
    """Merge entity ``merge`` into entity ``keep``; return the merge record."""
    db = get_session()
    data = json_body()
    record = duplicate_service.merge(db, current_user, data.get("keep"), data.get("merge"))
    db.commit()
    return duplicate_service.merge_as_dict(db, record)


@bp.post("/merges/<int:merge_id>/undo")
def undo_merge(merge_id: int):
    """Undo a merge, restoring exactly what it changed."""
    db = get_session()
    record = duplicate_service.undo_merge(db, current_user, merge_id)
    db.commit()
    return duplicate_service.merge_as_dict(db, record)


@bp.get("/entities/<int:entity_id>/screening")
def entity_screening(entity_id: int):
    """Return the screening hits of an entity, with their reasons."""
    db = get_session()
    return {"items": screening_service.hits_for_entity(db, current_user, entity_id)}


@bp.get("/cases/<int:case_id>/screening")
def case_screening(case_id: int):
    """Return the screening hits of a case's entities, with their reasons."""
    db = get_session()
    return {"items": screening_service.hits_for_case(db, current_user, case_id)}


def _org_arg() -> int | None:
    raw = request.args.get("organisation")
    if raw in (None, ""):
        return None
    return query_call(_organisation_id, get_session(), raw)


def _organisation_id(db, code: str) -> int:
    code = code.strip().upper()[:20]
    org_id = db.scalar(select(Organisation.id).where(Organisation.code == code))
    if org_id is None:
        raise Invalid({"organisation": Msg("unknown organisation code")})
    return org_id


_HITS = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": openapi.ref("ScreeningHit")}},
}

openapi.register(
    {
        "/duplicates": {
            "get": {
                "summary": "Candidate duplicate pairs of the last search (POST "
                "/duplicates/scan) within the caller's organisations (never across two), "
                "unreviewed, best first",
                "parameters": [
                    {
                        "name": "organisation",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "UN/LOCODE of one of the caller's organisations",
                    },
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": openapi.json_response(
                        {
                            "type": "object",
                            "properties": {
                                "items": {
                                    "type": "array",
                                    "items": openapi.ref("DuplicateCandidate"),
                                },
                                "total": {"type": "integer"},
                            },
                        },
                        "one page of candidate pairs",
                    ),
                    **openapi.ERRORS,
                },
            }
        },
        "/duplicates/scan": {
            "post": {
                "summary": "Search the caller's organisation for duplicates again (officers)",
                "responses": {
                    "200": openapi.json_response(
                        {
                            "type": "object",
                            "properties": {
                                "organisation": {"type": "string"},
                                "entities": {"type": "integer"},
                                "comparisons": {"type": "integer"},
                                "candidates": {"type": "integer"},
                                "scanned_at": {"type": "string", "format": "date-time"},
                            },
                        },
                        "the search",
                    ),
                    **openapi.ERRORS,
                },
            }
        },
        "/duplicates/review": {
            "post": {
                "summary": "Record whether two entities are the same; the pair is never "
                "proposed again",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["a", "b", "verdict"],
                                "properties": {
                                    "a": {"type": "integer"},
                                    "b": {"type": "integer"},
                                    "verdict": {"enum": ["same", "not_same", "unsure"]},
                                },
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "the review"}, **openapi.ERRORS},
            }
        },
        "/entities/merge": {
            "post": {
                "summary": "Merge entity `merge` into entity `keep` (relations, case roles, "
                "identifiers, asset history move); 409 when refused",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["keep", "merge"],
                                "properties": {
                                    "keep": {"type": "integer"},
                                    "merge": {"type": "integer"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": openapi.json_response(openapi.ref("MergeRecord"), "the merge record"),
                    "409": openapi.PROBLEM,
                    **openapi.ERRORS,
                },
            }
        },
        "/merges/{merge_id}/undo": {
            "parameters": [openapi.id_param("merge_id", "merge record id")],
            "post": {
                "summary": "Undo a merge exactly; 409 when a later change stands in the way",
                "responses": {
                    "200": openapi.json_response(openapi.ref("MergeRecord"), "the merge record"),
                    "409": openapi.PROBLEM,
                    **openapi.ERRORS,
                },
            },
        },
        "/entities/{entity_id}/screening": {
            "parameters": [openapi.id_param("entity_id", "entity id")],
            "get": {
                "summary": "Screening hits of an entity with their reasons",
                "responses": {"200": openapi.json_response(_HITS, "hits"), **openapi.ERRORS},
            },
        },
        "/cases/{case_id}/screening": {
            "parameters": [openapi.id_param("case_id", "case id")],
            "get": {
                "summary": "Screening hits of a case's entities with their reasons",
                "responses": {"200": openapi.json_response(_HITS, "hits"), **openapi.ERRORS},
            },
        },
    },
    shapes.component_schemas(*shapes.MATCHING),
)
