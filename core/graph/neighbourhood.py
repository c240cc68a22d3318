"""A record's neighbourhood: the records around it through every foreign key in both directions, with
link tables as edges, 1 to 3 hops out, read in batches (core/graph/fetch.py).

Node keys are the values as `warden export` writes them (UUIDs as text, times ISO 8601). Busy nodes keep
`cap` neighbours per edge type; the rest become one aggregate node with their exact count, which
expand_aggregate pages in. expand and expand_aggregate return only what a neighbourhood does not hold
yet (an aggregate whose count changed comes again, under its id); merged() applies such a result.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from core.data.export_columns import dumps, plain_value
from core.data.query import coerce_for, coerce_key, key_predicate
from core.engine.db import Database
from core.errors import NotFoundError, WardenError
from core.graph.fetch import Key, Reached, reach
from core.graph.links import LinkEnds, Step, link_ends, steps_from
from core.graph.model import EdgeKind, GraphEdge, GraphNode, Neighbourhood
from core.schema.catalog import Catalog, Entity

DEFAULT_CAP = 50
MAX_DEPTH = 3


def node_id(entity: str, key: Sequence[Any]) -> str:
    """A record's node id: its entity and its key's values as `warden export` writes them, as JSON."""
    if len(key) == 1 and type(key[0]) is uuid.UUID:  # most keys: the JSON is known (hex and dashes only)
        return f'{entity}:["{key[0]}"]'
    return f"{entity}:{dumps([plain_value(v) for v in key])}"


def aggregate_id(owner: str, via: str) -> str:
    """The id of the aggregate node holding `owner`'s neighbours through `via` beyond the cap."""
    return f"+{owner}|{via}"


def edge_identity(edge: GraphEdge) -> tuple[str, ...]:
    """What tells edges apart: two FK edges with the same ends and FK are one; link edges differ by row."""
    return edge.identity


def neighbourhood(
    db: Database,
    catalog: Catalog,
    entity: Entity | str,
    key: dict[str, Any],
    *,
    depth: int = 1,
    cap: int = DEFAULT_CAP,
    follow: Iterable[str] | None = None,
) -> Neighbourhood:
    """The record of `entity` with `key` (column → value) and its neighbours `depth` hops out (1–3), at most
    `cap` per node and edge type; only the edge types named in `follow` (edges' `via`) when given."""
    ent = catalog.get(entity) if isinstance(entity, str) else entity
    _check(depth, cap)
    if not ent.primary_key:
        raise WardenError(f"{ent.name} has no key, so its rows cannot be shown in a graph")
    k = coerce_key(ent, key)
    walk = _Walk(catalog, _follow(follow), cap)
    with db.engine.connect() as conn:
        cols = [ent.table.c[name] for name in ent.primary_key]
        label = [ent.table.c[ent.label]] if ent.label else []
        row = conn.execute(sa.select(*cols, *label).where(key_predicate(ent, k)).limit(1)).first()
        if row is None:
            raise NotFoundError(f"{ent.name} has no row with that key")
        raw = tuple(row[: len(cols)])
        start = walk.add_node(ent, raw, row[-1] if ent.label else None)
        walk.hops(conn, [start], depth)
    return walk.result()


def expand(
    db: Database,
    catalog: Catalog,
    hood: Neighbourhood,
    node: str,
    *,
    depth: int = 1,
    cap: int = DEFAULT_CAP,
    follow: Iterable[str] | None = None,
) -> Neighbourhood:
    """The neighbours of `node` (an id in `hood`) `depth` hops out that `hood` does not hold yet, and the
    edges to them and between known nodes that it lacks."""
    _check(depth, cap)
    walk = _Walk.of(catalog, hood, _follow(follow), cap)
    found = walk.nodes.get(node)
    if found is None or found.aggregate or node not in walk.raw:
        raise NotFoundError("That node is not a record of this graph (or its table is gone)")
    with db.engine.connect() as conn:
        walk.hops(conn, [node], depth)
    return walk.result(new_since=hood)


def expand_aggregate(
    db: Database, catalog: Catalog, hood: Neighbourhood, aggregate: str, *, cap: int = DEFAULT_CAP
) -> Neighbourhood:
    """The next `cap` records an aggregate node of `hood` stands for, their edges, and the aggregate again
    with what is left (count 0 when nothing is: merged() then drops it)."""
    _check(1, cap)
    walk = _Walk.of(catalog, hood, None, cap)
    agg = walk.nodes.get(aggregate)
    owner = next(
        (
            e.target if e.source == aggregate else e.source
            for e in hood.edges
            if aggregate in (e.source, e.target)
        ),
        None,
    )
    if agg is None or not agg.aggregate or owner not in walk.raw or agg.count is None:
        raise NotFoundError("That node is not an aggregate of this graph")
    step = next((s for s in walk.steps(walk.nodes[owner].entity) if s.aggregate_via == agg.via), None)
    if step is None:
        raise NotFoundError("The link this aggregate stands for is no longer in the database")
    with db.engine.connect() as conn:
        reached = list(
            reach(conn, step, [walk.raw[owner]], walk.attributes(step), cap=cap, remaining=agg.count)
        )
    for r in reached:
        walk.add_reached(step, owner, r)
    # Rows numbered past (total - count) were not shown yet; those read now are no longer left.
    left = min(reached[0].total, agg.count) - len(reached) if reached else 0
    walk.set_aggregate(step, owner, max(0, left))
    return walk.result(new_since=hood)


def merged(hood: Neighbourhood, new: Neighbourhood) -> Neighbourhood:
    """`hood` with `new` applied: new nodes and edges added, nodes with a known id replaced, and aggregate
    nodes whose count fell to 0 dropped with their edges."""
    nodes = {n.id: n for n in hood.nodes}
    nodes.update((n.id, n) for n in new.nodes)
    gone = {i for i, n in nodes.items() if n.aggregate and not n.count}
    edges = {edge_identity(e): e for e in (*hood.edges, *new.edges)}
    return Neighbourhood(
        tuple(n for i, n in nodes.items() if i not in gone),
        tuple(e for e in edges.values() if e.source not in gone and e.target not in gone),
    )


def _check(depth: int, cap: int) -> None:
    if not 1 <= depth <= MAX_DEPTH:
        raise WardenError(f"The depth must be 1 to {MAX_DEPTH} hops")
    if cap < 1:
        raise WardenError("The cap must be at least 1 neighbour per edge type")


def _follow(follow: Iterable[str] | None) -> frozenset[str] | None:
    return frozenset(follow) if follow is not None else None


class _Walk:
    """The graph being built: nodes and edges by identity, the raw key of every record node (as queries
    bind it), and what was there before (to return only what is new)."""

    def __init__(self, catalog: Catalog, follow: frozenset[str] | None, cap: int) -> None:
        self.catalog = catalog
        self.follow = follow
        self.cap = cap
        self.nodes: dict[str, GraphNode] = {}
        self.edges: dict[tuple[str, ...], GraphEdge] = {}
        self.raw: dict[str, Key] = {}
        self._steps: dict[str, list[Step]] = {}
        self._ends: dict[str, LinkEnds | None] = {}

    @classmethod
    def of(cls, catalog: Catalog, hood: Neighbourhood, follow: frozenset[str] | None, cap: int) -> _Walk:
        """A walk that starts from an existing neighbourhood; keys are read back as their columns bind."""
        walk = cls(catalog, follow, cap)
        for n in hood.nodes:
            walk.nodes[n.id] = n
            if not n.aggregate and n.key is not None and n.entity in catalog.entities:
                ent = catalog.entities[n.entity]
                walk.raw[n.id] = tuple(
                    coerce_for(ent, name, v) for name, v in zip(ent.primary_key, n.key, strict=True)
                )
        walk.edges = {edge_identity(e): e for e in hood.edges}
        return walk

    def steps(self, entity: str) -> list[Step]:
        """The ways out of a node of `entity` that the walk follows (both ends need a key)."""
        if entity not in self._steps:
            ent = self.catalog.entities[entity]
            self._steps[entity] = [
                s
                for s in steps_from(self.catalog, ent, self.follow)
                if s.owner.primary_key and s.neighbour.primary_key
            ]
        return self._steps[entity]

    def ends(self, link: Entity) -> LinkEnds | None:
        """A link table's ends, looked up once."""
        if link.name not in self._ends:
            self._ends[link.name] = link_ends(self.catalog, link)
        return self._ends[link.name]

    def attributes(self, step: Step) -> tuple[str, ...]:
        """The link columns a step's edges carry."""
        ends = self.ends(step.link) if step.link is not None else None
        return ends.attributes if ends is not None else ()

    def hops(self, conn: sa.Connection, frontier: list[str], depth: int) -> None:
        """Walk `depth` hops out from `frontier`: one statement (per chunk) per step and entity per hop."""
        for _ in range(depth):
            before = set(self.nodes)
            by_entity: dict[str, list[str]] = {}
            for ident in frontier:
                by_entity.setdefault(self.nodes[ident].entity, []).append(ident)
            for entity, idents in by_entity.items():
                ids = {self.raw[i]: i for i in idents}
                for step in self.steps(entity):
                    self._take(conn, step, ids)
            frontier = [i for i in self.nodes if i not in before and not self.nodes[i].aggregate]
            if not frontier:
                break

    def _take(self, conn: sa.Connection, step: Step, ids: dict[Key, str]) -> None:
        """Add what one step reaches from the owners `ids` (raw key → node id), and their aggregates."""
        cap = self.cap if step.capped else None
        totals: dict[str, int] = {}
        for r in reach(conn, step, list(ids), self.attributes(step), cap=cap):
            owner = ids.get(tuple(r.owner))
            if owner is None:  # the owner as the database returns its key: match it by its id
                owner = node_id(step.owner.name, r.owner)
            self.add_reached(step, owner, r)
            totals[owner] = r.total
        for owner, total in totals.items():
            # An aggregate the graph holds already may have paged some in (expand_aggregate): kept as it is.
            if cap is not None and total > cap and aggregate_id(owner, step.aggregate_via) not in self.nodes:
                self.set_aggregate(step, owner, total - cap)

    def add_node(self, ent: Entity, raw: Key, label: Any) -> str:
        """The node of a record, added when new; its id."""
        ident = node_id(ent.name, raw)
        if ident not in self.nodes:
            key = tuple(plain_value(v) for v in raw)
            self.nodes[ident] = GraphNode(ident, ent.name, key, _label_text(label, ent.primary_key, key))
            self.raw[ident] = raw
        return ident

    def add_reached(self, step: Step, owner: str, r: Reached) -> None:
        """The neighbour `r` of `owner`, and the edge between them."""
        near = self.add_node(step.neighbour, r.key, r.label)
        attrs = {name: plain_value(v) for name, v in r.attributes.items()}
        directed = True
        ends = self.ends(step.link) if step.link is not None else None
        if ends is not None and ends.bidirectional is not None and r.attributes.get(ends.bidirectional):
            directed = False
        self._add_edge(step, owner, near, attrs, directed)

    def set_aggregate(self, step: Step, owner: str, count: int) -> None:
        """The aggregate node of `owner`'s neighbours through `step` beyond those shown, with its edge."""
        ident = aggregate_id(owner, step.aggregate_via)
        entity = step.neighbour.name
        label = f"+{count:,} {entity}" + (f" via {step.link.name}" if step.link is not None else "")
        self.nodes[ident] = GraphNode(
            ident, entity, None, label, aggregate=True, count=count, via=step.aggregate_via
        )
        self._add_edge(step, owner, ident, {}, True)

    def _add_edge(self, step: Step, owner: str, other: str, attrs: dict[str, Any], directed: bool) -> None:
        # An edge runs as the data does: from the referencing row, or from a link's source end.
        outward = step.kind in ("outgoing", "link_source")
        source, target = (owner, other) if outward else (other, owner)
        kind: EdgeKind = "link" if step.link is not None else "fk"
        edge = GraphEdge(source, target, kind, step.name, attrs, directed)
        self.edges.setdefault(edge_identity(edge), edge)

    def result(self, new_since: Neighbourhood | None = None) -> Neighbourhood:
        """Every node and edge; or only those not in `new_since` (and aggregates whose count changed)."""
        if new_since is None:
            return Neighbourhood(tuple(self.nodes.values()), tuple(self.edges.values()))
        old_nodes = {n.id: n for n in new_since.nodes}
        old_edges = {edge_identity(e) for e in new_since.edges}
        return Neighbourhood(
            tuple(n for i, n in self.nodes.items() if old_nodes.get(i) != n),
            tuple(e for i, e in self.edges.items() if i not in old_edges),
        )


def _label_text(label: Any, columns: Sequence[str], key: Key) -> str:
    """A node's label: its label column's value, else its key as text."""
    if label is not None and str(label) != "":
        return str(plain_value(label))
    if len(key) == 1:
        return str(key[0])
    return ", ".join(f"{c}={v}" for c, v in zip(columns, key, strict=True))
