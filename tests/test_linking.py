"""Imports link to what the organisation already holds: a shared strong identifier is one thing.

DECISIONS #12: within the organisation, whatever the cases' TLP; the report counts the links and
lists each linked entity with the cases it already appears in. Names alone are never merged:
they are listed for review.
"""

import json

import pytest
from sqlalchemy import func
from sqlalchemy import select

from assettrack.models import CaseEntity
from assettrack.models import Entity
from assettrack.models import Relation
from assettrack.services import entities as entity_service
from assettrack.services import imports
from tests.conftest import SHARED_DATA

BODS = SHARED_DATA / "ftm" / "bods_examples.ftm.jsonl"


def shared_file(path):
    if not path.is_file():
        pytest.fail(f"shared test data missing: {path} (see data/README.md)", pytrace=False)
    return path


def write_lines(tmp_path, lines) -> str:
    path = tmp_path / "incoming.ftm.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return str(path)


def vessels(session) -> int:
    return session.scalar(
        select(func.count()).select_from(Entity).where(Entity.schema_name == "Vessel")
    )


@pytest.mark.backends
def test_a_vessel_whose_imo_the_organisation_holds_is_linked_not_created_again(
    session, make_user, make_case, tmp_path
):
    officer = make_user("officer", "NLRTM")
    first = make_case(officer, title="Reefer containers", tlp="RED")
    second = make_case(officer, title="Bunker fuel")
    boat = entity_service.add_entity_to_case(
        session,
        officer,
        first,
        {"schema": "Vessel", "properties": {"name": "Zeemeeuw", "imoNumber": "IMO 9074729"}},
    ).entity_id
    session.commit()
    # Shaped like an FtM export: the vessel under another id, its IMO spelled without "IMO".
    path = write_lines(
        tmp_path,
        [
            {
                "id": "vessel-zee-meeuw",
                "schema": "Vessel",
                "properties": {"name": ["Zee Meeuw"], "imoNumber": ["9074729"], "flag": ["pa"]},
            },
            {"id": "owner-1", "schema": "Company", "properties": {"name": ["Meeuw Shipping BV"]}},
            {
                "id": "own-1",
                "schema": "Ownership",
                "properties": {
                    "owner": ["owner-1"],
                    "asset": ["vessel-zee-meeuw"],
                    "percentage": ["100"],
                },
            },
        ],
    )
    report = imports.import_ftm(session, officer, second, path)
    session.commit()

    assert vessels(session) == 1
    assert report.linked == 1
    assert report.linked_entities == [
        {
            "line": 1,
            "ftm_id": "vessel-zee-meeuw",
            "entity_id": boat,
            "name": "Zeemeeuw",
            "identifier": "imoNumber 9074729",
            "cases": [first.reference],
        }
    ]
    assert report.as_dict()["linked_entities"][0]["entity_id"] == boat
    in_second = set(
        session.scalars(select(CaseEntity.entity_id).where(CaseEntity.case_id == second.id))
    )
    assert boat in in_second
    ownership = session.scalar(select(Relation).where(Relation.schema_name == "Ownership"))
    assert ownership.target_id == boat

    # Importing the same file again creates nothing and links nothing new.
    again = imports.import_ftm(session, officer, second, path)
    session.commit()
    assert (again.created, again.linked, vessels(session)) == (0, 0, 1)


@pytest.mark.backends
def test_the_bods_examples_link_a_company_registered_in_another_case(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    first = make_case(officer, title="Holding structure")
    second = make_case(officer, title="Beneficial owners")
    held = entity_service.add_entity_to_case(
        session,
        officer,
        first,
        {
            "schema": "Company",
            "properties": {
                "name": "Monsoon Holdings No 1 Ltd",
                "registrationNumber": "0258 5514",
                "jurisdiction": "gb",
            },
        },
    ).entity_id
    session.commit()
    report = imports.import_ftm(session, officer, second, shared_file(BODS))
    session.commit()

    linked = [item for item in report.linked_entities if item["entity_id"] == held]
    assert len(linked) == 1
    assert linked[0]["identifier"] == "registrationNumber gb:02585514"
    assert linked[0]["cases"] == [first.reference]
    monsoon = session.scalars(
        select(Entity.id).where(Entity.caption_norm.like("%monsoon holdings%"))
    ).all()
    assert monsoon == [held]


@pytest.mark.backends
def test_a_name_alone_is_listed_for_review_never_merged(session, make_user, make_case, tmp_path):
    officer = make_user("officer", "NLRTM")
    first = make_case(officer)
    second = make_case(officer, title="Second")
    johan = entity_service.add_entity_to_case(
        session, officer, first, {"schema": "Person", "properties": {"name": "Johan de Wit"}}
    ).entity_id
    entity_service.add_entity_to_case(
        session, officer, first, {"schema": "Company", "properties": {"name": "Jóhan de Wit"}}
    )
    session.commit()
    path = write_lines(
        tmp_path,
        [{"id": "p-1", "schema": "Person", "properties": {"name": ["JOHAN  DE WIT"]}}],
    )
    report = imports.import_ftm(session, officer, second, path)
    session.commit()

    assert (report.created, report.linked) == (1, 0)
    assert [(c["existing_id"], c["cases"]) for c in report.name_candidates] == [
        (johan, [first.reference])
    ]
    people = session.scalar(
        select(func.count()).select_from(Entity).where(Entity.schema_name == "Person")
    )
    assert people == 2
