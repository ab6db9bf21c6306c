"""Duplicates and screening on the database: candidates, reviews, merge and undo, hits."""

import json
from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from assettrack.errors import Conflict
from assettrack.errors import Invalid
from assettrack.models import AuditEntry
from assettrack.models import Entity
from assettrack.services import decisions as decision_service
from assettrack.services import duplicates as duplicate_service
from assettrack.services import entities as entity_service
from assettrack.services import screening
from tests.conftest import SHARED_DATA
from tests.conftest import bearer
from tests.conftest import login

DONATIONS = SHARED_DATA / "ftm" / "donations.ftm.jsonl"
ORDER = {
    "authority": "Rechtbank Rotterdam",
    "reference": "RK 26/1234",
    "legal_basis": "Art. 94 Sv",
}


def add(session, user, case, schema, role="other", **props):
    link = entity_service.add_entity_to_case(
        session, user, case, {"schema": schema, "properties": props, "role": role}
    )
    return link.entity_id


def load_donation_parties(session, officer, case) -> dict[str, int]:
    """Add the parties of the donations file to ``case``; return name -> entity id."""
    assert DONATIONS.is_file(), f"shared test data missing: {DONATIONS}"
    ids = {}
    with DONATIONS.open(encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            if item["schema"] not in ("Company", "Person", "Organization"):
                continue
            props = {k: v for k, v in item["properties"].items() if k in ("name", "country")}
            ids[props["name"][0]] = add(session, officer, case, item["schema"], **props)
    session.commit()
    return ids


def pair_of(items, a, b):
    for item in items:
        if {item["a"]["id"], item["b"]["id"]} == {a, b}:
            return item
    return None


@pytest.mark.backends
def test_near_duplicate_donors_are_proposed_with_reasons(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    ids = load_donation_parties(session, officer, make_case(officer))
    assert len(ids) == 95

    items, total = duplicate_service.list_candidates(session, officer, limit=500)
    session.commit()

    assert total == len(items) >= 5
    rath = pair_of(
        items, ids["Dr. Rath Health Programs B.V."], ids["Dr. Rath Health Programms B.V."]
    )
    assert rath is not None
    assert rath["explanation"][0]["text"] == (
        "names 'Dr. Rath Health Programs B.V.' and 'Dr. Rath Health Programms B.V.' "
        "are 95 % similar (+0.72)"
    )
    quandt = pair_of(items, ids["Frau Johanna Quandt"], ids["Johanna Quandt"])
    assert [f["text"] for f in quandt["explanation"]] == [
        "names 'Frau Johanna Quandt' and 'Johanna Quandt' are 100 % similar (+0.75)",
        "both linked to DE (+0.05)",
    ]
    bmw = pair_of(items, ids["Bayerische Motorenwerke AG"], ids["Bayerische Motorenwerke (BMW) AG"])
    assert bmw["score"] > 0.7
    # Relatives at one address are not the same donor.
    assert pair_of(items, ids["Frau Johanna Quandt"], ids["Herr Stefan Quandt"]) is None


@pytest.mark.backends
def test_reviewed_pairs_are_never_proposed_again(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    jan = add(session, officer, case, "Person", name="Jan de Vries", birthDate="1971-02-03")
    jan2 = add(session, officer, case, "Person", name="Jan de Vries", birthDate="1971-02-03")
    piet = add(session, officer, case, "Person", name="Piet Bakker")
    piet2 = add(session, officer, case, "Person", name="Piet Bakkers")
    session.commit()
    items, _ = duplicate_service.list_candidates(session, officer)
    assert {frozenset((i["a"]["id"], i["b"]["id"])) for i in items} == {
        frozenset((jan, jan2)),
        frozenset((piet, piet2)),
    }

    duplicate_service.review(session, officer, jan2, jan, "not_same")
    duplicate_service.review(session, officer, piet, piet2, "unsure")
    session.commit()
    # A fresh search (the entities changed) still leaves them out.
    duplicate_service.scan(session, officer.organisation_id)
    session.commit()
    assert duplicate_service.list_candidates(session, officer) == ([], 0)


@pytest.mark.backends
def test_no_candidate_crosses_organisations(session, make_user, make_case):
    rotterdam = make_user("officer", "NLRTM")
    antwerp = make_user("officer", "BEANR")
    liaison = make_user("liaison", "NLRTM", "BEANR")
    for officer in (rotterdam, antwerp):
        case = make_case(officer)
        add(session, officer, case, "Company", name="Atlas Shipping BV", country="nl")
    case = make_case(rotterdam)
    add(session, rotterdam, case, "Company", name="Atlas Shipping B.V.", country="nl")
    session.commit()

    items, total = duplicate_service.list_candidates(session, liaison)
    assert total == 1
    pair = items[0]
    assert pair["organisation"] == "NLRTM"
    orgs = {session.get(Entity, pair[k]["id"]).organisation_id for k in ("a", "b")}
    assert orgs == {rotterdam.organisation_id}
    assert duplicate_service.list_candidates(session, antwerp) == ([], 0)
    ids = [pair["a"]["id"], _entity_of(session, antwerp.organisation_id)]
    with pytest.raises(Invalid, match="no entity .* within your organisations"):
        duplicate_service.merge(session, rotterdam, *ids)
    with pytest.raises(Invalid, match="two organisations"):
        duplicate_service.merge(session, liaison, *ids)


def _entity_of(session, organisation_id):
    return session.scalar(select(Entity.id).where(Entity.organisation_id == organisation_id))


def snapshot(session) -> dict:
    """Every row of the tables a merge touches, as plain values, in a stable order."""
    tables = (
        "entity",
        "entity_identifier",
        "case_entity",
        "relation",
        "asset",
        "decision",
        "decision_asset",
        "valuation",
        "ledger_entry",
        "manager_assignment",
    )
    out = {}
    for name in tables:
        table = SQLModel.metadata.tables[name]
        rows = session.execute(select(table)).mappings().all()
        out[name] = sorted((dict(r) for r in rows), key=lambda r: json.dumps(r, default=str))
    return out


@pytest.mark.backends
def test_merge_moves_everything_and_undo_restores_the_original_state(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    first, second = make_case(officer), make_case(officer, title="Second case")
    kees = add(session, officer, first, "Person", "associate", name="Kees Jansen")
    kees2 = add(session, officer, first, "Person", "suspect", name="K. Jansen", nationality="nl")
    entity_service.add_entity_to_case(
        session, officer, second, {"entity_id": kees2, "role": "enabler"}
    )
    other = add(session, officer, first, "Person", name="Marieke Jansen")
    boat = add(session, officer, first, "Vessel", name="Zeemeeuw", imoNumber="9074729")
    boat2 = entity_service.add_entity_to_case(
        session,
        officer,
        second,
        {
            "schema": "Vessel",
            "properties": {"name": "Zee Meeuw", "imoNumber": "9074729"},
            "estimated_value": "250000",
        },
    ).entity_id
    for data in (
        {"schema": "Family", "source": kees2, "target": other, "role": "brother"},
        {"schema": "Associate", "source": kees, "target": kees2},
        {"schema": "Ownership", "source": kees2, "target": boat2, "percentage": "100"},
    ):
        entity_service.create_relation(session, officer, data)
    session.commit()
    decision_service.record_decision(
        session,
        officer,
        second,
        {
            "action": "freeze",
            "asset_ids": [boat2],
            "decided_on": date(2026, 3, 2).isoformat(),
            "urgent": False,
            **ORDER,
        },
    )
    session.commit()
    before = snapshot(session)

    boats = duplicate_service.merge(session, officer, boat, boat2)
    people = duplicate_service.merge(session, officer, kees, kees2)
    session.commit()

    summary = json.loads(people.plan)["summary"]
    assert summary["case_roles"] == [
        {
            "case_id": first.id,
            "action": "combined",
            "role": "suspect",
            "roles": ["associate", "suspect"],
        },
        {"case_id": second.id, "action": "moved", "role": "enabler"},
    ]
    assert len(summary["relations"]) == 2 and len(summary["relations_left"]) == 1
    boat_summary = json.loads(boats.plan)["summary"]
    assert boat_summary["asset"] == {"action": "combined", "stage": "frozen", "state_from": boat2}
    assert len(boat_summary["decisions"]) == 1 and len(boat_summary["valuations"]) == 1
    assert session.get(Entity, kees2).merged_into_id == kees
    kept = entity_service.entity_as_dict(session, session.get(Entity, kees))
    assert [(c["reference"], c["role"]) for c in kept["cases"]] == sorted(
        [(first.reference, "suspect"), (second.reference, "enabler")]
    )
    assert kept["properties"]["alias"] == ["K. Jansen"]
    assert entity_service.entity_as_dict(session, session.get(Entity, boat))["asset"]["stage"] == (
        "frozen"
    )
    combines = session.scalars(select(AuditEntry).where(AuditEntry.action == "combine")).all()
    plan_entry = next(e for e in combines if json.loads(e.details).get("merge_record") == people.id)
    assert json.loads(plan_entry.details)["operations"]

    # The boats' merge came first and shares no row with the people's: either order undoes.
    duplicate_service.undo_merge(session, officer, boats.id)
    duplicate_service.undo_merge(session, officer, people.id)
    session.commit()
    assert snapshot(session) == before
    with pytest.raises(Conflict):
        duplicate_service.undo_merge(session, officer, people.id)


@pytest.mark.backends
def test_undo_is_refused_after_a_later_decision_on_the_survivor(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    boat = add(session, officer, case, "Vessel", name="Zeemeeuw")
    boat2 = add(session, officer, case, "Vessel", name="Zee Meeuw")
    session.commit()
    record = duplicate_service.merge(session, officer, boat, boat2)
    session.commit()
    decision_service.record_decision(
        session,
        officer,
        case,
        {"action": "freeze", "asset_ids": [boat], "decided_on": "2026-03-02", **ORDER},
    )
    session.commit()
    with pytest.raises(Conflict, match="cannot be undone exactly"):
        duplicate_service.undo_merge(session, officer, record.id)


@pytest.mark.backends
def test_two_assets_with_legal_states_are_not_merged(session, make_user, make_case):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    boats = [add(session, officer, case, "Vessel", name=n) for n in ("Zeemeeuw", "Zee Meeuw")]
    session.commit()
    decision_service.record_decision(
        session,
        officer,
        case,
        {"action": "freeze", "asset_ids": boats, "decided_on": "2026-03-02", **ORDER},
    )
    session.commit()
    with pytest.raises(Conflict, match="still traced"):
        duplicate_service.merge(session, officer, *boats)


SANCTIONS = [
    {
        "id": "ofac-1",
        "schema": "Person",
        "properties": {
            "name": ["Viktor Sergeyevich ORLOV"],
            "alias": ["Виктор Орлов"],
            "birthDate": ["1962-07-14"],
            "nationality": ["ru"],
        },
    },
    {
        "id": "ofac-2",
        "schema": "Person",
        "properties": {"name": ["Ahmed Karimi"], "birthDate": ["1980"]},
    },
    {
        "id": "ofac-3",
        "schema": "Vessel",
        "properties": {"name": ["SEA PEARL"], "imoNumber": ["9074729"], "flag": ["km"]},
    },
    {
        "id": "ofac-4",
        "schema": "Company",
        "properties": {"name": ["Baltic Bunkering Ltd"], "jurisdiction": ["cy"]},
    },
    {
        "id": "s-1",
        "schema": "Sanction",
        "properties": {"entity": ["ofac-1"], "program": ["RUSSIA-EO14024"], "authority": ["OFAC"]},
    },
    {
        "id": "s-3",
        "schema": "Sanction",
        "properties": {
            "entity": ["ofac-3"],
            "program": ["IRAN-EO13846"],
            "authority": ["OFAC"],
            "reason": ["Transport of petroleum"],
        },
    },
    {"id": "addr", "schema": "Address", "properties": {"full": ["Limassol"]}},
]


@pytest.mark.backends
def test_screening_hits_carry_their_reasons(session, make_user, make_case, tmp_path):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    orlov = add(
        session, officer, case, "Person", "suspect", name="Viktor Orlov", birthDate="1962-07-14"
    )
    tanker = add(session, officer, case, "Vessel", name="Marina", imoNumber="IMO 9074729")
    karimi = add(session, officer, case, "Person", name="Ahmed Karimi", birthDate="1991-01-01")
    bystander = add(session, officer, case, "Company", name="Rotterdam Bunkers BV")
    session.commit()
    path = tmp_path / "sanctions.ftm.jsonl"
    path.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in SANCTIONS) + "\n")

    with path.open(encoding="utf-8") as lines:
        listing = screening.load_list(session, "OFAC SDN", lines, source=path.name)
    assert listing.entry_count == 4
    hits = screening.screen_entities(session, officer, [orlov, tanker, karimi, bystander])
    session.commit()

    assert {h.entity_id for h in hits} == {orlov, tanker}
    by_entity = {h["entity"]["id"]: h for h in screening.hits_for_case(session, officer, case.id)}
    person = by_entity[orlov]
    assert person["entry"]["sanctions"] == ["RUSSIA-EO14024 — OFAC"]
    assert [f["text"] for f in person["explanation"]] == [
        "names 'Viktor Orlov' and 'Виктор Орлов' are 100 % similar (+0.75)",
        "same birth date 1962-07-14 (+0.20)",
    ]
    vessel = screening.hits_for_entity(session, officer, tanker)[0]
    assert vessel["explanation"][0]["text"].startswith("both have IMO 9074729 (near-certain)")
    assert vessel["entry"]["sanctions"] == ["IRAN-EO13846 — OFAC — Transport of petroleum"]


def test_pages_api_and_commands(app, client, session, make_user, make_case, token_for, tmp_path):
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    a = add(session, officer, case, "Company", name="Atlas Shipping BV", country="nl")
    b = add(session, officer, case, "Company", name="Atlas Shipping B.V.", country="nl")
    c = add(session, officer, case, "Person", name="Jan de Vries")
    d = add(session, officer, case, "Person", name="Jan de Vries")
    session.commit()
    headers = bearer(token_for(officer))

    # A GET reads the last search; searching writes, so it is a POST.
    assert client.get("/api/v1/duplicates", headers=headers).get_json()["total"] == 0
    scan = client.post("/api/v1/duplicates/scan", headers=headers).get_json()
    assert scan["organisation"] == "NLRTM" and scan["candidates"] == 2
    body = client.get("/api/v1/duplicates", headers=headers).get_json()
    assert body["total"] == 2
    assert body["items"][0]["explanation"][0]["text"].startswith("names 'Atlas Shipping BV'")
    reply = client.post(
        "/api/v1/duplicates/review", json={"a": c, "b": d, "verdict": "not_same"}, headers=headers
    )
    assert reply.status_code == 200
    assert client.get("/api/v1/duplicates", headers=headers).get_json()["total"] == 1
    merged = client.post("/api/v1/entities/merge", json={"keep": a, "merge": b}, headers=headers)
    assert merged.status_code == 200
    record = merged.get_json()["id"]
    again = client.post("/api/v1/entities/merge", json={"keep": a, "merge": b}, headers=headers)
    assert again.status_code == 409
    undone = client.post(f"/api/v1/merges/{record}/undo", headers=headers)
    assert undone.status_code == 200 and undone.get_json()["undone_at"]

    login(client, officer)
    page = client.get("/duplicates/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Atlas Shipping B.V." in html and "Undo" in html
    assert "<script>" not in html and "style=" not in html
    reply = client.post("/duplicates/review", data={"a": a, "b": b, "verdict": "same"})
    assert reply.status_code == 302 and "/duplicates/merge" in reply.location
    assert client.get(reply.location).status_code == 200
    reply = client.post("/duplicates/merge", data={"a": a, "b": b, "keep": b})
    assert reply.status_code == 302
    assert session.get(Entity, a).merged_into_id == b

    runner = app.test_cli_runner()
    out = runner.invoke(args=["duplicates", "find", "--org", "NLRTM"])
    assert out.exit_code == 0, out.output
    assert "NLRTM: 3 entities" in out.output
    path = tmp_path / "list.jsonl"
    path.write_text(json.dumps(SANCTIONS[3]) + "\n")
    out = runner.invoke(args=["screen-list", "add", "EU", str(path)])
    assert out.exit_code == 0 and "1 entries" in out.output, out.output
    out = runner.invoke(args=["screen-list", "run", "--org", "NLRTM"])
    assert out.exit_code == 0 and "NLRTM: 3 entities screened, 0 hits" in out.output, out.output
