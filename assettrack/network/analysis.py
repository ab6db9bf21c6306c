"""Ownership and network analysis over the entity graph of a case.

Pure functions on networkx graphs: no Flask, no database, so they are tested with plain values.

The store hands over an ``nx.MultiDiGraph``:

- nodes are entity ids (int or str) with the attributes ``schema`` (a FollowTheMoney schema name:
  ``Person``, ``Company``, ``LegalEntity``, ``Vessel``, ``CryptoWallet``...) and ``name``;
- edges are relations, keyed by relation id, with the attribute ``schema`` (``Ownership``,
  ``Directorship``, ``Family``, ``Payment``...). An ``Ownership`` edge points from the owner to the
  asset and carries ``percentage``, ``percentage_min``, ``percentage_max`` (Decimal, float or None;
  a range such as 25-50 % has no ``percentage``; all three None means unknown), ``start_date``,
  ``end_date`` (date or None) and ``role`` (str or None; a role containing "indirect" marks a
  holding *declared* as indirect, which is shown but never multiplied along a chain). A wallet's
  ``holder`` and a vehicle's ``owner`` arrive as Ownership with an unknown percentage.

Shares are computed with :class:`decimal.Decimal` (34 significant digits), so 23.5 % + 76.5 % is
exactly 100 % and a 25 % threshold is never missed by a float rounding error.
"""

import heapq
import itertools
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from decimal import Context
from decimal import Decimal
from decimal import InvalidOperation
from decimal import localcontext

import networkx as nx

from ..domain import clock

__all__ = [
    "DeclaredHolding",
    "OwnershipPath",
    "OwnershipResult",
    "UltimateOwner",
    "brokers",
    "brute_force_effective_shares",
    "communities",
    "effective_owners",
    "ownership_graph",
    "shortest_paths",
]


@dataclass(frozen=True)
class OwnershipPath:
    """One chain of holdings from an ultimate owner down to the target.

    ``nodes`` runs from the owner to the target, ``relations`` holds the relation id of each link.
    ``share`` is the product of the percentages along the chain (0-100), or None when one link is
    a range or unknown; ``share_min`` and ``share_max`` always bound it.
    """

    nodes: list
    relations: list
    share: Decimal | None
    share_min: Decimal
    share_max: Decimal


@dataclass(frozen=True)
class UltimateOwner:
    """An ultimate owner of the target and its effective share (0-100).

    ``share`` is exact when every link of every path is an exact percentage, else None; then
    ``share_min`` and ``share_max`` bound it (when exact, both equal ``share``). ``flags`` lists
    ``"unknown_share"``, ``"range"``, ``"overlapping_records"``, ``"paths_truncated"``, ``"cycle"``
    and ``"depth_limited"`` (the path search inside cross-holdings was cut short, so the share is a
    lower bound).
    """

    id: object
    name: str
    schema: str | None
    share: Decimal | None
    share_min: Decimal
    share_max: Decimal
    paths: list[OwnershipPath] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DeclaredHolding:
    """A holding declared as indirect on the target, shown beside the computed figures."""

    id: object
    name: str
    schema: str | None
    percentage: Decimal | None
    percentage_min: Decimal | None
    percentage_max: Decimal | None
    role: str | None
    relation: object


@dataclass(frozen=True)
class OwnershipResult:
    """Ultimate owners of ``target`` on ``as_of``, the declared holdings and the warnings."""

    target: object
    as_of: date
    owners: list[UltimateOwner]
    declared: list[DeclaredHolding]
    warnings: list[str]


def ownership_graph(graph, as_of=None):
    """Return the direct holdings valid on ``as_of`` as a simple directed graph.

    Keeps the ``Ownership`` edges that had started on ``as_of`` (or have no start date) and had
    not ended before it (an ownership ending on ``as_of`` still counts), and drops holdings
    declared as indirect (``role`` containing "indirect"): they restate a chain that is already
    in the graph. When several records link the same owner and asset on that day they are not
    added up: the one with the most recent ``start_date`` is kept (on a tie, the last one) and the
    edge is flagged ``"overlapping_records"``.

    Parameters
    ----------
    graph : nx.MultiDiGraph
        The entity graph (see the module docstring). A plain ``nx.DiGraph`` is accepted too; its
        relation id is then read from the edge attribute ``id``.
    as_of : date, optional
        The day to look at; today when None. An ISO string is accepted.

    Returns
    -------
    nx.DiGraph
        Every node of ``graph`` with its attributes, and one edge owner -> asset per holding with
        ``relation`` (the kept relation id), ``percentage``, ``percentage_min``,
        ``percentage_max`` (Decimal or None; an exact percentage fills min and max),
        ``start_date``, ``end_date``, ``role``, ``records`` (all relation ids for that pair) and
        ``flags`` (``[]`` or ``["overlapping_records"]``). ``graph["as_of"]`` holds the day.

    Examples
    --------
    >>> from datetime import date
    >>> g = nx.MultiDiGraph()
    >>> g.add_edge("P", "C", key="r1", schema="Ownership", percentage=50,
    ...            end_date=date(2020, 12, 31))
    'r1'
    >>> g.add_edge("P", "C", key="r2", schema="Directorship")
    'r2'
    >>> list(ownership_graph(g, date(2020, 6, 1)).edges(data="percentage"))
    [('P', 'C', Decimal('50'))]
    >>> list(ownership_graph(g, date(2021, 1, 1)).edges())
    []
    """
    as_of = _as_date(as_of) or clock.utc_today()
    owned = nx.DiGraph(as_of=as_of)
    owned.add_nodes_from(graph.nodes(data=True))
    records = {}
    for owner, asset, key, data in _edges(graph):
        if _is_direct_holding(data, as_of):
            records.setdefault((owner, asset), []).append((key, data))
    for (owner, asset), pair_records in records.items():
        owned.add_edge(owner, asset, **_merge_records(pair_records))
    return owned


def effective_owners(graph, target, *, as_of=None, threshold=25, max_paths=20, max_depth=20):
    """Find the ultimate owners of ``target`` and their effective shares.

    An ultimate owner is an entity, person or not, that owns ``target`` directly or through
    other entities and has no owner of its own in the holdings valid on ``as_of``. When the top
    of a chain is a cross-holding (a group of entities owning each other, with no owner outside
    the group), every member of the group is an ultimate owner, flagged ``"cycle"``, so the
    holding is not lost; an entity that only looks ownerless because the loop was cut is not.
    Formally: the members, other than ``target``, of the strongly connected components of the
    upstream holdings that no holding enters from outside.

    The effective share is the sum, over every chain owner -> ... -> target that never visits an
    entity twice, of the product of the percentages along the chain. A range (25-50 %) carries
    its bounds along the chain; an unknown percentage counts as 0 to 100 %. A loop is cut where a
    chain would come back to an entity already on it, with a warning ``"cycle cut at <name>"``.

    Parameters
    ----------
    graph : nx.MultiDiGraph
        The entity graph (see the module docstring).
    target : node
        The company or asset whose owners are wanted.
    as_of : date, optional
        The day to look at; today when None.
    threshold : number, default 25
        Keep owners whose share (``share_max`` when not exact) is at least this many percent;
        0 keeps all.
    max_paths : int, default 20
        Chains listed per owner, strongest first; more are cut with the flag
        ``"paths_truncated"``. Only the listing is cut: the share counts every chain.
    max_depth : int, default 20
        Safeguard for enumerating chains: links followed inside one group of cross-holdings, and
        links of a listed chain when the holdings contain loops. Loop-free holdings are summed
        exactly at any depth.

    Returns
    -------
    OwnershipResult
        ``owners`` sorted by share (``share_max`` when not exact), largest first; ``declared``,
        the holdings declared as indirect on ``target`` (never multiplied); ``warnings``, cut
        cycles, holdings adding up to more than 100 % and searches cut short, in words.
        Shares are exact ``Decimal`` values, not rounded (round them for display);
        ``share_max`` is capped at 100.

    Raises
    ------
    nx.NodeNotFound
        When ``target`` is not in ``graph``.
    ValueError
        When ``max_paths`` is negative or ``max_depth`` is below 1.

    Notes
    -----
    The sum is computed by dynamic programming over the strongly connected components of the
    owners upstream of ``target``, in reverse topological order: linear when there is no loop;
    inside a loop, chains are enumerated by a depth-first search limited to the loop's members.
    The chains shown are found by a best-first search guided by the best completion of each
    entity, so listing the top ``max_paths`` does not enumerate the others.

    With cross-holdings the sum over chains counts the loop's holdings once per way in, so the
    shares of a target can add up to more than 100 %: the flag ``"cycle"`` marks the owners
    concerned.

    Examples
    --------
    Gasgrid Finland: the ministry owns 23.5 % directly and 76.5 % through a subsidiary.

    >>> g = nx.MultiDiGraph()
    >>> g.add_node("M", schema="LegalEntity", name="Ministry of Finance")
    >>> g.add_node("S", schema="Company", name="Suomen Kaasuverkko Oy")
    >>> g.add_node("G", schema="Company", name="Gasgrid Finland Oy")
    >>> for owner, asset, pct in [("M", "G", "23.5"), ("M", "S", "100"), ("S", "G", "76.5")]:
    ...     _ = g.add_edge(owner, asset, schema="Ownership", percentage=Decimal(pct))
    >>> result = effective_owners(g, "G")
    >>> [(owner.name, owner.share) for owner in result.owners]
    [('Ministry of Finance', Decimal('100'))]
    >>> [(path.nodes, path.share) for path in result.owners[0].paths]
    [(['M', 'S', 'G'], Decimal('76.5')), (['M', 'G'], Decimal('23.5'))]

    A range stays a range:

    >>> g = nx.MultiDiGraph()
    >>> _ = g.add_edge("P", "H", schema="Ownership", percentage_min=25, percentage_max=50)
    >>> _ = g.add_edge("H", "C", schema="Ownership", percentage=100)
    >>> owner = effective_owners(g, "C").owners[0]
    >>> owner.share, owner.share_min, owner.share_max, owner.flags
    (None, Decimal('25'), Decimal('50'), ['range'])
    """
    if target not in graph:
        raise nx.NodeNotFound(f"target {target!r} is not in the graph")
    if max_paths < 0:
        raise ValueError("max_paths must be 0 or more")
    if max_depth < 1:
        raise ValueError("max_depth must be 1 or more")
    as_of = _as_date(as_of) or clock.utc_today()
    declared = _declared_holdings(graph, target, as_of)
    upstream = _upstream_holdings(graph, target, as_of)
    if upstream.number_of_nodes() == 1:
        return OwnershipResult(target, as_of, [], declared, [])

    ultimate, node_mask, cut_at = _ultimate_owners(upstream, target)
    succ = _successors(upstream, target)
    low, high, mask, cycle_cuts, limited, has_loops = _propagate(
        upstream, succ, target, node_mask, max_depth
    )
    cut_at |= cycle_cuts

    warnings = [f"cycle cut at {name}" for name in sorted(_name(upstream, n) for n in cut_at)]
    warnings += _treasury_shares(upstream)
    warnings += _overissued(upstream)
    warnings += limited

    with localcontext(_CONTEXT):
        minimum = Decimal(str(threshold))
        owners = []
        for node, in_cycle in ultimate.items():
            flags = mask[node] | (_CYCLE if in_cycle else 0)
            share_min = low[node] * 100
            share_max = max(min(high[node] * 100, _HUNDRED), share_min)
            if flags & _LIMITED:
                share_max = max(share_min, _HUNDRED)
            exact = not flags & (_UNKNOWN | _RANGE | _LIMITED)
            value = share_min if exact else share_max
            if value >= minimum:
                owners.append((value, node, flags, exact, share_min, share_max))
        owners.sort(key=lambda o: (-o[0], -o[4], _name(upstream, o[1]), str(o[1])))

        best = _best_completion(succ, target) if owners and max_paths else {}
        budget = [_MAX_SEARCH_STEPS]
        result = []
        for _, node, flags, exact, share_min, share_max in owners:
            paths, truncated = [], False
            if max_paths:
                paths, truncated = _top_paths(
                    node, target, succ, best, max_paths, max_depth if has_loops else None, budget
                )
            attrs = upstream.nodes[node]
            result.append(
                UltimateOwner(
                    id=node,
                    name=_name(upstream, node),
                    schema=attrs.get("schema"),
                    share=_tidy(share_min) if exact else None,
                    share_min=_tidy(share_min),
                    share_max=_tidy(share_min if exact else share_max),
                    paths=paths,
                    flags=_flag_names(flags, truncated),
                )
            )
    return OwnershipResult(target, as_of, result, declared, warnings)


def brute_force_effective_shares(graph, target, as_of=None, *, bound="min"):
    """Sum path products by enumerating every simple path: the reference for tests.

    The naive computation :func:`effective_owners` is checked against, in tests and benchmarks:
    for every entity upstream of ``target`` in :func:`ownership_graph`, the sum over
    ``nx.all_simple_paths`` of the product of percentages, in floats. Exponential in the worst
    case; do not call it from the application.

    Parameters
    ----------
    graph : nx.MultiDiGraph
        The entity graph.
    target : node
        The company or asset.
    as_of : date, optional
        The day to look at; today when None.
    bound : {"min", "max"}, default "min"
        Which bound of each percentage to multiply: ``percentage_min`` (unknown counts as 0) or
        ``percentage_max`` (unknown counts as 100). For exact percentages both give the share.

    Returns
    -------
    dict
        Every entity with a chain to ``target`` (ultimate owner or not) -> share, 0-100, uncapped.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> _ = g.add_edge("P", "H", schema="Ownership", percentage=50)
    >>> _ = g.add_edge("H", "C", schema="Ownership", percentage=50)
    >>> sorted(brute_force_effective_shares(g, "C").items())
    [('H', 50.0), ('P', 25.0)]
    """
    if bound not in ("min", "max"):
        raise ValueError("bound must be 'min' or 'max'")
    owned = ownership_graph(graph, as_of)
    if target not in owned:
        raise nx.NodeNotFound(f"target {target!r} is not in the graph")
    attribute, unknown = ("percentage_min", 0.0) if bound == "min" else ("percentage_max", 100.0)
    shares = {}
    for source in nx.ancestors(owned, target):
        total = 0.0
        for path in nx.all_simple_paths(owned, source, target):
            product = 1.0
            for owner, asset in itertools.pairwise(path):
                value = owned.edges[owner, asset][attribute]
                product *= (unknown if value is None else float(value)) / 100
            total += product
        shares[source] = total * 100
    return shares


def shortest_paths(graph, source, target, *, max_paths=10):
    """List the shortest chains of relations of any kind linking two entities.

    Directions are ignored: a payment, a directorship and a holding all connect.

    Parameters
    ----------
    graph : nx.MultiDiGraph
        The entity graph.
    source, target : node
        The two entities.
    max_paths : int, default 10
        At most this many paths, all of the same (shortest) length.

    Returns
    -------
    list of list
        Node ids from ``source`` to ``target``, sorted by the text of their ids; empty when the
        two are not connected.

    Raises
    ------
    nx.NodeNotFound
        When ``source`` or ``target`` is not in ``graph``.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> _ = g.add_edge("A", "X", schema="Payment")
    >>> _ = g.add_edge("B", "X", schema="Ownership")
    >>> _ = g.add_edge("A", "Y", schema="Family")
    >>> _ = g.add_edge("Y", "B", schema="Directorship")
    >>> shortest_paths(g, "A", "B")
    [['A', 'X', 'B'], ['A', 'Y', 'B']]
    """
    for node in (source, target):
        if node not in graph:
            raise nx.NodeNotFound(f"{node!r} is not in the graph")
    paths = nx.all_shortest_paths(graph.to_undirected(as_view=True), source, target)
    try:
        found = [list(path) for path in itertools.islice(paths, max_paths)]
    except nx.NetworkXNoPath:
        return []
    return sorted(found, key=lambda path: [str(node) for node in path])


def brokers(graph, *, k=None, seed=0):
    """Score every entity as a broker: degree and betweenness centrality.

    Both are computed on the undirected simple graph (one link per pair of entities, whatever
    the number and kind of relations; self-links ignored). Betweenness is exact up to 500
    entities, else estimated from ``k`` sampled sources.

    Parameters
    ----------
    graph : nx.MultiDiGraph
        The entity graph.
    k : int, optional
        Sources sampled for betweenness; by default none up to 500 entities, else
        ``min(256, n)``.
    seed : int, default 0
        Seed of the sampling, so a page shows the same scores twice.

    Returns
    -------
    dict
        node -> ``{"degree": float, "betweenness": float}``, both normalised to 0-1.

    Examples
    --------
    >>> g = nx.MultiDiGraph([("A", "B"), ("B", "C"), ("B", "C")])
    >>> brokers(g)["B"]
    {'degree': 1.0, 'betweenness': 1.0}
    """
    simple = _simple_undirected(graph)
    n = simple.number_of_nodes()
    if k is None:
        k = None if n <= _EXACT_BETWEENNESS else min(_SAMPLED_SOURCES, n)
    elif k >= n:
        k = None
    degree = nx.degree_centrality(simple)
    betweenness = nx.betweenness_centrality(simple, k=k, seed=seed, weight=None)
    return {node: {"degree": degree[node], "betweenness": betweenness[node]} for node in simple}


def communities(graph, seed=0):
    """Split the entities into communities (Louvain), largest first.

    Runs on the undirected simple graph where a pair of entities is weighted by the number of
    relations between them, so five payments bind tighter than one.

    Parameters
    ----------
    graph : nx.MultiDiGraph
        The entity graph.
    seed : int, default 0
        Seed of the Louvain method, so a page shows the same split twice.

    Returns
    -------
    list of set
        Node ids per community, largest first.

    Examples
    --------
    >>> g = nx.MultiDiGraph([(1, 2), (2, 3), (3, 1), (4, 5), (3, 4)])
    >>> communities(g)
    [{1, 2, 3}, {4, 5}]
    """
    simple = _simple_undirected(graph)
    if simple.number_of_nodes() == 0:
        return []
    found = nx.community.louvain_communities(simple, weight="weight", seed=seed)
    return sorted(found, key=len, reverse=True)


# Private helpers ---------------------------------------------------------------------------

_CONTEXT = Context(prec=34)
_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)

# Budget of search steps per call, once for the loops of the share and once for the listed paths,
# so a dense knot of cross-holdings cannot hold a request for minutes (about 0.2 s each).
_MAX_SEARCH_STEPS = 200_000
_EXACT_BETWEENNESS = 500
_SAMPLED_SOURCES = 256

_UNKNOWN = 1
_RANGE = 2
_OVERLAP = 4
_CYCLE = 8
_LIMITED = 16


def _flag_names(mask, truncated):
    names = []
    if mask & _UNKNOWN:
        names.append("unknown_share")
    if mask & _RANGE:
        names.append("range")
    if mask & _OVERLAP:
        names.append("overlapping_records")
    if truncated:
        names.append("paths_truncated")
    if mask & _CYCLE:
        names.append("cycle")
    if mask & _LIMITED:
        names.append("depth_limited")
    return names


def _as_date(value):
    if value is None or isinstance(value, str) and not value:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise TypeError(f"expected a date, got {value!r}")


def _to_decimal(value):
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError(f"expected a percentage, got {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    try:
        # str() of a float is its shortest repr: 0.1 gives Decimal("0.1"), not 0.1000000000000000055
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a percentage: {value!r}") from None


def _tidy(value):
    if value == value.to_integral_value():
        return value.quantize(_ONE)
    return value.normalize()


def _name(graph, node):
    return graph.nodes[node].get("name") or str(node)


def _edges(graph):
    if graph.is_multigraph():
        yield from graph.edges(keys=True, data=True)
    else:
        for owner, asset, data in graph.edges(data=True):
            yield owner, asset, data.get("id"), data


def _in_edges(graph, node):
    if graph.is_multigraph():
        for owner, _, key, data in graph.in_edges(node, keys=True, data=True):
            yield owner, key, data
    else:
        for owner, _, data in graph.in_edges(node, data=True):
            yield owner, data.get("id"), data


def _is_declared_indirect(data):
    role = data.get("role")
    return bool(role) and "indirect" in role.lower()


def _is_valid(data, as_of):
    start = _as_date(data.get("start_date"))
    end = _as_date(data.get("end_date"))
    return (start is None or start <= as_of) and (end is None or end >= as_of)


def _is_direct_holding(data, as_of):
    return (
        data.get("schema") == "Ownership"
        and not _is_declared_indirect(data)
        and _is_valid(data, as_of)
    )


def _percentages(data):
    percentage = _to_decimal(data.get("percentage"))
    low = _to_decimal(data.get("percentage_min"))
    high = _to_decimal(data.get("percentage_max"))
    low = percentage if low is None else low
    high = percentage if high is None else high
    if percentage is None and low is not None and low == high:
        percentage = low
    return percentage, low, high


def _merge_records(records):
    # Two records of the same holding valid on the same day are two versions of one fact
    # (a register update entered twice, an import overlapping a manual entry): never add them.
    _, (key, data) = max(enumerate(records), key=lambda item: (_start_key(item[1][1]), item[0]))
    percentage, low, high = _percentages(data)
    return {
        "relation": key,
        "percentage": percentage,
        "percentage_min": low,
        "percentage_max": high,
        "start_date": _as_date(data.get("start_date")),
        "end_date": _as_date(data.get("end_date")),
        "role": data.get("role"),
        "records": [record_key for record_key, _ in records],
        "flags": ["overlapping_records"] if len(records) > 1 else [],
    }


def _start_key(data):
    start = _as_date(data.get("start_date"))
    return (start is not None, start or date.min)


def _upstream_holdings(graph, target, as_of):
    """Return :func:`ownership_graph` restricted to ``target`` and its owners, walking upwards."""
    owned = nx.DiGraph(as_of=as_of)
    owned.add_node(target, **graph.nodes[target])
    queue = [target]
    while queue:
        asset = queue.pop()
        records = {}
        for owner, key, data in _in_edges(graph, asset):
            if _is_direct_holding(data, as_of):
                records.setdefault(owner, []).append((key, data))
        for owner, owner_records in records.items():
            if owner not in owned:
                owned.add_node(owner, **graph.nodes[owner])
                queue.append(owner)
            owned.add_edge(owner, asset, **_merge_records(owner_records))
    return owned


def _declared_holdings(graph, target, as_of):
    declared = []
    for owner, key, data in _in_edges(graph, target):
        if (
            data.get("schema") == "Ownership"
            and _is_declared_indirect(data)
            and _is_valid(data, as_of)
        ):
            percentage, low, high = _percentages(data)
            declared.append(
                DeclaredHolding(
                    id=owner,
                    name=_name(graph, owner),
                    schema=graph.nodes[owner].get("schema"),
                    percentage=percentage,
                    percentage_min=low,
                    percentage_max=high,
                    role=data.get("role"),
                    relation=key,
                )
            )
    declared.sort(key=lambda d: (-(d.percentage_max or 0), d.name, str(d.id)))
    return declared


def _ultimate_owners(upstream, target):
    """Return {owner: in_cycle}, the per-node cycle mask and the nodes where a cycle is cut.

    Ultimate owners are the members (other than the target) of the strongly connected
    components that no holding enters from outside.
    """
    components = list(nx.strongly_connected_components(upstream))
    component_of = {node: i for i, members in enumerate(components) for node in members}
    entered = set()
    for owner, asset in upstream.edges():
        if component_of[owner] != component_of[asset]:
            entered.add(component_of[asset])
    ultimate = {}
    node_mask = {}
    cut_at = set()
    for i, members in enumerate(components):
        if len(members) > 1:
            for node in members - {target}:
                node_mask[node] = _CYCLE
            if target in members:
                cut_at.add(target)
        if i not in entered:
            for node in members - {target}:
                ultimate[node] = len(members) > 1
    return ultimate, node_mask, cut_at


def _successors(upstream, target):
    """Return {node: [(asset, low, high, mask, relation)]} with fractions 0-1 as Decimal.

    The target's own holdings and self-holdings are left out: a chain ends at the target and
    never visits an entity twice.
    """
    succ = {node: [] for node in upstream}
    with localcontext(_CONTEXT):
        for owner, asset, data in upstream.edges(data=True):
            if owner == asset or owner == target:
                continue
            low, high = data["percentage_min"], data["percentage_max"]
            mask = _OVERLAP if data["flags"] else 0
            if low is None and high is None:
                mask |= _UNKNOWN
            elif low != high:
                mask |= _RANGE
            low = _ZERO if low is None else low / 100
            high = _ONE if high is None else high / 100
            succ[owner].append((asset, low, high, mask, data["relation"]))
    return succ


def _propagate(upstream, succ, target, node_mask, max_depth):
    """Sum path products from every upstream node to the target, sinks first.

    Returns the low and high sums (fractions), the flag masks, the nodes where a loop was cut,
    the warnings of loops not fully searched, and whether any loop remains.
    """
    loop_free = nx.DiGraph()
    loop_free.add_nodes_from(upstream)
    loop_free.add_edges_from((owner, edge[0]) for owner, edges in succ.items() for edge in edges)
    components = list(nx.strongly_connected_components(loop_free))
    has_loops = len(components) < loop_free.number_of_nodes()
    if not has_loops:
        groups = [[node] for node in nx.topological_sort(loop_free)]
    else:
        condensed = nx.condensation(loop_free, components)
        groups = [list(condensed.nodes[c]["members"]) for c in nx.topological_sort(condensed)]
    low = {target: _ONE}
    high = {target: _ONE}
    mask = {target: 0}
    cut_at = set()
    limited = []
    budget = [_MAX_SEARCH_STEPS]
    with localcontext(_CONTEXT):
        for group in reversed(groups):
            if len(group) > 1:
                cut, reason = _sum_inside_cycle(
                    group, succ, low, high, mask, node_mask, max_depth, budget
                )
                cut_at |= cut
                if reason:
                    names = sorted(_name(upstream, node) for node in group)
                    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
                    limited.append(
                        f"chains inside the cross-holdings of {shown} were not all followed "
                        f"({reason}): the shares above them are lower bounds"
                    )
                continue
            node = group[0]
            if node == target:
                continue
            total_low = total_high = _ZERO
            flags = node_mask.get(node, 0)
            for asset, edge_low, edge_high, edge_mask, _ in succ[node]:
                total_low += edge_low * low[asset]
                total_high += edge_high * high[asset]
                flags |= edge_mask | mask[asset]
            low[node], high[node], mask[node] = total_low, total_high, flags
    return low, high, mask, cut_at, limited, has_loops


def _sum_inside_cycle(group, succ, low, high, mask, node_mask, max_depth, budget):
    """Sum path products for the members of one strongly connected component.

    Every simple path inside the component is followed (depth-first, at most ``max_depth``
    links, within the step ``budget``) to the members whose holdings leave the component, whose
    sums are already known. Returns the nodes where a loop was cut and why the search stopped
    early (empty when it did not).
    """
    members = set(group)
    exit_low, exit_high, exit_mask, inside = {}, {}, {}, {}
    for node in group:
        exit_low[node] = exit_high[node] = _ZERO
        exit_mask[node] = 0
        inside[node] = []
        for asset, edge_low, edge_high, edge_mask, _ in succ[node]:
            if asset in members:
                inside[node].append((asset, edge_low, edge_high, edge_mask))
            else:
                exit_low[node] += edge_low * low[asset]
                exit_high[node] += edge_high * high[asset]
                exit_mask[node] |= edge_mask | mask[asset] | _CYCLE
    cut_at = set()
    reasons = set()
    for start in sorted(group, key=str):
        total_low, total_high = exit_low[start], exit_high[start]
        flags = node_mask.get(start, 0) | exit_mask[start]
        truncated = False
        on_path = {start}
        stack = [(start, _ONE, _ONE, flags, iter(inside[start]))]
        while stack:
            node, path_low, path_high, path_mask, edges = stack[-1]
            for asset, edge_low, edge_high, edge_mask in edges:
                if asset in on_path:
                    cut_at.add(asset)
                    continue
                if len(stack) > max_depth:
                    truncated = True
                    reasons.add(f"max_depth {max_depth}")
                    continue
                if budget[0] <= 0:
                    truncated = True
                    reasons.add(f"{_MAX_SEARCH_STEPS} search steps")
                    break
                budget[0] -= 1
                step_high = path_high * edge_high
                if not step_high:
                    continue
                step_low = path_low * edge_low
                step_mask = path_mask | edge_mask | node_mask.get(asset, 0)
                if exit_mask[asset]:
                    total_low += step_low * exit_low[asset]
                    total_high += step_high * exit_high[asset]
                    flags |= step_mask | exit_mask[asset]
                on_path.add(asset)
                stack.append((asset, step_low, step_high, step_mask, iter(inside[asset])))
                break
            else:
                stack.pop()
                on_path.discard(node)
                continue
            if budget[0] <= 0 and truncated:
                break
        low[start], high[start] = total_low, total_high
        mask[start] = flags | (_LIMITED if truncated else 0)
    return cut_at, " and ".join(sorted(reasons))


def _treasury_shares(upstream):
    # A company holding its own shares (DOMAIN.md): real data, but no chain runs through it.
    # Shares stay fractions of the issued capital, so the other owners' shares are not raised.
    warnings = []
    for node, _, data in sorted(nx.selfloop_edges(upstream, data=True), key=lambda e: str(e[0])):
        low, high = data["percentage_min"], data["percentage_max"]
        if low is None and high is None:
            held = "an unknown share"
        elif low == high:
            held = f"{_tidy(low)} %"
        else:
            held = f"{_tidy(low or _ZERO)}-{_tidy(high or _HUNDRED)} %"
        warnings.append(
            f"{_name(upstream, node)} holds {held} of its own shares (treasury shares); "
            "left out of the ownership chains"
        )
    return warnings


def _overissued(upstream):
    warnings = []
    for asset in upstream:
        total = sum(
            (data["percentage_min"] or _ZERO) for _, _, data in upstream.in_edges(asset, data=True)
        )
        if total > _HUNDRED:
            warnings.append(f"holdings in {_name(upstream, asset)} add up to {_tidy(total)} %")
    return warnings


def _best_completion(succ, target):
    """Return the best path product (float, 0-1) from each node to the target.

    A Dijkstra search from the target over reversed links, multiplying instead of adding: it
    ignores the never-twice rule, so it is an upper bound inside loops and exact elsewhere.
    """
    owners_of = {}
    for owner, edges in succ.items():
        for asset, _, high, _, _ in edges:
            if high:
                owners_of.setdefault(asset, []).append((owner, min(float(high), 1.0)))
    best = {target: 1.0}
    heap = [(-1.0, 0, target)]
    counter = itertools.count(1)
    done = set()
    while heap:
        negative, _, asset = heapq.heappop(heap)
        if asset in done:
            continue
        done.add(asset)
        for owner, fraction in owners_of.get(asset, ()):
            candidate = -negative * fraction
            if candidate > best.get(owner, 0.0):
                best[owner] = candidate
                heapq.heappush(heap, (-candidate, next(counter), owner))
    return best


def _top_paths(owner, target, succ, best, max_paths, max_depth, budget):
    """Return the ``max_paths`` strongest chains from ``owner`` and whether more exist.

    Best-first search over partial chains ranked by their product times the best completion of
    their last node: chains come out strongest first (by their upper bound), and only the
    partial chains that may beat the next one are expanded. ``max_depth`` is None when the
    holdings have no loop (chains are then simple by construction). ``budget`` (a one-item
    list) counts the expansions left for all owners of one call.
    """
    counter = itertools.count()
    heap = [(-best.get(owner, 0.0), next(counter), 1.0, (owner,), ())]
    found = []
    truncated = False
    while heap:
        _, _, value, nodes, relations = heapq.heappop(heap)
        node = nodes[-1]
        if node == target:
            if len(found) == max_paths:
                truncated = True
                break
            found.append((nodes, relations))
            continue
        if max_depth is not None and len(nodes) > max_depth:
            truncated = True
            continue
        budget[0] -= 1
        if budget[0] < 0:
            truncated = True
            break
        for asset, _, high, _, relation in succ[node]:
            if max_depth is not None and asset in nodes:
                continue
            product = value * min(float(high), 1.0)
            bound = product * best.get(asset, 0.0)
            if bound > 0:
                entry = (-bound, next(counter), product, nodes + (asset,), relations + (relation,))
                heapq.heappush(heap, entry)
    return [_path(nodes, relations, succ) for nodes, relations in found], truncated


def _path(nodes, relations, succ):
    low = high = _ONE
    exact = True
    for owner, asset in itertools.pairwise(nodes):
        edge = next(edge for edge in succ[owner] if edge[0] == asset)
        _, edge_low, edge_high, edge_mask, _ = edge
        low *= edge_low
        high *= edge_high
        exact = exact and not edge_mask & (_UNKNOWN | _RANGE)
    low, high = _tidy(low * 100), _tidy(min(high * 100, _HUNDRED))
    return OwnershipPath(
        nodes=list(nodes),
        relations=list(relations),
        share=low if exact else None,
        share_min=low,
        share_max=low if exact else max(high, low),
    )


def _simple_undirected(graph):
    """Return one undirected link per pair of entities, weighted by its number of relations."""
    simple = nx.Graph()
    simple.add_nodes_from(graph)
    for u, v in graph.edges():
        if u == v:
            continue
        if simple.has_edge(u, v):
            simple[u][v]["weight"] += 1
        else:
            simple.add_edge(u, v, weight=1)
    return simple
