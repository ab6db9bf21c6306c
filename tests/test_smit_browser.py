"""Acceptance of issue #10 in Chromium, on a fresh instance served as `make run` serves it
(gunicorn and the job worker): the Smit walk.

A Rotterdam officer opens a case with the person "Marieke Smit" (role other, protected), the
company "Smit Havenservice BV" and the vessel "Smit Trader" (with its IMO number), a summary
that names "M. Smit", and shares it with Antwerp (AMBER). The partner report's preview flags the
company and the vessel by the label "Other 1"; the officer keeps the company, masks the vessel's
part and issues the report. The PDF, read back, holds "Smit Havenservice BV" and the mark, never
a false name, and nothing of the protected person in its text, its bytes, its metadata or its
diagram; the choices are in the disclosure's audit entry and in ``redaction_choice``. Withdrawn,
the report is shown as such to Antwerp, on its list and by verification.

The fixtures are those of tests/test_browser.py (axe-core checks every page visited), with a
server of its own that also runs the job worker.
"""
# ruff: noqa: F811  (the fixtures of test_browser are imported, then named as arguments)

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from assettrack.domain.mentions import MASK_MARK
from assettrack.services.demo import DEMO_DOMAIN
from assettrack.services.demo import LOGINS_FILE
from assettrack.services.demo import read_password
from tests.test_browser import DEMO
from tests.test_browser import REPO
from tests.test_browser import START_TIMEOUT
from tests.test_browser import STOP_TIMEOUT
from tests.test_browser import VENV_BIN
from tests.test_browser import _answers
from tests.test_browser import _free_port
from tests.test_browser import _keep_reports  # noqa: F401  (autouse fixture)
from tests.test_browser import browser  # noqa: F401  (fixture)
from tests.test_browser import log_in
from tests.test_browser import page  # noqa: F401  (fixture)
from tests.test_browser import problems  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

PROTECTED = "Marieke Smit"
ID_NUMBER = "NX4471208"
BIRTH_DATE = "1984-05-17"
# Nothing of the protected person leaves: its name, its identifier, its birth date in any form.
SECRETS = ("Marieke", ID_NUMBER, BIRTH_DATE, "17/05/1984", "17.05.1984")
# A label written into another name would state a false name.
FALSE_NAMES = ("Other 1 Havenservice", "Other 1 Trader", "Other 1 Havenservice BV")
COMPANY = "Smit Havenservice BV"
VESSEL = "Smit Trader"
IMO = "9321483"
JOB_WAIT_MS = 120_000  # the worker renders the PDF: give it time on a busy machine


# --- a fresh instance with its job worker --------------------------------------------------------


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """A migrated instance seeded with the demo data; its path and environment."""
    path = tmp_path_factory.mktemp("smit-instance")
    env = {
        **os.environ,
        "ASSETTRACK_INSTANCE_PATH": str(path),
        "ASSETTRACK_DATABASE_URL": f"sqlite:///{path / 'assettrack.sqlite'}",
    }
    assettrack = str(VENV_BIN / "assettrack")
    for command in ([assettrack, "db", "upgrade"], [assettrack, "demo", "seed"]):
        subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True, timeout=180)
    DEMO["password"] = read_password(path / LOGINS_FILE)
    return path, env


@pytest.fixture(scope="module")
def server(instance):
    """gunicorn and the job worker on the instance; yield the base URL."""
    path, env = instance
    port = _free_port()
    log_path = path / "server.log"
    processes = []
    with open(log_path, "wb") as log:
        processes.append(
            subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "--workers", "1", "--threads", "4",
                 "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        )
        processes.append(
            subprocess.Popen(
                [str(VENV_BIN / "assettrack"), "jobs", "worker", "--workers", "1"],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(port):
            if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
                pytest.fail(
                    f"the server did not answer on port {port} within {START_TIMEOUT} s:\n"
                    f"{log_path.read_text(errors='replace')[-3000:]}",
                    pytrace=False,
                )
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        for process in processes:  # each runs in a process group of its own, started here
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# --- reading the PDF back -----------------------------------------------------------------------


def _poppler(tool: str, pdf: Path, *args) -> str:
    return subprocess.run([tool, *args, str(pdf), "-"] if tool == "pdftotext" else
                          [tool, *args, str(pdf)], capture_output=True, check=True,
                          text=True).stdout


def _everything_in(pdf: Path) -> dict[str, str]:
    """What a reader of the file can get at, part by part: the text layer, the document
    information and XMP, every stream decoded (pages, fonts, embedded files) and every string
    of every object (structure tree, alternative texts, annotations)."""
    import pikepdf

    parts = {
        "bytes": pdf.read_bytes().decode("latin-1"),
        "text": _poppler("pdftotext", pdf, "-layout"),
        "pdfinfo": _poppler("pdfinfo", pdf, "-meta"),
    }
    streams, strings = [], []

    def walk(value, seen):
        if isinstance(value, pikepdf.String):
            strings.append(str(value))
        elif isinstance(value, pikepdf.Array):
            for item in value:
                walk(item, seen)
        elif isinstance(value, pikepdf.Dictionary | pikepdf.Stream):
            if value.is_indirect:
                if value.objgen in seen:
                    return
                seen.add(value.objgen)
            for key in value.keys():
                walk(value[key], seen)

    with pikepdf.open(pdf) as document:
        parts["docinfo"] = json.dumps({str(k): str(v) for k, v in document.docinfo.items()})
        with document.open_metadata() as xmp:
            parts["xmp"] = str(xmp)
        seen: set = set()
        for obj in document.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    streams.append(obj.read_bytes().decode("utf-8", errors="replace"))
                except pikepdf.PdfError:
                    streams.append(obj.read_raw_bytes().decode("latin-1"))
            walk(obj, seen)
    parts["streams"] = "\n".join(streams)
    parts["strings"] = "\n".join(strings)
    return parts


def _database(instance) -> sqlite3.Connection:
    path, _env = instance
    return sqlite3.connect(f"file:{path / 'assettrack.sqlite'}?mode=ro", uri=True)


# --- the walk -----------------------------------------------------------------------------------


def test_the_smit_walk_states_no_false_name_and_the_choices_are_recorded(
    page, problems, instance, tmp_path
):
    from playwright.sync_api import expect

    log_in(page)
    # The case, shared with Antwerp (AMBER).
    page.get_by_role("link", name="New case").click()
    page.get_by_label("Title", exact=True).fill("Night shift at the Waalhaven")
    page.get_by_label("Summary").fill("Tip from M. Smit about the night shift at the quay.")
    page.get_by_label("TLP label").select_option("AMBER")
    page.get_by_label("Shared with").select_option(["BEANR"])
    page.get_by_role("button", name="Open case").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Night shift at the Waalhaven")
    reference = re.search(r"NLRTM-\d{4}-\d{4}", heading.inner_text()).group(0)
    case_id = int(re.search(r"/cases/(\d+)", page.url).group(1))

    # Its entities, as an officer adds them.
    def add(schema, role, fields, value=None, anyway=None):
        if anyway:  # the form answers 422 with the offer of the existing entity
            problems.expect_status(r"/entities/new", 422)
        page.goto(f"/cases/{case_id}/entities/new?schema={schema}")
        for label, text in fields.items():
            page.get_by_label(label, exact=True).fill(text)
        page.get_by_label("Role in the case").select_option(role)
        if value:
            page.get_by_label("Estimated value").fill(value)
        page.get_by_role("button", name="Add to the case").click()
        if anyway:
            # The organisation holds this identifier already (#12): say why this is another.
            page.get_by_label("Or create a new entity anyway: why is it not the same?").fill(anyway)
            page.get_by_role("button", name="Create a new one anyway").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(reference)

    add("Person", "other", {"Name": PROTECTED, "Birth date": BIRTH_DATE, "ID Number": ID_NUMBER})
    add("Company", "suspect", {"Name": COMPANY})
    add(
        "Vessel",
        "other",
        {"Name": VESSEL, "IMO Number": IMO},
        value="1800000",
        anyway="Tip names this ship; the file of the reefer case is kept apart for now.",
    )

    def relate(schema, source, target, share=None):
        page.goto(f"/cases/{case_id}/relations/new")
        page.get_by_label("Relation", exact=True).select_option(schema)
        for label, name in (("From", source), ("To", target)):
            select = page.get_by_label(label, exact=True)
            value = select.locator("option", has_text=name).first.get_attribute("value")
            select.select_option(value)
        if share:
            page.get_by_label("Share (%)").fill(share)
        page.get_by_role("button", name="Record the relation").click()
        expect(page.get_by_text("Relation recorded.")).to_be_visible()

    # The protected person is also a director elsewhere in the case; the company owns the ship.
    relate("Directorship", PROTECTED, COMPANY)
    relate("Ownership", COMPANY, VESSEL, share="100")

    # The preview: the company and the vessel are flagged, by the label only.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="New partner report").click()
    page.get_by_label("Recipient organisation").select_option("BEANR")
    page.get_by_label("Justification").fill("Joint investigation team JIT-2026-07")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text(reference)

    def flagged(text):
        return page.locator("fieldset.mention").filter(
            has=page.locator("p.mention-text", has_text=re.compile(rf"^{re.escape(text)}$")))

    company, vessel = flagged(COMPANY), flagged(VESSEL)
    for mention in (company, vessel):
        expect(mention).to_have_count(1)
        expect(mention).to_contain_text("Holds a part of the name of Other 1")
        expect(mention.locator("mark")).to_have_text("Smit")
        expect(mention.get_by_label("Keep the name as it is")).to_be_checked()
    summary = flagged("Tip from M. Smit about the night shift at the quay.")
    expect(summary.get_by_label(re.compile("^Mask the part"))).to_be_checked()
    mentions = page.locator("#mentions").inner_text()
    for secret in (*SECRETS, *FALSE_NAMES):
        assert secret not in mentions
    vessel_key = vessel.locator("input[type=radio]").first.get_attribute("name").split("/", 1)[1]
    company_key = company.locator("input[type=radio]").first.get_attribute("name").split("/", 1)[1]

    # Keep the company, mask the vessel's part; issue.
    vessel.get_by_label(f"Mask the part: {MASK_MARK} Trader").check()
    page.get_by_role("button", name="Generate the PDF").click()
    page.wait_for_url(re.compile(r"/reports/\d+$"))
    report_id = int(re.search(r"/reports/(\d+)$", page.url).group(1))
    download_link = page.get_by_role("link", name="Download the file")
    expect(download_link).to_be_visible(timeout=JOB_WAIT_MS)  # the page reloads when it is made
    number = re.search(r"R-\d{6}", page.get_by_role("heading", level=1).inner_text()).group(0)
    with page.expect_download() as download:
        download_link.click()
    pdf = tmp_path / "partner.pdf"
    download.value.save_as(pdf)

    # The PDF, read back: true names or the mark, nothing of the protected person anywhere.
    found = _everything_in(pdf)
    text = found["text"]
    assert COMPANY in text
    assert f"{MASK_MARK} Trader" in text
    assert IMO in text  # the vessel is no protected entity: its identifier is true and stays
    for where, content in found.items():
        for secret in (*SECRETS, *FALSE_NAMES):
            assert secret not in content, f"{secret!r} is in the PDF's {where}"
    assert VESSEL not in text and "Smit about" not in text

    # The choices, recorded with the disclosure.
    with _database(instance) as db:
        chosen = dict(db.execute(
            "SELECT mention_key, choice FROM redaction_choice WHERE report_id = ?", (report_id,)))
        [(details,)] = db.execute(
            "SELECT details FROM audit_entry WHERE action = 'disclose' AND object_type = 'report'"
            " AND object_id = ?", (str(report_id),))
    assert chosen[company_key] == "keep" and chosen[vessel_key] == "mask"
    assert json.loads(details)["redaction"] == chosen

    # Withdrawn: Antwerp sees it, in its own language, on its list and when it verifies the file.
    page.get_by_label("Reason").fill("sent before the court's order")
    page.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_text(f"Report {number} withdrawn.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    page.goto("/login")
    page.get_by_label("E-mail").fill(f"officer.antwerp@{DEMO_DOMAIN}")
    page.get_by_label("Password").fill(DEMO["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()  # Antwerp: French
    withdrawn = re.compile(r"Retiré le .+ par Sanne de Vries")
    page.goto("/reports/received")
    row = page.locator("#reports-table tbody tr", has_text=number)
    expect(row).to_contain_text(withdrawn)
    page.goto("/reports/verify")
    page.get_by_label("Identifiant du rapport").fill(number)
    page.get_by_label("Fichier").set_input_files(str(pdf))
    page.get_by_role("button", name="Vérifier").click()
    expect(page.locator("main section[role=status]")).to_contain_text(withdrawn)
    with _database(instance) as db:
        [(details,)] = db.execute(
            "SELECT details FROM audit_entry WHERE action = 'update' AND object_type = 'report'"
            " AND object_id = ?", (str(report_id),))
    assert json.loads(details)["withdrawn"] == number
    problems.assert_none()

