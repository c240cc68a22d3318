"""The schema view's orthogonal lines: every FK's route (core/graph/er_routes.py) as one item.

Like the record graph's EdgeLayer it is one item for all lines: far out, or with many lines in view, every
segment of one colour in one batched drawLines call (cosmetic pens, no antialiasing); closer in, only the
routes crossing the painted area, antialiased, with arrowheads on their last segment and labels on their
middle one.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from core.graph.layout import Point
from gui.graph import style
from gui.graph.items import FINE_EDGES_UP_TO, EdgeLook, fonts, lod_of

ARROW = 9.0


class RouteLayer(QGraphicsItem):
    """Every line of the schema view as right-angle routes."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(-1)
        self.routes: list[list[Point]] = []
        self._looks: list[EdgeLook] = []
        self._shown = np.zeros(0, dtype=bool)
        self._extent = np.zeros((0, 4))  # each route's x0, y0, x1, y1
        self._bounds = QRectF()
        self._batches: list[tuple[QColor, list[QLineF]]] | None = None

    def set_routes(self, routes: list[list[Point]], looks: Sequence[EdgeLook], shown: Sequence[bool]) -> None:
        """Draw these routes (one per edge, `looks` and `shown` in the same order)."""
        self.prepareGeometryChange()
        self.routes, self._looks = routes, list(looks)
        self._shown = np.array(shown, dtype=bool)
        self._extent = np.array(
            [
                (min(p[0] for p in r), min(p[1] for p in r), max(p[0] for p in r), max(p[1] for p in r))
                if r
                else (0.0, 0.0, -1.0, -1.0)
                for r in routes
            ],
            dtype=float,
        ).reshape(-1, 4)
        self._batches = None
        used = self._extent[self._extent[:, 2] >= self._extent[:, 0]]
        if len(used):
            x0, y0 = float(used[:, 0].min()), float(used[:, 1].min())
            x1, y1 = float(used[:, 2].max()), float(used[:, 3].max())
            self._bounds = QRectF(x0 - 20, y0 - 20, x1 - x0 + 40, y1 - y0 + 40)
        else:
            self._bounds = QRectF()
        self.update()

    def set_shown(self, shown: Sequence[bool]) -> None:
        """Show only the routes flagged in `shown` (filters)."""
        self._shown = np.array(shown, dtype=bool)
        self._batches = None
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if not self.routes:
            return
        rect = option.exposedRect
        e = self._extent
        visible = np.flatnonzero(
            self._shown
            & (e[:, 0] <= rect.right())
            & (e[:, 2] >= rect.left())
            & (e[:, 1] <= rect.bottom())
            & (e[:, 3] >= rect.top())
        )
        lod = lod_of(painter)
        if len(visible) > FINE_EDGES_UP_TO or lod < style.DOTS_BELOW:
            self._paint_plain(painter)
        elif len(visible):
            self._paint_fine(painter, visible.tolist(), lod)

    def _paint_plain(self, painter: QPainter) -> None:
        """Every shown segment, one batched call per colour, no antialiasing, no arrowheads."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if self._batches is None:
            groups: dict[int, tuple[QColor, list[QLineF]]] = {}
            for i in np.flatnonzero(self._shown).tolist():
                colour = self._looks[i].colour
                lines = groups.setdefault(colour.rgba(), (colour, []))[1]
                route = self.routes[i]
                lines.extend(QLineF(*a, *b) for a, b in itertools.pairwise(route))
            self._batches = list(groups.values())
        for colour, lines in self._batches:
            pen = QPen(colour, 1.2)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawLines(lines)

    def _paint_fine(self, painter: QPainter, index: list[int], lod: float) -> None:
        """Few routes in view: antialiased, arrowheads on the last segment, labels when readable."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for i in index:
            route, look = self.routes[i], self._looks[i]
            if len(route) < 2:
                continue
            pen = QPen(look.colour, 1.4)
            pen.setCosmetic(True)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            path = QPainterPath(QPointF(*route[0]))
            for p in route[1:]:
                path.lineTo(QPointF(*p))
            painter.drawPath(path)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(look.colour)
            if look.head:
                painter.drawPolygon(_arrowhead(route[-2], route[-1]))
            if look.tail:
                painter.drawPolygon(_arrowhead(route[1], route[0]))
        if lod >= style.EDGE_LABELS_BELOW:
            self._paint_labels(painter, index)

    def _paint_labels(self, painter: QPainter, index: list[int]) -> None:
        f = fonts()
        painter.setFont(f.edge)
        height = f.edge_metrics.height() + 2
        for i in index:
            look, route = self._looks[i], self.routes[i]
            if not look.label or len(route) < 2:
                continue
            mid = len(route) // 2
            (ax, ay), (bx, by) = route[mid - 1], route[mid]
            x, y = (ax + bx) / 2, (ay + by) / 2
            w = f.edge_metrics.horizontalAdvance(look.label) + 6
            box = QRectF(x - w / 2, y - height / 2, w, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.LABEL_BACK)
            painter.drawRoundedRect(box, 3, 3)
            painter.setPen(look.colour.darker(140))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, look.label)

    def route_at(self, point: QPointF, tolerance: float) -> int | None:
        """The index of the shown route with a segment within `tolerance` of `point`, if any."""
        px, py = point.x(), point.y()
        e = self._extent
        near = np.flatnonzero(
            self._shown
            & (e[:, 0] - tolerance <= px)
            & (e[:, 2] + tolerance >= px)
            & (e[:, 1] - tolerance <= py)
            & (e[:, 3] + tolerance >= py)
        )
        best, best_d = None, tolerance
        for i in near.tolist():
            route = self.routes[i]
            for (ax, ay), (bx, by) in itertools.pairwise(route):
                d = _distance(px, py, ax, ay, bx, by)
                if d <= best_d:
                    best, best_d = i, d
        return best


def _arrowhead(before: Point, tip: Point) -> QPolygonF:
    """A filled arrowhead at `tip`, pointing along the segment from `before`."""
    dx, dy = tip[0] - before[0], tip[1] - before[1]
    length = max(1e-9, (dx * dx + dy * dy) ** 0.5)
    ux, uy = dx / length, dy / length
    bx, by = tip[0] - ux * ARROW, tip[1] - uy * ARROW
    sx, sy = -uy * ARROW / 2, ux * ARROW / 2
    return QPolygonF([QPointF(*tip), QPointF(bx + sx, by + sy), QPointF(bx - sx, by - sy)])


def _distance(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / max(dx * dx + dy * dy, 1e-9)))
    return float(((ax + t * dx - px) ** 2 + (ay + t * dy - py) ** 2) ** 0.5)
