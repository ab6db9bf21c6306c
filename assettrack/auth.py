"""Who is asking: browser sessions (Flask-Login) and API bearer tokens."""

from flask import request
from flask_login import LoginManager
from flask_login import current_user

from .db import get_session
from .models import User
from .services import accounts

__all__ = ["init_app", "login_manager", "current_user", "bearer_token"]

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"


def init_app(app):
    """Load users from the session cookie or from an ``Authorization: Bearer`` header."""
    login_manager.init_app(app)
    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"


def bearer_token() -> str | None:
    """Return the bearer token of the request, if it carries one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


@login_manager.user_loader
def _load_user(user_id: str):
    if not user_id.isdigit():
        return None
    user = get_session().get(User, int(user_id))
    if user is None or not user.active:
        return None
    return user


@login_manager.request_loader
def _load_from_token(req):
    token = bearer_token()
    if token is None:
        return None
    return accounts.user_for_token(get_session(), token)
