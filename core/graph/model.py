"""The record graph as plain data: nodes, edges and a neighbourhood, shared by the core, the CLI and the view.

A node id is ``f"{entity}:{json.dumps(list(key))}"`` with keys as `warden export` writes them (UUIDs as
strings, datetimes in ISO form), e.g. ``locations:["6f1c…"]`` or ``player_skills:["3b…", "archery"]``. An
aggregate node's id is ``f"+{owner id}|{via}"``: the rest of one node's neighbours through one foreign key
or link table. Ids are stable: the same record always gets the same id.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Literal

EdgeKind = Literal["fk", "link"]

_identity_json = json.JSONEncoder(sort_keys=True, default=str).encode  # one encoder, not one per edge


@dataclass(frozen=True)
class GraphNode:
    """A record (entity and key), or an aggregate standing for `count` more records reached through `via`."""

    id: str
    entity: str
    key: tuple[Any, ...] | None
    label: str
    aggregate: bool = False
    count: int | None = None  # an aggregate's number of records not shown: "+1,234 tool_executions"
    via: str | None = None  # for an aggregate: the FK / link it stands for


@dataclass(frozen=True)
class GraphEdge:
    """A foreign key between two records ("fk", `via` its column(s)), or a link-table row ("link", `via` the
    table's name, `attributes` its other columns); `directed` is False for a link flagged as two-way."""

    source: str
    target: str
    kind: EdgeKind
    via: str
    attributes: dict[str, Any]
    directed: bool = True

    @functools.cached_property
    def identity(self) -> tuple[str, ...]:
        """What tells edges apart (core.graph.neighbourhood.edge_identity): two FK edges with the same ends
        and FK are one; link edges differ by row. Made once per edge: a scene redraw asks for every edge's."""
        attrs = _identity_json(self.attributes) if self.attributes else ""
        return (self.kind, self.via, self.source, self.target, attrs)


@dataclass(frozen=True)
class Neighbourhood:
    """Nodes and the edges between them."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
