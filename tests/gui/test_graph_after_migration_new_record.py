"""A record asked for while a migration runs is shown fresh after it, not as the graph shown before read
again: none of the earlier graph's nodes are called gone (they were never this record's), and the view is
the new record's own (its start selected). Real SQLite demo copy, a real schema change (change_schema)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from gui.graph.panel import GraphPanel
from gui.migrate.pausable import PAUSED_READS
from gui.runtime import workers
from tests.fixtures.demo import Demo
from tests.fixtures.graph_panel import panel, show_busiest_location
from tests.gui.test_graph_after_migration import add_a_column

pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own
__all__ = ["panel"]  # the fixture, taken from the module that made it


def test_a_record_asked_for_during_the_migration_is_shown_fresh_after_it(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    db = sqlite_demo_copy[0]
    show_busiest_location(qtbot, panel, db)
    before = {n.id for n in panel.document.hood.nodes}
    with db.engine.connect() as conn:
        product = conn.exec_driver_sql("SELECT id FROM products ORDER BY id LIMIT 1").scalar()
    panel.set_paused(PAUSED_READS)
    panel.show_record("products", {"id": product})  # asked for now, shown once the migration has ended
    with qtbot.waitSignal(panel.open_db.catalog_changed, timeout=30_000):
        panel.open_db.change_schema(add_a_column)
    with qtbot.waitSignal(panel.graph_shown, timeout=30_000):
        panel.set_paused(None)
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)
    start = panel.document.node(panel.document.start or "")
    assert start is not None and start.entity == "products"
    assert before - {n.id for n in panel.document.hood.nodes}, "the location's graph is not this one"
    text = panel.message.text()
    assert "no longer there" not in text and "dropped" not in text and not panel.message.styleSheet(), text
    assert panel.details.node is not None and panel.details.node.id == start.id, "its start is selected"
