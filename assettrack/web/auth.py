"""Log in, log out, choose the language."""

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user

from .. import audit
from ..db import get_session
from ..services import accounts
from . import translate
from .forms import EmptyForm
from .forms import LanguageForm
from .forms import LoginForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and open a session for valid credentials."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            user = accounts.authenticate(
                db,
                form.email.data,
                form.password.data,
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"],
            )
        except accounts.LoginRefused as refused:
            db.commit()  # the failure count and its audit entry are kept
            form.password.errors = [translate(refused.reason)]
            return render_template("auth/login.html", form=form), 401
        db.commit()
        session.clear()
        login_user(user)
        session.permanent = True
        return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session."""
    form = EmptyForm()
    if form.validate_on_submit():
        db = get_session()
        audit.record(db, current_user, audit.Action.LOGOUT, "user", current_user.id)
        db.commit()
        logout_user()
        session.clear()
        flash(gettext("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def language():
    """Remember the chosen language (on the account when logged in)."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["language"] = form.language.data
        if current_user.is_authenticated:
            db = get_session()
            user = db.merge(current_user._get_current_object())
            user.language = form.language.data
            db.add(user)
            db.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("main.index"))


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: an open redirect would help phishing for officers' passwords.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
