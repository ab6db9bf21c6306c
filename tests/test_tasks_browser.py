"""In Chromium: an officer assigns a task with a due date from the case page; the assignee sees
it under "My tasks", on the dashboard and under the bell. axe-core checks every page visited."""

import threading

import pytest
from werkzeug.serving import make_server

from tests.axe import AxeWatch
from tests.conftest import PASSWORD
from tests.conftest import _make_app
from tests.test_browser import BrowserProblems
from tests.test_browser import browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

WAIT_MS = 15_000


@pytest.fixture
def live(database_url, tmp_path):
    """A live server on the test's database, CSRF on as in production."""
    app = _make_app(database_url, tmp_path / "live", WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["assettrack.engine"].dispose()


def _page(browser, live, problems):  # noqa: F811  (the fixture of test_browser)
    context = browser.new_context(base_url=live, locale="en-GB")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.on(
        "console",
        lambda m: m.type == "error" and problems.console_error(page.url, m.text),
    )
    page.on("pageerror", lambda exc: problems.append(f"script error on {page.url}: {exc}"))
    page.on(
        "response",
        lambda r: r.status >= 500 and problems.append(f"HTTP {r.status} for {r.url}"),
    )
    problems.axe = AxeWatch(page, problems.append)
    problems.axe.install()
    return context, page


def _log_in(page, user):
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_an_assigned_task_shows_in_my_tasks_and_the_bell(
    live,
    browser,  # noqa: F811
    make_user,
    make_case,
):
    from playwright.sync_api import expect

    officer = make_user("officer", name="Pieter de Vries")
    colleague = make_user("officer", name="Anna Smit")
    case = make_case(officer, title="Reefer containers at Maasvlakte")

    problems = BrowserProblems()
    context, page = _page(browser, live, problems)
    try:
        _log_in(page, officer)
        page.goto(f"/cases/{case.id}")
        tasks = page.locator("#tasks")
        tasks.get_by_text("Add a task").click()
        tasks.get_by_label("Task").fill("Ask the Kadaster for the deed")
        tasks.get_by_label("Assigned to").select_option(label="Anna Smit")
        tasks.get_by_label("Due on").fill("2027-02-01")
        tasks.get_by_role("button", name="Add the task").click()
        expect(page.get_by_text("Task added.")).to_be_visible()
        expect(page.locator("#tasks")).to_contain_text("Ask the Kadaster for the deed")
        expect(page.locator("#tasks")).to_contain_text("Anna Smit")
        problems.axe.check()
    finally:
        context.close()

    context, page = _page(browser, live, problems)
    try:
        _log_in(page, colleague)
        expect(page.locator(".bell-count")).to_contain_text("1")
        page.get_by_role("link", name="My tasks").first.click()
        expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
        row = page.get_by_role("row", name="Ask the Kadaster for the deed")
        expect(row).to_contain_text(case.reference)
        expect(row).to_contain_text("Feb 1, 2027")
        # At 320 CSS px the page reflows; the table scrolls inside its own box.
        page.set_viewport_size({"width": 320, "height": 640})
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.set_viewport_size({"width": 1280, "height": 800})
        page.locator("a.bell").click()
        expect(page.locator("main")).to_contain_text(case.reference)
        expect(page.locator("main")).to_contain_text("A task is assigned to me")
        problems.assert_none()
    finally:
        context.close()
