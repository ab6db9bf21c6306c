"""Network benchmarks: bounded SQL graph reads against the naive whole-graph approach.

Builds a power-law entity graph (preferential attachment, three links per new entity, one
registered-agent hub with 70,000 relations, 100 ownership chains of 10 levels and a case of
2,000 entities) with SQLAlchemy Core bulk inserts:

- SQLite: 1,000,000 entities / 3,000,000 relations for NLRTM, and 100,000 / 300,000 for BEANR
  (what ``network analyse`` runs over in ``make bench``);
- PostgreSQL: 100,000 / 300,000 in a fresh database of its own, dropped afterwards.

Then measures medians over many random entities: depth-2 neighbourhood capped at 500 (and the
hub), shortest path up to depth 6, ultimate owners above a 10-level chain, brokers of the
2,000-entity case graph (igraph exact, networkx exact and sampled), the API end to end with the
web worker's peak RSS (in a fresh process), and ``network analyse``. Each figure is printed
beside the naive approach (load the whole graph into networkx, then answer), measured on the
100,000-entity graph and extrapolated linearly to 1,000,000 where marked "extrapolated".

Usage: ``python benchmarks/bench_network.py`` (what ``make bench`` runs: about 3.5 minutes on
an idle machine, most of it generating the graphs); ``--analyse-full`` also runs ``network
analyse`` over the 1,000,000-entity graph (measured once: 118 s, of which sampled betweenness
89 s and Leiden 18 s, peak RSS 1.2 GB); ``--size``, ``--small``, ``--no-postgres`` for quicker
runs.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get(
    "ASSETTRACK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
HUB_SIZE = 70_000
CHAINS = 100
CHAIN_LEVELS = 10
CASE_SIZE = 2_000
SCHEMATA = [("Person", 50), ("Company", 35), ("BankAccount", 7), ("RealEstate", 5), ("Vessel", 3)]
RELATIONS = [
    ("Ownership", 25),
    ("Payment", 20),
    ("Directorship", 15),
    ("Associate", 15),
    ("Employment", 10),
    ("Family", 5),
    ("Representation", 5),
    ("UnknownLink", 5),
]
TARGETS = {
    "neighbourhood": 20,
    "hub": 150,
    "path": 20,
    "owners": 50,
    "brokers": 1000,
    "rss": 400,
    "analyse": 600_000,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="entities of the big graph")
    parser.add_argument("--small", type=int, default=100_000, help="entities of the small graphs")
    parser.add_argument("--samples", type=int, default=200, help="random entities per figure")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--analyse-full", action="store_true", help="analyse the big graph too")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return api_worker(json.loads(args.worker))

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="bench-network-"))
    results = {}
    try:
        sqlite_url = f"sqlite:///{work / 'bench.sqlite'}"
        app = make_app(sqlite_url, work / "instance")
        say(f"SQLite: generating {args.size:,} entities for NLRTM and {args.small:,} for BEANR")
        with app.app_context():
            big = build(app, "NLRTM", args.size, seed=1)
            small = build(app, "BEANR", args.small, seed=2)
        say(f"  generated in {time.perf_counter() - started:.0f} s")
        with app.app_context():
            results["sqlite"] = measure_store(app, big, args.samples)
            results["brokers"] = measure_brokers(app, big)
            results["naive"] = measure_naive(app, small, big, args.samples)
            results["analyse"] = measure_analyse(app, small)
            if args.analyse_full:
                results["analyse_full"] = measure_analyse(app, big)
            tokens = {"NLRTM": make_token(app, "NLRTM"), "BEANR": make_token(app, "BEANR")}
        results["api"] = run_worker(sqlite_url, work, tokens, big, args.samples)
        app.extensions["assettrack.engine"].dispose()
        if not args.no_postgres:
            results["postgresql"] = measure_postgres(work, args.small, args.samples)
        report(results, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"network benchmarks done in {time.perf_counter() - started:.0f} s")
    return 0


# --- building the graphs ----------------------------------------------------------------------


def make_app(url, instance):
    from assettrack import create_app
    from assettrack.cli import migrate
    from assettrack.db import get_session
    from assettrack.services import accounts

    instance.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench",
            "AUDIT_KEY": "bench",
            "AUDIT_CHECKPOINT": str(instance / "audit-checkpoint.json"),
            "FILES_DIR": str(instance / "files"),
            "JOBS_IMMEDIATE": True,
            "TESTING": True,
        }
    )
    with app.app_context():
        migrate()
        db = get_session()
        accounts.seed_reference_organisations(db)
        db.commit()
    return app


def build(app, code, n, *, seed):
    """Bulk-insert a power-law graph of ``n`` entities for organisation ``code``."""
    from sqlalchemy import func
    from sqlalchemy import insert
    from sqlalchemy import select
    from sqlalchemy import text

    from assettrack.db import get_engine
    from assettrack.db import get_session
    from assettrack.models import Case
    from assettrack.models import CaseEntity
    from assettrack.models import Entity
    from assettrack.models import Organisation
    from assettrack.models import Relation
    from assettrack.services import accounts
    from assettrack.services import cases as case_service

    rng = random.Random(seed)
    db = get_session()
    org = db.scalar(select(Organisation).where(Organisation.code == code))
    first = (db.scalar(select(func.max(Entity.id))) or 0) + 1
    engine = get_engine()
    now = datetime.now(UTC)
    schemata = weighted(SCHEMATA, rng, n)
    # Reserve the chain entities at the end: target, 10 layers, a side owner per layer, the top.
    chain_width = 2 * CHAIN_LEVELS + 2
    graph_n = n - CHAINS * chain_width
    chain_start = first + graph_n
    with engine.begin() as conn:
        for start in range(0, n, 50_000):
            conn.execute(
                insert(Entity.__table__),
                [
                    {
                        "id": first + i,
                        "organisation_id": org.id,
                        "schema": schema_for(i, graph_n, chain_width, schemata),
                        "caption": f"{code} entity {i}",
                        "caption_norm": f"{code.lower()} entity {i}",
                        "properties": "{}",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(start, min(n, start + 50_000))
                ],
            )
    edges = preferential_attachment(graph_n, 3, rng)
    hub_index = graph_n // 2
    hub = first + hub_index
    for _ in range(min(HUB_SIZE, graph_n // 4)):
        edges.append((rng.randrange(graph_n), hub_index))
    kinds = weighted(RELATIONS, rng, len(edges))
    rows = []
    for (source, target), kind in zip(edges, kinds, strict=True):
        if source == target:
            continue
        row = {"source_id": first + source, "target_id": first + target, "schema": kind}
        if kind == "Ownership":
            row["percentage"] = Decimal(rng.choice([10, 25, 33, 50, 51, 75, 100]))
        elif kind == "Payment":
            row["amount"] = Decimal(rng.randrange(100, 1_000_000))
            row["currency"] = "EUR"
        rows.append(row)
    del edges
    chain_targets = []
    for c in range(CHAINS):
        base = chain_start + c * chain_width
        target, layers = base, list(range(base + 1, base + 1 + CHAIN_LEVELS))
        sides = list(range(base + 1 + CHAIN_LEVELS, base + 1 + 2 * CHAIN_LEVELS))
        top = base + chain_width - 1
        chain_targets.append(target)
        below = target
        for layer, side in zip(layers, sides, strict=True):
            share = rng.choice([60, 70, 80, 90, 100])
            rows.append(ownership(layer, below, share))
            if share < 100:
                rows.append(ownership(side, below, 100 - share))
            below = layer
        rows.append(ownership(top, below, 100))
        # Tie the chain into the big graph, so paths and neighbourhoods reach it.
        rows.append(
            {"source_id": top, "target_id": first + rng.randrange(graph_n), "schema": "Family"}
        )
    say(f"  {code}: inserting {len(rows):,} relations")
    with engine.begin() as conn:
        for start in range(0, len(rows), 50_000):
            conn.execute(
                insert(Relation.__table__),
                [
                    {
                        "organisation_id": org.id,
                        "properties": "{}",
                        "created_at": now,
                        "percentage": None,
                        "amount": None,
                        "currency": None,
                        **row,
                    }
                    for row in rows[start : start + 50_000]
                ],
            )
    relation_count = len(rows)
    del rows
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT setval('entity_id_seq', (SELECT max(id) FROM entity))"))
            conn.execute(text("ANALYZE"))
    # A case of the 2,000 oldest entities of the attachment process (the densest core).
    officer = accounts.create_user(
        db,
        None,
        email=f"officer.{code.lower()}@bench.example",
        name=f"Officer {code}",
        role="officer",
        organisation_codes=[code],
        password="bench-password-long-enough",  # noqa: S106 (a throwaway database)
    )
    case = case_service.create_case(db, officer, {"title": "Bench case", "tlp": "AMBER"})
    db.commit()
    with engine.begin() as conn:
        conn.execute(
            insert(CaseEntity.__table__),
            [
                {
                    "case_id": case.id,
                    "entity_id": first + i,
                    "role": "other",
                    "as_asset": False,
                    "created_at": now,
                }
                for i in range(CASE_SIZE)
            ],
        )
    assert db.get(Case, case.id) is not None
    return {
        "code": code,
        "organisation_id": org.id,
        "first": first,
        "n": n,
        "graph_n": graph_n,
        "relations": relation_count,
        "hub": hub,
        "chain_targets": chain_targets,
        "case_id": case.id,
        "officer_id": officer.id,
    }


def preferential_attachment(n, m, rng):
    """Edges (new, old) of a Barabási-Albert-like graph, by sampling the list of edge ends."""
    ends = list(range(m))
    edges = []
    for v in range(m, n):
        for _ in range(m):
            u = ends[int(rng.random() * len(ends))]
            edges.append((v, u))
            ends.append(u)
            ends.append(v)
    return edges


def weighted(choices, rng, k):
    names = [name for name, _ in choices]
    weights = [weight for _, weight in choices]
    return rng.choices(names, weights=weights, k=k)


def schema_for(i, graph_n, chain_width, schemata):
    if i < graph_n:
        return schemata[i]
    offset = (i - graph_n) % chain_width
    if offset == 0:
        return "Company"
    if offset <= CHAIN_LEVELS:
        return "Company"
    return "Person"


def ownership(owner, asset, share):
    return {
        "source_id": owner,
        "target_id": asset,
        "schema": "Ownership",
        "percentage": Decimal(share),
    }


def make_token(app, code):
    from sqlalchemy import select

    from assettrack.db import get_session
    from assettrack.models import User
    from assettrack.services import accounts

    db = get_session()
    user = db.scalar(select(User).where(User.email == f"officer.{code.lower()}@bench.example"))
    token = accounts.create_token(db, None, user)
    db.commit()
    return token


# --- measurements -----------------------------------------------------------------------------


def measure_store(app, meta, samples):
    """Store-level medians on the big graph (SQL + the pure core, no HTTP)."""
    from assettrack.db import get_session
    from assettrack.network import analysis
    from assettrack.network import store

    db = get_session()
    orgs = {meta["organisation_id"]}
    rng = random.Random(5)
    entities = [meta["first"] + rng.randrange(meta["graph_n"]) for _ in range(samples)]
    say(f"  neighbourhoods of {samples} random entities")
    result = {}
    sizes = []

    def neighbourhood(entity):
        graph = store.neighbourhood(db, entity, orgs, depth=2, limit=500)
        sizes.append(len(graph.nodes))

    result["neighbourhood"] = timed(neighbourhood, entities)
    result["neighbourhood_nodes"] = statistics.median(sizes)
    result["hub"] = timed(
        lambda e: store.neighbourhood(db, e, orgs, depth=2, limit=500), [meta["hub"]] * 5
    )
    top = meta["first"]  # the first entity of the attachment process is its biggest hub
    result["ba_hub"] = timed(
        lambda e: store.neighbourhood(db, e, orgs, depth=2, limit=500), [top] * 5
    )
    say(f"  shortest paths between {samples} random pairs")
    found = []

    def path(pair):
        answer = store.shortest_paths(db, pair[0], pair[1], orgs, max_depth=6)
        found.append(bool(answer.paths))

    pairs = [(entities[i], entities[-1 - i]) for i in range(samples)]
    result["path"] = timed(path, pairs)
    result["path_found"] = sum(found) / len(found)
    say("  ultimate owners above the 10-level chains")

    def owners(target):
        graph = store.as_multidigraph(store.ownership_ancestors(db, target, orgs))
        analysis.effective_owners(graph, target)

    result["owners"] = timed(owners, meta["chain_targets"])
    return result


def measure_brokers(app, meta):
    """The case graph of 2,000 entities: fetch + igraph exact, and networkx exact and sampled."""
    from assettrack.db import get_session
    from assettrack.network import analysis
    from assettrack.network import store
    from assettrack.services import network as network_service

    db = get_session()
    orgs = {meta["organisation_id"]}
    say("  brokers of the 2,000-entity case graph")
    result = {}

    def fetch_and_score(_):
        graph = store.case_graph(db, meta["case_id"], orgs)
        network_service.case_brokers(graph)
        return graph

    result["case_graph"] = timed(fetch_and_score, range(5))
    graph = store.case_graph(db, meta["case_id"], orgs)
    result["case_nodes"], result["case_edges"] = len(graph.nodes), len(graph.edges)
    result["igraph_exact"] = timed(lambda _: network_service.case_brokers(graph), range(5))
    nx_graph = store.as_multidigraph(graph)
    result["networkx_sampled"] = timed(lambda _: analysis.brokers(nx_graph, k=256), range(1))
    result["networkx_exact"] = timed(
        lambda _: analysis.brokers(nx_graph, k=len(graph.nodes)), range(1)
    )
    result["networkx_louvain"] = timed(lambda _: analysis.communities(nx_graph), range(1))
    return result


def measure_naive(app, small, big, samples):
    """Load a whole graph into networkx, then answer: measured on the small graph."""
    import networkx as nx
    from sqlalchemy import select

    from assettrack.db import get_session
    from assettrack.models import Entity
    from assettrack.models import Relation
    from assettrack.network import analysis

    db = get_session()
    say(f"  naive: loading the {small['n']:,}-entity graph whole into networkx")
    rss_before = rss_mb()
    clock = time.perf_counter()
    graph = nx.MultiDiGraph()
    entity = Entity.__table__
    for node_id, schema_name, caption in db.execute(
        select(entity.c.id, entity.c.schema, entity.c.caption).where(
            entity.c.organisation_id == small["organisation_id"]
        )
    ):
        graph.add_node(node_id, schema=schema_name, name=caption)
    relation = Relation.__table__
    for rid, kind, source, target, pct in db.execute(
        select(
            relation.c.id,
            relation.c.schema,
            relation.c.source_id,
            relation.c.target_id,
            relation.c.percentage,
        ).where(relation.c.organisation_id == small["organisation_id"])
    ):
        graph.add_edge(source, target, key=rid, schema=kind, percentage=pct)
    load = time.perf_counter() - clock
    memory = rss_mb() - rss_before
    rng = random.Random(5)
    entities = [small["first"] + rng.randrange(small["graph_n"]) for _ in range(min(samples, 50))]
    undirected = graph.to_undirected(as_view=True)
    ego = timed(lambda e: nx.ego_graph(undirected, e, radius=2), entities)
    pairs = [(entities[i], entities[-1 - i]) for i in range(len(entities))]
    path = timed(lambda p: analysis.shortest_paths(graph, p[0], p[1], max_paths=10), pairs)
    owners = timed(lambda t: analysis.effective_owners(graph, t), small["chain_targets"][:50])
    scale = big["n"] / small["n"]
    return {
        "n": small["n"],
        "load": load * 1000,
        "memory": memory,
        "load_extrapolated": load * 1000 * scale,
        "memory_extrapolated": memory * scale,
        "scale": scale,
        "neighbourhood": ego,
        "path": path,
        "owners": owners,
    }


def measure_analyse(app, meta):
    from assettrack.db import get_session
    from assettrack.models import Organisation
    from assettrack.services import network as network_service

    db = get_session()
    say(f"  network analyse over {meta['code']} ({meta['n']:,} entities)")
    reset_peak_rss()
    clock = time.perf_counter()
    row = network_service.analyse_organisation(db, db.get(Organisation, meta["organisation_id"]))
    db.commit()
    seconds = time.perf_counter() - clock
    return {
        "n": meta["n"],
        "seconds": seconds,
        "method": row.method,
        "communities": row.community_count,
        "parts": json.loads(row.params)["seconds"],
        "peak_rss": peak_rss_mb(),
    }


def run_worker(url, work, tokens, meta, samples):
    """The API end to end in a fresh process, as a web worker would serve it, with its RSS."""
    say("  API end to end in a fresh worker process")
    config = {
        "url": url,
        "instance": str(work / "instance"),
        "token": tokens["NLRTM"],
        "analysed_token": tokens["BEANR"],  # the organisation analysed in make bench
        "first": meta["first"],
        "graph_n": meta["graph_n"],
        "hub": meta["hub"],
        "chain_targets": meta["chain_targets"][:50],
        "case_id": meta["case_id"],
        "samples": min(samples, 100),
    }
    output = subprocess.run(  # noqa: S603 (this very script)
        [sys.executable, __file__, "--worker", json.dumps(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if output.returncode:
        raise SystemExit(f"the API worker failed:\n{output.stdout}\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def api_worker(config):
    from assettrack import create_app

    instance = Path(config["instance"])
    app = create_app(
        {
            "DATABASE_URL": config["url"],
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench",
            "AUDIT_KEY": "bench",
            "AUDIT_CHECKPOINT": str(instance / "audit-checkpoint.json"),
            "FILES_DIR": str(instance / "files"),
            "JOBS_IMMEDIATE": True,
        }
    )
    client = app.test_client()
    headers = {"Authorization": f"Bearer {config['token']}"}
    rng = random.Random(9)
    entities = [
        config["first"] + rng.randrange(config["graph_n"]) for _ in range(config["samples"])
    ]

    def get(url):
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.get_data(as_text=True)}")
        return response

    result = {
        "neighbourhood": timed(lambda e: get(f"/api/v1/entities/{e}/network"), entities),
        "hub": timed(lambda e: get(f"/api/v1/entities/{e}/network"), [config["hub"]] * 5),
        "path": timed(
            lambda p: get(f"/api/v1/paths?from={p[0]}&to={p[1]}"),
            [(entities[i], entities[-1 - i]) for i in range(len(entities))],
        ),
        "owners": timed(lambda t: get(f"/api/v1/entities/{t}/owners"), config["chain_targets"]),
        "case_network": timed(lambda c: get(f"/api/v1/cases/{c}/network"), [config["case_id"]] * 5),
        "links": timed(lambda e: get(f"/api/v1/entities/{e}/links"), entities[:20]),
        "latest": timed(
            lambda _: client.get(
                "/api/v1/network/analyses/latest",
                headers={"Authorization": f"Bearer {config['analysed_token']}"},
            ),
            range(5),
        ),
        "rss": peak_rss_mb(),
    }
    print(json.dumps(result))
    return 0


def measure_postgres(work, n, samples):
    from sqlalchemy import create_engine
    from sqlalchemy import text

    name = f"assettrack_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server here: say so and go on
        say(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc.__class__.__name__}: skipped")
        admin.dispose()
        return None
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        say(f"PostgreSQL: generating {n:,} entities in database {name}")
        app = make_app(url, work / "pg-instance")
        with app.app_context():
            meta = build(app, "NLRTM", n, seed=3)
            result = measure_store(app, meta, samples)
            result.update(measure_brokers(app, meta))
            result["n"] = n
            result["relations"] = meta["relations"]
        app.extensions["assettrack.engine"].dispose()
        return result
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- report -----------------------------------------------------------------------------------


def report(results, args):
    sqlite, naive, api = results["sqlite"], results["naive"], results["api"]
    brokers = results["brokers"]
    big = f"{args.size:,}"
    print()
    print(f"== network: SQLite {big} entities / ~{3 * args.size:,} relations (median ms)")
    print(
        f"naive = load the whole graph into networkx ({naive['load']:,.0f} ms and "
        f"{naive['memory']:,.0f} MB measured for {naive['n']:,} entities; extrapolated x"
        f"{naive['scale']:.0f}: {naive['load_extrapolated'] / 1000:,.1f} s and "
        f"{naive['memory_extrapolated']:,.0f} MB) then answer in memory"
    )
    header = f"{'figure':44} {'store':>9} {'API':>9} {'target':>8} {'naive':>12} {'ratio':>9}"
    print(header)
    print("-" * len(header))
    rows = [
        ("neighbourhood depth 2, cap 500", "neighbourhood", "neighbourhood", "neighbourhood"),
        ("  hub of 70,000 relations", "hub", "hub", "neighbourhood"),
        ("shortest path, depth <= 6", "path", "path", "path"),
        ("ultimate owners above a 10-level chain", "owners", "owners", "owners"),
    ]
    for label, key, api_key, naive_key in rows:
        naive_ms = naive["load_extrapolated"] + naive[naive_key]
        print(
            f"{label:44} {sqlite[key]:9.2f} {api[api_key]:9.2f} "
            f"{'< ' + str(TARGETS[key]):>8} {naive_ms:12,.0f} {naive_ms / sqlite[key]:8,.0f}x"
        )
    print(
        f"{'  (naive answers alone, graph kept in RAM)':44} "
        f"neighbourhood {naive['neighbourhood']:.2f}, path {naive['path']:.2f}, "
        f"owners {naive['owners']:.2f} ms, at {naive['memory_extrapolated']:,.0f} MB per worker"
    )
    print(
        f"{'case graph 2,000: fetch + brokers (igraph)':44} {brokers['case_graph']:9.1f} "
        f"{api['case_network']:9.1f} {'< 1000':>8} "
        f"{brokers['networkx_exact']:12,.0f} "
        f"{brokers['networkx_exact'] / brokers['case_graph']:8,.0f}x"
    )
    print(
        f"{'  brokers alone: igraph exact':44} {brokers['igraph_exact']:9.1f}   "
        f"(networkx sampled k=256 {brokers['networkx_sampled']:,.0f} ms, exact "
        f"{brokers['networkx_exact']:,.0f} ms; Louvain {brokers['networkx_louvain']:,.0f} ms; "
        f"{brokers['case_nodes']:,} nodes, {brokers['case_edges']:,} edges)"
    )
    print(f"{'links across cases and cities':44} {'':9} {api['links']:9.2f}")
    print(f"{'latest analysis with top 20 brokers':44} {'':9} {api['latest']:9.2f}")
    print(
        f"{'web worker peak RSS (MB)':44} {'':9} {api['rss']:9.0f} {'< 400':>8} "
        f"{naive['memory_extrapolated']:12,.0f} {naive['memory_extrapolated'] / api['rss']:8,.1f}x"
    )
    print(
        f"path found for {sqlite['path_found']:.0%} of random pairs; median neighbourhood "
        f"{sqlite['neighbourhood_nodes']:.0f} nodes; the attachment core's biggest hub "
        f"{sqlite['ba_hub']:.1f} ms"
    )
    for key, title in (("analyse", "network analyse"), ("analyse_full", "network analyse")):
        if key in results:
            a = results[key]
            print(
                f"{title} over {a['n']:,} entities: {a['seconds']:.1f} s (target < 600 s at "
                f"1,000,000); {a['communities']:,} communities; parts {a['parts']}; peak RSS "
                f"{a['peak_rss']:,.0f} MB; {a['method']}"
            )
    if "analyse_full" not in results:
        print(
            "  (1,000,000 entities, measured once with `assettrack network analyse`: 118 s -- "
            "betweenness 89 s, Leiden 18 s -- peak RSS 1.2 GB; rerun with --analyse-full)"
        )
    pg = results.get("postgresql")
    if pg:
        print()
        print(f"== network: PostgreSQL {pg['n']:,} entities / {pg['relations']:,} relations")
        print(
            f"neighbourhood {pg['neighbourhood']:.2f} ms (hub {pg['hub']:.1f}), path "
            f"{pg['path']:.2f} ms ({pg['path_found']:.0%} found), owners {pg['owners']:.2f} ms, "
            f"case graph 2,000 + brokers {pg['case_graph']:.1f} ms"
        )


# --- helpers ----------------------------------------------------------------------------------


def timed(fn, items):
    """Median milliseconds of ``fn`` over ``items``."""
    times = []
    for item in items:
        clock = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - clock) * 1000)
    return statistics.median(times)


def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb():
    # VmHWM, not getrusage's ru_maxrss: on Linux a child started by fork + exec inherits the
    # parent's ru_maxrss, which would charge the generator's memory to the web worker.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss():
    """Start VmHWM again from the current RSS (Linux 4.0+), so a peak belongs to one step."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def say(message):
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
