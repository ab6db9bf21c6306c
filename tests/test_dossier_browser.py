"""A screening dossier in Chromium: opened from its case, saved, its countdown shown, accessible.

The fixtures are those of tests/test_browser.py (a gunicorn instance with the demo data;
axe-core checks every page visited and fails on a serious or critical violation).
"""
# ruff: noqa: F811  (the fixtures of test_browser are imported, then named as arguments)

import re
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from assettrack.domain import screening_clock as sc
from tests.test_browser import _keep_reports  # noqa: F401  (autouse fixture)
from tests.test_browser import browser  # noqa: F401  (fixture)
from tests.test_browser import log_in
from tests.test_browser import page  # noqa: F401  (fixture)
from tests.test_browser import problems  # noqa: F401  (fixture)
from tests.test_browser import server  # noqa: F401  (fixture)
from tests.test_browser import unique_title

pytestmark = pytest.mark.browser


def test_officer_opens_a_screening_dossier_and_sees_its_countdown(page, problems):
    from playwright.sync_api import expect

    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()  # NLRTM's calendar
    received = today - timedelta(days=10)
    requested = today - timedelta(days=3)
    expected = sc.screening_clock(
        sc.BIBOB, received_on=received, today=today, country="NL", advice_requested_on=requested
    )

    log_in(page)
    page.get_by_role("link", name="New case").click()
    page.get_by_label("Title", exact=True).fill(unique_title())
    page.get_by_label("TLP label").select_option("GREEN")
    page.get_by_role("button", name="Open case").click()
    page.get_by_role("link", name="Screening dossier").click()
    expect(page.get_by_role("heading", name="Open a screening dossier")).to_be_visible()

    # A missing permit is refused beside its field, the rest of the input kept.
    page.get_by_label("Application received on").fill(received.isoformat())
    problems.expect_status(r"/dossier$", 422)
    page.get_by_role("button", name="Save").click()
    permit = page.get_by_label("Permit applied for")
    expect(permit).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Application received on")).to_have_value(received.isoformat())

    permit.fill("Exploitatievergunning horeca, Witte de Withstraat 12")
    page.get_by_label("Advice requested from the national bureau on").fill(requested.isoformat())
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Screening dossier saved.")).to_be_visible()

    clock = page.locator("#clock")
    expect(clock.locator("#decision-due-on time")).to_have_attribute(
        "datetime", expected.decision_due_on.isoformat()
    )
    expect(clock.locator("#advice-due-on time")).to_have_attribute(
        "datetime", expected.advice_due_on.isoformat()
    )
    expect(page.locator("#countdown")).to_have_text(
        re.compile(rf"decision due in {expected.days_left} days")
    )
    problems.axe.check()

    # Reflow at 320 CSS px: nothing scrolls sideways.
    page.set_viewport_size({"width": 320, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the dossier page is {width} px wide at 320"

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/dashboard/")
    panel = page.locator("#screening")
    expect(panel.get_by_role("heading", name="Screening dossiers")).to_be_visible()
    expect(panel).to_contain_text(f"decision due in {expected.days_left} days")
    problems.assert_none()
