"""The French catalogue: complete, faithful to its placeholders, and used by the pages.

The catalogue is compared with a fresh ``pybabel extract`` (the keywords of ``make
extract-messages``), so a string marked in a template or in the code without a French
translation fails here rather than showing in English to a French-speaking officer.
"""

import os
import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from markupsafe import escape

from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "assettrack" / "translations"
PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# The keywords of `make extract-messages`, on top of pybabel's defaults (_, gettext, ngettext…).
KEYWORDS = ("Msg", "_l", "lazy_gettext")

# %(name)s in gettext strings, {name} in the ids of service messages (Msg).
PERCENT_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACE_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def _read_catalog(path: Path, locale=None):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _forms(value) -> tuple[str, ...]:
    """The text forms of a msgid or msgstr (a tuple for plurals)."""
    if isinstance(value, list | tuple):
        return tuple(v or "" for v in value)
    return (value or "",)


def _placeholders(text: str) -> tuple[set[str], set[str]]:
    percent = {m.group(0) for m in PERCENT_PLACEHOLDER.finditer(text)}
    brace = {m.group(1) for m in BRACE_PLACEHOLDER.finditer(text)}
    return percent, brace


@pytest.fixture(scope="session", autouse=True)
def compiled_catalog():
    """Compile the French .po to .mo when missing or stale (``make translations`` does it too)."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        catalog = _read_catalog(PO, locale="fr")
        tmp = MO.with_suffix(f".{os.getpid()}.mo")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        tmp.replace(MO)  # atomic: a parallel run never reads half a file
    return MO


@pytest.fixture(scope="module")
def french():
    return _read_catalog(PO, locale="fr")


def fr(catalog, msgid: str) -> str:
    """The French of ``msgid``, failing the test when there is none."""
    message = catalog.get(msgid)
    assert message is not None, f"{msgid!r} is not in the French catalogue"
    assert message.string, f"no French for {msgid!r}"
    return message.string


# --- the catalogue ---------------------------------------------------------------------------


def test_every_marked_string_has_a_french_translation(tmp_path, monkeypatch, french):
    pot = tmp_path / "messages.pot"
    monkeypatch.chdir(ROOT)
    argv = ["pybabel", "-q", "extract", "-F", "babel.cfg", "-o", str(pot)]
    for keyword in KEYWORDS:
        argv += ["-k", keyword]
    CommandLineInterface().run([*argv, "."])
    extracted = _read_catalog(pot)
    assert len(extracted) > 50, "the extraction found almost nothing: is babel.cfg right?"

    missing = []
    for message in extracted:
        if not message.id:
            continue
        translated = french.get(message.id)
        if (
            translated is None
            or translated.fuzzy
            or not all(f.strip() for f in _forms(translated.string))
        ):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    assert not missing, (
        f"{len(missing)} string(s) without a French translation in {PO.relative_to(ROOT)}; "
        "run `make extract-messages` and translate them:\n" + "\n".join(f"  {m!r}" for m in missing)
    )


def test_the_header_declares_french_and_its_plural_rule(french):
    assert str(french.locale) == "fr"
    assert french.plural_forms == "nplurals=2; plural=(n > 1);"
    assert not [m.id for m in french if m.id and m.fuzzy]


def test_translations_keep_the_placeholders_of_their_msgid(french):
    wrong = []
    for message in french:
        if not message.id or not any(_forms(message.string)):
            continue
        expected_percent, expected_brace = set(), set()
        for form in _forms(message.id):
            percent, brace = _placeholders(form)
            expected_percent |= percent
            expected_brace |= brace
        for form in _forms(message.string):
            percent, brace = _placeholders(form)
            if percent != expected_percent or brace != expected_brace:
                wrong.append(f"  {message.id!r} -> {form!r}")
    assert not wrong, "translations whose placeholders differ from the msgid:\n" + "\n".join(wrong)


def test_plural_entries_have_both_french_forms(french):
    for message in french:
        if message.pluralizable:
            assert len(message.string) == 2, message.id
            assert all(message.string), message.id


# --- the pages -------------------------------------------------------------------------------


def test_login_page_follows_the_browser_language(client, french):
    page = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="fr"' in html
    assert str(escape(fr(french, "Log in"))) in html
    assert str(escape(fr(french, "Password"))) in html

    page = client.get("/login", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "Log in" in html
    assert str(escape(fr(french, "Log in"))) not in html


def test_the_users_language_wins_over_the_browsers(client, make_user, french):
    officer = make_user("officer", "NLRTM", language="fr")
    login(client, officer)
    page = client.get("/cases/", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="fr"' in html
    assert f"<h1>{escape(fr(french, 'Cases'))}</h1>" in html
    assert str(escape(fr(french, "New case"))) in html
    assert ">New case<" not in html


def test_service_validation_message_is_shown_in_french_beside_the_field(client, make_user, french):
    officer = make_user("officer", "NLRTM", language="fr")
    login(client, officer)
    page = client.post(
        "/cases/new",
        data={"title": "", "summary": "", "tlp": "AMBER", "handling_code": "H0"},
        headers={"Accept-Language": "en"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    required = str(escape(fr(french, "is required")))
    assert re.search(
        r'<p class="error" id="title-error">\s*' + re.escape(required) + r"\s*</p>", html
    ), html
    assert "is required" not in html


# --- FollowTheMoney's labels (domain ftm) ----------------------------------------------------

FTM_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "ftm.po"


def test_every_followthemoney_label_the_interface_shows_has_french_words():
    from assettrack.i18n import ftm_label_ids

    catalogue = _read_catalog(FTM_PO, locale="fr")
    missing = [
        label
        for label in ftm_label_ids()
        if catalogue.get(label) is None or not catalogue.get(label).string
    ]
    assert not missing, f"labels without French in {FTM_PO.relative_to(ROOT)}: {missing}"
    assert not [m.id for m in catalogue if m.id and m.fuzzy]


@pytest.mark.parametrize(
    ("label", "french"),
    [
        ("Vessel", "Navire"),  # the project's word wins over followthemoney's "Vaisseau"
        ("IMO Number", "Numéro OMI"),
        ("Percentage held", "Pourcentage détenu"),
        ("owns", "détient"),
    ],
)
def test_followthemoney_labels_are_translated_from_the_project_then_the_library(
    app, label, french
):
    from assettrack.i18n import ftm_label

    catalogue = _read_catalog(FTM_PO, locale="fr")
    tmp = FTM_PO.with_suffix(f".{os.getpid()}.mo")
    with tmp.open("wb") as f:
        write_mo(f, catalogue)
    tmp.replace(FTM_PO.with_suffix(".mo"))
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert ftm_label(label) == french
    assert ftm_label(label, "en") == label


def test_the_entity_form_shows_followthemoney_labels_in_french(client, make_user, french):
    officer = make_user("officer", "FRMRS", language="fr")
    from tests.conftest import login

    login(client, officer)
    from assettrack.db import new_session
    from assettrack.services import cases as case_service

    db = new_session(client.application)
    case = case_service.create_case(db, officer, {"title": "Yacht", "summary": "", "tlp": "AMBER"})
    db.commit()
    page = client.get(f"/cases/{case.id}/entities/new?schema=Vessel")
    db.close()
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Numéro OMI" in html and "IMO Number" not in html
