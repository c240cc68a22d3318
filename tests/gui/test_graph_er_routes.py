"""The schema view draws its foreign keys as right-angle routes (every drawn segment axis-aligned), a
"Straight Lines" toggle switches to straight lines and back, and a dragged box is routed again."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF
from pytestqt.qtbot import QtBot

from core.graph.er_routes import is_orthogonal
from gui.graph.er_panel import ErPanel
from gui.runtime import workers
from tests.fixtures.editing import open_window
from tests.gui.test_graph_er import big_schema


def test_er_lines_are_orthogonal_with_a_straight_option(qtbot: QtBot, demo_copy_path: str) -> None:
    window = open_window(qtbot, demo_copy_path)
    window.menus.schema_action.trigger()
    panel = window.tabs.currentWidget()
    assert isinstance(panel, ErPanel)
    qtbot.waitUntil(lambda: panel.diagram is not None and panel.er is not None, timeout=15_000)
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)
    scene = panel.scene
    assert scene.orthogonal and scene.routes.isVisible() and not scene.edges.isVisible()
    routes = scene.routes.routes
    assert len(routes) == len(scene.edge_list) > 20
    assert all(is_orthogonal(r) and len(r) >= 2 for r in routes)
    assert any(len(r) == 4 for r in routes)  # bends, not straight diagonals
    # A line's tooltip is found along its route
    i = next(k for k, r in enumerate(routes) if len(r) == 4)
    (ax, ay), (bx, by) = routes[i][1], routes[i][2]
    assert scene.edge_at(QPointF((ax + bx) / 2, (ay + by) / 2), 3) == scene.edge_list[i]
    # Straight lines, and back
    panel.straight_action.trigger()
    assert not scene.orthogonal and scene.edges.isVisible() and not scene.routes.isVisible()
    panel.straight_action.trigger()
    assert scene.orthogonal and scene.routes.isVisible()
    # Moving a box routes its lines again from where it is now
    edge = scene.edge_list[i]
    box = scene.items_by_id[edge.source]
    box.setPos(box.pos() + QPointF(0, 400))
    scene.reroute()
    moved = scene.routes.routes[i]
    w, h = box.box.size
    x, y = moved[0]
    assert is_orthogonal(moved)
    assert abs(x - box.pos().x()) <= w / 2 + 0.01 and abs(y - box.pos().y()) <= h / 2 + 0.01
    image = panel.view.grab()
    assert not image.isNull()


def test_the_cluster_overview_keeps_straight_lines(qtbot: QtBot, tmp_path: Path) -> None:
    """Clusters are laid out by force, not in layers: their lines stay straight (the toggle is for tables)."""
    window = open_window(qtbot, big_schema(tmp_path / "big.db"))
    window.menus.schema_action.trigger()
    panel = window.tabs.currentWidget()
    assert isinstance(panel, ErPanel)
    qtbot.waitUntil(lambda: panel.diagram is not None, timeout=15_000)
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)
    diagram = panel.diagram
    assert diagram is not None and any(n.kind == "cluster" for n in diagram.nodes)
    assert panel.scene.orthogonal and not panel.scene.routed
    assert panel.scene.edges.isVisible() and not panel.scene.routes.isVisible()
