"""/api/v1 entity networks: case graphs, neighbourhoods, ultimate owners, paths, links across
cases and cities, the diagram and the stored whole-graph analytics (exports are issued
as reports: ``POST /api/v1/reports``)."""

from flask import Response
from flask import request
from flask import url_for
from flask_login import current_user

from .. import jobs
from ..db import get_session
from ..services import network as network_service
from . import bp
from . import openapi
from .openapi import ERRORS
from .openapi import PROBLEM
from .openapi import id_param
from .openapi import json_response
from .openapi import ref


@bp.get("/entities/<int:entity_id>/owners")
def entity_owners(entity_id: int):
    """Ultimate owners of an entity on ``as_of`` with a share of at least ``threshold`` %."""
    params = network_service.QueryParams(request.args)
    as_of = params.day("as_of")
    threshold = params.percentage("threshold", 25)
    params.check()
    db = get_session()
    body = network_service.owners(db, current_user, entity_id, as_of=as_of, threshold=threshold)
    db.commit()
    return body


@bp.get("/entities/<int:entity_id>/network")
def entity_network(entity_id: int):
    """The entities within ``depth`` links of an entity, at most ``limit``."""
    params = network_service.QueryParams(request.args)
    depth = params.integer("depth", 2, 1, network_service.DEPTH_MAX)
    limit = params.integer(
        "limit", network_service.NEIGHBOURHOOD_LIMIT, 1, network_service.NEIGHBOURHOOD_LIMIT_MAX
    )
    params.check()
    db = get_session()
    body = network_service.neighbourhood(db, current_user, entity_id, depth=depth, limit=limit)
    db.commit()
    return body


@bp.get("/entities/<int:entity_id>/links")
def entity_links(entity_id: int):
    """Other cases (in scope) and other cities (hit/no-hit) holding the same entity."""
    db = get_session()
    body = network_service.links(db, current_user, entity_id)
    db.commit()
    return body


@bp.get("/cases/<int:case_id>/network")
def case_network(case_id: int):
    """A case's entities and relations with degree, betweenness and community."""
    expand, limit = _case_params()
    db = get_session()
    body = network_service.case_graph(db, current_user, case_id, expand=expand, limit=limit)
    db.commit()
    return body


@bp.get("/cases/<int:case_id>/network.svg")
def case_network_svg(case_id: int):
    """A case's network drawn as SVG, for pages and PDF reports."""
    expand, _limit = _case_params()
    db = get_session()
    svg = network_service.case_graph_svg(db, current_user, case_id, expand=expand)
    db.commit()
    return Response(svg, mimetype="image/svg+xml")


@bp.get("/paths")
def find_paths():
    """The shortest chains of links of any kind between entities ``from`` and ``to``."""
    params = network_service.QueryParams(request.args)
    source = params.required_integer("from")
    target = params.required_integer("to")
    max_depth = params.integer(
        "max_depth", network_service.PATH_DEPTH, 1, network_service.PATH_DEPTH_MAX
    )
    params.check()
    db = get_session()
    body = network_service.paths(db, current_user, source, target, max_depth=max_depth)
    db.commit()
    return body


@bp.get("/network/analyses/latest")
def latest_analysis():
    """The latest stored analysis of the caller's organisation (or ``org``) and its top brokers."""
    db = get_session()
    body = network_service.latest_analysis(db, current_user, request.args.get("org"))
    db.commit()
    return body


@bp.post("/network/analyses")
def start_analysis():
    """Start ``network analyse`` for the caller's organisation (or ``org``) as a background job."""
    db = get_session()
    job = network_service.start_analysis(db, current_user, request.args.get("org"))
    db.commit()
    jobs.start_job(job)
    location = url_for("api.job", job_id=job.id)
    return {"job": job.id, "status_url": location}, 202, {"Location": location}


def _case_params():
    params = network_service.QueryParams(request.args)
    expand = params.flag("expand")
    limit = params.integer("limit", network_service.CASE_LIMIT, 1, network_service.CASE_LIMIT_MAX)
    params.check()
    return expand, limit


# --- OpenAPI ----------------------------------------------------------------------------------


def _query(name, schema, description, required=False):
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


_ENTITY = id_param("entity_id", "entity id")
_CASE = id_param("case_id", "case id")
_EXPAND = _query(
    "expand", {"type": "boolean", "default": False}, "also the entities one link out of the case"
)
_CASE_LIMIT = _query(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": network_service.CASE_LIMIT_MAX, "default": 2000},
    "at most this many entities",
)


def _file(mimetype, description):
    return {
        "description": description,
        "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}},
    }


openapi.register(
    {
        "/entities/{entity_id}/owners": {
            "parameters": [_ENTITY],
            "get": {
                "summary": "Ultimate owners and effective shares (logged as a consultation)",
                "parameters": [
                    _query("as_of", {"type": "string", "format": "date"}, "day; default today"),
                    _query(
                        "threshold",
                        {"type": "number", "minimum": 0, "maximum": 100, "default": 25},
                        "keep owners with at least this share (%)",
                    ),
                ],
                "responses": {"200": json_response(ref("Owners"), "the owners"), **ERRORS},
            },
        },
        "/entities/{entity_id}/network": {
            "parameters": [_ENTITY],
            "get": {
                "summary": "Neighbourhood of an entity, bounded (logged as a consultation)",
                "parameters": [
                    _query(
                        "depth",
                        {"type": "integer", "minimum": 1, "maximum": 3, "default": 2},
                        "links to follow",
                    ),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 2000, "default": 500},
                        "at most this many entities",
                    ),
                ],
                "responses": {"200": json_response(ref("Graph"), "the graph"), **ERRORS},
            },
        },
        "/entities/{entity_id}/links": {
            "parameters": [_ENTITY],
            "get": {
                "summary": "Other cases and cities holding the same entity (by record or strong "
                "identifier): cases in scope in full, other organisations as hit/no-hit",
                "responses": {"200": json_response(ref("Links"), "cases and hits"), **ERRORS},
            },
        },
        "/cases/{case_id}/network": {
            "parameters": [_CASE],
            "get": {
                "summary": "A case's network with degree, betweenness and community per entity",
                "parameters": [_EXPAND, _CASE_LIMIT],
                "responses": {"200": json_response(ref("Graph"), "the graph"), **ERRORS},
            },
        },
        "/cases/{case_id}/network.svg": {
            "parameters": [_CASE],
            "get": {
                "summary": "A case's network drawn as SVG",
                "parameters": [_EXPAND],
                "responses": {"200": _file("image/svg+xml", "the drawing"), **ERRORS},
            },
        },
        "/paths": {
            "get": {
                "summary": "Shortest chains of links of any kind between two entities",
                "parameters": [
                    _query("from", {"type": "integer"}, "entity id", required=True),
                    _query("to", {"type": "integer"}, "entity id", required=True),
                    _query(
                        "max_depth",
                        {"type": "integer", "minimum": 1, "maximum": 8, "default": 6},
                        "longest chain looked for, in links",
                    ),
                ],
                "responses": {"200": json_response(ref("Paths"), "the paths"), **ERRORS},
            },
        },
        "/network/analyses": {
            "post": {
                "summary": "Start the whole-graph analysis of the caller's organisation (a job)",
                "parameters": [_query("org", {"type": "string"}, "organisation code")],
                "responses": {
                    "202": json_response(
                        {
                            "type": "object",
                            "properties": {
                                "job": {"type": "integer"},
                                "status_url": {"type": "string"},
                            },
                        },
                        "the job; poll status_url",
                    ),
                    **ERRORS,
                },
            },
        },
        "/network/analyses/latest": {
            "get": {
                "summary": "The latest stored analysis and its top 20 brokers",
                "parameters": [_query("org", {"type": "string"}, "organisation code")],
                "responses": {
                    "200": json_response(ref("NetworkAnalysis"), "the analysis"),
                    "404": PROBLEM,
                    **ERRORS,
                },
            },
        },
    },
    {
        "Graph": {
            "type": "object",
            "required": ["nodes", "edges", "truncated"],
            "properties": {
                "nodes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "schema", "name"],
                        "properties": {
                            "id": {"type": "integer"},
                            "schema": {"type": "string"},
                            "name": {"type": "string"},
                            "organisation": {"type": ["string", "null"]},
                            "hub": {"type": "boolean"},
                            "depth": {"type": "integer"},
                            "role": {"type": "string"},
                            "in_case": {"type": "boolean"},
                            "degree": {"type": "number"},
                            "betweenness": {"type": "number"},
                            "community": {"type": "integer"},
                        },
                    },
                },
                "edges": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["source", "target", "schema"],
                        "properties": {
                            "id": {"type": ["integer", "string"]},
                            "source": {"type": "integer"},
                            "target": {"type": "integer"},
                            "schema": {"type": "string"},
                            "label": {"type": "string"},
                            "role": {"type": ["string", "null"]},
                            "percentage": {"type": ["string", "null"]},
                            "derived": {"type": "boolean"},
                        },
                    },
                },
                "truncated": {"type": "boolean"},
            },
        },
        "Owners": {
            "type": "object",
            "required": ["owners", "declared", "warnings"],
            "properties": {
                "owners": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"},
                            "name": {"type": "string"},
                            "schema": {"type": "string"},
                            "share": {"type": ["number", "null"]},
                            "share_min": {"type": "number"},
                            "share_max": {"type": "number"},
                            "paths": {"type": "array", "items": {"type": "object"}},
                            "flags": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
                "declared": {"type": "array", "items": {"type": "object"}},
                "warnings": {"type": "array", "items": {"type": "string"}},
            },
        },
        "Paths": {
            "type": "object",
            "required": ["paths", "truncated"],
            "properties": {
                "paths": {
                    "type": "array",
                    "items": {"type": "array", "items": {"type": "integer"}},
                },
                "truncated": {"type": "boolean"},
                "nodes": {"type": "array", "items": {"type": "object"}},
                "edges": {"type": "array", "items": {"type": "object"}},
            },
        },
        "Links": {
            "type": "object",
            "required": ["cases", "hits"],
            "properties": {
                "cases": {"type": "array", "items": {"type": "object"}},
                "hits": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "organisation": {"type": "string"},
                            "contact": {"type": ["string", "null"]},
                            "matched_on": {"type": ["string", "null"]},
                        },
                    },
                },
            },
        },
        "NetworkAnalysis": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "organisation": {"type": "string"},
                "method": {"type": "string"},
                "node_count": {"type": "integer"},
                "edge_count": {"type": "integer"},
                "community_count": {"type": "integer"},
                "brokers": {"type": "array", "items": {"type": "object"}},
            },
        },
    },
)
