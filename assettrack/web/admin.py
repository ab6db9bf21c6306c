"""Administration: users (create, deactivate, reactivate, reset password) and organisations."""

from flask import Blueprint
from flask import abort
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
from ..models import Organisation
from ..models import User
from ..models import UserOrganisation
from ..models import utcnow
from ..services import accounts
from . import apply_errors
from .forms import EmptyForm
from .forms import PasswordForm
from .forms import UserForm
from .forms import options

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    if not access.can_administer(current_user):
        abort(403)


@bp.route("/users")
def users():
    """List every user, active or not, with their organisations."""
    db = get_session()
    rows = list(db.scalars(select(User).order_by(User.active.desc(), User.email)))
    orgs = {o.id: o for o in db.scalars(select(Organisation))}
    extra: dict[int, list[str]] = {}
    for link in db.scalars(select(UserOrganisation)):
        extra.setdefault(link.user_id, []).append(orgs[link.organisation_id].code)
    return render_template(
        "admin/users.html", users=rows, orgs=orgs, extra=extra, now=utcnow(), form=EmptyForm()
    )


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    """Create a user with a role, organisations and an initial password."""
    db = get_session()
    form = UserForm()
    form.organisation_codes.choices = _org_choices(db)
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                db,
                current_user,
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                organisation_codes=form.organisation_codes.data,
                password=form.password.data,
                language=form.language.data or None,
            )
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, getattr(exc, "errors", None) or exc.extra.get("errors", {}))
        else:
            db.commit()
            flash(gettext("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form), status


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate(user_id: int):
    """Deactivate a user (never deleted, so the audit trail keeps its author)."""
    db = get_session()
    user = db.get(User, user_id) or abort(404)
    if user.id == current_user.id:
        flash(gettext("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.users"))
    if EmptyForm().validate_on_submit():
        accounts.deactivate_user(db, current_user, user)
        db.commit()
        flash(gettext("User %(email)s deactivated.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate(user_id: int):
    """Let a deactivated user log in again."""
    db = get_session()
    user = db.get(User, user_id) or abort(404)
    if EmptyForm().validate_on_submit():
        accounts.reactivate_user(db, current_user, user)
        db.commit()
        flash(gettext("User %(email)s reactivated.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
def reset_password(user_id: int):
    """Set a new password for a user and lift a lock-out."""
    db = get_session()
    user = db.get(User, user_id) or abort(404)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db, current_user, user, form.password.data)
        except Invalid as exc:
            db.rollback()
            apply_errors(form, exc.errors)
        else:
            db.commit()
            flash(gettext("Password of %(email)s reset.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/password.html", form=form, user=user), status


@bp.route("/organisations")
def organisations():
    """List the organisations (UN/LOCODE, country, time zone, language, contact)."""
    db = get_session()
    rows = db.scalars(select(Organisation).order_by(Organisation.code))
    return render_template("admin/organisations.html", organisations=list(rows))


def _org_choices(db):
    return options(
        (o.code, f"{o.code} — {o.name}")
        for o in db.scalars(select(Organisation).order_by(Organisation.code))
    )
