"""Provenance: each property value knows where it came from (an import line, a merge, an
officer), with the source's grade when one was given; shown on the entity page."""

import json

import pytest
from sqlalchemy import select

from assettrack.models import Entity
from assettrack.services import corrections
from assettrack.services import duplicates
from assettrack.services import entities as entity_service
from assettrack.services import imports
from assettrack.services import provenance
from tests.conftest import login


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM", name="Anna de Vries")


def _ftm_file(tmp_path, lines):
    path = tmp_path / "haven.ftm.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.backends
def test_imported_values_name_their_file_line_and_grade(session, officer, make_case, tmp_path):
    case = make_case(officer)
    path = _ftm_file(
        tmp_path,
        [
            {"id": "p1", "schema": "Person", "properties": {"name": ["Johan de Wit"]}},
            {
                "id": "c1",
                "schema": "Company",
                "properties": {"name": ["Haven Trading BV"], "jurisdiction": ["nl"]},
                "assettrack": {"case": {"source_grade": "B", "info_grade": "2"}},
            },
        ],
    )
    imports.import_ftm(session, officer, case, path)
    session.commit()
    company = session.scalar(select(Entity).where(Entity.external_id == "c1"))
    sources = provenance.sources_of(session, company.id)
    first = sources["name"]["Haven Trading BV"][0]
    assert (first["kind"], first["file_name"], first["line"]) == ("import", path.name, 2)
    assert first["user"] == "Anna de Vries"

    # Corrected by hand, the new value is the officer's; the old one keeps its import line.
    corrections.update_entity(session, officer, company.id, {"name": "Haven BV"}, version=1)
    session.commit()
    sources = provenance.sources_of(session, company.id)
    assert sources["name"]["Haven BV"][0]["kind"] == "officer"
    assert sources["jurisdiction"]["nl"][0]["kind"] == "import"


def test_the_entity_page_shows_each_source_beside_its_value(
    client, session, officer, make_case, tmp_path
):
    case = make_case(officer)
    imports.import_ftm(
        session,
        officer,
        case,
        _ftm_file(
            tmp_path, [{"id": "c1", "schema": "Company", "properties": {"name": ["Haven BV"]}}]
        ),
    )
    session.commit()
    company = session.scalar(select(Entity).where(Entity.external_id == "c1"))
    login(client, officer)
    html = client.get(f"/entities/{company.id}").get_data(as_text=True)
    assert "import haven.ftm.jsonl, line 1" in html


@pytest.mark.backends
def test_a_merge_is_the_source_of_the_values_it_brought(session, officer, make_case):
    case = make_case(officer)
    keep = entity_service.add_entity_to_case(
        session, officer, case, {"schema": "Person", "properties": {"name": "Johan de Wit"}}
    )
    other = entity_service.add_entity_to_case(
        session,
        officer,
        case,
        {"schema": "Person", "properties": {"name": "J. de Wit", "birthDate": "1971-04-02"}},
    )
    session.commit()
    record = duplicates.merge(session, officer, keep.entity_id, other.entity_id)
    session.commit()
    sources = provenance.sources_of(session, keep.entity_id)
    merged = sources["birthDate"]["1971-04-02"][0]
    assert (merged["kind"], merged["merge_record_id"]) == ("merge", record.id)
