"""The schema view during a migration (issue 10): the window's migration watch pauses it with the other
screens; meanwhile it keeps the diagram it had and draws nothing from a catalog reloaded under it, and
after the run it draws the same view again from the reloaded catalog (a dropped table gone). A real copy
of the SQLite demo database, a real schema change through the open database's change_schema."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from core.engine.db import Database
from gui.graph.er_panel import ErPanel
from gui.migrate.pausable import PAUSED_READS
from gui.runtime import workers
from tests.fixtures.editing import open_window
from tests.gui.test_graph_after_migration import drop_npcs
from tests.gui.test_graph_er import open_schema, shown

pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own


def tables(panel: ErPanel) -> set[str]:
    assert panel.diagram is not None
    return {n.id for n in panel.diagram.nodes}


def test_the_schema_view_pauses_and_draws_the_same_view_from_the_new_catalog(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    window = open_window(qtbot, demo_copy_path)
    window.resize(1300, 800)
    panel = open_schema(qtbot, window)
    shown(qtbot, panel, "tables")
    with qtbot.waitSignal(panel.diagram_shown, timeout=15_000):
        panel.show_table("locations", 1)
    before = tables(panel)
    assert "npcs" in before and panel.request == ("around", "locations", 1)

    watch = window.migration_watch
    watch.pause()
    assert panel.paused == PAUSED_READS and panel.message.text() == PAUSED_READS
    assert not panel.toolbar.isEnabled() and not panel.view.isEnabled()
    panel.grab().save("/tmp/warden_er_paused.png")
    laid_out: list[bool] = []
    panel.diagram_shown.connect(lambda: laid_out.append(watch.paused))

    def run(db: Database) -> None:
        drop_npcs(db)

    with qtbot.waitSignal(window.open_db.catalog_changed, timeout=30_000):
        window.open_db.change_schema(run)
    assert workers.wait_idle(30_000)
    assert not laid_out and tables(panel) == before, "nothing drawn from the catalog while paused"

    with qtbot.waitSignal(panel.diagram_shown, timeout=15_000):
        watch.resume()
    assert laid_out == [False]
    assert panel.request == ("around", "locations", 1), "the same view, on today's tables"
    assert tables(panel) == before - {"npcs", "npc_relationships"}
    assert panel.toolbar.isEnabled() and panel.view.isEnabled()
    assert panel.message.text().startswith("locations + 1 hop:")
    panel.grab().save("/tmp/warden_er_resumed.png")
    assert workers.wait_idle(30_000)
