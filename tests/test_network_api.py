"""The network API: owners, neighbourhoods, case graphs, paths, links, exports and analyses."""

import io
import json

import networkx as nx
import pytest
from sqlalchemy import select

from assettrack.models import AuditEntry
from assettrack.models import Organisation
from assettrack.services import entities as entity_service
from tests.conftest import bearer
from tests.test_network_store import Builder

ANTWERP_CONTACT = "liaison@antwerpen.example"


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM")


@pytest.fixture
def case(officer, make_case):
    return make_case(officer, title="Nordzee Trader seizure")


@pytest.fixture
def build(session, officer, case):
    return Builder(session, officer, case)


@pytest.fixture
def headers(officer, token_for):
    return bearer(token_for(officer))


@pytest.fixture
def gasgrid(build):
    ministry = build.entity("Organization", "Ministry of Finance")
    subsidiary = build.entity("Company", "Suomen Kaasuverkko Oy")
    grid = build.entity("Company", "Gasgrid Finland Oy")
    build.owns(ministry, grid, "23.5")
    build.owns(ministry, subsidiary, "100")
    build.owns(subsidiary, grid, "76.5")
    return ministry, subsidiary, grid


@pytest.fixture
def antwerp(session, make_user, make_case):
    """An officer of BEANR, with a contact address for hit/no-hit enquiries, and their case."""
    org = session.scalar(select(Organisation).where(Organisation.code == "BEANR"))
    org.contact_email = ANTWERP_CONTACT
    session.add(org)
    session.commit()
    user = make_user("officer", "BEANR")
    return user, make_case(user, title="Operation Scheldt Ghost", tlp="RED")


def audit_entries(session, action=None):
    stmt = select(AuditEntry).order_by(AuditEntry.seq)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(session.scalars(stmt))


# --- owners -----------------------------------------------------------------------------------


@pytest.mark.backends
def test_owners_of_gasgrid_in_the_promised_shape(client, session, headers, gasgrid):
    ministry, subsidiary, grid = gasgrid

    response = client.get(f"/api/v1/entities/{grid}/owners?as_of=2025-01-01", headers=headers)

    assert response.status_code == 200
    body = response.json
    assert set(body) >= {"owners", "declared", "warnings"}
    (owner,) = body["owners"]
    assert set(owner) >= {
        "id",
        "name",
        "schema",
        "share",
        "share_min",
        "share_max",
        "paths",
        "flags",
    }
    assert (owner["id"], owner["name"], owner["schema"]) == (
        ministry,
        "Ministry of Finance",
        "Organization",
    )
    assert owner["share"] == owner["share_min"] == owner["share_max"] == 100
    assert [(p["nodes"], p["share"]) for p in owner["paths"]] == [
        ([ministry, subsidiary, grid], 76.5),
        ([ministry, grid], 23.5),
    ]
    assert body["declared"] == [] and body["warnings"] == []
    (read,) = [e for e in audit_entries(session, "read") if e.object_id == str(grid)]
    assert json.loads(read.details)["view"] == "owners"


@pytest.mark.backends
def test_owners_threshold_and_unknown_share(client, headers, build):
    person = build.entity("Person", "Small Holder")
    big = build.entity("Person", "Big Holder")
    wallet_holder = build.entity("Person", "Wallet Holder")
    company = build.entity("Company", "Thresholds BV")
    build.owns(person, company, "10")
    build.owns(big, company, "90")
    wallet = build.entity(
        "CryptoWallet",
        publicKey="bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        holder=str(wallet_holder),
    )

    default = client.get(f"/api/v1/entities/{company}/owners", headers=headers).json
    everyone = client.get(f"/api/v1/entities/{company}/owners?threshold=0", headers=headers).json
    held = client.get(f"/api/v1/entities/{wallet}/owners", headers=headers).json

    assert [o["id"] for o in default["owners"]] == [big]
    assert [o["id"] for o in everyone["owners"]] == [big, person]
    (holder,) = held["owners"]
    assert (holder["id"], holder["share"], holder["share_min"], holder["share_max"]) == (
        wallet_holder,
        None,
        0,
        100,
    )
    assert "unknown_share" in holder["flags"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("as_of=2025-13-01", "as_of"),
        ("as_of=yesterday", "as_of"),
        ("threshold=101", "threshold"),
        ("threshold=abc", "threshold"),
    ],
)
def test_bad_owner_parameters_get_422_naming_them(client, headers, gasgrid, query, parameter):
    response = client.get(f"/api/v1/entities/{gasgrid[2]}/owners?{query}", headers=headers)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert [e["parameter"] for e in response.json["errors"]] == [parameter]


# --- neighbourhoods ---------------------------------------------------------------------------


@pytest.mark.backends
def test_entity_network_in_the_promised_shape(client, session, headers, build):
    person = build.entity("Person", "Jan Smit")
    company = build.entity("Company", "Smit Shipping BV")
    vessel = build.entity("Vessel", "Nordzee Trader", imoNumber="IMO 9074729")
    build.link("Directorship", person, company, role="director")
    build.owns(company, vessel, "60")

    response = client.get(f"/api/v1/entities/{person}/network?depth=2&limit=50", headers=headers)

    assert response.status_code == 200
    body = response.json
    assert body["truncated"] is False
    assert {n["id"] for n in body["nodes"]} == {person, company, vessel}
    node = next(n for n in body["nodes"] if n["id"] == vessel)
    assert (node["schema"], node["name"], node["organisation"]) == (
        "Vessel",
        "Nordzee Trader",
        "NLRTM",
    )
    ownership = next(e for e in body["edges"] if e["schema"] == "Ownership")
    assert (ownership["source"], ownership["target"], ownership["percentage"]) == (
        company,
        vessel,
        "60",
    )
    assert ownership["label"] == "60 %"
    (read,) = [e for e in audit_entries(session, "read") if e.object_id == str(person)]
    details = json.loads(read.details)
    assert details["view"] == "network" and set(details["nodes"]) == {person, company, vessel}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("depth=9", "depth"), ("depth=0", "depth"), ("depth=two", "depth"), ("limit=0", "limit")],
)
def test_bad_network_parameters_get_422_naming_them(client, headers, build, query, parameter):
    person = build.entity("Person", "Jan Smit")

    response = client.get(f"/api/v1/entities/{person}/network?{query}", headers=headers)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"] == [
        {"parameter": parameter, "detail": response.json["errors"][0]["detail"]}
    ]
    assert "from" in response.json["errors"][0]["detail"]


@pytest.mark.backends
def test_hub_neighbourhood_says_it_was_truncated(client, headers, build):
    notary = build.entity("Person", "Busy Notary")
    for i in range(12):
        build.link("Representation", notary, build.entity("Company", f"Client {i}"))

    body = client.get(f"/api/v1/entities/{notary}/network?limit=5", headers=headers).json

    assert body["truncated"] is True
    assert len(body["nodes"]) == 5


@pytest.mark.backends
def test_another_citys_entity_is_not_found(client, headers, build, antwerp):
    user, their_case = antwerp
    theirs = build.entity("Company", "Antwerp Only NV", case=their_case, user=user)
    other = build.entity("Company", "Ours BV")

    for url in (
        f"/api/v1/entities/{theirs}/network",
        f"/api/v1/entities/{theirs}/owners",
        f"/api/v1/entities/{theirs}/links",
        f"/api/v1/paths?from={other}&to={theirs}",
        f"/api/v1/cases/{their_case.id}/network",
        f"/api/v1/cases/{their_case.id}/network.svg",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert "Antwerp Only" not in response.get_data(as_text=True)
        assert "Scheldt" not in response.get_data(as_text=True)
    for kind in ("gexf", "graphml", "diagram"):
        response = client.post("/api/v1/reports", json={"kind": kind, "case": their_case.id,
                                                        "justification": "JIT"}, headers=headers)
        assert response.status_code == 404, kind


# --- case graphs and exports ------------------------------------------------------------------


@pytest.fixture
def case_graph(build):
    suspect = build.entity("Person", "Jan Smit", role="suspect")
    company = build.entity("Company", "Smit Shipping BV", role="associate")
    vessel = build.entity("Vessel", "Nordzee Trader", imoNumber="IMO 9074729")
    account = build.entity("BankAccount", iban="NL91ABNA0417164300")
    build.link("Directorship", suspect, company, role="director")
    build.owns(company, vessel, "100")
    build.link("Payment", company, account, amount="25000", currency="EUR")
    return suspect, company, vessel, account


@pytest.mark.backends
def test_case_network_has_brokers_and_communities(client, session, headers, case, case_graph):
    suspect, company, vessel, account = case_graph

    response = client.get(f"/api/v1/cases/{case.id}/network", headers=headers)

    assert response.status_code == 200
    body = response.json
    assert body["truncated"] is False
    nodes = {n["id"]: n for n in body["nodes"]}
    assert set(nodes) == set(case_graph)
    assert nodes[suspect]["role"] == "suspect" and nodes[suspect]["in_case"] is True
    assert max(nodes.values(), key=lambda n: n["betweenness"])["id"] == company
    assert nodes[company]["degree"] == 1.0
    assert all(isinstance(n["community"], int) for n in nodes.values())
    assert {e["schema"] for e in body["edges"]} == {"Directorship", "Ownership", "Payment"}
    (read,) = [e for e in audit_entries(session, "read") if e.object_type == "case"]
    assert json.loads(read.details)["view"] == "network"


@pytest.mark.backends
def test_gexf_and_graphml_parse_back(client, session, headers, case, case_graph):
    files = []
    for kind in ("gexf", "graphml"):
        issued = client.post("/api/v1/reports", json={"kind": kind, "case": case.id,
                                                      "justification": "JIT"}, headers=headers)
        with client.get(issued.json["links"]["file"], headers=headers) as response:
            response.get_data()
            files.append(response)
    gexf, graphml = files

    for response, reader, suffix in (
        (gexf, nx.read_gexf, "gexf"),
        (graphml, nx.read_graphml, "graphml"),
    ):
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert disposition.rstrip('"').endswith(f".{suffix}")
        graph = reader(io.BytesIO(response.data))
        assert graph.number_of_nodes() == 4 and graph.number_of_edges() == 3
        schemata = {data["schema"] for _, data in graph.nodes(data=True)}
        assert schemata == {"Person", "Company", "Vessel", "BankAccount"}
        kinds = {data["schema"] for _, _, data in graph.edges(data=True)}
        assert kinds == {"Directorship", "Ownership", "Payment"}
    assert gexf.mimetype == "application/gexf+xml"
    assert graphml.mimetype == "application/graphml+xml"
    disclosures = audit_entries(session, "disclose")
    assert [json.loads(e.details)["kind"] for e in disclosures] == ["gexf", "graphml"]
    assert all(e.justification == "JIT" for e in disclosures)


@pytest.mark.backends
def test_case_network_svg_draws_every_entity(client, headers, case, case_graph):
    response = client.get(f"/api/v1/cases/{case.id}/network.svg", headers=headers)

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and "TLP:AMBER" in svg
    for name in ("Jan Smit", "Smit Shipping BV", "Nordzee Trader", "100 %"):
        assert name in svg


def test_svg_is_deterministic(client, headers, case, case_graph):
    first = client.get(f"/api/v1/cases/{case.id}/network.svg", headers=headers).data
    second = client.get(f"/api/v1/cases/{case.id}/network.svg", headers=headers).data
    assert first == second


# --- paths ------------------------------------------------------------------------------------


@pytest.mark.backends
def test_paths_in_the_promised_shape(client, session, headers, case_graph):
    suspect, company, vessel, account = case_graph

    response = client.get(f"/api/v1/paths?from={suspect}&to={account}", headers=headers)

    assert response.status_code == 200
    assert response.json["paths"] == [[suspect, company, account]]
    assert response.json["truncated"] is False
    assert {e["schema"] for e in response.json["edges"]} == {"Directorship", "Payment"}
    (read,) = [e for e in audit_entries(session, "read") if e.object_id == str(suspect)]
    assert json.loads(read.details)["view"] == "paths"


@pytest.mark.parametrize(
    ("query", "parameters"),
    [
        ("to=1", ["from"]),
        ("from=x&to=1", ["from"]),
        ("from=1&to=2&max_depth=9", ["max_depth"]),
        ("", ["from", "to"]),
    ],
)
def test_bad_path_parameters_get_422(client, headers, query, parameters):
    response = client.get(f"/api/v1/paths?{query}", headers=headers)

    assert response.status_code == 422
    assert [e["parameter"] for e in response.json["errors"]] == parameters


# --- links across cases and cities ------------------------------------------------------------


@pytest.mark.backends
def test_officer_sees_another_city_only_as_a_hit(client, session, headers, build, antwerp):
    """An officer of NLRTM looking at a vessel that BEANR also holds (same IMO) sees BEANR as a
    hit and nothing of BEANR's case."""
    user, their_case = antwerp
    vessel = build.entity("Vessel", "Nordzee Trader", imoNumber="IMO 9074729")
    theirs = build.entity(
        "Vessel", "Nordzee Trader II", imoNumber="9074729", case=their_case, user=user
    )

    response = client.get(f"/api/v1/entities/{vessel}/links", headers=headers)

    assert response.status_code == 200
    body = response.json
    assert body["hits"] == [
        {"organisation": "BEANR", "contact": ANTWERP_CONTACT, "matched_on": "imoNumber"}
    ]
    assert [c["id"] for c in body["cases"]] == [build.case.id]
    text = response.get_data(as_text=True)
    assert their_case.title not in text
    assert their_case.reference not in text
    assert "Nordzee Trader II" not in text
    assert str(theirs) not in json.dumps(body["hits"])
    combined = audit_entries(session, "combine")
    assert {e.organisation_id for e in combined} == {
        user.organisation_id,
        build.user.organisation_id,
    }
    mine = next(e for e in combined if e.organisation_id == build.user.organisation_id)
    assert json.loads(mine.details)["hits"] == ["BEANR"]


@pytest.mark.backends
def test_liaison_of_both_cities_sees_both_cases_in_full(
    client, session, make_user, token_for, build, antwerp
):
    user, their_case = antwerp
    vessel = build.entity("Vessel", "Nordzee Trader", imoNumber="IMO 9074729")
    build.entity("Vessel", "Nordzee Trader", imoNumber="9074729", case=their_case, user=user)
    liaison = make_user("liaison", "NLRTM", "BEANR")

    body = client.get(f"/api/v1/entities/{vessel}/links", headers=bearer(token_for(liaison))).json

    assert body["hits"] == []
    cases = {c["reference"]: c for c in body["cases"]}
    assert set(cases) == {build.case.reference, their_case.reference}
    theirs = cases[their_case.reference]
    assert (theirs["title"], theirs["organisation"], theirs["matched_on"]) == (
        "Operation Scheldt Ghost",
        "BEANR",
        "imoNumber",
    )
    assert cases[build.case.reference]["matched_on"] is None


@pytest.mark.backends
def test_same_record_in_two_cases_is_listed_and_combined(
    client, session, officer, make_case, headers, build
):
    company = build.entity("Company", "Smit Shipping BV")
    second = make_case(officer, title="Second file")
    entity_service.add_entity_to_case(
        session, officer, second, {"entity_id": company, "role": "suspect"}
    )
    session.commit()

    body = client.get(f"/api/v1/entities/{company}/links", headers=headers).json

    assert sorted((c["id"], c["role"]) for c in body["cases"]) == sorted(
        [(build.case.id, "other"), (second.id, "suspect")]
    )
    assert body["hits"] == []
    (combined,) = [
        json.loads(e.details)
        for e in audit_entries(session, "combine")
        if json.loads(e.details).get("view") == "links"
    ]
    assert combined["cases"] == sorted([build.case.id, second.id])


@pytest.mark.backends
def test_victims_elsewhere_are_not_even_a_hit(client, headers, build, antwerp):
    user, their_case = antwerp
    account = build.entity("BankAccount", iban="NL91ABNA0417164300")
    build.entity(
        "BankAccount", iban="NL91 ABNA 0417 1643 00", case=their_case, user=user, role="victim"
    )

    body = client.get(f"/api/v1/entities/{account}/links", headers=headers).json

    assert body["hits"] == []


# --- stored analyses --------------------------------------------------------------------------


@pytest.mark.backends
def test_analysis_started_from_the_api_is_read_back(client, session, headers, case_graph):
    suspect, company, vessel, account = case_graph

    assert client.get("/api/v1/network/analyses/latest", headers=headers).status_code == 404
    started = client.post("/api/v1/network/analyses", headers=headers)

    assert started.status_code == 202
    job = client.get(started.headers["Location"], headers=headers).json
    assert job["status"] == "done", job
    latest = client.get("/api/v1/network/analyses/latest", headers=headers)
    assert latest.status_code == 200
    body = latest.json
    assert (body["organisation"], body["node_count"], body["edge_count"]) == ("NLRTM", 4, 3)
    assert body["brokers"][0]["id"] == company
    assert set(body["brokers"][0]) == {"id", "name", "schema", "betweenness", "degree", "community"}
    assert (
        client.get("/api/v1/network/analyses/latest?org=BEANR", headers=headers).status_code == 404
    )
