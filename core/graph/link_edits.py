"""Editing links in place: which ways two records can be linked, and the changes that link or unlink them.

Two records are linked by a new row of a link table whose ends point at them (`location_connections`
between two locations, `npc_relationships` between two NPCs), or by setting a foreign key of the one that
refers to the other (an NPC's `location_id`). Unlinking deletes the link row, or sets the foreign key to
NULL when it may be NULL. Nothing here writes: the changes are core/data's plain Insert, Update and Delete,
saved through its one save path (validation, conflict check, audit trail) like any table editor's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from core.data.changes import Change, Delete, Insert, Update
from core.errors import ReadOnlyError, WardenError
from core.graph.links import fk_name, link_ends
from core.graph.model import GraphEdge, GraphNode
from core.schema.catalog import Catalog, ColumnInfo, Entity, ForeignKeyInfo
from core.schema.kinds import ColumnKind

READ_ONLY_DATABASE = "the database is open read-only"


class LinkRefused(WardenError):
    """A link cannot be made or removed this way; the message says why and what works instead."""


@dataclass(frozen=True)
class LinkWay:
    """One way to link two records: a new row of link table `entity`, or setting the foreign key `fk`
    of `entity` (the referring record, `source`) to the referred one (`target`). `source` and `target` are
    node ids in the order the row or key holds them (a link table's source end first)."""

    kind: Literal["link", "fk"]
    entity: str
    fk: ForeignKeyInfo | None
    source: str
    target: str

    @property
    def via(self) -> str:
        """The edge type this way makes: the link table's name, or the FK's ("npcs.location_id")."""
        return self.entity if self.kind == "link" or self.fk is None else fk_name(self.fk)

    @property
    def title(self) -> str:
        """How a menu names it: "New location_connections row", "Set npcs.location_id"."""
        return f"New {self.entity} row" if self.kind == "link" else f"Set {self.via}"


@dataclass(frozen=True)
class LinkField:
    """A link row's column the user fills in: its default (None: left to the database) and whether it must
    be given (NOT NULL without a default)."""

    name: str
    kind: ColumnKind
    required: bool
    default: Any
    choices: tuple[str, ...] | None = None


def read_only_reason(catalog: Catalog, entity: str, *, database_read_only: bool) -> str | None:
    """Why links written to `entity` cannot be saved (a view, a keyless table, read-only), or None."""
    if database_read_only:
        return READ_ONLY_DATABASE
    ent = catalog.entities.get(entity)
    if ent is None:
        return f"{entity} is not in this database's catalog"
    return ent.read_only_reason


def ways_to_link(catalog: Catalog, source: GraphNode, target: GraphNode) -> list[LinkWay]:
    """Every way a drag from `source` to `target` can link them: link tables between their entities (either
    end first), then the source's foreign keys to the target's entity."""
    if (
        source.aggregate
        or target.aggregate
        or source.key is None
        or target.key is None
        or source.id == target.id
    ):
        return []
    ways: list[LinkWay] = []
    for ent in catalog.entities.values():
        ends = link_ends(catalog, ent)
        if ends is None:
            continue
        if (ends.source.target, ends.target.target) == (source.entity, target.entity):
            ways.append(LinkWay("link", ent.name, None, source.id, target.id))
        elif (ends.source.target, ends.target.target) == (target.entity, source.entity):
            ways.append(LinkWay("link", ent.name, None, target.id, source.id))
    referring = catalog.entities.get(source.entity)
    if referring is not None:
        for fk in referring.foreign_keys:
            if fk.target == target.entity and not _part_of_key(referring, fk):
                ways.append(LinkWay("fk", referring.name, fk, source.id, target.id))
    return ways


def why_no_way(catalog: Catalog, source: GraphNode, target: GraphNode) -> str:
    """What to tell the user when `ways_to_link` found nothing: why, and what would work instead."""
    if source.aggregate or target.aggregate:
        return "An aggregate node stands for many records: expand it and drag from one of them."
    if source.id == target.id:
        return "Drag to another node to link the two."
    referring = catalog.entities.get(target.entity)
    back = [fk for fk in referring.foreign_keys if fk.target == source.entity] if referring else []
    if back:
        return (
            f"A {target.entity} row refers to its {source.entity}: drag from the {target.entity} node "
            f"to the {source.entity} node to set {fk_name(back[0])}."
        )
    return f"Nothing links {source.entity} to {target.entity}: no link table or foreign key joins them."


def link_fields(catalog: Catalog, link: str) -> list[LinkField]:
    """The columns of a new `link` row the user may fill in, in table order, defaults filled."""
    ent = catalog.get(link)
    ends = link_ends(catalog, ent)
    taken = set(ends.source.columns) | set(ends.target.columns) if ends is not None else set()
    out = []
    for col in ent.columns:
        if col.name in taken or col.primary_key or col.is_version or col.row_id or col.never_written_reason:
            continue
        if col.kind in (ColumnKind.VECTOR, ColumnKind.BINARY, ColumnKind.JSON, ColumnKind.ARRAY):
            continue
        default = default_value(col)
        out.append(
            LinkField(col.name, col.kind, not col.nullable and not col.has_default, default, col.enum_values)
        )
    return out


def default_value(col: ColumnInfo) -> Any:
    """A column's default as a form shows it (True, 5, "path"), or None when the database works it out."""
    text = (col.default or "").strip()
    if not text:
        return None
    text = text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text
    try:
        if col.kind == ColumnKind.BOOLEAN:
            return {"true": True, "1": True, "false": False, "0": False}.get(text.casefold())
        if col.kind == ColumnKind.INTEGER:
            return int(text)
        if col.kind in (ColumnKind.FLOAT, ColumnKind.DECIMAL):
            return float(text)
    except ValueError:
        return None
    if col.kind in (ColumnKind.STRING, ColumnKind.TEXT, ColumnKind.ENUM) and "(" not in text:
        return text
    return None


def link_change(
    catalog: Catalog,
    way: LinkWay,
    nodes: Mapping[str, GraphNode],
    values: Mapping[str, Any] | None = None,
    loaded: Mapping[str, Any] | None = None,
) -> Change:
    """The change that makes `way`: an Insert of the link row (its ends and `values`), or an Update of the
    referring row's foreign key. `loaded` is that row as read when the link was staged: its FK values and
    version are the conflict check."""
    source, target = nodes[way.source], nodes[way.target]
    if way.kind == "link":
        ent = catalog.get(way.entity)
        ends = link_ends(catalog, ent)
        if ends is None:
            raise LinkRefused(f"{ent.name} is not a link table.")
        row = {k: v for k, v in (values or {}).items() if v is not None}
        row |= _fk_values(catalog, ends.source, source)
        row |= _fk_values(catalog, ends.target, target)
        return Insert(ent.name, row)
    assert way.fk is not None
    ent = catalog.get(way.entity)
    new = _fk_values(catalog, way.fk, target)
    return _fk_update(ent, _key_of(catalog, source), new, loaded)


def unlink_change(
    catalog: Catalog, edge: GraphEdge, nodes: Mapping[str, GraphNode], loaded: Mapping[str, Any] | None = None
) -> Change:
    """The change that removes `edge`: a Delete of its link row, or an Update setting its FK to NULL.

    LinkRefused (a message a person can act on) when the FK may not be NULL.
    """
    if edge.kind == "link":
        ent = catalog.get(edge.via)
        key = {name: edge.attributes[name] for name in ent.primary_key if name in edge.attributes}
        ends = link_ends(catalog, ent)
        if ends is not None and len(key) < len(ent.primary_key):  # a key made of the ends themselves
            key |= _fk_values(catalog, ends.source, nodes[edge.source])
            key |= _fk_values(catalog, ends.target, nodes[edge.target])
            key = {k: v for k, v in key.items() if k in ent.primary_key}
        version = edge.attributes.get(ent.version_column) if ent.version_column else None
        return Delete(ent.name, key, version=version if isinstance(version, int) else None)
    referring, column_text = edge.via.split(".", 1)
    ent = catalog.get(referring)
    columns = tuple(column_text.split(","))
    fk = next(f for f in ent.foreign_keys if f.columns == columns)
    stuck = [c for c in columns if not ent.column(c).nullable]
    if stuck:
        raise LinkRefused(
            f"{ent.name}.{stuck[0]} may not be empty: every {ent.name} row needs its {fk.target}. "
            f"Link the row to another {fk.target} instead (drag from it to that {fk.target}).",
        )
    target = _fk_values(catalog, fk, nodes[edge.target])
    return _fk_update(ent, _key_of(catalog, nodes[edge.source]), dict.fromkeys(columns), loaded or target)


def check_writable(catalog: Catalog, entity: str, *, database_read_only: bool) -> None:
    """ReadOnlyError saying why, when links written to `entity` cannot be saved."""
    reason = read_only_reason(catalog, entity, database_read_only=database_read_only)
    if reason is not None:
        raise ReadOnlyError(f"Links cannot be edited here: {reason}.")


def written_entity(change: Change) -> str:
    """The table a change writes."""
    return change.entity


def new_edge(
    catalog: Catalog, way: LinkWay, change: Change, key: Mapping[str, Any] | None = None
) -> GraphEdge:
    """The edge a saved (or staged) link draws; `key` is the saved link row's key, once it is known."""
    if way.kind == "fk" or not isinstance(change, Insert):
        return GraphEdge(way.source, way.target, "fk", way.via, {})
    ent = catalog.get(way.entity)
    ends = link_ends(catalog, ent)
    attrs = {
        k: _plain(v) for k, v in {**change.values, **(key or {})}.items() if ends and k in ends.attributes
    }
    directed = not (ends is not None and ends.bidirectional is not None and attrs.get(ends.bidirectional))
    return GraphEdge(way.source, way.target, "link", way.entity, attrs, directed)


def _fk_update(
    ent: Entity, key: dict[str, Any], values: dict[str, Any], loaded: Mapping[str, Any] | None
) -> Update:
    """An Update of one row's FK columns, checked against the loaded values (or version) of that row."""
    original = {c: loaded[c] for c in values if loaded is not None and c in loaded}
    version = loaded.get(ent.version_column) if loaded is not None and ent.version_column else None
    return Update(
        ent.name, key, values, original=original, version=version if isinstance(version, int) else None
    )


def _fk_values(catalog: Catalog, fk: ForeignKeyInfo, node: GraphNode) -> dict[str, Any]:
    """The FK's column values that point at `node` (its key, matched column by column)."""
    target = catalog.get(fk.target)
    key = dict(zip(target.primary_key, node.key or (), strict=False))
    missing = [t for t in fk.target_columns if t not in key]
    if missing:
        raise LinkRefused(
            f"{fk_name(fk)} refers to {fk.target} by other columns than its key: edit it in the table."
        )
    return {c: key[t] for c, t in zip(fk.columns, fk.target_columns, strict=True)}


def _key_of(catalog: Catalog, node: GraphNode) -> dict[str, Any]:
    ent = catalog.get(node.entity)
    return dict(zip(ent.primary_key, node.key or (), strict=True))


def _part_of_key(ent: Entity, fk: ForeignKeyInfo) -> bool:
    """Whether the FK's columns are part of the row's key (changing them would make another row)."""
    return any(c in ent.primary_key for c in fk.columns)


def _plain(value: Any) -> Any:
    """A value as the graph's edges carry attributes (as `warden export` writes them)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.loads(json.dumps(value, default=str))
