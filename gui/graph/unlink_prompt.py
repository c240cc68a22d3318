"""Before a link is deleted in the graph: "Delete the link Cliff Path → Lighthouse (location_connections)?".

The question names the link's two records by their labels, its table (or foreign key) and the link row's
own telling attributes (direction, type…), never values of other rows. Several selected links are one
question: their count and the first few. Window-modal and answered later (QMessageBox.open, never exec),
like the table editor's Revert question (gui/editor/dialogs/revert_prompt.py). Delete only stages the
deletion: Save writes it, and Ctrl+Z takes it back before then.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from core.graph.model import GraphEdge, GraphNode

#: How many of several links the question lists by name.
LISTED = 5
#: How many of a link row's attributes the question of one link shows.
ATTRIBUTES_SHOWN = 6


def link_title(edge: GraphEdge, nodes: Mapping[str, GraphNode]) -> str:
    """One link, named: "Cliff Path → Lighthouse (location_connections)"."""
    source, target = (nodes.get(n) for n in (edge.source, edge.target))
    ends = f"{_label(source)} → {_label(target)}"
    return f"{ends} ({edge.via})"


def question(edges: list[GraphEdge], nodes: Mapping[str, GraphNode]) -> tuple[str, str]:
    """The prompt's text and informative text for deleting `edges`."""
    after = "Save writes the deletion; until then Undo (Ctrl+Z) takes it back."
    if len(edges) == 1:
        edge = edges[0]
        if edge.kind == "link":
            text = f"Delete the link {link_title(edge, nodes)}?"
            detail = f"This deletes its {edge.via} row."
        else:
            referring = edge.via.split(".", 1)
            column = referring[1] if len(referring) == 2 else edge.via
            text = f"Clear the link {link_title(edge, nodes)}?"
            detail = f"This empties {column} of {_label(nodes.get(edge.source))}."
        shown = [f"{name}: {value}" for name, value in _telling(edge)[:ATTRIBUTES_SHOWN]]
        return text, "\n".join([*shown, "", detail, after] if shown else [detail, after])
    listed = [link_title(e, nodes) for e in edges[:LISTED]]
    if len(edges) > LISTED:
        listed.append(f"… and {len(edges) - LISTED:,} more")
    return f"Delete {len(edges):,} links?", "\n".join([*listed, "", after])


class UnlinkPrompt(QMessageBox):
    """Delete / Cancel for `edges`; `answered(True)` when Delete was chosen (Cancel changes nothing)."""

    answered = Signal(bool)

    def __init__(self, edges: list[GraphEdge], nodes: Mapping[str, GraphNode], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("graphUnlinkPrompt")
        self.edges = list(edges)
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle("Delete Link" if len(edges) == 1 else "Delete Links")
        text, detail = question(self.edges, nodes)
        self.setText(text)
        self.setInformativeText(detail)
        self.delete_button = self.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        self.cancel_button = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.cancel_button)  # Enter on a stray Del must not delete
        self.setEscapeButton(self.cancel_button)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.finished.connect(self._on_finished)

    def choose(self, delete: bool) -> None:
        """Click Delete or Cancel (what a person does; tests use it too)."""
        (self.delete_button if delete else self.cancel_button).click()

    def _on_finished(self, _result: int) -> None:
        self.answered.emit(self.clickedButton() is self.delete_button)
        self.deleteLater()


def _label(node: GraphNode | None) -> str:
    if node is None:
        return "?"
    return node.label or f"{node.entity} record"


_BOOKKEEPING = {"id", "version", "created_at", "updated_at", "deleted_at"}


def _telling(edge: GraphEdge) -> list[tuple[str, str]]:
    """The link row's own attributes worth reading (not keys, ids or bookkeeping)."""
    out = []
    for name, value in edge.attributes.items():
        if value in (None, "") or name in _BOOKKEEPING or name.endswith("_id"):
            continue
        if isinstance(value, dict | list):
            continue
        text = str(value)
        out.append((name, text if len(text) <= 60 else text[:59] + "…"))
    return out
