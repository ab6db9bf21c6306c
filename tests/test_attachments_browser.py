"""In Chromium: attach an image to a case and see its thumbnail; @mention a colleague, whose bell
counts it. axe-core checks every page shown (tests/axe.py)."""

import io
import threading

import pytest
from PIL import Image
from werkzeug.serving import make_server

from tests.axe import AxeWatch
from tests.conftest import PASSWORD
from tests.conftest import _make_app
from tests.test_browser import CHROMIUM
from tests.test_browser import CHROMIUM_ARGS

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(database_url, tmp_path):
    """A live server (CSRF on, jobs run as each request that starts one ends)."""
    app = _make_app(database_url, tmp_path / "live", WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["assettrack.engine"].dispose()


def sign_in(page, user):
    page.goto("/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click(".auth-box button[type=submit]")


def test_an_uploaded_image_shows_its_thumbnail_and_a_mention_rings_the_bell(
    live_server, tmp_path, make_user, make_case
):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps`", pytrace=False)
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    officer = make_user(
        "officer", "NLRTM", email="anna.visser@rotterdam.example", name="Anna Visser"
    )
    colleague = make_user("officer", "NLRTM", email="jan.devries@rotterdam.example")
    case = make_case(officer, title="Reefer containers at Maasvlakte")
    photo = tmp_path / "container.png"
    image = Image.new("RGB", (800, 600), (20, 90, 160))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())

    errors, problems = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=live_server)
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            axe = AxeWatch(page, problems.append)
            axe.install()
            sign_in(page, officer)
            page.goto(f"/cases/{case.id}")
            page.set_input_files("#attachment-file", str(photo))
            page.get_by_role("button", name="Upload").click()
            expect(page.locator(".flash")).to_contain_text("File attached.")
            thumbnail = page.get_by_role("img", name="Preview of container.png")
            expect(thumbnail).to_be_visible()
            # The image really loaded (a broken image has no natural width).
            assert thumbnail.evaluate("img => img.naturalWidth") > 0
            page.fill("#comment-body", "@jan.devries: the photo of the container is attached.")
            page.get_by_role("button", name="Add the comment").click()
            expect(page.locator("#comments")).to_contain_text("the photo of the container")
            axe.check()
            page.context.clear_cookies()  # a new sign-in, as the colleague
            sign_in(page, colleague)
            page.goto("/cases/")
            expect(page.locator(".bell-count")).to_contain_text("1")
            page.locator("a.bell").click()
            expect(page.locator("main")).to_contain_text(
                f"Anna Visser mentioned you in a comment on {case.reference}"
            )
            axe.check()
        finally:
            browser.close()
    assert errors == []
    assert problems == []
