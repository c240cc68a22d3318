"""The record graph's items: a node (a circle with its entity's letter and a label, or an aggregate's pill),
the edges of the whole graph as one layer, and the dots that stand for nodes when zoomed far out.

Level of detail keeps big graphs smooth: node items only paint when zoomed in enough to read them (the scene
hides their common parent below style.DOTS_BELOW, and DotLayer paints every node in a few calls instead);
edges are one item that draws plain lines in a few batched calls when zoomed out, and only the edges in the
exposed area, with arrowheads and labels, when zoomed in. Hit-testing stays cheap: a node's shape is its
circle (or pill), and the scene's BSP index finds it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QStyleOptionGraphicsItem, QWidget

from core.graph.model import GraphNode
from gui.graph import style


class _Fonts:
    """The graph's fonts and their metrics, made on first use (a QFont needs the application to exist)."""

    def __init__(self) -> None:
        self.label = QFont()
        self.label.setPointSizeF(9.0)
        self.letter = QFont()
        self.letter.setPointSizeF(10.0)
        self.letter.setBold(True)
        self.edge = QFont()
        self.edge.setPointSizeF(7.5)
        self.label_metrics = QFontMetricsF(self.label)
        self.edge_metrics = QFontMetricsF(self.edge)
        self.label_height = self.label_metrics.height() + 4


@functools.cache
def fonts() -> _Fonts:
    """The graph's fonts."""
    return _Fonts()


#: Up to this many edges in view get antialiased lines, filled arrowheads and labels; more are simplified.
FINE_EDGES_UP_TO = 250
#: Up to this many dots are drawn round and antialiased; more as squares.
ROUND_DOTS_UP_TO = 1500


def lod_of(painter: QPainter) -> float:
    """How many device pixels one scene unit covers (the zoom) for this painter."""
    return QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())


class NodeGroup(QGraphicsItem):
    """The parent of every node item, drawing nothing: hiding it hides all nodes in one call."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)

    def boundingRect(self) -> QRectF:
        return QRectF()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        """Nothing: the children paint."""


#: Qt's enum members, looked up once: each lookup through its class costs microseconds, per node item.
_NO_PEN = Qt.PenStyle.NoPen
_ELIDE = Qt.TextElideMode.ElideRight
_MOVABLE = QGraphicsItem.GraphicsItemFlag.ItemIsMovable
_PIXMAP_CACHE = QGraphicsItem.CacheMode.DeviceCoordinateCache


@functools.cache
def _look(entity: str) -> tuple[QColor, str, QColor]:
    """An entity's node colour, letter and letter colour (made once per entity, shared by its nodes)."""
    look = style.entity_style(entity)
    return look.colour, look.letter, style.text_on(look.colour)


@functools.cache
def _circle() -> QPainterPath:
    """A record node's shape (one path shared by every node: Qt copies it on write)."""
    path = QPainterPath()
    r = style.RADIUS
    path.addEllipse(QRectF(-r, -r, 2 * r, 2 * r))
    return path


class NodeItem(QGraphicsRectItem):
    """One record (a circle with its entity's letter, its label below) or an aggregate (a pill).

    A QGraphicsRectItem without pen or brush only for its bounds: Qt reads them in C++ (a view asks each
    item for them about a dozen times per frame; a Python boundingRect made that a third of a zoom-1
    frame of 500 nodes). Its own paint draws everything, once per zoom into the item's pixmap cache.
    Making one is kept cheap (an expansion makes a thousand, bench/graph_expand.py): looks are shared per
    entity, the tooltip is written when first asked for (GraphView), and the pointing cursor is the view's.
    """

    def __init__(self, node: GraphNode, parent: QGraphicsItem | None = None) -> None:
        super().__init__()  # the parent is set at the end, once the bounds exist
        self.setPen(_NO_PEN)
        self.node = node
        self.node_id = node.id
        self.selected = False
        self.found = False
        self.pinned = False
        f = fonts()
        self.colour, self.letter, self.letter_colour = _look(node.entity)
        if node.aggregate:
            self.text = f"+{node.count or 0:,} {node.entity}"
            width = min(style.LABEL_WIDTH + 40, f.label_metrics.horizontalAdvance(self.text) + 24)
            height = f.label_height + 6
            self._body = QRectF(-width / 2, -height / 2, width, height)
            self._bounds = self._body.adjusted(-3, -3, 3, 3)
            self._grown_bounds = self._bounds
            path = QPainterPath()
            path.addRoundedRect(self._body, height / 2, height / 2)
        else:
            text = node.label or ""
            advance = f.label_metrics.horizontalAdvance(text)
            if advance > style.LABEL_WIDTH:  # most labels fit: measuring them once is enough
                text = f.label_metrics.elidedText(text, _ELIDE, style.LABEL_WIDTH)
                advance = f.label_metrics.horizontalAdvance(text)
            self.text = text
            r = style.RADIUS
            self._body = QRectF(-r, -r, 2 * r, 2 * r)
            label_w = advance + 8
            self._label = QRectF(-label_w / 2, r + 3, label_w, f.label_height)
            g = style.LABEL_GROWTH  # the label grown to its largest (zoomed out) size
            half = max(r, label_w * g / 2) + 4
            self._grown_bounds = QRectF(-half, -r - 4, 2 * half, r + 3 + f.label_height * g + r + 8)
            half = max(r, label_w / 2) + 4
            self._bounds = QRectF(-half, -r - 4, 2 * half, r + 3 + f.label_height + r + 8)
            path = _circle()
        self._plain_bounds = self._bounds
        self.setRect(self._bounds)
        self.grown = False  # whether the label may be drawn grown (zoomed out): the bounds hold it then
        self._shape = path
        # Only now that the bounds exist: these may ask for them (and so may joining the scene)
        self.setFlag(_MOVABLE)
        # Painted once per zoom level into a pixmap: panning, hovering and repaints around it only blit
        self.setCacheMode(_PIXMAP_CACHE)
        if parent is not None:
            self.setParentItem(parent)

    def tooltip(self) -> str:
        """The tooltip: the one set (a row's preview), else the node's own, written now."""
        if not self.toolTip():
            self.setToolTip(node_tooltip(self.node))
        return self.toolTip()

    @property
    def radius(self) -> float:
        """How far from the centre an edge stops (the circle's radius, or half the pill's height)."""
        return self._body.height() / 2

    def set_bounds(self, bounds: QRectF) -> None:
        """Paint within `bounds` (item coordinates) from now on."""
        self._bounds = bounds
        self.setRect(bounds)  # tells the scene (prepareGeometryChange)

    def set_grown(self, grown: bool) -> None:
        """Make room for a grown label (zoomed out) or give it back: the smaller the bounds, the smaller
        the item's cached pixmap."""
        if grown != self.grown:
            self.grown = grown
            self.set_bounds(self._grown_bounds if grown else self._plain_bounds)

    def shape(self) -> QPainterPath:
        return self._shape

    def set_marks(
        self, *, selected: bool | None = None, found: bool | None = None, pinned: bool | None = None
    ) -> None:
        """Change how the node is marked (selected, matched by the find box, pinned) and repaint it."""
        if selected is not None:
            self.selected = selected
        if found is not None:
            self.found = found
        if pinned is not None:
            self.pinned = pinned
        self.update()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lod = lod_of(painter)
        ring = style.SELECTED if self.selected else style.FOUND if self.found else None
        if self.node.aggregate:
            self._paint_aggregate(painter, ring)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if ring is not None:
            painter.setPen(QPen(ring, 4))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(self._body.adjusted(-3, -3, 3, 3))
        painter.setPen(QPen(QColor("#ffffff"), 2))
        painter.setBrush(QBrush(self.colour))
        painter.drawEllipse(self._body)
        painter.setFont(fonts().letter)
        painter.setPen(self.letter_colour)
        painter.drawText(self._body, Qt.AlignmentFlag.AlignCenter, self.letter)
        if self.pinned:
            painter.setPen(QPen(QColor("#ffffff"), 1.5))
            painter.setBrush(QBrush(style.TEXT))
            r = style.RADIUS
            painter.drawEllipse(QPointF(r * 0.72, -r * 0.72), 4.0, 4.0)
        if lod >= style.LABELS_BELOW and self.text:
            grow = min(style.LABEL_GROWTH, max(1.0, style.LABELS_READABLE_AT / lod)) if self.grown else 1.0
            top = self._label.top()
            painter.save()
            painter.translate(0, top)  # grow from the label's top centre, just under the circle
            painter.scale(grow, grow)
            painter.translate(0, -top)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.LABEL_BACK)
            painter.drawRoundedRect(self._label, 4, 4)
            painter.setFont(fonts().label)
            painter.setPen(style.TEXT)
            painter.drawText(self._label, Qt.AlignmentFlag.AlignCenter, self.text)
            painter.restore()

    def _paint_aggregate(self, painter: QPainter, ring: QColor | None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        h = self._body.height()
        pen = QPen(ring, 3) if ring is not None else QPen(style.AGGREGATE_LINE, 1.5, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(style.AGGREGATE_FILL)
        painter.drawRoundedRect(self._body, h / 2, h / 2)
        dot = QRectF(self._body.left() + 6, -5, 10, 10)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colour)
        painter.drawEllipse(dot)
        painter.setFont(fonts().label)
        painter.setPen(style.TEXT)
        painter.drawText(self._body.adjusted(18, 0, -6, 0), Qt.AlignmentFlag.AlignCenter, self.text)


def node_tooltip(node: GraphNode) -> str:
    """A node's own tooltip: its label, entity and key, and what double-clicking does."""
    if node.aggregate:
        return f"{node.count or 0:,} more {node.entity} rows\nDouble-click to show the next ones"
    key = ", ".join(str(v) for v in node.key or ())
    return f"{node.label}\n{node.entity} · {key}\nDouble-click to expand"


@functools.lru_cache(maxsize=8192)
def _label_width(text: str) -> float:
    """An edge label's width, measured once a text (edges are set again on every click and staged edit)."""
    return fonts().edge_metrics.horizontalAdvance(text)


@dataclass(frozen=True)
class EdgeLook:
    """How one edge is drawn: its colour, arrowheads at either end, and its label."""

    colour: QColor
    head: bool  # an arrowhead at the target
    tail: bool  # and one at the source (two-way)
    label: str
    width: float = 1.4  # the line's width in pixels (a colour's lines share the first one's)


class EdgeLayer(QGraphicsItem):
    """Every edge of the graph, as one item: plain batched lines when zoomed out, arrowheads and labels when
    zoomed in, and only the edges that cross the area being painted."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(
            QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption
        )  # exposedRect is the dirty area
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(-1)
        self._ends: list[tuple[str, str]] = []
        self._looks: list[EdgeLook] = []
        self._radii: list[tuple[float, float]] = []
        self._coords = np.zeros((0, 4))
        self._shown = np.zeros(0, dtype=bool)
        self._bounds = QRectF()
        self._label_pad = 20.0  # how far a label may reach left and right of the lines (set_edges)
        self._batches: list[tuple[QColor, list[QLineF]]] | None = None  # far out: centre to centre
        # Many in view: border to border, by colour (its edges, each one's lines)
        self._open_batches: list[tuple[QColor, np.ndarray, list[list[QLineF]]]] | None = None
        self._radius_array = np.zeros((0, 2))
        self._palette: list[QColor] = []  # the edges' colours, each once
        self._widths: list[float] = []  # each colour's line width
        self._group_of = np.zeros(0, dtype=int)  # each edge's colour, an index into _palette

    def set_edges(
        self,
        ends: list[tuple[str, str]],
        looks: list[EdgeLook],
        radii: list[tuple[float, float]],
        positions: Mapping[str, tuple[float, float]],
        shown: list[bool],
    ) -> None:
        """Draw these edges (`ends` node ids, `radii` of their end nodes) between these positions."""
        self.prepareGeometryChange()
        self._ends, self._looks, self._radii = ends, looks, radii
        self._radius_array = np.array(radii, dtype=float).reshape(-1, 2)
        colours: dict[int, int] = {}
        self._palette, self._widths = [], []
        for look in looks:
            if look.colour.rgba() not in colours:
                colours[look.colour.rgba()] = len(self._palette)
                self._palette.append(look.colour)
                self._widths.append(look.width)
        self._group_of = np.array([colours[look.colour.rgba()] for look in looks], dtype=int)
        self._shown = np.array(shown, dtype=bool)
        self._coords = np.array([(*positions[a], *positions[b]) for a, b in ends], dtype=float).reshape(-1, 4)
        # A label is drawn centred on its edge's middle, as wide as its text: an upright or short edge's label
        # reaches past the lines' box, and what lies outside the bounds was cut off when painted.
        labels = {look.label for look in looks if look.label}
        self._label_pad = max(20.0, max(map(_label_width, labels), default=0.0) / 2 + 8)
        self._refresh_bounds()
        self.update()  # the cached picture is stale (a selection or a staged edit changes only colours)

    def set_shown(self, shown: list[bool]) -> None:
        """Show only the edges flagged in `shown` (filters)."""
        self._shown = np.array(shown, dtype=bool)
        self._batches = self._open_batches = None
        self.update()

    def move_node(self, node: str, point: tuple[float, float]) -> None:
        """Follow a node being dragged."""
        for i, (a, b) in enumerate(self._ends):
            if a == node:
                self._coords[i, 0:2] = point
            if b == node:
                self._coords[i, 2:4] = point
        self.prepareGeometryChange()
        self._refresh_bounds()

    def _refresh_bounds(self) -> None:
        self._batches = self._open_batches = None
        if len(self._coords) == 0:
            self._bounds = QRectF()
            return
        xs = self._coords[:, [0, 2]]
        ys = self._coords[:, [1, 3]]
        pad = self._label_pad
        self._bounds = QRectF(
            float(xs.min()) - pad,
            float(ys.min()) - 20,
            float(xs.max() - xs.min()) + 2 * pad,
            float(ys.max() - ys.min()) + 40,
        )

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if len(self._coords) == 0:
            return
        lod = lod_of(painter)
        if lod < style.DOTS_BELOW:
            self._paint_plain(painter)
            return
        rect = option.exposedRect
        c = self._coords
        visible = (
            self._shown
            & (np.minimum(c[:, 0], c[:, 2]) <= rect.right())
            & (np.maximum(c[:, 0], c[:, 2]) >= rect.left())
            & (np.minimum(c[:, 1], c[:, 3]) <= rect.bottom())
            & (np.maximum(c[:, 1], c[:, 3]) >= rect.top())
        )
        index = np.flatnonzero(visible)
        if len(index) > FINE_EDGES_UP_TO:
            # Most shown edges in view (a mid zoom): the lines built once; else only those in view (zoom 1
            # on a big graph: drawing 10,000 lines to see 1,500 was half a frame)
            if len(index) * 3 > int(self._shown.sum()):
                self._paint_open(painter)
            else:
                self._paint_open(painter, index)
        elif len(index):
            self._paint_fine(painter, index, lod)

    def _geometry(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For the edges `index`: those with room between their nodes, and their starts, ends (on the
        nodes' borders) and unit directions."""
        c = self._coords[index]
        r = self._radius_array[index]
        d = c[:, 2:4] - c[:, 0:2]
        length = np.hypot(d[:, 0], d[:, 1])
        room = length > r[:, 0] + r[:, 1] + 4  # overlapping nodes: no line to draw between them
        index, c, r, d, length = index[room], c[room], r[room], d[room], length[room]
        u = d / length[:, None]
        return index, c[:, 0:2] + u * (r[:, 0:1] + 2), c[:, 2:4] - u * (r[:, 1:2] + 2), u

    def _tips(
        self, index: np.ndarray, starts: np.ndarray, ends: np.ndarray, u: np.ndarray
    ) -> list[np.ndarray]:
        """The arrowhead triangles of the edges `index`: at the target, and at the source of two-way ones."""
        heads = np.array([self._looks[i].head for i in index.tolist()], dtype=bool)
        tails = np.array([self._looks[i].tail for i in index.tolist()], dtype=bool)
        return [_arrowheads(ends[heads], u[heads]), _arrowheads(starts[tails], -u[tails])]

    def _paint_open(self, painter: QPainter, only: np.ndarray | None = None) -> None:
        """Many edges in view (a dense graph, a mid zoom): every shown edge (or only the edges `only`), border
        to border with open arrowheads, one batched call per colour, no antialiasing. Each shown edge's
        lines are built once per layout (making Qt's line objects is what costs); a frame picks its own."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if self._open_batches is None:
            self._open_batches = self._open_lines(np.flatnonzero(self._shown))
        wanted = None
        if only is not None:
            wanted = np.zeros(len(self._coords), dtype=bool)
            wanted[only] = True
        for colour, edges, per_edge in self._open_batches:
            if wanted is None:
                lines = [line for edge_lines in per_edge for line in edge_lines]
            else:
                lines = [line for k in np.flatnonzero(wanted[edges]).tolist() for line in per_edge[k]]
            pen = QPen(colour, 1.2)
            pen.setCosmetic(True)  # the raster engine's fast path: a thin line stays thin at any zoom
            painter.setPen(pen)
            painter.drawLines(lines)

    def _open_lines(self, shown: np.ndarray) -> list[tuple[QColor, np.ndarray, list[list[QLineF]]]]:
        """By colour: the edges among `shown` with room for a line, and each one's lines (the line and its
        open arrowheads' wings)."""
        batches = []
        index, starts, ends, u = self._geometry(shown)
        groups = self._group_of[index]
        for g in self._bottom_up(groups):
            rows = groups == g
            parts = [np.hstack((starts[rows], ends[rows]))]
            for wings in self._tips_by_edge(index[rows], starts[rows], ends[rows], u[rows]):
                parts.append(wings)
            per_edge = [
                [QLineF(*s) for s in segs if s[0] == s[0]] for segs in np.stack(parts, axis=1).tolist()
            ]
            batches.append((self._palette[int(g)], index[rows], per_edge))
        return batches

    def _tips_by_edge(
        self, index: np.ndarray, starts: np.ndarray, ends: np.ndarray, u: np.ndarray
    ) -> list[np.ndarray]:
        """Per edge, the four wing segments of its arrowheads (head, then tail), NaN where it has none."""
        heads = np.array([self._looks[i].head for i in index.tolist()], dtype=bool)
        tails = np.array([self._looks[i].tail for i in index.tolist()], dtype=bool)
        out = []
        for tips, ways, has in ((ends, u, heads), (starts, -u, tails)):
            wings = _arrowheads(tips, ways)  # (n, 3, 2): tip, left, right
            left = np.hstack((wings[:, 0], wings[:, 1]))
            right = np.hstack((wings[:, 0], wings[:, 2]))
            left[~has] = np.nan
            right[~has] = np.nan
            out += [left, right]
        return out

    def _bottom_up(self, groups: np.ndarray) -> list[int]:
        """The colours of `groups` in drawing order: the thick ones (selected, staged) last, on top of a
        plain line drawn over the same two nodes (a two-way link's other row)."""
        return sorted((int(g) for g in np.unique(groups)), key=lambda g: self._widths[g])

    def _paint_fine(self, painter: QPainter, index: np.ndarray, lod: float) -> None:
        """Few edges in view: antialiased lines, filled arrowheads, and labels when readable."""
        index, starts, ends, u = self._geometry(index)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        groups = self._group_of[index]
        for g in self._bottom_up(groups):
            rows = groups == g
            colour = self._palette[int(g)]
            pen = QPen(colour, self._widths[int(g)])
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawLines([QLineF(*s) for s in np.hstack((starts[rows], ends[rows])).tolist()])
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            for triangles in self._tips(index[rows], starts[rows], ends[rows], u[rows]):
                for polygon in triangles.tolist():
                    painter.drawPolygon(QPolygonF([QPointF(x, y) for x, y in polygon]))
        if lod >= style.EDGE_LABELS_BELOW:
            self._paint_labels(painter, index, (starts + ends) / 2)

    def _paint_labels(self, painter: QPainter, index: np.ndarray, middles: np.ndarray) -> None:
        f = fonts()
        painter.setFont(f.edge)
        height = f.edge_metrics.height() + 2
        for k, i in enumerate(index.tolist()):
            look = self._looks[i]
            if not look.label:
                continue
            x, y = middles[k].tolist()
            w = f.edge_metrics.horizontalAdvance(look.label) + 6
            box = QRectF(x - w / 2, y - height / 2, w, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.LABEL_BACK)
            painter.drawRoundedRect(box, 3, 3)
            painter.setPen(look.colour.darker(140))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, look.label)

    def _paint_plain(self, painter: QPainter) -> None:
        """Zoomed far out: each colour's lines in one call, no antialiasing, no arrowheads."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if self._batches is None:
            self._batches = []
            shown = np.flatnonzero(self._shown)
            groups = self._group_of[shown]
            for g in np.unique(groups):
                rows = shown[groups == g]
                lines = [QLineF(*s) for s in self._coords[rows].tolist()]
                self._batches.append((self._palette[int(g)], lines))
        for colour, lines in self._batches:
            pen = QPen(colour, 0)  # cosmetic: one pixel whatever the zoom
            painter.setPen(pen)
            painter.drawLines(lines)

    def edge_at(self, point: QPointF, tolerance: float) -> int | None:
        """The index of the shown edge nearest `point` within `tolerance` scene units, if any."""
        if len(self._coords) == 0:
            return None
        c = self._coords
        px, py = point.x(), point.y()
        dx, dy = c[:, 2] - c[:, 0], c[:, 3] - c[:, 1]
        length2 = np.maximum(dx * dx + dy * dy, 1e-9)
        t = np.clip(((px - c[:, 0]) * dx + (py - c[:, 1]) * dy) / length2, 0.0, 1.0)
        dist = np.hypot(c[:, 0] + t * dx - px, c[:, 1] + t * dy - py)
        dist[~self._shown] = np.inf
        i = int(np.argmin(dist))
        return i if dist[i] <= tolerance else None


def _arrowheads(tips: np.ndarray, ways: np.ndarray, size: float = 9.0) -> np.ndarray:
    """Triangles (tip, left corner, right corner) pointing along the unit vectors `ways` to `tips`."""
    back = tips - ways * size
    side = np.column_stack((-ways[:, 1], ways[:, 0])) * size * 0.5
    return np.stack((tips, back + side, back - side), axis=1).reshape(-1, 3, 2)


class DotLayer(QGraphicsItem):
    """Every node as a coloured dot, drawn in one call per colour: what zoomed far out shows instead of the
    node items."""

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._groups: dict[int, tuple[QColor, list[QPointF]]] = {}
        self._count = 0
        self._bounds = QRectF()

    def set_dots(self, dots: list[tuple[QColor, float, float]]) -> None:
        """Draw a dot of each colour at each (x, y)."""
        self.prepareGeometryChange()
        groups: dict[int, tuple[QColor, list[QPointF]]] = {}
        for colour, x, y in dots:
            groups.setdefault(colour.rgb(), (colour, []))[1].append(QPointF(x, y))
        self._groups = groups
        self._count = len(dots)
        if dots:
            xs = [d[1] for d in dots]
            ys = [d[2] for d in dots]
            r = style.RADIUS + 2
            self._bounds = QRectF(
                min(xs) - r, min(ys) - r, max(xs) - min(xs) + 2 * r, max(ys) - min(ys) + 2 * r
            )
        else:
            self._bounds = QRectF()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        # Round dots while there are few; thousands of dots a few pixels wide are drawn as squares, faster.
        few = self._count <= ROUND_DOTS_UP_TO
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, few)
        for colour, points in self._groups.values():
            pen = QPen(colour, 2 * style.RADIUS)  # scene units: dots shrink with the zoom like the nodes
            pen.setCapStyle(Qt.PenCapStyle.RoundCap if few else Qt.PenCapStyle.SquareCap)
            painter.setPen(pen)
            painter.drawPoints(points)
