"""Choosing what a report says: the protected names a brief or a partner report meets in other
names and texts, previewed, chosen (keep, mask, withhold), applied before any template sees the
text and recorded with the disclosure (issue #10, DECISIONS "#10 Disclosure"); a liaison's brief
labels; a withdrawn report is seen as such by its recipient and by verification.

The Smit walk: Rotterdam's protected "Marieke Smit" (role other) beside the company "Smit
Havenservice BV" and the vessel "Smit Trader", in a case shared with Antwerp.
"""
# ruff: noqa: F811  (the fixtures of test_reports are imported, then named as arguments)

import io
import json
import re
import shutil
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlalchemy import select

from assettrack.domain import mentions
from assettrack.models import AuditEntry
from assettrack.models import Job
from assettrack.models import RedactionChoice
from assettrack.models import Report
from assettrack.models import UserOrganisation
from assettrack.services import cases as case_service
from assettrack.services import decisions as decision_service
from assettrack.services import entities as entity_service
from assettrack.services import reports as report_service
from tests.conftest import bearer
from tests.conftest import login
from tests.test_reports import _issue
from tests.test_reports import _text
from tests.test_reports import _year

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed"
)

MARK = mentions.MASK_MARK
PROTECTED = "Marieke Smit"
# What identifies the protected person: none of it may leave, in any form.
SECRETS = ("Marieke", "NX4471208", "1984-05-17", "17/05/1984", "Vlasmarkt")
# What a label written into another name would make of it: never.
FALSE_NAMES = ("Other 1 Havenservice", "Other 1 Trader", "Victim 1 Havenservice")
SUMMARY = "Tip from M. Smit about the night shift; the crew list names the Smit Trader."
JUSTIFICATION = "Joint investigation team JIT-2026-07"


# --- the Smit case ------------------------------------------------------------------------------


@pytest.fixture
def walk(session, make_user, make_case):
    """Rotterdam's Smit case (AMBER, shared with Antwerp), its people and its entities."""
    rotterdam = make_user("officer", "NLRTM", name="Sanne de Vries")
    people = {
        "rotterdam": rotterdam,
        "antwerp": make_user("officer", "BEANR", name="Lotte Peeters"),
        "partner": make_user("partner", "BEANR", name="Jana Peeters"),
        "hamburg": make_user("officer", "DEHAM"),
        "liaison": make_user("liaison", "DEHAM", "NLRTM", name="Pieter Janssens"),
    }
    case = make_case(
        rotterdam, title="Night shift at the Waalhaven", summary=SUMMARY, tlp="AMBER",
        shared_with=["BEANR"],
    )

    def add(schema, role, value=None, **properties):
        data = {"schema": schema, "role": role,
                "properties": {k: [v] for k, v in properties.items()}}
        if value is not None:
            data.update(estimated_value=value, currency="EUR")
        return entity_service.add_entity_to_case(session, rotterdam, case, data).entity_id

    ids = {
        "smit": add("Person", "other", name=PROTECTED, idNumber="NX4471208",
                    birthDate="1984-05-17", address="Vlasmarkt 12, Antwerpen"),
        "company": add("Company", "suspect", name="Smit Havenservice BV", jurisdiction="be",
                       registrationNumber="0456789123"),
        "vessel": add("Vessel", "other", value="1800000", name="Smit Trader",
                      imoNumber="9321483", flag="be"),
        "car": add("Vehicle", "other", value="42000", name="Audi Q7"),
    }
    # The protected person is also a director elsewhere in the case.
    entity_service.create_relation(
        session, rotterdam, {"schema": "Directorship", "source": ids["smit"],
                             "target": ids["company"]})
    entity_service.create_relation(
        session, rotterdam, {"schema": "Ownership", "source": ids["company"],
                             "target": ids["vessel"]})
    session.commit()
    decision_service.record_decision(
        session, rotterdam, case,
        {"action": "release", "asset_ids": [ids["car"]], "decided_on": case.opened_on.isoformat(),
         "authority": "Rechtbank Rotterdam", "reference": "RC-7", "legal_basis": "Art. 94 Sv",
         "reason": "Ownership proven by M. Smit"},
    )
    session.commit()
    return people, case, ids


def _preview(client, token, year, **params) -> dict:
    response = client.get("/api/v1/reports/partner/preview",
                          query_string={"to": "BEANR", "year": year, **params},
                          headers=bearer(token))
    assert response.status_code == 200, response.json
    return response.json


def _by_text(preview: dict) -> dict:
    """The mentions of a preview by their text."""
    return {m["text"]: m for m in preview["mentions"]}


def _partner(client, token, year, **extra):
    return _issue(client, token, kind="partner", to="BEANR", year=year,
                  justification=JUSTIFICATION, **extra)


def _reports(session) -> int:
    return session.scalar(select(func.count()).select_from(Report))


# --- the preview --------------------------------------------------------------------------------


@pytest.mark.backends
def test_the_preview_flags_the_company_and_the_vessel_by_the_label_only(
    client, session, walk, token_for
):
    people, case, ids = walk
    year = _year(session, people["rotterdam"])

    preview = _preview(client, token_for(people["rotterdam"]), year)

    found = _by_text(preview)
    company, vessel = found["Smit Havenservice BV"], found["Smit Trader"]
    for mention, entity in ((company, "company"), (vessel, "vessel")):
        assert mention["kind"] == "name" and mention["match"] == "partial"
        assert mention["entity_id"] == ids[entity]
        assert mention["label"] == "Other 1"
        assert mention["default"] == mention["choice"] == "keep"
        assert mention["options"] == ["keep", "mask", "withhold"]
        assert mention["where"] == [{"case": case.reference, "field": "name"}]
    assert vessel["masked"] == f"{MARK} Trader"
    assert [p for p in vessel["parts"] if p["found"]] == [{"text": "Smit", "found": True}]
    summary = found[SUMMARY]
    assert summary["kind"] == "text" and summary["default"] == "mask"
    assert summary["where"] == [{"case": case.reference, "field": "summary"}]
    assert summary["masked"].startswith(f"Tip from {MARK} about")
    # The protected person is named by nothing but its label; nothing of it is shown.
    body = json.dumps(preview, ensure_ascii=False)
    for secret in (*SECRETS, *FALSE_NAMES):
        assert secret not in body
    # A read: a consultation is logged, nothing else.
    assert _reports(session) == 0
    consulted = session.scalar(select(AuditEntry).where(AuditEntry.object_type == "report_preview"))
    assert json.loads(consulted.details)["cases"] == [case.id]


def test_the_brief_preview_labels_only_for_a_brief_made_outside(client, session, walk, token_for):
    people, case, _ids = walk
    url = f"/api/v1/reports/brief/preview?case={case.id}"

    own = client.get(url, headers=bearer(token_for(people["rotterdam"]))).json
    liaison = client.get(url, headers=bearer(token_for(people["liaison"]))).json

    assert own == {"case": {"id": case.id, "reference": case.reference, "tlp": "AMBER"},
                   "labelled": False, "mentions": []}
    assert liaison["labelled"] is True
    texts = {m["text"]: m for m in liaison["mentions"]}
    # The decision text of the brief is flagged, where it is; the liaison (no names flag) sees
    # the protected part masked.
    decision = texts[f"Ownership proven by {MARK}"]
    assert decision["where"] == [{"case": case.reference, "field": "decision"}]
    assert decision["parts"][-1] == {"text": MARK, "found": True}
    assert "Marieke" not in json.dumps(liaison)
    bad = client.get("/api/v1/reports/brief/preview?case=x",
                     headers=bearer(token_for(people["rotterdam"])))
    assert bad.status_code == 422 and bad.json["errors"][0]["parameter"] == "case"


# --- the choices, applied and recorded ----------------------------------------------------------


@pytest.mark.backends
def test_the_issued_report_keeps_the_company_masks_the_vessel_and_records_every_choice(
    client, session, walk, token_for, tmp_path
):
    people, case, ids = walk
    token = token_for(people["rotterdam"])
    year = _year(session, people["rotterdam"])
    found = _by_text(_preview(client, token, year))
    company, vessel = found["Smit Havenservice BV"]["key"], found["Smit Trader"]["key"]

    # The summary's mention is not chosen: it takes its default (mask).
    issued = _partner(client, token, year, redaction={company: "keep", vessel: "mask"})

    assert issued.status_code == 202, issued.report
    text = _text(issued.data, tmp_path)
    assert "Smit Havenservice BV" in text
    assert f"{MARK} Trader" in text
    assert "Tip from" in text and "Smit about" not in text
    for secret in (*SECRETS, *FALSE_NAMES, "Smit Trader"):
        assert secret not in text
    rows = session.scalars(select(RedactionChoice).where(
        RedactionChoice.report_id == issued.report["id"])).all()
    chosen = {row.mention_key: row.choice for row in rows}
    assert chosen[company] == "keep" and chosen[vessel] == "mask"
    assert chosen[found[SUMMARY]["key"]] == "mask"
    assert {row.case_id for row in rows} == {case.id}
    (entry,) = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "disclose", AuditEntry.object_id == str(issued.report["id"])))
    assert json.loads(entry.details)["redaction"] == chosen


def test_an_entity_withheld_is_left_out_of_every_part_of_the_report(
    session, walk, tmp_path
):
    people, case, ids = walk
    period = report_service.parse_period(year=case.opened_on.year, today=case.opened_on)
    document = report_service.partner_report_document(
        session, people["rotterdam"], "BEANR", period, render=False)
    vessel = next(m for m in document.mentions if m.entity_id == ids["vessel"])

    context = report_service.partner_report_context(
        session, people["rotterdam"], "BEANR", period, choices={vessel.key: "withhold"})

    [section] = context["cases"]
    dumped = json.dumps(context, default=str, ensure_ascii=False)
    assert "Smit Trader" not in dumped
    # Only the summary speaks of it, its protected part masked (a text is not an entity).
    assert dumped.count(f"{MARK} Trader") == 1 and section["summary"].endswith(f"{MARK} Trader.")
    assert ids["vessel"] not in {row["id"] for row in section["assets"]}
    assert "Smit Havenservice BV" in section["network"]["svg"]
    assert "Trader" not in section["network"]["svg"]
    # The vessel's value went with it: only the car's is counted.
    assert [t["amount"] for t in section["totals"]["estimated"]] == [Decimal("42000")]
    for secret in (*SECRETS, *FALSE_NAMES):
        assert secret not in dumped


@pytest.mark.parametrize(
    ("choice", "why"),
    [
        ({"nope": "keep"}, "no such name or text"),
        ({"{company}": "destroy"}, "must be keep, mask or withhold"),
        ({"{summary_full}": "keep"}, "not allowed"),
    ],
)
def test_a_choice_for_no_mention_or_not_allowed_is_refused_naming_it(
    client, session, walk, token_for, choice, why
):
    people, case, ids = walk
    token = token_for(people["rotterdam"])
    year = _year(session, people["rotterdam"])
    case_service.update_case(session, people["rotterdam"], case,
                             {"title": f"Statement of {PROTECTED}"})
    session.commit()
    found = _by_text(_preview(client, token, year))
    keys = {"company": found["Smit Havenservice BV"]["key"],
            "summary_full": found[f"Statement of {PROTECTED}"]["key"]}
    assert found[f"Statement of {PROTECTED}"]["options"] == ["mask", "withhold"]
    redaction = {key.format(**keys): value for key, value in choice.items()}

    response = client.post("/api/v1/reports", headers=bearer(token), json={
        "kind": "partner", "to": "BEANR", "year": year, "justification": JUSTIFICATION,
        "redaction": redaction})

    assert response.status_code == 422
    [error] = response.json["errors"]
    assert error["pointer"] == f"/redaction/{next(iter(redaction))}"
    assert why in error["detail"]
    assert _reports(session) == 0


def test_earlier_choices_are_prefilled_until_the_text_changes(client, session, walk, token_for):
    people, case, _ids = walk
    token = token_for(people["rotterdam"])
    year = _year(session, people["rotterdam"])
    summary = _by_text(_preview(client, token, year))[SUMMARY]
    vessel = _by_text(_preview(client, token, year))["Smit Trader"]
    _partner(client, token, year, redaction={vessel["key"]: "withhold", summary["key"]: "keep"})

    again = _by_text(_preview(client, token, year))
    assert again["Smit Trader"]["choice"] == "withhold"
    assert again[SUMMARY]["choice"] == "keep"
    # Antwerp's officers do not get Rotterdam's choices; a changed text loses its choice.
    case_service.update_case(session, people["rotterdam"], case,
                             {"summary": SUMMARY + " Seen twice."})
    session.commit()
    changed = _by_text(_preview(client, token, year))
    assert changed[SUMMARY + " Seen twice."]["choice"] == "mask"
    assert changed["Smit Trader"]["choice"] == "withhold"


def test_the_job_issues_nothing_when_a_chosen_text_changed_after_the_request(
    app, client, session, walk, token_for
):
    from assettrack import jobs

    people, case, _ids = walk
    token = token_for(people["rotterdam"])
    year = _year(session, people["rotterdam"])
    summary = _by_text(_preview(client, token, year))[SUMMARY]
    huey, _task = app.extensions["assettrack.huey"]
    huey.immediate = False
    response = client.post("/api/v1/reports", headers=bearer(token), json={
        "kind": "partner", "to": "BEANR", "year": year, "justification": JUSTIFICATION,
        "redaction": {summary["key"]: "keep"}})
    assert response.status_code == 202
    case_service.update_case(session, people["rotterdam"], case, {"summary": "Rewritten."})
    session.commit()

    with app.app_context():
        jobs._run(response.json["job"])

    session.expire_all()
    job = session.get(Job, response.json["job"])
    assert job.status == "failed" and "preview the report again" in job.error
    assert session.get(Report, response.json["id"]).status == "pending"
    assert session.scalar(select(func.count()).select_from(RedactionChoice)) == 0
    assert not session.scalar(select(AuditEntry).where(AuditEntry.action == "disclose"))


# --- a liaison's brief labels -------------------------------------------------------------------


@pytest.mark.parametrize("names", [False, True])
def test_a_liaisons_brief_labels_victims_witnesses_and_other_persons(
    client, session, walk, token_for, tmp_path, names
):
    people, case, ids = walk
    liaison = people["liaison"]
    grant = session.scalar(select(UserOrganisation).where(
        UserOrganisation.user_id == liaison.id,
        UserOrganisation.organisation_id == people["rotterdam"].organisation_id))
    grant.names = names  # the names flag is for the screen; every export by a liaison labels
    witness = entity_service.add_entity_to_case(session, people["rotterdam"], case, {
        "schema": "Person", "role": "witness", "properties": {"name": ["Anneke Visser"]}})
    victim = entity_service.add_entity_to_case(session, people["rotterdam"], case, {
        "schema": "Person", "role": "victim", "properties": {"name": ["Kees Jansen"]}})
    session.commit()

    context = report_service.case_brief_context(session, liaison, case)
    own = report_service.case_brief_context(session, people["rotterdam"], case)

    shown = {row["id"]: row["name"] for row in context["case"]["entities"]}
    assert shown[ids["smit"]] == "Other 1"
    assert shown[witness.entity_id] == "Witness 1" and shown[victim.entity_id] == "Victim 1"
    assert context["redacted"] is True
    named = {row["id"]: row["name"] for row in own["case"]["entities"]}
    assert named[ids["smit"]] == PROTECTED and named[victim.entity_id] == "Kees Jansen"
    issued = _issue(client, token_for(liaison), kind="case_brief", case=case.id)
    assert issued.status_code == 202, issued.report
    text = _text(issued.data, tmp_path)
    assert "Other 1" in text and "Witness 1" in text and "Victim 1" in text
    for secret in (*SECRETS, "Anneke", "Visser", "Kees", "Jansen", *FALSE_NAMES):
        assert secret not in text
    assert "Smit Havenservice BV" in text


# --- the pages ----------------------------------------------------------------------------------


def test_every_place_of_a_mention_has_its_words_on_the_page():
    from assettrack.web.reports import MENTION_PLACES

    assert set(MENTION_PLACES) == set(report_service.MENTION_FIELDS)


def test_the_partner_page_shows_each_flagged_name_with_its_choices_and_posts_them(
    client, session, walk
):
    people, case, ids = walk
    login(client, people["rotterdam"])
    form = {"to": "BEANR", "year": str(_year(session, people["rotterdam"])),
            "justification": JUSTIFICATION}

    page = client.post("/reports/partner", data={**form, "action": "preview"})

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<mark>Smit</mark> Havenservice BV" in html and "<mark>Smit</mark> Trader" in html
    keys = dict(re.findall(r'name="redaction/([^"]+)" id="[^"]+" value="(keep)" checked', html))
    assert len(keys) == 2  # the company and the vessel are kept by default
    vessel = next(k for k in keys if k.startswith(f"name:{ids['vessel']}:"))
    assert f"Mask the part: {MARK} Trader" in html
    assert "Marieke" not in html and "Other 1 Trader" not in html

    issued = client.post("/reports/partner",
                         data={**form, "action": "generate", f"redaction/{vessel}": "mask"})

    assert issued.status_code == 302
    report = session.scalar(select(Report))
    chosen = dict(session.execute(select(RedactionChoice.mention_key, RedactionChoice.choice)
                                  .where(RedactionChoice.report_id == report.id)).all())
    assert chosen[vessel] == "mask" and len(chosen) == 3


def test_a_refused_request_keeps_the_choices_and_names_the_bad_one(client, session, walk):
    people, _case, ids = walk
    login(client, people["rotterdam"])
    form = {"to": "BEANR", "year": str(_year(session, people["rotterdam"])),
            "action": "generate", "justification": JUSTIFICATION}
    html = client.post("/reports/partner", data={**form, "action": "preview"}).get_data(
        as_text=True)
    vessel = re.search(rf'name="redaction/(name:{ids["vessel"]}:[^"]+)"', html).group(1)

    response = client.post("/reports/partner", data={
        **form, f"redaction/{vessel}": "withhold", "redaction/text::1:0000": "mask"})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "no such name or text in the report" in html
    assert re.search(rf'name="redaction/{re.escape(vessel)}" id="[^"]+" value="withhold" checked',
                     html)
    assert _reports(session) == 0


def test_a_liaison_chooses_on_the_brief_form_and_the_choice_is_recorded(client, session, walk):
    people, case, _ids = walk
    login(client, people["liaison"])
    url = f"/reports/issue?kind=case_brief&case={case.id}"

    html = client.get(url).get_data(as_text=True)

    assert "neutral labels" in html
    decision = re.search(r'name="redaction/(text:[^"]+)" id="[^"]+" value="mask" checked',
                         html).group(1)
    assert "Marieke" not in html
    response = client.post("/reports/issue", data={
        "kind": "case_brief", "case": case.id, f"redaction/{decision}": "withhold"})
    assert response.status_code == 302
    report = session.scalar(select(Report))
    row = session.scalar(select(RedactionChoice).where(RedactionChoice.mention_key == decision))
    assert row.report_id == report.id and row.choice == "withhold"
    assert row.chosen_by_id == people["liaison"].id


# --- a withdrawn report -------------------------------------------------------------------------


def test_the_recipient_and_verification_see_a_withdrawn_report_and_the_audit_has_it(
    client, session, walk, token_for
):
    people, _case, _ids = walk
    token = token_for(people["rotterdam"])
    issued = _partner(client, token, _year(session, people["rotterdam"]))
    login(client, people["rotterdam"])
    page = client.get(f"/reports/{issued.report['id']}").get_data(as_text=True)
    token_field = re.search(r'name="csrf_token" type="hidden" value="([^"]*)"', page)
    data = {"reason": "sent before the court's order"}
    if token_field:
        data["csrf_token"] = token_field.group(1)
    withdrawn = client.post(f"/reports/{issued.report['id']}/withdraw", data=data)
    assert withdrawn.status_code == 302
    client.post("/logout")

    login(client, people["partner"])
    listing = client.get("/reports/received").get_data(as_text=True)
    detail = client.get(f"/reports/{issued.report['id']}").get_data(as_text=True)
    verify = client.post("/reports/verify", data={
        "report": issued.report["number"],
        "document": (io.BytesIO(issued.data), "report.pdf")},
        content_type="multipart/form-data").get_data(as_text=True)

    said = re.compile(r"[Ww]ithdrawn on [^<]+ by Sanne de Vries")
    assert said.search(listing), listing
    assert said.search(detail) and "sent before the court&#39;s order" in detail
    assert said.search(verify), verify
    entry = session.scalar(select(AuditEntry).where(
        AuditEntry.action == "update", AuditEntry.object_type == "report",
        AuditEntry.object_id == str(issued.report["id"])))
    details = json.loads(entry.details)
    assert details["withdrawn"] == issued.report["number"] and details["recipient"] == "BEANR"
    assert entry.user_id == people["rotterdam"].id
    assert entry.justification == "sent before the court's order"

