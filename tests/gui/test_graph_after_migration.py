"""The record graph after a migration (issue 10's pause): it is read again from the same record with the
user's expansions replayed on the nodes that still exist, each where it was; the nodes of a table the
migration dropped go, with a message. A real copy of the SQLite demo database, a real schema change through
the open database's change_schema, as the migration runner runs one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from core.engine.db import Database
from gui.graph.panel import GraphPanel
from gui.migrate.pausable import PAUSED_READS
from gui.runtime import workers
from tests.fixtures.demo import Demo
from tests.fixtures.graph_panel import panel, show_busiest_location, shown

pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own
__all__ = ["panel"]  # the fixture, taken from the module that makes it


def drop_npcs(db: Database) -> None:
    """A migration's step: the NPC tables go (their relationships first)."""
    with db.transaction() as conn:
        conn.exec_driver_sql("DROP TABLE npc_relationships")
        conn.exec_driver_sql("DROP TABLE npcs")


def add_a_column(db: Database) -> None:
    """A migration's step that drops nothing."""
    with db.transaction() as conn:
        conn.exec_driver_sql("ALTER TABLE products ADD COLUMN warden_test_note TEXT")


def migrate(qtbot: QtBot, graph: GraphPanel, step: Callable[[Database], None]) -> None:
    """Pause the graph, change the schema, resume it as the watch does (once the reloaded catalog is in
    place); wait for the graph read again."""
    graph.set_paused(PAUSED_READS)
    with qtbot.waitSignal(graph.open_db.catalog_changed, timeout=30_000):
        graph.open_db.change_schema(step)
    assert not graph.busy, "nothing is read while paused"
    with qtbot.waitSignal(graph.graph_shown, timeout=30_000):
        graph.set_paused(None)
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)


def expanded_region(qtbot: QtBot, graph: GraphPanel, db: Database) -> tuple[set[str], dict[str, object]]:
    """Show the busiest location, expand its region; the region's node ids added, and every position."""
    show_busiest_location(qtbot, graph, db)
    before = set(graph.document.positions)
    region = next(n.id for n in graph.document.hood.nodes if n.entity == "regions")
    shown(qtbot, graph, lambda: graph.expand(region))
    added = set(graph.document.positions) - before
    assert added, "the region's other locations joined the graph"
    return added, dict(graph.document.positions)


def test_expansions_are_read_again_after_a_migration(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    added, positions = expanded_region(qtbot, panel, sqlite_demo_copy[0])
    migrate(qtbot, panel, add_a_column)
    now = panel.document.positions
    assert added <= set(now), "the expansion was replayed"
    assert set(now) == set(positions) and all(now[n] == p for n, p in positions.items())
    assert not panel.message.styleSheet(), panel.message.text()


def test_the_nodes_of_a_dropped_table_go_with_a_message(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    added, positions = expanded_region(qtbot, panel, sqlite_demo_copy[0])
    npcs = {n.id for n in panel.document.hood.nodes if n.entity == "npcs"}
    assert npcs
    migrate(qtbot, panel, drop_npcs)
    now = panel.document.positions
    assert not any(n.entity == "npcs" for n in panel.document.hood.nodes)
    assert set(now) == set(positions) - npcs, "the rest is shown, expansion included"
    assert added - npcs <= set(now)
    assert all(now[n] == p for n, p in positions.items() if n in now)
    text = panel.message.text()
    assert text.startswith(f"The migration dropped npcs: {len(npcs):,} nodes went from the graph."), text
    assert set(panel.scene.items_by_id) == set(now)
    panel.grab().save("/tmp/warden_graph_after_drop.png")
