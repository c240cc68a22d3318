"""The record graph panel on the real demo database: showing a neighbourhood, expanding (a node and an
aggregate) through workers, collapsing, dragging and pinning, level of detail, export, and no query on the
GUI thread."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from core.graph.layout_store import load_layout
from core.graph.neighbourhood import neighbourhood
from gui.graph import style
from gui.graph.items import NodeItem
from gui.graph.panel import GraphPanel
from gui.runtime import workers
from tests.fixtures.demo import Demo
from tests.fixtures.graph_panel import busiest_location, panel, show_busiest_location, shown
from tests.fixtures.threads import statement_threads

__all__ = ["panel"]  # the fixture, taken from the module that makes it


def double_click(qtbot: QtBot, panel: GraphPanel, node_id: str) -> None:
    """Double-click a node where the view shows it (centring it first)."""
    panel.view.centre_on_node(node_id)
    item = panel.scene.items_by_id[node_id]
    where = panel.view.mapFromScene(item.scenePos())
    QTest.mouseDClick(panel.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)


def test_a_locations_neighbourhood_is_shown(qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo) -> None:
    """The panel shows the record's neighbourhood: the same nodes as core reads, one item each, its NPCs
    among them (checked with hand-written SQL), positions for all, and the legend lists their entities."""
    db, catalog = sqlite_demo_copy
    location, npc_count = busiest_location(db)
    shown(qtbot, panel, lambda: panel.show_record("locations", {"id": location}))
    expected = neighbourhood(db, catalog, "locations", {"id": location}, depth=1, cap=50)
    assert {n.id for n in panel.document.hood.nodes} == {n.id for n in expected.nodes}
    assert set(panel.scene.items_by_id) == {n.id for n in expected.nodes}
    assert set(panel.document.positions) == set(panel.scene.items_by_id)
    npcs = [n for n in panel.document.hood.nodes if n.entity == "npcs"]
    assert len(npcs) == npc_count
    assert panel.document.start is not None and panel.document.start.startswith("locations:")
    legend = panel.details.legend.text()
    assert "npcs" in legend and "locations" in legend
    assert panel.details.title.text()  # the start record is selected and its fields are loading or shown
    qtbot.waitUntil(lambda: panel.details.fields.rowCount() > 0, timeout=10_000)
    fields = panel.details.fields
    cells = [(fields.item(r, 0), fields.item(r, 1)) for r in range(fields.rowCount())]
    shown_as = {name.text(): value.text() for name, value in cells if name is not None and value is not None}
    state = json.loads(shown_as["state_json"])  # JSON as JSON (Python's repr would say True and 'lit')
    assert isinstance(state, dict) and state


def test_double_click_expands_through_a_worker_and_keeps_positions(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    """Double-clicking a neighbour adds its own neighbours; every node already shown stays where it was;
    every statement of it ran on a worker thread."""
    db, _catalog = sqlite_demo_copy
    location, _ = busiest_location(db)
    with statement_threads(db.engine) as threads:
        shown(qtbot, panel, lambda: panel.show_record("locations", {"id": location}))
        before = dict(panel.document.positions)
        region = next(n.id for n in panel.document.hood.nodes if n.entity == "regions")
        shown(qtbot, panel, lambda: double_click(qtbot, panel, region))
    after = panel.document.positions
    assert len(after) > len(before), "the region's other locations joined the graph"
    assert all(after[n] == p for n, p in before.items())
    assert set(panel.scene.items_by_id) == set(after)
    assert threads and threading.main_thread().ident not in threads


def test_an_aggregate_node_is_drawn_and_pages_in_more(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    """With a cap below a location's NPC count, the rest is one aggregate node; expanding it shows more."""
    db, _catalog = sqlite_demo_copy
    location, npc_count = busiest_location(db)
    cap = max(1, npc_count // 2)
    panel.cap_box.setMinimum(1)
    panel.cap_box.setValue(cap)
    shown(qtbot, panel, lambda: panel.show_record("locations", {"id": location}))
    aggregates = [n for n in panel.document.hood.nodes if n.aggregate and n.entity == "npcs"]
    assert len(aggregates) == 1 and aggregates[0].count == npc_count - cap
    item = panel.scene.items_by_id[aggregates[0].id]
    assert item.text == f"+{npc_count - cap:,} npcs"
    shown(qtbot, panel, lambda: double_click(qtbot, panel, aggregates[0].id))
    npcs = [n for n in panel.document.hood.nodes if n.entity == "npcs" and not n.aggregate]
    assert len(npcs) == min(npc_count, 2 * cap)


def test_collapse_hides_what_hangs_off_a_node_and_expand_brings_it_back(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    db, _catalog = sqlite_demo_copy
    show_busiest_location(qtbot, panel, db)
    region = next(n.id for n in panel.document.hood.nodes if n.entity == "regions")
    shown(qtbot, panel, lambda: panel.expand(region))
    grown = set(panel.scene.items_by_id)
    hanging = panel.document.collapsible(region)
    assert hanging
    shown(qtbot, panel, lambda: panel.collapse(region))
    assert set(panel.scene.items_by_id) == grown - hanging
    shown(qtbot, panel, lambda: panel.expand(region))
    assert set(panel.scene.items_by_id) == grown


def test_a_dragged_node_stays_pinned_and_its_place_is_remembered(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    """A node dragged with the mouse stays there through an expansion and when the graph is opened again."""
    db, _catalog = sqlite_demo_copy
    location = show_busiest_location(qtbot, panel, db)
    npc = next(n.id for n in panel.document.hood.nodes if n.entity == "npcs")
    panel.view.centre_on_node(npc)
    item = panel.scene.items_by_id[npc]
    start = panel.view.mapFromScene(item.scenePos())
    viewport = panel.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 6):
        QTest.mouseMove(viewport, start + QPoint(12 * step, 8 * step))
    QTest.mouseRelease(
        viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(60, 40)
    )
    assert npc in panel.document.pinned and item.pinned
    moved = panel.document.positions[npc]
    assert moved == (item.pos().x(), item.pos().y()) and moved != (0.0, 0.0)
    region = next(n.id for n in panel.document.hood.nodes if n.entity == "regions")
    shown(qtbot, panel, lambda: panel.expand(region))
    assert panel.document.positions[npc] == moved
    qtbot.waitUntil(lambda: workers.pending_count() == 0)
    saved = load_layout(db.display_url, panel.document.start or "")
    assert npc in saved.pinned and saved.positions[npc] == pytest.approx(moved, abs=0.1)
    shown(qtbot, panel, lambda: panel.show_record("locations", {"id": location}))
    assert panel.document.positions[npc] == pytest.approx(moved, abs=0.1)
    assert npc in panel.document.pinned


def test_zoomed_far_out_labels_go_and_dots_stand_for_nodes(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    """Level of detail: far out, node items (labels, letters) are hidden and a dot layer draws the nodes;
    close in, the items and their labels are back."""
    db, _catalog = sqlite_demo_copy
    show_busiest_location(qtbot, panel, db)
    panel.view.set_zoom(1.0)
    assert panel.scene.labels_shown and not panel.scene.dots_mode
    assert panel.scene.group.isVisible() and not panel.scene.dots.isVisible()
    far = render(panel)
    panel.view.set_zoom(0.1)
    assert not panel.scene.labels_shown and panel.scene.dots_mode
    assert not panel.scene.group.isVisible() and panel.scene.dots.isVisible()
    item = next(iter(panel.scene.items_by_id.values()))
    assert isinstance(item, NodeItem) and not item.isVisibleTo(None)  # not painted: its parent is hidden
    assert render(panel) != far  # the dots are drawn (the picture changed, and is not empty)
    assert not render(panel).isNull()
    panel.view.set_zoom((style.DOTS_BELOW + style.LABELS_BELOW) / 2)
    assert not panel.scene.labels_shown and not panel.scene.dots_mode  # circles and letters, no labels


def render(panel: GraphPanel) -> QImage:
    image = QImage(panel.view.viewport().size(), QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    panel.view.viewport().render(image)
    return image


def test_export_writes_png_and_svg(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo, tmp_path: Path
) -> None:
    db, _catalog = sqlite_demo_copy
    show_busiest_location(qtbot, panel, db)
    assert panel.export(tmp_path / "graph.png") and panel.export(tmp_path / "graph.svg")
    image = QImage(str(tmp_path / "graph.png"))
    assert image.width() == 2 * panel.view.viewport().width()
    svg = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "Warden record graph" in svg
    assert not panel.export(tmp_path / "missing" / "graph.png")
    assert "missing" not in panel.message.text() and "graph.png" in panel.message.text()


def test_find_marks_nodes_by_label(qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo) -> None:
    db, _catalog = sqlite_demo_copy
    show_busiest_location(qtbot, panel, db)
    npc = next(n for n in panel.document.hood.nodes if n.entity == "npcs")
    panel.find_box.setText(npc.label[:5])
    assert panel.scene.items_by_id[npc.id].found
    QTest.keyClick(panel.find_box, Qt.Key.Key_Return)
    assert panel.details.node is not None and panel.details.node.label.casefold().startswith(
        npc.label[:5].casefold()
    )
    panel.find_box.clear()
    assert not any(item.found for item in panel.scene.items_by_id.values())


def test_filters_hide_an_entity_and_its_edges(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    db, _catalog = sqlite_demo_copy
    show_busiest_location(qtbot, panel, db)
    panel.scene.set_filters({"npcs"}, set())
    npc_items = [i for i in panel.scene.items_by_id.values() if i.node.entity == "npcs"]
    assert npc_items and not any(i.isVisible() for i in npc_items)
    assert all(i.isVisible() for i in panel.scene.items_by_id.values() if i.node.entity != "npcs")


def test_an_edge_tells_its_type_and_attributes(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    """Hovering a link edge tells its table and its row's columns; a hidden edge type tells nothing."""
    db, _catalog = sqlite_demo_copy
    show_busiest_location(qtbot, panel, db)
    link = next(e for e in panel.scene.edge_list if e.via == "location_connections")
    (x1, y1), (x2, y2) = panel.document.positions[link.source], panel.document.positions[link.target]
    middle = QPointF((x1 + x2) / 2, (y1 + y2) / 2)
    tip = panel.scene.edge_tip_at(middle, 3.0)
    assert tip.startswith("location_connections") and "direction" in tip
    panel.scene.set_filters(set(), {"location_connections"})
    assert not panel.scene.edge_tip_at(middle, 3.0).startswith("location_connections")


def test_a_graph_of_the_previous_database_never_arrives(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo, sqlite_db: Any
) -> None:
    """Another database opened while a graph loads: the old graph is dropped, the panel is empty and idle."""
    db, _catalog = sqlite_demo_copy
    location, _ = busiest_location(db)
    panel.show_record("locations", {"id": location})
    panel.open_db.set_database(sqlite_db)
    qtbot.waitUntil(
        lambda: workers.pending_count() == 0 and panel.open_db.catalog is not None, timeout=20_000
    )
    assert not panel.document.hood.nodes and not panel.scene.items_by_id and not panel.busy


def test_hovering_a_node_previews_its_row(qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo) -> None:
    """The mouse resting on a record's node reads its row on a worker; the node's tooltip shows its fields."""
    db, _catalog = sqlite_demo_copy
    show_busiest_location(qtbot, panel, db)
    npc = next(n.id for n in panel.document.hood.nodes if n.entity == "npcs")
    item = panel.scene.items_by_id[npc]
    assert "npc_type" not in item.toolTip()
    panel.view.centre_on_node(npc)
    with statement_threads(db.engine) as threads:
        QTest.mouseMove(panel.view.viewport(), panel.view.mapFromScene(item.scenePos()))
        qtbot.waitUntil(lambda: "npc_type:" in item.toolTip(), timeout=10_000)
    assert item.toolTip().startswith(item.node.label)
    assert threads and threading.main_thread().ident not in threads
