"""The watchlist in Chromium: watch an IBAN typed with spaces, see a bad one refused beside its
field, stop watching; axe checks every state (tests/axe.py), and the page reflows at 320 px."""

import re

from tests import test_browser as browser_tests
from tests.test_accessibility import assert_reflows
from tests.test_browser import log_in

# The fixtures of the browser tests (a module-scoped gunicorn server, Chromium, a fresh page).
server = browser_tests.server
browser = browser_tests.browser
page = browser_tests.page
problems = browser_tests.problems
_keep_reports = browser_tests._keep_reports


def test_an_officer_watches_an_iban_and_stops_watching(page, problems):
    from playwright.sync_api import expect

    log_in(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Watchlist").click()
    expect(page.get_by_role("heading", name="Watchlist", level=1)).to_be_visible()

    page.get_by_label("Identifier", exact=True).select_option("iban")
    page.get_by_label("Value", exact=True).fill("NL91 ABNA 0417 1643 0X")
    problems.expect_status(r"/watchlist$", 422)  # the refusal itself is the answer under test
    with page.expect_response(re.compile(r"/watchlist$")) as answer:
        page.get_by_role("button", name="Watch", exact=True).click()
    assert answer.value.status == 422
    value = page.get_by_label("Value", exact=True)
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#value-error")).to_have_text("is not a valid iban")
    assert_reflows(page, 320, "the refused watchlist form")

    value.fill("nl91 abna 0417 1643 00")
    page.get_by_role("button", name="Watch", exact=True).click()
    expect(page.get_by_text("You now watch IBAN NL91ABNA0417164300.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("IBAN NL91ABNA0417164300"))
    expect(row).to_be_visible()
    assert_reflows(page, 320, "the watchlist with one watch")

    row.get_by_role("button", name=re.compile("Stop watching")).click()
    expect(page.get_by_text("You no longer watch it.")).to_be_visible()
    expect(page.get_by_text("You watch nothing yet.", exact=False)).to_be_visible()
    problems.assert_none()
