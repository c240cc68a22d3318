"""The schema view (Tools → Schema Diagram): the reference schema drawn whole, a double-click on a table
opens its editor; a 150-table reflected schema opens as clusters, a double-click drills into one and Back
returns; a table + N hops and the shortest path from the toolbar."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from gui.editor.view import TableEditor
from gui.graph.er_panel import ErPanel
from gui.main_window import MainWindow
from gui.runtime import workers
from tests.fixtures.editing import open_window


def open_schema(qtbot: QtBot, window: MainWindow) -> ErPanel:
    window.menus.schema_action.trigger()
    panel = window.tabs.currentWidget()
    assert isinstance(panel, ErPanel)
    qtbot.waitUntil(lambda: panel.diagram is not None and panel.er is not None, timeout=15_000)
    return panel


def shown(qtbot: QtBot, panel: ErPanel, kind: str) -> None:
    """Wait until the view shows a diagram of `kind` ("tables" or a cluster method) and nothing runs."""
    qtbot.waitUntil(lambda: panel.diagram is not None and (panel.diagram.method == kind), timeout=15_000)
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)


def double_click(qtbot: QtBot, panel: ErPanel, node_id: str) -> None:
    item = panel.scene.items_by_id[node_id]
    panel.view.centre_on_node(node_id)
    spot: QPoint = panel.view.mapFromScene(item.scenePos())
    qtbot.mouseDClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=spot)


def test_reference_schema_drawn_and_a_table_opens(qtbot: QtBot, demo_copy_path: str) -> None:
    window = open_window(qtbot, demo_copy_path)
    panel = open_schema(qtbot, window)
    shown(qtbot, panel, "tables")
    catalog = window.open_db.catalog
    assert catalog is not None and panel.diagram is not None
    assert {n.id for n in panel.diagram.nodes} == set(catalog.entities)
    assert panel.scene.box("location_connections").box.table.is_link  # type: ignore[union-attr]
    assert "Double-click a table" in panel.message.text()
    image = panel.view.grab().toImage()
    colours = {
        image.pixelColor(x, y).name() for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours - {QColor(Qt.GlobalColor.white).name()}) > 5  # boxes were painted
    double_click(qtbot, panel, "orders")
    qtbot.waitUntil(lambda: isinstance(window.tabs.currentWidget(), TableEditor), timeout=10_000)
    editor = window.tabs.currentWidget()
    assert isinstance(editor, TableEditor) and editor.entity.name == "orders"


def big_schema(path: Path) -> str:
    """150 tables in five name prefixes, each referring to an earlier one of its prefix and to table 0."""
    con = sqlite3.connect(path)
    prefixes = ["sales", "stock", "staff", "site", "spend"]
    names = [f"{prefixes[i % 5]}_{i:03d}" for i in range(150)]
    for i, name in enumerate(names):
        refs = [j for j in {i - 5, 0} if 0 <= j < i]
        cols = ["id INTEGER PRIMARY KEY", "title TEXT"] + [
            f"{names[j]}_id INTEGER REFERENCES {names[j]}(id)" for j in refs
        ]
        con.execute(f"CREATE TABLE {name} ({', '.join(cols)})")
    con.commit()
    con.close()
    return str(path)


def test_clusters_drill_in_and_back(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, big_schema(tmp_path / "big.db"))
    panel = open_schema(qtbot, window)
    shown(qtbot, panel, "prefix")
    assert panel.diagram is not None
    assert sorted(n.label for n in panel.diagram.nodes) == ["sales", "site", "spend", "staff", "stock"]
    assert "Double-click a cluster" in panel.message.text()
    double_click(qtbot, panel, "cluster:stock")
    shown(qtbot, panel, "tables")
    assert {n.id for n in panel.diagram.nodes} == {f"stock_{i:03d}" for i in range(1, 150, 5)}
    assert len(panel.diagram.links) == 29  # each stock table refers to the one five before it
    panel.back_action.trigger()
    shown(qtbot, panel, "prefix")
    # A table and one hop: stock_011 refers to stock_006 and sales_000; stock_016 refers to it.
    panel.table_box.setCurrentText("stock_011")
    next(a for a in panel.toolbar.actions() if a.text() == "Show").trigger()
    shown(qtbot, panel, "tables")
    assert {n.id for n in panel.diagram.nodes} == {"stock_011", "stock_006", "stock_016", "sales_000"}
    # Between two tables of different clusters, the shortest path goes through sales_000 (every table
    # refers to it).
    panel.start_box.setCurrentText("stock_016")
    panel.end_box.setCurrentText("staff_012")
    next(a for a in panel.toolbar.actions() if a.text() == "Find Path").trigger()
    qtbot.waitUntil(lambda: panel.diagram is not None and panel.diagram.title == "stock_016 → staff_012")
    assert [n.id for n in panel.diagram.nodes] == ["stock_016", "sales_000", "staff_012"]
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)


def test_a_saved_view_keeps_a_moved_box(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path / "data"))
    window = open_window(qtbot, big_schema(tmp_path / "big.db"))
    panel = open_schema(qtbot, window)
    shown(qtbot, panel, "prefix")
    double_click(qtbot, panel, "cluster:site")
    shown(qtbot, panel, "tables")
    item = panel.scene.items_by_id["site_003"]
    item.setPos(item.pos().x() - 700, item.pos().y() + 50)  # where a drag would leave it
    moved = (item.pos().x(), item.pos().y())
    with qtbot.waitSignal(panel.view_saved, timeout=10_000):
        panel.save_view("Sites")
    assert list((tmp_path / "data" / "schema_views").glob("*/*.json"))
    panel.show_request(("overview", None))
    shown(qtbot, panel, "prefix")
    panel._fill_views_menu()
    assert [a.text() for a in panel.views_menu.actions()][-1] == "Sites"
    panel.views_menu.actions()[-1].trigger()
    qtbot.waitUntil(lambda: panel.diagram is not None and panel.diagram.method == "tables", timeout=10_000)
    assert panel.diagram is not None
    assert panel.diagram.positions["site_003"] == pytest.approx(moved, abs=0.1)  # saved to 0.1 px
    assert panel.message.text().startswith("Sites:")
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)
