"""The record graph after a migration whose end it cannot follow: the catalog could not be read again (the
graph says so and what happens next, instead of "reading the graph again…" for good), or the migration
deleted the record the graph started from, or dropped its table (the graph is cleared with a message,
instead of the error of a read that found no row, or a bare "no longer in the database", and the old nodes
left drawn). A real copy of the SQLite demo database, a real schema
change through the open database's change_schema, as the migration runner runs one."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.engine.db import Database
from core.graph.neighbourhood import edge_identity
from gui.graph.panel import GraphPanel
from gui.graph.reread import NOT_READ_AGAIN, START_GONE
from gui.migrate.pausable import PAUSED_READS
from gui.runtime import workers
from tests.fixtures.demo import Demo
from tests.fixtures.graph_panel import panel, show_busiest_location, shown

pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own
__all__ = ["panel"]  # the fixture, taken from the module that made it


def test_a_catalog_that_cannot_be_read_again_is_said_with_what_to_do(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    db = sqlite_demo_copy[0]
    show_busiest_location(qtbot, panel, db)
    nodes = set(panel.document.positions)
    path = Path(db.engine.url.database or "")

    def damage_the_file(db: Database) -> None:
        """A migration's end that leaves the file unreadable: its header overwritten."""
        db.dispose()
        with path.open("r+b") as file:
            file.write(b"not a database!!")

    panel.set_paused(PAUSED_READS)
    with qtbot.waitSignal(panel.open_db.catalog_failed, timeout=30_000):
        panel.open_db.change_schema(damage_the_file)
    panel.set_paused(None)  # as the watch resumes when the reload failed
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)
    assert panel.message.text() == NOT_READ_AGAIN
    assert "reading the graph again" not in panel.message.text()
    assert panel.message.styleSheet(), "said as a problem"
    assert set(panel.document.positions) == nodes, "the graph from before stays"
    assert panel.toolbar.isEnabled()


def show_first_order_item(qtbot: QtBot, panel: GraphPanel, db: Database) -> object:
    """The graph of the first order item (by id), on screen; the item's id."""
    with db.engine.connect() as conn:
        item = conn.exec_driver_sql("SELECT id FROM order_items ORDER BY id LIMIT 1").scalar()
    shown(qtbot, panel, lambda: panel.show_record("order_items", {"id": item}))
    assert len(panel.document.hood.nodes) > 1
    return item


def test_a_start_record_the_migration_deleted_clears_the_graph_with_a_message(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    item = show_first_order_item(qtbot, panel, sqlite_demo_copy[0])

    def delete_the_item(db: Database) -> None:
        with db.transaction() as conn:
            conn.exec_driver_sql("DELETE FROM order_items WHERE id = ?", (item,))

    panel.set_paused(PAUSED_READS)
    with qtbot.waitSignal(panel.open_db.catalog_changed, timeout=30_000):
        panel.open_db.change_schema(delete_the_item)
    panel.set_paused(None)
    qtbot.waitUntil(lambda: panel.message.text() == START_GONE, timeout=30_000)
    assert "has no row" not in panel.message.text() and str(item) not in panel.message.text()
    assert not panel.document.hood.nodes and not panel.scene.items_by_id, "the old nodes are not left drawn"
    assert panel.start_record is None and panel.details.node is None
    panel.set_paused(PAUSED_READS)  # a later migration reads nothing again for a graph no longer there
    panel.set_paused(None)
    assert panel.message.text() == ""


def test_a_start_table_the_migration_dropped_clears_the_graph_with_a_message(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    show_first_order_item(qtbot, panel, sqlite_demo_copy[0])

    def drop_the_items(db: Database) -> None:
        with db.transaction() as conn:
            conn.exec_driver_sql("DROP TABLE order_items")

    panel.set_paused(PAUSED_READS)
    with qtbot.waitSignal(panel.open_db.catalog_changed, timeout=30_000):
        panel.open_db.change_schema(drop_the_items)
    panel.set_paused(None)
    assert panel.message.text() == START_GONE and panel.message.styleSheet()
    assert not panel.document.hood.nodes and not panel.scene.items_by_id, "the old nodes are not left drawn"
    assert panel.start_record is None


def test_staged_link_edits_stay_drawn_when_the_start_record_goes(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    """A connection staged to go, in the graph of an NPC the migration deletes: the graph is cleared, but the
    two locations of the staged edit stay drawn with it (red, going), so what Save writes is in sight; Save
    still writes it."""
    db = sqlite_demo_copy[0]
    with db.engine.connect() as conn:
        npc = conn.exec_driver_sql(
            "SELECT n.id FROM npcs n JOIN location_connections c ON c.source_location_id = n.location_id"
            " ORDER BY n.id LIMIT 1"
        ).scalar()
    panel.depth_box.blockSignals(True)
    panel.depth_box.setValue(2)  # the NPC, its location, and the location's connections
    panel.depth_box.blockSignals(False)
    shown(qtbot, panel, lambda: panel.show_record("npcs", {"id": npc}))
    edge = next(e for e in panel.scene.edge_list if e.via == "location_connections")
    panel.links.delete_edge(edge)

    def delete_the_npc(db: Database) -> None:
        with db.transaction() as conn:
            conn.exec_driver_sql(
                "DELETE FROM npc_relationships WHERE npc_id = ? OR other_npc_id = ?", (npc, npc)
            )
            conn.exec_driver_sql("DELETE FROM npcs WHERE id = ?", (npc,))

    panel.set_paused(PAUSED_READS)
    with qtbot.waitSignal(panel.open_db.catalog_changed, timeout=30_000):
        panel.open_db.change_schema(delete_the_npc)
    panel.set_paused(None)
    qtbot.waitUntil(lambda: panel.message.text().startswith(START_GONE), timeout=30_000)
    assert panel.start_record is None and panel.links.staged_count == 1
    assert set(panel.scene.items_by_id) == {edge.source, edge.target}, "the staged edit's nodes, no others"
    assert edge_identity(edge) in {edge_identity(e) for e in panel.scene.edge_list}
    assert edge_identity(edge) in panel.scene.staged_gone, "drawn as going"
    assert "unsaved link" in panel.message.text()
    with qtbot.waitSignal(panel.links_saved, timeout=20_000):
        panel.links.save()
    with db.engine.connect() as conn:
        left = conn.exec_driver_sql(
            "SELECT count(*) FROM location_connections WHERE id = ?",
            (uuid.UUID(str(edge.attributes["id"])).hex,),  # as SQLite stores the key
        ).scalar()
    assert left == 0
