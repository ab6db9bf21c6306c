"""End-to-end: headless Chromium against a real gunicorn process, as `make run` serves it.

The server runs on a fresh instance directory (its own SQLite file, secrets and job queue),
migrated and seeded with the demo data by the real `assettrack` command. A failed test leaves a
screenshot in test-artifacts/<test name>.png. Every test also checks that the browser reported
no console error, no uncaught script error, no Content-Security-Policy violation and no 5xx, and
that axe-core found no serious or critical accessibility violation on any page it showed
(tests/axe.py: each document is checked before the page leaves it, the last one at the end).
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assettrack.services.demo import DEMO_DOMAIN
from assettrack.services.demo import LOGINS_FILE
from assettrack.services.demo import read_password
from tests.axe import AxeWatch

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"
OFFICER = f"officer.rotterdam@{DEMO_DOMAIN}"
DEMO = {}  # the demo password, read by the server fixture
START_TIMEOUT = 30  # seconds for gunicorn to answer GET /login
STOP_TIMEOUT = 10  # seconds for gunicorn to stop on SIGTERM before it is killed
WAIT_MS = 10_000  # Playwright's limit for one action or expectation

# Reports every CSP violation to the console, where the listener below collects it (Chromium
# logs most violations itself; this also catches those it reports only as an event).
CSP_PROBE = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""


# --- failure screenshots ---------------------------------------------------------------------


class _ReportKeeper:
    """Keeps each phase's report on the test item (``item.rep_call``) for the fixtures."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        setattr(item, f"rep_{report.when}", report)
        return report


@pytest.fixture(scope="module", autouse=True)
def _keep_reports(request):
    # A hook written in a test module is not a plugin; register one for this module's tests.
    manager = request.config.pluginmanager
    keeper = _ReportKeeper()
    manager.register(keeper, "assettrack-browser-report-keeper")
    yield
    manager.unregister(keeper)


# --- the server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/login")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Migrate, seed and serve a fresh instance with gunicorn; yield its base URL."""
    instance = tmp_path_factory.mktemp("browser-instance")
    env = {
        **os.environ,
        "ASSETTRACK_INSTANCE_PATH": str(instance),
        "ASSETTRACK_DATABASE_URL": f"sqlite:///{instance / 'assettrack.sqlite'}",
    }
    assettrack = str(VENV_BIN / "assettrack")
    for command in ([assettrack, "db", "upgrade"], [assettrack, "demo", "seed"]):
        subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True, timeout=120)
    # The demo password is random per installation, kept in instance/ for its operator.
    DEMO["password"] = read_password(instance / LOGINS_FILE)
    port = _free_port()
    log_path = instance / "gunicorn.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--workers",
                "1",
                # Threads, as `make run` serves: a sync worker stalls on a socket Chromium
                # opens ahead of time and leaves idle, and every later page waits for it.
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"gunicorn did not answer GET /login on port {port} within {START_TIMEOUT} s "
                    f"(exit code {proc.poll()}):\n{log_path.read_text(errors='replace')[-3000:]}",
                    pytrace=False,
                )
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (Playwright's own download is not used)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make system-deps` (installs Debian's chromium) "
            "and run the browser tests again.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()


class BrowserProblems(list):
    """What the browser complained about: console errors, script errors, CSP, 5xx responses,
    serious and critical accessibility violations."""

    def __init__(self):
        super().__init__()
        self.expected: list[tuple[re.Pattern, int]] = []
        self.axe: AxeWatch | None = None  # the page fixture's check of the current document
        self.asserted = False

    def expect_status(self, url_pattern: str, status: int) -> None:
        """Accept the console's "Failed to load resource" for an answer the test provokes."""
        self.expected.append((re.compile(url_pattern), status))

    def console_error(self, url: str, text: str) -> None:
        if url.endswith("/favicon.ico") and "status of 404" in text:
            return  # the browser asks for it unprompted; no page links to it
        for pattern, status in self.expected:
            if pattern.search(url) and f"status of {status} " in text:
                return
        self.append(f"console error ({url}): {text}")

    def assert_none(self):
        if self.axe is not None:
            self.axe.check()  # the page on screen now; the others were checked as they were left
        self.asserted = True
        assert not self, "the browser reported problems:\n" + "\n".join(self)


@pytest.fixture
def problems():
    return BrowserProblems()


@pytest.fixture
def page(request, server, browser, problems):
    """A page in a fresh browser context (no cookies) that records what goes wrong."""
    context = browser.new_context(base_url=server, locale="en-GB", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(WAIT_MS)
    context.add_init_script(CSP_PROBE)
    page = context.new_page()

    def on_console(message):
        if message.type == "error":
            problems.console_error(message.location.get("url") or page.url, message.text)

    def on_response(response):
        if response.status >= 500:
            problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"script error on {page.url}: {exc}"))
    page.on("response", on_response)
    problems.axe = AxeWatch(page, problems.append)
    problems.axe.install()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.\[\]-]+", "_", request.node.name)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    elif report is not None and not problems.asserted:
        # A test that never asked: its pages are still checked.
        problems.axe.check()
        accessibility = [p for p in problems if p.startswith("axe ")]
        if accessibility:
            context.close()
            pytest.fail("\n".join(accessibility), pytrace=False)
    context.close()


# --- helpers ---------------------------------------------------------------------------------


def log_in(page, email=OFFICER, password=None):
    from playwright.sync_api import expect

    password = password or DEMO["password"]
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def case_total(page) -> int:
    """Open the Cases list and return the total it states ("12 cases")."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.wait_for_url(re.compile(r"/cases/(\?.*)?$"))
    text = page.get_by_text(re.compile(r"^\d+ cases?$")).inner_text()
    return int(text.split()[0])


def unique_title() -> str:
    return f"Browser test {uuid.uuid4().hex[:10]}: reefer containers at Maasvlakte"


# --- tests -----------------------------------------------------------------------------------


def test_officer_opens_finds_and_logs_out(page, problems):
    from playwright.sync_api import expect

    title = unique_title()
    year = datetime.now(ZoneInfo("Europe/Amsterdam")).year  # NLRTM's calendar

    log_in(page)
    page.get_by_role("link", name="New case").click()
    expect(page.get_by_role("heading", name="New case")).to_be_visible()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("TLP label").select_option("GREEN")
    page.get_by_role("button", name="Open case").click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(title)
    expect(heading).to_contain_text(re.compile(rf"NLRTM-{year}-\d{{4}}"))
    reference = re.search(rf"NLRTM-{year}-\d{{4}}", heading.inner_text()).group(0)
    expect(page.get_by_text(f"Case {reference} opened.")).to_be_visible()
    expect(page.locator("main .tlp").first).to_have_text("TLP:GREEN")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.get_by_role("searchbox", name="Search").fill(title)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"[?&]q="))
    rows = page.locator("#cases-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(reference)
    expect(rows.first).to_contain_text(title)
    expect(page.get_by_text("1 case", exact=True)).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    problems.assert_none()


def test_empty_title_is_refused_beside_the_field(page, problems):
    from playwright.sync_api import expect

    log_in(page)
    before = case_total(page)

    page.get_by_role("link", name="New case").click()
    page.get_by_label("TLP label").select_option("GREEN")
    problems.expect_status(r"/cases/new$", 422)  # the refusal itself is the answer under test
    with page.expect_response(re.compile(r"/cases/new$")) as answer:
        page.get_by_role("button", name="Open case").click()
    assert answer.value.status == 422

    title = page.get_by_label("Title", exact=True)
    expect(title).to_have_attribute("aria-invalid", "true")
    error = page.locator("#title-error")
    expect(error).to_have_text("is required")
    expect(title).to_have_attribute("aria-describedby", "title-error")
    # Beside the field: inside the Title field's own block, not in a banner elsewhere.
    field = page.locator(".field.has-error", has=page.locator("#title"))
    expect(field.locator(".error")).to_have_text("is required")
    expect(page.get_by_role("heading", name="New case")).to_be_visible()

    assert case_total(page) == before
    problems.assert_none()


def test_installation_admin_enrols_a_citys_first_admin(page, problems):
    from playwright.sync_api import expect

    log_in(page, email=f"operator@{DEMO_DOMAIN}")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Organisations").click()
    expect(page.get_by_role("heading", name="Organisations", level=1)).to_be_visible()
    # Rotterdam has its admin: no link; Marseille has none yet.
    expect(page.get_by_role("link", name="Enrol an admin NLRTM")).to_have_count(0)
    page.get_by_role("link", name="Enrol an admin FRMRS").click()
    page.get_by_label("E-mail of the new admin").fill("premier@marseille.example")
    page.get_by_label("Name").fill("Camille Martin")
    page.get_by_role("button", name="Make the link").click()
    link = page.get_by_label("Link").input_value()
    assert "/enrol/en_" in link
    page.get_by_role("button", name="Log out").click()

    page.goto(link)
    expect(page.get_by_role("heading", name="Enrol as an admin of FRMRS")).to_be_visible()
    page.get_by_label("Password", exact=True).fill("a-long-password-1")
    page.get_by_label("Password again").fill("another-password-2")
    problems.expect_status(r"/enrol/", 422)
    page.get_by_role("button", name="Enrol").click()
    confirm = page.get_by_label("Password again")
    expect(confirm).to_have_attribute("aria-describedby", "confirm-error")
    expect(page.locator("#confirm-error")).to_have_text("The passwords differ.")
    page.get_by_label("Password", exact=True).fill("a-long-password-1")
    confirm.fill("a-long-password-1")
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_text("Welcome, Camille Martin.")).to_be_visible()

    log_in(page, email="premier@marseille.example", password="a-long-password-1")
    expect(page.get_by_role("heading", name="Users of FRMRS")).to_be_visible()
    expect(nav.get_by_role("link", name="Organisations")).to_have_count(0)
    problems.assert_none()
