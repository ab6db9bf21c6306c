"""Corrections with history, on SQLite and PostgreSQL: edit, remove, revert, stale versions."""

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from assettrack.errors import AccessDenied
from assettrack.errors import Conflict
from assettrack.errors import Invalid
from assettrack.models import AuditEntry
from assettrack.models import CaseEntity
from assettrack.models import ChangeRecord
from assettrack.models import Entity
from assettrack.models import EntityIdentifier
from assettrack.models import Relation
from assettrack.models.corrections import INCLUDE_REMOVED
from assettrack.services import corrections
from assettrack.services import entities as entity_service
from assettrack.services import provenance
from assettrack.services.case_view import case_entities

pytestmark = pytest.mark.backends


def haven_case(session, officer, case):
    """Add "Haven Trading BV" (suspect) and its 60 % owner "Johan de Wit" to ``case``.

    Returns the company's link, the person's link and the ownership.
    """
    company = entity_service.add_entity_to_case(
        session,
        officer,
        case,
        {"schema": "Company", "properties": {"name": "Haven Trading BV"}, "role": "suspect"},
    )
    person = entity_service.add_entity_to_case(
        session, officer, case, {"schema": "Person", "properties": {"name": "Johan de Wit"}}
    )
    relation = entity_service.create_relation(
        session,
        officer,
        {
            "schema": "Ownership",
            "source": person.entity_id,
            "target": company.entity_id,
            "percentage": "60",
        },
    )
    session.commit()
    return company, person, relation


@pytest.fixture
def world(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    company, person, relation = haven_case(session, officer, case)
    return officer, case, session.get(Entity, company.entity_id), person, relation


def test_an_edit_keeps_the_old_name_and_a_revert_brings_it_back(session, world):
    officer, _case, company, _person, _relation = world
    change = corrections.update_entity(
        session,
        officer,
        company.id,
        {"name": "Haven Trading B.V."},
        version=1,
        reason="spelling in the register",
    )
    session.commit()
    assert company.caption == "Haven Trading B.V."
    assert company.version == 2
    shown = corrections.history(session, company.id)
    assert shown[0]["fields"] == [
        {"name": "name", "old": ["Haven Trading BV"], "new": ["Haven Trading B.V."]}
    ]
    assert shown[0]["reason"] == "spelling in the register"
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "entity", AuditEntry.action == "update")
    ).all()
    assert json.loads(audit[-1].details)["changes"]["name"] == {
        "old": ["Haven Trading BV"],
        "new": ["Haven Trading B.V."],
    }

    corrections.revert(session, officer, change.id)
    session.commit()
    session.refresh(company)
    assert company.caption == "Haven Trading BV"
    assert company.version == 3
    assert session.get(ChangeRecord, change.id).reverted_by_id is not None
    with pytest.raises(Conflict):
        corrections.revert(session, officer, change.id)


def test_a_stale_version_is_refused_with_the_current_values(session, world):
    officer, _case, company, _person, _relation = world
    corrections.update_entity(session, officer, company.id, {"name": "First BV"}, version=1)
    session.commit()
    with pytest.raises(corrections.StaleVersion) as refused:
        corrections.update_entity(session, officer, company.id, {"name": "Second BV"}, version=1)
    session.rollback()
    assert refused.value.extra["current_version"] == 2
    assert refused.value.extra["current"] == {"name": ["First BV"]}
    assert session.get(Entity, company.id).caption == "First BV"


def test_an_edit_checks_only_the_fields_it_changes(session, world):
    officer, _case, company, _person, _relation = world
    # A value FtM accepted on import, refused by the stricter check, stays untouched.
    session.get(Entity, company.id).properties = json.dumps(
        {"name": ["Haven Trading BV"], "incorporationDate": ["2020-13"]}
    )
    session.commit()
    corrections.update_entity(session, officer, company.id, {"leiCode": ""}, version=1)
    corrections.update_entity(session, officer, company.id, {"name": "Haven BV"}, version=1)
    session.commit()
    assert json.loads(session.get(Entity, company.id).properties)["incorporationDate"] == [
        "2020-13"
    ]
    with pytest.raises(Invalid) as refused:
        corrections.update_entity(session, officer, company.id, {"leiCode": "nope"}, version=2)
    assert "properties.leiCode" in refused.value.errors
    with pytest.raises(Invalid) as unknown:
        corrections.update_entity(session, officer, company.id, {"imoNumber": "1"}, version=2)
    assert "properties.imoNumber" in unknown.value.errors


def test_a_new_identifier_is_indexed(session, world):
    officer, _case, company, _person, _relation = world
    corrections.update_entity(
        session, officer, company.id, {"leiCode": "529900T8BM49AURSDO55"}, version=1
    )
    session.commit()
    assert session.scalars(
        select(EntityIdentifier.value).where(EntityIdentifier.entity_id == company.id)
    ).all() == ["529900T8BM49AURSDO55"]
    sources = provenance.sources_of(session, company.id)
    assert sources["leiCode"]["529900T8BM49AURSDO55"][0]["kind"] == "officer"


def test_a_removed_link_is_hidden_kept_and_restored_by_a_revert(session, world):
    officer, case, company, _person, _relation = world
    with pytest.raises(Invalid):
        corrections.remove_case_link(session, officer, case, company.id, version=1, reason=" ")
    change = corrections.remove_case_link(
        session, officer, case, company.id, version=1, reason="another Haven Trading"
    )
    session.commit()
    shown = [e["entity_id"] for e in case_entities(session, officer, case)]
    assert company.id not in shown
    kept = session.scalars(
        select(CaseEntity)
        .where(CaseEntity.entity_id == company.id)
        .execution_options(**INCLUDE_REMOVED)
    ).one()
    assert kept.removed_reason == "another Haven Trading"
    corrections.revert(session, officer, change.id)
    session.commit()
    assert company.id in [e["entity_id"] for e in case_entities(session, officer, case)]


def test_an_entity_removed_from_a_case_can_be_added_again(session, world):
    officer, case, company, _person, _relation = world
    corrections.remove_case_link(session, officer, case, company.id, version=1, reason="wrong")
    session.commit()
    entity_service.add_entity_to_case(session, officer, case, {"entity_id": company.id})
    session.commit()
    links = session.scalars(
        select(CaseEntity)
        .where(CaseEntity.entity_id == company.id)
        .execution_options(**INCLUDE_REMOVED)
    ).all()
    assert len(links) == 2


def test_role_and_grades_change_and_bad_ones_are_refused(session, world):
    officer, case, company, _person, _relation = world
    corrections.update_case_link(
        session, officer, case, company.id, {"role": "enabler", "source_grade": "b"}, version=1
    )
    session.commit()
    link = session.scalar(select(CaseEntity).where(CaseEntity.entity_id == company.id))
    assert (link.role, link.source_grade, link.version) == ("enabler", "B", 2)
    with pytest.raises(Invalid) as refused:
        corrections.update_case_link(
            session, officer, case, company.id, {"role": "boss", "info_grade": "9"}, version=2
        )
    assert set(refused.value.errors) == {"role", "info_grade"}


def test_a_relation_is_corrected_removed_and_restored(session, world):
    officer, _case, _company, _person, relation = world
    corrections.update_relation(
        session,
        officer,
        relation.id,
        {"percentage": "25-50", "start_date": "2021-03-01"},
        version=1,
    )
    session.commit()
    relation = session.get(Relation, relation.id)
    assert (relation.percentage, relation.percentage_min) == (None, Decimal(25))
    with pytest.raises(Invalid) as refused:
        corrections.update_relation(
            session, officer, relation.id, {"end_date": "2020-01-01"}, version=2
        )
    assert "end_date" in refused.value.errors
    removal = corrections.remove_relation(
        session, officer, relation.id, version=2, reason="not an owner"
    )
    session.commit()
    assert session.scalars(select(Relation)).all() == []
    corrections.revert(session, officer, removal.id)
    session.commit()
    assert [r.id for r in session.scalars(select(Relation))] == [relation.id]


def test_a_liaison_cannot_correct(session, world, make_user):
    _officer, case, company, _person, relation = world
    liaison = make_user("liaison", "NLRTM")
    with pytest.raises(AccessDenied):
        corrections.update_entity(session, liaison, company.id, {"name": "X"}, version=1)
    with pytest.raises(AccessDenied):
        corrections.remove_relation(session, liaison, relation.id, version=1, reason="x")
    with pytest.raises(AccessDenied):
        corrections.update_case_link(
            session, liaison, case, company.id, {"role": "other"}, version=1
        )


def test_a_revert_is_refused_when_a_later_change_altered_the_same_field(session, world):
    officer, _case, company, _person, _relation = world
    first = corrections.update_entity(session, officer, company.id, {"name": "A BV"}, version=1)
    corrections.update_entity(session, officer, company.id, {"name": "B BV"}, version=2)
    session.commit()
    with pytest.raises(Conflict):
        corrections.revert(session, officer, first.id)
    session.rollback()
    assert session.get(Entity, company.id).caption == "B BV"


def test_an_unchanged_value_writes_no_change_and_keeps_the_version(session, world):
    officer, _case, company, _person, _relation = world
    assert (
        corrections.update_entity(
            session, officer, company.id, {"name": "Haven Trading BV"}, version=1
        )
        is None
    )
    session.commit()
    assert session.get(Entity, company.id).version == 1
    assert corrections.history(session, company.id) == []


def test_a_removed_ownership_no_longer_makes_an_ultimate_owner(session, world):
    from assettrack.services import network

    officer, _case, company, person, relation = world
    owners = network.owners(session, officer, company.id)["owners"]
    assert [o["id"] for o in owners] == [person.entity_id]
    corrections.remove_relation(session, officer, relation.id, version=1, reason="not his")
    session.commit()
    assert network.owners(session, officer, company.id)["owners"] == []


@pytest.mark.parametrize("share", ["NaN", "sNaN", "Infinity", "120", "50-20", "lots"])
def test_a_share_that_is_no_percentage_is_refused(session, world, share):
    officer, _case, _company, _person, relation = world
    with pytest.raises(Invalid) as refused:
        corrections.update_relation(session, officer, relation.id, {"percentage": share}, version=1)
    assert "percentage" in refused.value.errors
