"""Which ways lead out of a record: its foreign keys in both directions, and the link tables it joins.

A link table (catalog `Entity.is_link`) is not a node of the graph but an edge between its two ends: its
first two foreign keys in column order (source, then target) whose targets are in the catalog. Its other
columns are the edge's attributes; a boolean column named like "bidirectional" marks an undirected edge.

Edge types ("expand by") are named as the edges' `via`: a foreign key as "entity.column" (composite:
"entity.a,b"), a link table by its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.schema.catalog import Catalog, Entity, ForeignKeyInfo
from core.schema.kinds import ColumnKind

#: How a step reaches its neighbours: the row's own FK ("outgoing"), rows whose FK points at it
#: ("incoming"), or a link table's rows in which the record is the source or the target end.
StepKind = Literal["outgoing", "incoming", "link_source", "link_target"]


@dataclass(frozen=True)
class LinkEnds:
    """A link table's two ends, the columns its edges carry as attributes, and its two-way flag column."""

    source: ForeignKeyInfo
    target: ForeignKeyInfo
    attributes: tuple[str, ...]
    bidirectional: str | None


@dataclass(frozen=True)
class Step:
    """One way out of a node of `owner`: an FK in one direction, or a link table from one of its ends.

    `mine` is the FK that matches the owner's rows (its columns or target columns are the owner's side);
    `far` is the link's other end. `name` is the edge type (the edges' `via`); `aggregate_via` names the
    aggregate node of this step's surplus (the link's FK on the owner's side, for links).
    """

    kind: StepKind
    owner: Entity
    neighbour: Entity
    mine: ForeignKeyInfo
    link: Entity | None = None
    far: ForeignKeyInfo | None = None

    @property
    def name(self) -> str:
        """The edge type: the FK's name, or the link table's."""
        return self.link.name if self.link is not None else fk_name(self.mine)

    @property
    def aggregate_via(self) -> str:
        """What an aggregate of this step stands for: the FK that matches the owner's rows."""
        return fk_name(self.mine)

    @property
    def capped(self) -> bool:
        """Whether a node may have many neighbours this way (a row references at most one row)."""
        return self.kind != "outgoing"


@dataclass(frozen=True)
class EdgeType:
    """An edge type a node of some entity can be expanded by, for an "expand by" menu."""

    name: str
    kind: Literal["fk", "link"]
    neighbour: str  # the entity at the other end
    direction: Literal["outgoing", "incoming", "both"]


def fk_name(fk: ForeignKeyInfo) -> str:
    """A foreign key's name as edges carry it in `via`: "npcs.location_id"."""
    return f"{fk.entity}.{','.join(fk.columns)}"


def link_ends(catalog: Catalog, entity: Entity) -> LinkEnds | None:
    """The ends of a link table, or None when `entity` is no link (or its ends are not in the catalog)."""
    if not entity.is_link:
        return None
    order = {name: i for i, name in enumerate(entity.column_names)}
    fks = [fk for fk in entity.foreign_keys if fk.target in catalog.entities and fk.columns[0] in order]
    if len(fks) < 2:
        return None
    source, target = sorted(fks, key=lambda fk: order[fk.columns[0]])[:2]
    ends = set(source.columns) | set(target.columns)
    shown = [c for c in entity.columns if c.name not in ends and not c.row_id and c.kind != ColumnKind.VECTOR]
    flag = next((c.name for c in shown if c.kind == ColumnKind.BOOLEAN and "bidirectional" in c.name), None)
    return LinkEnds(source, target, tuple(c.name for c in shown), flag)


def steps_from(catalog: Catalog, entity: Entity, follow: frozenset[str] | None = None) -> list[Step]:
    """Every way out of a node of `entity`, only the edge types in `follow` when given."""
    steps: list[Step] = []
    for fk in entity.foreign_keys:
        target = catalog.entities.get(fk.target)
        if target is not None:
            steps.append(Step("outgoing", entity, target, fk))
    for fk in entity.referenced_by:
        source = catalog.entities.get(fk.entity)
        if source is None:
            continue
        ends = link_ends(catalog, source)
        if ends is None or fk not in (ends.source, ends.target):
            steps.append(Step("incoming", entity, source, fk))
            continue
        far = ends.target if fk == ends.source else ends.source
        neighbour = catalog.entities[far.target]
        kind: StepKind = "link_source" if fk == ends.source else "link_target"
        steps.append(Step(kind, entity, neighbour, fk, source, far))
    return [s for s in steps if follow is None or s.name in follow]


def edge_types(catalog: Catalog, entity: Entity | str) -> list[EdgeType]:
    """The edge types a node of `entity` can be expanded by, each once, in the order they are followed."""
    ent = catalog.get(entity) if isinstance(entity, str) else entity
    found: dict[str, EdgeType] = {}
    for step in steps_from(catalog, ent):
        way: Literal["outgoing", "incoming", "both"]
        way = "outgoing" if step.kind in ("outgoing", "link_source") else "incoming"
        seen = found.get(step.name)
        if seen is not None and seen.direction != way:
            way = "both"  # a link between two rows of one entity, or an FK to its own table
        kind: Literal["fk", "link"] = "link" if step.link is not None else "fk"
        found[step.name] = EdgeType(step.name, kind, step.neighbour.name, way)
    return list(found.values())
