"""What the graph panel says after a migration: what it took from the graph, or why the graph was not read
again (the catalog could not be reloaded, or the record the graph started from went)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.graph.model import GraphNode
    from core.schema.catalog import Catalog

#: The catalog could not be reloaded after the migration: the graph drawn stays, and is read again with the
#: catalog once it comes (open_db reloads it when a lost server answers again).
NOT_READ_AGAIN = (
    "The migration ended, but the tables could not be read again: the graph shown is from before it. "
    "It is read again when they are; open the database again if that does not happen."
)

#: The migration deleted the graph's start record (or its table lost its key): nothing to read again from.
START_GONE = (
    "The record this graph started from is no longer there after the migration, so the graph was cleared. "
    "Right-click a row in a table and choose Show in Graph to start again."
)


def gone_text(gone: tuple[GraphNode, ...], catalog: Catalog | None) -> str:
    """What a migration took from the graph: the tables it dropped, and the records no longer there."""
    by_entity: dict[str, int] = {}
    for node in gone:
        by_entity[node.entity] = by_entity.get(node.entity, 0) + 1
    dropped = [e for e in by_entity if catalog is None or e not in catalog.entities]
    rows = sum(n for e, n in by_entity.items() if e not in dropped)
    parts = []
    if dropped:
        nodes = sum(by_entity[e] for e in dropped)
        went = f"{nodes:,} node{'s' if nodes != 1 else ''} went from the graph"
        parts.append(f"The migration dropped {', '.join(dropped)}: {went}.")
    if rows:
        parts.append(f"{rows:,} record{'s are' if rows != 1 else ' is'} no longer there after the migration.")
    return " ".join(parts)
