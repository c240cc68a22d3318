"""The graph's staged link edits: new links and removed edges waiting for Save, with undo and redo.

Each edit is a StagedLink: the core change that saves it (core/graph/link_edits.py) and how the graph shows
it meanwhile: the edge it adds, and the edges it takes away (the deleted edge; for a foreign key set to
another record, the edge to the record it referred to before). Undo and redo are QUndoCommands on one
QUndoStack, as the table editor's staging does; the staging itself is plain data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtGui import QUndoCommand, QUndoStack

from core.data.changes import Change
from core.graph.link_edits import LinkWay
from core.graph.model import GraphEdge
from core.graph.neighbourhood import edge_identity


@dataclass(frozen=True)
class StagedLink:
    """One staged edit: `change` saves it; the graph shows `added` and hides `removed` until then."""

    change: Change
    text: str  # what the undo history calls it: "Link Cliff Path → Lighthouse"
    added: GraphEdge | None = None
    removed: tuple[GraphEdge, ...] = ()
    way: LinkWay | None = None  # how a new link is made (its edge is drawn again with the saved key)


@dataclass
class LinkStaging:
    """The staged edits in the order they were made."""

    edits: list[StagedLink] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many edits wait for Save."""
        return len(self.edits)

    def changes(self) -> list[Change]:
        """The core changes, in staging order (one save, one transaction)."""
        return [e.change for e in self.edits]

    def added(self) -> list[GraphEdge]:
        """The edges staged edits add."""
        return [e.added for e in self.edits if e.added is not None]

    def removed_edges(self) -> list[GraphEdge]:
        """The edges staged edits take away."""
        return [r for e in self.edits for r in e.removed]

    def removed(self) -> set[tuple[str, ...]]:
        """The identities (core.graph.neighbourhood.edge_identity) of the edges staged edits take away."""
        return {edge_identity(r) for r in self.removed_edges()}

    def writes(self, edge: GraphEdge) -> StagedLink | None:
        """The staged edit that adds `edge`, if it is a staged one."""
        return next((e for e in self.edits if e.added == edge), None)


class StageCommand(QUndoCommand):
    """Staging one edit, undoably (undo takes it out of the staging again)."""

    def __init__(self, staging: LinkStaging, edit: StagedLink, changed: Callable[[], None]) -> None:
        super().__init__(edit.text)
        self.staging, self.edit, self.changed = staging, edit, changed

    def redo(self) -> None:
        self.staging.edits.append(self.edit)
        self.changed()

    def undo(self) -> None:
        if self.edit in self.staging.edits:
            self.staging.edits.remove(self.edit)
        self.changed()


class UnstageCommand(QUndoCommand):
    """Taking back one staged edit (deleting a staged new link), undoably."""

    def __init__(self, staging: LinkStaging, edit: StagedLink, changed: Callable[[], None]) -> None:
        super().__init__(f"Drop {edit.text}")
        self.staging, self.edit, self.changed = staging, edit, changed
        self.at = staging.edits.index(edit)

    def redo(self) -> None:
        if self.edit in self.staging.edits:
            self.staging.edits.remove(self.edit)
        self.changed()

    def undo(self) -> None:
        self.staging.edits.insert(min(self.at, len(self.staging.edits)), self.edit)
        self.changed()


def new_stack(parent: object) -> QUndoStack:
    """The undo history of one graph's link edits."""
    stack = QUndoStack(parent)  # type: ignore[arg-type]
    stack.setObjectName("graphLinkHistory")
    return stack
