"""The schema view's scene: the record graph's scene (edge layer, dots far out, dragging, find) showing an
ER diagram's boxes instead of record circles."""

from __future__ import annotations

from PySide6.QtCore import QRectF

from core.graph.er_layout import ErDiagram
from core.graph.model import GraphEdge
from gui.graph.er_items import ErBoxItem
from gui.graph.scene import GraphScene

#: Boxes are big: they turn into dots only when zoomed further out than record circles do.
DOTS_BELOW = 0.1


class ErScene(GraphScene):
    """Table and cluster boxes; FK lines (arrow towards the referred table), cluster lines with counts."""

    def __init__(self, parent: object | None = None) -> None:
        super().__init__(parent)
        self.diagram: ErDiagram | None = None
        self.linking = False  # a schema has no records to link

    def show_diagram(self, diagram: ErDiagram) -> None:
        """Replace what is shown with `diagram`."""
        self.diagram = diagram
        for item in self.items_by_id.values():
            self.removeItem(item)
        self.items_by_id = {}
        for box in diagram.nodes:
            item = ErBoxItem(box, diagram.mode)
            item.setParentItem(self.group)
            x, y = diagram.positions.get(box.id, (0.0, 0.0))
            item.setPos(x, y)
            item.focused = box.id in diagram.focus
            self.items_by_id[box.id] = item
        edges = [
            GraphEdge(link.source, link.target, "fk", link.via, {})
            if link.count == 1 and not link.source.startswith("cluster:")
            else GraphEdge(link.source, link.target, "link", link.via, {"foreign keys": link.count}, False)
            for link in diagram.links
        ]
        # The record graph's scene draws them: its edge layer, its dots, its filters.
        self.set_edges(edges)
        self.refresh_dots()
        self.apply_visibility()
        bounds = self.nodes_rect()
        margin = max(3000.0, bounds.width(), bounds.height())
        self.setSceneRect(bounds.adjusted(-margin, -margin, margin, margin))

    def set_zoom(self, zoom: float) -> None:
        """Boxes down to DOTS_BELOW, dots further out."""
        dots = zoom < DOTS_BELOW
        self.labels_shown = True
        if dots != self.dots_mode:
            self.dots_mode = dots
            self.group.setVisible(not dots)
            self.dots.setVisible(dots)

    def nodes_rect(self) -> QRectF:
        """Every box, whole."""
        rect = QRectF()
        for item in self.items_by_id.values():
            rect = rect.united(item.sceneBoundingRect())
        # Zoomed out, a name may spill past its box: room for it at the edges.
        return rect.adjusted(-40, -10, 40, 10) if not rect.isEmpty() else rect

    def box(self, node_id: str) -> ErBoxItem | None:
        """The box shown for `node_id`."""
        item = self.items_by_id.get(node_id)
        return item if isinstance(item, ErBoxItem) else None
