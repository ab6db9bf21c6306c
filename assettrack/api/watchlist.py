"""/api/v1/watchlist: the caller's watched entities and identifiers."""

from datetime import datetime

from flask import url_for
from flask_login import current_user
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError

from ..db import get_session
from ..errors import Invalid
from ..errors import Msg
from ..services import watchlist
from ..shapes import component_schemas
from . import bp
from . import json_body
from . import openapi


class WatchIn(BaseModel):
    """What to watch: an entity (``entity_id``), or an identifier (``kind``, ``value``, and
    ``scope`` for a registration number: its jurisdiction)."""

    model_config = ConfigDict(extra="forbid")

    entity_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    kind: str | None = Field(default=None, max_length=32, examples=["iban"])
    value: str | None = Field(default=None, max_length=200, examples=["NL91 ABNA 0417 1643 00"])
    scope: str | None = Field(default=None, max_length=8, examples=["nl"])


class Watch(BaseModel):
    """One watch; an identifier's value as the identifier index writes it."""

    id: int
    entity_id: int | None
    kind: str | None = Field(examples=["iban"])
    value: str | None = Field(examples=["NL91ABNA0417164300"])
    label: str
    created_at: datetime


class WatchList(BaseModel):
    """The caller's watches, newest first."""

    items: list[Watch]


@bp.get("/watchlist")
def list_watches():
    """The caller's watches."""
    db = get_session()
    items = [watchlist.watch_as_dict(w) for w in watchlist.list_watches(db, current_user)]
    return WatchList.model_validate({"items": items}).model_dump(mode="json")


@bp.post("/watchlist")
def add_watch():
    """Watch an entity or an identifier (officers and liaisons)."""
    db = get_session()
    try:
        data = WatchIn.model_validate(json_body()).model_dump(exclude_none=True)
    except ValidationError as exc:
        raise Invalid(
            {".".join(str(p) for p in e["loc"]) or "": Msg(e["msg"]) for e in exc.errors()}
        ) from None
    watch = watchlist.add_watch(db, current_user, data)
    db.commit()
    body = Watch.model_validate(watchlist.watch_as_dict(watch)).model_dump(mode="json")
    return body, 201, {"Location": url_for("api.list_watches")}


@bp.delete("/watchlist/<int:watch_id>")
def remove_watch(watch_id: int):
    """Stop watching."""
    db = get_session()
    watchlist.remove_watch(db, current_user, watch_id)
    db.commit()
    return "", 204


openapi.register(
    {
        "/watchlist": {
            "get": {
                "summary": "The caller's watched entities and identifiers",
                "responses": {
                    "200": openapi.json_response(openapi.ref("WatchList"), "the watches"),
                    **openapi.ERRORS,
                },
            },
            "post": {
                "summary": "Watch an entity or an identifier (IBAN, IMO... in any spelling); "
                "a new case, import, relation or screening hit on it notifies the caller "
                "(officers and liaisons; only what they may read)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": openapi.ref("WatchIn")}},
                },
                "responses": {
                    "201": openapi.json_response(openapi.ref("Watch"), "the watch"),
                    **openapi.ERRORS,
                },
            },
        },
        "/watchlist/{watch_id}": {
            "parameters": [openapi.id_param("watch_id", "watch id")],
            "delete": {
                "summary": "Stop watching",
                "responses": {"204": {"description": "removed"}, **openapi.ERRORS},
            },
        },
    },
    {
        **component_schemas(WatchList, Watch),
        **component_schemas(WatchIn, mode="validation"),
    },
)
