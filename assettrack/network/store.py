"""SQL that fetches bounded pieces of the entity graph into plain tuples.

Every function takes a SQLAlchemy ``Session`` (or ``Connection``) and the set of organisation ids
the caller may read (:func:`assettrack.access.readable_organisation_ids`); entities and relations
of other organisations never come back, except through :func:`identifier_matches`, whose caller
answers hit/no-hit across organisations. Results are :class:`Node` and :class:`Edge` named tuples
gathered in a :class:`Subgraph`; :func:`as_multidigraph` turns one into the graph that
:mod:`assettrack.network.analysis` expects.

How the graph is walked
    Level by level from a frontier of entity ids, one round trip per level (SQLAlchemy Core;
    the same statements run on SQLite and PostgreSQL). Each level first reads the frontier's
    entity rows together with a *capped* count of their relations (a correlated ``LIMIT``, so a
    hub with 70,000 relations costs ``hub_cap`` index entries, not 70,000), then the relations of
    the frontier's non-hubs through ``ix_relation_source`` and ``ix_relation_target``. A hub is
    kept as a node but its relations are only sampled up to the node budget and the result says
    ``truncated``. Scope filters are written ``+relation.organisation_id IN (...)``: the unary
    plus stops SQLite from choosing ``ix_relation_organisation_id`` over the endpoint indexes
    (one neighbourhood query took 1 s instead of 10 ms that way); tests assert the plans.

Edges that are not relation rows
    ``SameAs``: two entities of readable organisations that share a strong identifier
    (``entity_identifier``: IMO number, IBAN, LEI...), ``role`` holding the identifier's kind.
    ``Ownership`` from an entity property: a wallet's ``holder`` and a vehicle's, vessel's or
    airplane's ``owner`` (:attr:`domain.schema.SchemaInfo.owner_properties`) are kept in the
    entity's properties JSON, not as relations; they come back as ownership with an unknown
    share, ``role`` naming the property. The property holds the owner's FtM id
    (``external_id``) or its assettrack id, looked up in the asset's organisation. These are
    followed from the asset to its owner only (the properties are not indexed the other way).

Known limit: the last ring of a neighbourhood is reached but not expanded, so relations between
two entities of that ring are not fetched.
"""

import json
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

import networkx as nx
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import literal_column
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import union_all
from sqlalchemy.orm import Session as OrmSession

from ..domain import clock
from ..domain import schema as ftm_schema
from ..models import CaseEntity
from ..models import Entity
from ..models import EntityIdentifier
from ..models import Relation

__all__ = [
    "Node",
    "Edge",
    "Subgraph",
    "PathResult",
    "OWNER_SCHEMATA",
    "STATEMENTS",
    "case_graph",
    "neighbourhood",
    "ownership_ancestors",
    "shortest_paths",
    "identifier_matches",
    "case_memberships",
    "organisation_nodes",
    "organisation_edges",
    "as_multidigraph",
]


class Node(NamedTuple):
    """An entity as the graph shows it."""

    id: int
    organisation_id: int
    schema: str
    name: str


class Edge(NamedTuple):
    """A relation, or an edge derived from an identifier or an owner property.

    ``id`` is the relation id (int), or a text key for a derived edge: ``"same:<a>:<b>"`` for
    ``SameAs``, ``"<property>:<asset>:<owner>"`` for an owner property.
    """

    id: int | str
    schema: str
    source: int
    target: int
    percentage: Decimal | None = None
    percentage_min: Decimal | None = None
    percentage_max: Decimal | None = None
    start_date: date | None = None
    end_date: date | None = None
    role: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    paid_on: date | None = None


@dataclass
class Subgraph:
    """Nodes and edges fetched for one request.

    ``truncated`` is True when a cap cut the answer (node limit, a hub's relations, depth);
    ``hubs`` maps each hub whose relations were cut to the number of its relations seen (a lower
    bound); ``depth`` gives each node's distance from the start (neighbourhoods) or 0 for the
    members of a case.
    """

    nodes: dict[int, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    truncated: bool = False
    hubs: dict[int, int] = field(default_factory=dict)
    depth: dict[int, int] = field(default_factory=dict)


class PathResult(NamedTuple):
    """Shortest paths (lists of entity ids), the edges along them and whether a cap was hit."""

    paths: list[list[int]]
    edges: list[Edge]
    nodes: dict[int, Node]
    truncated: bool


#: Schemata whose entities name their owner in a property (wallet holder, vehicle owner).
OWNER_SCHEMATA = {
    info.name: info.owner_properties for info in ftm_schema.schemata() if info.owner_properties
}

_R = Relation.__table__
_E = Entity.__table__
_I = EntityIdentifier.__table__
_CE = CaseEntity.__table__
_I2 = _I.alias("other_identifier")

_EDGE_COLUMNS = (
    _R.c.id,
    _R.c.schema,
    _R.c.source_id,
    _R.c.target_id,
    _R.c.percentage,
    _R.c.percentage_min,
    _R.c.percentage_max,
    _R.c.start_date,
    _R.c.end_date,
    _R.c.role,
    _R.c.amount,
    _R.c.currency,
    _R.c.paid_on,
)


def _unindexed(column):
    """``+table.column``: the same value, but SQLite will not pick an index for the term."""
    return literal_column(f"+{column.table.name}.{column.name}", type_=column.type)


_ORGS = bindparam("orgs", expanding=True)
_IDS = bindparam("ids", expanding=True)
# In scope, and not removed by a correction (issue #12: a removed relation is kept, hidden).
_IN_SCOPE = and_(_unindexed(_R.c.organisation_id).in_(_ORGS), _R.c.removed_at.is_(None))

# Relations of a frontier, both directions. A relation between two frontier entities comes back
# twice; callers deduplicate by id.
_FRONTIER_EDGES = union_all(
    select(*_EDGE_COLUMNS).where(_R.c.source_id.in_(_IDS), _IN_SCOPE),
    select(*_EDGE_COLUMNS).where(_R.c.target_id.in_(_IDS), _IN_SCOPE),
)

# The same, with only what a path search needs: fewer columns to read and convert.
_LINK_COLUMNS = (_R.c.id, _R.c.schema, _R.c.source_id, _R.c.target_id)
_FRONTIER_LINKS = union_all(
    select(*_LINK_COLUMNS).where(_R.c.source_id.in_(_IDS), _IN_SCOPE),
    select(*_LINK_COLUMNS).where(_R.c.target_id.in_(_IDS), _IN_SCOPE),
)
_EDGES_BY_ID = select(*_EDGE_COLUMNS).where(_R.c.id.in_(_IDS))

# A sample of one hub's relations.
_HUB_EDGES = union_all(
    select(*_EDGE_COLUMNS)
    .where(_R.c.source_id == bindparam("hub"), _IN_SCOPE)
    .limit(bindparam("n"))
    .subquery()
    .select(),
    select(*_EDGE_COLUMNS)
    .where(_R.c.target_id == bindparam("hub"), _IN_SCOPE)
    .limit(bindparam("n"))
    .subquery()
    .select(),
)

# Relations among a set of entities (a case): by source index, target checked on the row.
_INDUCED_EDGES = select(*_EDGE_COLUMNS).where(
    _R.c.source_id.in_(_IDS),
    _unindexed(_R.c.target_id).in_(bindparam("ids2", expanding=True)),
    _IN_SCOPE,
)

# Holdings in a frontier of assets, valid on a day (NULL dates: always).
_OWNERSHIP_UP = (
    select(*_EDGE_COLUMNS)
    .where(
        _R.c.target_id.in_(_IDS),
        _R.c.schema == "Ownership",
        _IN_SCOPE,
        or_(_R.c.start_date.is_(None), _R.c.start_date <= bindparam("as_of")),
        or_(_R.c.end_date.is_(None), _R.c.end_date >= bindparam("as_of")),
    )
    .limit(bindparam("n"))
)

_OWNER_SCHEMA_NAMES = sorted(OWNER_SCHEMATA)

# Frontier entity rows with a capped count of their relations each way (hub detection), and the
# properties JSON only for schemata that name an owner in it.
_ENTITY_ROWS = text(
    """
    SELECT e.id, e.organisation_id, e.schema, e.caption,
           CASE WHEN e.schema IN :owner_schemata THEN e.properties END AS properties,
           (SELECT count(*) FROM (SELECT 1 FROM relation r WHERE r.source_id = e.id
                                  LIMIT :cap) AS outgoing) AS outgoing,
           (SELECT count(*) FROM (SELECT 1 FROM relation r WHERE r.target_id = e.id
                                  LIMIT :cap) AS incoming) AS incoming
    FROM entity e
    WHERE e.id IN :ids AND +e.organisation_id IN :orgs AND e.merged_into_id IS NULL
    """
).bindparams(
    bindparam("ids", expanding=True),
    bindparam("orgs", expanding=True),
    bindparam("owner_schemata", value=_OWNER_SCHEMA_NAMES or ["-"], expanding=True),
)

# Entities sharing a strong identifier with a frontier entity (scope checked on the entity rows).
_SAME_AS = (
    select(_I.c.entity_id, _I2.c.entity_id, _I.c.kind)
    .select_from(
        _I.join(
            _I2,
            and_(
                _I2.c.kind == _I.c.kind,
                _I2.c.value == _I.c.value,
                _I2.c.entity_id != _I.c.entity_id,
            ),
        ).join(_E, _E.c.id == _I2.c.entity_id)
    )
    .where(
        _I.c.entity_id.in_(_IDS),
        _unindexed(_E.c.organisation_id).in_(_ORGS),
        _E.c.merged_into_id.is_(None),
    )
    .limit(bindparam("n"))
)

# Owner property references: an FtM id or an assettrack id within the asset's organisation.
_OWNER_BY_EXTERNAL_ID = select(_E.c.id, _E.c.external_id).where(
    _E.c.organisation_id == bindparam("org"),
    _E.c.external_id.in_(bindparam("refs", expanding=True)),
    _E.c.merged_into_id.is_(None),
)
_OWNER_BY_ID = select(_E.c.id).where(
    _E.c.id.in_(bindparam("ref_ids", expanding=True)),
    _E.c.organisation_id == bindparam("org"),
    _E.c.merged_into_id.is_(None),
)

_CASE_MEMBERS = (
    select(_CE.c.entity_id)
    .join(_E, _E.c.id == _CE.c.entity_id)
    .where(
        _CE.c.case_id == bindparam("case_id"),
        _CE.c.removed_at.is_(None),
        _E.c.organisation_id.in_(_ORGS),
        _E.c.merged_into_id.is_(None),
    )
    .order_by(_CE.c.entity_id)
    .limit(bindparam("n"))
)

_IDENTIFIER_MATCHES = (
    select(_I2.c.entity_id, _E.c.organisation_id, _I.c.kind)
    .select_from(
        _I.join(_I2, and_(_I2.c.kind == _I.c.kind, _I2.c.value == _I.c.value)).join(
            _E, _E.c.id == _I2.c.entity_id
        )
    )
    .where(
        _I.c.entity_id == bindparam("entity_id"),
        _I2.c.entity_id != bindparam("entity_id"),
        _E.c.merged_into_id.is_(None),
    )
    .order_by(_I2.c.entity_id, _I.c.kind)
)

#: The hot statements, for tests that check their query plans: name -> (statement, params).
STATEMENTS = {
    "frontier_edges": (_FRONTIER_EDGES, {"ids": [1, 2, 3], "orgs": [1]}),
    "frontier_links": (_FRONTIER_LINKS, {"ids": [1, 2, 3], "orgs": [1]}),
    "hub_edges": (_HUB_EDGES, {"hub": 1, "n": 10, "orgs": [1]}),
    "induced_edges": (_INDUCED_EDGES, {"ids": [1, 2, 3], "ids2": [1, 2, 3], "orgs": [1]}),
    "ownership_up": (
        _OWNERSHIP_UP,
        {"ids": [1, 2], "orgs": [1], "as_of": date(2024, 1, 1), "n": 9},
    ),
    "entity_rows": (_ENTITY_ROWS, {"ids": [1, 2, 3], "orgs": [1], "cap": 10}),
    "same_as": (_SAME_AS, {"ids": [1, 2, 3], "orgs": [1], "n": 10}),
    "identifier_matches": (_IDENTIFIER_MATCHES, {"entity_id": 1}),
}


# --- public functions -------------------------------------------------------------------------


def case_graph(session, case_id, orgs, *, expand=False, limit=2000, hub_cap=250):
    """Fetch a case's entities and the relations among them, optionally one hop out.

    Parameters
    ----------
    session : Session or Connection
    case_id : int
        The case, already checked readable by the caller.
    orgs : set of int
        Organisations the caller may read.
    expand : bool, default False
        Also fetch every relation of the case's entities and the entities at their other end.
    limit : int, default 2000
        At most this many nodes; the case's own entities first (by id).
    hub_cap : int, default 250
        With ``expand``, an entity with more relations than this (either way) is a hub: its
        relations are sampled to fill the node budget left.

    Returns
    -------
    Subgraph
        ``depth`` is 0 for the case's entities and 1 for those reached by ``expand``.
    """
    orgs = _org_list(orgs)
    graph = Subgraph()
    members = [
        row[0]
        for row in _rows(session, _CASE_MEMBERS, {"case_id": case_id, "orgs": orgs, "n": limit + 1})
    ]
    if len(members) > limit:
        members = members[:limit]
        graph.truncated = True
    rows = _entity_rows(session, members, orgs, hub_cap if expand else 0)
    for row in rows.values():
        graph.nodes[row.node.id] = row.node
        graph.depth[row.node.id] = 0
    ids = list(graph.nodes)
    edges = {}
    for chunk in _chunks(ids, _CHUNK):
        for row in _rows(session, _INDUCED_EDGES, {"ids": chunk, "ids2": ids, "orgs": orgs}):
            edges[row[0]] = Edge(*row)
    for edge in _owner_property_edges(session, rows.values()):
        if edge.source in graph.nodes:
            edges.setdefault(edge.id, edge)
    graph.edges = _without_shadowed_property_edges(edges.values())
    if expand:
        _grow(session, graph, rows, orgs, limit=limit, hub_cap=hub_cap, depth=1, probe_next=False)
    return graph


def neighbourhood(session, entity_id, orgs, *, depth=2, limit=500, hub_cap=250):
    """Fetch the entities within ``depth`` links of an entity, whatever the kind of link.

    Parameters
    ----------
    session : Session or Connection
    entity_id : int
        The centre; when it is outside ``orgs`` the result is empty.
    orgs : set of int
        Organisations the caller may read.
    depth : int, default 2
        Links to follow (1 to 3).
    limit : int, default 500
        At most this many nodes (the centre included).
    hub_cap : int, default 250
        An entity with more relations than this (either way) is a hub: it is shown, but its
        relations are only sampled to fill the node budget left after the others.

    Returns
    -------
    Subgraph
        ``truncated`` when the node limit was reached or a hub was cut.
    """
    if not 1 <= depth <= 3:
        raise ValueError("depth must be 1, 2 or 3")
    orgs = _org_list(orgs)
    graph = Subgraph()
    rows = _entity_rows(session, [entity_id], orgs, hub_cap)
    if entity_id not in rows:
        return graph
    graph.nodes[entity_id] = rows[entity_id].node
    graph.depth[entity_id] = 0
    frontier = rows
    for level in range(1, depth + 1):
        frontier = _grow(
            session,
            graph,
            frontier,
            orgs,
            limit=limit,
            hub_cap=hub_cap,
            depth=level,
            probe_next=level < depth,
        )
        if not frontier:
            break
    return graph


def ownership_ancestors(session, entity_id, orgs, *, as_of=None, max_levels=20, limit=5000):
    """Fetch the holdings above an entity: its owners, their owners... up to ``max_levels``.

    Follows ``Ownership`` relations from the asset up to the owner (``ix_relation_target``)
    valid on ``as_of``, and owner properties (a wallet's ``holder``, a vehicle's ``owner``) as
    ownership of unknown share. The result feeds
    :func:`assettrack.network.analysis.effective_owners`.

    Parameters
    ----------
    session : Session or Connection
    entity_id : int
    orgs : set of int
    as_of : date, optional
        Only holdings valid that day (today when None).
    max_levels : int, default 20
        Levels of owners to climb; more are cut with ``truncated``.
    limit : int, default 5000
        At most this many entities.

    Returns
    -------
    Subgraph
    """
    orgs = _org_list(orgs)
    as_of = as_of or clock.utc_today()
    graph = Subgraph()
    rows = _entity_rows(session, [entity_id], orgs, 0)
    if entity_id not in rows:
        return graph
    graph.nodes[entity_id] = rows[entity_id].node
    graph.depth[entity_id] = 0
    edges = {}
    frontier = rows
    for level in range(1, max_levels + 2):
        if not frontier:
            break
        if level > max_levels:
            graph.truncated = True
            break
        budget = 4 * limit
        found = [
            Edge(*row)
            for row in _rows(
                session,
                _OWNERSHIP_UP,
                {"ids": list(frontier), "orgs": orgs, "as_of": as_of, "n": budget + 1},
            )
        ]
        if len(found) > budget:
            found = found[:budget]
            graph.truncated = True
        found += [
            edge
            for edge in _owner_property_edges(session, frontier.values())
            if edge.target in frontier
        ]
        new_ids = _unique(e.source for e in found if e.source not in graph.nodes)
        room = limit - len(graph.nodes)
        if len(new_ids) > room:
            new_ids = new_ids[:room]
            graph.truncated = True
        frontier = _entity_rows(session, new_ids, orgs, 0)
        for node_id, row in frontier.items():
            graph.nodes[node_id] = row.node
            graph.depth[node_id] = level
        for edge in found:
            if edge.source in graph.nodes and edge.target in graph.nodes:
                edges.setdefault(edge.id, edge)
    graph.edges = _without_shadowed_property_edges(edges.values())
    return graph


def shortest_paths(
    session,
    source,
    target,
    orgs,
    *,
    max_depth=6,
    max_paths=10,
    hub_cap=500,
    frontier_cap=20_000,
):
    """Find the shortest chains of links of any kind between two entities, searching from both.

    A breadth-first search runs from each end in turn (always the smaller frontier), one SQL
    round trip per level, until the two meet. Links are followed both ways: relations of every
    kind, shared strong identifiers (``SameAs``) and owner properties. A hub (more than
    ``hub_cap`` relations either way) can be where the two searches meet but is not expanded;
    a frontier larger than ``frontier_cap`` stops the search.

    Parameters
    ----------
    session : Session or Connection
    source, target : int
    orgs : set of int
    max_depth : int, default 6
        Longest chain looked for, in links.
    max_paths : int, default 10
        At most this many paths, all of the shortest length, sorted by their ids.
    hub_cap : int, default 500
    frontier_cap : int, default 20000

    Returns
    -------
    PathResult
        ``truncated`` is True when a hub was not expanded or a frontier was too large before
        the searches met (a path through it may exist or be shorter).
    """
    orgs = _org_list(orgs)
    ends = _entity_rows(session, _unique([source, target]), orgs, hub_cap)
    if source not in ends or target not in ends:
        return PathResult([], [], {}, False)
    if source == target:
        return PathResult([[source]], [], {source: ends[source].node}, False)
    sides = [_Side(source), _Side(target)]
    truncated = False
    meeting = []
    while sides[0].depth + sides[1].depth < max_depth:
        if any(not s.frontier and not s.cut for s in sides):
            break  # one end's whole component was searched: no path
        live = [s for s in sides if s.frontier]
        if not live:
            break
        side = min(live, key=lambda s: len(s.frontier))
        other = sides[1] if side is sides[0] else sides[0]
        # Entity rows (and hub probes) only for the frontier about to be expanded: every link
        # found is already within scope (relations by their organisation, identifier matches
        # and owner properties by their entity's), so the last ring is never read twice.
        rows = _entity_rows(session, side.frontier, orgs, hub_cap)
        edges = _frontier_edges(session, rows, orgs, hub_cap, slim=True)
        if edges.cut:
            truncated = side.cut = True
        side.depth += 1
        found = {}
        for near, far, edge in edges.links:
            if far not in side.seen:
                found.setdefault(far, {}).setdefault(near, edge)
        if len(found) > frontier_cap:
            truncated = True
            break
        for far, parents in found.items():
            side.seen[far] = side.depth
            side.parents[far] = parents
        meeting = [n for n in found if n in other.seen]
        if meeting:
            best = min(side.depth + other.seen[n] for n in meeting)
            meeting = [n for n in meeting if side.depth + other.seen[n] == best]
            break
        side.frontier = sorted(found)
    if not meeting:
        return PathResult([], [], {}, truncated)
    forward, backward = (sides[0], sides[1])
    paths = []
    for node in sorted(meeting):
        for head in _walk_back(forward, node, max_paths):
            for tail in _walk_back(backward, node, max_paths):
                paths.append(head + tail[::-1][1:])
    paths = sorted({tuple(p) for p in paths}, key=lambda p: [str(n) for n in p])
    on_paths = _unique(n for p in paths for n in p)
    nodes = {n: r.node for n, r in _entity_rows(session, on_paths, orgs, 0).items()}
    # A path through an entity merged away or out of scope is dropped (a safeguard: relations
    # are re-pointed by a merge and never cross organisations).
    paths = [list(p) for p in paths if all(n in nodes for n in p)][:max_paths]
    edges = {}
    for path in paths:
        for a, b in zip(path, path[1:], strict=False):
            edge = _link(sides, a, b)
            if edge is not None:
                edges.setdefault(edge.id, edge)
    relation_ids = [key for key in edges if isinstance(key, int)]
    for row in _rows(session, _EDGES_BY_ID, {"ids": relation_ids}) if relation_ids else ():
        edges[row[0]] = Edge(*row)
    return PathResult(paths, list(edges.values()), nodes, truncated)


def identifier_matches(session, entity_id):
    """Return ``(entity_id, organisation_id, kind)`` for every other entity, in any organisation,
    that shares a strong identifier with ``entity_id``.

    Unscoped on purpose: the caller answers hit/no-hit for organisations it may not read.
    """
    return [tuple(row) for row in _rows(session, _IDENTIFIER_MATCHES, {"entity_id": entity_id})]


def case_memberships(session, entity_ids):
    """Return ``(case_id, entity_id, role, organisation_id)`` for each case holding one of the
    entities, in any organisation (the caller filters by scope)."""
    from ..models import Case

    cases = Case.__table__
    if not entity_ids:
        return []
    stmt = (
        select(_CE.c.case_id, _CE.c.entity_id, _CE.c.role, cases.c.organisation_id)
        .join(cases, cases.c.id == _CE.c.case_id)
        .where(_CE.c.entity_id.in_(_unique(entity_ids)), _CE.c.removed_at.is_(None))
        .order_by(_CE.c.case_id, _CE.c.entity_id)
    )
    return [tuple(row) for row in _rows(session, stmt)]


def organisation_nodes(session, organisation_id) -> Iterator[int]:
    """Stream the ids of an organisation's entities (merged records left out), ascending."""
    stmt = (
        select(_E.c.id)
        .where(_E.c.organisation_id == organisation_id, _E.c.merged_into_id.is_(None))
        .order_by(_E.c.id)
    )
    result = session.execute(stmt, execution_options={"yield_per": _STREAM})
    for row in result:
        yield row[0]


def organisation_edges(session, organisation_id) -> Iterator[tuple[int, int]]:
    """Stream ``(source, target)`` for each relation of an organisation, then for each owner
    property (holder, owner) resolved within it."""
    stmt = select(_R.c.source_id, _R.c.target_id).where(
        _R.c.organisation_id == organisation_id, _R.c.removed_at.is_(None)
    )
    for row in session.execute(stmt, execution_options={"yield_per": _STREAM}):
        yield row[0], row[1]
    assets = select(_E.c.id, _E.c.organisation_id, _E.c.schema, _E.c.properties).where(
        _E.c.organisation_id == organisation_id,
        _E.c.schema.in_(_OWNER_SCHEMA_NAMES or ["-"]),
        _E.c.merged_into_id.is_(None),
    )
    batch = []
    for row in session.execute(assets, execution_options={"yield_per": _STREAM}):
        batch.append(_Row(Node(row[0], row[1], row[2], ""), row[3], 0, 0))
        if len(batch) == _CHUNK:
            yield from ((e.source, e.target) for e in _owner_property_edges(session, batch))
            batch = []
    yield from ((e.source, e.target) for e in _owner_property_edges(session, batch))


def as_multidigraph(subgraph: Subgraph, **node_attributes) -> nx.MultiDiGraph:
    """Return the subgraph as :mod:`assettrack.network.analysis` expects it.

    Nodes get ``schema`` and ``name`` (plus ``organisation_id`` and ``depth``), edges are keyed
    by their id with every field of :class:`Edge`. ``node_attributes`` maps an attribute name to
    a dict node -> value to add (a case role, say).
    """
    graph = nx.MultiDiGraph()
    for node in subgraph.nodes.values():
        attrs = {
            "schema": node.schema,
            "name": node.name,
            "organisation_id": node.organisation_id,
            "depth": subgraph.depth.get(node.id),
        }
        for name, values in node_attributes.items():
            if node.id in values:
                attrs[name] = values[node.id]
        graph.add_node(node.id, **attrs)
    for edge in subgraph.edges:
        if edge.source in graph and edge.target in graph:
            graph.add_edge(edge.source, edge.target, key=edge.id, **edge._asdict())
    return graph


# --- helpers ----------------------------------------------------------------------------------

_CHUNK = 5000  # ids per IN list: well under SQLite's 32,766 and PostgreSQL's 65,535 parameters
_STREAM = 50_000


class _Row(NamedTuple):
    node: Node
    properties: str | None
    outgoing: int
    incoming: int


@dataclass
class _Side:
    """One end of the bidirectional search: distance and parents of every entity reached."""

    start: int
    depth: int = 0
    cut: bool = False
    seen: dict = field(default_factory=dict)
    parents: dict = field(default_factory=dict)
    frontier: list = field(default_factory=list)

    def __post_init__(self):
        self.seen = {self.start: 0}
        self.frontier = [self.start]


class _Links(NamedTuple):
    links: list  # (frontier entity, entity reached, edge)
    cut: bool


def _org_list(orgs) -> list[int]:
    return sorted(orgs) or [-1]


def _unique(values: Iterable) -> list:
    return list(dict.fromkeys(values))


def _chunks(values: list, size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _rows(session, statement, params=None) -> list:
    """All rows of a statement, through the session's connection (no ORM layer per call)."""
    connection = session.connection() if isinstance(session, OrmSession) else session
    return connection.execute(statement, params or {}).all()


def _entity_rows(session, ids, orgs, cap) -> dict[int, _Row]:
    """Entity rows in scope, with their relation counts capped at ``cap + 1`` each way."""
    rows = {}
    for chunk in _chunks(list(ids), _CHUNK):
        if not chunk:
            continue
        for row in _rows(
            session, _ENTITY_ROWS, {"ids": chunk, "orgs": orgs, "cap": cap + 1 if cap else 0}
        ):
            node = Node(row[0], row[1], row[2], row[3])
            rows[node.id] = _Row(node, row[4], row[5], row[6])
    return rows


def _is_hub(row: _Row, hub_cap: int) -> bool:
    return row.outgoing > hub_cap or row.incoming > hub_cap


def _frontier_edges(
    session, frontier: dict[int, _Row], orgs, hub_cap, *, hub_budget=0, slim=False
) -> _Links:
    """Links from the frontier: relations of non-hubs, identifier matches, owner properties.

    Hubs are expanded only when ``hub_budget`` > 0, by a sample of that many relations each.
    ``slim`` relations carry only their id, kind and ends (a path search).
    """
    regular = [n for n, row in frontier.items() if not _is_hub(row, hub_cap)]
    hubs = [n for n, row in frontier.items() if _is_hub(row, hub_cap)]
    links = []
    seen = set()
    for chunk in _chunks(regular, _CHUNK):
        statement = _FRONTIER_LINKS if slim else _FRONTIER_EDGES
        for row in _rows(session, statement, {"ids": chunk, "orgs": orgs}):
            edge = Edge(*row)
            if edge.id in seen:
                continue
            seen.add(edge.id)
            links.extend(_ends(edge, frontier))
    for hub in hubs if hub_budget > 0 else ():
        for row in _rows(session, _HUB_EDGES, {"hub": hub, "n": hub_budget, "orgs": orgs}):
            edge = Edge(*row)
            if edge.id not in seen:
                seen.add(edge.id)
                links.extend(_ends(edge, frontier))
    for chunk in _chunks(list(frontier), _CHUNK):
        params = {"ids": chunk, "orgs": orgs, "n": 50 * len(chunk)}
        for a, b, kind in _rows(session, _SAME_AS, params):
            low, high = sorted((a, b))
            edge = Edge(f"same:{low}:{high}", "SameAs", low, high, role=kind)
            if edge.id not in seen:
                seen.add(edge.id)
                links.append((a, b, edge))
    for edge in _owner_property_edges(session, frontier.values()):
        if edge.id not in seen:
            seen.add(edge.id)
            links.extend(_ends(edge, frontier))
    return _Links(links, bool(hubs))


def _ends(edge: Edge, frontier) -> list:
    found = []
    if edge.source in frontier:
        found.append((edge.source, edge.target, edge))
    if edge.target in frontier and edge.target != edge.source:
        found.append((edge.target, edge.source, edge))
    return found


def _grow(session, graph, frontier, orgs, *, limit, hub_cap, depth, probe_next):
    """Add the entities one link beyond ``frontier`` to ``graph``; return the new frontier.

    Non-hubs' neighbours come first (by id), then hubs' samples fill the budget left.
    """
    regular_frontier = {n: r for n, r in frontier.items() if not _is_hub(r, hub_cap)}
    hub_frontier = {n: r for n, r in frontier.items() if _is_hub(r, hub_cap)}
    links = _frontier_edges(session, regular_frontier, orgs, hub_cap).links
    room = limit - len(graph.nodes)
    if hub_frontier:
        graph.truncated = True
        for hub, row in hub_frontier.items():
            graph.hubs[hub] = max(row.outgoing, row.incoming)
        if room > 0:
            # Some sampled relations lead back to entities already shown: sample that many more.
            budget = room + len(graph.nodes)
            links += _frontier_edges(session, hub_frontier, orgs, hub_cap, hub_budget=budget).links
    regular_new = sorted(
        {far for near, far, _ in links if near in regular_frontier} - set(graph.nodes)
    )
    hub_new = sorted({far for _, far, _ in links} - set(graph.nodes) - set(regular_new))
    candidates = regular_new + hub_new
    kept = {}
    cap = hub_cap if probe_next else 0
    start = 0
    while start < len(candidates) and len(kept) < room:
        want = candidates[start : start + (room - len(kept))]
        start += len(want)
        kept.update(_entity_rows(session, want, orgs, cap))
    if start < len(candidates):
        graph.truncated = True
    for node_id, row in kept.items():
        graph.nodes[node_id] = row.node
        graph.depth[node_id] = depth
    known = {e.id for e in graph.edges}
    for _, _, edge in links:
        if edge.id not in known and edge.source in graph.nodes and edge.target in graph.nodes:
            known.add(edge.id)
            graph.edges.append(edge)
    graph.edges = _without_shadowed_property_edges(graph.edges)
    return kept


def _owner_property_edges(session, rows) -> list[Edge]:
    """Ownership of unknown share read from a wallet's ``holder`` or a vehicle's ``owner``."""
    refs = []  # (asset row, property, reference)
    for row in rows:
        properties = OWNER_SCHEMATA.get(row.node.schema)
        if not properties or not row.properties:
            continue
        try:
            values = json.loads(row.properties)
        except ValueError:
            continue
        for prop in properties:
            for ref in values.get(prop) or ():
                if isinstance(ref, str) and ref and not ftm_schema.is_marker(ref):
                    refs.append((row.node, prop, ref))
    if not refs:
        return []
    by_org = {}
    for node, _, ref in refs:
        by_org.setdefault(node.organisation_id, set()).add(ref)
    resolved = {}  # (org, ref) -> entity id
    for org, values in by_org.items():
        for entity_id, external_id in _rows(
            session, _OWNER_BY_EXTERNAL_ID, {"org": org, "refs": sorted(values)}
        ):
            resolved[(org, external_id)] = entity_id
        numeric = sorted(int(v) for v in values if v.isdigit() and (org, v) not in resolved)
        if numeric:
            for (entity_id,) in _rows(session, _OWNER_BY_ID, {"org": org, "ref_ids": numeric}):
                resolved.setdefault((org, str(entity_id)), entity_id)
    edges = {}
    for node, prop, ref in refs:
        owner = resolved.get((node.organisation_id, ref))
        if owner is not None and owner != node.id:
            key = f"{prop}:{node.id}:{owner}"
            edges[key] = Edge(key, "Ownership", owner, node.id, role=prop)
    return list(edges.values())


def _without_shadowed_property_edges(edges) -> list[Edge]:
    """Drop an owner-property edge when a recorded Ownership links the same owner and asset."""
    edges = list(edges)
    recorded = {
        (e.source, e.target) for e in edges if e.schema == "Ownership" and isinstance(e.id, int)
    }
    return [
        e
        for e in edges
        if isinstance(e.id, int) or e.schema != "Ownership" or (e.source, e.target) not in recorded
    ]


def _walk_back(side: _Side, node, max_paths) -> list[list[int]]:
    """Paths from ``side.start`` to ``node`` along the parents of the search, at most a few."""
    if node == side.start:
        return [[node]]
    paths = []
    for parent in sorted(side.parents.get(node, {})):
        if side.seen.get(parent, -1) != side.seen[node] - 1:
            continue
        for head in _walk_back(side, parent, max_paths):
            paths.append(head + [node])
            if len(paths) >= max_paths:
                return paths
    return paths


def _link(sides, a, b) -> Edge | None:
    for side in sides:
        edge = side.parents.get(b, {}).get(a) or side.parents.get(a, {}).get(b)
        if edge is not None:
            return edge
    return None
