"""/api/v1/openapi.json: the OpenAPI 3.1 description of every API route.

A test compares the app's URL map with ``PATHS``: a route missing here fails the suite.
"""

from .. import shapes
from ..shapes import MONEY_JSON
from . import bp

__all__ = ["document", "register", "PATHS", "SCHEMAS"]

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
        # A larger number is no id (a 404): the database holds 64-bit ids.
        "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1},
    }


_MONEY = MONEY_JSON
_NULLABLE_MONEY = {**_MONEY, "type": ["string", "null"]}
_CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$", "default": "EUR", "description": "ISO 4217"}
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
    "/cases/{case_id}/entities": {
        "parameters": [_id_param("case_id", "case id")],
        "post": {
            "summary": "Add an entity to a case (new, by FtM schema and properties) or link an "
            "existing one (entity_id), with its role and grade",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CaseEntityIn")}},
            },
            "responses": {
                "201": _json(_ref("EntitySummary"), "the entity as linked"),
                "409": _PROBLEM,
                **_ERRORS,
            },
        },
    },
    "/entities": {
        "get": {
            "summary": "Search entities within scope by name or identifier, or by FtM id",
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "name, or a strong identifier (IMO, IBAN, LEI, ISIN...)",
                },
                {
                    "name": "external_id",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "the FollowTheMoney id of an imported entity",
                },
                {"name": "schema", "in": "query", "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                {"name": "offset", "in": "query", "schema": {"type": "integer"}},
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "items": {"type": "array", "items": _ref("EntitySummary")},
                            "total": {"type": "integer"},
                        },
                    },
                    "matching entities",
                ),
                **_ERRORS,
            },
        },
    },
    "/entities/{entity_id}": {
        "parameters": [_id_param("entity_id", "entity id")],
        "get": {
            "summary": "Read an entity: properties, asset state, cases (logged)",
            "responses": {"200": _json(_ref("Entity"), "the entity"), **_ERRORS},
        },
    },
    "/relations": {
        "post": {
            "summary": "Record a relation between two entities",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Relation")}},
            },
            "responses": {"201": _json(_ref("Relation"), "the relation"), **_ERRORS},
        },
    },
    "/cases/{case_id}/decisions": {
        "parameters": [_id_param("case_id", "case id")],
        "post": {
            "summary": "Record a legal decision on one or more assets of the case, all or "
            "nothing; 409 when the lifecycle forbids it for any asset",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("DecisionIn")}},
            },
            "responses": {
                "201": _json(_ref("Decision"), "the decision"),
                "409": _PROBLEM,
                **_ERRORS,
            },
        },
    },
    "/decisions/{decision_id}/annul": {
        "parameters": [_id_param("decision_id", "decision id")],
        "post": {
            "summary": "Annul a decision entered by mistake (reason required); assets step back",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["reason"],
                            "properties": {"reason": {"type": "string", "maxLength": 2000}},
                        }
                    }
                },
            },
            "responses": {
                "200": _json(_ref("Decision"), "the annulled decision"),
                "409": _PROBLEM,
                **_ERRORS,
            },
        },
    },
    "/assets/{asset_id}": {
        "parameters": [_id_param("asset_id", "asset (entity) id")],
        "get": {
            "summary": "An asset's stage, values, ledger totals, valuations and history",
            "responses": {"200": _json(_ref("Asset"), "the asset"), **_ERRORS},
        },
    },
    "/assets/{asset_id}/valuations": {
        "parameters": [_id_param("asset_id", "asset (entity) id")],
        "post": {
            "summary": "Add a valuation (date, amount, currency, basis, valuer)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["valued_on", "amount", "basis", "valuer"],
                            "properties": {
                                "valued_on": {"type": "string", "format": "date"},
                                "amount": _MONEY,
                                "currency": _CURRENCY,
                                "basis": {"type": "string"},
                                "valuer": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {"201": _json(_ref("ValuationEntry"), "the valuation"), **_ERRORS},
        },
    },
    "/assets/{asset_id}/ledger": {
        "parameters": [_id_param("asset_id", "asset (entity) id")],
        "post": {
            "summary": "Book a management cost or income (frozen, managed or confiscated "
            "assets only; 409 otherwise)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["booked_on", "kind", "amount", "category"],
                            "properties": {
                                "booked_on": {"type": "string", "format": "date"},
                                "kind": {"enum": ["cost", "income"]},
                                "amount": _MONEY,
                                "currency": _CURRENCY,
                                "category": {"type": "string"},
                                "note": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": _json(_ref("LedgerEntry"), "the ledger entry"),
                "409": _PROBLEM,
                **_ERRORS,
            },
        },
    },
    "/stats": {
        "get": {
            "summary": "Directive 2014/42/EU Art. 11 statistics of the caller's organisation",
            "parameters": [{"name": "year", "in": "query", "schema": {"type": "integer"}}],
            "responses": {
                "200": _json(
                    _ref("Statistics"), "counts, and totals per currency as decimal strings"
                ),
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
            "responses": {
                "200": _json(
                    {"type": "object", "required": ["openapi", "info", "paths"]},
                    "OpenAPI 3.1 document",
                )
            },
        },
    },
}

_TLP = {"enum": ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]}
_HANDLING = {"enum": ["H0", "H1", "H2", "H3"]}

SCHEMAS = {
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
    "CaseEntityIn": {
        "type": "object",
        "properties": {
            "schema": {"type": "string", "description": "FollowTheMoney schema name"},
            "properties": {
                "type": "object",
                "description": "FtM property names to a value "
                'or a list of values; "unknown" and "n/a" are kept as such',
            },
            "entity_id": {"type": "integer", "description": "link an existing entity instead"},
            "role": {
                "enum": [
                    "suspect",
                    "convicted",
                    "victim",
                    "witness",
                    "associate",
                    "enabler",
                    "other",
                ]
            },
            "source_grade": {"enum": ["A", "B", "C", "X"]},
            "info_grade": {"enum": ["1", "2", "3", "4"]},
            "as_asset": {
                "type": "boolean",
                "description": "a Company whose shares or business are seized",
            },
            "estimated_value": _MONEY,
            "currency": _CURRENCY,
            "note": {"type": "string"},
            "link_existing": {
                "type": "boolean",
                "description": "when the organisation holds an entity with the same strong "
                "identifier (409 names it): link that one instead",
            },
            "create_anyway": {
                "type": "boolean",
                "description": "create a new entity despite the shared identifier; needs reason",
            },
            "reason": {"type": "string", "maxLength": 2000},
        },
    },
    "Relation": {
        "type": "object",
        "required": ["schema", "source", "target"],
        "properties": {
            "id": {"type": "integer"},
            "schema": {
                "enum": [
                    "Ownership",
                    "Directorship",
                    "Representation",
                    "Family",
                    "Associate",
                    "Employment",
                    "Membership",
                    "Payment",
                    "UnknownLink",
                ]
            },
            "source": {"type": "integer"},
            "target": {"type": "integer"},
            # null where the relation does not say: no share, no period, no payment, no grade.
            "percentage": {
                "type": ["string", "null"],
                "description": "0-100, or a band such as 25-50",
            },
            "percentage_min": {"type": ["string", "null"], "readOnly": True},
            "percentage_max": {"type": ["string", "null"], "readOnly": True},
            "start_date": {"type": ["string", "null"], "format": "date"},
            "end_date": {"type": ["string", "null"], "format": "date"},
            "role": {"type": ["string", "null"]},
            "amount": _NULLABLE_MONEY,
            "currency": {**_CURRENCY, "type": ["string", "null"]},
            "date": {"type": ["string", "null"], "format": "date"},
            "source_grade": {"enum": ["A", "B", "C", "X", None]},
            "info_grade": {"enum": ["1", "2", "3", "4", None]},
        },
    },

}

# Generated from the pydantic models (assettrack/shapes.py): the request body of each decision
# action, one model per action discriminated by ``action``, and each resource as the API
# returns it.
SCHEMAS.update(
    shapes.component_schemas(named={"DecisionIn": shapes.DecisionIn}, mode="validation")
)
SCHEMAS.update(shapes.component_schemas(*shapes.RESPONSES))


def register(paths: dict, schemas: dict | None = None) -> None:
    """Add an API module's routes (and schemas) to the document; called at import time."""
    clash = set(paths) & set(PATHS) | set(schemas or {}) & set(SCHEMAS)
    if clash:
        raise ValueError(f"OpenAPI entries defined twice: {sorted(clash)}")
    PATHS.update(paths)
    SCHEMAS.update(schemas or {})


def money_schema() -> dict:
    """The schema of a money amount (a decimal string)."""
    return dict(_MONEY)


def currency_schema() -> dict:
    """The schema of an ISO 4217 currency code."""
    return dict(_CURRENCY)


def ref(name: str) -> dict:
    """A reference to a component schema."""
    return _ref(name)


def json_response(schema: dict, description: str) -> dict:
    """A 200/201 response with a JSON body."""
    return _json(schema, description)


def id_param(name: str, what: str) -> dict:
    """An integer path parameter."""
    return _id_param(name, what)


PROBLEM = _PROBLEM
ERRORS = _ERRORS


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
        "paths": _with_rate_limits(PATHS),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Problem": {
                    "description": "problem details",
                    "content": {"application/problem+json": {"schema": _ref("Problem")}},
                },
                "TooManyRequests": {
                    "description": "rate limit reached (per token, or per address for bad "
                    "tokens): wait the seconds in Retry-After",
                    "headers": {
                        "Retry-After": {
                            "description": "seconds to wait before trying again",
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    },
                    "content": {"application/problem+json": {"schema": _ref("Problem")}},
                },
            },
        },
    }


_HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _with_rate_limits(paths: dict) -> dict:
    # Every route behind a bearer token can answer 429 (security.limiter, api/__init__.py);
    # only the public OpenAPI document cannot.
    limited = {}
    for path, item in paths.items():
        limited[path] = {
            method: _add_429(operation) if method in _HTTP_METHODS and path != "/openapi.json"
            else operation
            for method, operation in item.items()
        }
    return limited


def _add_429(operation: dict) -> dict:
    responses = {**operation.get("responses", {})}
    responses.setdefault("429", {"$ref": "#/components/responses/TooManyRequests"})
    return {**operation, "responses": responses}


@bp.get("/openapi.json")
def openapi():
    """Return the OpenAPI document (public: it holds no data)."""
    return document()
