"""The network page: read scope on the server; in the browser, the graph against the real API.

The browser test drives headless Chromium against a real gunicorn process seeded with the demo
data (the server, browser and page fixtures of tests/test_browser.py: a failed test leaves a
screenshot in test-artifacts/, and every test checks that the browser reported no console error,
no script error, no Content-Security-Policy violation and no 5xx).
"""

import re
from urllib.parse import quote

import pytest

from tests import test_browser as browser_tests
from tests.conftest import login

# The fixtures of the browser tests (a module-scoped gunicorn server, Chromium, a fresh page).
server = browser_tests.server
browser = browser_tests.browser
page = browser_tests.page
problems = browser_tests.problems
_keep_reports = browser_tests._keep_reports

REEFER = "Cocaine import through reefer containers, Maasvlakte"


# --- read scope (no browser) -----------------------------------------------------------------


def _entity_in(session, user, case, name="Nordzee Trader"):
    from assettrack.services import entities

    link = entities.add_entity_to_case(
        session, user, case, {"schema": "Vessel", "properties": {"name": name}}
    )
    session.commit()
    return link.entity_id


def test_officer_opens_the_network_of_a_case_and_of_an_entity(
    client, make_user, make_case, session
):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    entity_id = _entity_in(session, officer, case)
    login(client, officer)

    page_html = client.get(f"/cases/{case.id}/network")
    assert page_html.status_code == 200
    text = page_html.get_data(as_text=True)
    assert f'data-graph-url="/api/v1/cases/{case.id}/network"' in text
    assert 'data-owners-url="/api/v1/entities/{id}/owners"' in text
    assert "<script" in text and "vendor/cytoscape/cytoscape.min.js" in text
    assert 'id="__________cytoscape_stylesheet"' in text  # keeps Cytoscape from injecting <style>

    entity_html = client.get(f"/entities/{entity_id}/network")
    assert entity_html.status_code == 200
    assert f'data-focus="{entity_id}"' in entity_html.get_data(as_text=True)


def test_officer_cannot_see_the_network_of_another_city(client, make_user, make_case, session):
    rotterdam = make_user("officer", "NLRTM")
    antwerp = make_user("officer", "BEANR")
    case = make_case(rotterdam)
    entity_id = _entity_in(session, rotterdam, case)
    login(client, antwerp)

    assert client.get(f"/cases/{case.id}/network").status_code == 404
    assert client.get(f"/entities/{entity_id}/network").status_code == 404
    assert client.get("/cases/999999/network").status_code == 404


def test_partner_reads_no_network(client, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    partner = make_user("partner", "DEHAM")
    case = make_case(officer)
    login(client, partner)

    assert client.get(f"/cases/{case.id}/network").status_code == 403


# --- in the browser ----------------------------------------------------------------------------


def _open_reefer_network(page):
    """From the Cases list, find the reefer case and open its network page; return its id."""
    from playwright.sync_api import expect

    page.goto("/cases/?q=" + quote(REEFER))
    row = page.locator("#cases-table tbody tr", has_text=REEFER)
    expect(row).to_have_count(1)
    href = row.get_by_role("link").first.get_attribute("href")
    case_id = int(re.search(r"/cases/(\d+)", href).group(1))
    with page.expect_response(re.compile(rf"/api/v1/cases/{case_id}/network$")) as answer:
        page.goto(f"/cases/{case_id}/network")
    assert answer.value.ok
    expect(page.locator("[data-network]")).to_have_attribute("aria-busy", "false")
    return case_id


def _painted_pixels(page) -> int:
    """Count the non-transparent pixels Cytoscape painted on its node layer."""
    return page.evaluate(
        """() => {
            const c = document.querySelector('.network-canvas canvas[data-id="layer2-node"]');
            const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { n += 1; } }
            return n;
        }"""
    )


@pytest.mark.browser
def test_officer_explores_the_reefer_network_and_the_vessels_owners(page, problems):
    from playwright.sync_api import expect

    browser_tests.log_in(page)
    _open_reefer_network(page)

    # The graph is drawn, and the same entities are listed as buttons beside it.
    entities = page.get_by_role("list", name=re.compile(r"^Entities")).get_by_role("button")
    expect(entities.filter(has_text="Nordzee Trader")).to_have_count(1)
    before = entities.count()
    assert before >= 10
    assert _painted_pixels(page) > 1000
    expect(page.locator(".network-status")).to_contain_text(f"{before} entities")
    legend = page.locator(".network-legend-nodes")
    expect(legend.get_by_text("Vessel", exact=True)).to_be_visible()
    expect(legend.get_by_text("Person", exact=True)).to_be_visible()

    # Expand the suspect: his neighbours in the other cases of the city join the graph.
    entities.filter(has_text="Dennis van der Berg").click()
    details = page.locator(".network-details")
    expect(details.get_by_role("heading", name="Dennis van der Berg")).to_be_visible()
    with page.expect_response(re.compile(r"/api/v1/entities/\d+/network\?depth=1$")) as answer:
        details.get_by_role("button", name="Expand neighbours").click()
    assert answer.value.ok
    expect(details.get_by_role("button", name="Neighbours shown")).to_be_disabled()
    expect(page.locator("[data-network]")).to_have_attribute("aria-busy", "false")
    assert entities.count() > before

    # Keyboard only: find the vessel, arrow into the list (focus selects it), ask for its owners.
    page.get_by_label("Find in the list").fill("Nordzee Trader")
    page.keyboard.press("ArrowDown")
    vessel = entities.filter(has_text="Nordzee Trader")
    expect(vessel).to_be_focused()
    expect(vessel).to_have_attribute("aria-current", "true")
    expect(details.get_by_role("heading", name="Nordzee Trader")).to_be_visible()
    owners_button = details.get_by_role("button", name="Show owners")
    owners_button.focus()
    with page.expect_response(re.compile(r"/api/v1/entities/\d+/owners")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.ok

    owners = page.locator(".network-owners")
    expect(owners.get_by_role("heading", name="Owners of Nordzee Trader")).to_be_visible()
    dennis = owners.locator(".network-owner", has_text="Dennis van der Berg")
    expect(dennis).to_have_count(1)
    expect(dennis.locator(".network-share")).to_have_text(re.compile(r"^60\s*%$"))
    expect(page.locator(".network-status")).to_contain_text("Owners found")

    # The chain is highlighted, in the list too: owner, the two companies, the vessel.
    page.get_by_label("Find in the list").fill("")
    highlighted = page.locator(".network-nodes .is-highlighted .network-node-name")
    expect(highlighted).to_contain_text(
        ["Dennis van der Berg", "Maas Zuid Holding BV", "Nordzee Shipping Ltd", "Nordzee Trader"]
    )
    problems.assert_none()
