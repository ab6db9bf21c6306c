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
from ..models import User
from ..models.base import utcnow
from ..security import limit_from
from ..security import limiter
from ..services import accounts
from ..services import second_factor
from ..services import sessions
from . import apply_errors
from . import translate
from .forms import ChangePasswordForm
from .forms import EmptyForm
from .forms import LanguageForm
from .forms import LoginForm
from .forms import SecondFactorForm

bp = Blueprint("auth", __name__)

# The Flask session key holding a sign-in between the password and the second factor.
PENDING_KEY = "pending_sign_in"
# How long the second-factor step waits after the password.
PENDING_SECONDS = 300


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
        if second_factor.required_for(db, user) or second_factor.is_enrolled(db, user):
            # The password is right; the session opens only after the second factor.
            db.commit()
            saved = session.get(SAVED_FORM_KEY)
            session.clear()
            session[PENDING_KEY] = {
                "user": user.id,
                "at": int(utcnow().timestamp()),
                "next": _safe_next(request.args.get("next")),
                "saved": saved,
            }
            if second_factor.is_enrolled(db, user):
                return redirect(url_for("auth.second_factor_step"))
            second_factor.start_enrolment(db, user, current_app.config["DATA_KEY"])
            db.commit()
            return redirect(url_for("auth.enrol_second_factor"))
        return _open_session(db, user, next_url=request.args.get("next"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(limit_from("RATELIMIT_LOGIN"), methods=["POST"])
def second_factor_step():
    """Ask the code of the authenticator app (or a recovery code) after the password."""
    db = get_session()
    user = _pending_user(db)
    if user is None:
        return _pending_expired()
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            kind = second_factor.verify(db, user, form.code.data, current_app.config)
        except Invalid as exc:
            db.commit()  # the failure count, its pause and its audit entry are kept
            apply_errors(form, exc.errors)
        else:
            pending = session.pop(PENDING_KEY)
            if kind == "recovery":
                left = second_factor.remaining_recovery_codes(db, user)
                flash(
                    gettext(
                        "You signed in with a recovery code; %(left)s are left. Make new ones "
                        "on your account page when few are left.",
                        left=left,
                    ),
                    "info",
                )
            return _open_session(
                db, user, next_url=pending.get("next"), saved=pending.get("saved"), factor=kind
            )
    status = 422 if request.method == "POST" else 200
    return render_template("auth/second_factor.html", form=form), status


@bp.route("/login/set-up-code", methods=["GET", "POST"])
@limiter.limit(limit_from("RATELIMIT_LOGIN"), methods=["POST"])
def enrol_second_factor():
    """Set up the authenticator app that the organisation requires, then open the session."""
    db = get_session()
    user = _pending_user(db)
    if user is None:
        return _pending_expired()
    key = current_app.config["DATA_KEY"]
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.confirm_enrolment(db, user, form.code.data, key)
        except Invalid as exc:
            db.rollback()
            apply_errors(form, exc.errors)
        else:
            pending = session.pop(PENDING_KEY)
            response = _open_session(db, user, next_url=pending.get("next"), factor="totp")
            return render_template(
                "auth/recovery_codes.html",
                codes=codes,
                next_url=response.location,
            )
    enrolment = second_factor.pending_enrolment(db, user, key)
    if enrolment is None:  # nothing waits (set up meanwhile, or reset): sign in again
        return _pending_expired()
    status = 422 if request.method == "POST" else 200
    return render_template("auth/enrol_second_factor.html", form=form, enrolment=enrolment), status


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


def _open_session(db, user, *, next_url=None, saved=None, factor=None):
    """Open a server-side session for ``user`` (credentials and second factor checked)."""
    config = current_app.config
    user.last_login_at = utcnow()
    db.add(user)
    audit.record(
        db,
        user,
        audit.Action.LOGIN,
        "user",
        user.id,
        details={"second_factor": factor or "none"},
        organisation_id=user.organisation_id,
    )
    _, token = sessions.start(
        db,
        user,
        lifetime=config["SESSION_ABSOLUTE_TIMEOUT"],
        user_agent=request.user_agent.string,
    )
    sessions.purge(db, keep_days=config["SESSION_KEEP_DAYS"])
    db.commit()
    saved = saved if saved is not None else session.get(SAVED_FORM_KEY)
    _sign_in(user, token)
    if saved:
        session[SAVED_FORM_KEY] = saved
        return redirect(url_for("auth.resume"))
    return redirect(_safe_next(next_url) or url_for("main.index"))


def _pending_user(db):
    """The user who gave the right password in the last few minutes, waiting for the code."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    age = int(utcnow().timestamp()) - int(pending.get("at", 0))
    if not 0 <= age <= PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = db.get(User, pending.get("user"))
    if user is None or not user.active:
        return None
    return user


def _pending_expired():
    flash(gettext("Enter your e-mail and password again: the sign-in waited too long."), "error")
    return redirect(url_for("auth.login"))


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
