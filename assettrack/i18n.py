"""English and French: the user's preference, else the browser's.

FollowTheMoney's labels (schemata, properties, edges) are the library's English words; they are
translated by :func:`ftm_label` from the project's own ``ftm`` catalogue (the legal vocabulary of
each country, checked against docs/), else followthemoney's own catalogue, else left in English.
``make extract-messages`` writes the template of that catalogue from the schema registry.
"""

import functools
import gettext as gettext_module
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from flask import current_app
from flask import has_request_context
from flask import request
from flask import session
from flask_babel import Babel
from flask_babel import LazyString
from flask_babel import get_locale
from flask_login import current_user
from followthemoney.util import i18n_path as FTM_TRANSLATIONS

from .domain import schema as ftm_schema

__all__ = [
    "init_app",
    "babel",
    "select_locale",
    "ftm_label",
    "lazy_ftm_label",
    "ftm_label_ids",
    "write_ftm_template",
]

#: The project's catalogues, one folder per language (``messages`` and ``ftm`` domains).
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

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
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["ftm_label"] = ftm_label


def ftm_label(text: str, locale: str | None = None) -> str:
    """Translate a FollowTheMoney label (``"IMO Number"`` → "Numéro OMI" in French).

    The project's ``ftm`` catalogue wins over followthemoney's own (whose French calls a ship a
    "Vaisseau"); a label neither knows stays in English. ``locale`` defaults to the request's.
    """
    if not text:
        return ""
    if locale is None:
        locale = str(get_locale() or "en") if has_request_context() else "en"
    for directory, domain in ((TRANSLATIONS, "ftm"), (FTM_TRANSLATIONS, "followthemoney")):
        translated = _catalogue(str(directory), domain, locale).gettext(text)
        if translated != text:
            return translated
    return text


def lazy_ftm_label(text: str) -> LazyString:
    """:func:`ftm_label` evaluated when shown (form labels built at import time)."""
    return LazyString(ftm_label, text)


def ftm_label_ids() -> list[str]:
    """Every FtM label the interface shows: schemata, their plurals, properties and edges."""
    labels: dict[str, None] = {}
    for info in ftm_schema.schemata():
        labels.update(dict.fromkeys((info.label, info.plural)))
        if info.edge is not None:
            labels[info.edge.label] = None
        labels.update(dict.fromkeys(prop.label for prop in info.properties.values()))
    return sorted(labels)


def write_ftm_template(path: str | Path) -> int:
    """Write the template (.pot) of the ``ftm`` catalogue; return how many labels it holds."""
    catalog = Catalog(project="assettrack", domain="ftm")
    for label in ftm_label_ids():
        catalog.add(label, auto_comments=["FollowTheMoney label"])
    with open(path, "wb") as fh:
        write_po(fh, catalog, omit_header=False, sort_output=True)
    return len(catalog)


@functools.cache
def _catalogue(directory: str, domain: str, locale: str):
    return gettext_module.translation(domain, directory, [locale], fallback=True)
