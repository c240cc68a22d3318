"""The graph panel's context menu: a node's (expand, expand by, collapse, open in table, the link hint,
unpin) or the background's (fit, lay out again). It calls the panel's public methods only."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from gui.graph import jobs
from gui.graph.link_editor import HELD_LABEL, why

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMenu

    from gui.graph.panel import GraphPanel


def fill_node_menu(menu: QMenu, panel: GraphPanel, node_id: str) -> None:
    """Fill `menu` for the node `node_id` of `panel`'s graph (the background's menu for "")."""
    node = panel.document.node(node_id) if node_id else None
    if node is None:
        menu.addAction("Fit", panel.view.fit)
        menu.addAction("Lay Out Again", panel.relayout).setEnabled(bool(panel.document.hood.nodes))
        return
    menu.addAction("Show Next Records" if node.aggregate else "Expand", lambda: panel.expand(node.id))
    if not node.aggregate:
        by = menu.addMenu("Expand By")
        for edge_type in jobs.edge_types(panel.open_db.catalog, node.entity) if panel.open_db.catalog else []:
            by.addAction(
                f"{edge_type.name} → {edge_type.neighbour}",
                functools.partial(panel.expand_by, node.id, {edge_type.name}),
            )
        by.setEnabled(not by.isEmpty())
        collapse = menu.addAction("Collapse", lambda: panel.collapse(node.id))
        collapse.setEnabled(bool(panel.document.collapsible(node.id)))
        menu.addSeparator()
        menu.addAction("Open in Table", lambda: panel.open_in_table(node.id))
        reason = panel.links.link_reason()
        held = reason is not None and reason == panel.links.hold_reason  # a whole sentence: in the tooltip
        short = HELD_LABEL if held else reason
        link = menu.addAction(
            "Link to… (Shift-drag to another node)" if short is None else f"Link to… ({short})"
        )
        link.setObjectName("graphLinkHint")
        link.setEnabled(False)  # a hint: the drag does it
        menu.setToolTipsVisible(True)
        link.setToolTip(
            "Shift-drag from this node to another to link them"
            if reason is None
            else why("No link can be added", reason)
        )
    if node.id in panel.document.pinned:
        menu.addAction("Unpin", lambda: panel.unpin(node.id))
