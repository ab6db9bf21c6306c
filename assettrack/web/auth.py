"""Log in, log out, change one's password, stay signed in, choose the language."""

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import jsonify
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
from ..auth import SAVED_FORM_KEY
from ..auth import SignedIn
from ..db import get_session
from ..errors import Invalid
from ..models import EndReason
from ..security import limit_from
from ..security import limiter
from ..services import accounts
from ..services import sessions
from . import apply_errors
from . import translate
from .forms import ChangePasswordForm
from .forms import EmptyForm
from .forms import LanguageForm
from .forms import LoginForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(limit_from("RATELIMIT_LOGIN"), methods=["POST"])
def login():
    """Show the login form and open a session for valid credentials."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        config = current_app.config
        try:
            user = accounts.authenticate(
                db,
                form.email.data,
                form.password.data,
                max_failures=config["LOGIN_MAX_FAILURES"],
                lock_minutes=config["LOGIN_LOCK_MINUTES"],
                delay_seconds=config["LOGIN_DELAY_SECONDS"],
            )
        except accounts.LoginRefused as refused:
            db.commit()  # the failure count and its audit entry are kept
            form.password.errors = [translate(refused.reason)]
            return render_template("auth/login.html", form=form), 401
        _, token = sessions.start(
            db,
            user,
            lifetime=config["SESSION_ABSOLUTE_TIMEOUT"],
            user_agent=request.user_agent.string,
        )
        sessions.purge(db, keep_days=config["SESSION_KEEP_DAYS"])
        db.commit()
        saved = session.get(SAVED_FORM_KEY)
        _sign_in(user, token)
        if saved:
            session[SAVED_FORM_KEY] = saved
            return redirect(url_for("auth.resume"))
        return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/login/resume")
@login_required
def resume():
    """Offer again the form that was posted after the session ended (shown once)."""
    db = get_session()
    kept = sessions.take_form(db, current_user, session.pop(SAVED_FORM_KEY, None))
    db.commit()
    if kept is None:
        return redirect(url_for("main.index"))
    path, fields = kept
    return render_template("auth/resume.html", path=path, fields=fields)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session."""
    form = EmptyForm()
    if form.validate_on_submit():
        db = get_session()
        audit.record(db, current_user, audit.Action.LOGOUT, "user", current_user.id)
        if g.get("user_session") is not None:
            sessions.end(db, g.user_session, EndReason.LOGOUT)
        db.commit()
        logout_user()
        session.clear()
        flash(gettext("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(limit_from("RATELIMIT_SENSITIVE"), methods=["POST"])
def change_password():
    """Change one's own password; every other session of the account ends."""
    form = ChangePasswordForm()
    row = g.get("user_session")
    if row is None:  # a bearer token, not a browser session
        abort(403)
    if form.validate_on_submit():
        db = get_session()
        user = current_user._get_current_object()
        try:
            accounts.change_password(
                db, user, form.current_password.data, form.password.data, keep=row
            )
        except Invalid as exc:
            db.commit()  # the refused attempt's audit entry
            apply_errors(form, exc.errors)
        else:
            _, token = sessions.renew(
                db, row, user, lifetime=current_app.config["SESSION_ABSOLUTE_TIMEOUT"]
            )
            db.commit()
            _sign_in(user, token)
            flash(gettext("Your password is changed; your other sessions have ended."), "success")
            return redirect(url_for("main.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status


@bp.route("/session/status")
def session_status():
    """Return how many seconds the session has left (background: does not extend it)."""
    row = g.get("user_session")
    if row is None or not current_user.is_authenticated:
        return jsonify(remaining=0), 401
    idle = current_app.config["SESSION_IDLE_TIMEOUT"]
    return jsonify(remaining=int(sessions.remaining(row, idle=idle).total_seconds()))


@bp.route("/session/keep-alive", methods=["POST"])
@limiter.limit(limit_from("RATELIMIT_SENSITIVE"))
def keep_alive():
    """Stay signed in: count now as activity; return the seconds left (CSRF-protected)."""
    row = g.get("user_session")
    if row is None or not current_user.is_authenticated:
        return jsonify(remaining=0), 401
    db = get_session()
    sessions.touch(db, row, force=True)
    db.commit()
    idle = current_app.config["SESSION_IDLE_TIMEOUT"]
    return jsonify(remaining=int(sessions.remaining(row, idle=idle).total_seconds()))


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


def _sign_in(user, token: str) -> None:
    # A new cookie holding only the new session's token (no user id, nothing else kept).
    session.clear()
    login_user(SignedIn(user, token))
    session.permanent = True


def _safe_next(target: str | None) -> str | None:
    # Only same-site relative paths: an open redirect would help phishing for officers'
    # passwords. Browsers drop tabs and newlines inside URLs ("/\t/evil" becomes "//evil"),
    # and a newline in a Location header is refused by the server, so any control or space
    # character refuses the target.
    if not target or not target.startswith("/") or len(target) > 2000:
        return None
    if any(ch.isspace() or not ch.isprintable() or ch == "\\" for ch in target):
        return None
    if target.startswith("//"):
        return None
    return target
