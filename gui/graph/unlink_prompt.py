"""Before a link is deleted in the graph: "Delete the link Cliff Path → Lighthouse (location_connections)?".

The question names the link's two records by their labels, its table (or foreign key) and the link row's
own telling attributes (direction, type…), never values of other rows. Several selected links are one
question: their count and the first few. Window-modal and answered later (QMessageBox.open, never exec),
like the table editor's Revert question (gui/editor/dialogs/revert_prompt.py). Delete only stages the
deletion: Save writes it, and Ctrl+Z takes it back before then.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QWidget

from core.graph.model import GraphEdge, GraphNode
from gui.confirm_prompt import ConfirmPrompt

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


class UnlinkPrompt(ConfirmPrompt):
    """Delete / Cancel for `edges`; `answered(True)` when Delete was chosen (Cancel changes nothing)."""

    def __init__(self, edges: list[GraphEdge], nodes: Mapping[str, GraphNode], parent: QWidget) -> None:
        text, detail = question(list(edges), nodes)
        super().__init__(
            parent,
            name="graphUnlinkPrompt",
            title="Delete Link" if len(edges) == 1 else "Delete Links",
            text=text,
            detail=detail,
            action="Delete",
            action_default=False,  # Enter on a stray Del must not delete
        )
        self.edges = list(edges)


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
