"""The graph on screen as plain data: its neighbourhood, where each node is, and which ones the user pinned.

The panel keeps one GraphDocument; workers get copies of its parts and send back new ones (never Qt objects).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from core.graph.layout import Point
from core.graph.model import GraphEdge, GraphNode, Neighbourhood

EMPTY = Neighbourhood((), ())


@dataclass
class GraphDocument:
    """A record's graph: the start node, the neighbourhood shown, positions and pins."""

    start: str | None = None
    hood: Neighbourhood = EMPTY
    positions: dict[str, Point] = field(default_factory=dict)
    pinned: set[str] = field(default_factory=set)

    @property
    def nodes(self) -> dict[str, GraphNode]:
        """The nodes by id."""
        return {n.id: n for n in self.hood.nodes}

    def node(self, node_id: str) -> GraphNode | None:
        """The node with this id, if shown."""
        return next((n for n in self.hood.nodes if n.id == node_id), None)

    def edges_of(self, node_id: str) -> list[GraphEdge]:
        """The edges that touch `node_id`."""
        return [e for e in self.hood.edges if node_id in (e.source, e.target)]

    def set_hood(self, hood: Neighbourhood, positions: dict[str, Point]) -> None:
        """Show `hood` with these positions (a pin of a node no longer shown is forgotten)."""
        self.hood = hood
        ids = {n.id for n in hood.nodes}
        self.positions = {n: p for n, p in positions.items() if n in ids}
        self.pinned &= ids

    def move(self, node_id: str, point: Point) -> None:
        """The user dragged `node_id` to `point`: it stays there from now on."""
        self.positions[node_id] = point
        self.pinned.add(node_id)

    def collapsible(self, node_id: str) -> set[str]:
        """The nodes hanging off `node_id` only (no other neighbour shown), which collapsing it hides."""
        around: dict[str, set[str]] = defaultdict(set)
        for e in self.hood.edges:
            around[e.source].add(e.target)
            around[e.target].add(e.source)
        return {m for m in around[node_id] if m != self.start and around[m] <= {node_id}}

    def collapse(self, node_id: str) -> set[str]:
        """Hide the nodes hanging off `node_id` only; returns their ids (expanding brings them back)."""
        gone = self.collapsible(node_id)
        if gone:
            hood = Neighbourhood(
                tuple(n for n in self.hood.nodes if n.id not in gone),
                tuple(e for e in self.hood.edges if e.source not in gone and e.target not in gone),
            )
            self.set_hood(hood, self.positions)
        return gone
