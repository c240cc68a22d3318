"""What the graph panel runs on workers: fetch a neighbourhood, expand a node, lay out, remember positions.

Each function runs on a pool thread (gui/runtime/workers.py) and imports its core modules there; it gets
plain data and returns plain data. Layout runs here too, never on the GUI thread.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.graph.layout import Point, layout
from core.graph.layout_store import SavedLayout, load_layout, save_layout
from core.graph.model import GraphNode, Neighbourhood

if TYPE_CHECKING:
    from core.engine.db import Database
    from core.graph.links import EdgeType
    from core.schema.catalog import Catalog


@dataclass(frozen=True)
class Placed:
    """A neighbourhood and where its nodes go; `added` are the node ids new to the screen."""

    hood: Neighbourhood
    positions: dict[str, Point]
    pinned: frozenset[str]
    start: str
    added: frozenset[str]


@dataclass(frozen=True)
class GraphRequest:
    """Which graph opens: the record of `entity` with `key` (column → value) and its neighbours `depth` hops
    out, at most `cap` per node and edge type, following the edge types `follow` (None: all)."""

    entity: str
    key: dict[str, Any]
    depth: int
    cap: int
    follow: tuple[str, ...] | None


def open_graph(db: Database, catalog: Catalog, request: GraphRequest) -> Placed:
    """A record's neighbourhood, laid out (keeping the positions remembered for it from last time)."""
    hood, start = _opened(db, catalog, request)
    saved = load_layout(db.display_url, start)
    ids = [n.id for n in hood.nodes]
    positions = layout(ids, _pairs(hood), known=saved.positions)
    return Placed(hood, positions, saved.pinned & set(ids), start, frozenset(ids))


def _opened(db: Database, catalog: Catalog, request: GraphRequest) -> tuple[Neighbourhood, str]:
    """A record's neighbourhood and its start node's id: how a graph opens, the first time or again."""
    from core.graph.neighbourhood import neighbourhood

    hood = neighbourhood(
        db, catalog, request.entity, request.key, depth=request.depth, cap=request.cap, follow=request.follow
    )
    return hood, hood.nodes[0].id


def expand_node(
    db: Database,
    catalog: Catalog,
    hood: Neighbourhood,
    node: str,
    positions: Mapping[str, Point],
    *,
    depth: int,
    cap: int,
    follow: Iterable[str] | None,
) -> Placed:
    """`hood` with `node`'s neighbours added (an aggregate: its next page), new ones laid out around it."""
    from core.graph.neighbourhood import expand, expand_aggregate, merged

    found = next((n for n in hood.nodes if n.id == node), None)
    if found is not None and found.aggregate:
        new = expand_aggregate(db, catalog, hood, node, cap=cap)
        # An aggregate's records join its owner, the node it hangs off: they are laid out around the owner.
        owner = next(
            (e.target if e.source == node else e.source for e in hood.edges if node in (e.source, e.target)),
            node,
        )
    else:
        new = expand(db, catalog, hood, node, depth=depth, cap=cap, follow=follow)
        owner = node
    whole = merged(hood, new)
    ids = {m.id for m in whole.nodes}  # a set: a graph of thousands of nodes must not cost their square
    known = {n: p for n, p in positions.items() if n in ids}
    added = frozenset(n.id for n in whole.nodes if n.id not in known)
    anchor = node if node in known else owner
    placed = layout(
        [n.id for n in whole.nodes], _pairs(whole), known=known, anchors=dict.fromkeys(added, anchor)
    )
    return Placed(whole, placed, frozenset(), whole.nodes[0].id if whole.nodes else node, added)


@dataclass(frozen=True)
class Step:
    """What the user did to a graph after it opened: expanded `node` (following `follow`, None: the Expand By
    choice then), or collapsed it; replayed, in order, when the graph is read again after a migration."""

    node: str
    collapse: bool = False
    follow: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Reread:
    """A graph read again after a migration: what is shown now, the steps that still applied, and the record
    nodes that went (their table dropped, or their row gone)."""

    placed: Placed
    steps: tuple[Step, ...]
    gone: tuple[GraphNode, ...]


def reopen_graph(
    db: Database,
    catalog: Catalog,
    request: GraphRequest,
    *,
    steps: Iterable[Step],
    shown: Neighbourhood,
    positions: Mapping[str, Point],
    carry: bool = False,
) -> Reread | None:
    """The graph of the request's record read again (after a migration, Lay Out Again or a depth change)
    with the user's expansions and collapses replayed on the nodes that still exist; the nodes with
    `positions` stay there. With `carry`, a record node expanded in `shown` that the request's depth no
    longer reaches is carried over from `shown` to be expanded again (a migration carries nothing: its rows
    may be gone). None: the record itself is no longer there."""
    from core.errors import NotFoundError
    from core.graph.neighbourhood import expand, expand_aggregate, merged
    from gui.graph.document import GraphDocument

    try:
        hood, start = _opened(db, catalog, request)
    except NotFoundError:
        return None  # the migration deleted it
    kept: list[Step] = []
    for step in steps:
        if carry and not step.collapse:
            hood = carried(hood, shown, step.node)
        node = next((n for n in hood.nodes if n.id == step.node), None)
        if node is None:
            continue  # gone, or no longer reached: what hung off it is not read either
        if step.collapse:
            doc = GraphDocument(start, hood)
            doc.collapse(step.node)
            hood = doc.hood
        else:
            try:
                if node.aggregate:
                    new = expand_aggregate(db, catalog, hood, node.id, cap=request.cap)
                else:
                    new = expand(db, catalog, hood, node.id, depth=1, cap=request.cap, follow=step.follow)
            except NotFoundError:
                continue  # its link went with the migration
            hood = merged(hood, new)
        kept.append(step)
    ids = {n.id for n in hood.nodes}
    known = {n: p for n, p in positions.items() if n in ids}
    placed = layout([n.id for n in hood.nodes], _pairs(hood), known=known)
    gone = tuple(n for n in shown.nodes if not n.aggregate and n.id not in ids)
    added = frozenset(ids - set(known))
    return Reread(Placed(hood, placed, frozenset(), start, added), tuple(kept), gone)


def carried(hood: Neighbourhood, shown: Neighbourhood, node: str) -> Neighbourhood:
    """`hood` with the record node `node` of `shown` in it, joined by the shortest way `shown` took to it
    from a node of `hood` (the nodes on the way and their edges); `hood` itself when it holds `node`
    already, or `shown` does not reach it from `hood`."""
    from core.graph.neighbourhood import merged

    ids = {n.id for n in hood.nodes}
    found = next((n for n in shown.nodes if n.id == node), None)
    if node in ids or found is None or found.aggregate:
        return hood
    around: dict[str, list[str]] = {}
    for e in shown.edges:
        around.setdefault(e.source, []).append(e.target)
        around.setdefault(e.target, []).append(e.source)
    came_from: dict[str, str] = {node: node}
    queue = deque([node])
    while queue:  # breadth first from the node, until a node of `hood`
        at = queue.popleft()
        if at in ids:
            way = {at}
            while at != node:
                at = came_from[at]
                way.add(at)
            nodes = tuple(n for n in shown.nodes if n.id in way)
            edges = tuple(e for e in shown.edges if {e.source, e.target} <= way)
            return merged(hood, Neighbourhood(nodes, edges))
        for nxt in around.get(at, ()):
            if nxt not in came_from:
                came_from[nxt] = at
                queue.append(nxt)
    return hood


def remember(database: str, start: str, positions: dict[str, Point], pinned: frozenset[str]) -> None:
    """Remember a graph's positions and pins for the next time it is opened from the same record."""
    save_layout(database, start, SavedLayout(dict(positions), pinned))


def row_fields(db: Database, catalog: Catalog, entity: str, key: dict[str, Any]) -> dict[str, Any]:
    """One record's columns and values, for the side panel and the hover preview."""
    from core.data.repository import get_row

    return get_row(db, catalog, entity, key)


def edge_types(catalog: Catalog, entity: str) -> list[EdgeType]:
    """The edge types a node of `entity` can be expanded by (read from the catalog; no query)."""
    from core.graph.links import edge_types as types

    return types(catalog, entity)


def _pairs(hood: Neighbourhood) -> list[tuple[str, str]]:
    return [(e.source, e.target) for e in hood.edges]
