"""English and French: the user's preference, else the browser's."""

from flask import current_app
from flask import request
from flask import session
from flask_babel import Babel
from flask_login import current_user

__all__ = ["init_app", "babel", "select_locale"]

babel = Babel()


def select_locale() -> str:
    """Return the language of this request: user preference, session choice, browser, English."""
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def select_timezone() -> str | None:
    """Show times in the time zone of the user's organisation (stored times are UTC)."""
    if current_user and current_user.is_authenticated:
        from .db import get_session
        from .models import Organisation

        org = get_session().get(Organisation, current_user.organisation_id)
        return org.timezone if org else None
    return None


def init_app(app):
    """Configure Flask-Babel with the translations shipped in the package."""
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories="translations",
    )
    from flask_babel import get_locale

    app.jinja_env.globals["get_locale"] = get_locale
