"""Quitting between a migration run's end and the reloaded catalog (a second or two, while the screens stay
paused for it) waits for the reload, then quits as usual: staged edits are asked about (Save writes them)
and a window with nothing staged closes by itself. Before, that quit was refused as if the run were still
under way. Quitting during the run itself is still refused (tests/gui/test_leave_during_migration.py).

The run is a real schema change through the open database's change_schema, which reloads the catalog after
it; its end resumes the watch as the runner's run_finished does. Real Qt offscreen, real SQLite demo copies.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from core.engine.db import Database
from gui.main_window import QUIT_WAITS, MainWindow
from gui.runtime import workers
from gui.unsaved import SAVE
from tests.fixtures.editing import active_prompt, open_editor, open_window, stage, stored

pytestmark = pytest.mark.usefixtures("own_data_dir")

RENAMED = "Renamed before the migration ended"


def add_a_column(db: Database) -> None:
    """A migration's step."""
    with db.transaction() as conn:
        conn.exec_driver_sql("ALTER TABLE products ADD COLUMN warden_test_note TEXT")


def quit_as_the_run_ends(qtbot: QtBot, window: MainWindow) -> list[bool]:
    """Run a migration; Ctrl+Q the moment it has ended, its catalog not read again yet. What close said."""
    watch, closed = window.migration_watch, []

    def ended(_result: Any) -> None:
        watch.resume(after_reload=True)  # the runner's run_finished
        assert watch.paused, "still paused: the reloaded catalog is not in place yet"
        closed.append(window.close())
        assert window.statusBar().currentMessage() == QUIT_WAITS, "it says why it has not closed yet"

    watch.pause()  # the runner's run_started
    window.open_db.change_schema(add_a_column, on_done=ended)
    qtbot.waitUntil(lambda: bool(closed), timeout=30_000)
    assert window.leave_guard.refusal is None, "refused as if the run were still under way"
    return closed


def test_a_quit_as_a_run_ends_waits_for_the_reload_and_asks(qtbot: QtBot, demo_copy_path: str) -> None:
    window = open_window(qtbot, demo_copy_path)
    editor = open_editor(qtbot, window, "npcs")
    key = stage(editor, 0, "name", RENAMED)
    assert quit_as_the_run_ends(qtbot, window) == [False]
    prompt = active_prompt(qtbot)  # once the catalog is in place: the usual question
    assert not window.migration_watch.paused and editor.model.staged_count == 1
    prompt.choose(SAVE)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15_000)
    assert stored(demo_copy_path, "npcs", key)["name"] == RENAMED
    assert workers.wait_idle(30_000)


def test_a_quit_as_a_run_ends_with_nothing_staged_closes_after_the_reload(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    window = open_window(qtbot, demo_copy_path)
    assert quit_as_the_run_ends(qtbot, window) == [False]
    assert window.isVisible()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15_000)
    assert not window.migration_watch.paused
    assert workers.wait_idle(30_000)
