"""The schema view's boxes: a table (its name, then its key or all columns) and a cluster of tables.

Both are record-graph node items (gui/graph/items.py) with a box for a body, so the record graph's scene,
view, edge layer and dots work on them unchanged. Each box is exactly the size the layout gave it
(core/graph/er_layout.py). Level of detail: zoomed out, a box shows only its name, drawn larger so it stays
readable; zoomed in, its columns.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from core.graph.er import Mode
from core.graph.er_layout import HEADER, PAD, ROW, ErNode
from core.graph.model import GraphNode
from gui.graph import style
from gui.graph.items import NodeItem, lod_of

#: Below this zoom a box shows only its name (grown to stay readable).
COLUMNS_BELOW = 0.55
LINK_FILL = QColor("#fff6e0")
BOX_FILL = QColor("#ffffff")
BOX_LINE = QColor("#5b6577")
CLUSTER_FILL = QColor("#eef3fb")
KEY = QColor("#9a6b00")
FOREIGN = QColor("#2c6db3")
MUTED = QColor("#6b7384")


class _Fonts:
    def __init__(self) -> None:
        self.name = QFont()
        self.name.setPointSizeF(9.0)
        self.name.setBold(True)
        self.column = QFont()
        self.column.setPointSizeF(8.5)
        self.small = QFont()
        self.small.setPointSizeF(8.0)
        self.name_metrics = QFontMetricsF(self.name)
        self.column_metrics = QFontMetricsF(self.column)


@functools.cache
def fonts() -> _Fonts:
    """The boxes' fonts (made on first use: a QFont needs the application)."""
    return _Fonts()


class ErBoxItem(NodeItem):
    """A table or cluster box; `node` is the diagram's ErNode (the record graph's GraphNode kept for the
    scene: its entity is the table's name, so the scene's filters and find work)."""

    def __init__(self, box: ErNode, mode: Mode) -> None:
        super().__init__(GraphNode(box.id, box.table.name if box.table else box.id, None, box.label))
        self.box = box
        self.mode = mode
        self.focused = False
        w, h = box.size
        self._body = QRectF(-w / 2, -h / 2, w, h)
        self.set_bounds(self._body.adjusted(-5, -5, 5, 5))
        self._plain_bounds = self._grown_bounds = self.boundingRect()
        path = QPainterPath()
        path.addRect(self._body)
        self._shape = path
        if box.kind == "cluster":
            self.colour = style.entity_style(box.label).colour
        self.setToolTip(_tooltip(box))

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lod = lod_of(painter)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ring = style.SELECTED if self.selected else style.FOUND if self.found or self.focused else None
        if ring is not None:
            painter.setPen(QPen(ring, 4))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(self._body.adjusted(-3, -3, 3, 3), 6, 6)
        if self.box.kind == "cluster":
            self._paint_cluster(painter, lod)
        else:
            self._paint_table(painter, lod)

    def _paint_table(self, painter: QPainter, lod: float) -> None:
        table = self.box.table
        assert table is not None  # a table box always has its table
        body = self._body
        f = fonts()
        dashed = table.kind != "table"  # a view (or virtual table): no rows of its own
        if lod < COLUMNS_BELOW:
            # Zoomed out: a tinted box and the name only, as large as the box allows (columns would be
            # unreadable anyway); it may spill past the box a little rather than shrink to nothing.
            tint = QColor(self.colour)
            tint.setAlpha(60)
            painter.setPen(QPen(self.colour, 2.0, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine))
            painter.setBrush(QBrush(LINK_FILL if table.is_link else BOX_FILL))
            painter.drawRoundedRect(body, 4, 4)
            painter.setBrush(tint)
            painter.drawRoundedRect(body, 4, 4)
            title = self._title()
            fit = (body.width() * 1.3) / max(1.0, f.name_metrics.horizontalAdvance(title))
            grow = max(1.0, min(fit, COLUMNS_BELOW / max(lod, 0.01), 3.0))
            big = QFont(f.name)
            big.setPointSizeF(f.name.pointSizeF() * grow)
            painter.setFont(big)
            room = body.adjusted(-body.width() * 0.2, 0, body.width() * 0.2, 0)
            text = QFontMetricsF(big).elidedText(title, Qt.TextElideMode.ElideRight, room.width())
            painter.setPen(style.TEXT)
            painter.drawText(room, Qt.AlignmentFlag.AlignCenter, text)
            return
        pen = QPen(BOX_LINE, 1.2, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        painter.setPen(pen)
        painter.setBrush(QBrush(LINK_FILL if table.is_link else BOX_FILL))
        painter.drawRoundedRect(body, 4, 4)
        header = QRectF(body.left(), body.top(), body.width(), HEADER)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colour)
        painter.drawRoundedRect(header, 4, 4)
        painter.drawRect(header.adjusted(0, HEADER / 2, 0, 0))  # square corners under the header
        text_colour = style.text_on(self.colour)
        painter.setFont(f.name)
        painter.setPen(text_colour)
        title = f.name_metrics.elidedText(self._title(), Qt.TextElideMode.ElideRight, body.width() - 2 * PAD)
        painter.drawText(header.adjusted(PAD, 0, -PAD, 0), Qt.AlignmentFlag.AlignVCenter, title)
        painter.setFont(f.column)
        top = body.top() + HEADER + 3
        for column in table.rows(self.mode):
            row = QRectF(body.left() + PAD, top, body.width() - 2 * PAD, ROW)
            mark = "PK" if column.primary else "FK" if column.foreign else ""
            painter.setPen(KEY if column.primary else FOREIGN)
            painter.drawText(row, Qt.AlignmentFlag.AlignVCenter, mark)
            painter.setPen(style.TEXT)
            name_room = row.adjusted(22, 0, 0, 0)
            # The type gets what the name leaves (at least a third of the row): both are worth reading.
            name_width = f.column_metrics.horizontalAdvance(column.name)
            type_room = max(name_room.width() / 3, name_room.width() - name_width - 8)
            label = f.column_metrics.elidedText(
                column.name, Qt.TextElideMode.ElideRight, name_room.width() - type_room - 4
            )
            painter.drawText(name_room, Qt.AlignmentFlag.AlignVCenter, label)
            painter.setPen(MUTED)
            kind = f.column_metrics.elidedText(column.type, Qt.TextElideMode.ElideRight, type_room)
            painter.drawText(name_room, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, kind)
            top += ROW

    def _title(self) -> str:
        table = self.box.table
        tags = " (link)" if table is not None and table.is_link else ""
        return f"{self.box.label}{tags}"

    def _paint_cluster(self, painter: QPainter, lod: float) -> None:
        body = self._body
        f = fonts()
        painter.setPen(QPen(self.colour, 2.5))
        painter.setBrush(CLUSTER_FILL)
        painter.drawRoundedRect(body, 10, 10)
        # Zoomed out, names grow to stay readable, as far as the box is wide.
        fit = body.width() * 0.92 / max(1.0, f.name_metrics.horizontalAdvance(self.box.label) * 1.15)
        grow = max(min(1.0, fit), min(2.4, fit, max(1.0, 0.7 / max(lod, 0.01))))
        name = QFont(f.name)
        name.setPointSizeF(f.name.pointSizeF() * 1.15 * grow)
        count = QFont(f.small)
        count.setPointSizeF(f.small.pointSizeF() * grow)
        upper = QRectF(body.left() - body.width() * 0.3, body.top(), body.width() * 1.6, body.height() * 0.55)
        lower = QRectF(upper.left(), upper.bottom(), upper.width(), body.height() * 0.45)
        painter.setFont(name)
        painter.setPen(style.TEXT)
        painter.drawText(upper, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, self.box.label)
        painter.setFont(count)
        painter.setPen(MUTED)
        text = f"{len(self.box.members):,} tables"
        if self.box.links:
            text += f" · {self.box.links} link"
        painter.drawText(lower, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)


def _tooltip(box: ErNode) -> str:
    if box.kind == "cluster":
        shown = ", ".join(box.members[:8]) + (", …" if len(box.members) > 8 else "")
        return f"{box.label}: {len(box.members):,} tables\n{shown}\nDouble-click to see its tables"
    table = box.table
    assert table is not None
    kind = "link table" if table.is_link else table.kind
    keys = ", ".join(c.name for c in table.key_columns) or "no key columns"
    return f"{table.name} ({kind}, {len(table.columns)} columns)\nKeys: {keys}\nDouble-click to open it"
