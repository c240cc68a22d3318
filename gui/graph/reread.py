"""The graph panel after a migration: when its graph is read again (MigrationPause), the graph read again
(reread_document), and what the panel says: what the migration took from the graph, or why the graph was
not read again (the catalog could not be reloaded, or the record the graph started from went: what the
staged link edits touch stays drawn, staged_part)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.graph.model import Neighbourhood
from gui.graph.document import GraphDocument
from gui.migrate.pausable import Pause

if TYPE_CHECKING:
    from core.graph.model import GraphNode
    from core.schema.catalog import Catalog
    from gui.graph.jobs import Reread
    from gui.graph.link_staging import LinkStaging

#: The catalog could not be reloaded after the migration: the graph drawn stays, and is read again with the
#: catalog once it comes (open_db reloads it when a lost server answers again).
NOT_READ_AGAIN = (
    "The migration ended, but the tables could not be read again: the graph shown is from before it. "
    "It is read again when they are; open the database again if that does not happen."
)

#: The migration deleted the graph's start record, or dropped its table: nothing to read again from.
START_GONE = (
    "The record this graph started from is no longer there after the migration, so the graph was cleared. "
    "Right-click a row in a table and choose Show in Graph to start again."
)

#: The graph's start record was deleted (by another program) before Lay Out Again or a depth change read it.
START_DELETED = (
    "The record this graph started from is no longer there, so the graph was cleared. "
    "Right-click a row in a table and choose Show in Graph to start again."
)

#: Said after START_GONE or START_DELETED when link edits stay staged: their records stay drawn.
STAGED_KEPT = "The unsaved link changes stay drawn, between their records."


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


@dataclass
class MigrationPause(Pause):
    """The graph panel's `Pause`: `asked` is whether the graph is read again once the migration has ended, in
    the catalog reloaded after it (at once when it came during the pause, as the watch resumes; else when it
    comes)."""

    reloaded: bool = False  # the catalog was reloaded during the pause (read with it on resume)

    def started(self, *, shown: bool) -> None:
        """The pause has begun (after `turn`): a graph `shown` (or asked for) is read again after it."""
        self.asked, self.reloaded = shown, False

    def catalog_changed(self) -> bool:
        """A catalog came: whether to read the graph again now (not while paused: when the pause ends)."""
        if self.reason is not None:
            self.reloaded = True
            return False
        return True

    def done(self) -> None:
        """The graph is read again: a later catalog reads nothing again (the panel follows no pause)."""
        self.asked = self.reloaded = False


def reread_document(previous: GraphDocument, reread: Reread) -> GraphDocument:
    """The graph read again after a migration, its nodes where they were and still pinned if they were."""
    placed = reread.placed
    pinned = previous.pinned & set(placed.positions)
    return GraphDocument(placed.start, placed.hood, dict(placed.positions), pinned)


def staged_part(shown: GraphDocument, staging: LinkStaging) -> GraphDocument:
    """What of the graph `shown` the staged link edits touch: their nodes, where they were, and the edges
    they take away (the new links are drawn from the staging). Kept on screen when the graph is cleared."""
    ends = {n for e in (*staging.added(), *staging.removed_edges()) for n in (e.source, e.target)}
    nodes = tuple(n for n in shown.hood.nodes if n.id in ends)
    ids = {n.id for n in nodes}
    removed = tuple(e for e in staging.removed_edges() if e.source in ids and e.target in ids)
    positions = {n: p for n, p in shown.positions.items() if n in ids}
    return GraphDocument(None, Neighbourhood(nodes, removed), positions, shown.pinned & ids)
