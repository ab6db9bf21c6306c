"""Adding an entity whose strong identifier the organisation holds offers the existing one; a
close name is a suggestion, never a block."""

import pytest
from sqlalchemy import func
from sqlalchemy import select

from assettrack.errors import Conflict
from assettrack.models import AuditEntry
from assettrack.models import CaseEntity
from assettrack.models import Entity
from assettrack.services import entities as entity_service
from tests.conftest import bearer
from tests.conftest import login

VESSEL = {"schema": "Vessel", "properties": {"name": "Zeemeeuw", "imoNumber": "IMO 9074729"}}


def vessels(session) -> int:
    return session.scalar(
        select(func.count()).select_from(Entity).where(Entity.schema_name == "Vessel")
    )


@pytest.fixture
def held(session, make_user, make_case):
    """An officer, two cases, and a vessel with an IMO number in the first one."""
    officer = make_user("officer", "NLRTM")
    first = make_case(officer, title="Reefer containers", tlp="RED")
    second = make_case(officer, title="Bunker fuel")
    boat = entity_service.add_entity_to_case(session, officer, first, VESSEL).entity_id
    session.commit()
    return officer, first, second, boat


@pytest.mark.backends
def test_the_same_imo_is_offered_then_linked_or_created_with_a_reason(session, held):
    officer, first, second, boat = held
    again = {"schema": "Vessel", "properties": {"name": "Zee Meeuw", "imoNumber": "9074729"}}
    with pytest.raises(Conflict) as offered:
        entity_service.add_entity_to_case(session, officer, second, again, offer_existing=True)
    session.rollback()
    existing = offered.value.extra["existing"]
    assert existing["id"] == boat
    assert existing["cases"] == [first.reference]
    assert "properties.imoNumber" in offered.value.extra["errors"]

    with pytest.raises(Conflict) as no_reason:
        entity_service.add_entity_to_case(
            session, officer, second, {**again, "create_anyway": True}, offer_existing=True
        )
    session.rollback()
    assert "reason" in no_reason.value.extra["errors"]
    assert vessels(session) == 1

    link = entity_service.add_entity_to_case(
        session, officer, second, {**again, "link_existing": True}, offer_existing=True
    )
    session.commit()
    assert link.entity_id == boat and vessels(session) == 1

    third = entity_service.add_entity_to_case(
        session,
        officer,
        _third_case(session, officer),
        {**again, "create_anyway": True, "reason": "a sister ship, IMO misread on the manifest"},
        offer_existing=True,
    )
    session.commit()
    assert third.entity_id != boat and vessels(session) == 2
    justification = session.scalar(
        select(AuditEntry.justification).where(
            AuditEntry.object_type == "entity", AuditEntry.object_id == str(third.entity_id)
        )
    )
    assert justification == "a sister ship, IMO misread on the manifest"


def _third_case(session, officer):
    from assettrack.services import cases as case_service

    case = case_service.create_case(session, officer, {"title": "Third", "tlp": "AMBER"})
    session.flush()
    return case


@pytest.mark.backends
def test_a_close_name_is_suggested_not_blocking(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    johan = entity_service.add_entity_to_case(
        session, officer, case, {"schema": "Person", "properties": {"name": "Johan de Wit"}}
    ).entity_id
    session.commit()
    similar = entity_service.similar_names(
        session, case.organisation_id, "Person", {"name": ["de Wit, Jóhan"]}
    )
    assert [s["id"] for s in similar] == [johan]
    assert similar[0]["cases"] == [case.reference]
    assert (
        entity_service.similar_names(
            session, case.organisation_id, "Company", {"name": ["Johan de Wit"]}
        )
        == []
    )  # a company is never the same as a person


def test_the_api_answers_409_naming_the_existing_entity(client, session, held, token_for):
    officer, first, second, boat = held
    headers = bearer(token_for(officer))
    url = f"/api/v1/cases/{second.id}/entities"
    conflict = client.post(url, json=VESSEL, headers=headers)
    assert conflict.status_code == 409
    assert conflict.mimetype == "application/problem+json"
    assert conflict.json["existing"]["id"] == boat
    assert conflict.json["existing"]["cases"] == [first.reference]
    linked = client.post(url, json={**VESSEL, "link_existing": True}, headers=headers)
    assert linked.status_code == 201 and linked.json["id"] == boat
    person = client.post(
        url, json={"schema": "Person", "properties": {"name": "Zeemeeuw"}}, headers=headers
    )
    assert person.status_code == 201 and person.json["similar"] == []
    assert vessels(session) == 1


def test_the_form_offers_the_existing_entity_and_links_it(client, session, held):
    officer, first, second, boat = held
    login(client, officer)
    url = f"/cases/{second.id}/entities/new?schema=Vessel"
    form = {"prop_name": "Zee Meeuw", "prop_imoNumber": "9074729", "role": "other"}
    offered = client.post(url, data=form)
    assert offered.status_code == 422
    assert "Zeemeeuw" in offered.text and first.reference in offered.text
    assert 'name="link_existing"' in offered.text
    no_reason = client.post(url, data={**form, "create_anyway": "1"})
    assert no_reason.status_code == 422 and 'name="link_existing"' in no_reason.text
    linked = client.post(url, data={**form, "link_existing": "1"})
    assert linked.status_code == 302
    in_second = session.scalars(
        select(CaseEntity.entity_id).where(CaseEntity.case_id == second.id)
    ).all()
    assert in_second == [boat] and vessels(session) == 1
