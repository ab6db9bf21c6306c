"""The entity page, the correction forms and API, as officers and liaisons use them."""

import json

import pytest
from sqlalchemy import select

from assettrack.models import AuditEntry
from assettrack.models import Entity
from tests.conftest import bearer
from tests.conftest import login
from tests.test_corrections import haven_case


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM", name="Anna de Vries")


@pytest.fixture
def company(session, officer, make_case):
    case = make_case(officer)
    link, _person, relation = haven_case(session, officer, case)
    return case, session.get(Entity, link.entity_id), relation


def _audit(session, **where):
    session.expire_all()
    stmt = select(AuditEntry)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, key) == value)
    return session.scalars(stmt).all()


def test_the_entity_page_shows_properties_sources_cases_relations_owners_and_logs_once(
    client, session, officer, company
):
    case, entity, _relation = company
    login(client, officer)
    before = len(_audit(session, action="read", object_type="entity"))
    page = client.get(f"/entities/{entity.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Haven Trading BV" in html
    assert case.reference in html
    assert "Johan de Wit" in html  # the owner, by relation and as ultimate owner
    assert f"/entities/{entity.id}/network" in html
    assert "Edit the properties" in html
    assert "typed by Anna de Vries" in html  # each value's source, from its creation
    reads = _audit(session, action="read", object_type="entity")
    assert len(reads) == before + 1
    assert json.loads(reads[-1].details)["view"] == "page"


def test_the_case_page_links_entity_names_to_their_page(client, officer, company):
    case, entity, _relation = company
    login(client, officer)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/entities/{entity.id}"' in html


def test_an_entity_outside_the_scope_is_not_found(client, make_user, company):
    _case, entity, _relation = company
    login(client, make_user("officer", "BEANR"))
    assert client.get(f"/entities/{entity.id}").status_code == 404
    assert client.get(f"/entities/{entity.id}/edit").status_code == 404


def test_an_officer_edits_the_name_sees_the_history_and_reverts_it(
    client, session, officer, company
):
    _case, entity, _relation = company
    login(client, officer)
    form = client.get(f"/entities/{entity.id}/edit")
    assert form.status_code == 200
    done = client.post(
        f"/entities/{entity.id}/edit",
        data={"version": "1", "prop_name": "Haven Trading B.V.", "reason": "register spelling"},
        follow_redirects=True,
    )
    html = done.get_data(as_text=True)
    assert "Haven Trading B.V." in html
    assert "register spelling" in html
    assert "typed by Anna de Vries" in html
    change = json.loads(_audit(session, action="update", object_type="entity")[-1].details)
    assert change["changes"]["name"] == {"old": ["Haven Trading BV"], "new": ["Haven Trading B.V."]}
    reverted = client.post(f"/changes/{change['change']}/revert", follow_redirects=True)
    assert reverted.status_code == 200
    session.expire_all()
    assert session.get(Entity, entity.id).caption == "Haven Trading BV"


def test_a_bad_value_is_shown_beside_its_field_and_nothing_changes(
    client, session, officer, company
):
    _case, entity, _relation = company
    login(client, officer)
    page = client.post(
        f"/entities/{entity.id}/edit",
        data={"version": "1", "prop_name": "Haven Trading BV", "prop_leiCode": "not a lei"},
    )
    assert page.status_code == 422
    assert 'id="prop_leiCode-error"' in page.get_data(as_text=True)
    session.expire_all()
    assert session.get(Entity, entity.id).version == 1


def test_the_second_editor_gets_the_conflict_with_both_versions(
    client, app, session, officer, make_user, company
):
    _case, entity, _relation = company
    other = make_user("officer", "NLRTM")
    second = app.test_client()
    login(client, officer)
    login(second, other)
    client.post(f"/entities/{entity.id}/edit", data={"version": "1", "prop_name": "First BV"})
    page = second.post(
        f"/entities/{entity.id}/edit", data={"version": "1", "prop_name": "Second BV"}
    )
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert "First BV" in html and "Second BV" in html
    assert 'name="version" value="2"' in html
    again = second.post(
        f"/entities/{entity.id}/edit", data={"version": "2", "prop_name": "Second BV"}
    )
    assert again.status_code == 302
    session.expire_all()
    assert session.get(Entity, entity.id).caption == "Second BV"


def test_role_is_corrected_and_removal_needs_a_reason(client, session, officer, company):
    case, entity, _relation = company
    login(client, officer)
    ok = client.post(
        f"/cases/{case.id}/entities/{entity.id}/edit",
        data={"version": "1", "role": "enabler", "source_grade": "B", "info_grade": "2"},
    )
    assert ok.status_code == 302
    refused = client.post(
        f"/cases/{case.id}/entities/{entity.id}/remove", data={"version": "2", "reason": ""}
    )
    assert refused.status_code == 422
    removed = client.post(
        f"/cases/{case.id}/entities/{entity.id}/remove",
        data={"version": "2", "reason": "another company"},
    )
    assert removed.status_code == 302
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/entities/{entity.id}"' not in html


def test_a_liaison_sees_no_edit_button_and_is_refused(client, make_user, company, token_for):
    _case, entity, relation = company
    liaison = make_user("liaison", "NLRTM", "BEANR")
    login(client, liaison)
    html = client.get(f"/entities/{entity.id}").get_data(as_text=True)
    assert "Haven Trading BV" in html
    assert "Edit the properties" not in html and "Revert" not in html
    assert client.get(f"/entities/{entity.id}/edit").status_code == 403
    headers = {**bearer(token_for(liaison)), "If-Match": '"1"'}
    response = client.patch(
        f"/api/v1/entities/{entity.id}", json={"properties": {"name": "X"}}, headers=headers
    )
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    gone = client.delete(f"/api/v1/relations/{relation.id}", json={"reason": "x"}, headers=headers)
    assert gone.status_code == 403


def test_the_api_uses_etag_and_if_match(client, session, officer, company, token_for):
    case, entity, relation = company
    headers = bearer(token_for(officer))
    read = client.get(f"/api/v1/entities/{entity.id}", headers=headers)
    assert read.headers["ETag"] == '"1"'
    url = f"/api/v1/entities/{entity.id}"
    body = {"properties": {"name": "Haven BV"}, "reason": "typo"}
    assert client.patch(url, json=body, headers=headers).status_code == 428
    changed = client.patch(url, json=body, headers={**headers, "If-Match": '"1"'})
    assert changed.status_code == 200
    assert changed.headers["ETag"] == '"2"'
    assert changed.json["name"] == "Haven BV"
    stale = client.patch(url, json=body, headers={**headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json["current_version"] == 2
    bad = client.patch(
        url, json={"properties": {"leiCode": "nope"}}, headers={**headers, "If-Match": '"2"'}
    )
    assert bad.status_code == 422
    assert bad.json["errors"][0]["pointer"] == "/properties/leiCode"

    link_url = f"/api/v1/cases/{case.id}/entities/{entity.id}"
    assert client.get(link_url, headers=headers).headers["ETag"] == '"1"'
    link = client.patch(link_url, json={"role": "enabler"}, headers={**headers, "If-Match": '"1"'})
    assert (link.status_code, link.json["role"], link.json["version"]) == (200, "enabler", 2)

    rel_url = f"/api/v1/relations/{relation.id}"
    assert client.get(rel_url, headers=headers).headers["ETag"] == '"1"'
    moved = client.patch(rel_url, json={"percentage": "75"}, headers={**headers, "If-Match": '"1"'})
    assert (moved.status_code, moved.json["percentage"]) == (200, "75")
    no_reason = client.delete(rel_url, json={}, headers={**headers, "If-Match": '"2"'})
    assert no_reason.status_code == 422
    gone = client.delete(rel_url, json={"reason": "wrong"}, headers={**headers, "If-Match": '"2"'})
    assert gone.status_code == 200
    assert client.get(rel_url, headers=headers).status_code == 404
    revert = client.post(f"/api/v1/changes/{gone.json['id']}/revert", headers=headers)
    assert revert.status_code == 201
    assert client.get(rel_url, headers=headers).headers["ETag"] == '"4"'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"prop_name": "Haven Trading BV", "version": "1"}, "Nothing was changed."),
        ({"prop_name": "Other BV", "version": ""}, "the version of the record you edited"),
        ({"prop_name": "Other BV", "version": "99999999999999999999"}, "the version of"),
        ({"prop_name": "", "version": "1"}, "is required"),
    ],
)
def test_a_bad_correction_form_says_why_and_changes_nothing(
    client, session, officer, company, data, message
):
    _case, entity, _relation = company
    login(client, officer)
    page = client.post(f"/entities/{entity.id}/edit", data=data)
    assert page.status_code == 422
    assert message in page.get_data(as_text=True)
    session.expire_all()
    assert session.get(Entity, entity.id).version == 1


def test_a_protected_person_at_the_other_end_is_shown_by_its_label(client, make_user, company):
    _case, entity, _relation = company
    # Granted Rotterdam without the names flag: "Johan de Wit" (a person, role other) is labelled.
    liaison = make_user("liaison", "BEANR", "NLRTM")
    login(client, liaison)
    page = client.get(f"/entities/{entity.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Haven Trading BV" in html
    assert "Johan de Wit" not in html


def test_a_text_of_several_lines_stays_one_value_and_names_one_value_per_line(
    client, session, officer, company
):
    _case, entity, _relation = company
    login(client, officer)
    done = client.post(
        f"/entities/{entity.id}/edit",
        data={
            "version": "1",
            "prop_name": "Haven Trading BV",
            "prop_notes": "Seen at the quay.\nTwice in May.",
            "prop_alias": "Haven Trading\nHTBV",
        },
    )
    assert done.status_code == 302
    session.expire_all()
    properties = json.loads(session.get(Entity, entity.id).properties)
    assert properties["notes"] == ["Seen at the quay.\nTwice in May."]
    assert properties["alias"] == ["Haven Trading", "HTBV"]
