"""Case pages: list, open, read, change."""

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
from ..db import get_session
from ..errors import Conflict
from ..errors import Invalid
from ..models import TLP
from ..models import CaseStatus
from ..models import Organisation
from ..models import Role
from ..models import User
from ..services import cases as case_service
from . import apply_errors
from .forms import CaseForm
from .forms import options

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.before_request
@login_required
def _readers_only():
    if not access.can_read_cases(current_user):
        abort(403)


@bp.route("/")
def index():
    """List the cases the user may read, filtered, sorted and paginated."""
    db = get_session()
    args = request.args
    status = args.get("status") if args.get("status") in {s.value for s in CaseStatus} else None
    tlp = args.get("tlp") if args.get("tlp") in {t.value for t in TLP} else None
    sort = args.get("sort") if args.get("sort") in case_service.SORTABLE else "updated_at"
    descending = args.get("dir", "desc") != "asc"
    page = max(1, args.get("page", 1, type=int) or 1)
    size = current_app.config["PAGE_SIZE"]
    q = (args.get("q") or "").strip()[:200]
    items, total = case_service.search_cases(
        db,
        current_user,
        q=q,
        status=status,
        tlp=tlp,
        sort=sort,
        descending=descending,
        limit=size,
        offset=(page - 1) * size,
    )
    orgs = {o.id: o for o in db.scalars(select(Organisation))}
    return render_template(
        "cases/index.html",
        cases=items,
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        filters={"q": q, "status": status or "", "tlp": tlp or ""},
        sort=sort,
        descending=descending,
        orgs=orgs,
        can_create=access.can_create_case(current_user),
        statuses=[s.value for s in CaseStatus],
        tlps=[t.value for t in TLP],
    )


@bp.route("/new", methods=["GET", "POST"])
def create():
    """Open a new case in the officer's organisation."""
    if not access.can_create_case(current_user):
        abort(403)
    db = get_session()
    form = CaseForm()
    del form.status  # a new case is open; the status is chosen on later edits
    _fill_choices(db, form, current_user.organisation_id)
    if request.method == "GET":
        form.assigned_officer.data = str(current_user.id)
    if form.validate_on_submit():
        try:
            case = case_service.create_case(db, current_user, _form_data(form, creating=True))
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, getattr(exc, "errors", None) or exc.extra.get("errors", {}))
        else:
            db.commit()
            flash(gettext("Case %(ref)s opened.", ref=case.reference), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    status = 422 if request.method == "POST" else 200
    return render_template("cases/form.html", form=form, case=None), status


@bp.route("/<int:case_id>")
def detail(case_id: int):
    """Show a case; the consultation is logged."""
    db = get_session()
    case = case_service.read_case(db, current_user, case_id, via="page")
    db.commit()
    return render_template(
        "cases/detail.html",
        case=case,
        data=case_service.case_as_dict(db, case),
        organisation=db.get(Organisation, case.organisation_id),
        can_edit=access.can_edit_case(current_user, case),
    )


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
def edit(case_id: int):
    """Change a case's title, summary, marking, sharing, officer, tags or status."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    access.require_edit_case(current_user, case)
    form = CaseForm(obj=case)
    _fill_choices(db, form, case.organisation_id)
    if request.method == "GET":
        data = case_service.case_as_dict(db, case)
        form.shared_with.data = data["shared_with"]
        form.tags.data = ", ".join(data["tags"])
        form.assigned_officer.data = str(case.assigned_officer_id or "")
    if form.validate_on_submit():
        try:
            case_service.update_case(db, current_user, case, _form_data(form, creating=False))
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, getattr(exc, "errors", None) or exc.extra.get("errors", {}))
        else:
            db.commit()
            flash(gettext("Case %(ref)s saved.", ref=case.reference), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    status = 422 if request.method == "POST" else 200
    return render_template("cases/form.html", form=form, case=case), status


def _fill_choices(db, form, organisation_id: int) -> None:
    form.shared_with.choices = options(
        (o.code, f"{o.code} — {o.name}")
        for o in db.scalars(
            select(Organisation)
            .where(Organisation.id != organisation_id)
            .order_by(Organisation.code)
        )
    )
    officers = db.scalars(
        select(User)
        .where(
            User.organisation_id == organisation_id,
            User.role == Role.OFFICER.value,
            User.active.is_(True),
        )
        .order_by(User.name)
    )
    form.assigned_officer.choices = options([("", "—")] + [(str(u.id), u.name) for u in officers])


def _form_data(form: CaseForm, *, creating: bool) -> dict:
    data = {
        "title": form.title.data,
        "summary": form.summary.data,
        "tlp": form.tlp.data,
        "handling_code": form.handling_code.data,
        "handling_restriction": form.handling_restriction.data,
        "shared_with": form.shared_with.data or [],
        "assigned_officer": form.assigned_officer.data or None,
        "tags": form.tags.data or "",
        "opened_on": form.opened_on.data,
    }
    if not creating:
        data["status"] = form.status.data
    return data
