"""Who is asking: browser sessions (rows in ``user_session``) and API bearer tokens.

The session cookie carries only a random token (Flask-Login's ``_user_id``); the user is
loaded through the session row, so ending the row (logout, timeout, password reset,
deactivation) makes a copied cookie worthless. ``g.auth_via`` tells the API which of the two
authenticated the request: only a bearer token exempts a write from CSRF.
"""

from datetime import timedelta

from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask_login import LoginManager
from flask_login import current_user
from flask_login import login_url

from .db import get_session
from .models import EndReason
from .models import User
from .services import accounts
from .services import sessions

__all__ = [
    "init_app",
    "login_manager",
    "current_user",
    "bearer_token",
    "is_background",
    "SignedIn",
    "BACKGROUND_HEADER",
    "SAVED_FORM_KEY",
]

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"

# Requests carrying this header (job progress polling, the session status check) do not count
# as activity: a page left open on a running import does not keep its session alive.
BACKGROUND_HEADER = "X-Background-Poll"
# Key, in the Flask session, of the form kept when a post arrived after its session ended.
SAVED_FORM_KEY = "saved_form"


class SignedIn:
    """What ``login_user`` receives: the user, whose id in the cookie is the session token.

    For the rest of the signing-in request it stands for the user (attributes pass through);
    later requests load the ``User`` itself through the session row.
    """

    def __init__(self, user: User, token: str):
        self._user = user
        self._token = token

    def get_id(self) -> str:
        return self._token

    def __getattr__(self, name):
        return getattr(self._user, name)


def init_app(app):
    """Load users from the session row or from an ``Authorization: Bearer`` header."""
    login_manager.init_app(app)
    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"
    # Load the user before any view runs, so the session bookkeeping (last seen, timeout)
    # commits on its own and never mixes with the view's writes.
    app.before_request(_load_before_views)


def bearer_token() -> str | None:
    """Return the bearer token of the request, if it carries one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def is_background() -> bool:
    """Tell whether the request is background polling (it does not extend the idle time)."""
    return request.headers.get(BACKGROUND_HEADER) == "1"


def _load_before_views():
    if request.endpoint == "static":
        return None
    current_user._get_current_object()
    return None


@login_manager.user_loader
def _load_user(token: str):
    db = get_session()
    row = sessions.find(db, token)
    if row is None:
        return None
    config = current_app.config
    user = db.get(User, row.user_id)
    if row.ended_at is None and (user is None or not user.active):
        sessions.end(db, row, EndReason.DEACTIVATED)
    if not sessions.is_open(db, row, idle=config["SESSION_IDLE_TIMEOUT"]):
        g.ended_session = row
        db.commit()
        return None
    if not is_background() and sessions.touch(db, row):
        db.commit()
    g.user_session = row
    g.auth_via = "session"
    return user


@login_manager.request_loader
def _load_from_token(req):
    token = bearer_token()
    # Tokens open the API only, where bad ones are counted per address (api/__init__.py).
    if token is None or request.blueprint != "api":
        return None
    db = get_session()
    user = accounts.user_for_token(db, token)
    db.commit()  # last use, or the refused attempt's audit entry
    if user is not None:
        g.auth_via = "token"
        g.token_read_only = accounts.token_is_read_only(db, token)
    return user


@login_manager.unauthorized_handler
def _unauthorized():
    """Send the browser to the login page, keeping a form posted after its session ended."""
    if request.path.startswith("/api/"):
        from .api.problems import problem

        return problem(401, "Authentication required: send Authorization: Bearer <token>.")
    from flask_babel import gettext

    ended = g.get("ended_session")
    # Only a session that timed out keeps its form: one ended on purpose (logout, password
    # reset, deactivation) must not let a copied cookie leave a form for its owner.
    timed_out = ended is not None and ended.end_reason in (EndReason.IDLE, EndReason.EXPIRED)
    if timed_out and request.method == "POST" and request.blueprint != "auth":
        db = get_session()
        fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
        key = sessions.save_form(
            db,
            ended,
            request.path,
            fields,
            lifetime=timedelta(hours=current_app.config["SAVED_FORM_HOURS"]),
        )
        db.commit()
        if key is not None:
            session[SAVED_FORM_KEY] = key
            flash(
                gettext(
                    "Your session ended before the form was sent. Log in again: what you "
                    "entered was kept and you can send it again."
                ),
                "info",
            )
            return redirect(login_url(login_manager.login_view))
    if ended is not None:
        flash(gettext("Your session has ended. Please log in again."), "info")
    else:
        flash(login_manager.login_message, login_manager.login_message_category)
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(login_url(login_manager.login_view, target))
