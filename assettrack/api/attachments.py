"""/api/v1 attachments of cases and entities: list, upload (multipart), download."""

from flask import current_app
from flask import request
from flask import send_file
from flask import url_for
from flask_login import current_user

from .. import jobs
from .. import shapes
from ..db import get_session
from ..errors import Invalid
from ..services import attachments as attachment_service
from . import bp
from .openapi import ERRORS
from .openapi import id_param
from .openapi import json_response
from .openapi import ref
from .openapi import register

_OWNERS = {"cases": "case_id", "entities": "entity_id"}


@bp.get("/cases/<int:case_id>/attachments")
def list_case_attachments(case_id: int):
    """List a case's attachments, newest first."""
    return _list(case_id=case_id)


@bp.get("/entities/<int:entity_id>/attachments")
def list_entity_attachments(entity_id: int):
    """List an entity's attachments, newest first."""
    return _list(entity_id=entity_id)


@bp.post("/cases/<int:case_id>/attachments")
def upload_case_attachment(case_id: int):
    """Attach a file (multipart field ``file``) to a case."""
    return _upload(case_id=case_id)


@bp.post("/entities/<int:entity_id>/attachments")
def upload_entity_attachment(entity_id: int):
    """Attach a file (multipart field ``file``) to an entity."""
    return _upload(entity_id=entity_id)


@bp.get("/cases/<int:case_id>/attachments/<int:attachment_id>/file")
def download_case_attachment(case_id: int, attachment_id: int):
    """Send a case's attachment as a download; the consultation is logged."""
    return _download(attachment_id, case_id=case_id)


@bp.get("/entities/<int:entity_id>/attachments/<int:attachment_id>/file")
def download_entity_attachment(entity_id: int, attachment_id: int):
    """Send an entity's attachment as a download; the consultation is logged."""
    return _download(attachment_id, entity_id=entity_id)


# --- helpers -----------------------------------------------------------------------------------


def _list(**owner_id):
    db = get_session()
    owner = attachment_service.get_owner(db, current_user, **owner_id)
    items = attachment_service.list_for(db, current_user, owner)
    return shapes.AttachmentList(items=[_shape(a, owner_id) for a in items]).model_dump(mode="json")


def _upload(**owner_id):
    db = get_session()
    owner = attachment_service.get_owner(db, current_user, **owner_id)
    upload = request.files.get("file")
    if upload is None:
        raise Invalid({"file": "send the file as the multipart/form-data field 'file'"})
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    row, job = attachment_service.upload(
        db,
        current_user,
        owner,
        upload.filename or "",
        upload.read(limit + 1),
        current_app.config["FILES_DIR"],
        limit,
    )
    db.commit()
    if job is not None:
        jobs.start_job(job)
    db.expire_all()
    view = next(a for a in attachment_service.list_for(db, current_user, owner) if a.id == row.id)
    body = _shape(view, owner_id)
    return body.model_dump(mode="json"), 201, {"Location": body.file or ""}


def _download(attachment_id: int, **owner_id):
    db = get_session()
    owner = attachment_service.get_owner(db, current_user, **owner_id)
    path, row = attachment_service.for_download(
        db, current_user, attachment_id, current_app.config["FILES_DIR"], owner=owner
    )
    db.commit()
    response = send_file(
        path, mimetype=row.content_type, as_attachment=True, download_name=row.name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _shape(view: attachment_service.AttachmentView, owner_id: dict) -> shapes.Attachment:
    ((key, value),) = owner_id.items()
    endpoint = (
        "api.download_case_attachment" if key == "case_id" else "api.download_entity_attachment"
    )
    return shapes.Attachment(
        id=view.id,
        case_id=view.case_id,
        entity_id=view.entity_id,
        name=view.name,
        content_type=view.content_type,
        size=view.size,
        sha256=view.sha256,
        uploaded_by=view.uploaded_by,
        uploaded_at=view.uploaded_at.isoformat(),
        preview=view.preview.value,
        preview_error=view.preview_error,
        file=url_for(endpoint, attachment_id=view.id, **{key: value}) if view.servable else None,
        thumbnail=url_for("attachments.thumbnail", attachment_id=view.id)
        if view.has_thumbnail
        else None,
    )


_ATTACHMENT_ID = id_param("attachment_id", "attachment id")
_UPLOAD = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    },
}
_FILE = {
    "description": "the file, sent as an attachment with its type as found in its bytes",
    "content": {
        kind.mime: {"schema": {"type": "string", "format": "binary"}}
        for kind in attachment_service.KINDS
    },
}


def _paths(collection: str, key: str, what: str) -> dict:
    owner = id_param(key, f"{what} id")
    return {
        f"/{collection}/{{{key}}}/attachments": {
            "parameters": [owner],
            "get": {
                "summary": f"The attachments of a {what} (files refused by their check "
                "included, without a download)",
                "responses": {"200": json_response(ref("AttachmentList"), "the list"), **ERRORS},
            },
            "post": {
                "summary": f"Attach a file to a {what} (officers of the owning organisation; "
                "ATTACHMENT_MAX_BYTES). The type is read from the bytes: a web page, a type not "
                "accepted or a name saying another type is a 422. Images and PDFs are then "
                "checked, and given a thumbnail, by a job",
                "requestBody": _UPLOAD,
                "responses": {
                    "201": {
                        "description": "the attachment; Location is its download",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": ref("Attachment")}},
                    },
                    **ERRORS,
                },
            },
        },
        f"/{collection}/{{{key}}}/attachments/{{attachment_id}}/file": {
            "parameters": [owner, _ATTACHMENT_ID],
            "get": {
                "summary": f"Download an attachment of a {what}; logged as a consultation. "
                "404 outside the caller's scope, once removed, or when its check refused it",
                "responses": {"200": _FILE, **ERRORS},
            },
        },
    }


register(
    {**_paths("cases", "case_id", "case"), **_paths("entities", "entity_id", "entity")},
    shapes.component_schemas(shapes.AttachmentList),
)
