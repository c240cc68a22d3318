"""The record graph's view: pan by dragging the background, zoom to the cursor with the wheel, fit."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QHelpEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QGraphicsView, QToolTip, QWidget

from core.graph.model import GraphEdge
from gui.graph.items import NodeItem
from gui.graph.scene import GraphScene

MIN_ZOOM = 0.02
MAX_ZOOM = 4.0
#: A fitted graph is never magnified past this: three nodes should not fill the screen.
MAX_FIT_ZOOM = 1.2
WHEEL_STEP = 1.15  # zoom factor per wheel notch
EDGE_REACH = 6  # how near (screen pixels) a click must be to an edge to pick it


class GraphView(QGraphicsView):
    """Shows a GraphScene; tells the scene its zoom, and reports clicks, double-clicks and menus on nodes."""

    node_clicked = Signal(str)  # node id (a click on the background: "")
    node_activated = Signal(str)  # node id, double-clicked: expand it
    menu_requested = Signal(str, QPoint)  # node id ("" on the background), global position
    zoom_changed = Signal(float)
    node_hovered = Signal(str)  # the node now under the idle mouse ("" when it left every node)
    edge_clicked = Signal(object)  # the GraphEdge clicked (a click on the background away from edges: None)
    edge_menu_requested = Signal(object, QPoint)  # the GraphEdge right-clicked, global position
    edge_toggled = Signal(object)  # the GraphEdge Ctrl+clicked: added to the selected edges, or taken out

    def __init__(self, scene: GraphScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.graph = scene
        self.setObjectName("graphView")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)  # the background pans; a node drags itself
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)  # set_zoom keeps its own anchor
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing)
        # Items set their own pens and hints each time: no save and restore around each one
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setBackgroundBrush(Qt.GlobalColor.white)
        # A canvas: dragging the background pans it, so scroll bars would only take room
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._press: QPoint | None = None
        self._hovered = ""
        self.viewport().setMouseTracking(True)  # moves without a button: which node is under the mouse

    @property
    def zoom(self) -> float:
        """Device pixels per scene unit."""
        return self.transform().m11()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to `zoom` (clamped) keeping the scene point `anchor` (default: the centre) where it is."""
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        factor = zoom / self.zoom
        if anchor is None:
            spot = self.viewport().rect().center()
            anchor = self.mapToScene(spot)
        else:
            spot = self.mapFromScene(anchor)
        self.scale(factor, factor)
        delta = self.mapFromScene(anchor) - spot  # scroll the anchor back under its spot
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + delta.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + delta.y())
        self._zoomed()

    def fit(self) -> None:
        """Show the whole graph (no more magnified than MAX_FIT_ZOOM)."""
        rect = self.graph.nodes_rect()
        if rect.isEmpty():
            return
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > MAX_FIT_ZOOM:
            self.set_zoom(MAX_FIT_ZOOM)
            self.centerOn(rect.center())
        self._zoomed()

    def centre_on_node(self, node_id: str) -> None:
        """Scroll so that `node_id` is in the middle, zooming in to read it if needed."""
        item = self.graph.items_by_id.get(node_id)
        if item is None:
            return
        if self.zoom < 0.8:
            self.set_zoom(1.0)
        self.centerOn(item)

    def visible_scene_rect(self) -> QRectF:
        """The part of the scene the viewport shows."""
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def _zoomed(self) -> None:
        self.graph.set_zoom(self.zoom)
        self.zoom_changed.emit(self.zoom)

    # --- input -------------------------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if not steps:
            return
        self.set_zoom(self.zoom * WHEEL_STEP**steps, self.mapToScene(event.position().toPoint()))
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if event.buttons() != Qt.MouseButton.NoButton:
            return
        item = self._node_at(event.position().toPoint())
        hovered = item.node_id if item is not None else ""
        if hovered != self._hovered:
            self._hovered = hovered
            # The nodes' pointing hand is the viewport's (a cursor per item costs each item's making)
            over = Qt.CursorShape.PointingHandCursor if hovered else Qt.CursorShape.OpenHandCursor
            self.viewport().setCursor(over)
            self.node_hovered.emit(hovered)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        press, self._press = self._press, None
        if event.button() != Qt.MouseButton.LeftButton or press is None:
            return
        if (event.position().toPoint() - press).manhattanLength() > 4:
            return  # a drag (pan or move), not a click
        item = self._node_at(event.position().toPoint())
        edge = self._edge_at(event.position().toPoint()) if item is None else None
        if edge is not None and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.edge_toggled.emit(edge)  # Ctrl+click: one more selected edge (or one less)
            return
        self.node_clicked.emit(item.node_id if item is not None else "")
        if item is None:
            self.edge_clicked.emit(edge)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        item = self._node_at(event.position().toPoint())
        if item is not None and event.button() == Qt.MouseButton.LeftButton:
            self.node_activated.emit(item.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        item = self._node_at(event.pos())
        edge = self._edge_at(event.pos()) if item is None else None
        if edge is not None:
            self.edge_menu_requested.emit(edge, event.globalPos())
        else:
            self.menu_requested.emit(item.node_id if item is not None else "", event.globalPos())
        event.accept()

    def viewportEvent(self, event: QEvent) -> bool:
        if not isinstance(event, QHelpEvent) or event.type() != QEvent.Type.ToolTip:
            return super().viewportEvent(event)
        node = self._node_at(event.pos())
        if node is not None:  # a node has its own tooltip, written when first asked for
            node.tooltip()
            return super().viewportEvent(event)
        text = self.graph.edge_tip_at(self.mapToScene(event.pos()), 6 / self.zoom)
        if text:
            QToolTip.showText(event.globalPos(), text, self.viewport())
        else:
            QToolTip.hideText()
        return True

    def _node_at(self, pos: QPoint) -> NodeItem | None:
        return self.graph.node_at(self.mapToScene(pos))

    def _edge_at(self, pos: QPoint) -> GraphEdge | None:
        return self.graph.edge_at(self.mapToScene(pos), EDGE_REACH / self.zoom)
