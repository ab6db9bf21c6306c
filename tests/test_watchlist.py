"""Watchlists: a watched entity or identifier that appears again tells its watchers, only them,
and only where they may read it."""

import json

import pytest
from sqlalchemy import select

from assettrack.errors import Invalid
from assettrack.errors import NotFound
from assettrack.models import AuditEntry
from assettrack.models import CaseShare
from assettrack.models import Notification
from assettrack.services import entities as entity_service
from assettrack.services import imports
from assettrack.services import watchlist
from tests.conftest import bearer
from tests.conftest import login

IBAN = "NL91 ABNA 0417 1643 00"


def told(session, user) -> list[Notification]:
    return session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()


def account_file(tmp_path, iban="nl91abna0417164300") -> str:
    path = tmp_path / "accounts.ftm.jsonl"
    lines = [
        {"id": "acc-1", "schema": "BankAccount", "properties": {"iban": [iban]}},
        {"id": "p-1", "schema": "Person", "properties": {"name": ["Johan de Wit"]}},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.backends
def test_a_watched_iban_in_a_later_import_tells_the_watcher_only(
    session, make_user, make_case, tmp_path
):
    watcher = make_user("officer", "NLRTM")
    colleague = make_user("officer", "NLRTM")
    importer = make_user("officer", "NLRTM")
    antwerp = make_user("liaison", "BEANR")  # watches it, may not read Rotterdam's case
    granted = make_user("liaison", "BEANR", "NLRTM")  # a liaison granted Rotterdam
    for user in (watcher, antwerp, granted):
        watchlist.add_watch(session, user, {"kind": "iban", "value": IBAN})
    session.commit()
    case = make_case(importer, title="Cash couriers")

    imports.import_ftm(session, importer, case, account_file(tmp_path))
    session.commit()

    [note] = told(session, watcher)
    assert note.event == "watchlist_hit"
    assert note.case_reference == case.reference
    assert "IBAN NL91ABNA0417164300" in json.loads(note.params)["watched"]
    assert note.link == f"/cases/{case.id}"
    assert told(session, colleague) == []
    assert told(session, importer) == []  # not told of their own act
    assert told(session, antwerp) == []
    assert len(told(session, granted)) == 1


@pytest.mark.backends
def test_an_entity_watched_hears_of_a_new_case_and_a_new_relation(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    watcher = make_user("officer", "NLRTM")
    first, second = make_case(officer), make_case(officer, title="Second")
    boat = entity_service.add_entity_to_case(
        session,
        officer,
        first,
        {"schema": "Vessel", "properties": {"name": "Zeemeeuw", "imoNumber": "9074729"}},
    ).entity_id
    watchlist.add_watch(session, watcher, {"entity_id": boat})
    session.commit()

    entity_service.add_entity_to_case(session, officer, second, {"entity_id": boat})
    owner = entity_service.add_entity_to_case(
        session, officer, second, {"schema": "Company", "properties": {"name": "Meeuw BV"}}
    ).entity_id
    entity_service.create_relation(
        session, officer, {"schema": "Ownership", "source": owner, "target": boat}
    )
    session.commit()

    messages = [n.message for n in told(session, watcher)]
    assert messages == [
        "{watched}, which you watch, was added to case {reference}",
        "{watched}, which you watch, has a new relation",
    ]


@pytest.mark.backends
def test_another_city_hears_hit_no_hit_only_when_the_case_is_shared_with_it(
    session, make_user, make_case, tmp_path
):
    importer = make_user("officer", "NLRTM")
    antwerp = make_user("liaison", "BEANR")
    watchlist.add_watch(session, antwerp, {"kind": "iban", "value": IBAN})
    case = make_case(importer)
    session.add(CaseShare(case_id=case.id, organisation_id=antwerp.organisation_id))
    session.commit()

    imports.import_ftm(session, importer, case, account_file(tmp_path))
    session.commit()

    [note] = told(session, antwerp)
    assert note.message == "{watched}, which you watch, is also known to another city"
    assert note.case_id is None and note.case_reference is None  # no reference, no name
    assert note.link == "/watchlist"


@pytest.mark.backends
def test_watches_are_normalised_kept_once_audited_and_only_their_owner_removes_them(
    session, make_user
):
    officer = make_user("officer", "NLRTM")
    other = make_user("officer", "NLRTM")
    first = watchlist.add_watch(session, officer, {"kind": "iban", "value": IBAN})
    again = watchlist.add_watch(session, officer, {"kind": "iban", "value": "nl91abna0417164300"})
    assert again.id == first.id
    assert (first.kind, first.value) == ("iban", "NL91ABNA0417164300")
    reg = watchlist.add_watch(
        session, officer, {"kind": "registrationNumber", "value": "2412 3456", "scope": "NL"}
    )
    assert reg.value == "nl:24123456"
    session.commit()
    with pytest.raises(NotFound):
        watchlist.remove_watch(session, other, first.id)
    watchlist.remove_watch(session, officer, first.id)
    session.commit()
    assert [w.id for w in watchlist.list_watches(session, officer)] == [reg.id]
    actions = (
        session.execute(select(AuditEntry.action).where(AuditEntry.object_type == "watch"))
        .scalars()
        .all()
    )
    assert sorted(actions) == ["create", "create", "erase"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "iban", "value": "NL00 NOT AN IBAN"}, "value"),
        ({"kind": "shoeSize", "value": "42"}, "kind"),
        ({"kind": "iban", "value": ""}, "value"),
        ({"kind": "iban", "value": "x" * 201}, "value"),
        ({"kind": "registrationNumber", "value": "24123456"}, "scope"),
        ({"entity_id": "999999"}, "entity_id"),
        ({"entity_id": "abc"}, "entity_id"),
    ],
)
def test_bad_watches_are_refused_with_the_field(session, make_user, data, field):
    officer = make_user("officer", "NLRTM")
    with pytest.raises(Invalid) as refused:
        watchlist.add_watch(session, officer, data)
    assert field in refused.value.errors


def test_the_api_lists_adds_and_removes_watches(client, make_user, token_for):
    officer = make_user("officer", "NLRTM")
    headers = bearer(token_for(officer))
    made = client.post(
        "/api/v1/watchlist", json={"kind": "imoNumber", "value": "IMO 9074729"}, headers=headers
    )
    assert made.status_code == 201
    assert made.json["value"] == "9074729"
    listed = client.get("/api/v1/watchlist", headers=headers).json["items"]
    assert [item["id"] for item in listed] == [made.json["id"]]
    bad = client.post("/api/v1/watchlist", json={"kind": "iban", "value": "nope"}, headers=headers)
    assert bad.status_code == 422
    assert bad.mimetype == "application/problem+json"
    extra = client.post("/api/v1/watchlist", json={"iban": IBAN}, headers=headers)
    assert extra.status_code == 422
    gone = client.delete(f"/api/v1/watchlist/{made.json['id']}", headers=headers)
    assert gone.status_code == 204
    assert client.delete(f"/api/v1/watchlist/{made.json['id']}", headers=headers).status_code == 404
    auditor = make_user("auditor", "NLRTM")
    refused = client.post(
        "/api/v1/watchlist",
        json={"kind": "iban", "value": IBAN},
        headers=bearer(token_for(auditor)),
    )
    assert refused.status_code == 403


def test_the_watchlist_page_watches_an_identifier_and_shows_errors_beside_the_field(
    client, make_user
):
    officer = make_user("officer", "NLRTM")
    login(client, officer)
    page = client.get("/watchlist")
    assert page.status_code == 200
    assert "Watch an identifier" in page.text
    bad = client.post("/watchlist", data={"kind": "iban", "value": "not an iban"})
    assert bad.status_code == 422
    assert 'id="value-error"' in bad.text
    good = client.post("/watchlist", data={"kind": "iban", "value": IBAN}, follow_redirects=True)
    assert "IBAN NL91ABNA0417164300" in good.text


def test_the_watch_button_on_the_case_page_watches_and_unwatches(
    client, session, make_user, make_case
):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    boat = entity_service.add_entity_to_case(
        session, officer, case, {"schema": "Vessel", "properties": {"name": "Zeemeeuw"}}
    ).entity_id
    session.commit()
    login(client, officer)
    page = client.get(f"/cases/{case.id}")
    assert 'action="/watchlist/entity"' in page.text
    watched = client.post(
        "/watchlist/entity", data={"entity_id": str(boat), "next": f"/cases/{case.id}"}
    )
    assert watched.status_code == 302 and watched.location.endswith(f"/cases/{case.id}")
    page = client.get(f"/cases/{case.id}")
    assert "Watching" in page.text
    [watch] = watchlist.list_watches(session, officer)
    client.post(f"/watchlist/{watch.id}/remove", data={"next": f"/cases/{case.id}"})
    assert watchlist.list_watches(session, officer) == []


def test_a_liaison_watches_from_a_link_and_a_confirmation_a_get_changes_nothing(
    client, session, make_user, make_case
):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    boat = entity_service.add_entity_to_case(
        session, officer, case, {"schema": "Vessel", "properties": {"name": "Zeemeeuw"}}
    ).entity_id
    session.commit()
    liaison = make_user("liaison", "BEANR", "NLRTM")
    login(client, liaison)
    page = client.get(f"/cases/{case.id}")
    assert f"/watchlist/entity?entity_id={boat}" in page.text
    confirm = client.get(f"/watchlist/entity?entity_id={boat}&next=/cases/{case.id}")
    assert confirm.status_code == 200 and "Zeemeeuw" in confirm.text
    assert watchlist.list_watches(session, liaison) == []  # a GET changes nothing
    client.post("/watchlist/entity", data={"entity_id": str(boat)})
    assert [w.entity_id for w in watchlist.list_watches(session, liaison)] == [boat]
    outsider = make_user("liaison", "BEANR")
    client.post("/logout")
    login(client, outsider)
    assert client.get(f"/watchlist/entity?entity_id={boat}").status_code == 404


def test_an_auditor_has_no_watchlist(client, make_user):
    auditor = make_user("auditor", "NLRTM")
    login(client, auditor)
    assert client.get("/watchlist").status_code == 403


@pytest.mark.backends
def test_a_screening_hit_on_a_watched_vessel_is_told_once(session, make_user, make_case, tmp_path):
    from assettrack.services import screening

    officer = make_user("officer", "NLRTM")
    watcher = make_user("officer", "NLRTM")
    case = make_case(officer)
    tanker = entity_service.add_entity_to_case(
        session,
        officer,
        case,
        {"schema": "Vessel", "properties": {"name": "Marina", "imoNumber": "IMO 9074729"}},
    ).entity_id
    watchlist.add_watch(session, watcher, {"kind": "imoNumber", "value": "9074729"})
    session.commit()
    path = tmp_path / "list.ftm.jsonl"
    lines = [
        {
            "id": "ofac-3",
            "schema": "Vessel",
            "properties": {"name": ["SEA PEARL"], "imoNumber": ["9074729"], "flag": ["km"]},
        }
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    with path.open(encoding="utf-8") as handle:
        screening.load_list(session, "OFAC SDN", handle, source=path.name)
    for _run in range(2):  # a second run finds the same hit: told once
        screening.screen_entities(session, officer, [tanker])
        session.commit()

    assert [n.message for n in told(session, watcher)] == [
        "{watched}, which you watch, has a screening hit"
    ]
