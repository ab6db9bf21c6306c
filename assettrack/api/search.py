"""GET /api/v1/search: everything the caller may read, by name, identifier or case reference."""

from typing import Literal

from flask import request
from flask_login import current_user
from pydantic import BaseModel
from pydantic import Field
from sqlalchemy import select

from .. import shapes
from ..db import get_session
from ..errors import Invalid
from ..errors import Msg
from ..models import Organisation
from ..services import search as search_service
from . import bp
from . import openapi

__all__ = ["SearchHit", "SearchGroup", "SearchResults", "results_shape"]

_LAST_PAGE = search_service.RESULT_CAP // search_service.PAGE_SIZE


class SearchHit(BaseModel):
    """One result: an entity or a case, with the page that shows it."""

    type: Literal["entity", "case"]
    id: int
    group: str = Field(description="the kind it is listed under (people, vehicles, cases...)")
    label: str = Field(description="an entity's name, a case's title")
    detail: str = Field(description="an entity's FtM schema, a case's reference")
    organisation: str = Field(description="code of the organisation that holds it")
    href: str = Field(description="the web page of the case or entity")


class SearchGroup(BaseModel):
    """The results of one kind: how many there are, and those shown."""

    kind: str
    count: int
    items: list[SearchHit]


class SearchResults(BaseModel):
    """What a search found, grouped by kind; one page of one kind when ``kind`` is given."""

    query: str
    kind: str | None
    page: int
    pages: int
    total: int = Field(description="matches counted (at most 1,000)")
    truncated: bool = Field(description="more than 1,000 matches: add words to narrow it")
    groups: list[SearchGroup]


def results_shape(db, results: search_service.Results, href) -> SearchResults:
    """Return the response for ``results``; ``href(type, id)`` gives each result's page."""
    org_ids = {i["organisation_id"] for items in results.items.values() for i in items}
    codes = dict(
        db.execute(
            select(Organisation.id, Organisation.code).where(Organisation.id.in_(org_ids or {-1}))
        ).all()
    )
    groups = [
        SearchGroup(
            kind=kind,
            count=count,
            items=[
                SearchHit(
                    type=i["type"],
                    id=i["id"],
                    group=i["group"],
                    label=i["label"],
                    detail=i["detail"],
                    organisation=codes.get(i["organisation_id"], ""),
                    href=href(i["type"], i["id"]),
                )
                for i in results.items.get(kind, [])
            ],
        )
        for kind, count in results.counts.items()
    ]
    return SearchResults(
        query=results.query.text,
        kind=results.kind,
        page=results.page,
        pages=results.pages,
        total=results.total,
        truncated=results.truncated,
        groups=groups,
    )


def page_arg(args) -> int:
    """The ``page`` of a search: 1 to 50 (1,000 results at most), else ``Invalid``."""
    raw = (args.get("page") or "1").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= _LAST_PAGE):
        raise Invalid({"page": Msg("A page number from 1 to {n}.", n=_LAST_PAGE)})
    return int(raw)


def _href(kind: str, object_id: int) -> str:
    return f"/cases/{object_id}" if kind == "case" else f"/entities/{object_id}"


@bp.get("/search")
def search():
    """Search entities and cases in scope; the query and the ids shown are audited."""
    db = get_session()
    kind = request.args.get("kind") or None
    results = search_service.search(
        db, current_user, request.args.get("q"), kind=kind, page=page_arg(request.args)
    )
    body = results_shape(db, results, _href)
    db.commit()
    return body.model_dump(mode="json")


openapi.register(
    {
        "/search": {
            "get": {
                "summary": "Search what the caller may read: entities by name (any case, "
                "accents, word order or script) or identifier (IBAN, IMO, registration "
                "number in any spelling), cases by reference or title; grouped by kind. "
                "Logged with the query and the ids shown",
                "parameters": [
                    {
                        "name": "q",
                        "in": "query",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "maxLength": search_service.MAX_QUERY_LENGTH,
                        },
                        "description": f"at most {search_service.MAX_WORDS} words; each word "
                        "of 3 characters or more matches the start of a word",
                    },
                    {
                        "name": "kind",
                        "in": "query",
                        "schema": {"enum": list(search_service.GROUPS)},
                        "description": "one kind, paged; without it the first "
                        f"{search_service.GROUP_PREVIEW} results of each kind",
                    },
                    {
                        "name": "page",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": _LAST_PAGE,
                            "default": 1,
                        },
                        "description": f"{search_service.PAGE_SIZE} results a page, with kind",
                    },
                ],
                "responses": {
                    "200": openapi.json_response(
                        openapi.ref("SearchResults"), "the results, grouped by kind"
                    ),
                    "401": {"$ref": "#/components/responses/Problem"},
                    "422": {"$ref": "#/components/responses/Problem"},
                },
            }
        }
    },
    shapes.component_schemas(SearchResults),
)
