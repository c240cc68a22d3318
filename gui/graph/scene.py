"""The record graph's scene: node items from a GraphDocument, one edge layer, level-of-detail switching.

It also shows staged link edits (new links dashed in green, edges about to go in red, until Save) and lets a
Shift-drag from one node to another ask for a link between them (`connect_requested`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen, QPixmapCache
from PySide6.QtWidgets import QGraphicsItem, QGraphicsLineItem, QGraphicsScene, QGraphicsSceneMouseEvent

from core.graph.model import GraphEdge
from core.graph.neighbourhood import edge_identity
from gui.graph import style
from gui.graph.document import GraphDocument
from gui.graph.items import DotLayer, EdgeLayer, EdgeLook, NodeGroup, NodeItem

PIXMAP_CACHE_KB = 64 * 1024


class GraphScene(QGraphicsScene):
    """Nodes as items (found through the BSP index), edges as one layer; far out, dots instead of nodes."""

    node_moved = Signal(str, object)  # node id, (x, y): the user dragged it there
    connect_requested = Signal(str, str)  # source node id, target node id: a Shift-drag between two nodes

    def __init__(self, parent: object | None = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        # Node items cache their painting per zoom; Qt's default 10 MB holds ~300 of them: room for ~2,000
        if QPixmapCache.cacheLimit() < PIXMAP_CACHE_KB:
            QPixmapCache.setCacheLimit(PIXMAP_CACHE_KB)
        self.group = NodeGroup()
        self.addItem(self.group)
        self.edges = EdgeLayer()
        # The edges are a picture that only changes with the zoom, a layout or a filter: drawn into a pixmap
        # of the part in view and blitted while panning, hovering or repainting (Qt caches only what the
        # viewport shows). At zoom 1 on 10,000 edges, drawing the lines in view took half a frame.
        self.edges.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.addItem(self.edges)
        self.dots = DotLayer()
        self.dots.setVisible(False)
        self.addItem(self.dots)
        self.items_by_id: dict[str, NodeItem] = {}
        self.edge_list: list[GraphEdge] = []
        self.edge_looks: list[EdgeLook] = []
        self.hidden_entities: set[str] = set()
        self.hidden_edge_types: set[str] = set()
        self.dots_mode = False
        self.labels_shown = True
        self.labels_grown = False  # labels drawn bigger than their scene size (zoomed out, to stay readable)
        self._selected: str | None = None
        self._dragging: NodeItem | None = None
        self._pinned: set[str] = set()
        self.linking = True  # whether a Shift-drag from a node may link it to another (a record graph)
        # Asked at each Shift-press: whether links can be written now (not on a read-only connection; an
        # unlock swaps the connection under the same graph)
        self.link_allowed: Callable[[], bool] = lambda: True
        self.link_line: QGraphicsLineItem | None = None  # the line a Shift-drag draws from its node
        self._link_from: NodeItem | None = None
        self._base_edges: list[GraphEdge] = []  # the document's edges, without staged edits
        self.staged_new: list[GraphEdge] = []
        self.staged_removed: list[GraphEdge] = []
        self.staged_gone: set[tuple[str, ...]] = set()  # their identities
        self.selected_edges: set[tuple[str, ...]] = set()  # the selected edges' identities (edge_identity)

    # --- contents ------------------------------------------------------------------------------

    def show_document(self, doc: GraphDocument) -> None:
        """Make the items match `doc`: nodes added, removed and moved; every edge redrawn."""
        nodes = doc.nodes
        for gone in [n for n in self.items_by_id if n not in nodes]:
            item = self.items_by_id.pop(gone)
            self.removeItem(item)
        for node_id, node in nodes.items():
            found = self.items_by_id.get(node_id)
            if found is not None and found.node != node:  # an aggregate whose count changed
                self.removeItem(found)
                found = None
            item = found or NodeItem(node, self.group)
            item.set_grown(self.labels_grown)
            self.items_by_id[node_id] = item
            x, y = doc.positions.get(node_id, (0.0, 0.0))
            item.setPos(x, y)
            item.set_marks(pinned=node_id in doc.pinned, selected=node_id == self._selected)
        self._pinned = set(doc.pinned)
        self.set_edges(list(doc.hood.edges))
        self.refresh_dots()
        self.apply_visibility()
        # Room around the graph to pan and to zoom at its edges without the scroll bars stopping the view
        bounds = self.itemsBoundingRect()
        margin = max(3000.0, bounds.width(), bounds.height())
        self.setSceneRect(bounds.adjusted(-margin, -margin, margin, margin))

    def _positions(self) -> dict[str, tuple[float, float]]:
        return {n: (item.pos().x(), item.pos().y()) for n, item in self.items_by_id.items()}

    def set_edges(self, edges: list[GraphEdge]) -> None:
        """Draw `edges` between the node items shown (and the staged new links; staged removals marked)."""
        self._base_edges = list(edges)
        self._draw_edges()

    def set_staged(self, new: list[GraphEdge], gone: list[GraphEdge]) -> None:
        """Show staged link edits: `new` edges drawn as new, the `gone` ones as going (each whenever both of
        its nodes are shown, whether or not the graph read it)."""
        self.staged_new, self.staged_removed = list(new), list(gone)
        self.staged_gone = {edge_identity(e) for e in gone}
        self._draw_edges()

    def _gone_unread(self) -> list[GraphEdge]:
        """The edges staged to go that the graph shown did not read (another Expand By choice, a depth)."""
        if not self.staged_removed:
            return []
        read = {edge_identity(e) for e in self._base_edges}
        return [e for e in self.staged_removed if edge_identity(e) not in read]

    def select_edges(self, edges: list[GraphEdge]) -> None:
        """Mark `edges` as the selected edges (Ctrl+click adds one; none: no edge selected)."""
        idents = {edge_identity(e) for e in edges}
        if idents != self.selected_edges:  # a click on the background must not redraw 10,000 edges
            self.selected_edges = idents
            self._draw_edges()

    def _draw_edges(self) -> None:
        positions = self._positions()
        edges = self._base_edges + self.staged_new + self._gone_unread()
        drawn = _drawn_edges([e for e in edges if e.source in positions and e.target in positions])
        self.edge_list = [e for e, _both in drawn]
        new = {edge_identity(e) for e in self.staged_new}
        # An edge staged to go (it shows as going, in red) or no longer drawn is no longer selected: pruned
        # here, in this draw, so that a Del on selected links redraws once, not again to unselect them
        self.selected_edges &= {edge_identity(e) for e in self.edge_list} - self.staged_gone
        looks = [self._edge_look(e, both, new) for e, both in drawn]
        self.edge_looks = looks  # how each edge of edge_list is drawn (the schema view's routes reuse it)
        radii = [
            (self.items_by_id[e.source].radius, self.items_by_id[e.target].radius) for e in self.edge_list
        ]
        ends = [(e.source, e.target) for e in self.edge_list]
        self.edges.set_edges(ends, looks, radii, positions, self.edge_shown())

    def _edge_look(self, edge: GraphEdge, both: bool, new: set[tuple[str, ...]]) -> EdgeLook:
        look = _look(edge, both)
        ident = edge_identity(edge)
        if ident in self.selected_edges:
            return EdgeLook(QColor(style.SELECTED), look.head, look.tail, look.label or edge.via, 3.0)
        if ident in new:
            return EdgeLook(QColor(style.STAGED_NEW), look.head, look.tail, _join("new", look.label), 3.0)
        if ident in self.staged_gone:
            return EdgeLook(
                QColor(style.STAGED_GONE), look.head, look.tail, _join("deleting", look.label), 3.0
            )
        return look

    def refresh_dots(self) -> None:
        """Draw the dots (zoomed far out) where the shown node items are now."""
        self._rebuild_dots()

    def _rebuild_dots(self) -> None:
        self.dots.set_dots(
            [
                (item.colour, item.pos().x(), item.pos().y())
                for item in self.items_by_id.values()
                if item.isVisibleTo(self.group)
            ]
        )

    # --- what is shown ---------------------------------------------------------------------------

    def set_zoom(self, zoom: float) -> None:
        """Follow the view's zoom: dots and plain lines far out, items (labels when readable) closer in."""
        dots = zoom < style.DOTS_BELOW
        self.labels_shown = zoom >= style.LABELS_BELOW
        grown = zoom < style.LABELS_READABLE_AT
        if grown != self.labels_grown:
            self.labels_grown = grown
            for item in self.items_by_id.values():
                item.set_grown(grown)
        if dots != self.dots_mode:
            self.dots_mode = dots
            self.group.setVisible(not dots)
            self.dots.setVisible(dots)
            # Far out, the whole graph is a picture that only changes with the zoom: the dots are drawn
            # into a pixmap once per zoom and blitted while panning, hovering or repainting.
            cache = QGraphicsItem.CacheMode.DeviceCoordinateCache if dots else QGraphicsItem.CacheMode.NoCache
            self.dots.setCacheMode(cache)

    def set_filters(self, hidden_entities: set[str], hidden_edge_types: set[str]) -> None:
        """Hide the nodes of these entities and the edges of these types (their `via`)."""
        self.hidden_entities = set(hidden_entities)
        self.hidden_edge_types = set(hidden_edge_types)
        self.apply_visibility()

    def apply_visibility(self) -> None:
        """Show and hide nodes, edges and dots as the filters say."""
        for item in self.items_by_id.values():
            item.setVisible(item.node.entity not in self.hidden_entities)
        self.edges.set_shown(self.edge_shown())
        self._rebuild_dots()

    def edge_shown(self) -> list[bool]:
        """For each edge of `edge_list`, whether the filters let it show."""
        items = self.items_by_id
        return [
            e.via not in self.hidden_edge_types
            and items[e.source].node.entity not in self.hidden_entities
            and items[e.target].node.entity not in self.hidden_entities
            for e in self.edge_list
        ]

    def select(self, node_id: str | None) -> None:
        """Mark `node_id` as the selected node (None: no selection)."""
        previous = self.items_by_id.get(self._selected or "")
        if previous is not None:
            previous.set_marks(selected=False)
        self._selected = node_id
        item = self.items_by_id.get(node_id or "")
        if item is not None:
            item.set_marks(selected=True)

    def find(self, text: str) -> list[str]:
        """Mark the shown nodes whose label contains `text` (any case); returns their ids, best first."""
        needle = text.strip().casefold()
        found: list[str] = []
        for node_id, item in self.items_by_id.items():
            hit = bool(needle) and item.isVisible() and needle in (item.node.label or "").casefold()
            item.set_marks(found=hit)
            if hit:
                found.append(node_id)
        found.sort(
            key=lambda n: (not (self.items_by_id[n].node.label or "").casefold().startswith(needle), n)
        )
        return found

    def node_at(self, point: QPointF) -> NodeItem | None:
        """The node item under `point` (scene coordinates), if any; works in the dots mode too."""
        r = style.RADIUS
        for item in self.items(QRectF(point.x() - r, point.y() - r, 2 * r, 2 * r)):
            if not isinstance(item, NodeItem) or not item.isVisibleTo(self.group):
                continue
            if self.dots_mode or item.shape().contains(item.mapFromScene(point)):
                return item
        return None

    def nodes_rect(self) -> QRectF:
        """What fitting the view shows: every node with room for its label (at its size in the scene)."""
        if not self.items_by_id:
            return QRectF()
        xs = [item.pos().x() for item in self.items_by_id.values()]
        ys = [item.pos().y() for item in self.items_by_id.values()]
        w, r = style.LABEL_WIDTH / 2, style.RADIUS
        return QRectF(min(xs) - w, min(ys) - r, max(xs) - min(xs) + 2 * w, max(ys) - min(ys) + 3 * r + 20)

    def edge_at(self, point: QPointF, tolerance: float) -> GraphEdge | None:
        """The shown edge within `tolerance` of `point` (scene units), if any."""
        i = self.edges.edge_at(point, tolerance)
        return self.edge_list[i] if i is not None else None

    def edge_tip_at(self, point: QPointF, tolerance: float) -> str:
        """The tooltip of the shown edge within `tolerance` of `point` (scene units), or ""."""
        edge = self.edge_at(point, tolerance)
        return edge_tooltip(edge) if edge is not None else ""

    def entities(self) -> list[str]:
        """The entities shown, in order of first appearance."""
        return list(dict.fromkeys(item.node.entity for item in self.items_by_id.values()))

    def edge_types(self) -> list[str]:
        """The edge types (`via`) shown."""
        return list(dict.fromkeys(e.via for e in self.edge_list))

    # --- dragging --------------------------------------------------------------------------------

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        start = self.node_at(event.scenePos()) if self._links_by_drag(event) else None
        if start is not None:  # Shift-drag from a node: a line to the node it is dropped on, no move
            self._link_from = start
            line = QGraphicsLineItem(QLineF(start.scenePos(), event.scenePos()))
            pen = QPen(QColor(style.STAGED_NEW), 2, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            line.setPen(pen)
            line.setZValue(5)
            self.addItem(line)
            self.link_line = line
            event.accept()
            return
        super().mousePressEvent(event)
        grabber = self.mouseGrabberItem()
        self._dragging = grabber if isinstance(grabber, NodeItem) else None
        self._moved = False

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.link_line is not None and self._link_from is not None:
            self.link_line.setLine(QLineF(self._link_from.scenePos(), event.scenePos()))
            event.accept()
            return
        super().mouseMoveEvent(event)
        item = self._dragging
        if item is not None and self.mouseGrabberItem() is item:
            self._moved = True
            self.edges.move_node(item.node_id, (item.pos().x(), item.pos().y()))

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.link_line is not None:
            self.removeItem(self.link_line)
            self.link_line = None
            source, self._link_from = self._link_from, None
            target = self.node_at(event.scenePos())
            if source is not None and target is not None and target is not source:
                self.connect_requested.emit(source.node_id, target.node_id)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        item, self._dragging = self._dragging, None
        if item is not None and self._moved:
            item.set_marks(pinned=True)
            self._rebuild_dots()
            self.node_moved.emit(item.node_id, (item.pos().x(), item.pos().y()))

    def _links_by_drag(self, event: QGraphicsSceneMouseEvent) -> bool:
        return (
            self.linking
            and self.link_allowed()
            and event.button() == Qt.MouseButton.LeftButton
            and bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        )


def _join(word: str, label: str) -> str:
    return f"{word} · {label}" if label else word


def _drawn_edges(edges: list[GraphEdge]) -> list[tuple[GraphEdge, bool]]:
    """The edges to draw, each with whether it is drawn both ways: two opposite links of one type (A→B and
    B→A) become one line with two arrowheads."""
    seen: dict[tuple[str, str, str], GraphEdge] = {}
    both: set[tuple[str, str, str]] = set()
    for e in edges:
        reverse = (e.via, e.target, e.source)
        if e.kind == "link" and e.directed and reverse in seen and seen[reverse].directed:
            both.add(reverse)
            continue
        seen.setdefault((e.via, e.source, e.target), e)
    return [(e, ident in both) for ident, e in seen.items()]


def _look(edge: GraphEdge, both: bool) -> EdgeLook:
    colour = style.LINK_EDGE if edge.kind == "link" else style.FK_EDGE
    two_way = both or not edge.directed
    label = _edge_label(edge)
    # An FK edge points from the referring row to the referred one; links from source to target.
    return EdgeLook(QColor(colour), head=True, tail=two_way, label=label)


def _edge_label(edge: GraphEdge) -> str:
    """A link's telling attributes as a short label ("north · path"); FK edges have none (their tooltip
    and the legend say what they are): "location_id" on every other line would only be noise."""
    if edge.kind != "link":
        return ""
    values = [str(v) for k, v in edge.attributes.items() if _telling(k, v)]
    text = " · ".join(values[:3])
    return text if len(text) <= 32 else text[:31] + "…"


_BOOKKEEPING = {"id", "version", "created_at", "updated_at", "deleted_at"}
_ID_LIKE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def _telling(name: str, value: object) -> bool:
    """Whether an attribute says something about the link (a direction, a type, a number), not bookkeeping."""
    if value in (None, "") or isinstance(value, bool | dict | list) or name in _BOOKKEEPING:
        return False
    if name.endswith("_id") or name.endswith("_at"):
        return False
    text = str(value)
    return len(text) <= 40 and not _ID_LIKE.match(text)


def edge_tooltip(edge: GraphEdge) -> str:
    """An edge's tooltip: its type and, for a link, its row's other columns."""
    return "\n".join([edge.via, *(f"{k}: {v}" for k, v in edge.attributes.items())])
