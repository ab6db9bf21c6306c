"""The watchlist page (/watchlist) and the Watch button of entity rows and pages."""

from flask import Blueprint
from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import Length

from ..db import get_session
from ..errors import Invalid
from ..errors import NotFound
from ..models import Role
from ..services import watchlist
from . import apply_errors

bp = Blueprint("watchlist", __name__, url_prefix="/watchlist")

_WATCHERS = (Role.OFFICER.value, Role.LIAISON.value)


class WatchForm(FlaskForm):
    """Watch an identifier: its scheme, its value in any spelling, a jurisdiction if scoped."""

    kind = SelectField(_l("Identifier"), choices=[], validate_choice=False)
    value = StringField(
        _l("Value"),
        validators=[Length(max=200)],
        description=_l("Any spelling: spaces, dots and dashes do not matter."),
    )
    scope = StringField(
        _l("Jurisdiction"),
        validators=[Length(max=8)],
        description=_l("For a registration number only: the country code, e.g. NL."),
    )


@bp.before_request
@login_required
def _watchers_only():
    if current_user.role not in _WATCHERS:
        abort(403)


@bp.route("", methods=["GET", "POST"])
def index():
    """The user's watches, and the form to watch an identifier."""
    db = get_session()
    form = WatchForm()
    form.kind.choices = [(kind, label) for kind, (_s, label, _scope) in watchlist.schemes().items()]
    if form.validate_on_submit():
        data = {"kind": form.kind.data, "value": form.value.data, "scope": form.scope.data}
        try:
            watch = watchlist.add_watch(db, current_user, data)
        except Invalid as exc:
            db.rollback()
            apply_errors(form, exc.errors)
        else:
            db.commit()
            flash(gettext("You now watch %(label)s.", label=watch.label), "success")
            return redirect(url_for("watchlist.index"))
    status = 422 if request.method == "POST" else 200
    items = watchlist.list_watches(db, current_user)
    return render_template("watchlist/index.html", form=form, items=items), status


@bp.route("/entity", methods=["GET", "POST"])
def watch_entity():
    """The Watch button: watch an entity, then go back where the button was.

    A GET (the link of pages that carry no form, such as a liaison's case page) only asks to
    confirm; the POST watches.
    """
    db = get_session()
    if request.method == "GET":
        try:
            entity = watchlist.readable_entity(db, current_user, request.args.get("entity_id"))
        except Invalid:
            abort(404)
        watching = watchlist.watched_entities(db, current_user).get(entity.id)
        return render_template(
            "watchlist/confirm.html",
            entity=entity,
            watching=watching,
            next=_back(request.args.get("next")),
        )
    try:
        watch = watchlist.add_watch(db, current_user, {"entity_id": request.form.get("entity_id")})
    except Invalid:
        db.rollback()
        abort(404)
    db.commit()
    flash(gettext("You now watch %(label)s.", label=watch.label), "success")
    return redirect(_back())


@bp.route("/<int:watch_id>/remove", methods=["POST"])
def remove(watch_id: int):
    """Stop watching, then go back where the button was."""
    db = get_session()
    try:
        watchlist.remove_watch(db, current_user, watch_id)
    except NotFound:
        db.rollback()
        abort(404)
    db.commit()
    flash(gettext("You no longer watch it."), "success")
    return redirect(_back())


@bp.app_context_processor
def _watch_button():
    """``watch_of(entity_id)``: the id of the user's watch on an entity (for the button)."""

    def watch_of(entity_id):
        if not current_user.is_authenticated or current_user.role not in _WATCHERS:
            return None
        # One query per page, however many rows carry the button.
        if "watched_entities" not in g:
            g.watched_entities = watchlist.watched_entities(get_session(), current_user)
        return g.watched_entities.get(entity_id)

    return {"watch_of": watch_of}


def _back(target: str | None = None) -> str:
    target = target or request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("watchlist.index")
