"""Entity graphs as the browser, PDFs and analysts' tools take them: JSON, SVG, GEXF, GraphML.

Pure: takes :class:`assettrack.network.store.Subgraph` or the JSON built from it, returns
dicts, text or bytes. No Flask, no database.

The SVG is drawn here, without external tools, so a PDF report embeds the same picture the page
shows. It must read in black and white (reports are printed and faxed): each kind of entity has
its own shape *and* a letter inside it, each kind of relation its own dash pattern; colour only
helps. The layout is deterministic (same graph, same picture): nodes are placed on a circle in
the order of their ids, then moved by Kamada-Kawai (small graphs) or Fruchterman-Reingold
(igraph, compiled) starting from that circle.
"""

import io
import math
from datetime import date
from decimal import Decimal
from html import escape

import networkx as nx

__all__ = [
    "graph_json",
    "node_json",
    "edge_json",
    "edge_label",
    "ownership_json",
    "json_number",
    "layout",
    "graph_svg",
    "to_networkx",
    "to_gexf",
    "to_graphml",
    "SVG_MAX_NODES",
]

#: Most nodes drawn in one SVG; a bigger graph is drawn by its strongest brokers.
SVG_MAX_NODES = 150


def graph_json(subgraph, *, organisations=None, extra=None) -> dict:
    """Return ``{"nodes": [...], "edges": [...], "truncated": bool}`` for the browser.

    Parameters
    ----------
    subgraph : Subgraph
        From :mod:`assettrack.network.store`.
    organisations : dict, optional
        Organisation id -> code, to name each node's organisation.
    extra : dict, optional
        Node id -> dict of more fields for that node (case role, degree, betweenness...).

    Examples
    --------
    >>> from assettrack.network.store import Edge, Node, Subgraph
    >>> g = Subgraph({1: Node(1, 7, "Person", "Ann"), 2: Node(2, 7, "Company", "Acme")},
    ...              [Edge(9, "Ownership", 1, 2, percentage=Decimal("25"))])
    >>> body = graph_json(g, organisations={7: "NLRTM"})
    >>> body["nodes"][0]
    {'id': 1, 'schema': 'Person', 'name': 'Ann', 'organisation': 'NLRTM', 'hub': False}
    >>> body["edges"][0]["label"], body["truncated"]
    ('25 %', False)
    """
    organisations = organisations or {}
    extra = extra or {}
    nodes = []
    for node in sorted(subgraph.nodes.values(), key=lambda n: n.id):
        body = node_json(node, organisations)
        if node.id in subgraph.depth and subgraph.depth[node.id]:
            body["depth"] = subgraph.depth[node.id]
        body["hub"] = node.id in subgraph.hubs
        if node.id in subgraph.hubs:
            body["relations_at_least"] = subgraph.hubs[node.id]
        body.update(extra.get(node.id, {}))
        nodes.append(body)
    edges = [edge_json(e) for e in sorted(subgraph.edges, key=lambda e: str(e.id))]
    return {"nodes": nodes, "edges": edges, "truncated": bool(subgraph.truncated)}


def node_json(node, organisations=None) -> dict:
    """Return the public shape of a graph node."""
    return {
        "id": node.id,
        "schema": node.schema,
        "name": node.name,
        "organisation": (organisations or {}).get(node.organisation_id),
    }


def edge_json(edge) -> dict:
    """Return the public shape of an edge (percentages and money as decimal strings)."""
    body = {
        "id": edge.id,
        "source": edge.source,
        "target": edge.target,
        "schema": edge.schema,
        "role": edge.role,
        "label": edge_label(edge),
    }
    if edge.schema == "Ownership":
        body["percentage"] = _decimal_text(edge.percentage)
        body["percentage_min"] = _decimal_text(edge.percentage_min)
        body["percentage_max"] = _decimal_text(edge.percentage_max)
    if edge.schema == "Payment":
        body["amount"] = _decimal_text(edge.amount)
        body["currency"] = edge.currency
        body["date"] = _day(edge.paid_on)
    if edge.start_date or edge.end_date:
        body["start_date"] = _day(edge.start_date)
        body["end_date"] = _day(edge.end_date)
    if isinstance(edge.id, str):
        body["derived"] = True  # from an identifier or an owner property, not a relation row
    return body


def edge_label(edge) -> str:
    """Return the short text drawn on an edge: a share, an amount, a role or the kind.

    Examples
    --------
    >>> from assettrack.network.store import Edge
    >>> edge_label(Edge(1, "Ownership", 1, 2, percentage_min=Decimal(25),
    ...                 percentage_max=Decimal(50)))
    '25–50 %'
    >>> edge_label(Edge(1, "Ownership", 1, 2, role="holder"))
    '? % (holder)'
    >>> edge_label(Edge(1, "Payment", 1, 2, amount=Decimal("1250.50"), currency="EUR"))
    '1,250.50 EUR'
    >>> edge_label(Edge(1, "Directorship", 1, 2, role="managing director"))
    'managing director'
    """
    if edge.schema == "Ownership":
        if edge.percentage is not None:
            text = f"{_decimal_text(edge.percentage)} %"
        elif edge.percentage_min is not None or edge.percentage_max is not None:
            low = _decimal_text(edge.percentage_min) or "0"
            high = _decimal_text(edge.percentage_max) or "100"
            text = f"{low}–{high} %"
        else:
            text = "? %"
        if edge.role:
            text += f" ({_short(edge.role, 20)})"
        return text
    if edge.schema == "Payment" and edge.amount is not None:
        return f"{edge.amount:,.2f} {edge.currency or ''}".strip()
    if edge.schema == "SameAs":
        return f"= {edge.role}" if edge.role else "="
    return _short(edge.role, 24) if edge.role else edge.schema


def ownership_json(result) -> dict:
    """Return :class:`~assettrack.network.analysis.OwnershipResult` in the API's shape.

    ``share`` is a number when exact, else null (``share_min`` and ``share_max`` bound it);
    each path lists the entity ids from the owner down to the target with its share.
    """
    return {
        "target": result.target,
        "as_of": result.as_of.isoformat(),
        "owners": [
            {
                "id": owner.id,
                "name": owner.name,
                "schema": owner.schema,
                "share": json_number(owner.share),
                "share_min": json_number(owner.share_min),
                "share_max": json_number(owner.share_max),
                "paths": [
                    {
                        "nodes": list(path.nodes),
                        "relations": list(path.relations),
                        "share": json_number(path.share),
                        "share_min": json_number(path.share_min),
                        "share_max": json_number(path.share_max),
                    }
                    for path in owner.paths
                ],
                "flags": list(owner.flags),
            }
            for owner in result.owners
        ],
        "declared": [
            {
                "id": holding.id,
                "name": holding.name,
                "schema": holding.schema,
                "percentage": json_number(holding.percentage),
                "percentage_min": json_number(holding.percentage_min),
                "percentage_max": json_number(holding.percentage_max),
                "role": holding.role,
                "relation": holding.relation,
            }
            for holding in result.declared
        ],
        "warnings": list(result.warnings),
    }


def json_number(value):
    """Return a Decimal as an int when whole, else a float rounded to 6 places; None stays.

    >>> json_number(Decimal("100")), json_number(Decimal("23.5")), json_number(None)
    (100, 23.5, None)
    """
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    return round(float(value), 6)


# --- layout and SVG ---------------------------------------------------------------------------


def layout(nodes, edges, *, iterations=500) -> dict:
    """Place ``nodes`` in the unit square, the same way every time.

    Parameters
    ----------
    nodes : iterable
        Node ids.
    edges : iterable of (source, target)
    iterations : int, default 500
        Fruchterman-Reingold iterations for graphs over 40 nodes.

    Returns
    -------
    dict
        node -> (x, y), both within [0, 1].

    Examples
    --------
    >>> pos = layout([1, 2, 3], [(1, 2), (2, 3)])
    >>> pos == layout([3, 2, 1], [(2, 3), (1, 2)])
    True
    >>> all(0 <= x <= 1 and 0 <= y <= 1 for x, y in pos.values())
    True
    """
    order = sorted(set(nodes), key=_sort_key)
    n = len(order)
    if n == 0:
        return {}
    if n == 1:
        return {order[0]: (0.5, 0.5)}
    circle = [
        (math.cos(2 * math.pi * i / n - math.pi / 2), math.sin(2 * math.pi * i / n - math.pi / 2))
        for i in range(n)
    ]
    index = {node: i for i, node in enumerate(order)}
    pairs = sorted(
        {tuple(sorted((index[a], index[b]))) for a, b in edges if a in index and b in index}
    )
    pairs = [(a, b) for a, b in pairs if a != b]
    coords = _igraph_layout(n, pairs, circle, iterations)
    if coords is None:
        coords = circle
    xs = [x for x, _ in coords]
    ys = [y for _, y in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    left = min(xs) - (span - (max(xs) - min(xs))) / 2
    top = min(ys) - (span - (max(ys) - min(ys))) / 2
    return {
        node: (round((coords[i][0] - left) / span, 4), round((coords[i][1] - top) / span, 4))
        for node, i in index.items()
    }


def graph_svg(
    body,
    *,
    title=None,
    marking=None,
    width=800,
    max_nodes=SVG_MAX_NODES,
    alt=None,
    description=None,
) -> str:
    """Draw a graph (the dict of :func:`graph_json`) as a standalone SVG document.

    Parameters
    ----------
    body : dict
        ``nodes`` and ``edges`` as :func:`graph_json` returns them; a node's ``betweenness``,
        when present, picks the nodes kept past ``max_nodes`` and thickens the top brokers.
    title : str, optional
        Printed above the graph.
    marking : str, optional
        A handling mark printed in the top right corner (``TLP:AMBER``).
    width : int, default 800
        Width in pixels; the height follows.
    max_nodes : int, default 150
        Larger graphs are drawn by their ``max_nodes`` strongest brokers, with a note.
    alt : str, optional
        The picture's accessible name (its ``<title>``, read by screen readers and tagged PDF);
        by default the title, else the number of entities and relations drawn.
    description : str, optional
        The picture's ``<desc>`` (a file's handling: TLP, handling code and its notice).

    Returns
    -------
    str
        ``<svg ...>...</svg>``, UTF-8 text with every label escaped.

    Examples
    --------
    >>> svg = graph_svg({"nodes": [{"id": 1, "schema": "Person", "name": "Ann <A>"},
    ...                            {"id": 2, "schema": "Vessel", "name": "Nordzee"}],
    ...                  "edges": [{"id": 5, "source": 1, "target": 2, "schema": "Ownership",
    ...                             "label": "100 %"}]})
    >>> svg.startswith("<svg") and "Ann &lt;A&gt;" in svg and "100 %" in svg
    True
    >>> "<title>Network diagram: 2 entities, 1 relation</title>" in svg
    True
    """
    nodes = list(body.get("nodes", []))
    edges = list(body.get("edges", []))
    note = None
    if len(nodes) > max_nodes:
        ranked = sorted(
            nodes,
            key=lambda n: (
                -(n.get("betweenness") or 0),
                -(n.get("degree") or 0),
                _sort_key(n["id"]),
            ),
        )
        nodes = ranked[:max_nodes]
        note = f"{max_nodes} of {len(body['nodes'])} entities drawn (the strongest brokers)"
    shown = {n["id"] for n in nodes}
    edges = [e for e in edges if e["source"] in shown and e["target"] in shown]
    pos = layout(shown, [(e["source"], e["target"]) for e in edges])

    margin = 70
    header = 40 if (title or marking) else 10
    plot = width - 2 * margin
    kinds = sorted({_shape_of(n.get("schema")) for n in nodes}, key=_SHAPE_ORDER.index)
    relation_kinds = sorted({e["schema"] for e in edges}, key=_line_order)
    legend_rows = max(1, math.ceil(len(kinds) / 4)) + max(0, math.ceil(len(relation_kinds) / 4))
    legend = 24 + 20 * legend_rows
    height = header + plot + 2 * margin + legend + (16 if note else 0)

    def at(node_id):
        x, y = pos[node_id]
        return margin + x * plot, header + margin + y * plot

    top_brokers = {
        n["id"]
        for n in sorted(nodes, key=lambda n: -(n.get("betweenness") or 0))[:5]
        if (n.get("betweenness") or 0) > 0
    }
    name = alt or title or _default_alt(len(nodes), len(edges))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" '
        f'viewBox="0 0 {width} {height:.0f}" font-family="Noto Sans, DejaVu Sans, sans-serif" '
        'role="img">',
        f"<title>{escape(name)}</title>",
        *([f"<desc>{escape(description)}</desc>"] if description else []),
        "<defs>",
        '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#222"/></marker>',
        "</defs>",
        f'<rect width="{width}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    if title:
        out.append(
            f'<text x="{margin / 2:.0f}" y="26" font-size="16" font-weight="bold" '
            f'fill="#000">{escape(_short(title, 80))}</text>'
        )
    if marking:
        out.append(
            f'<text x="{width - margin / 2:.0f}" y="26" font-size="14" font-weight="bold" '
            f'text-anchor="end" fill="#000">{escape(marking)}</text>'
        )

    # Edges first (under the nodes): one line per pair, every relation of the pair in its label.
    pairs = {}
    for edge in sorted(edges, key=lambda e: (_line_order(e["schema"]), str(e["id"]))):
        key = tuple(sorted((edge["source"], edge["target"]), key=_sort_key))
        pairs.setdefault(key, []).append(edge)
    labels = []
    for key in sorted(pairs, key=lambda k: (_sort_key(k[0]), _sort_key(k[1]))):
        group = pairs[key]
        main = group[0]
        (x1, y1), (x2, y2) = at(main["source"]), at(main["target"])
        if (x1, y1) == (x2, y2):
            continue
        # Stop the line at the node's edge so the arrowhead shows.
        length = math.hypot(x2 - x1, y2 - y1)
        cut = min(_RADIUS * 1.6, length / 3)
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        sx, sy, tx, ty = x1 + ux * cut, y1 + uy * cut, x2 - ux * cut, y2 - uy * cut
        width_, dash, arrow = _LINES.get(main["schema"], _LINES["UnknownLink"])
        attrs = f'stroke="#222" stroke-width="{width_}"'
        if dash:
            attrs += f' stroke-dasharray="{dash}"'
        if arrow:
            attrs += ' marker-end="url(#arrow)"'
        out.append(
            f'<line x1="{sx:.1f}" y1="{sy:.1f}" x2="{tx:.1f}" y2="{ty:.1f}" {attrs}>'
            f"<title>{escape(' · '.join(e['schema'] for e in group))}</title></line>"
        )
        text = " · ".join(dict.fromkeys(e.get("label") or e["schema"] for e in group))
        labels.append(((x1 + x2) / 2, (y1 + y2) / 2 - 3, _short(text, 40)))
    for x, y, text in labels:
        out.append(_halo_text(x, y, text, size=9, anchor="middle"))

    for node in sorted(nodes, key=lambda n: _sort_key(n["id"])):
        x, y = at(node["id"])
        shape = _shape_of(node.get("schema"))
        stroke = 3 if node["id"] in top_brokers else 1.3
        name = node.get("name") or str(node["id"])
        tooltip = f"{name} ({node.get('schema')})"
        out.append(f"<g><title>{escape(tooltip)}</title>")
        out.append(_shape(shape, x, y, stroke))
        out.append(
            f'<text x="{x:.1f}" y="{y + 3.5:.1f}" font-size="9" font-weight="bold" '
            f'text-anchor="middle" fill="#000">{escape(_letter(node.get("schema")))}</text>'
        )
        out.append(_halo_text(x, y + _RADIUS + 12, _short(name, 28), size=10, anchor="middle"))
        out.append("</g>")

    # Legend: shapes, then line patterns.
    y = header + plot + 2 * margin + 14
    out.append(f'<text x="{margin / 2:.0f}" y="{y:.0f}" font-size="10" fill="#000">Legend</text>')
    row = 0
    for i, shape in enumerate(kinds):
        lx = margin / 2 + 20 + (i % 4) * 180
        ly = y + 18 + 20 * (i // 4)
        row = i // 4
        out.append(_shape(shape, lx, ly - 4, 1.2, radius=6))
        out.append(
            f'<text x="{lx + 12:.0f}" y="{ly:.0f}" font-size="10" fill="#000">'
            f"{escape(_SHAPE_LABELS[shape])}</text>"
        )
    y += 20 * (row + 1)
    for i, kind in enumerate(relation_kinds):
        lx = margin / 2 + 20 + (i % 4) * 180
        ly = y + 18 + 20 * (i // 4)
        width_, dash, arrow = _LINES.get(kind, _LINES["UnknownLink"])
        attrs = f'stroke="#222" stroke-width="{width_}"'
        if dash:
            attrs += f' stroke-dasharray="{dash}"'
        if arrow:
            attrs += ' marker-end="url(#arrow)"'
        out.append(
            f'<line x1="{lx - 8:.0f}" y1="{ly - 4:.0f}" x2="{lx + 28:.0f}" '
            f'y2="{ly - 4:.0f}" {attrs}/>'
        )
        out.append(
            f'<text x="{lx + 34:.0f}" y="{ly:.0f}" font-size="10" fill="#000">{escape(kind)}</text>'
        )
    if note:
        out.append(
            f'<text x="{margin / 2:.0f}" y="{height - 8:.0f}" font-size="10" fill="#000">'
            f"{escape(note)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


# --- exports ----------------------------------------------------------------------------------


def to_networkx(body, graph_attributes=None) -> nx.MultiDiGraph:
    """Return the graph of a :func:`graph_json` dict with plain attribute values.

    Attribute values are text, numbers or booleans only (no None, Decimal or date), with one
    type per attribute, as GEXF and GraphML require. Edge keys are the edge ids as text.
    """
    graph = nx.MultiDiGraph()
    for name, value in (graph_attributes or {}).items():
        if value is not None:
            graph.graph[name] = str(value)
    for node in body["nodes"]:
        attrs = {k: _plain(v) for k, v in node.items() if k != "id" and v is not None}
        attrs["label"] = node.get("name") or str(node["id"])
        graph.add_node(str(node["id"]), **attrs)
    for edge in body["edges"]:
        attrs = {
            k: _plain(v)
            for k, v in edge.items()
            if k not in ("id", "source", "target") and v is not None
        }
        graph.add_edge(str(edge["source"]), str(edge["target"]), key=str(edge["id"]), **attrs)
    return graph


def to_gexf(body, graph_attributes=None) -> bytes:
    """Return the graph as GEXF 1.2 (Gephi), written by networkx.

    GEXF has no graph-level attributes: the graph's attributes (a file's TLP and handling
    code) go into ``<meta>``, as its ``<description>`` (``marking``) and ``<keywords>``
    (``name=value`` pairs, ``;``-separated).

    >>> gexf = to_gexf({"nodes": [], "edges": []}, {"tlp": "AMBER", "marking": "TLP:AMBER H1"})
    >>> "<description>TLP:AMBER H1</description>" in gexf.decode()
    True
    >>> "<keywords>tlp=AMBER; marking=TLP:AMBER H1</keywords>" in gexf.decode()
    True
    """
    buffer = io.BytesIO()
    nx.write_gexf(to_networkx(body, graph_attributes), buffer)
    data = buffer.getvalue()
    attributes = {k: str(v) for k, v in (graph_attributes or {}).items() if v is not None}
    if not attributes:
        return data
    meta = ""
    if "marking" in attributes:
        meta += f"<description>{escape(attributes['marking'])}</description>"
    pairs = "; ".join(f"{k}={v}" for k, v in attributes.items())
    meta += f"<keywords>{escape(pairs)}</keywords>"
    return data.replace(b"</meta>", meta.encode() + b"</meta>", 1)


def to_graphml(body, graph_attributes=None) -> bytes:
    """Return the graph as GraphML (yEd, Cytoscape, igraph), written by networkx."""
    buffer = io.BytesIO()
    nx.write_graphml(to_networkx(body, graph_attributes), buffer)
    return buffer.getvalue()


# --- helpers ----------------------------------------------------------------------------------

_RADIUS = 11

# Shape groups, in legend order, with their label and fill (a light tint: black-and-white
# prints keep the shape and the letter).
_SHAPE_ORDER = ["person", "organisation", "asset", "place", "other"]
_SHAPE_LABELS = {
    "person": "Person (circle)",
    "organisation": "Company, organisation (square)",
    "asset": "Asset (diamond)",
    "place": "Address (house)",
    "other": "Other (hexagon)",
}
_FILLS = {
    "person": "#fff2cc",
    "organisation": "#dbe9f6",
    "asset": "#d9ead3",
    "place": "#eeeeee",
    "other": "#ffffff",
}
_ASSETS = {
    "Vessel",
    "Vehicle",
    "Airplane",
    "RealEstate",
    "BankAccount",
    "Security",
    "CryptoWallet",
    "Asset",
}
_LETTERS = {
    "Person": "P",
    "Company": "C",
    "Organization": "O",
    "LegalEntity": "L",
    "Address": "@",
    "Vessel": "V",
    "Vehicle": "Vh",
    "Airplane": "Ap",
    "RealEstate": "RE",
    "BankAccount": "BA",
    "Security": "S",
    "CryptoWallet": "W",
    "Asset": "A",
}
# Relation -> (stroke width, dash pattern, arrowhead): distinct without colour.
_LINES = {
    "Ownership": (1.8, None, True),
    "Directorship": (1.3, "6 3", False),
    "Representation": (1.3, "2 2", False),
    "Family": (1.6, "1 3", False),
    "Associate": (1.2, "8 3 2 3", False),
    "Employment": (1.2, "4 2", False),
    "Membership": (1.2, "10 4", False),
    "Payment": (1.2, "12 3 3 3", True),
    "SameAs": (2.4, "1 2", False),
    "UnknownLink": (0.8, "3 5", False),
}


def _line_order(kind):
    order = list(_LINES)
    return (order.index(kind) if kind in order else len(order), kind)


def _shape_of(schema):
    if schema == "Person":
        return "person"
    if schema in ("Company", "Organization", "LegalEntity", "PublicBody"):
        return "organisation"
    if schema in _ASSETS:
        return "asset"
    if schema == "Address":
        return "place"
    return "other"


def _letter(schema):
    return _LETTERS.get(schema, (schema or "?")[:2])


def _shape(shape, x, y, stroke, radius=_RADIUS):
    fill = _FILLS[shape]
    common = f'fill="{fill}" stroke="#000" stroke-width="{stroke}"'
    r = radius
    if shape == "person":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" {common}/>'
    if shape == "organisation":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" {common}/>'
    if shape == "asset":
        s = r * 1.3
        points = [(x, y - s), (x + s, y), (x, y + s), (x - s, y)]
    elif shape == "place":
        points = [
            (x, y - r * 1.2),
            (x + r, y - r * 0.2),
            (x + r, y + r),
            (x - r, y + r),
            (x - r, y - r * 0.2),
        ]
    else:
        points = [
            (x + r * math.cos(math.pi / 3 * i), y + r * math.sin(math.pi / 3 * i)) for i in range(6)
        ]
    text = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return f'<polygon points="{text}" {common}/>'


def _halo_text(x, y, text, *, size, anchor):
    # The same text twice, a white outline under black, so labels stay legible over lines
    # (paint-order is not supported by every renderer).
    text = escape(text)
    base = f'x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"'
    return (
        f'<text {base} fill="#fff" stroke="#fff" stroke-width="3" stroke-linejoin="round">'
        f'{text}</text><text {base} fill="#000">{text}</text>'
    )


def _short(text, limit):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sort_key(value):
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))


def _decimal_text(value):
    if value is None:
        return None
    value = Decimal(value)
    return format(value.normalize(), "f") if value else "0"


def _day(value):
    return value.isoformat() if isinstance(value, date) else value


def _plain(value):
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _igraph_layout(n, pairs, circle, iterations):
    try:
        import igraph
    except ImportError:  # pragma: no cover - igraph is a dependency; a circle still reads
        return None
    graph = igraph.Graph(n=n, edges=pairs)
    if n <= 40:
        coords = graph.layout_kamada_kawai(seed=circle, maxiter=50 * n)
    else:
        coords = graph.layout_fruchterman_reingold(seed=circle, niter=iterations)
    return [tuple(point) for point in coords.coords]


def _default_alt(nodes: int, edges: int) -> str:
    return (
        f"Network diagram: {nodes} {'entity' if nodes == 1 else 'entities'}, "
        f"{edges} {'relation' if edges == 1 else 'relations'}"
    )
