"""Quitting with staged edits whose save must first pass a question: the confirm level's SQL, or the audit
consent on a database without an audit log. Save on the quit question, then the gate's answer: the save runs
and the window closes by itself; Cancel at the gate, or a save that fails, keeps the window open.

Real Qt offscreen, real SQLite copies of the demo and a foreign file built with raw SQL.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.engine.db import open_database
from gui.graph.panel import GraphPanel
from gui.main_window import MainWindow
from gui.runtime import workers
from gui.unsaved import SAVE
from tests.fixtures.editing import active_prompt, open_editor, open_window, stage, stored
from tests.fixtures.foreign import build_foreign
from tests.fixtures.save_gates import confirm_dialog, confirm_window, consent_dialog

pytestmark = pytest.mark.usefixtures("no_saved_tabs", "data_dir", "no_audit_answers")  # profiles of its own

ENTITY, FIELD = "regions", "name"


def quit_and_save(qtbot: QtBot, window: MainWindow) -> None:
    """Ctrl+Q, then Save on the unsaved-edits question."""
    assert not window.close()
    active_prompt(qtbot).choose(SAVE)


# --- the confirm level ------------------------------------------------------------------------------


def test_quit_save_confirmed_writes_then_closes_by_itself(qtbot: QtBot, demo_copy_path: str) -> None:
    """Save, then Save on the SQL: the edit is written and the window closes without a second Ctrl+Q."""
    window = confirm_window(qtbot, demo_copy_path)
    editor = open_editor(qtbot, window, ENTITY)
    key = stage(editor, 0, FIELD, "Saved on the way out")
    quit_and_save(qtbot, window)
    dialog = confirm_dialog(qtbot, window)
    assert window.isVisible() and window.leave_guard.busy  # waiting for the answer
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15_000)
    assert stored(demo_copy_path, ENTITY, key)[FIELD] == "Saved on the way out"


def test_quit_save_then_cancel_on_the_sql_keeps_the_window(qtbot: QtBot, demo_copy_path: str) -> None:
    """Cancel on the SQL sends nothing: the window stays, the edit staged, and the next quit asks again."""
    window = confirm_window(qtbot, demo_copy_path)
    editor = open_editor(qtbot, window, ENTITY)
    key = stage(editor, 0, FIELD, "Never written")
    before = stored(demo_copy_path, ENTITY, key)[FIELD]
    quit_and_save(qtbot, window)
    confirm_dialog(qtbot, window).reject()
    qtbot.waitUntil(lambda: not window.leave_guard.busy, timeout=5_000)
    assert window.isVisible() and editor.model.staged_count == 1 and not editor.model.saving
    assert window.tabs.currentWidget() is editor
    assert stored(demo_copy_path, ENTITY, key)[FIELD] == before
    quit_and_save(qtbot, window)  # asked again, and this time confirmed
    confirm_dialog(qtbot, window).save_button.click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15_000)
    assert stored(demo_copy_path, ENTITY, key)[FIELD] == "Never written"


def test_quit_save_confirmed_that_fails_keeps_the_window(qtbot: QtBot, demo_copy_path: str) -> None:
    """A confirmed save that the database side refuses (a required name emptied): the editor says why, and
    the window stays open with the edit staged."""
    window = confirm_window(qtbot, demo_copy_path)
    editor = open_editor(qtbot, window, ENTITY)
    key = stage(editor, 0, FIELD, None)
    before = stored(demo_copy_path, ENTITY, key)[FIELD]
    window.tabs.setCurrentWidget(window.welcome)
    quit_and_save(qtbot, window)
    confirm_dialog(qtbot, window).save_button.click()
    qtbot.waitUntil(lambda: not window.leave_guard.busy, timeout=10_000)
    assert window.isVisible() and editor.model.staged_count == 1
    assert window.tabs.currentWidget() is editor  # shown: its message says why nothing closed
    qtbot.waitUntil(editor.message.isVisible, timeout=5_000)
    assert "Not saved" in editor.message.text()
    assert stored(demo_copy_path, ENTITY, key)[FIELD] == before


# --- the audit consent on a database without an audit log ---------------------------------------------


@pytest.fixture
def foreign_path(tmp_path: Path) -> str:
    path = str(tmp_path / "guilds.db")
    build_foreign(path)
    return path


def test_quit_save_without_audit_writes_then_closes_by_itself(qtbot: QtBot, foreign_path: str) -> None:
    window = open_window(qtbot, foreign_path)
    editor = open_editor(qtbot, window, "guilds")
    key = stage(editor, 0, "title", "Saved on the way out")
    quit_and_save(qtbot, window)
    consent_dialog(qtbot, window).off_button.click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15_000)
    assert stored(foreign_path, "guilds", key)["title"] == "Saved on the way out"


def test_quit_save_creating_the_audit_log_writes_then_closes(qtbot: QtBot, foreign_path: str) -> None:
    """Create audit log reloads the catalog on the way; the save that waited still closes the window."""
    window = open_window(qtbot, foreign_path)
    editor = open_editor(qtbot, window, "guilds")
    key = stage(editor, 0, "title", "Saved and audited")
    quit_and_save(qtbot, window)
    consent_dialog(qtbot, window).create_button.click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
    assert stored(foreign_path, "guilds", key)["title"] == "Saved and audited"


def test_quit_save_then_cancel_on_the_consent_keeps_the_window(qtbot: QtBot, foreign_path: str) -> None:
    window = open_window(qtbot, foreign_path)
    editor = open_editor(qtbot, window, "guilds")
    key = stage(editor, 0, "title", "Never written")
    before = stored(foreign_path, "guilds", key)["title"]
    quit_and_save(qtbot, window)
    consent_dialog(qtbot, window).reject()
    qtbot.waitUntil(lambda: not window.leave_guard.busy, timeout=5_000)
    assert window.isVisible() and editor.model.staged_count == 1
    assert stored(foreign_path, "guilds", key)["title"] == before


# --- the graph's link edits ---------------------------------------------------------------------------


def _connections(path: str) -> int:
    db = open_database(path)
    try:
        with db.engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM location_connections").scalar_one())
    finally:
        db.dispose()


def test_quit_save_confirmed_writes_staged_links_then_closes(qtbot: QtBot, demo_copy_path: str) -> None:
    """A link deletion staged in the graph goes through the same SQL question on the way out."""
    window = confirm_window(qtbot, demo_copy_path)
    db = open_database(demo_copy_path)
    try:
        with db.engine.connect() as conn:
            sql = "SELECT source_location_id FROM location_connections ORDER BY id LIMIT 1"
            source = str(uuid.UUID(str(conn.exec_driver_sql(sql).scalar_one())))
    finally:
        db.dispose()
    before = _connections(demo_copy_path)
    panel = window.show_graph("locations", {"id": source})
    assert isinstance(panel, GraphPanel)
    qtbot.waitUntil(
        lambda: any(e.via == "location_connections" for e in panel.scene.edge_list), timeout=30_000
    )
    panel.links.delete_edge(next(e for e in panel.scene.edge_list if e.via == "location_connections"))
    assert panel.links.staged_count == 1
    quit_and_save(qtbot, window)
    dialog = confirm_dialog(qtbot, window)
    assert dialog.sql.toPlainText().startswith("DELETE FROM location_connections")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
    workers.wait_idle()
    assert _connections(demo_copy_path) == before - 1
