"""The auditor's view of the audit log: filter, read, export as CSV (a background job)."""

from datetime import date

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from flask_login import current_user
from flask_login import login_required
from sqlalchemy import select

from .. import access
from .. import jobs
from ..db import get_session
from ..models import User
from ..routing import page_number
from ..services import audit_log
from .forms import EmptyForm

bp = Blueprint("audit_log", __name__, url_prefix="/audit")


@bp.before_request
@login_required
def _auditors_only():
    if not access.can_view_audit(current_user):
        abort(403)


@bp.route("/")
def index():
    """List audit entries, newest first, filtered by user, object, action and period."""
    db = get_session()
    filters, errors = _filters(request.args)
    page = page_number(request.args)
    size = current_app.config["PAGE_SIZE"] * 2
    entries, total = audit_log.search(
        db, current_user, **filters, limit=size, offset=(page - 1) * size
    )
    db.commit()
    users = {u.id: u for u in db.scalars(select(User))}
    return render_template(
        "audit/index.html",
        entries=entries,
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        filters=request.args,
        errors=errors,
        users=users,
        actions=audit_log.ACTIONS,
        form=EmptyForm(),
    )


@bp.route("/export", methods=["POST"])
def export():
    """Start a CSV export of the filtered entries as a background job."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    filters, errors = _filters(request.form)
    if errors:
        flash(gettext("Fix the filters before exporting."), "error")
        return redirect(url_for("audit_log.index", **request.form))
    db = get_session()
    job = jobs.create_job(db, current_user, "audit_export", filters)
    db.commit()
    jobs.start_job(job)
    return redirect(url_for("jobs.detail", job_id=job.id))


def _filters(args) -> tuple[dict, dict]:
    errors = {}
    filters = {
        "user": (args.get("user") or "").strip() or None,
        "object_type": (args.get("object_type") or "").strip() or None,
        "object_id": (args.get("object_id") or "").strip() or None,
        "action": args.get("action") if args.get("action") in audit_log.ACTIONS else None,
        "since": None,
        "until": None,
    }
    for name in ("since", "until"):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                filters[name] = date.fromisoformat(raw).isoformat()
            except ValueError:
                errors[name] = gettext("must be a date written YYYY-MM-DD")
    return filters, errors
