"""Network use-cases: case graphs, neighbourhoods, ultimate owners, paths, links across cases and
cities, exports, and the whole-graph analytics stored per organisation.

Every read goes through :mod:`assettrack.access` (the caller's readable organisations) and is
audited as a consultation; an export is a disclosure; showing that an entity also appears in
other cases or cities is a combination. Across organisations only hit/no-hit is told: the other
organisation's code and contact address, never its case.

Centrality backend (measured on this machine kind with ``benchmarks/bench_network.py``): on a
case graph of 2,000 entities and 6,000 relations, networkx takes 4.7-6.7 s for exact betweenness
and 0.6-0.9 s sampled (k=256, an estimate); igraph (compiled, PyPI wheels, no numpy) takes 0.2 s
*exact*, and Louvain 0.02 s against networkx's 0.2-0.4 s. Case graphs therefore use igraph with
exact betweenness up to :data:`EXACT_BETWEENNESS` entities (fetch + scores of 2,000 entities:
0.25 s). The whole-graph command uses igraph too: betweenness sampled from
:data:`SAMPLED_SOURCES` sources (98 s on 1,000,000 entities) and Leiden communities (19 s on
1,000,000; Louvain took 13-18 s on 100,000 and networkx's 109 s). Scores keep the definitions of
:func:`assettrack.network.analysis.brokers` and :func:`~assettrack.network.analysis.communities`
(undirected simple graph, a pair weighted by its number of relations, networkx's normalisation),
which remain the fallback when igraph is missing.
"""

import json
import random
import secrets
import threading
import time
from array import array
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation

from sqlalchemy import insert
from sqlalchemy import select
from sqlmodel import Session

from .. import access
from .. import audit
from ..errors import AccessDenied
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..jobs import handler
from ..models import Case
from ..models import CaseEntity
from ..models import Entity
from ..models import EntityMetric
from ..models import NetworkAnalysis
from ..models import Organisation
from ..models import User
from ..models import utcnow
from ..network import analysis
from ..network import render
from ..network import store
from ..routing import is_id
from . import case_view
from . import sharing
from .cases import org_today
from .entities import get_entity

__all__ = [
    "QueryParams",
    "case_graph",
    "neighbourhood",
    "owners",
    "paths",
    "links",
    "case_brokers",
    "export_case_graph",
    "case_graph_svg",
    "analyse_organisation",
    "start_analysis",
    "latest_analysis",
    "DEPTH_MAX",
    "NEIGHBOURHOOD_LIMIT",
    "CASE_LIMIT",
    "PATH_DEPTH",
    "EXACT_BETWEENNESS",
    "SAMPLED_SOURCES",
    "COMMUNITY_METHODS",
]

DEPTH_MAX = 3
NEIGHBOURHOOD_LIMIT = 500
NEIGHBOURHOOD_LIMIT_MAX = 2000
CASE_LIMIT = 2000
CASE_LIMIT_MAX = 5000
PATH_DEPTH = 6
PATH_DEPTH_MAX = 8
#: Exact betweenness up to this many entities (igraph: 0.2 s at 2,000, about 0.5 s at 3,000);
#: sampled beyond.
EXACT_BETWEENNESS = 3000
#: Sources sampled for betweenness beyond EXACT_BETWEENNESS.
SAMPLED_SOURCES = 256
#: Community detection of ``network analyse``: Leiden (default) or Louvain, both by modularity.
COMMUNITY_METHODS = ("leiden", "louvain")
#: Brokers kept in a stored analysis's summary (``GET /network/analyses/latest``).
TOP_BROKERS = 20
# Roles whose entities are never revealed outside their organisation, not even as a hit.
_PROTECTED_ROLES = {"victim", "witness"}


class QueryParams:
    """Read query-string parameters, collecting every problem before raising one Invalid.

    >>> params = QueryParams({"depth": "9", "limit": "20"})
    >>> params.integer("depth", 2, 1, 3), params.integer("limit", 500, 1, 2000)
    (2, 20)
    >>> params.check()
    Traceback (most recent call last):
    ...
    assettrack.errors.Invalid: depth: must be a whole number from 1 to 3
    """

    def __init__(self, args):
        self.args = args
        self.errors = {}

    def integer(self, name, default, low, high):
        """Return a whole number within [low, high], ``default`` when absent."""
        raw = self.args.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(str(raw).strip())
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            self.errors[f"?{name}"] = Msg(
                "must be a whole number from {low} to {high}", low=low, high=high
            )
            return default
        return value

    def required_integer(self, name):
        """Return a required entity id."""
        raw = self.args.get(name)
        if raw in (None, ""):
            self.errors[f"?{name}"] = Msg("is required")
            return None
        text = str(raw).strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 19 and is_id(int(text))):
            self.errors[f"?{name}"] = Msg("must be the id of an entity")
            return None
        return int(text)

    def percentage(self, name, default):
        """Return a percentage 0-100 as a Decimal."""
        raw = self.args.get(name)
        if raw in (None, ""):
            return Decimal(default)
        try:
            value = Decimal(str(raw).strip().rstrip("%").strip())
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not 0 <= value <= 100:
            self.errors[f"?{name}"] = Msg("must be a number from 0 to 100")
            return Decimal(default)
        return value

    def day(self, name):
        """Return a date written YYYY-MM-DD, or None when absent."""
        raw = self.args.get(name)
        if raw in (None, ""):
            return None
        try:
            return date.fromisoformat(str(raw).strip())
        except ValueError:
            self.errors[f"?{name}"] = Msg("must be a date written YYYY-MM-DD")
            return None

    def flag(self, name, default=False):
        """Return a boolean written true/false, 1/0, yes/no."""
        raw = self.args.get(name)
        if raw in (None, ""):
            return default
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        self.errors[f"?{name}"] = Msg("must be true or false")
        return default

    def check(self):
        """Raise Invalid naming every bad parameter, if any."""
        if self.errors:
            raise Invalid(self.errors)


# --- reads ------------------------------------------------------------------------------------


def case_graph(session: Session, user: User, case_id: int, *, expand=False, limit=CASE_LIMIT):
    """Return a case's network with each entity's role, degree, betweenness and community.

    ``{"nodes": [...], "edges": [...], "truncated": bool}``: the case's entities (and with
    ``expand`` the entities one link out) and the relations among them. Audited as a
    consultation of the case.
    """
    case = access.get_case(session, user, case_id)
    body = _case_body(session, user, case, expand=expand, limit=limit)
    labels = {k: str(v) for k, v in case_view.protected_labels(session, user, case).items()}
    outside = [n["id"] for n in body["nodes"] if not n.get("in_case")]
    label_on_screen(session, user, body["nodes"], labels)
    audit.record(
        session,
        user,
        audit.Action.READ,
        "case",
        case.id,
        details={
            "view": "network",
            "expand": expand,
            "nodes": len(body["nodes"]),
            "edges": len(body["edges"]),
            "entities_outside_case": outside,
        },
        organisation_id=case.organisation_id,
    )
    return body


def neighbourhood(
    session: Session, user: User, entity_id: int, *, depth=2, limit=NEIGHBOURHOOD_LIMIT
):
    """Return the entities within ``depth`` links of an entity (at most ``limit``), audited."""
    _check_range("depth", depth, 1, DEPTH_MAX)
    _check_range("limit", limit, 1, NEIGHBOURHOOD_LIMIT_MAX)
    entity = get_entity(session, user, entity_id, audit_read=False)
    orgs = access.readable_organisation_ids(session, user)
    subgraph = store.neighbourhood(session, entity.id, orgs, depth=depth, limit=limit)
    body = render.graph_json(subgraph, organisations=_codes(session))
    label_on_screen(session, user, body["nodes"])
    _audit_entity_read(
        session,
        user,
        entity,
        "network",
        depth=depth,
        limit=limit,
        truncated=body["truncated"],
        nodes=sorted(subgraph.nodes),
    )
    return body


def owners(
    session: Session, user: User, entity_id: int, *, as_of=None, threshold=25, audit_read=True
):
    """Return the ultimate owners of an entity on ``as_of`` with shares at or above
    ``threshold`` percent, the holdings declared as indirect and the warnings, audited."""
    entity = get_entity(session, user, entity_id, audit_read=False)
    orgs = access.readable_organisation_ids(session, user)
    as_of = as_of or org_today(session.get(Organisation, user.organisation_id))
    subgraph = store.ownership_ancestors(session, entity.id, orgs, as_of=as_of)
    graph = store.as_multidigraph(subgraph)
    result = analysis.effective_owners(graph, entity.id, as_of=as_of, threshold=threshold)
    body = render.ownership_json(result)
    label_on_screen(session, user, [*body["owners"], *body["declared"]])
    body["threshold"] = render.json_number(Decimal(threshold))
    body["truncated"] = subgraph.truncated
    if subgraph.truncated:
        body["warnings"].append(
            "the holdings above this entity were not all fetched (more than 20 levels or "
            "5,000 entities): shares are lower bounds"
        )
    if audit_read:  # else the caller's page records the one consultation
        _audit_entity_read(
            session,
            user,
            entity,
            "owners",
            as_of=as_of.isoformat(),
            threshold=str(threshold),
            owners=[o["id"] for o in body["owners"]],
        )
    return body


def paths(session: Session, user: User, source_id: int, target_id: int, *, max_depth=PATH_DEPTH):
    """Return the shortest chains of links between two readable entities, audited.

    ``{"paths": [[ids...]], "truncated": bool, "nodes": [...], "edges": [...]}``.
    """
    _check_range("max_depth", max_depth, 1, PATH_DEPTH_MAX)
    source = get_entity(session, user, source_id, audit_read=False)
    target = get_entity(session, user, target_id, audit_read=False)
    orgs = access.readable_organisation_ids(session, user)
    found = store.shortest_paths(session, source.id, target.id, orgs, max_depth=max_depth)
    codes = _codes(session)
    body = {
        "paths": found.paths,
        "truncated": found.truncated,
        "nodes": [render.node_json(n, codes) for n in sorted(found.nodes.values())],
        "edges": [render.edge_json(e) for e in found.edges],
    }
    label_on_screen(session, user, body["nodes"])
    _audit_entity_read(
        session,
        user,
        source,
        "paths",
        to=target.id,
        max_depth=max_depth,
        paths=len(found.paths),
        nodes=sorted(found.nodes),
    )
    return body


def links(session: Session, user: User, entity_id: int, *, audit_read=True):
    """Return the other cases and cities where an entity appears, by record or identifier.

    ``{"cases": [...], "hits": [...]}``. Cases the caller may read are listed in full (id,
    reference, title, organisation, role, and the identifier ``matched_on`` when it is another
    record). For other organisations only a hit: ``{"organisation", "contact", "matched_on"}``,
    one per organisation, never anything of their case; records held there only as victim or
    witness are not even a hit. A consultation is audited, and when matches are shown a
    combination (in the caller's organisation, and in each organisation hit, so its data
    owner knows its record was matched).
    """
    entity = get_entity(session, user, entity_id, audit_read=False)
    orgs = access.readable_organisation_ids(session, user)
    matches = store.identifier_matches(session, entity.id)
    matched_on = {}  # other entity -> first identifier kind
    org_of = {entity.id: entity.organisation_id}
    for other, organisation_id, kind in matches:
        matched_on.setdefault(other, kind)
        org_of[other] = organisation_id
    memberships = store.case_memberships(session, list(org_of))
    roles_of = {}
    for _case_id, member, role, _org in memberships:
        roles_of.setdefault(member, set()).add(role)

    codes, contacts = _organisations(session)
    visible_case_ids = [c for c, _, _, org in memberships if org in orgs]
    cases = {
        c.id: c for c in session.scalars(select(Case).where(Case.id.in_(visible_case_ids or [-1])))
    }
    listed = []
    for case_id, member, role, org in memberships:
        if org in orgs and case_id in cases:
            case = cases[case_id]
            listed.append(
                {
                    "id": case.id,
                    "reference": case.reference,
                    "title": case.title,
                    "organisation": codes.get(case.organisation_id),
                    "role": role,
                    "entity_id": member,
                    "matched_on": matched_on.get(member),
                    "tlp": case.tlp,
                }
            )
    hits = {}
    hit_entities = {}
    for other, kind in sorted(matched_on.items()):
        org = org_of[other]
        if org in orgs:
            continue
        roles = roles_of.get(other, set())
        if roles and roles <= _PROTECTED_ROLES:
            continue
        hits.setdefault(org, kind)
        hit_entities.setdefault(org, []).append(other)
    body = {
        "entity": entity.id,
        "cases": listed,
        "hits": [
            {"organisation": codes[org], "contact": contacts.get(org), "matched_on": kind}
            for org, kind in sorted(hits.items(), key=lambda item: codes[item[0]])
        ],
    }
    if audit_read:  # else the caller's page records the one consultation
        _audit_entity_read(session, user, entity, "links")
    in_scope_matches = sorted(o for o in matched_on if org_of[o] in orgs)
    if len(listed) > 1 or hits or in_scope_matches:
        audit.record(
            session,
            user,
            audit.Action.COMBINE,
            "entity",
            entity.id,
            details={
                "view": "links",
                "cases": sorted({c["id"] for c in listed}),
                "matched_entities": in_scope_matches,
                "hits": sorted(codes[o] for o in hits),
            },
            organisation_id=entity.organisation_id,
        )
        requester = codes.get(user.organisation_id)
        for org, kind in sorted(hits.items()):
            audit.record(
                session,
                user,
                audit.Action.COMBINE,
                "entity",
                hit_entities[org][0],
                details={
                    "view": "links",
                    "hit_for": requester,
                    "matched_on": kind,
                    "entities": hit_entities[org],
                },
                organisation_id=org,
            )
    return body


def case_brokers(subgraph, *, k=None, seed=0) -> dict:
    """Return node -> ``{"degree", "betweenness", "community"}`` for a fetched graph.

    Degree and betweenness as :func:`assettrack.network.analysis.brokers` defines them, exact
    up to :data:`EXACT_BETWEENNESS` entities (else sampled from ``k`` or
    :data:`SAMPLED_SOURCES` sources); community: the index of the entity's Louvain community,
    0 for the largest.
    """
    ids = sorted(subgraph.nodes)
    index = {node: i for i, node in enumerate(ids)}
    pairs = [
        (index[e.source], index[e.target])
        for e in subgraph.edges
        if e.source in index and e.target in index
    ]
    degree, betweenness, membership, _ = _metrics(len(ids), pairs, k=k, seed=seed)
    return {
        node: {
            "degree": round(degree[i], 6),
            "betweenness": round(betweenness[i], 6),
            "community": membership[i],
        }
        for node, i in index.items()
    }


def label_on_screen(session: Session, user: User, nodes: list[dict], labels=None) -> None:
    """Name by their labels, in place, the nodes ``user`` may not see named (the names flag,
    :func:`sharing.screen_labels`); ``labels`` (entity id -> label) are a case page's own."""
    labels = dict(labels or {})
    rest = [n["id"] for n in nodes if n["id"] not in labels]
    labels.update(sharing.screen_labels(session, user, rest))
    for node in nodes:
        if node["id"] in labels:
            node["name"] = labels[node["id"]]
            node["redacted"] = True


def export_case_graph(
    session: Session,
    user: User,
    case_id: int,
    fmt: str,
    *,
    expand=False,
    justification=None,
    audited=True,
    translate=None,
):
    """Return ``(bytes, filename, mimetype)`` of a case's network as GEXF or GraphML.

    Drawn from the redacted graph (:func:`export_graph`); the file carries the case's TLP and
    handling code as graph attributes (``tlp``, ``handling_code``, ``marking``). Audited as a
    disclosure to the requesting user, unless ``audited`` is false: then the caller logs it
    (an issued report, with the file's hash).
    """
    if fmt not in _EXPORTS:
        raise Invalid({"format": Msg("must be gexf or graphml")})
    case = access.get_case(session, user, case_id)
    body = export_graph(session, user, case, expand=expand, translate=translate)
    writer, mimetype = _EXPORTS[fmt]
    data = writer(
        body,
        {
            "case": case.reference,
            **sharing.file_marking(case),
            "redacted": sharing.export_level(user, case) == sharing.PARTNER,
            "exported_at": utcnow().isoformat(timespec="seconds"),
        },
    )
    if not audited:
        return data, f"{case.reference}-network.{fmt}", mimetype
    audit.record(
        session,
        user,
        audit.Action.DISCLOSE,
        "case",
        case.id,
        details={
            "export": f"network.{fmt}",
            "recipient": user.email,
            "nodes": len(body["nodes"]),
            "edges": len(body["edges"]),
            "expand": expand,
        },
        justification=justification or "network export downloaded by the requesting user",
        organisation_id=case.organisation_id,
    )
    return data, f"{case.reference}-network.{fmt}", mimetype


def export_graph(session: Session, user: User, case: Case, *, expand=False, translate=None):
    """Return a case's network as a file exported by ``user`` may hold it.

    Refused (:class:`AccessDenied`) when the sharing rules keep the case from the user's
    organisation (:func:`sharing.export_withheld`). For anyone outside the owning organisation
    every protected person is its label, under a new random node id: none of its ids,
    identifiers or properties leave (:func:`redact_graph`).
    """
    why = sharing.export_withheld(session, user, case)
    if why:
        raise AccessDenied(str(sharing.WITHHELD_REASONS[why]))
    body = _case_body(session, user, case, expand=expand, limit=CASE_LIMIT)
    level = sharing.export_level(user, case)
    return redact_graph(session, case, body, level, translate=translate, new_ids=True)


def case_graph_svg(
    session: Session, user: User, case_id: int, *, expand=False, translate=None, audited=True
) -> str:
    """Return a case's network drawn as SVG from the redacted graph (:func:`export_graph`).

    The picture carries the case's TLP and handling code as a visible text and in its
    ``<desc>``. Audited as a read unless ``audited`` is false (an issued diagram: its
    disclosure is logged with the file's hash).
    """
    case = access.get_case(session, user, case_id)
    body = export_graph(session, user, case, expand=expand, translate=translate)
    if audited:
        audit.record(
            session,
            user,
            audit.Action.READ,
            "case",
            case.id,
            details={"view": "network.svg", "nodes": len(body["nodes"]), "expand": expand},
            organisation_id=case.organisation_id,
        )
    marking = sharing.file_marking(case)["marking"]
    title = f"{case.reference} {case.title}"
    return render.graph_svg(
        body,
        title=title,
        marking=marking,
        alt=f"{marking} — {title}",
        description=f"{marking}. {sharing.handling_notice(case.handling_code)}",
    )


def redact_graph(
    session: Session, case: Case, body: dict, level: str, *, translate=None, new_ids=False
) -> dict:
    """Return a network body with ``case``'s protected persons labelled at ``level``.

    At ``sharing.INTERNAL`` level the body is returned as is. At ``PARTNER`` level a victim,
    witness or ``other`` person keeps only its schema, its label as name, its role and the
    graph metrics; with ``new_ids`` (a file) its node and relations get random ids for this
    disclosure. Other names are never rewritten into a label: a protected full name inside
    them is masked, as in every document (:class:`sharing.Redaction`).
    """
    if level == sharing.INTERNAL:
        return body
    redaction = sharing.Redaction(sharing.PARTNER, translate=translate)
    for entity in sharing.load_entities(session, [case.id]).values():
        redaction.register(entity)
    # One link out of the case (``expand``): an entity protected in another case is too.
    outside = [n["id"] for n in body["nodes"] if not n.get("in_case")]
    for entity_id, schema_name, caption, properties, role in session.execute(
        select(Entity.id, Entity.schema_name, Entity.caption, Entity.properties, CaseEntity.role)
        .join(CaseEntity, CaseEntity.entity_id == Entity.id)
        .where(Entity.id.in_(outside or [-1]), CaseEntity.role.in_(("victim", "witness", "other")))
        .order_by(Entity.id)
    ):
        redaction.register(
            sharing.EntityData(entity_id, schema_name, caption, json.loads(properties), {role})
        )
    ids: dict = {}
    nodes = []
    for node in body["nodes"]:
        if redaction.is_redacted(node["id"]):
            new = f"redacted-{secrets.token_hex(16)}" if new_ids else node["id"]
            ids[node["id"]] = new
            kept = {k: node[k] for k in _LABELLED_NODE_KEYS if k in node}
            kept.update(id=new, name=redaction.name(node["id"], ""), redacted=True)
            nodes.append(kept)
        else:
            nodes.append({**node, "name": redaction.name(node["id"], node.get("name") or "")})
    edges = []
    for edge in body["edges"]:
        edge = dict(edge)
        if new_ids and (edge["source"] in ids or edge["target"] in ids):
            edge["id"] = f"redacted-{secrets.token_hex(8)}"
        edge["source"] = ids.get(edge["source"], edge["source"])
        edge["target"] = ids.get(edge["target"], edge["target"])
        if edge.get("role"):
            edge["role"] = redaction.text(edge["role"])
        edges.append(edge)
    return {**body, "nodes": nodes, "edges": edges}


#: What a labelled node keeps: nothing that identifies it.
_LABELLED_NODE_KEYS = ("schema", "in_case", "role", "degree", "betweenness", "community", "hub")


# --- whole-graph analytics --------------------------------------------------------------------


def analyse_organisation(
    session: Session,
    organisation: Organisation,
    *,
    progress=None,
    k=None,
    seed=0,
    communities="leiden",
    actor=None,
) -> NetworkAnalysis:
    """Compute degree, betweenness and communities over one organisation's whole graph and
    store them (a :class:`NetworkAnalysis` and one :class:`EntityMetric` per entity).

    Reads plain tuples (never ORM objects), builds the undirected simple graph weighted by the
    number of relations per pair, and computes with igraph: betweenness exact up to
    :data:`EXACT_BETWEENNESS` entities, else sampled from ``k`` (default
    :data:`SAMPLED_SOURCES`) sources drawn with ``seed``; communities by maximising modularity
    with ``"leiden"`` (default: Louvain with the refinement step of Traag et al. 2019, which
    keeps communities connected; 0.5 s instead of 13-18 s for Louvain on 100,000 entities here,
    with a higher modularity) or ``"louvain"``. Flushes; the caller commits.
    """
    if communities not in COMMUNITY_METHODS:
        raise Invalid({"communities": Msg("must be leiden or louvain")})
    progress = progress or (lambda percent, message=None: None)
    started = time.perf_counter()
    started_at = utcnow()
    progress(1, "reading entities")
    ids = array("q", store.organisation_nodes(session, organisation.id))
    index = {node: i for i, node in enumerate(ids)}
    progress(10, "reading relations")
    pairs = []
    skipped = 0
    for source, target in store.organisation_edges(session, organisation.id):
        a, b = index.get(source), index.get(target)
        if a is None or b is None:
            skipped += 1  # an end merged away or in another organisation: never mixed in
            continue
        pairs.append((a, b))
    n = len(ids)
    progress(30, "computing degree, betweenness and communities")
    timings = {}
    degree, betweenness, membership, method = _metrics(
        n, pairs, k=k, seed=seed, timings=timings, progress=progress, communities=communities
    )
    edge_count = len(pairs)
    del pairs
    # Nothing is written before this point, and no progress is reported after it: on SQLite the
    # job's progress is written from another connection, which a write transaction would block.
    progress(85, "storing the results")
    row = NetworkAnalysis(organisation_id=organisation.id, status="running", started_at=started_at)
    session.add(row)
    session.flush()
    table = EntityMetric.__table__
    batch = []
    for i, entity_id in enumerate(ids):
        batch.append(
            {
                "analysis_id": row.id,
                "entity_id": entity_id,
                "degree": degree[i],
                "betweenness": betweenness[i],
                "community": membership[i],
            }
        )
        if len(batch) == 20_000:
            session.execute(insert(table), batch)
            batch = []
    if batch:
        session.execute(insert(table), batch)
    top = sorted(range(n), key=lambda i: (-betweenness[i], -degree[i], ids[i]))[:TOP_BROKERS]
    row.status = "done"
    row.finished_at = utcnow()
    row.node_count = n
    row.edge_count = edge_count
    row.community_count = len(set(membership))
    row.method = method
    row.seconds = round(time.perf_counter() - started, 3)
    row.params = json.dumps(
        {
            "k": k,
            "seed": seed,
            "skipped_relations": skipped,
            "seconds": timings,
            "top_brokers": [ids[i] for i in top],
        }
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        None,
        audit.Action.CREATE,
        "network_analysis",
        row.id,
        details={
            "organisation": organisation.code,
            "nodes": n,
            "edges": edge_count,
            "communities": row.community_count,
            "method": method,
        },
        organisation_id=organisation.id,
        actor=actor or "assettrack network analyse",
    )
    return row


def start_analysis(session: Session, user: User, organisation_code=None):
    """Queue ``network analyse`` for the caller's organisation (or one they may read) as a job.

    The caller commits, then hands the job to :func:`assettrack.jobs.start_job`.
    """
    from .. import jobs

    if not access.can_read_cases(user):
        raise AccessDenied("network analytics are for officers and liaisons")
    organisation = _readable_organisation(session, user, organisation_code)
    return jobs.create_job(session, user, "network_analyse", {"organisation_id": organisation.id})


def latest_analysis(session: Session, user: User, organisation_code=None, *, top=TOP_BROKERS):
    """Return the latest finished analysis of the caller's organisation and its top brokers."""
    if not access.can_read_cases(user):
        raise NotFound("no network analysis")
    organisation = _readable_organisation(session, user, organisation_code)
    row = session.scalars(
        select(NetworkAnalysis)
        .where(NetworkAnalysis.organisation_id == organisation.id, NetworkAnalysis.status == "done")
        .order_by(NetworkAnalysis.finished_at.desc(), NetworkAnalysis.id.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound(f"no network analysis of {organisation.code} yet")
    params = json.loads(row.params or "{}")
    metric = EntityMetric.__table__
    entity = Entity.__table__
    stmt = (
        select(
            metric.c.entity_id,
            entity.c.caption,
            entity.c.schema,
            metric.c.betweenness,
            metric.c.degree,
            metric.c.community,
        )
        .join(entity, entity.c.id == metric.c.entity_id)
        .where(metric.c.analysis_id == row.id)
    )
    stored_top = params.get("top_brokers")
    if stored_top is not None:
        # The ids were ranked when stored: a primary-key lookup instead of sorting every row.
        stmt = stmt.where(metric.c.entity_id.in_(stored_top[:top] or [-1]))
    else:
        stmt = stmt.order_by(metric.c.betweenness.desc(), metric.c.entity_id).limit(top)
    brokers = [
        {
            "id": entity_id,
            "name": caption,
            "schema": schema_name,
            "betweenness": betweenness,
            "degree": degree,
            "community": community,
        }
        for entity_id, caption, schema_name, betweenness, degree, community in session.execute(stmt)
    ]
    brokers.sort(key=lambda b: (-b["betweenness"], -b["degree"], b["id"]))
    audit.record(
        session,
        user,
        audit.Action.READ,
        "network_analysis",
        row.id,
        details={"view": "latest", "brokers": [b["id"] for b in brokers]},
        organisation_id=organisation.id,
    )
    return {
        "id": row.id,
        "organisation": organisation.code,
        "started_at": row.started_at.isoformat(),
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "method": row.method,
        "node_count": row.node_count,
        "edge_count": row.edge_count,
        "community_count": row.community_count,
        "seconds": row.seconds,
        "brokers": brokers,
    }


@handler("network_analyse")
def _analyse_job(session: Session, job, user: User, params: dict, progress):
    organisation = session.get(Organisation, params["organisation_id"])
    analyse_organisation(
        session,
        organisation,
        progress=progress,
        k=params.get("k"),
        communities=params.get("communities", "leiden"),
        actor=f"job {job.id} for {user.email}",
    )
    return None


# --- helpers ----------------------------------------------------------------------------------

_EXPORTS = {
    "gexf": (render.to_gexf, "application/gexf+xml"),
    "graphml": (render.to_graphml, "application/graphml+xml"),
}

# igraph draws from one global random generator: seeded runs take turns.
_IGRAPH_LOCK = threading.Lock()


def _check_range(name, value, low, high):
    if not isinstance(value, int) or not low <= value <= high:
        raise Invalid(
            {f"?{name}": Msg("must be a whole number from {low} to {high}", low=low, high=high)}
        )


def _codes(session) -> dict[int, str]:
    return dict(session.execute(select(Organisation.id, Organisation.code)).all())


def _organisations(session):
    codes, contacts = {}, {}
    for org_id, code, contact in session.execute(
        select(Organisation.id, Organisation.code, Organisation.contact_email)
    ):
        codes[org_id] = code
        contacts[org_id] = contact
    return codes, contacts


def _readable_organisation(session, user, code) -> Organisation:
    if not code:
        return session.get(Organisation, user.organisation_id)
    organisation = session.scalars(
        select(Organisation).where(Organisation.code == str(code).strip().upper())
    ).first()
    if organisation is None or organisation.id not in access.readable_organisation_ids(
        session, user
    ):
        raise NotFound(f"organisation {code} not found")
    return organisation


def _audit_entity_read(session, user, entity, view, **details):
    audit.record(
        session,
        user,
        audit.Action.READ,
        "entity",
        entity.id,
        details={"view": view, **details},
        organisation_id=entity.organisation_id,
    )


def _case_body(session, user, case, *, expand, limit):
    orgs = access.readable_organisation_ids(session, user)
    subgraph = store.case_graph(session, case.id, orgs, expand=expand, limit=limit)
    metrics = case_brokers(subgraph)
    members = {
        entity_id: (role, as_asset)
        for entity_id, role, as_asset in session.execute(
            select(CaseEntity.entity_id, CaseEntity.role, CaseEntity.as_asset).where(
                CaseEntity.case_id == case.id
            )
        )
    }
    extra = {}
    for node_id, values in metrics.items():
        fields = dict(values)
        if node_id in members:
            fields.update(in_case=True, role=members[node_id][0], as_asset=members[node_id][1])
        else:
            fields["in_case"] = False
        extra[node_id] = fields
    return render.graph_json(subgraph, organisations=_codes(session), extra=extra)


def _metrics(n, pairs, *, k=None, seed=0, timings=None, progress=None, communities="louvain"):
    """Degree, betweenness (normalised 0-1), community index and a description.

    ``pairs`` are (i, j) vertex indexes, one per relation, in either direction, repeats
    allowed: the simple undirected graph weights each pair by its number of relations.
    """
    timings = {} if timings is None else timings
    if n == 0:
        return [], [], [], "empty graph"
    try:
        import igraph
    except ImportError:  # pragma: no cover - igraph is a dependency; networkx still answers
        return _networkx_metrics(n, pairs, k=k, seed=seed)
    clock = time.perf_counter()
    graph = igraph.Graph(n=n, edges=pairs, directed=False)
    graph.es["weight"] = 1
    graph.simplify(multiple=True, loops=True, combine_edges={"weight": "sum"})
    timings["build"] = round(time.perf_counter() - clock, 3)
    clock = time.perf_counter()
    degrees = graph.degree()
    degree = [1.0] * n if n <= 1 else [d / (n - 1) for d in degrees]
    sources = None
    if k is None and n > EXACT_BETWEENNESS:
        k = SAMPLED_SOURCES
    if k is not None and k < n:
        sources = sorted(random.Random(seed).sample(range(n), k))  # noqa: S311 (sampling)
    if progress:
        progress(35, "betweenness")
    raw = graph.betweenness(directed=False, sources=sources)
    timings["betweenness"] = round(time.perf_counter() - clock, 3)
    scale = 2 / ((n - 1) * (n - 2)) if n > 2 else 1.0
    if sources is not None:
        scale *= n / len(sources)
    betweenness = [value * scale for value in raw]
    clock = time.perf_counter()
    if progress:
        progress(65, "communities")
    with _IGRAPH_LOCK:
        previous = random.getstate()
        try:
            igraph.set_random_number_generator(random.Random(seed))  # noqa: S311
            if communities == "leiden":
                # Two passes (igraph's default): on 1,000,000 entities 19 s; iterating until
                # stable did not finish in 15 minutes, for a negligible gain in modularity.
                clusters = graph.community_leiden(
                    objective_function="modularity", weights="weight", n_iterations=2
                )
            else:
                clusters = graph.community_multilevel(weights="weight")
        finally:
            igraph.set_random_number_generator(random)
            random.setstate(previous)
    timings["communities"] = round(time.perf_counter() - clock, 3)
    membership = _ranked_membership(clusters.membership)
    method = "igraph {}: degree; betweenness {}; {}, weighted".format(
        igraph.__version__,
        "exact" if sources is None else f"sampled from {len(sources)} sources, seed {seed}",
        "Leiden (modularity)" if communities == "leiden" else "Louvain (multilevel)",
    )
    return degree, betweenness, membership, method


def _ranked_membership(membership):
    """Renumber communities 0, 1, 2... from the largest (ties: the lowest first member)."""
    sizes = {}
    first = {}
    for i, label in enumerate(membership):
        sizes[label] = sizes.get(label, 0) + 1
        first.setdefault(label, i)
    order = sorted(sizes, key=lambda label: (-sizes[label], first[label]))
    rank = {label: r for r, label in enumerate(order)}
    return [rank[label] for label in membership]


def _networkx_metrics(n, pairs, *, k=None, seed=0):
    import networkx as nx

    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(pairs)
    if k is None and n > EXACT_BETWEENNESS:
        k = SAMPLED_SOURCES
    scores = analysis.brokers(graph, k=k, seed=seed)
    found = analysis.communities(graph, seed=seed)
    membership = [0] * n
    for r, members in enumerate(found):
        for node in members:
            membership[node] = r
    degree = [scores[i]["degree"] for i in range(n)]
    betweenness = [scores[i]["betweenness"] for i in range(n)]
    return degree, betweenness, membership, f"networkx {nx.__version__}: brokers, Louvain"
