"""`warden graph`: a record's neighbourhood through its foreign keys and link tables, as JSON or a tree.

KEY is the key's value for a one-column key (a UUID, an integer…); for a composite key, `col=value`
pairs joined by commas, the values in key order joined by commas, or a JSON array. Keys print as
`warden export` prints them: the value for a one-column key, a list of values for a composite one.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import deque
from typing import TYPE_CHECKING, Any

from core.cli.targets import db_arg, open_target
from core.errors import WardenError

if TYPE_CHECKING:
    from core.graph.model import GraphEdge, GraphNode, Neighbourhood
    from core.schema.catalog import Entity

#: Longest attribute value the tree prints; a link's description is prose.
_SHOWN = 32


def add_parser(sub: Any) -> None:
    """The `graph` subcommand's arguments."""
    g = sub.add_parser("graph", help="show a record and its neighbours through foreign keys and link tables")
    db_arg(g)
    g.add_argument("--entity", required=True)
    g.add_argument(
        "--key", required=True, help="the record's key: a value, or col=value,… for a composite key"
    )
    g.add_argument("--depth", type=int, default=1, help="hops out from the record, 1 to 3 (default 1)")
    g.add_argument("--cap", type=int, default=50, help="neighbours shown per node and edge type (default 50)")
    g.add_argument(
        "--follow", action="append", default=None, metavar="VIA",
        help="follow only this edge type (an FK as entity.column, or a link table); repeatable",
    )  # fmt: skip
    g.add_argument("--json", action="store_true", help="print JSON instead of a tree")


def run(args: argparse.Namespace, target: str | None) -> int:
    """Print the neighbourhood of one record."""
    from core.graph.neighbourhood import neighbourhood
    from core.schema.load import load_catalog

    db = open_target(target)
    try:
        cat = load_catalog(db)
        ent = cat.get(args.entity)
        key = parse_key(ent, args.key)
        hood = neighbourhood(db, cat, ent, key, depth=args.depth, cap=args.cap, follow=args.follow)
    finally:
        db.dispose()
    if args.json:
        from core.data.export_columns import finite_json

        # A float that is not finite is text, as `warden export` writes it: strict JSON has no literal for it.
        sys.stdout.write(json.dumps(finite_json(as_json(hood)), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write("".join(line + "\n" for line in tree_lines(hood)))
    return 0


def parse_key(entity: Entity, text: str) -> dict[str, Any]:
    """A record's key (column → text, coerced later) from the KEY argument."""
    columns = entity.primary_key
    if not columns:
        raise WardenError(f"{entity.name} has no key, so its rows cannot be shown in a graph")
    text = text.strip()
    if len(columns) == 1 and not text.startswith(f"{columns[0]}="):
        return {columns[0]: text}
    if text.startswith("["):
        try:
            values = json.loads(text)
        except ValueError:
            raise WardenError("--key is not a JSON array of the key's values") from None
        if not isinstance(values, list):
            raise WardenError("--key is not a JSON array of the key's values")
    else:
        parts = [p.strip() for p in text.split(",")]
        if all("=" in p for p in parts):
            named = dict(p.partition("=")[::2] for p in parts)
            unknown = [c for c in named if c not in columns]
            if unknown:
                raise WardenError(
                    f"--key names {', '.join(unknown)}; the key of {entity.name} is {', '.join(columns)}"
                )
            return {c: named[c] for c in columns if c in named}
        values = parts
    if len(values) != len(columns):
        raise WardenError(f"--key needs {len(columns)} values, for {', '.join(columns)}")
    return dict(zip(columns, values, strict=True))


def shown_key(node: GraphNode) -> Any:
    """A node's key as the command prints it: the value itself for a one-column key."""
    if node.key is None:
        return None
    return node.key[0] if len(node.key) == 1 else list(node.key)


def as_json(hood: Neighbourhood) -> dict[str, Any]:
    """The `--json` document: nodes and edges."""
    nodes: list[dict[str, Any]] = []
    for n in hood.nodes:
        if n.aggregate:
            nodes.append(
                {
                    "id": n.id,
                    "entity": n.entity,
                    "count": n.count,
                    "aggregate": True,
                    "label": n.label,
                    "via": n.via,
                }
            )
        else:
            nodes.append({"id": n.id, "entity": n.entity, "key": shown_key(n), "label": n.label})
    edges = [
        {
            "source": e.source,
            "target": e.target,
            "kind": e.kind,
            "via": e.via,
            "attributes": e.attributes,
            "directed": e.directed,
        }
        for e in hood.edges
    ]
    return {"nodes": nodes, "edges": edges}


def tree_lines(hood: Neighbourhood) -> list[str]:
    """The neighbourhood as an indented tree from its first node: each node under the one it was reached
    from, with the arrow of the edge between them and what the edge goes through."""
    if not hood.nodes:
        return []
    nodes = {n.id: n for n in hood.nodes}
    around: dict[str, list[GraphEdge]] = {}
    for e in hood.edges:
        around.setdefault(e.source, []).append(e)
        if e.target != e.source:
            around.setdefault(e.target, []).append(e)
    root = hood.nodes[0].id
    children: dict[str, list[tuple[str, GraphEdge]]] = {}
    seen = {root}
    queue = deque([root])
    while queue:
        here = queue.popleft()
        for e in around.get(here, []):
            other = e.target if e.source == here else e.source
            if other not in seen and other in nodes:
                seen.add(other)
                children.setdefault(here, []).append((other, e))
                queue.append(other)
    lines = [_node_text(nodes[root])]

    def walk(parent: str, depth: int) -> None:
        for child, edge in children.get(parent, []):
            node = nodes[child]
            # A link's aggregate names its link in its label already.
            via = "" if node.aggregate and edge.kind == "link" else f"  {_edge_text(edge)}"
            lines.append("  " * depth + f"{_arrow(edge, child)} {_node_text(node)}{via}")
            walk(child, depth + 1)

    walk(root, 1)
    return lines


def _node_text(node: GraphNode) -> str:
    if node.aggregate:
        return node.label
    key = shown_key(node)
    return f"{node.entity} {node.label!r} [{key if not isinstance(key, list) else ', '.join(map(str, key))}]"


def _arrow(edge: GraphEdge, child: str) -> str:
    if not edge.directed:
        return "<->"
    return "->" if edge.target == child else "<-"


def _edge_text(edge: GraphEdge) -> str:
    attrs = ", ".join(f"{k}={_short(v)}" for k, v in edge.attributes.items() if k not in ("id", "version"))
    return f"via {edge.via}" + (f" ({attrs})" if attrs else "")


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
