"""Accessibility (EN 301 549 = WCAG 2.1 AA): every page, as every role, in headless Chromium.

The fixtures are those of tests/test_browser.py: a gunicorn server seeded with the demo data,
Chromium, and a page on which axe-core checks every document shown (tests/axe.py). Here the
pages and page states of the app are walked on purpose, each checked by axe (no serious or
critical violation, no skipped heading level) and for reflow: at 320 CSS px the document does
not scroll sideways (a data table or the network graph may scroll inside its own box). Then one
test per defect measured in DECISIONS ("Accessible"), each failing before its fix.
"""

import re
from urllib.parse import urlsplit

import pytest

from assettrack.services.demo import DEMO_DOMAIN
from tests import test_browser as browser_tests
from tests.axe import blocking
from tests.axe import describe
from tests.axe import run_axe
from tests.conftest import login

# The fixtures of the browser tests (a module-scoped gunicorn server, Chromium, a fresh page).
server = browser_tests.server
browser = browser_tests.browser
page = browser_tests.page
problems = browser_tests.problems
_keep_reports = browser_tests._keep_reports


ROLES = {
    "officer": f"officer.rotterdam@{DEMO_DOMAIN}",
    "liaison": f"liaison.north@{DEMO_DOMAIN}",
    "partner": f"partner.hamburg@{DEMO_DOMAIN}",
    "auditor": f"auditor.rotterdam@{DEMO_DOMAIN}",
    "admin": f"admin@{DEMO_DOMAIN}",
}
NARROW = 320  # CSS px: WCAG 1.4.10 Reflow
WIDE = 1280
HEIGHT = 800
# Links the walk does not follow: they leave the session, download a file or issue a report.
NOT_PAGES = re.compile(r"/logout|/download|\.pdf$|\.csv$|/document$|/api/|/static/")
MAX_PAGES = 40  # per role; one page per address shape (/cases/12 and /cases/7 are one shape)
# Rules beyond serious and critical that a page must pass: the measured defects stay fixed.
ALSO_FAILING = {"heading-order"}


# --- helpers ---------------------------------------------------------------------------------


def check_page(page, what: str = "") -> None:
    """Run axe on the page as it is now and check that it reflows at 320 CSS px."""
    violations = run_axe(page)
    failing = blocking(violations) + [
        v for v in violations if v["id"] in ALSO_FAILING and v not in blocking(violations)
    ]
    assert not failing, f"{what or page.url}:\n" + describe(failing, page.url)
    broken = page.eval_on_selector_all(
        "[data-error-summary] a[href^='#']",
        "els => els.map(e => e.getAttribute('href'))"
        ".filter(h => !document.getElementById(h.slice(1)))",
    )
    assert not broken, f"{what or page.url}: the error summary links to nothing: {broken}"
    assert_reflows(page, NARROW, what)


def assert_reflows(page, width: int, what: str = "") -> None:
    """At ``width`` CSS px the document is no wider than the viewport (restores 1280 after)."""
    page.set_viewport_size({"width": width, "height": HEIGHT})
    try:
        wide = page.evaluate(
            """(width) => {
                const out = [];
                for (const el of document.querySelectorAll("body *")) {
                    const r = el.getBoundingClientRect();
                    if (r.width && r.right > width + 1 && !el.closest(".table-wrap > *")) {
                        out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                            (el.className && el.className.baseVal === undefined
                                ? "." + String(el.className).trim().replace(/\\s+/g, ".") : "") +
                            " ends at " + Math.round(r.right) + " px");
                    }
                }
                return [document.documentElement.scrollWidth, out.slice(0, 8)];
            }""",
            width,
        )
        scroll_width, culprits = wide
        assert scroll_width <= width, (
            f"{what or page.url} scrolls sideways at {width} CSS px: the document is "
            f"{scroll_width} px wide; widest: {culprits}"
        )
    finally:
        page.set_viewport_size({"width": WIDE, "height": HEIGHT})


def shape(url: str) -> str:
    """The address shape of a page: its path with numbers replaced (/cases/N/network)."""
    return re.sub(r"\d+", "N", urlsplit(url).path)


def links(page) -> list[str]:
    """The same-site page addresses the page links to, in document order."""
    hrefs = page.eval_on_selector_all(
        "a[href]", "els => els.map(e => e.href).filter(h => h.startsWith(location.origin))"
    )
    return [h.split("#")[0] for h in hrefs if not NOT_PAGES.search(urlsplit(h).path)]


def walk(page, start: str) -> list[str]:
    """Visit every address shape reachable from ``start`` by links; check each page."""
    seen, queue, visited = set(), [start], []
    while queue and len(visited) < MAX_PAGES:
        url = queue.pop(0)
        if shape(url) in seen:
            continue
        seen.add(shape(url))
        # Today the first GET of /duplicates/ computes the candidates: seconds on a busy machine.
        response = page.goto(url, timeout=60_000)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        settled(page)
        check_page(page)
        visited.append(shape(url))
        queue.extend(links(page))
    return visited


def settled(page) -> None:
    """Wait until the page's scripts have filled what they load (the network graph, a job)."""
    page.wait_for_function("() => !document.querySelector('[aria-busy=true]')")


def fresh_login(page, role: str) -> None:
    page.set_viewport_size({"width": WIDE, "height": HEIGHT})
    browser_tests.log_in(page, ROLES[role])


def first_link(page, pattern: str) -> str:
    """The first link of the page whose path matches ``pattern``."""
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
        if re.search(pattern, urlsplit(href).path):
            return href
    raise AssertionError(f"no link matching {pattern} on {page.url}")


def open_reefer_case(page) -> str:
    """Open the demo's reefer case (assets, decisions, entities); return its address."""
    page.goto("/cases/?q=reefer")
    page.goto(first_link(page, r"^/cases/\d+$"))
    return page.url


# --- every page, every role ------------------------------------------------------------------


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.browser
def test_every_page_a_role_reaches_passes_axe_and_reflows(page, problems, role):
    fresh_login(page, role)
    visited = walk(page, page.url)
    assert len(visited) >= 2, visited
    problems.assert_none()


@pytest.mark.browser
def test_officer_page_states_pass_axe_and_reflow(page, problems):
    """The states a walk by links does not reach: forms with errors, annul, attach, merge."""
    from playwright.sync_api import expect

    fresh_login(page, "officer")
    case = open_reefer_case(page)

    # A decision: the annul and attach-document pages of the first one, each form with errors.
    for link in (r"/decisions/\d+/annul$", r"/decisions/\d+/document/new$"):
        page.goto(case)
        page.goto(first_link(page, link))
        check_page(page)
        problems.expect_status(link.replace("\\d+", r"\d+"), 422)
        page.get_by_role("button", name=re.compile("^(Annul|Upload)$")).click()
        expect(page.locator("[data-error-summary]")).to_be_visible()
        check_page(page, f"{page.url} with errors")

    # The decision form with its value column, refused without an asset.
    page.goto(case)
    page.goto(first_link(page, r"/decisions/new$") + "?action=freeze")
    check_page(page)
    problems.expect_status(r"/decisions/new", 422)
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    check_page(page, "the decision form with errors")

    # The asset page with its three forms open, then one refused.
    page.goto(case)
    page.goto(first_link(page, r"^/assets/\d+$"))
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    check_page(page, "the asset page with its forms open")
    problems.expect_status(r"/assets/\d+/valuations$", 422)
    page.get_by_role("button", name="Add the valuation").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    check_page(page, "the asset page with a refused valuation")

    # Merge: two entities of the case side by side.
    page.goto(case)
    ids = sorted({
        int(m.group(1))
        for h in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        if (m := re.search(r"/assets/(\d+)$", h))
    })
    assert len(ids) >= 2
    page.goto(f"/duplicates/merge?a={ids[0]}&b={ids[1]}")
    check_page(page, "the merge page")

    # A new case refused without a title.
    page.goto("/cases/new")
    problems.expect_status(r"/cases/new$", 422)
    page.get_by_role("button", name="Open case").click()
    check_page(page, "the new case form with errors")
    problems.assert_none()


@pytest.mark.browser
def test_auditor_export_job_page_passes_axe_and_reflows(page, problems):
    fresh_login(page, "auditor")
    page.goto("/audit/")
    page.get_by_role("button", name="Export as CSV").click()
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    # The test server runs no job worker: the page shows the job queued, polling.
    check_page(page, "the export's job page")
    problems.assert_none()


# --- the defects measured --------------------------------------------------------------------


@pytest.mark.browser
def test_shared_case_network_picture_has_a_name(page, problems):
    from playwright.sync_api import expect

    fresh_login(page, "officer")
    page.goto("/shared/cases/")
    page.goto(first_link(page, r"^/shared/cases/\d+$"))
    picture = page.locator("figure.network svg")
    expect(picture).to_have_attribute("role", "img")
    name = re.compile(r"^Network diagram: \d+ entities")
    expect(page.get_by_role("img", name=name)).to_be_visible()
    problems.assert_none()


@pytest.mark.browser
def test_decision_and_merge_pages_skip_no_heading_level(page, problems):
    fresh_login(page, "officer")
    case = open_reefer_case(page)
    pages = []
    for link in (r"/decisions/\d+/annul$", r"/decisions/\d+/document/new$"):
        page.goto(case)
        pages.append(first_link(page, link))
    page.goto(case)
    ids = sorted({
        int(m.group(1))
        for h in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        if (m := re.search(r"/assets/(\d+)$", h))
    })
    pages.append(f"/duplicates/merge?a={ids[0]}&b={ids[1]}")
    for url in pages:
        page.goto(url)
        levels = page.eval_on_selector_all(
            "main h1, main h2, main h3, main h4", "els => els.map(e => Number(e.tagName[1]))"
        )
        jumps = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
        assert not jumps, f"{page.url}: headings {levels} skip a level"
    problems.assert_none()


@pytest.mark.browser
def test_language_menu_changes_only_with_its_button(page, problems):
    """WCAG 3.2.2: choosing an option with the arrow keys does not leave the page."""
    from playwright.sync_api import expect

    fresh_login(page, "liaison")
    start = page.url
    menu = page.get_by_label("Language")
    menu.focus()
    page.keyboard.press("ArrowDown")
    expect(menu).to_have_value("fr")
    page.wait_for_timeout(500)  # an onchange submit would have left the page by now
    assert page.url == start
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    problems.assert_none()


@pytest.mark.browser
def test_sticky_table_header_never_hides_the_focused_control(page, problems):
    """Shift+Tab up the case page's tables at 1280 px: each control focused is seen, not under
    the header row that sticks to the top of the window."""
    fresh_login(page, "officer")
    open_reefer_case(page)
    page.set_viewport_size({"width": WIDE, "height": 300})
    in_tables = page.locator("table.data tbody").locator("a[href], button, input, select")
    count = in_tables.count()
    assert count >= 8
    in_tables.nth(count - 1).focus()
    first = in_tables.first.element_handle()
    hidden = []
    for _ in range(60):
        page.keyboard.press("Shift+Tab")
        covered = page.evaluate(
            """() => {
                const el = document.activeElement;
                const r = el.getBoundingClientRect();
                const top = document.elementFromPoint(r.left + r.width / 2, r.top + 2);
                return top && !el.contains(top) && top !== el
                    ? el.textContent.trim() + " under " + top.tagName : null;
            }"""
        )
        if covered:
            hidden.append(covered)
        if page.evaluate("(first) => document.activeElement === first", first):
            break
    assert not hidden, f"the focused control is hidden: {hidden}"
    problems.assert_none()


@pytest.mark.browser
def test_asset_page_forms_have_unique_ids_and_named_fields(page, problems):
    from playwright.sync_api import expect

    fresh_login(page, "officer")
    open_reefer_case(page)
    # A frozen or managed asset shows all three forms (valuation, ledger, manager or not).
    page.goto(first_link(page, r"^/assets/\d+$"))
    duplicates = page.evaluate(
        """() => {
            const seen = {};
            document.querySelectorAll("[id]").forEach(e => { seen[e.id] = (seen[e.id] || 0) + 1; });
            return Object.keys(seen).filter(id => seen[id] > 1);
        }"""
    )
    assert duplicates == [], f"ids used twice on the asset page: {duplicates}"
    page.get_by_text("Add a valuation").click()
    expect(page.get_by_label("Amount").first).to_have_attribute("id", "valuation-amount")
    unnamed = page.evaluate(
        """() => Array.from(document.querySelectorAll(
                "main input:not([type=hidden]), main select, main textarea"))
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label"))
            .map(e => e.name)"""
    )
    assert unnamed == []
    problems.assert_none()


@pytest.mark.browser
def test_decision_form_with_values_reflows_at_640_and_320(page, problems):
    fresh_login(page, "officer")
    open_reefer_case(page)
    page.goto(first_link(page, r"/decisions/new$") + "?action=freeze")
    for width in (640, NARROW):
        assert_reflows(page, width, "the decision form")
    problems.assert_none()


@pytest.mark.browser
def test_audit_log_fits_the_screen(page, problems):
    fresh_login(page, "auditor")
    page.goto("/audit/")
    assert page.locator("table.data tbody tr").count() > 5
    for width in (WIDE, 640, NARROW):
        assert_reflows(page, width, "the audit log")
    # The details are fields (old → new for a change), not a line of JSON (#12); they wrap.
    details = page.locator("table.data tbody td.audit-details dl.changes").first
    assert details.locator("dt").count() >= 1 and '{"' not in details.inner_text()
    problems.assert_none()


@pytest.mark.browser
def test_re_rendered_form_announces_its_errors(page, problems):
    from playwright.sync_api import expect

    fresh_login(page, "officer")
    page.goto("/cases/new")
    problems.expect_status(r"/cases/new$", 422)
    page.get_by_role("button", name="Open case").click()

    expect(page).to_have_title(re.compile(r"^Error: New case"))
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    summary.get_by_role("link", name="Title: is required").click()
    expect(page.get_by_label("Title", exact=True)).to_be_focused()

    # A page of several forms links to the field of the form that was refused.
    open_reefer_case(page)
    page.goto(first_link(page, r"^/assets/\d+$"))
    page.get_by_text("Add a valuation").click()
    problems.expect_status(r"/assets/\d+/valuations$", 422)
    page.get_by_role("button", name="Add the valuation").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link").first
    target = link.get_attribute("href")
    assert target.startswith("#valuation-")
    link.click()
    expect(page.locator(target)).to_be_focused()
    problems.assert_none()


@pytest.mark.browser
def test_error_title_is_translated(page, problems):
    from playwright.sync_api import expect

    fresh_login(page, "partner")
    page.goto("/reports/verify")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    problems.expect_status(r"/reports/verify$", 422)
    page.locator("main form[method=post] button[type=submit]").last.click()
    expect(page).to_have_title(re.compile(r"^Erreur : "))
    expect(page.locator("[data-error-summary]")).to_contain_text("Il y a un problème")
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    problems.assert_none()


@pytest.mark.parametrize("start", ["case", "asset", "dashboard"])
@pytest.mark.browser
def test_keyboard_reaches_every_control_with_a_visible_focus(page, problems, start):
    """Tab from the top to the end: each control focused is on screen, uncovered and ringed."""
    fresh_login(page, "officer")
    if start != "dashboard":
        open_reefer_case(page)
        if start == "asset":
            page.goto(first_link(page, r"^/assets/\d+$"))
    controls = page.evaluate(
        """() => Array.from(document.querySelectorAll(
            "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]"))
            .filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length).length"""
    )
    problems_seen = []
    reached = 0
    for _ in range(controls + 5):
        page.keyboard.press("Tab")
        state = page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || el === document.body) { return null; }
                const r = el.getBoundingClientRect();
                const cs = getComputedStyle(el);
                const ringed = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0)
                    || cs.boxShadow !== "none";
                const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
                const y = Math.min(Math.max(r.top + Math.min(r.height / 2, 8), 0), innerHeight - 1);
                const top = document.elementFromPoint(x, y);
                const seen = r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight
                    && top !== null && (el.contains(top) || top.contains(el));
                const name = (el.getAttribute("aria-label") || el.textContent || el.name || el.id
                    || el.tagName).trim().slice(0, 40);
                return {name: el.tagName + " " + name, ringed: ringed, seen: seen};
            }"""
        )
        if state is None:
            break
        reached += 1
        if not (state["ringed"] and state["seen"]):
            problems_seen.append(state)
    assert reached >= min(controls, 10)
    assert not problems_seen, f"focused but not visible or without a focus ring: {problems_seen}"
    problems.assert_none()


@pytest.mark.browser
def test_axe_watch_reports_a_serious_violation(page, problems):
    """The check every browser test relies on fails a page with an unnamed image."""
    page.route(
        "**/axe-probe",
        lambda route: route.fulfill(
            content_type="text/html",
            body='<!doctype html><html lang="en"><title>probe</title><main>'
            '<img src="/static/img/favicon.svg"></main></html>',
        ),
    )
    page.goto("/axe-probe")
    page.evaluate("async () => { await window.__assettrackAxeLoadRun; }")  # reported by now
    assert any("`image-alt`" in p for p in problems), problems
    problems.clear()
    problems.assert_none()


# --- without a browser -------------------------------------------------------------------------


def test_a_refused_form_names_its_errors_in_the_title_and_a_summary(client, make_user):
    officer = make_user("officer", "NLRTM")
    login(client, officer)
    response = client.post(
        "/cases/new", data={"title": "", "tlp": "AMBER", "handling_code": "H0"}
    )
    page = response.data.decode()
    assert response.status_code == 422
    assert "<title>Error: New case · assettrack</title>" in page
    summary = page.split("data-error-summary", 1)[1].split("</div>", 1)[0]
    assert 'role="alert"' in page.split("data-error-summary", 1)[0].rsplit("<div", 1)[1]
    assert '<a href="#title">Title: is required</a>' in summary
    # A form shown without errors has neither.
    fresh = client.get("/cases/new").data.decode()
    assert "data-error-summary" not in fresh and "<title>New case" in fresh
