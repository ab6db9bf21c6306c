"""The case page, its forms (entities, relations, decisions, documents), the asset page and the
dashboard, as an officer and a liaison use them in the browser."""

import csv
import io
import re

import pytest
from markupsafe import escape
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select

from assettrack.models import Asset
from assettrack.models import AuditEntry
from assettrack.models import CaseEntity
from assettrack.models import Decision
from assettrack.models import Entity
from assettrack.models import Organisation
from assettrack.models import Relation
from assettrack.services.cases import org_today
from tests.conftest import login

VALID_IMO = "9074729"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# --- helpers ---------------------------------------------------------------------------------


def count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def today_of(session, user) -> str:
    return org_today(session.get(Organisation, user.organisation_id)).isoformat()


def add_vessel(client, case, name="MV Nordzee Trader", imo=VALID_IMO, **fields):
    data = {
        "prop_name": name,
        "prop_imoNumber": imo,
        "prop_flag": "mt",
        "role": "other",
        "source_grade": "B",
        "info_grade": "2",
        "estimated_value": "1250000.00",
        "currency": "EUR",
    }
    data.update(fields)
    return client.post(f"/cases/{case.id}/entities/new?schema=Vessel", data=data)


def add_company(client, case, name="Maasvlakte Reefer Holding B.V.", **fields):
    data = {
        "prop_name": name,
        "prop_jurisdiction": "nl",
        "role": "suspect",
        "source_grade": "A",
        "info_grade": "1",
        "as_asset": "y",
        "estimated_value": "400000",
        "currency": "EUR",
    }
    data.update(fields)
    return client.post(f"/cases/{case.id}/entities/new?schema=Company", data=data)


def entity_id(session, name) -> int:
    session.expire_all()
    return session.scalar(select(Entity.id).where(Entity.caption == name))


def stage_of(session, asset_id) -> str:
    session.expire_all()
    return session.get(Asset, asset_id).stage


def lapse_yesterday(session, asset_id):
    """Let time pass: the urgent freeze of ``asset_id`` lapsed yesterday, unconfirmed."""
    from datetime import date
    from datetime import timedelta

    asset = session.get(Asset, asset_id)
    asset.urgent_expires_on = date.fromisoformat(today_of_org(session, asset)) - timedelta(days=1)
    session.add(asset)
    session.commit()


def today_of_org(session, asset) -> str:
    return org_today(session.get(Organisation, asset.organisation_id)).isoformat()


def freeze(client, session, officer, case, asset_ids, **fields):
    data = {
        "asset_ids": [str(i) for i in asset_ids],
        "decided_on": today_of(session, officer),
        "authority": "Public Prosecution Service Rotterdam",
        "reference": "OM-2026-0117",
        "legal_basis": "Art. 94 Sv",
        "urgent": "y",
        "value_at_freezing": "1650000.00",
        "currency": "EUR",
    }
    data.update(fields)
    return client.post(f"/cases/{case.id}/decisions/new?action=freeze", data=data)


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM", name="Sanne de Vries")


@pytest.fixture
def frozen_case(client, session, officer, make_case):
    """A case with a vessel and a company (seized as an asset), owned 25-50 %, frozen urgently."""
    case = make_case(officer, title="Vessel MV Nordzee Trader detained")
    login(client, officer)
    assert add_vessel(client, case).status_code == 302
    assert add_company(client, case).status_code == 302
    vessel = entity_id(session, "MV Nordzee Trader")
    company = entity_id(session, "Maasvlakte Reefer Holding B.V.")
    response = client.post(
        f"/cases/{case.id}/relations/new",
        data={
            "schema": "Ownership",
            "source": str(company),
            "target": str(vessel),
            "percentage": "25-50",
            "start_date": "2019-03-01",
            "source_grade": "B",
            "info_grade": "2",
        },
    )
    assert response.status_code == 302, response.data.decode()
    response = freeze(
        client,
        session,
        officer,
        case,
        [vessel, company],
        **{f"value_{vessel}": "1250000", f"value_{company}": "400000"},
    )
    assert response.status_code == 302, response.data.decode()
    session.expire_all()
    decision = session.scalar(select(Decision).where(Decision.case_id == case.id))
    return {"case": case, "vessel": vessel, "company": company, "decision": decision.id}


# --- entities and relations ------------------------------------------------------------------


def test_vessel_with_a_wrong_imo_is_refused_beside_the_field_and_nothing_is_written(
    client, session, officer, make_case
):
    case = make_case(officer)
    login(client, officer)
    audit_before = count(session, AuditEntry)
    response = add_vessel(client, case, imo="9074728")
    html = response.data.decode()
    assert response.status_code == 422
    assert re.search(r'<p class="error" id="prop_imoNumber-error">[^<]*check digit', html), html
    assert 'value="9074728"' in html and 'value="MV Nordzee Trader"' in html  # input kept
    assert count(session, Entity) == count(session, CaseEntity) == count(session, Asset) == 0
    assert count(session, AuditEntry) == audit_before


def test_officer_adds_a_vessel_a_company_and_an_ownership_of_25_to_50_percent(
    client, session, frozen_case
):
    case = frozen_case["case"]
    relation = session.scalar(select(Relation))
    assert relation.schema_name == "Ownership"
    assert (relation.percentage, str(relation.percentage_min), str(relation.percentage_max)) == (
        None,
        "25.000000",
        "50.000000",
    )
    page = client.get(f"/cases/{case.id}").data.decode()
    assert "MV Nordzee Trader" in page and "Maasvlakte Reefer Holding B.V." in page
    assert re.search(r"25\s*–\s*50\s*%", page), "the ownership range is shown"
    assert ">B2</abbr>" in page and ">A1</abbr>" in page  # grades of the roles


def test_the_schema_is_chosen_first_and_an_unknown_one_is_refused(client, officer, make_case):
    case = make_case(officer)
    login(client, officer)
    chooser = client.get(f"/cases/{case.id}/entities/new")
    assert chooser.status_code == 200 and 'name="prop_name"' not in chooser.data.decode()
    vessel = client.get(f"/cases/{case.id}/entities/new?schema=Vessel").data.decode()
    assert 'name="prop_imoNumber"' in vessel and 'name="as_asset"' not in vessel
    company = client.get(f"/cases/{case.id}/entities/new?schema=Company").data.decode()
    assert 'name="as_asset"' in company and 'name="prop_imoNumber"' not in company
    unknown = client.get(f"/cases/{case.id}/entities/new?schema=Ownership")
    assert unknown.status_code == 422 and 'id="schema-error"' in unknown.data.decode()


def test_an_existing_entity_is_found_by_name_and_linked(client, session, officer, make_case):
    first = make_case(officer, title="First")
    second = make_case(officer, title="Second")
    login(client, officer)
    add_vessel(client, first)
    vessel = entity_id(session, "MV Nordzee Trader")
    found = client.get(f"/cases/{second.id}/entities/link?q=nordzee").data.decode()
    assert f'value="{vessel}"' in found
    response = client.post(
        f"/cases/{second.id}/entities/link?q=nordzee",
        data={"entity_id": str(vessel), "role": "other", "source_grade": "", "info_grade": ""},
    )
    assert response.status_code == 302
    assert session.scalar(
        select(func.count()).where(CaseEntity.case_id == second.id, CaseEntity.entity_id == vessel)
    )


# --- decisions -------------------------------------------------------------------------------


def test_an_urgent_freeze_moves_two_assets_at_once(client, session, frozen_case):
    vessel, company = frozen_case["vessel"], frozen_case["company"]
    assert stage_of(session, vessel) == stage_of(session, company) == "frozen"
    assert session.get(Asset, vessel).urgent_unconfirmed
    page = client.get(f"/cases/{frozen_case['case'].id}").data.decode()
    assert 'class="stage stage-frozen"' in page
    assert page.count('class="stagebar-seg stage-frozen" data-value="2" data-total="2"') == 1
    assert "Art. 94 Sv" in page and "OM-2026-0117" in page  # the timeline shows every field
    assert "€1,250,000.00" in page  # the vessel's own value at freezing


def test_dispose_before_final_confiscation_shows_the_refusal_beside_the_assets(
    client, session, officer, frozen_case
):
    case, vessel = frozen_case["case"], frozen_case["vessel"]
    decisions_before = count(session, Decision)
    response = client.post(
        f"/cases/{case.id}/decisions/new?action=dispose",
        data={
            "asset_ids": [str(vessel)],
            "decided_on": today_of(session, officer),
            "authority": "Rechtbank Rotterdam",
            "reference": "ROT-2026-99",
            "legal_basis": "Art. 36e Sr",
            "disposal": "sale",
            "realised_value": "900000",
        },
    )
    html = response.data.decode()
    assert response.status_code == 409
    reason = "a frozen asset cannot be disposed of: a final confiscation is required"
    assert re.search(rf'<p class="error" id="refused-{vessel}">\s*{re.escape(reason)}', html)
    assert 'id="asset_ids-error"' in html
    assert 'value="ROT-2026-99"' in html  # input kept
    assert stage_of(session, vessel) == "frozen"
    assert count(session, Decision) == decisions_before


def test_a_decision_with_missing_fields_is_refused_beside_them(
    client, session, officer, frozen_case
):
    response = client.post(
        f"/cases/{frozen_case['case'].id}/decisions/new?action=release",
        data={"asset_ids": [str(frozen_case["vessel"])], "decided_on": "2999-01-01"},
    )
    html = response.data.decode()
    assert response.status_code == 422
    assert re.search(r'id="decided_on-error">\s*must not be in the future', html)
    assert re.search(r'id="reason-error">\s*is required', html)
    assert stage_of(session, frozen_case["vessel"]) == "frozen"


def test_annulling_the_freeze_puts_both_assets_back_and_keeps_it_struck_through(
    client, session, frozen_case
):
    case, decision = frozen_case["case"], frozen_case["decision"]
    url = f"/cases/{case.id}/decisions/{decision}/annul"
    refused = client.post(url, data={"reason": "  "})
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.data.decode()
    assert stage_of(session, frozen_case["vessel"]) == "frozen"

    response = client.post(url, data={"reason": "Entered in the wrong case"})
    assert response.status_code == 302
    assert stage_of(session, frozen_case["vessel"]) == "traced"
    assert stage_of(session, frozen_case["company"]) == "traced"
    page = client.get(f"/cases/{case.id}").data.decode()
    article = page[page.index(f'id="decision-{decision}"') :]
    assert "<del>" in article and "Entered in the wrong case" in article
    assert client.post(url, data={"reason": "again"}).status_code == 409


# --- documents -------------------------------------------------------------------------------


def test_the_order_document_must_be_a_pdf_or_image_and_downloads_only_within_scope(
    client, session, make_user, frozen_case
):
    case, decision = frozen_case["case"], frozen_case["decision"]
    upload = f"/cases/{case.id}/decisions/{decision}/document/new"
    text = client.post(
        upload,
        data={"document": (io.BytesIO(b"just some text\n"), "order.pdf")},
        content_type="multipart/form-data",
    )
    assert text.status_code == 422
    assert re.search(r'id="document-error">\s*must be a PDF or an image', text.data.decode())
    assert session.get(Decision, decision).document_sha256 is None

    pdf = client.post(
        upload,
        data={"document": (io.BytesIO(PDF), "OM-2026-0117.pdf")},
        content_type="multipart/form-data",
    )
    assert pdf.status_code == 302
    download = f"/cases/{case.id}/decisions/{decision}/document"
    assert download in client.get(f"/cases/{case.id}").data.decode()
    disclosures = _disclosures(session)
    response = client.get(download)
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert _disclosures(session) == disclosures + 1
    response.close()

    stranger = make_user("officer", "BEANR")
    client.post("/logout")
    login(client, stranger)
    assert client.get(download).status_code == 404
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_victims_are_named_on_the_owners_page_and_by_neutral_labels_outside_it(
    client, session, officer, make_user, make_case
):
    from assettrack.services import case_view

    case = make_case(officer)
    login(client, officer)
    response = client.post(
        f"/cases/{case.id}/entities/new?schema=Person",
        data={"prop_name": "Jan Smit", "prop_nationality": "nl", "role": "victim"},
    )
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}").data.decode()
    assert "Jan Smit" in page and ">victim<" in page
    outsider = make_user("liaison", "BEANR")
    (row,) = case_view.case_entities(session, outsider, case)
    assert row["redacted"] and str(row["name"]) == "Victim 1" and row["note"] is None


# --- a liaison reads ---------------------------------------------------------------------------


def test_a_liaison_reads_the_case_page_without_forms_and_cannot_post(
    client, session, make_user, frozen_case
):
    case, decision, vessel = frozen_case["case"], frozen_case["decision"], frozen_case["vessel"]
    client.post("/logout")
    liaison = make_user("liaison", "NLRTM", "BEANR")
    login(client, liaison)
    page = client.get(f"/cases/{case.id}")
    html = page.data.decode()
    assert page.status_code == 200
    assert "MV Nordzee Trader" in html and "Maasvlakte Reefer Holding B.V." in html
    assert 'method="post"' not in html.split('id="content"')[1]
    assert "/decisions/new" not in html and "/entities/new" not in html
    assert client.get(f"/assets/{vessel}").status_code == 200
    for url, data in [
        (f"/cases/{case.id}/entities/new?schema=Vessel", {"prop_name": "X"}),
        (f"/cases/{case.id}/entities/link", {"entity_id": str(vessel)}),
        (f"/cases/{case.id}/relations/new", {"schema": "Ownership"}),
        (f"/cases/{case.id}/decisions/new?action=release", {"asset_ids": [str(vessel)]}),
        (f"/cases/{case.id}/decisions/{decision}/annul", {"reason": "no"}),
        (f"/cases/{case.id}/decisions/{decision}/document/new", {}),
        (f"/assets/{vessel}/valuations", {"amount": "1"}),
        (f"/assets/{vessel}/ledger", {"amount": "1"}),
        (f"/assets/{vessel}/manager", {"manager": "x"}),
    ]:
        assert client.post(url, data=data).status_code == 403, url
    assert stage_of(session, vessel) == "frozen"


# --- the asset page ------------------------------------------------------------------------------


def test_asset_page_books_valuations_and_costs(client, session, officer, frozen_case):
    vessel = frozen_case["vessel"]
    page = client.get(f"/assets/{vessel}")
    assert page.status_code == 200 and "OM-2026-0117" in page.data.decode()
    bad = client.post(
        f"/assets/{vessel}/ledger",
        data={"booked_on": today_of(session, officer), "kind": "cost", "amount": "-5"},
    )
    assert bad.status_code == 422
    html = bad.data.decode()
    # The asset page holds three forms: each prefixes its field ids (ledger-amount).
    assert 'id="ledger-amount-error"' in html and 'id="ledger-category-error"' in html
    ok = client.post(
        f"/assets/{vessel}/ledger",
        data={
            "booked_on": today_of(session, officer),
            "kind": "cost",
            "amount": "3200.50",
            "currency": "EUR",
            "category": "berth fees",
        },
    )
    assert ok.status_code == 302
    valuation = client.post(
        f"/assets/{vessel}/valuations",
        data={
            "valued_on": today_of(session, officer),
            "amount": "1100000",
            "currency": "EUR",
            "basis": "broker's appraisal",
            "valuer": "Rotterdam Ship Brokers",
        },
    )
    assert valuation.status_code == 302
    html = client.get(f"/assets/{vessel}").data.decode()
    assert "berth fees" in html and "Rotterdam Ship Brokers" in html
    case_page = client.get(f"/cases/{frozen_case['case'].id}").data.decode()
    assert "-€3,200.50" in case_page or "−€3,200.50" in case_page  # ledger net


# --- the dashboard -----------------------------------------------------------------------------


def test_dashboard_shows_stage_counts_and_the_years_statistics(client, session, frozen_case):
    lapse_yesterday(session, frozen_case["vessel"])
    response = client.get("/dashboard/")
    html = response.data.decode()
    assert response.status_code == 200
    assert re.search(
        r'<span class="kpi-value">2</span>\s*<span class="kpi-label"><span class="stage '
        r'stage-frozen">frozen</span>',
        html,
    )
    assert re.search(r"Freezing orders</th><td class=\"num\">1</td>", html)
    assert re.search(r"of which urgent</th><td class=\"num\">1</td>", html)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in html
    assert "<title>" in html and " style=" not in html.split("<main")[1]
    urgent = html[html.index('id="urgent"') : html.index('id="reviews"')]
    assert "MV Nordzee Trader" in urgent and "overdue" in urgent
    assert "Maasvlakte" not in urgent  # lapses in 7 working days: not yet listed


@pytest.mark.parametrize("year", ["1989", "abc", "99999", "-2026"])
def test_dashboard_refuses_a_bad_year_beside_the_field(client, officer, year):
    login(client, officer)
    response = client.get("/dashboard/", query_string={"year": year})
    html = response.data.decode()
    assert response.status_code == 422
    assert re.search(
        r'<p class="error" id="year-error">must be a year from 1990 to \d{4}</p>', html
    )
    assert f'value="{escape(year)}"' in html


def test_the_open_data_csv_names_no_entity_and_is_logged(client, session, frozen_case):
    disclosures = _disclosures(session)
    assert client.get("/dashboard/open-data.csv").status_code == 404  # a GET issues nothing
    issued = client.post("/reports/issue", data={"kind": "open_data"})
    assert issued.status_code == 302
    report = issued.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    with client.get(f"/reports/{report}/download") as response:
        assert response.status_code == 200 and response.mimetype == "text/csv"
        text = response.data.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["schema"] for r in rows} == {"Vessel", "Company"}
    assert {r["stage"] for r in rows} == {"frozen"}
    assert "Nordzee" not in text and "Maasvlakte" not in text and VALID_IMO not in text
    assert _disclosures(session) == disclosures + 1


def test_dashboard_is_for_officers_and_liaisons_in_their_organisations(
    client, session, make_user, frozen_case
):
    lapse_yesterday(session, frozen_case["vessel"])
    client.post("/logout")
    login(client, make_user("auditor", "NLRTM"))
    assert client.get("/dashboard/").status_code == 403
    client.post("/logout")
    liaison = make_user("liaison", "BEANR", "NLRTM")
    login(client, liaison)
    home = client.get("/dashboard/").data.decode()
    assert "BEANR" in home and 'name="organisation"' in home
    assert "MV Nordzee Trader" not in home
    rotterdam = client.get("/dashboard/?organisation=NLRTM").data.decode()
    assert "MV Nordzee Trader" in rotterdam
    assert client.get("/dashboard/?organisation=ITGOA").status_code == 422
    refused = client.post("/reports/issue", data={"kind": "open_data", "organisation": "ITGOA"})
    assert refused.status_code == 422


# --- performance -------------------------------------------------------------------------------


def test_the_case_page_needs_the_same_queries_for_5_or_80_assets(
    app, client, session, officer, make_case
):
    login(client, officer)
    small, large = make_case(officer, title="Small"), make_case(officer, title="Large")
    for case, n in ((small, 5), (large, 80)):
        for i in range(n):
            entity = Entity(
                organisation_id=officer.organisation_id,
                schema_name="Vehicle",
                caption=f"Car {case.id}-{i}",
                caption_norm=f"car {case.id}-{i}",
            )
            session.add(entity)
            session.flush()
            session.add(Asset(entity_id=entity.id, organisation_id=officer.organisation_id))
            session.add(CaseEntity(case_id=case.id, entity_id=entity.id, role="other"))
    session.commit()
    engine = app.extensions["assettrack.engine"]
    counts = []
    for case in (small, large):
        statements = []

        def record(*args, statements=statements):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get(f"/cases/{case.id}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def _disclosures(session) -> int:
    session.expire_all()
    return session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "disclose")
    )
