"""Case briefs and partner reports: what goes in the PDF, what never does, and their trail.

The PDFs are read back with poppler (``pdftotext``, ``pdffonts``, ``pdftoppm``), as a reader
would see them.
"""

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select

from assettrack.models import AuditEntry
from assettrack.models import Organisation
from assettrack.models import Report
from assettrack.services import decisions as decision_service
from assettrack.services import entities as entity_service
from assettrack.services import reports as report_service
from assettrack.services.cases import org_today
from assettrack.services.pdf import Formatter
from tests.conftest import bearer
from tests.conftest import login

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed"
)

VICTIM = "Kees Jansen"
VICTIM_VALUES = (VICTIM, "Jansen", "NX4471208", "Oranjeboomstraat", "1961-07-02")
WITNESS = "Fatima El Amrani"
WITNESS_VALUES = (WITNESS, "Amrani", "IW2290017")
OTHER_PERSON = "Hendrika Wolters"
SUSPECT = "Dennis van der Berg"
SUSPECT_PRIVATE = ("1979-03-14", "IX55013377", "Kralingse Plaslaan 3")
SUSPECT_COMPANY = "Schelde Overslag NV"
ACCENTED = ("Łukasz Wróbel", "Γιώργος Παπαδόπουλος", "François Lefèvre", "Jürgen Müller",
            "Niccolò Bellù", "Zoë van Dijk")


# --- builders ----------------------------------------------------------------------------------


@pytest.fixture
def people(make_user):
    return {
        "rotterdam": make_user("officer", "NLRTM", name="Sanne de Vries"),
        "antwerp": make_user("officer", "BEANR"),
        "partner": make_user("partner", "BEANR", name="Jana Peeters"),
        "hamburg": make_user("officer", "DEHAM"),
    }


def _add(session, user, case, schema, role="other", value=None, **properties):
    data = {"schema": schema, "properties": properties, "role": role}
    if value is not None:
        data.update(estimated_value=value, currency="EUR")
    return entity_service.add_entity_to_case(session, user, case, data).entity_id


@pytest.fixture
def port_cases(session, people, make_case):
    """Rotterdam's cases of this year: GREEN shared with Antwerp, RED for Hamburg only,
    AMBER+STRICT, an H2 case shared with Antwerp, and a GREEN case about nobody in Antwerp."""
    rotterdam = people["rotterdam"]
    green = make_case(
        rotterdam,
        title="Reefer containers through Deurganck dock",
        summary=f"Statement of {VICTIM}; his neighbour {WITNESS} saw the crates moved.",
        tlp="GREEN",
        handling_code="H1",
        shared_with=["BEANR"],
    )
    _add(session, rotterdam, green, "Company", "suspect", name=SUSPECT_COMPANY,
         jurisdiction="be", registrationNumber="0456789123")
    _add(session, rotterdam, green, "Person", "suspect", name=SUSPECT, birthDate="1979-03-14",
         idNumber="IX55013377", address="Kralingse Plaslaan 3, Rotterdam", nationality="nl")
    _add(session, rotterdam, green, "Person", "victim", name=VICTIM, birthDate="1961-07-02",
         passportNumber="NX4471208", address="Oranjeboomstraat 41, Rotterdam")
    _add(session, rotterdam, green, "Person", "witness", name=WITNESS, idNumber="IW2290017")
    _add(session, rotterdam, green, "Person", "other", name=OTHER_PERSON)
    for name in ACCENTED:
        _add(session, rotterdam, green, "Person", "associate", name=name)
    vessel = _add(session, rotterdam, green, "Vessel", value="4200000", name="Nordzee Trader",
                  imoNumber="9321483", flag="mt")
    account = _add(session, rotterdam, green, "BankAccount", value="245000",
                   iban="BE71096123456769")
    org = session.get(Organisation, rotterdam.organisation_id)
    decision_service.record_decision(
        session,
        rotterdam,
        green,
        {
            "action": "freeze",
            "asset_ids": [vessel, account],
            "decided_on": org_today(org).isoformat(),
            "authority": "Rechtbank Rotterdam",
            "reference": "RC-2026-5580",
            "legal_basis": "Art. 94 Sv",
            "value_at_freezing": "4445000",
        },
    )
    red = make_case(rotterdam, title="Nordzee Trader crew", tlp="RED", shared_with=["DEHAM"])
    _add(session, rotterdam, red, "Company", "suspect", name="Hafen Zwei GmbH", jurisdiction="be")
    strict = make_case(rotterdam, title="Bibob screening Meir", tlp="AMBER+STRICT")
    _add(session, rotterdam, strict, "Company", "suspect", name="Meir Horeca BV",
         jurisdiction="be")
    h2 = make_case(rotterdam, title="Diamond invoices", tlp="GREEN", handling_code="H2",
                   shared_with=["BEANR"])
    _add(session, rotterdam, h2, "Company", "suspect", name="Hoveniersstraat Diamonds BVBA",
         jurisdiction="be")
    unrelated = make_case(rotterdam, title="Car dealers Rotterdam-Zuid", tlp="GREEN")
    _add(session, rotterdam, unrelated, "Company", "suspect", name="Zuid Auto BV",
         jurisdiction="nl")
    session.commit()
    return {"green": green, "red": red, "strict": strict, "h2": h2, "unrelated": unrelated}


def _year(session, user) -> int:
    return org_today(session.get(Organisation, user.organisation_id)).year


@dataclass
class Issued:
    """A report asked for by POST and its file, fetched as a client would."""

    status_code: int
    report: dict
    data: bytes | None


def _issue(client, token, **body) -> Issued:
    """POST /api/v1/reports, then (jobs run inline in tests) GET its file."""
    response = client.post("/api/v1/reports", json=body, headers=bearer(token))
    if response.status_code != 202:
        return Issued(response.status_code, response.json, None)
    report = client.get(response.headers["Location"], headers=bearer(token)).json
    with client.get(report["links"]["file"], headers=bearer(token)) as file:
        assert file.status_code == 200, (report, file.get_data(as_text=True))
        return Issued(202, report, file.data)


def _partner_pdf(client, token, year, to="BEANR", **extra) -> Issued:
    body = {"kind": "partner", "to": to, "year": year,
            "justification": "Joint investigation team JIT-2026-07", **extra}
    return _issue(client, token, **body)


def _brief(client, token, case, **extra) -> Issued:
    return _issue(client, token, kind="case_brief", case=case.id, **extra)


def _text(pdf: bytes, tmp_path: Path, *pages) -> str:
    path = tmp_path / f"{hashlib.sha256(pdf).hexdigest()[:12]}.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", "-layout"]
    if pages:
        args += ["-f", str(pages[0]), "-l", str(pages[-1])]
    return subprocess.run([*args, str(path), "-"], capture_output=True, check=True,
                          text=True).stdout


def _pages(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return int(next(line.split()[-1] for line in info.stdout.splitlines()
                    if line.startswith("Pages:")))


def _disclosures(session, report_id):
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "disclose", AuditEntry.object_type == "report",
                   AuditEntry.object_id == str(report_id))
            .order_by(AuditEntry.seq)
        )
    )


# --- the acceptance ----------------------------------------------------------------------------


@pytest.mark.backends
def test_partner_report_to_antwerp_names_the_suspect_company_but_no_victim_or_witness(
    client, session, people, port_cases, token_for, tmp_path
):
    response = _partner_pdf(client, token_for(people["rotterdam"]),
                            _year(session, people["rotterdam"]))
    assert response.status_code == 202, response.report
    assert response.report["mimetype"] == "application/pdf"
    pdf = response.data
    text = _text(pdf, tmp_path)
    # The GREEN case shared with BEANR is in, with its suspect company.
    assert port_cases["green"].reference in text
    assert SUSPECT_COMPANY in text
    assert "Victim 1" in text and "Witness 1" in text and "Other 1" in text
    # No victim's, witness's or other person's value anywhere; the suspect's private ones gone.
    for value in (*VICTIM_VALUES, *WITNESS_VALUES, OTHER_PERSON, *SUSPECT_PRIVATE):
        assert value not in text, f"{value!r} leaked into the partner report"
    assert SUSPECT in text and "1979" in text
    # The RED case that does not name BEANR, and the AMBER+STRICT case, are absent.
    for withheld in ("red", "strict", "h2", "unrelated"):
        assert port_cases[withheld].reference not in text
    assert "Hafen Zwei GmbH" not in text and "Meir Horeca" not in text
    # ...only counted, by rule.
    assert "TLP:RED — the recipient is not named on the case" in text
    assert "TLP:AMBER+STRICT — never shared outside the owning organisation" in text


def test_every_page_of_a_partner_report_carries_its_tlp_label(
    client, session, people, port_cases, token_for, tmp_path
):
    pdf = _partner_pdf(client, token_for(people["rotterdam"]),
                       _year(session, people["rotterdam"])).data
    pages = _pages(pdf, tmp_path)
    assert pages >= 3
    for page in range(1, pages + 1):
        text = _text(pdf, tmp_path, page)
        assert "TLP:GREEN" in text, f"page {page} has no TLP label"
        assert f"Page {page} of {pages}" in text
        assert "R-0000" in text  # the report id


def test_the_disclosure_is_logged_with_recipient_cases_and_hash(
    client, session, people, port_cases, token_for
):
    response = _partner_pdf(client, token_for(people["rotterdam"]),
                            _year(session, people["rotterdam"]))
    report = session.scalar(select(Report).order_by(Report.id.desc()))
    assert response.report["number"] == report.number and report.status == "issued"
    assert report.sha256 == hashlib.sha256(response.data).hexdigest()
    (entry,) = _disclosures(session, report.id)
    details = json.loads(entry.details)
    assert details["recipient"] == "BEANR"
    assert details["cases"] == [port_cases["green"].reference]
    assert details["sha256"] == report.sha256
    assert details["report"] == report.number
    assert details["withheld"] == {"red_not_named": 1, "amber_strict": 1,
                                   "h2_without_permission": 1, "not_relevant": 1}
    assert entry.justification == "Joint investigation team JIT-2026-07"
    assert entry.user_id == people["rotterdam"].id


def test_report_verify_confirms_the_file_and_rejects_a_modified_copy(
    client, session, people, port_cases, token_for, runner, tmp_path
):
    pdf = _partner_pdf(client, token_for(people["rotterdam"]),
                       _year(session, people["rotterdam"])).data
    issued = tmp_path / "issued.pdf"
    issued.write_bytes(pdf)
    result = runner.invoke(args=["report", "verify", str(issued)])
    assert result.exit_code == 0, result.output
    assert "issued: report R-" in result.output and "to BEANR" in result.output
    modified = tmp_path / "modified.pdf"
    modified.write_bytes(pdf.replace(b"/Producer", b"/Producex", 1) + b"\n% edited\n")
    result = runner.invoke(args=["report", "verify", str(modified)])
    assert result.exit_code == 1 and "NOT ISSUED" in result.output
    number = session.scalar(select(Report)).number
    result = runner.invoke(args=["report", "verify", str(modified), "--report", number])
    assert result.exit_code == 1
    assert "MODIFIED" in result.output and "BEANR" in result.output
    stranger = tmp_path / "stranger.pdf"
    stranger.write_bytes(b"%PDF-1.7\n% not ours\n")
    result = runner.invoke(args=["report", "verify", str(stranger)])
    assert result.exit_code == 1 and "NOT ISSUED" in result.output


def test_h2_goes_only_with_a_recorded_permission(client, session, people, port_cases, token_for,
                                                 tmp_path):
    token = token_for(people["rotterdam"])
    year = _year(session, people["rotterdam"])
    h2 = port_cases["h2"]
    assert h2.reference not in _text(_partner_pdf(client, token, year).data, tmp_path)
    response = client.post(
        f"/api/v1/cases/{h2.id}/permissions",
        json={"recipient": "BEANR", "granted_by": "mr. A. Bakker, Officier van justitie",
              "granted_on": h2.opened_on.isoformat(), "note": "letter OM-2026-114"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.json
    assert response.json["recipient"] == "BEANR"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.object_type == "permission"))
    assert json.loads(entry.details)["granted_by"] == "mr. A. Bakker, Officier van justitie"
    text = _text(_partner_pdf(client, token, year).data, tmp_path)
    assert h2.reference in text and "Hoveniersstraat Diamonds BVBA" in text
    # The permission is for Antwerp only: Hamburg does not get the case.
    client.patch(f"/api/v1/cases/{h2.id}", json={"shared_with": ["BEANR", "DEHAM"]},
                 headers=bearer(token))
    assert h2.reference not in _text(_partner_pdf(client, token, year, to="DEHAM").data,
                                     tmp_path)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"recipient": "XXXXX", "granted_by": "x", "granted_on": "2026-01-02"}, 422, "recipient"),
        ({"recipient": "BEANR", "granted_by": " ", "granted_on": "2026-01-02"}, 422,
         "granted_by"),
        ({"recipient": "BEANR", "granted_by": "x", "granted_on": "2999-01-01"}, 422,
         "granted_on"),
        ({"recipient": "BEANR", "granted_by": "x"}, 422, "granted_on"),
        ({"recipient": "NLRTM", "granted_by": "x", "granted_on": "2026-01-02"}, 422, "recipient"),
    ],
)
def test_bad_permissions_are_refused(client, people, port_cases, token_for, body, status, field):
    response = client.post(f"/api/v1/cases/{port_cases['h2'].id}/permissions", json=body,
                           headers=bearer(token_for(people["rotterdam"])))
    assert response.status_code == status
    assert response.json["errors"][0]["pointer"] == f"/{field}"


def test_an_amber_strict_case_gets_no_permission(client, people, port_cases, token_for):
    response = client.post(
        f"/api/v1/cases/{port_cases['strict'].id}/permissions",
        json={"recipient": "BEANR", "granted_by": "x", "granted_on": "2026-01-02"},
        headers=bearer(token_for(people["rotterdam"])),
    )
    assert response.status_code == 409


@pytest.mark.parametrize("justification", [None, "", "   "])
def test_a_partner_report_requires_a_justification(client, session, people, port_cases,
                                                   token_for, justification):
    body = {"kind": "partner", "to": "BEANR", "year": _year(session, people["rotterdam"])}
    if justification is not None:
        body["justification"] = justification
    response = client.post("/api/v1/reports", json=body,
                           headers=bearer(token_for(people["rotterdam"])))
    assert response.status_code == 422
    assert response.json["errors"][0]["pointer"] == "/justification"
    assert session.scalar(select(Report.id)) is None


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"to": "BEANR"}, "year"),
        ({"to": "BEANR", "year": "20x6"}, "year"),
        ({"to": "BEANR", "since": "2026-03-01", "until": "2026-01-01"}, "until"),
        ({"to": "ZZZZZ", "year": "2026"}, "to"),
        ({"to": "NLRTM", "year": "2026"}, "to"),
        ({"to": "BEANR", "year": "2026", "language": "nl"}, "language"),
        ({"kind": "brochure"}, "kind"),
        ({"kind": "case_brief"}, "case"),
        ({"kind": "case_brief", "case": 2**63}, "case"),
        ({"kind": "gexf", "case": "x"}, "case"),
        ({"kind": "partner", "to": "BEANR", "year": "2026", "redaction": "keep"}, "redaction"),
        ({"kind": "case_brief", "case": 1, "expand": True}, "expand"),
        ({"kind": "open_data", "organisation": "DEHAM"}, "organisation"),
    ],
)
def test_bad_report_requests_name_the_field_and_record_nothing(
    client, session, people, token_for, query, parameter
):
    body = {"kind": "partner", "justification": "request of the Antwerp liaison", **query}
    response = client.post("/api/v1/reports", json=body,
                           headers=bearer(token_for(people["rotterdam"])))
    assert response.status_code == 422
    assert response.json["errors"][0]["pointer"] == f"/{parameter}"
    assert session.scalar(select(Report.id)) is None


def test_each_request_issues_its_own_report_and_a_pending_one_has_no_file(
    client, session, people, port_cases, token_for
):
    token = token_for(people["rotterdam"])
    year = _year(session, people["rotterdam"])
    first = _partner_pdf(client, token, year)
    second = _partner_pdf(client, token, year)
    assert first.report["number"] != second.report["number"]
    assert first.report["status"] == second.report["status"] == "issued"
    for issued in (first, second):
        (entry,) = _disclosures(session, issued.report["id"])
        assert json.loads(entry.details)["sha256"] == issued.report["sha256"]


@pytest.mark.backends
def test_a_report_is_pending_until_its_job_made_the_file_and_only_then_disclosed(
    app, client, session, people, port_cases, token_for
):
    from assettrack import jobs

    huey, _task = app.extensions["assettrack.huey"]
    huey.immediate = False
    token = token_for(people["rotterdam"])
    year = _year(session, people["rotterdam"])
    # A choice about a protected name the preview flagged (the victim's, in the summary).
    preview = client.get("/api/v1/reports/partner/preview", headers=bearer(token),
                         query_string={"to": "BEANR", "year": year}).json
    key = preview["mentions"][0]["key"]
    response = client.post(
        "/api/v1/reports",
        json={"kind": "partner", "to": "BEANR", "year": year,
              "justification": "JIT-2026-07", "redaction": {key: "mask"}},
        headers=bearer(token),
    )
    assert response.status_code == 202
    body = response.json
    assert body["status"] == "pending" and body["sha256"] is None
    assert response.headers["Location"] == f"/api/v1/reports/{body['id']}"
    assert client.get(body["links"]["file"], headers=bearer(token)).status_code == 409
    assert _disclosures(session, body["id"]) == []
    # The recipient does not see a report that is not issued yet.
    assert client.get(f"/api/v1/reports/{body['id']}",
                      headers=bearer(token_for(people["partner"]))).status_code == 404
    with app.app_context():
        jobs._run(body["job"])  # what the worker does
    report = client.get(body["links"]["self"], headers=bearer(token)).json
    assert report["status"] == "issued" and report["cases"] == [port_cases["green"].reference]
    (entry,) = _disclosures(session, body["id"])
    details = json.loads(entry.details)
    assert details["sha256"] == report["sha256"]
    assert details["redaction"][key] == "mask"
    assert client.get(body["links"]["job"], headers=bearer(token)).json["status"] == "done"


def test_preview_says_what_goes_and_counts_what_is_withheld(client, session, people, port_cases):
    login(client, people["rotterdam"])
    response = client.post(
        "/reports/partner",
        data={"to": "BEANR", "year": str(_year(session, people["rotterdam"])),
              "action": "preview"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert port_cases["green"].reference in page
    assert "the owning organisation shared the case with BEANR" in page
    assert "4 cases withheld" in page
    for withheld in ("red", "strict", "h2", "unrelated"):
        assert port_cases[withheld].reference not in page
        assert port_cases[withheld].title not in page
    assert session.scalar(select(Report.id)) is None  # a preview discloses nothing


def test_generating_from_the_page_requires_a_justification(client, session, people, port_cases):
    login(client, people["rotterdam"])
    data = {"to": "BEANR", "year": str(_year(session, people["rotterdam"])),
            "action": "generate"}
    response = client.post("/reports/partner", data=data)
    assert response.status_code == 422
    assert "a partner report is a disclosure" in response.get_data(as_text=True)
    response = client.post("/reports/partner", data={**data, "justification": "JIT-2026-07"})
    assert response.status_code == 302
    report = session.scalar(select(Report))
    assert response.headers["Location"].endswith(f"/reports/{report.id}")
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert report.sha256 in page and "Download the file" in page


def test_partner_page_lists_the_reports_addressed_and_a_download_is_audited(
    client, session, people, port_cases, token_for
):
    _partner_pdf(client, token_for(people["rotterdam"]), _year(session, people["rotterdam"]))
    _partner_pdf(client, token_for(people["rotterdam"]), _year(session, people["rotterdam"]),
                 to="DEHAM")
    to_antwerp, to_hamburg = session.scalars(select(Report).order_by(Report.id)).all()
    login(client, people["partner"])
    page = client.get("/reports/received").get_data(as_text=True)
    assert to_antwerp.number in page
    assert to_hamburg.number not in page
    with client.get(f"/reports/{to_antwerp.id}/download") as response:
        assert response.status_code == 200
        assert hashlib.sha256(response.data).hexdigest() == to_antwerp.sha256
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.action == "read", AuditEntry.object_type == "report",
                                 AuditEntry.object_id == str(to_antwerp.id),
                                 AuditEntry.user_id == people["partner"].id)
    )
    details = json.loads(entry.details)
    assert details["download"] is True and details["sha256"] == to_antwerp.sha256
    assert entry.user_id == people["partner"].id
    # A report addressed to another city stays out of reach.
    assert client.get(f"/reports/{to_hamburg.id}/download").status_code == 404
    assert client.get(f"/reports/{to_hamburg.id}").status_code == 404


def test_partners_read_no_case_page(client, people, port_cases):
    login(client, people["partner"])
    assert client.get(f"/shared/cases/{port_cases['green'].id}").status_code == 404
    assert client.get(f"/reports/issue?kind=case_brief&case={port_cases['green'].id}"
                      ).status_code == 404


# --- the case brief ----------------------------------------------------------------------------


def test_case_brief_prints_the_whole_case_for_its_own_organisation(
    client, session, people, port_cases, token_for, tmp_path
):
    case = port_cases["green"]
    response = _brief(client, token_for(people["rotterdam"]), case)
    assert response.status_code == 202
    pdf = response.data
    text = _text(pdf, tmp_path)
    assert case.reference in text and "TLP:GREEN" in text
    assert "H1: not to be used in court without the provider" in text
    assert VICTIM in text and "RC-2026-5580" in text  # internal: nothing redacted
    for name in ACCENTED:
        assert name in text, f"{name} does not render"
    pages = _pages(pdf, tmp_path)
    for page in range(1, pages + 1):
        page_text = _text(pdf, tmp_path, page)
        assert "TLP:GREEN" in page_text and f"Page {page} of {pages}" in page_text
    report = session.scalar(select(Report))
    (entry,) = _disclosures(session, report.id)
    assert json.loads(entry.details)["recipient_user"] == people["rotterdam"].email


def test_the_pdf_embeds_the_vendored_noto_fonts_and_page_one_is_not_blank(
    client, people, port_cases, token_for, tmp_path
):
    pdf = _brief(client, token_for(people["rotterdam"]), port_cases["green"]).data
    path = tmp_path / "brief.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True,
                           text=True).stdout
    assert "NotoSans" in fonts.replace("-", "")
    assert "DejaVu" not in fonts
    for line in fonts.splitlines()[2:]:
        assert " yes " in line  # embedded
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    from PIL import Image

    (png,) = tmp_path.glob("page*.png")
    image = Image.open(png).convert("L")
    dark = sum(image.histogram()[:128])
    assert dark > 0.01 * image.width * image.height, "page 1 is blank"


def test_a_brief_in_french_formats_dates_and_money_the_french_way(
    client, session, people, port_cases, token_for, tmp_path
):
    response = _brief(client, token_for(people["rotterdam"]), port_cases["green"], language="fr")
    text = _text(response.data, tmp_path).replace("\u202f", " ").replace("\u00a0", " ")
    assert "Page 1 sur" in text and "Valeur au gel" in text
    assert "4 200 000 €" in text
    opened = Formatter("fr").date(port_cases["green"].opened_on).replace("\u202f", " ")
    assert opened in text


def test_a_french_partner_report_names_the_victim_victime(
    client, session, people, port_cases, token_for, tmp_path
):
    response = _partner_pdf(client, token_for(people["rotterdam"]),
                            _year(session, people["rotterdam"]), language="fr")
    text = _text(response.data, tmp_path)
    assert "Victime 1" in text and "Témoin 1" in text
    assert VICTIM not in text and WITNESS not in text
    assert session.scalar(select(Report)).language == "fr"


# --- the shared reading ------------------------------------------------------------------------


def test_antwerp_reads_the_case_shared_with_it_redacted_and_the_reading_is_logged(
    client, session, people, port_cases
):
    login(client, people["antwerp"])
    listing = client.get("/shared/cases/").get_data(as_text=True)
    assert port_cases["green"].reference in listing
    assert port_cases["red"].reference not in listing
    response = client.get(f"/shared/cases/{port_cases['green'].id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert SUSPECT_COMPANY in page and "Victim 1" in page
    for value in (*VICTIM_VALUES, *WITNESS_VALUES, *SUSPECT_PRIVATE):
        assert value not in page
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.action == "read",
                                 AuditEntry.object_id == str(port_cases["green"].id))
    )
    assert json.loads(entry.details) == {"via": "shared page", "shared_with": "BEANR"}
    assert client.get(f"/shared/cases/{port_cases['red'].id}").status_code == 404
    assert client.get(f"/shared/cases/{port_cases['strict'].id}").status_code == 404
    # Read-only: the case's own pages stay out of reach.
    assert client.get(f"/cases/{port_cases['green'].id}").status_code == 404


# --- the command line --------------------------------------------------------------------------


def test_report_commands_write_a_brief_and_a_partner_report(runner, session, people, port_cases,
                                                            tmp_path):
    brief = tmp_path / "brief.pdf"
    result = runner.invoke(args=["report", "case", port_cases["green"].reference, "--out",
                                 str(brief), "--as", people["rotterdam"].email])
    assert result.exit_code == 0, result.output
    assert brief.read_bytes().startswith(b"%PDF")
    partner = tmp_path / "partner.pdf"
    year = _year(session, people["rotterdam"])
    args = ["report", "partner", "--to", "BEANR", "--since", f"{year}-01-01", "--until",
            f"{year}-12-31", "--out", str(partner), "--as", people["rotterdam"].email,
            "--language", "fr"]
    result = runner.invoke(args=[*args, "--justification", "JIT-2026-07"])
    assert result.exit_code == 0, result.output
    assert port_cases["green"].reference in result.output and "4 withheld" in result.output
    assert runner.invoke(args=["report", "verify", str(partner)]).exit_code == 0
    result = runner.invoke(args=[*args, "--justification", " "])
    assert result.exit_code == 2 and "justification" in result.output
    result = runner.invoke(args=["report", "case", port_cases["green"].reference, "--out",
                                 str(brief), "--as", people["antwerp"].email])
    assert result.exit_code == 2  # not within Antwerp's reach


def test_a_report_period_reaches_back_to_cases_decided_in_it(session, people, port_cases):
    rotterdam = people["rotterdam"]
    today = org_today(session.get(Organisation, rotterdam.organisation_id))
    period = report_service.parse_period(since=(today - timedelta(days=1)).isoformat(),
                                         until=today.isoformat(), today=today)
    context = report_service.partner_report_context(session, rotterdam, "BEANR", period,
                                                    with_content=False)
    assert [c["reference"] for c in context["cases"]] == [port_cases["green"].reference]
    assert context["period"]["year"] is None
    assert "statistics" not in context  # a preview builds no report


# --- the other pages ---------------------------------------------------------------------------


def test_pages_to_record_a_permission_list_reports_and_verify_a_pdf(
    client, session, people, port_cases, token_for
):
    h2 = port_cases["h2"]
    login(client, people["rotterdam"])
    assert client.get(f"/cases/{h2.id}/permissions").status_code == 200
    response = client.post(f"/cases/{h2.id}/permissions",
                           data={"recipient": "BEANR", "granted_by": " "})
    assert response.status_code == 422
    response = client.post(
        f"/cases/{h2.id}/permissions",
        data={"recipient": "BEANR", "granted_by": "Officier van justitie",
              "granted_on": h2.opened_on.isoformat()},
    )
    assert response.status_code == 302
    assert "Officier van justitie" in client.get(f"/cases/{h2.id}/permissions").get_data(
        as_text=True
    )
    pdf = _partner_pdf(client, token_for(people["rotterdam"]),
                       _year(session, people["rotterdam"])).data
    report = session.scalar(select(Report))
    listing = client.get("/reports/").get_data(as_text=True)
    assert report.number in listing
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert report.sha256 in page and "BEANR" in page
    verdict = client.post("/reports/verify",
                          data={"report": report.number,
                                "document": (BytesIO(pdf), "report.pdf")},
                          content_type="multipart/form-data").get_data(as_text=True)
    assert f"Issued: report {report.number}" in verdict
    verdict = client.post("/reports/verify",
                          data={"report": report.number,
                                "document": (BytesIO(pdf + b"%"), "report.pdf")},
                          content_type="multipart/form-data").get_data(as_text=True)
    assert "Modified" in verdict
    api = client.post(f"/api/v1/reports/verify?report={report.number}", data=pdf,
                      content_type="application/pdf",
                      headers=bearer(token_for(people["rotterdam"])))
    assert api.json["issued"] is True and api.json["report"]["recipient"] == "BEANR"
