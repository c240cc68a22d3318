"""No way out of the window while a migration runs: quitting or opening another database is refused with one
message, nothing is asked, saved or discarded, and the window stays. A save sent then would reach screens that
are paused, be built from the old catalog, and the window would close (deleting the runner) under its run.

The run is the migration watch's pause and resume, which the runner's run_started and run_finished drive.
Real Qt offscreen, real SQLite copies of the demo database.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from gui.runtime import workers
from gui.unsaved import MIGRATING, SAVE, UnsavedPrompt
from tests.fixtures.editing import active_prompt, open_editor, open_window, stage, stored

pytestmark = pytest.mark.usefixtures("own_data_dir")

RENAMED = "Renamed during a migration"


def _refusal(qtbot: QtBot, window: MainWindow) -> QMessageBox:
    """The "A migration is running" message, once it shows."""
    qtbot.waitUntil(lambda: window.leave_guard.refusal is not None, timeout=5000)
    box = window.leave_guard.refusal
    assert box is not None and box.isVisible() and box.text() == MIGRATING
    return box


def _end_run(qtbot: QtBot, window: MainWindow) -> None:
    window.migration_watch.resume()
    box = window.leave_guard.refusal
    if box is not None:
        box.accept()
    assert workers.wait_idle(30_000)


def test_quit_during_a_migration_is_refused_and_saves_nothing(qtbot: QtBot, demo_copy_path: str) -> None:
    window = open_window(qtbot, demo_copy_path)
    editor = open_editor(qtbot, window, "npcs")
    name = stored(demo_copy_path, "npcs", editor.model.row_key(0) or {})["name"]
    key = stage(editor, 0, "name", RENAMED)
    window.migration_watch.pause()  # a run started
    assert not window.close()
    box = _refusal(qtbot, window)
    assert "before quitting" in box.informativeText()
    assert not isinstance(QApplication.activeModalWidget(), UnsavedPrompt), "asked Save / Discard meanwhile"
    assert window.leave_guard.prompt is None
    assert window.isVisible() and editor.model.staged_count == 1
    assert not window.close()  # again: still the one message
    assert window.findChildren(QMessageBox, "leaveRefused") == [box]
    assert workers.wait_idle(30_000)
    assert stored(demo_copy_path, "npcs", key)["name"] == name  # nothing written
    _end_run(qtbot, window)
    assert not window.close()  # the run ended: the usual question
    active_prompt(qtbot).choose(SAVE)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15_000)
    assert stored(demo_copy_path, "npcs", key)["name"] == RENAMED


def test_quit_with_nothing_staged_during_a_migration_is_refused(qtbot: QtBot, demo_copy_path: str) -> None:
    """Nothing to ask about, but the window would still close under the runner's run."""
    window = open_window(qtbot, demo_copy_path)
    window.migration_watch.pause()
    assert not window.close()
    _refusal(qtbot, window)
    assert window.isVisible() and window.open_db.database is not None
    _end_run(qtbot, window)


def test_save_answered_after_a_migration_started_saves_nothing(qtbot: QtBot, demo_copy_path: str) -> None:
    """The quit question was open when the run started (the runner is not blocked by it): its Save sends
    nothing, the edits stay staged and the window stays."""
    window = open_window(qtbot, demo_copy_path)
    editor = open_editor(qtbot, window, "npcs")
    name = stored(demo_copy_path, "npcs", editor.model.row_key(0) or {})["name"]
    key = stage(editor, 0, "name", RENAMED)
    assert not window.close()
    prompt = active_prompt(qtbot)
    window.migration_watch.pause()
    prompt.choose(SAVE)
    box = _refusal(qtbot, window)
    assert "before quitting" in box.informativeText()
    assert workers.wait_idle(30_000)
    assert window.isVisible() and editor.model.staged_count == 1 and not editor.model.saving
    assert stored(demo_copy_path, "npcs", key)["name"] == name
    _end_run(qtbot, window)
    assert editor.model.staged_count == 1  # kept for a save after the run


def test_opening_another_database_during_a_migration_is_refused(
    qtbot: QtBot, demo_copy_path: str, tmp_path: Path
) -> None:
    """Asked during the run, or asked before it and opened during it: the window keeps its database."""
    other = tmp_path / "other.db"
    shutil.copyfile(demo_copy_path, other)
    window = open_window(qtbot, demo_copy_path)
    db = window.open_db.database
    window.migration_watch.pause()
    window.open_target(str(other))
    box = _refusal(qtbot, window)
    assert "before opening another database" in box.informativeText()
    assert workers.wait_idle(30_000)
    assert window.open_db.database is db
    _end_run(qtbot, window)
    window.open_target(str(other))  # opens on a worker; the run starts before it has opened
    window.migration_watch.pause()
    assert workers.wait_idle(30_000)
    _refusal(qtbot, window)
    assert window.open_db.database is db, "switched to another database during the run"
    _end_run(qtbot, window)
