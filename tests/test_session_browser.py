"""In Chromium: the page warns before the idle end and "Stay signed in" extends the session."""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from assettrack.models import UserSession
from tests.conftest import PASSWORD
from tests.conftest import _make_app
from tests.test_browser import CHROMIUM
from tests.test_browser import CHROMIUM_ARGS

pytestmark = pytest.mark.browser


@pytest.fixture
def short_idle_server(database_url, tmp_path):
    """A live server whose sessions idle out after 125 s (so the 2-minute warning comes at once)."""
    app = _make_app(
        database_url,
        tmp_path / "short-idle",
        WTF_CSRF_ENABLED=True,
        SESSION_IDLE_TIMEOUT=timedelta(seconds=125),
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["assettrack.engine"].dispose()


def test_the_page_warns_before_the_idle_end_and_stay_signed_in_extends_it(
    short_idle_server, session, make_user
):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps`", pytrace=False)
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    officer = make_user("officer", "NLRTM")
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=short_idle_server)
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto("/login")
            page.fill("#email", officer.email)
            page.fill("#password", PASSWORD)
            page.click(".auth-box button[type=submit]")
            page.goto("/cases/")
            warning = page.locator("#session-warning")
            expect(warning).to_be_visible(timeout=10_000)
            expect(warning).to_contain_text("Your session is about to end")
            expect(warning.locator("[data-countdown]")).to_have_text(
                re.compile(r"^[0-2]:\d\d$")
            )
            session.expire_all()
            row = session.scalars(
                select(UserSession).where(UserSession.user_id == officer.id)
            ).one()
            before = row.last_seen_at
            with page.expect_response("**/session/keep-alive") as answer:
                warning.get_by_role("button", name="Stay signed in").click()
            assert answer.value.status == 200
            assert answer.value.json()["remaining"] > 120
            session.expire_all()
            assert session.get(UserSession, row.id).last_seen_at > before
            assert session.get(UserSession, row.id).ended_at is None
        finally:
            browser.close()
    assert errors == []
