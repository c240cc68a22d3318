"""An edge's label is drawn whole, whatever the edge's slope or length."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from gui.graph.items import EdgeLayer, EdgeLook, fonts

LABEL = "deleting · east · road · 41"


def test_an_upright_edges_label_lies_inside_what_is_painted(qtbot: QtBot) -> None:
    """A short upright edge (a staged link between two stacked records) with a long label: the label reaches
    well past the line left and right. A view repaints an item only within its bounds, so the bounds must
    hold the whole label; they held the lines' box, and the label showed as "ng · east · roa"."""
    layer = EdgeLayer()
    look = EdgeLook(QColor("#c62828"), head=True, tail=False, label=LABEL)
    layer.set_edges([("a", "b")], [look], [(0.0, 0.0)], {"a": (0.0, 0.0), "b": (0.0, 120.0)}, [True])
    half = fonts().edge_metrics.horizontalAdvance(LABEL) / 2 + 3  # as _paint_labels draws its box
    label = QRectF(QPointF(-half, 50), QPointF(half, 70))  # around the edge's middle (0, 60)
    assert layer.boundingRect().contains(label)
    layer.move_node("b", (300.0, 0.0))  # dragged level with the other: the label stays inside as well
    assert layer.boundingRect().contains(label.translated(150, -60))
