"""An organisation's admin enrols through a one-time link and chooses their own password."""

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext

from ..db import get_session
from ..errors import Conflict
from ..errors import Invalid
from ..errors import NotFound
from ..models import Organisation
from ..services import accounts
from . import apply_errors
from .forms import EnrolForm

bp = Blueprint("enrolment", __name__)


@bp.route("/enrol/<token>", methods=["GET", "POST"])
def enrol(token: str):
    """Show the enrolment form of a valid link; create the admin when it is sent."""
    db = get_session()
    try:
        row = accounts.find_enrolment(db, token)
    except NotFound:
        abort(404)
    organisation = db.get(Organisation, row.organisation_id)
    form = EnrolForm(data={"name": row.name} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            user = accounts.enrol(db, token, name=form.name.data, password=form.password.data)
        except NotFound:
            db.rollback()
            abort(404)
        except (Invalid, Conflict) as exc:
            db.rollback()
            apply_errors(form, getattr(exc, "errors", None) or exc.extra.get("errors") or {})
        else:
            db.commit()
            flash(gettext("Welcome, %(name)s. Log in with your e-mail and new password.",
                          name=user.name), "success")
            return redirect(url_for("auth.login"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "auth/enrol.html", form=form, enrolment=row, organisation=organisation
    ), status
