"""The schema view's scene: the record graph's scene (edge layer, dots far out, dragging, find) showing an
ER diagram's boxes instead of record circles, its FK lines routed at right angles (core/graph/er_routes.py)
or, when the user picks them (and in the cluster overview), straight."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneMouseEvent

from core.graph.er_layout import ErDiagram
from core.graph.er_routes import Box, orthogonal_routes
from core.graph.model import GraphEdge
from gui.graph.er_edges import RouteLayer
from gui.graph.er_items import ErBoxItem
from gui.graph.scene import GraphScene

#: Boxes are big: they turn into dots only when zoomed further out than record circles do.
DOTS_BELOW = 0.1
#: Up to this many lines are routed again while a box is dragged; more wait until it is dropped.
LIVE_ROUTES_UP_TO = 400


class ErScene(GraphScene):
    """Table and cluster boxes; FK lines (arrow towards the referred table), cluster lines with counts."""

    def __init__(self, parent: object | None = None) -> None:
        super().__init__(parent)
        self.diagram: ErDiagram | None = None
        self.linking = False  # a schema has no records to link
        self.orthogonal = True  # right-angle routes; False: straight lines
        self.routes = RouteLayer()
        self.routes.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # as the edge layer
        self.addItem(self.routes)

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
        # The record graph's scene draws them: its edge layer (or the routes), its dots, its filters.
        self.set_edges(edges)
        self.refresh_dots()
        self.apply_visibility()
        bounds = self.nodes_rect()
        margin = max(3000.0, bounds.width(), bounds.height())
        self.setSceneRect(bounds.adjusted(-margin, -margin, margin, margin))

    def set_edges(self, edges: list[GraphEdge]) -> None:
        """Draw `edges` (routed at right angles, unless straight lines were chosen)."""
        super().set_edges(edges)
        self.reroute()

    def set_orthogonal(self, orthogonal: bool) -> None:
        """Route lines at right angles (True) or draw them straight."""
        self.orthogonal = orthogonal
        self.reroute()

    @property
    def routed(self) -> bool:
        """Whether lines are drawn as right-angle routes now: chosen, and a diagram of tables (layered). The
        cluster overview is a force-directed picture, where straight lines read better."""
        clusters = self.diagram is not None and any(n.kind == "cluster" for n in self.diagram.nodes)
        return self.orthogonal and not clusters

    def reroute(self) -> None:
        """Route every shown line again from where the boxes are now."""
        routed = self.routed
        self.edges.setVisible(not routed)
        self.routes.setVisible(routed)
        if not routed:
            return
        boxes = {}
        for node_id, item in self.items_by_id.items():
            if isinstance(item, ErBoxItem):
                w, h = item.box.size
                boxes[node_id] = Box(item.pos().x(), item.pos().y(), w, h)
        links = [(e.source, e.target) for e in self.edge_list]
        self.routes.set_routes(orthogonal_routes(boxes, links), self.edge_looks, self.edge_shown())

    def apply_visibility(self) -> None:
        """Show and hide boxes, lines and dots as the filters say."""
        super().apply_visibility()
        if self.routed and len(self.routes.routes) == len(self.edge_list):
            self.routes.set_shown(self.edge_shown())

    def edge_at(self, point: QPointF, tolerance: float) -> GraphEdge | None:
        """The shown line within `tolerance` of `point`: its route when routed."""
        if not self.routed:
            return super().edge_at(point, tolerance)
        i = self.routes.route_at(point, tolerance)
        return self.edge_list[i] if i is not None and i < len(self.edge_list) else None

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseMoveEvent(event)
        grabbed = self.mouseGrabberItem()
        if self.routed and isinstance(grabbed, ErBoxItem) and len(self.edge_list) <= LIVE_ROUTES_UP_TO:
            self.reroute()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        moved = isinstance(self.mouseGrabberItem(), ErBoxItem)
        super().mouseReleaseEvent(event)
        if moved and self.routed:
            self.reroute()

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
