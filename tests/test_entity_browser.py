"""Acceptance of issue #12's corrections in Chromium, on the demo data served by gunicorn: an
officer corrects a company's name, sees it in the history and reverts it; two officers edit the
same entity and the second sees both versions; a liaison sees no edit button and the API
refuses them. axe-core checks every page shown (the fixtures of tests/test_browser.py).
"""
# ruff: noqa: F811  (the fixtures of test_browser are imported, then named as arguments)

import re

import pytest

from assettrack.services.demo import DEMO_DOMAIN
from tests.axe import AxeWatch
from tests.test_accessibility import NARROW
from tests.test_accessibility import assert_reflows
from tests.test_browser import WAIT_MS
from tests.test_browser import _keep_reports  # noqa: F401  (autouse fixture)
from tests.test_browser import browser  # noqa: F401  (fixture)
from tests.test_browser import log_in
from tests.test_browser import page  # noqa: F401  (fixture)
from tests.test_browser import problems  # noqa: F401  (fixture)
from tests.test_browser import server  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

OFFICER2 = f"officer2.rotterdam@{DEMO_DOMAIN}"
LIAISON = f"liaison.north@{DEMO_DOMAIN}"


def _entity_id(page, server, name: str) -> int:
    """The id of the demo entity called ``name``, found as the user's own API search finds it."""
    found = page.request.get(f"{server}/api/v1/entities", params={"q": name}).json()
    return next(item["id"] for item in found["items"] if item["name"] == name)


def test_an_officer_corrects_a_company_name_sees_the_history_and_reverts_it(page, server, problems):
    from playwright.sync_api import expect

    log_in(page)
    company = _entity_id(page, server, "Kralingen Vastgoed BV")
    page.goto(f"/entities/{company}")
    expect(page.locator("h1")).to_contain_text("Kralingen Vastgoed BV")
    page.get_by_role("link", name="Edit the properties").click()
    page.get_by_label("Name", exact=True).fill("Kralingen Vastgoed B.V.")
    page.get_by_label("Reason").fill("as the Chamber of Commerce writes it")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("h1")).to_contain_text("Kralingen Vastgoed B.V.")
    history = page.locator("#history-table")
    expect(history).to_contain_text("Kralingen Vastgoed BV → Kralingen Vastgoed B.V.")
    expect(history).to_contain_text("as the Chamber of Commerce writes it")
    expect(history).to_contain_text("Sanne de Vries")
    expect(page.locator("#properties-table")).to_contain_text("typed by Sanne de Vries")
    assert_reflows(page, NARROW, "the entity page")

    history.get_by_role("button", name=re.compile("^Revert")).first.click()
    expect(page.locator("h1")).to_contain_text("Kralingen Vastgoed BV")
    expect(page.locator("h1")).not_to_contain_text("B.V.")
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history).to_contain_text("reverted")
    problems.assert_none()


def test_the_second_of_two_officers_editing_an_entity_sees_both_versions(
    page, browser, server, problems
):
    from playwright.sync_api import expect

    other_context = browser.new_context(base_url=server, locale="en-GB")
    other_context.set_default_timeout(WAIT_MS)
    other = other_context.new_page()
    AxeWatch(other, problems.append).install()
    try:
        log_in(page)
        log_in(other, OFFICER2)
        shipping = _entity_id(page, server, "Nordzee Shipping Ltd")
        page.goto(f"/entities/{shipping}/edit")
        other.goto(f"/entities/{shipping}/edit")

        other.get_by_label("Name", exact=True).fill("Nordzee Shipping Limited")
        other.get_by_role("button", name="Save").click()
        expect(other.locator("h1")).to_contain_text("Nordzee Shipping Limited")

        problems.expect_status(r"/edit$", 409)
        page.get_by_label("Name", exact=True).fill("Nordzee Shipping Ltd.")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("h1")).to_have_text("Changed by someone else")
        expect(page.locator("#conflict-table .yours")).to_contain_text("Nordzee Shipping Ltd.")
        expect(page.locator("#conflict-table .current")).to_contain_text("Nordzee Shipping Limited")
        assert_reflows(page, NARROW, "the conflict page")
        page.get_by_role("button", name="Save my version anyway").click()
        expect(page.locator("h1")).to_contain_text("Nordzee Shipping Ltd.")
        expect(page.locator("#history-table tbody tr")).to_have_count(2)
    finally:
        other_context.close()
    problems.assert_none()


def test_a_liaison_sees_no_edit_button_and_the_api_refuses_the_change(page, server, problems):
    from playwright.sync_api import expect

    log_in(page, LIAISON)
    holding = _entity_id(page, server, "Maas Zuid Holding BV")
    page.goto(f"/entities/{holding}")
    expect(page.locator("h1")).to_contain_text("Maas Zuid Holding BV")
    expect(page.locator("#cases")).to_contain_text("Cocaine import")
    expect(page.get_by_role("link", name="Edit the properties")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Edit the role"))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Revert"))).to_have_count(0)

    csrf = page.locator("[data-csrf]").first.get_attribute("data-csrf")
    refused = page.request.patch(
        f"{server}/api/v1/entities/{holding}",
        data={"properties": {"name": "Maas Zuid"}},
        headers={"If-Match": '"1"', "X-CSRFToken": csrf},
    )
    assert refused.status == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    problems.assert_none()
