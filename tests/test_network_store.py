"""The network store: bounded SQL fetches of the entity graph, on SQLite and PostgreSQL.

Graphs are built the way users build them (``add_entity_to_case`` + ``create_relation``), then
fetched by the store and answered by the pure core; answers are checked against known cases
(Gasgrid Finland) and against a second computation (brute-force path enumeration, networkx).
"""

import random
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import networkx as nx
import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text

from assettrack import access
from assettrack.models import Entity
from assettrack.models import EntityIdentifier
from assettrack.models import EntityMetric
from assettrack.models import NetworkAnalysis
from assettrack.models import Organisation
from assettrack.models import Relation
from assettrack.network import analysis
from assettrack.network import store
from assettrack.services import entities as entity_service
from assettrack.services import network as network_service

AS_OF = date(2025, 6, 1)


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM")


@pytest.fixture
def case(officer, make_case):
    return make_case(officer, title="Gas grid holdings")


@pytest.fixture
def build(session, officer, case):
    """``build.entity("Company", "Acme")`` and ``build.link("Ownership", a, b, percentage=..)``."""
    return Builder(session, officer, case)


class Builder:
    def __init__(self, session, user, case):
        self.session, self.user, self.case = session, user, case

    def entity(self, schema, name=None, *, case=None, user=None, role="other", **props):
        properties = {"name": [name]} if name else {}
        properties.update({k: v if isinstance(v, list) else [v] for k, v in props.items()})
        link = entity_service.add_entity_to_case(
            self.session,
            user or self.user,
            case or self.case,
            {"schema": schema, "properties": properties, "role": role},
        )
        self.session.commit()
        return link.entity_id

    def link(self, schema, source, target, *, user=None, **data):
        relation = entity_service.create_relation(
            self.session,
            user or self.user,
            {"schema": schema, "source": source, "target": target, **data},
        )
        self.session.commit()
        return relation.id

    def owns(self, owner, asset, percentage, **data):
        return self.link("Ownership", owner, asset, percentage=percentage, **data)


def orgs_of(session, user):
    return access.readable_organisation_ids(session, user)


def owners_via_store(session, user, target, **kwargs):
    subgraph = store.ownership_ancestors(session, target, orgs_of(session, user), as_of=AS_OF)
    graph = store.as_multidigraph(subgraph)
    return analysis.effective_owners(graph, target, as_of=AS_OF, **kwargs), subgraph


# --- ultimate owners --------------------------------------------------------------------------


@pytest.mark.backends
def test_gasgrid_belongs_to_the_ministry_through_the_store(session, officer, build):
    ministry = build.entity("Organization", "Ministry of Finance")
    subsidiary = build.entity("Company", "Suomen Kaasuverkko Oy")
    gasgrid = build.entity("Company", "Gasgrid Finland Oy")
    build.owns(ministry, gasgrid, "23.5")
    build.owns(ministry, subsidiary, "100")
    build.owns(subsidiary, gasgrid, "76.5")

    result, subgraph = owners_via_store(session, officer, gasgrid)

    assert set(subgraph.nodes) == {ministry, subsidiary, gasgrid}
    assert [(o.id, o.share) for o in result.owners] == [(ministry, Decimal(100))]
    assert [(p.nodes, p.share) for p in result.owners[0].paths] == [
        ([ministry, subsidiary, gasgrid], Decimal("76.5")),
        ([ministry, gasgrid], Decimal("23.5")),
    ]
    assert result.warnings == []


@pytest.mark.backends
def test_cross_holding_cycle_gets_an_answer_and_a_warning(session, officer, build):
    person = build.entity("Person", "Pieter Jansen")
    a = build.entity("Company", "Alpha Holding BV")
    b = build.entity("Company", "Beta Holding BV")
    target = build.entity("Company", "Target Logistics BV")
    build.owns(person, a, "40")
    build.owns(person, b, "60")
    build.owns(b, a, "60")
    build.owns(a, b, "40")
    build.owns(a, target, "100")

    result, subgraph = owners_via_store(session, officer, target, threshold=0)

    expected = analysis.brute_force_effective_shares(store.as_multidigraph(subgraph), target, AS_OF)
    shares = {o.id: o.share for o in result.owners}
    assert list(shares) == [person]
    assert float(shares[person]) == pytest.approx(expected[person])
    assert any(w.startswith("cycle cut at") for w in result.warnings)


@pytest.mark.backends
def test_only_holdings_valid_on_the_day_are_followed(session, officer, build):
    old_owner = build.entity("Person", "Former Owner")
    new_owner = build.entity("Person", "Current Owner")
    company = build.entity("Company", "Havenbedrijf Transport BV")
    build.owns(old_owner, company, "100", end_date="2020-12-31")
    build.owns(new_owner, company, "100", start_date="2021-01-01")

    result, subgraph = owners_via_store(session, officer, company)

    assert [o.id for o in result.owners] == [new_owner]
    assert old_owner not in subgraph.nodes


@pytest.mark.backends
def test_wallet_holder_property_is_ownership_of_unknown_share(session, officer, build):
    person = build.entity("Person", "Sanne de Vries")
    wallet = build.entity(
        "CryptoWallet",
        publicKey="bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        holder=str(person),
    )

    result, subgraph = owners_via_store(session, officer, wallet, threshold=0)

    (edge,) = subgraph.edges
    assert (edge.source, edge.target, edge.schema, edge.role) == (
        person,
        wallet,
        "Ownership",
        "holder",
    )
    (owner,) = result.owners
    assert (owner.id, owner.share, owner.share_max) == (person, None, Decimal(100))
    assert "unknown_share" in owner.flags


@pytest.mark.backends
def test_ten_level_chain_is_followed_to_the_top(session, officer, build):
    chain = [build.entity("Company", f"Layer {i} BV") for i in range(11)]
    top = build.entity("Person", "Beneficial Owner")
    build.owns(top, chain[-1], "100")
    for upper, lower in zip(chain[1:], chain, strict=False):
        build.owns(upper, lower, "90")

    result, _ = owners_via_store(session, officer, chain[0], threshold=0)

    (owner,) = result.owners
    assert owner.id == top
    assert owner.share == Decimal("0.9") ** 10 * 100


# --- neighbourhoods ---------------------------------------------------------------------------


@pytest.mark.backends
def test_neighbourhood_follows_every_kind_of_relation_to_the_depth(session, officer, build):
    person = build.entity("Person", "Jan Smit")
    company = build.entity("Company", "Smit Shipping BV")
    vessel = build.entity("Vessel", "Nordzee Trader", imoNumber="IMO 9074729")
    far = build.entity("Person", "Three Links Away")
    build.link("Directorship", person, company, role="director")
    build.owns(company, vessel, "100")
    build.link("Family", far, vessel)

    one = store.neighbourhood(session, person, orgs_of(session, officer), depth=1)
    two = store.neighbourhood(session, person, orgs_of(session, officer), depth=2)
    three = store.neighbourhood(session, person, orgs_of(session, officer), depth=3)

    assert set(one.nodes) == {person, company}
    assert set(two.nodes) == {person, company, vessel}
    assert set(three.nodes) == {person, company, vessel, far}
    assert three.depth == {person: 0, company: 1, vessel: 2, far: 3}
    assert not three.truncated
    assert {e.schema for e in three.edges} == {"Directorship", "Ownership", "Family"}


@pytest.mark.backends
def test_neighbourhood_is_truncated_at_a_hub(session, officer, build):
    suspect = build.entity("Person", "Suspect")
    notary = build.entity("Person", "Busy Notary")
    build.link("Representation", notary, suspect, role="notary")
    clients = [build.entity("Company", f"Client {i} BV") for i in range(12)]
    for client in clients:
        build.link("Representation", notary, client, role="notary")
    friend = build.entity("Person", "Friend")
    build.link("Associate", suspect, friend)

    orgs = orgs_of(session, officer)
    capped = store.neighbourhood(session, suspect, orgs, depth=2, limit=6, hub_cap=5)

    assert capped.truncated
    assert notary in capped.hubs and capped.hubs[notary] >= 5
    assert len(capped.nodes) == 6
    # The non-hub neighbours come first: the friend is never crowded out by the notary's clients.
    assert {suspect, notary, friend} <= set(capped.nodes)

    free = store.neighbourhood(session, suspect, orgs, depth=2, limit=500, hub_cap=50)
    assert not free.truncated and set(clients) <= set(free.nodes)

    centre = store.neighbourhood(session, notary, orgs, depth=1, limit=4, hub_cap=5)
    assert centre.truncated and len(centre.nodes) == 4


@pytest.mark.backends
def test_neighbourhood_never_reaches_another_organisation(session, make_user, make_case, build):
    antwerp = make_user("officer", "BEANR")
    antwerp_case = make_case(antwerp, title="Schelde")
    vessel = build.entity("Vessel", "Nordzee Trader", imoNumber="IMO 9074729")
    theirs = build.entity(
        "Vessel", "Nordzee Trader", imoNumber="IMO 9074729", case=antwerp_case, user=antwerp
    )
    owner = build.entity("Company", "Schelde Ship Owner NV", case=antwerp_case, user=antwerp)
    build.owns(owner, theirs, "100", user=antwerp)

    nlrtm = store.neighbourhood(session, vessel, orgs_of(session, build.user), depth=3)
    assert set(nlrtm.nodes) == {vessel}

    # A liaison reading both cities sees the two records of the ship linked by their IMO number.
    both = {o.id for o in session.scalars(select(Organisation)) if o.code in ("NLRTM", "BEANR")}
    linked = store.neighbourhood(session, vessel, both, depth=2)
    assert set(linked.nodes) == {vessel, theirs, owner}
    (same,) = [e for e in linked.edges if e.schema == "SameAs"]
    assert same.role == "imoNumber"


# --- paths ------------------------------------------------------------------------------------


@pytest.mark.backends
def test_path_crosses_relation_kinds_both_ways(session, officer, build):
    a = build.entity("Person", "Anna")
    x = build.entity("Company", "Xylo BV")
    b = build.entity("Person", "Bram")
    c = build.entity("Person", "Cor")
    build.link("Payment", a, x, amount="15000", currency="EUR")
    build.owns(b, x, "50")
    build.link("Family", c, b)
    orgs = orgs_of(session, officer)

    found = store.shortest_paths(session, a, c, orgs)

    assert found.paths == [[a, x, b, c]]
    assert {e.schema for e in found.edges} == {"Payment", "Ownership", "Family"}
    assert set(found.nodes) == {a, x, b, c}
    assert not found.truncated
    everything = store.as_multidigraph(store.neighbourhood(session, a, orgs, depth=3))
    assert found.paths == analysis.shortest_paths(everything, a, c)

    y = build.entity("Company", "Yacht Charter BV")
    build.link("Employment", a, y)
    build.link("Associate", y, c)
    assert store.shortest_paths(session, c, a, orgs).paths == [[c, y, a]]


@pytest.mark.backends
def test_all_shortest_paths_and_the_depth_limit(session, officer, build):
    a = build.entity("Person", "Start")
    mids = [build.entity("Company", f"Middle {i} BV") for i in range(3)]
    end = build.entity("Person", "End")
    for mid in mids:
        build.link("UnknownLink", a, mid)
        build.link("Payment", mid, end, amount="10", currency="EUR")
    orgs = orgs_of(session, officer)

    found = store.shortest_paths(session, end, a, orgs)
    assert found.paths == [[end, mid, a] for mid in sorted(mids)]

    assert store.shortest_paths(session, a, end, orgs, max_depth=1).paths == []
    loner = build.entity("Person", "Unconnected")
    assert store.shortest_paths(session, a, loner, orgs).paths == []


@pytest.mark.backends
def test_path_meets_at_a_hub_without_expanding_it(session, officer, build):
    a = build.entity("Person", "Client A")
    b = build.entity("Person", "Client B")
    notary = build.entity("Person", "Notary")
    for person in (a, b):
        build.link("Representation", notary, person, role="notary")
    for i in range(8):
        build.link("Representation", notary, build.entity("Company", f"Other {i}"), role="notary")

    found = store.shortest_paths(session, a, b, orgs_of(session, officer), hub_cap=4)

    assert found.paths == [[a, notary, b]]


@pytest.mark.backends
def test_random_graph_paths_match_networkx(session, officer, build):
    rng = random.Random(7)
    nodes = [build.entity("Company", f"Random {i}") for i in range(25)]
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    for _ in range(30):
        u, v = rng.sample(nodes, 2)
        build.link(rng.choice(["Associate", "Payment", "Directorship"]), u, v)
        graph.add_edge(u, v)
    orgs = orgs_of(session, officer)
    for _ in range(15):
        u, v = rng.sample(nodes, 2)
        found = store.shortest_paths(session, u, v, orgs, max_depth=8, max_paths=1000)
        if nx.has_path(graph, u, v):
            expected = sorted(nx.all_shortest_paths(graph, u, v), key=lambda p: [str(n) for n in p])
            assert found.paths == expected
        else:
            assert found.paths == []


# --- case graphs and brokers ------------------------------------------------------------------


@pytest.mark.backends
def test_case_graph_holds_the_case_and_expands_one_hop(session, officer, make_case, build):
    a = build.entity("Person", "Inside A")
    b = build.entity("Company", "Inside B")
    other_case = make_case(officer, title="Elsewhere")
    outside = build.entity("Person", "Outside", case=other_case)
    build.link("Directorship", a, b)
    build.link("Associate", b, outside)
    orgs = orgs_of(session, officer)

    plain = store.case_graph(session, build.case.id, orgs)
    expanded = store.case_graph(session, build.case.id, orgs, expand=True)

    assert set(plain.nodes) == {a, b} and len(plain.edges) == 1
    assert set(expanded.nodes) == {a, b, outside}
    assert expanded.depth[outside] == 1 and len(expanded.edges) == 2


@pytest.mark.backends
def test_case_brokers_rank_the_bridge_and_split_the_communities(session, officer, build):
    left = [build.entity("Person", f"Left {i}") for i in range(4)]
    right = [build.entity("Person", f"Right {i}") for i in range(4)]
    bridge = build.entity("Company", "Bridge BV")
    for group in (left, right):
        for i, u in enumerate(group):
            for v in group[i + 1 :]:
                build.link("Associate", u, v)
    build.link("Payment", left[0], bridge, amount="1", currency="EUR")
    build.link("Payment", bridge, right[0], amount="1", currency="EUR")

    subgraph = store.case_graph(session, build.case.id, orgs_of(session, officer))
    metrics = network_service.case_brokers(subgraph)

    best = max(metrics, key=lambda n: metrics[n]["betweenness"])
    assert best == bridge
    assert len({metrics[n]["community"] for n in left}) == 1
    assert len({metrics[n]["community"] for n in right}) == 1
    assert metrics[left[1]]["community"] != metrics[right[1]]["community"]
    reference = analysis.brokers(store.as_multidigraph(subgraph))
    for node, values in metrics.items():
        assert values["degree"] == pytest.approx(reference[node]["degree"], abs=1e-6)
        assert values["betweenness"] == pytest.approx(reference[node]["betweenness"], abs=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_igraph_brokers_match_networkx_on_random_graphs(seed):
    rng = random.Random(seed)
    n = rng.randint(3, 60)
    edges = [
        store.Edge(i, "Associate", *rng.sample(range(n), 2)) for i in range(rng.randint(0, 3 * n))
    ]
    edges.append(store.Edge("x", "Family", 0, 0))  # a self-link counts for nothing
    subgraph = store.Subgraph({i: store.Node(i, 1, "Person", str(i)) for i in range(n)}, edges)

    metrics = network_service.case_brokers(subgraph)
    reference = analysis.brokers(store.as_multidigraph(subgraph), k=n)

    for node in range(n):
        assert metrics[node]["degree"] == pytest.approx(reference[node]["degree"], abs=1e-6)
        assert metrics[node]["betweenness"] == pytest.approx(
            reference[node]["betweenness"], abs=1e-6
        )


def test_igraph_communities_match_networkx_on_clear_clusters():
    edges = []
    for block in range(4):
        members = range(block * 6, block * 6 + 6)
        edges += [(u, v) for u in members for v in members if u < v]
    edges += [(0, 6), (6, 12), (12, 18)]
    graph = nx.MultiDiGraph(edges)
    subgraph = store.Subgraph(
        {i: store.Node(i, 1, "Person", str(i)) for i in graph},
        [store.Edge(i, "Associate", u, v) for i, (u, v) in enumerate(edges)],
    )

    metrics = network_service.case_brokers(subgraph)

    found = {}
    for node, values in metrics.items():
        found.setdefault(values["community"], set()).add(node)
    assert sorted(map(sorted, found.values())) == sorted(map(sorted, analysis.communities(graph)))


def test_two_thousand_entity_case_graph_scores_every_broker_as_networkx_does():
    # Speed is measured in benchmarks/bench_network.py; here the compiled scores must agree
    # with networkx's exact betweenness on the same preferential-attachment graph.
    rng = random.Random(1)
    ends, edges = [0, 1, 2], []
    for v in range(3, 2000):
        for _ in range(3):
            u = rng.choice(ends)
            edges.append(store.Edge(len(edges), "Associate", v, u))
            ends += [u, v]
    subgraph = store.Subgraph({i: store.Node(i, 1, "Person", str(i)) for i in range(2000)}, edges)

    metrics = network_service.case_brokers(subgraph)

    assert len(metrics) == 2000
    simple = nx.Graph((e.source, e.target) for e in edges if e.source != e.target)
    expected = nx.betweenness_centrality(simple)
    top = sorted(expected, key=expected.get, reverse=True)[:20]
    assert [round(metrics[n]["betweenness"], 4) for n in top] == [
        round(expected[n], 4) for n in top
    ]


# --- whole-graph analytics --------------------------------------------------------------------


@pytest.mark.backends
def test_analyse_stores_metrics_of_one_organisation_only(
    session, officer, make_user, make_case, build
):
    antwerp = make_user("officer", "BEANR")
    antwerp_case = make_case(antwerp, title="Schelde")
    theirs = [
        build.entity("Person", f"Antwerp {i}", case=antwerp_case, user=antwerp) for i in range(3)
    ]
    build.link("Associate", theirs[0], theirs[1], user=antwerp)
    hub = build.entity("Company", "Hub BV")
    spokes = [build.entity("Person", f"Spoke {i}") for i in range(5)]
    for spoke in spokes:
        build.link("Employment", spoke, hub)
    wallet = build.entity(
        "CryptoWallet",
        publicKey="bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        holder=str(spokes[0]),
    )
    nlrtm = session.get(Organisation, officer.organisation_id)

    row = network_service.analyse_organisation(session, nlrtm)
    session.commit()

    metrics = {
        m.entity_id: m
        for m in session.scalars(select(EntityMetric).where(EntityMetric.analysis_id == row.id))
    }
    assert set(metrics) == {hub, wallet, *spokes}
    assert (row.status, row.node_count, row.edge_count) == ("done", 7, 6)
    assert max(metrics.values(), key=lambda m: m.betweenness).entity_id == hub
    assert metrics[hub].degree == pytest.approx(5 / 6)
    assert "igraph" in row.method and row.community_count >= 1
    stored = session.scalars(select(NetworkAnalysis)).all()
    assert [a.organisation_id for a in stored] == [nlrtm.id]


@pytest.mark.backends
def test_network_analyse_command_prints_the_figures(runner, session, officer, build):
    a = build.entity("Person", "Command A")
    b = build.entity("Person", "Command B")
    build.link("Associate", a, b)

    result = runner.invoke(args=["network", "analyse", "--org", "NLRTM"])

    assert result.exit_code == 0, result.output
    assert "NLRTM: 2 entities, 1 relations" in result.output
    assert session.scalar(select(NetworkAnalysis.node_count)) == 2

    everyone = runner.invoke(args=["network", "analyse"])
    assert everyone.exit_code == 0 and "NLRTM" in everyone.output and "BEANR" not in everyone.output

    unknown = runner.invoke(args=["network", "analyse", "--org", "XXXXX"])
    assert unknown.exit_code != 0 and "XXXXX" in unknown.output


# --- query plans ------------------------------------------------------------------------------


@contextmanager
def captured_sql(engine):
    """Collect (SQL, parameters) of every statement the engine runs."""
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def query_plans(session, statements):
    connection = session.connection().connection.driver_connection
    plans = []
    for statement, parameters in statements:
        rows = connection.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
        plans.append((statement, [row[-1] for row in rows]))
    return plans


def assert_indexed(plans):
    touched_relation = False
    for statement, steps in plans:
        for step in steps:
            assert not step.startswith(("SCAN relation", "SCAN r ", "SCAN entity", "SCAN e ")), (
                f"full scan in {step!r} of\n{statement}"
            )
            assert not step.startswith("SCAN entity_identifier"), step
            if "relation" in step or " r " in step:
                touched_relation = True
                if step.startswith("SEARCH") and "PRIMARY KEY" not in step:
                    assert "ix_relation_source" in step or "ix_relation_target" in step, (
                        f"{step!r} does not use the endpoint indexes in\n{statement}"
                    )
    assert touched_relation


@pytest.fixture
def graph_for_plans(session, officer, build):
    """A small graph inside a bulk-loaded power-law graph of 3,000 entities with a hub and many
    identifiers, so that after ANALYZE the planner has realistic statistics to go wrong with."""
    a = build.entity("Person", "Plan A")
    b = build.entity("Company", "Plan B", registrationNumber="24123456", jurisdiction="nl")
    c = build.entity("Vessel", "Plan C", imoNumber="IMO 9074729")
    d = build.entity("Person", "Plan D")
    build.link("Directorship", a, b)
    build.owns(b, c, "100")
    build.link("Family", d, a)
    org = officer.organisation_id
    now = Relation().created_at
    first = 1 + session.scalar(select(func.max(Entity.id)))
    session.execute(
        insert(Entity.__table__),
        [
            {
                "id": first + i,
                "organisation_id": org,
                "schema": "Company",
                "caption": f"Bulk {i}",
                "caption_norm": f"bulk {i}",
                "properties": "{}",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(3000)
        ],
    )
    rng = random.Random(3)
    ends = [first, first + 1]
    rows = []
    for i in range(2, 3000):
        for _ in range(3):
            target = rng.choice(ends)
            rows.append((first + i, target))
            ends += [first + i, target]
    rows += [(d, first + i) for i in range(300)]  # a hub
    session.execute(
        insert(Relation.__table__),
        [
            {
                "organisation_id": org,
                "schema": rng.choice(["Associate", "Ownership", "Payment"]),
                "source_id": source,
                "target_id": target,
                "properties": "{}",
                "created_at": now,
            }
            for source, target in rows
        ],
    )
    session.execute(
        insert(EntityIdentifier.__table__),
        [{"entity_id": first + i, "kind": "iban", "value": f"NL{i:08d}"} for i in range(3000)],
    )
    session.commit()
    return a, b, c, d


@pytest.mark.parametrize("analyzed", [False, True])
def test_hot_queries_use_the_relation_endpoint_indexes(session, officer, graph_for_plans, analyzed):
    a, b, c, d = graph_for_plans
    if analyzed:
        session.execute(text("ANALYZE"))
        session.commit()
    engine = session.get_bind()
    orgs = orgs_of(session, officer)
    with captured_sql(engine) as neighbourhood_sql:
        store.neighbourhood(session, a, orgs, depth=3, hub_cap=50)
    with captured_sql(engine) as path_sql:
        store.shortest_paths(session, a, c, orgs, hub_cap=50)
    with captured_sql(engine) as owner_sql:
        store.ownership_ancestors(session, c, orgs)
    with captured_sql(engine) as case_sql:
        store.case_graph(session, officer_case_id(session, a), orgs, expand=True, hub_cap=50)

    for statements in (neighbourhood_sql, path_sql, owner_sql, case_sql):
        assert statements
        assert_indexed(query_plans(session, statements))


def test_each_stored_statement_plan_uses_an_index(session, graph_for_plans):
    connection = session.connection()
    for name, (statement, params) in store.STATEMENTS.items():
        with captured_sql(session.get_bind()) as seen:
            connection.execute(statement, params).fetchall()
        for sql, steps in query_plans(session, seen):
            for step in steps:
                assert not step.startswith(("SCAN relation", "SCAN entity")), (name, step, sql)


def officer_case_id(session, entity_id):
    from assettrack.models import CaseEntity

    return session.scalar(select(CaseEntity.case_id).where(CaseEntity.entity_id == entity_id))
