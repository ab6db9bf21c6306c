"""Attachment pages: upload to a case or an entity, download, thumbnail, reasoned removal.

The list is the partial ``attachments/_list.html``, included on the case page (and on an
entity's page as ``{% with attachment_owner=entity %}{% include ... %}{% endwith %}``); it
reads its rows through ``attachments_of``, a template helper of this blueprint.
"""

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField

from .. import access
from .. import jobs
from ..db import get_session
from ..errors import Invalid
from ..models import Case
from ..models.attachments import REASON_MAX
from ..services import attachments as attachment_service
from . import apply_errors
from . import case_readers_only

bp = Blueprint("attachments", __name__)


class AttachmentForm(FlaskForm):
    """Attach a file (its type is read from its content)."""

    file = FileField(
        _l("File"),
        description=_l(
            "PDF, image, office document, text, e-mail, recording, video or ZIP archive."
        ),
    )


class RemovalForm(FlaskForm):
    """Remove an attachment, saying why."""

    reason = TextAreaField(_l("Why is it removed?"), render_kw={"maxlength": REASON_MAX, "rows": 3})


case_readers_only(bp)


@bp.app_context_processor
def _helpers():
    return {"attachments_of": _attachments_of}


def _attachments_of(owner) -> dict:
    """The rows and rights the list partial shows for a case or an entity."""
    db = get_session()
    is_case = isinstance(owner, Case)
    return {
        "items": attachment_service.list_for(db, current_user, owner),
        "can_edit": access.can_edit_case(current_user, owner)
        if is_case
        else access.can_create_case(current_user)
        and current_user.organisation_id == owner.organisation_id,
        "upload_url": url_for(
            "attachments.upload_to_case" if is_case else "attachments.upload_to_entity",
            **({"case_id": owner.id} if is_case else {"entity_id": owner.id}),
        ),
        "limit_mb": current_app.config["ATTACHMENT_MAX_BYTES"] // (1024 * 1024),
    }


@bp.route("/cases/<int:case_id>/attachments/new", methods=["GET", "POST"])
def upload_to_case(case_id: int):
    """Attach a file to a case."""
    return _upload(case_id=case_id)


@bp.route("/entities/<int:entity_id>/attachments/new", methods=["GET", "POST"])
def upload_to_entity(entity_id: int):
    """Attach a file to an entity."""
    return _upload(entity_id=entity_id)


@bp.route("/entities/<int:entity_id>/attachments")
def entity_attachments(entity_id: int):
    """List an entity's attachments (the entity page includes the same list)."""
    db = get_session()
    entity = attachment_service.get_owner(db, current_user, entity_id=entity_id)
    return render_template("attachments/entity.html", entity=entity)


@bp.route("/attachments/<int:attachment_id>/file")
def download(attachment_id: int):
    """Send an attachment as a download (never shown inline); the consultation is logged."""
    db = get_session()
    path, row = attachment_service.for_download(
        db, current_user, attachment_id, current_app.config["FILES_DIR"]
    )
    db.commit()
    return _no_sniff(
        send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.name)
    )


@bp.route("/attachments/<int:attachment_id>/thumbnail")
def thumbnail(attachment_id: int):
    """Send the PNG the thumbnail job re-encoded (never the uploaded bytes)."""
    db = get_session()
    path = attachment_service.thumbnail_for(
        db, current_user, attachment_id, current_app.config["FILES_DIR"]
    )
    db.commit()
    response = send_file(path, mimetype="image/png", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return _no_sniff(response)


@bp.route("/attachments/<int:attachment_id>/remove", methods=["GET", "POST"])
def remove(attachment_id: int):
    """Remove an attachment from its list, saying why (the file is kept until retention)."""
    db = get_session()
    row = attachment_service.get_for_edit(db, current_user, attachment_id)
    form = RemovalForm()
    status = 200
    if form.validate_on_submit():
        try:
            attachment_service.remove(db, current_user, attachment_id, form.reason.data)
        except Invalid as exc:
            db.rollback()
            apply_errors(form, exc.errors)
            status = 422
        else:
            db.commit()
            flash(gettext("The file was removed from the list."), "success")
            return redirect(_back(row.case_id, row.entity_id))
    elif request.method == "POST":
        status = 422
    return render_template(
        "attachments/remove.html", form=form, row=row, back=_back(row.case_id, row.entity_id)
    ), status


# --- helpers -----------------------------------------------------------------------------------


def _upload(*, case_id=None, entity_id=None):
    db = get_session()
    owner = attachment_service.get_owner(db, current_user, case_id=case_id, entity_id=entity_id)
    form = AttachmentForm()
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        upload = form.file.data
        limit = current_app.config["ATTACHMENT_MAX_BYTES"]
        # One byte more than the limit is enough for the service to refuse a larger file.
        data = upload.read(limit + 1) if upload else b""
        try:
            _row, job = attachment_service.upload(
                db,
                current_user,
                owner,
                upload.filename if upload else "",
                data,
                current_app.config["FILES_DIR"],
                limit,
            )
        except Invalid as exc:
            db.rollback()
            apply_errors(form, exc.errors)
            status = 422
        else:
            db.commit()
            if job is not None:
                jobs.start_job(job)
            flash(gettext("File attached."), "success")
            return redirect(_back(case_id, entity_id))
    elif request.method == "POST":
        status = 422
    return render_template(
        "attachments/upload.html",
        form=form,
        owner=owner,
        is_case=case_id is not None,
        back=_back(case_id, entity_id),
        limit_mb=current_app.config["ATTACHMENT_MAX_BYTES"] // (1024 * 1024),
    ), status


def _back(case_id, entity_id) -> str:
    if case_id is not None:
        return url_for("cases.detail", case_id=case_id, _anchor="attachments")
    return url_for("attachments.entity_attachments", entity_id=entity_id)


def _no_sniff(response):
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
