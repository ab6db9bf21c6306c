"""Acceptance of issue #12's search in Chromium: find "Johan de Wit" by "de wit johan" and by
"Jóhan", a vessel by "IMO 9074729" and by "9074729", from the box in every page's header.

A fresh demo instance (gunicorn and the job worker, as in tests/test_smit_browser.py) gets a
Rotterdam case with the person and the vessel, written through the services as a form would.
axe-core checks every page visited; the results page reflows at 320 CSS px.
"""
# ruff: noqa: F811  (the fixtures of test_browser are imported, then named as arguments)

import os
import re
import subprocess

import pytest

from assettrack.services.demo import LOGINS_FILE
from assettrack.services.demo import read_password
from tests.test_browser import DEMO
from tests.test_browser import OFFICER
from tests.test_browser import REPO
from tests.test_browser import VENV_BIN
from tests.test_browser import _keep_reports  # noqa: F401  (autouse fixture)
from tests.test_browser import browser  # noqa: F401  (fixture)
from tests.test_browser import log_in
from tests.test_browser import page  # noqa: F401  (fixture)
from tests.test_browser import problems  # noqa: F401  (fixture)
from tests.test_smit_browser import server  # noqa: F401  (fixture, on the instance below)

pytestmark = pytest.mark.browser

CASE_TITLE = "Waddenzee Trader: fuel laundering"
PERSON = "Jóhan de Wit"
VESSEL = "Waddenzee Trader"
IMO = "9074729"
BOX = "Find names, identifiers and cases"

_SEED = f"""
from sqlalchemy import select
from assettrack import create_app
from assettrack.db import get_session
from assettrack.models import User
from assettrack.services import cases
from assettrack.services.entities import add_entity_to_case

app = create_app()
with app.app_context():
    db = get_session()
    officer = db.scalar(select(User).where(User.email == {OFFICER!r}))
    case = cases.create_case(db, officer, {{"title": {CASE_TITLE!r}, "tlp": "AMBER"}})
    for schema, props, role in (
        ("Person", {{"name": [{PERSON!r}]}}, "suspect"),
        ("Vessel", {{"name": [{VESSEL!r}], "imoNumber": [{IMO!r}], "flag": ["nl"]}}, "other"),
    ):
        add_entity_to_case(db, officer, case, {{"schema": schema, "properties": props,
                                               "role": role}})
    db.commit()
"""


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """A migrated demo instance with the case above; its path and environment."""
    path = tmp_path_factory.mktemp("search-instance")
    env = {
        **os.environ,
        "ASSETTRACK_INSTANCE_PATH": str(path),
        "ASSETTRACK_DATABASE_URL": f"sqlite:///{path / 'assettrack.sqlite'}",
    }
    assettrack = str(VENV_BIN / "assettrack")
    for command in (
        [assettrack, "db", "upgrade"],
        [assettrack, "demo", "seed"],
        [str(VENV_BIN / "python"), "-c", _SEED],
    ):
        subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True, timeout=180)
    DEMO["password"] = read_password(path / LOGINS_FILE)
    return path, env


def find(page, query):
    page.get_by_role("searchbox", name=BOX).fill(query)
    page.get_by_role("button", name="Find", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?q="))


def test_names_and_identifiers_are_found_from_the_header(page, problems):
    from playwright.sync_api import expect

    log_in(page)
    for query in ("de wit johan", "Jóhan"):
        find(page, query)
        people = page.get_by_role("region", name=re.compile(r"^People"))
        link = people.get_by_role("link", name=PERSON)
        expect(link).to_be_visible()
        assert re.search(r"/entities/\d+$", link.get_attribute("href"))
    for query in (f"IMO {IMO}", IMO):
        find(page, query)
        vehicles = page.get_by_role("region", name=re.compile(r"^Vessels, vehicles and aircraft"))
        expect(vehicles.get_by_role("link", name=VESSEL)).to_be_visible()
        expect(page.get_by_role("region", name=re.compile(r"^People"))).to_have_count(0)

    # The case is found by its title, and its link opens it.
    find(page, "waddenzee")
    expect(page.get_by_role("link", name=re.compile(r"^Cases \(1\)"))).to_be_visible()
    page.get_by_role("region", name=re.compile(r"^Cases")).get_by_role(
        "link", name=CASE_TITLE
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(CASE_TITLE)
    problems.assert_none()


def test_the_results_page_reflows_and_explains_a_bad_query(page, problems):
    from playwright.sync_api import expect

    log_in(page)
    page.set_viewport_size({"width": 320, "height": 800})
    find(page, "wit")
    expect(page.get_by_role("heading", level=1, name="Search")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the results page is {width} px wide at 320 px"

    problems.expect_status(r"/search", 422)  # the refused query is the answer under test
    page.get_by_label("Name, identifier or case reference").fill("x" * 201)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_role("alert")).to_contain_text("At most 200 characters.")
    expect(page.locator("#q-error")).to_have_text("At most 200 characters.")
    problems.assert_none()
