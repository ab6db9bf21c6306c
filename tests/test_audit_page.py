"""The readable audit trail (#12): objects by reference, old → new, per-case and per-entity trails.

An auditor reads who changed what: a case by its reference (linked), an entity by its name, a
decision by its case; an update as its fields, old → new, instead of a line of JSON. Filters by
case (number or reference), entity, user, action and period; the trail of one case holds its
entities' changes; the scope is the auditor's, as before; the CSV export keeps its columns.
"""

import csv
import re

import pytest

from assettrack import audit
from assettrack.services import audit_log
from assettrack.services import cases as case_service
from assettrack.services import decisions as decision_service
from assettrack.services import entities as entity_service
from tests.conftest import login

pytestmark = pytest.mark.backends


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM", email="sanne@example.test", name="Sanne de Vries")


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", "NLRTM")


def _rows(html: str) -> list[str]:
    body = re.search(r'<table class="data audit-trail".*?<tbody>(.*?)</tbody>', html, re.S)
    return re.findall(r"<tr>.*?</tr>", body.group(1), re.S)


def test_a_change_reads_old_to_new_with_the_case_linked(
    client, session, officer, auditor, make_case
):
    case = make_case(officer, title="Before")
    case_service.update_case(session, officer, case, {"title": "After"})
    session.commit()
    login(client, auditor)
    html = client.get("/audit/?action=update&object_type=case").data.decode()
    (row,) = _rows(html)
    assert "Sanne de Vries" in row and "sanne@example.test" in row
    assert re.search(r"<del>Before</del>.*→.*<ins>After</ins>", row, re.S)
    assert f">{case.reference}</a>" in row
    assert '{"title"' not in row  # no line of JSON


def test_the_trail_of_a_case_holds_its_entities_and_decisions(
    client, session, officer, auditor, make_case
):
    case = make_case(officer)
    other = make_case(officer)
    vessel = entity_service.add_entity_to_case(
        session, officer, case, {"schema": "Vessel", "properties": {"name": ["Zeewolf"]}}
    ).entity_id
    entity_service.add_entity_to_case(
        session, officer, other, {"schema": "Vessel", "properties": {"name": ["Elsewhere"]}}
    )
    decision = decision_service.record_decision(
        session,
        officer,
        case,
        {
            "action": "freeze",
            "asset_ids": [vessel],
            "decided_on": "2026-03-02",
            "reference": "RC-1",
            "authority": "Rechtbank Rotterdam",
            "legal_basis": "Art. 94 Sv",
        },
    )
    audit.record(
        session,
        officer,
        audit.Action.UPDATE,
        "entity",
        vessel,
        details={"properties": {"name": [["Zeewolf"], ["Zeewolf II"]]}},
        organisation_id=case.organisation_id,
    )
    session.commit()
    login(client, auditor)
    for key in (case.id, case.reference, case.reference.lower()):
        html = client.get(f"/audit/?case={key}").data.decode()
        assert f"Audit trail of {case.reference}" in html
        text = " ".join(_rows(html))
        assert "Zeewolf II" in text and "RC-1" in text
        assert "Elsewhere" not in text
        assert f"#decision-{decision.id}" in text or f"case={case.id}" in text
    # The trail of the entity: its creation, its link to the case, its change.
    html = client.get(f"/audit/?entity={vessel}").data.decode()
    rows = _rows(html)
    assert "Audit trail of Zeewolf" in html
    assert {"create", "update"} <= {a for r in rows for a in re.findall(r">(create|update)<", r)}
    assert all("Elsewhere" not in r for r in rows)


def test_bad_filters_are_named_beside_their_field(client, session, officer, auditor, make_case):
    make_case(officer)
    session.commit()
    login(client, auditor)
    for query, field in (
        ("case=NOPE-0000", "f-case-error"),
        ("entity=abc", "f-entity-error"),
        ("entity=99999999999999999999", "f-entity-error"),
        ("since=2026-03-09&until=2026-03-01", "f-until-error"),
    ):
        response = client.get(f"/audit/?{query}")
        html = response.data.decode()
        assert response.status_code == 200
        assert f'id="{field}"' in html and "<title>Error:" in html
        assert "data-error-summary" in html
        assert _rows(html) == []


def test_another_citys_entries_stay_out_of_the_trail(
    client, session, make_user, auditor, make_case
):
    antwerp = make_user("officer", "BEANR")
    case = make_case(antwerp)
    session.commit()
    login(client, auditor)
    html = client.get(f"/audit/?case={case.id}").data.decode()
    assert _rows(html) == []
    assert case.reference not in html  # not even named in the heading


def test_the_csv_export_keeps_its_columns(session, officer, auditor, make_case, tmp_path):
    make_case(officer)
    session.commit()
    path = tmp_path / "audit.csv"
    count = audit_log.export_csv(session, auditor, path, {"action": "create"}, lambda *a: None)
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == audit_log.CSV_COLUMNS
    assert count == len(rows) - 1 and count > 0
    assert all(row[4] == "create" for row in rows[1:])


def test_details_are_bounded_and_never_raise():
    rows = audit_log.detail_rows("update", '{"notes": "' + "x" * 5000 + '"}')
    assert len(rows[0]["value"]) <= 400
    many = "{" + ", ".join(f'"f{i}": [1, 2]' for i in range(100)) + "}"
    assert len(audit_log.detail_rows("update", many)) == 41
    assert audit_log.detail_rows("create", "[1, 2]")[0]["value"] == "1, 2"
    assert audit_log.detail_rows("create", "{bad")[0]["value"] == "{bad"
