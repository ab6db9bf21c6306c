"""Import pages: an FtM or BODS file into a case (as a background job), and an asset register
(CSV, XLSX) through a mapping page with a preview. The FtM export of a case is the API's
download (``GET /api/v1/cases/<id>/export.ftm``), which works with the browser session.

Between the register's steps the file stays under ``FILES_DIR/uploads`` with a random name;
the page refers to it by that random token, which must also be listed in the user's session
for that case, and the path is always rebuilt from the token (never taken from the client).
"""

import hashlib
import json
import re
from pathlib import Path

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext
from flask_login import current_user

from .. import access
from .. import jobs
from ..db import get_session
from ..errors import DomainError
from ..errors import Invalid
from ..models import Job
from ..models.imports import REGISTER_TARGETS
from ..services import imports as import_service
from ..services import registers
from . import apply_errors
from . import case_readers_only
from .forms import ImportForm
from .forms import RegisterUploadForm
from .forms import options
from .forms import register_form

bp = Blueprint("imports", __name__)

_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
_SESSION_KEY = "register_uploads"
_KEEP_UPLOADS = 5  # tokens remembered per user session


case_readers_only(bp)


@bp.route("/cases/<int:case_id>/imports/new", methods=["GET", "POST"])
def new_import(case_id: int):
    """Upload an FtM or BODS file; the import runs as a job whose page shows its progress."""
    db = get_session()
    case = _editable_case(db, case_id)
    form = ImportForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            fmt = import_service.check_upload(upload, form.format.data, ("ftm", "bods"))
            job = import_service.queue_import(
                db,
                current_user,
                case,
                import_service.save_upload(upload),
                fmt,
                file_name=upload.filename,
                skip_invalid=form.skip_invalid.data,
            )
        except Invalid as exc:
            db.rollback()
            apply_errors(form, exc.errors)
        else:
            db.commit()
            jobs.start_job(job)
            return redirect(url_for("jobs.detail", job_id=job.id))
    status = 422 if request.method == "POST" else 200
    return render_template("imports/new.html", form=form, case=case), status


@bp.route("/cases/<int:case_id>/registers/new", methods=["GET", "POST"])
def new_register(case_id: int):
    """Upload a register (CSV or XLSX); its columns are mapped on the next page."""
    db = get_session()
    case = _editable_case(db, case_id)
    form = RegisterUploadForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        fmt = "xlsx" if (upload and upload.filename or "").lower().endswith(".xlsx") else "csv"
        try:
            import_service.check_upload(upload, fmt, import_service.REGISTER_FORMATS)
            relative = import_service.save_upload(upload)
            path = _files_dir() / relative
            try:
                registers.read_table(path)
            except Invalid:
                path.unlink(missing_ok=True)
                raise
        except Invalid as exc:
            apply_errors(form, exc.errors)
        else:
            token = Path(relative).stem
            _remember(token, case.id, upload.filename)
            return redirect(url_for("imports.register_mapping", case_id=case.id, token=token))
    status = 422 if request.method == "POST" else 200
    return render_template("imports/register_upload.html", form=form, case=case), status


@bp.route("/cases/<int:case_id>/registers/<token>", methods=["GET", "POST"])
def register_mapping(case_id: int, token: str):
    """Map the register's columns and statuses, preview the first rows, then import."""
    db = get_session()
    case = _editable_case(db, case_id)
    entry, path = _upload_of(token, case.id)
    table = registers.read_table(path)
    saved = [m.name for m in registers.list_mappings(db, case.organisation_id)]
    chosen = request.args.get("mapping") or entry.get("mapping")
    if chosen and chosen not in saved:
        chosen = None
    base = registers.get_mapping(db, case.organisation_id, chosen) if chosen else None
    if request.args.get("mapping") and chosen:
        entry["mapping"] = chosen
        session.modified = True
    posted = request.method == "POST"
    if posted:
        columns = {
            name: request.form.get(f"col_{name}", "").strip()
            for name in registers.FIELDS
            if request.form.get(f"col_{name}", "").strip()
        }
    else:  # a saved mapping's columns this file lacks are left unchosen
        given = dict(base.columns) if base else registers.suggest_columns(table.headers)
        columns = {k: v for k, v in given.items() if v in table.headers}
    try:
        labels = registers.status_labels(table, columns.get("status"))
    except DomainError:  # the preview below reports it beside the form
        labels = []
    form = register_form(
        registers.FIELDS,
        [(_key(label), label) for label in labels],
        formdata=request.form if posted else None,
    )
    form.saved.choices = options([("", "—"), *((n, n) for n in saved)])
    form.saved.data = chosen or ""
    column_choices = options([("", "—"), *((h, h) for h in table.headers)])
    target_choices = options(
        [("", gettext("keep the label, no stage")), *((t, gettext(t)) for t in REGISTER_TARGETS)]
    )
    mapping = registers.ColumnMapping(
        columns=columns,
        statuses=dict(base.statuses) if base else {},
        types=dict(base.types) if base else {},
        defaults=dict(base.defaults) if base else {},
        name=chosen,
    )
    for name in registers.FIELDS:
        field = form[f"col_{name}"]
        field.choices = column_choices
        if not posted:
            field.data = columns.get(name, "")
    for label in labels:
        field = form[f"status_{_key(label)}"]
        field.choices = target_choices
        if posted and field.name in request.form:
            mapping.statuses[label] = field.data or ""
        else:
            field.data = mapping.target_of(label) or ""
    preview = None
    try:
        preview = registers.preview_register(path, mapping)
        if posted and request.form.get("action") == "import" and form.validate():
            if form.save_as.data:
                registers.save_mapping(db, current_user, form.save_as.data, mapping)
            job = import_service.queue_import(
                db,
                current_user,
                case,
                str(Path("uploads") / f"{token}.upload"),
                table.format,
                file_name=entry.get("name"),
                skip_invalid=form.skip_invalid.data,
                options={
                    "columns": mapping.columns,
                    "statuses": mapping.statuses,
                    "types": mapping.types,
                    "defaults": mapping.defaults,
                },
            )
            db.commit()
            _forget(token)
            jobs.start_job(job)
            return _after_register_job(job.id, case.id)
    except DomainError as exc:
        db.rollback()
        errors = getattr(exc, "errors", None) or {"": exc.detail}
        if "file" in errors:  # the file itself cannot be read on: drop it, ask for another
            return _refused_upload(case, token, path, errors)
        apply_errors(form, _field_errors(errors))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "imports/register_mapping.html",
        form=form,
        case=case,
        table=table,
        preview=preview,
        file_name=entry.get("name"),
        token=token,
        saved=saved,
        chosen=chosen,
        status_fields=[(label, form[f"status_{_key(label)}"]) for label in labels],
        column_fields=[form[f"col_{name}"] for name in registers.FIELDS],
    ), status


# --- helpers ---------------------------------------------------------------------------------


def _editable_case(db, case_id: int):
    """Return the case if the user may read it (else 404) and change it (else 403)."""
    case = access.get_case(db, current_user, case_id)
    access.require_edit_case(current_user, case)
    return case


def _files_dir() -> Path:
    return Path(current_app.config["FILES_DIR"])


def _remember(token: str, case_id: int, file_name: str | None) -> None:
    uploads = dict(session.get(_SESSION_KEY) or {})
    for old in list(uploads)[: -(_KEEP_UPLOADS - 1)] if len(uploads) >= _KEEP_UPLOADS else []:
        uploads.pop(old, None)
        (_files_dir() / "uploads" / f"{old}.upload").unlink(missing_ok=True)
    uploads[token] = {"case": case_id, "name": (file_name or "")[:200]}
    session[_SESSION_KEY] = uploads


def _forget(token: str) -> None:
    uploads = dict(session.get(_SESSION_KEY) or {})
    uploads.pop(token, None)
    session[_SESSION_KEY] = uploads


def _upload_of(token: str, case_id: int) -> tuple[dict, Path]:
    """The session's entry for an uploaded register and its path; 404 unless this user
    uploaded it for this case and it is still there."""
    entry = (session.get(_SESSION_KEY) or {}).get(token) if _TOKEN_RE.match(token) else None
    if not entry or entry.get("case") != case_id:
        abort(404)
    path = _files_dir() / "uploads" / f"{token}.upload"
    if not path.is_file():
        _forget(token)
        abort(404)
    return entry, path


def _refused_upload(case, token: str, path: Path, errors: dict):
    """Forget an uploaded register the preview could not read; show the upload form again."""
    path.unlink(missing_ok=True)
    _forget(token)
    form = RegisterUploadForm(formdata=None)
    apply_errors(form, errors)
    return render_template("imports/register_upload.html", form=form, case=case), 422


def _field_errors(errors: dict) -> dict:
    """Point a mapping's errors (``columns.name``, ``statuses.LABEL``) at the page's fields."""
    fields = {}
    for key, message in errors.items():
        group, _dot, rest = key.partition(".")
        if group == "columns" and rest:
            key = f"col_{rest}"
        elif group == "statuses" and rest:
            key = f"status_{_key(rest)}"
        fields[key] = message
    return fields


def _key(label: str) -> str:
    return hashlib.sha1(label.encode("utf-8")).hexdigest()[:12]  # noqa: S324 (a field name)


def _after_register_job(job_id: int, case_id: int):
    """Back to the case with a summary when the job is already done; else to its page."""
    db = get_session()
    db.expire_all()
    job = db.get(Job, job_id)
    path = jobs.job_file(job) if job is not None else None
    if path is None:
        return redirect(url_for("jobs.detail", job_id=job_id))
    report = json.loads(path.read_text(encoding="utf-8"))
    flash(
        gettext(
            "Register %(file)s imported: %(created)s created, %(updated)s updated, "
            "%(unchanged)s unchanged, %(skipped)s rows skipped.",
            file=report.get("file", ""),
            created=report.get("created", 0),
            updated=report.get("updated", 0),
            unchanged=report.get("unchanged", 0),
            skipped=len(report.get("skipped") or []),
        ),
        "success",
    )
    return redirect(url_for("cases.detail", case_id=case_id))
