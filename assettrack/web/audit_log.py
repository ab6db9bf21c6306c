"""The auditor's view of the audit log: filter, read, export as CSV (a background job).

Entries show their object by reference with a link (a case's reference to its page, an
entity's name to ``/entities/<id>``, a decision to its case) and their details as fields, old →
new for a change. ``?case=`` (an id or a reference) and ``?entity=`` (an id) give the trail of
one case or one entity; the case page and the entity page link to them.
"""

import re
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
from ..models import Case
from ..models import Entity
from ..routing import id_value
from ..routing import page_number
from ..services import audit_log
from .forms import EmptyForm

bp = Blueprint("audit_log", __name__, url_prefix="/audit")


@bp.before_request
@login_required
def _auditors_only():
    if not access.can_view_audit(current_user):
        abort(403)


@bp.app_context_processor
def _entity_page_links():
    """``entity_page(id)``: the path of an entity's page, or None while no blueprint serves
    ``/entities/<id>`` (the case page and this one then show the name without a link)."""
    return {"entity_page": entity_page}


def entity_page(entity_id: int) -> str | None:
    """The path of entity ``entity_id``'s page when the application serves entity pages."""
    served = current_app.extensions.setdefault("assettrack.entity_pages", None)
    if served is None:
        served = any(
            re.fullmatch(r"/entities/<[^>]+>/?", rule.rule)
            for rule in current_app.url_map.iter_rules()
        )
        current_app.extensions["assettrack.entity_pages"] = served
    return f"/entities/{int(entity_id)}" if served else None


@bp.route("/")
def index():
    """List audit entries, newest first, filtered by user, object, action, period, case and
    entity; each shown by reference with its details as fields (``audit_log.describe``)."""
    db = get_session()
    filters, errors = _filters(request.args, db)
    page = page_number(request.args)
    size = current_app.config["PAGE_SIZE"] * 2
    if errors:  # a search form: the page stays (200), the error beside its field, no entry
        entries, total = [], 0
    else:
        entries, total = audit_log.search(
            db, current_user, **filters, limit=size, offset=(page - 1) * size
        )
    items = audit_log.describe(db, current_user, entries)
    db.commit()
    return render_template(
        "audit/index.html",
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        filters=request.args,
        errors=errors,
        scope=_scope(db, filters),
        actions=audit_log.ACTIONS,
        form=EmptyForm(),
        can_read_cases=access.can_read_cases(current_user),
        error_summary=[
            {"id": f"f-{name}", "label": _FILTER_LABELS[name](), "message": message}
            for name, message in errors.items()
        ],
    )


@bp.route("/export", methods=["POST"])
def export():
    """Start a CSV export of the filtered entries as a background job."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    filters, errors = _filters(request.form, get_session())
    if errors:
        flash(gettext("Fix the filters before exporting."), "error")
        return redirect(url_for("audit_log.index", **request.form))
    db = get_session()
    job = jobs.create_job(db, current_user, "audit_export", filters)
    db.commit()
    jobs.start_job(job)
    return redirect(url_for("jobs.detail", job_id=job.id))


_FILTER_LABELS = {
    "since": lambda: gettext("From"),
    "until": lambda: gettext("Until"),
    "case": lambda: gettext("Case"),
    "entity": lambda: gettext("Entity number"),
}


def _filters(args, db) -> tuple[dict, dict]:
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
    case = (args.get("case") or "").strip()[:64]
    if case:
        filters["case"] = _case_id(db, case)
        if filters["case"] is None:
            errors["case"] = gettext("no case has this number or reference")
    entity = (args.get("entity") or "").strip()[:32]
    if entity:
        try:
            filters["entity"] = id_value(entity)
        except ValueError:
            errors["entity"] = gettext("must be the number of an entity")
    if filters.get("since") and filters.get("until") and filters["since"] > filters["until"]:
        errors["until"] = gettext("must not be before the start of the period")
    return filters, errors


def _case_id(db, text: str) -> int | None:
    """The id of a case given by its number or its reference (None when there is none)."""
    try:
        return id_value(text)
    except ValueError:
        pass
    return db.scalar(select(Case.id).where(Case.reference == text.upper()))


def _scope(db, filters: dict) -> dict:
    """What a per-case or per-entity trail is about, for its heading (readable ones only)."""
    readable = access.organisation_ids(db, current_user) or {-1}
    scope = {}
    if filters.get("case"):
        scope["case"] = db.execute(
            select(Case.id, Case.reference).where(
                Case.id == filters["case"], Case.organisation_id.in_(readable)
            )
        ).first()
    if filters.get("entity"):
        scope["entity"] = db.execute(
            select(Entity.id, Entity.caption).where(
                Entity.id == filters["entity"], Entity.organisation_id.in_(readable)
            )
        ).first()
    return scope
