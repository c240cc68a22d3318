"""Editing links in the graph panel on the real demo database: Shift-drag between two locations opens the
new connection's form and stages one edge; undo and redo; Save writes exactly one valid row through core's
audited save (on both backends); deleting an edge asks first (one question for several), then deletes its
row; a bad drag is refused with a message; a read-only database starts no drag and disables the menu items
and Del with the reason; the GUI thread never queries; a save refreshes the open table editor of the link
table."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from core.audit.log import EntryFilter, list_entries
from core.engine.db import Database, open_database
from core.graph.model import GraphEdge
from core.graph.neighbourhood import edge_identity, node_id
from gui.graph import style
from gui.graph.panel import GraphPanel
from gui.graph.unlink_prompt import UnlinkPrompt
from gui.runtime import workers
from tests.fixtures.demo import Demo
from tests.fixtures.editing import open_editor, open_window
from tests.fixtures.graph_panel import make_panel, shown
from tests.fixtures.threads import statement_threads


def uid(value: Any) -> str:
    return str(uuid.UUID(str(value)))


def bind(db: Database, value: str) -> Any:
    return uuid.UUID(value).hex if db.backend == "sqlite" else uuid.UUID(value)


def scalar(db: Database, sql: str, **params: Any) -> Any:
    with db.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


@pytest.fixture
def panel(qtbot: QtBot, demo_copy: Demo) -> Iterator[GraphPanel]:
    """A shown graph panel on a copy of the demo database (SQLite and PostgreSQL)."""
    shown = make_panel(qtbot, demo_copy[0])
    yield shown
    workers.wait_idle()


def a_region_with_unlinked_locations(db: Database) -> tuple[str, str]:
    """Two locations of one region with no connection between them either way (hand-written SQL)."""
    sql = """SELECT a.id, b.id FROM locations a JOIN locations b ON a.region_id = b.region_id AND a.id < b.id
        WHERE NOT EXISTS (SELECT 1 FROM location_connections c
            WHERE (c.source_location_id = a.id AND c.target_location_id = b.id)
               OR (c.source_location_id = b.id AND c.target_location_id = a.id))
        ORDER BY a.id, b.id LIMIT 1"""
    with db.engine.connect() as conn:
        a, b = conn.execute(sa.text(sql)).one()
    return uid(a), uid(b)


def where(panel: GraphPanel, node: str) -> Any:
    item = panel.scene.items_by_id[node]
    return panel.view.mapFromScene(item.scenePos())


def shift_drag(panel: GraphPanel, source: str, target: str) -> None:
    """Shift-drag from one node to another, as a person does."""
    panel.view.fit()
    shift = Qt.KeyboardModifier.ShiftModifier
    viewport = panel.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, shift, where(panel, source))
    QTest.mouseMove(viewport, where(panel, target))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, shift, where(panel, target))


def two_locations_shown(qtbot: QtBot, panel: GraphPanel, db: Database) -> tuple[str, str]:
    """The graph of a location at depth 2 (its region's other locations among them); two unlinked ones."""
    a, b = a_region_with_unlinked_locations(db)
    panel.depth_box.blockSignals(True)
    panel.depth_box.setValue(2)
    panel.depth_box.blockSignals(False)
    panel.cap_box.setValue(1000)
    shown(qtbot, panel, lambda: panel.show_record("locations", {"id": a}))
    source, target = node_id("locations", (a,)), node_id("locations", (b,))
    assert source in panel.scene.items_by_id and target in panel.scene.items_by_id
    return source, target


def connections(db: Database, a: str, b: str) -> list[tuple[Any, ...]]:
    sql = """SELECT direction, connection_type, travel_minutes FROM location_connections
        WHERE source_location_id = :a AND target_location_id = :b"""
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), {"a": bind(db, a), "b": bind(db, b)})]


def test_drag_to_connect_stages_undoes_and_saves_one_audited_connection(
    qtbot: QtBot, panel: GraphPanel, demo_copy: Demo
) -> None:
    db, catalog = demo_copy
    source, target = two_locations_shown(qtbot, panel, db)
    a, b = (panel.document.nodes[n].key[0] for n in (source, target))  # type: ignore[index]
    before = scalar(db, "SELECT count(*) FROM location_connections")
    shift_drag(panel, source, target)
    form = panel.links.form
    assert form is not None and form.isVisible()
    assert not form.ok.isEnabled() and "direction" in form.note.text()  # required ones are asked
    assert form.values()["travel_minutes"] == 5 and form.values()["is_bidirectional"] is True  # defaults
    form.set_value("direction", "east")
    form.set_value("connection_type", "bridge")
    assert form.ok.isEnabled()
    form.ok.click()
    assert panel.links.staged_count == 1 and panel.links.bar.isVisible()
    assert panel.links.bar_label.text() == "1 unsaved link change"
    (new,) = panel.scene.staged_new
    assert (new.source, new.target, new.via) == (source, target, "location_connections")
    assert new in panel.scene.edge_list  # drawn
    # Undo and redo (Ctrl+Z, Ctrl+Shift+Z / Ctrl+Y on the panel)
    panel.view.setFocus()
    QTest.keySequence(panel.view, QKeySequence(QKeySequence.StandardKey.Undo))
    assert panel.links.staged_count == 0 and not panel.links.bar.isVisible() and not panel.scene.staged_new
    QTest.keySequence(panel.view, QKeySequence(QKeySequence.StandardKey.Redo))
    assert panel.links.staged_count == 1
    assert scalar(db, "SELECT count(*) FROM location_connections") == before  # nothing written yet
    with (
        statement_threads(db.engine) as threads,
        qtbot.waitSignal(panel.links_saved, timeout=20_000) as saved,
    ):
        panel.links.save_button.click()
    assert saved.args == [["location_connections"]]
    assert threading.get_ident() not in threads  # the GUI thread never queried
    assert connections(db, a, b) == [("east", "bridge", 5)]
    assert scalar(db, "SELECT count(*) FROM location_connections") == before + 1
    assert panel.links.staged_count == 0 and not panel.links.bar.isVisible()
    (edge,) = [e for e in panel.document.hood.edges if (e.source, e.target) == (source, target)]
    assert edge.attributes["direction"] == "east" and "id" in edge.attributes
    (entry,) = list_entries(db, catalog, EntryFilter(entity="location_connections"), limit=1)
    assert entry.kind == "insert" and entry.key == {"id": uid(edge.attributes["id"])}
    # The saved edge can be deleted again at once (its key and version came back from the save)
    panel.links.delete_edge(edge)
    with qtbot.waitSignal(panel.links_saved, timeout=20_000):
        panel.links.save()
    assert connections(db, a, b) == []


def edge_middle(panel: GraphPanel, edge: GraphEdge) -> QPoint:
    """Where a click picks `edge` (the middle of its line), in viewport coordinates."""
    ends = [panel.scene.items_by_id[n].scenePos() for n in (edge.source, edge.target)]
    return panel.view.mapFromScene((ends[0] + ends[1]) / 2)


def pickable_links(panel: GraphPanel) -> list[GraphEdge]:
    """The shown location_connections edges a click on their middle picks (no node or other edge there)."""
    found = []
    for edge in panel.scene.edge_list:
        if edge.via != "location_connections":
            continue
        point = panel.view.mapToScene(edge_middle(panel, edge))
        if panel.scene.node_at(point) is None and panel.scene.edge_at(point, 6 / panel.view.zoom) == edge:
            found.append(edge)
    return found


def click_edge(panel: GraphPanel, edge: GraphEdge, *, ctrl: bool = False) -> None:
    modifier = Qt.KeyboardModifier.ControlModifier if ctrl else Qt.KeyboardModifier.NoModifier
    QTest.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, modifier, edge_middle(panel, edge))


def open_prompt(qtbot: QtBot, panel: GraphPanel) -> UnlinkPrompt:
    """The "Delete the link …?" question, once it shows."""
    qtbot.waitUntil(lambda: panel.links.prompt is not None and panel.links.prompt.isVisible(), timeout=5_000)
    prompt = panel.links.prompt
    assert prompt is not None
    return prompt


def press_del(panel: GraphPanel) -> None:
    panel.view.setFocus()
    QTest.keyClick(panel.view, Qt.Key.Key_Delete)


def test_deleting_a_selected_edge_with_del_asks_then_deletes_its_row(
    qtbot: QtBot, panel: GraphPanel, demo_copy: Demo
) -> None:
    """Del asks "Delete the link A → B (location_connections)?" with the row's attributes; Cancel changes
    nothing; Delete stages the deletion (drawn as going and unselected, undoable) and Save deletes exactly
    that row."""
    db, _catalog = demo_copy
    start = uid(scalar(db, "SELECT source_location_id FROM location_connections ORDER BY id LIMIT 1"))
    shown(qtbot, panel, lambda: panel.show_record("locations", {"id": start}))
    panel.view.fit()
    edge = pickable_links(panel)[0]
    click_edge(panel, edge)
    assert panel.selected_edge == edge
    row = edge.attributes["id"]
    before = scalar(db, "SELECT count(*) FROM location_connections")
    press_del(panel)
    prompt = open_prompt(qtbot, panel)
    nodes = panel.document.nodes
    ends = f"{nodes[edge.source].label} → {nodes[edge.target].label}"
    assert prompt.text() == f"Delete the link {ends} (location_connections)?"
    assert f"direction: {edge.attributes['direction']}" in prompt.informativeText()
    assert str(row) not in prompt.informativeText()  # ids are bookkeeping, not what a person reads
    assert [b.text() for b in prompt.buttons()].count("Delete") == 1
    prompt.choose(False)  # Cancel changes nothing: nothing staged, the edge still selected
    qtbot.waitUntil(lambda: panel.links.prompt is None)
    assert panel.links.staged_count == 0 and not panel.scene.staged_gone
    assert panel.selected_edge == edge
    press_del(panel)
    open_prompt(qtbot, panel).choose(True)
    assert panel.links.staged_count == 1
    assert edge_identity(edge) in panel.scene.staged_gone  # drawn as going until Save
    assert panel.selected_edges == [] and not panel.scene.selected_edges
    look = panel.scene.edge_looks[panel.scene.edge_list.index(edge)]
    assert look.colour == style.STAGED_GONE
    assert scalar(db, "SELECT count(*) FROM location_connections") == before  # staged, not written
    with qtbot.waitSignal(panel.links_saved, timeout=20_000):
        panel.links.save()
    assert scalar(db, "SELECT count(*) FROM location_connections WHERE id = :i", i=bind(db, row)) == 0
    assert scalar(db, "SELECT count(*) FROM location_connections") == before - 1
    assert all(e.attributes.get("id") != row for e in panel.document.hood.edges)


def test_several_selected_links_are_one_question_and_one_undo_step(
    qtbot: QtBot, panel: GraphPanel, demo_copy: Demo
) -> None:
    """Ctrl+click selects more links; Del asks once ("Delete 2 links?", each named); Delete stages both as
    one undo step; the edge menu of a selected link offers the same for all of them."""
    db, _catalog = demo_copy
    start = uid(
        scalar(
            db,
            """SELECT source_location_id FROM location_connections GROUP BY source_location_id
            HAVING count(*) >= 2 ORDER BY source_location_id LIMIT 1""",
        )
    )
    shown(qtbot, panel, lambda: panel.show_record("locations", {"id": start}))
    panel.view.fit()
    first, second = pickable_links(panel)[:2]
    click_edge(panel, first)
    click_edge(panel, second, ctrl=True)
    assert panel.selected_edges == [first, second]
    assert panel.scene.selected_edges == {edge_identity(first), edge_identity(second)}
    menu = panel.links.edge_menu(second, selection=panel.selected_edges)
    (action,) = [a for a in menu.actions() if a.objectName() == "graphDeleteEdge"]
    assert action.text() == "Delete 2 Links…" and action.isEnabled()
    action.trigger()
    prompt = open_prompt(qtbot, panel)
    assert prompt.text() == "Delete 2 links?"
    nodes = panel.document.nodes
    for edge in (first, second):
        ends = f"{nodes[edge.source].label} → {nodes[edge.target].label} (location_connections)"
        assert ends in prompt.informativeText()
    prompt.choose(False)
    qtbot.waitUntil(lambda: panel.links.prompt is None)
    assert panel.links.staged_count == 0
    press_del(panel)
    prompt = open_prompt(qtbot, panel)
    assert prompt.text() == "Delete 2 links?"
    prompt.choose(True)
    assert panel.links.staged_count == 2
    assert {edge_identity(first), edge_identity(second)} <= panel.scene.staged_gone
    panel.view.setFocus()
    QTest.keySequence(panel.view, QKeySequence(QKeySequence.StandardKey.Undo))  # one step takes both back
    assert panel.links.staged_count == 0 and not panel.scene.staged_gone


def test_a_bad_drag_is_refused_with_a_message(qtbot: QtBot, panel: GraphPanel, demo_copy: Demo) -> None:
    """From a location to one of its NPCs: the NPC refers to its location, so the drag goes the other way."""
    db, _catalog = demo_copy
    location = uid(
        scalar(db, "SELECT location_id FROM npcs WHERE location_id IS NOT NULL ORDER BY id LIMIT 1")
    )
    shown(qtbot, panel, lambda: panel.show_record("locations", {"id": location}))
    npc = next(n for n in panel.document.hood.nodes if n.entity == "npcs")
    with qtbot.waitSignal(panel.failed, timeout=5_000) as failed:
        shift_drag(panel, node_id("locations", (location,)), npc.id)
    assert "drag from the npcs node" in failed.args[0]
    assert panel.links.staged_count == 0 and panel.links.form is None
    # The right way round sets the NPC's location (read first, on a worker), staged
    panel.links.connect_nodes(npc.id, node_id("locations", (location,)))
    qtbot.waitUntil(lambda: panel.links.staged_count == 1, timeout=10_000)


def test_read_only_starts_no_drag_and_disables_link_menus(
    qtbot: QtBot, sqlite_demo_copy: Demo, demo_copy_path: str
) -> None:
    _db, _catalog = sqlite_demo_copy
    db = open_database(demo_copy_path, read_only=True)
    writable: Database | None = None
    try:
        panel = make_panel(qtbot, db)
        start = uid(scalar(db, "SELECT source_location_id FROM location_connections ORDER BY id LIMIT 1"))
        shown(qtbot, panel, lambda: panel.show_record("locations", {"id": start}))
        assert not panel.scene.link_allowed()
        edge = next(e for e in panel.scene.edge_list if e.via == "location_connections")
        menu = panel.links.edge_menu(edge)
        (action,) = [a for a in menu.actions() if a.objectName() == "graphDeleteEdge"]
        assert not action.isEnabled() and "read-only" in action.text()
        assert "read-only" in action.toolTip()
        panel.view.fit()
        click_edge(panel, pickable_links(panel)[0])
        assert panel.selected_edge is not None  # selected, but Del is disabled, saying why
        assert not panel.delete_edge_action.isEnabled() and "read-only" in panel.delete_edge_action.toolTip()
        press_del(panel)
        assert panel.links.prompt is None and panel.links.staged_count == 0
        assert panel.message.text() == "Cannot be deleted: the database is open read-only."  # Del says why
        node_menu = panel.node_menu(edge.source)
        (hint,) = [a for a in node_menu.actions() if a.objectName() == "graphLinkHint"]
        assert not hint.isEnabled() and "read-only" in hint.text()
        other = edge.target
        shift_drag(panel, edge.source, other)
        assert panel.links.form is None and panel.links.staged_count == 0
        panel.links.delete_edge(edge)
        assert panel.links.staged_count == 0 and "read-only" in panel.message.text()
        # An unlock reopens the database writable under the same graph: linking works from then on
        writable = open_database(demo_copy_path)
        panel.open_db.swap_database(writable)
        assert panel.scene.link_allowed() and panel.links.edge_reason(edge) is None
        assert panel.delete_edge_action.isEnabled()  # the swap said so: Del follows it
        press_del(panel)  # the edge selected while read-only: Del asks now
        open_prompt(qtbot, panel).choose(False)
        qtbot.waitUntil(lambda: panel.links.prompt is None)
        panel.links.delete_edge(edge)
        assert panel.links.staged_count == 1
        workers.wait_idle()
    finally:
        workers.wait_idle()
        db.dispose()
        if writable is not None:
            writable.dispose()


def test_a_save_refreshes_the_link_tables_open_editor(qtbot: QtBot, demo_copy_path: str) -> None:
    window = open_window(qtbot, demo_copy_path)
    editor = open_editor(qtbot, window, "location_connections")
    rows = editor.model.rowCount()
    db = window.open_db.database
    assert db is not None
    panel = window.show_graph()
    assert isinstance(panel, GraphPanel)
    source, target = two_locations_shown(qtbot, panel, db)
    panel.links.connect_nodes(source, target)
    form = panel.links.form
    assert form is not None
    form.set_value("direction", "west")
    form.set_value("connection_type", "road")
    form.ok.click()
    with qtbot.waitSignal(panel.links_saved, timeout=20_000):
        panel.links.save()
    qtbot.waitUntil(lambda: editor.model.rowCount() == rows + 1, timeout=10_000)


def orange_pixels(panel: GraphPanel) -> int:
    """How many of the view's pixels have the selection's colour (style.SELECTED), as painted now."""
    image = panel.view.viewport().grab().toImage()
    want = style.SELECTED
    return sum(
        1
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
        if abs(image.pixelColor(x, y).red() - want.red()) < 12
        and abs(image.pixelColor(x, y).green() - want.green()) < 12
        and abs(image.pixelColor(x, y).blue() - want.blue()) < 12
    )


def test_a_selected_link_is_painted_in_the_selection_colour(
    qtbot: QtBot, panel: GraphPanel, demo_copy: Demo
) -> None:
    """Selecting an edge repaints the edge layer (its cached picture kept the old colours before)."""
    db, _catalog = demo_copy
    start = uid(scalar(db, "SELECT source_location_id FROM location_connections ORDER BY id LIMIT 1"))
    shown(qtbot, panel, lambda: panel.show_record("locations", {"id": start}))
    panel.view.fit()
    edge = pickable_links(panel)[0]
    corner = QPoint(3, 3)  # nothing there: the start node's selection ring goes, as the edge click does it
    QTest.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, corner)
    before = orange_pixels(panel)
    click_edge(panel, edge)
    assert panel.selected_edge is not None
    assert orange_pixels(panel) > before + 10
