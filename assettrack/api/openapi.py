"""/api/v1/openapi.json: the OpenAPI 3.1 description of every API route.

A test compares the app's URL map with ``PATHS``: a route missing here fails the suite.
"""

from . import bp

__all__ = ["document", "PATHS"]

_PROBLEM = {"$ref": "#/components/responses/Problem"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _id_param(name: str, what: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": what,
        "schema": {"type": "integer"},
    }


_ERRORS = {"401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "422": _PROBLEM}

PATHS = {
    "/cases": {
        "get": {
            "summary": "List the cases the caller may read",
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "text in the title, reference, summary or tags",
                },
                {"name": "status", "in": "query", "schema": {"enum": ["open", "closed"]}},
                {
                    "name": "tlp",
                    "in": "query",
                    "schema": {"enum": ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]},
                },
                {
                    "name": "sort",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "reference, title, status, tlp, opened_on, review_on or "
                    "updated_at; prefix '-' for descending",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
                },
                {
                    "name": "offset",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 0, "default": 0},
                },
            ],
            "responses": {"200": _json(_ref("CaseList"), "one page of cases"), **_ERRORS},
        },
        "post": {
            "summary": "Open a case in the caller's organisation",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CaseCreate")}},
            },
            "responses": {"201": _json(_ref("Case"), "the new case"), "409": _PROBLEM, **_ERRORS},
        },
    },
    "/cases/{case_id}": {
        "parameters": [_id_param("case_id", "case id")],
        "get": {
            "summary": "Read one case (logged as a consultation)",
            "responses": {"200": _json(_ref("Case"), "the case"), **_ERRORS},
        },
        "patch": {
            "summary": "Change some fields of a case",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CaseUpdate")}},
            },
            "responses": {
                "200": _json(_ref("Case"), "the changed case"),
                "409": _PROBLEM,
                **_ERRORS,
            },
        },
    },
    "/jobs/{job_id}": {
        "parameters": [_id_param("job_id", "job id")],
        "get": {
            "summary": "Status, progress and result of a background job the caller started",
            "responses": {"200": _json(_ref("Job"), "the job"), **_ERRORS},
        },
    },
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1 document"}},
        },
    },
}

_TLP = {"enum": ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]}
_HANDLING = {"enum": ["H0", "H1", "H2", "H3"]}

SCHEMAS = {
    "Case": {
        "type": "object",
        "required": [
            "id",
            "reference",
            "organisation",
            "title",
            "stage",
            "status",
            "tlp",
            "handling_code",
            "shared_with",
        ],
        "properties": {
            "id": {"type": "integer"},
            "reference": {"type": "string", "examples": ["NLRTM-2026-0001"]},
            "organisation": {"type": "string", "description": "UN/LOCODE"},
            "title": {"type": "string", "maxLength": 200},
            "summary": {"type": "string", "maxLength": 10000},
            "stage": {"enum": ["traced", "frozen", "managed", "confiscated", "completed"]},
            "status": {"enum": ["open", "closed"]},
            "tlp": _TLP,
            "handling_code": _HANDLING,
            "handling_restriction": {"type": ["string", "null"]},
            "shared_with": {"type": "array", "items": {"type": "string"}},
            "assigned_officer": {"type": ["string", "null"], "format": "email"},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 40}},
            "opened_on": {"type": "string", "format": "date"},
            "review_on": {"type": "string", "format": "date"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "CaseCreate": {
        "type": "object",
        "required": ["title"],
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 200},
            "summary": {"type": "string", "maxLength": 10000},
            "tlp": {**_TLP, "default": "AMBER"},
            "handling_code": {**_HANDLING, "default": "H0"},
            "handling_restriction": {
                "type": "string",
                "maxLength": 500,
                "description": "required with H3",
            },
            "shared_with": {
                "type": "array",
                "items": {"type": "string"},
                "description": "organisation codes; refused for AMBER+STRICT",
            },
            "assigned_officer": {"type": "string", "description": "e-mail or id of an officer"},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 20},
            "opened_on": {
                "type": "string",
                "format": "date",
                "description": "not in the future (organisation's time zone)",
            },
            "reference": {
                "type": "string",
                "description": "an existing file number; generated when absent",
            },
        },
    },
    "CaseUpdate": {
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 200},
            "summary": {"type": "string", "maxLength": 10000},
            "status": {"enum": ["open", "closed"]},
            "tlp": _TLP,
            "handling_code": _HANDLING,
            "handling_restriction": {"type": ["string", "null"]},
            "shared_with": {"type": "array", "items": {"type": "string"}},
            "assigned_officer": {"type": ["string", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "opened_on": {"type": "string", "format": "date"},
        },
    },
    "CaseList": {
        "type": "object",
        "required": ["items", "total"],
        "properties": {
            "items": {"type": "array", "items": _ref("Case")},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    },
    "Job": {
        "type": "object",
        "required": ["id", "status", "progress", "result", "error"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string"},
            "status": {"enum": ["queued", "running", "done", "failed"]},
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "message": {"type": ["string", "null"]},
            "result": {"type": ["string", "null"], "format": "uri-reference"},
            "error": {"type": ["string", "null"]},
        },
    },
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}},
                },
            },
        },
    },
}


def document() -> dict:
    """Return the OpenAPI document of the API."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "assettrack API",
            "version": "1",
            "description": "Cases, entities, assets and decisions of assettrack. Authenticate "
            "with `Authorization: Bearer <token>` (`assettrack token add EMAIL`). Errors are "
            "RFC 9457 problem+json; ids are integers; money is a decimal string beside its "
            "ISO 4217 currency.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Problem": {
                    "description": "problem details",
                    "content": {"application/problem+json": {"schema": _ref("Problem")}},
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi():
    """Return the OpenAPI document (public: it holds no data)."""
    return document()
