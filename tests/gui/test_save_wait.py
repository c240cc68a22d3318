"""Save behind another program's write lock on a SQLite file, in the table editor: "Saving…" at once, the
wait's seconds with Cancel, the typed locked message at the end, a second Save ignored, and Cancel keeping
every staged edit (gui/editor/save_status.py, gui/editor/model/saving.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.engine import db as engine_db
from core.engine import sqlite_access
from core.engine.db import Database, open_database
from core.schema.load import load_catalog
from gui.editor.view import TableEditor
from tests.fixtures.editing import shown_editor, stage, stored
from tests.fixtures.sqlite_locks import write_lock_held
from tests.fixtures.workers import crash_count

BUDGET_MS = 1500  # long enough to see the wait's text and press Cancel in it
WAITING = "Waiting for another program's write lock ("


@pytest.fixture
def demo(demo_copy_path: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The demo copy, opened with a lock-wait budget of BUDGET_MS."""
    monkeypatch.setattr(engine_db, "BUSY_TIMEOUT_MS", BUDGET_MS)
    monkeypatch.setattr(sqlite_access, "BUSY_TIMEOUT_MS", BUDGET_MS)
    db = open_database(demo_copy_path)
    yield db
    db.dispose()


def editor_on(qtbot: QtBot, db: Database) -> TableEditor:
    return shown_editor(qtbot, db, load_catalog(db), "npcs")


def test_a_save_behind_a_write_lock_says_what_it_waits_for_then_is_locked(
    qtbot: QtBot, demo: Database, demo_copy_path: str, crash_log: Path
) -> None:
    editor = editor_on(qtbot, demo)
    key = stage(editor, 0, "name", "Renamed while locked")
    failures: list[str] = []
    editor.model.save_failed.connect(failures.append)
    status = editor.save_status
    with write_lock_held(demo_copy_path):
        editor.save()
        assert status.text == "Saving 1 change…"  # at once, before any worker has run
        assert status.cancel_button.isHidden()
        qtbot.waitUntil(lambda: status.text.startswith(WAITING), timeout=5000)
        assert status.text in (f"{WAITING}0 s of 1.5)…", f"{WAITING}1 s of 1.5)…")
        assert not status.cancel_button.isHidden() and status.cancel_button.isEnabled()
        editor.save()  # a second Save during the wait is ignored
        qtbot.waitUntil(lambda: status.text == f"{WAITING}1 s of 1.5)…", timeout=5000)
        qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    message = editor.message.text()
    assert message.startswith("Not saved: ") and "is locked by another program" in message, message
    assert "Renamed while locked" not in message and "UPDATE" not in message
    assert status.text == "" and status.isHidden()
    assert editor.staged_label.text() == "1 unsaved change"  # the edit waits for the next Save
    qtbot.wait(300)
    assert len(failures) == 1  # one save ran: the second Save started none
    assert crash_count(crash_log) == 0
    with qtbot.waitSignal(editor.model.saved, timeout=15_000):
        editor.save()  # the lock is gone: the same Save goes through
    assert stored(demo_copy_path, "npcs", key)["name"] == "Renamed while locked"


def test_cancel_during_the_lock_wait_writes_nothing_and_keeps_the_edits(
    qtbot: QtBot, demo: Database, demo_copy_path: str, crash_log: Path
) -> None:
    editor = editor_on(qtbot, demo)
    first = stage(editor, 0, "name", "First while locked")
    second = stage(editor, 1, "name", "Second while locked")
    before = [stored(demo_copy_path, "npcs", k)["name"] for k in (first, second)]
    failures: list[str] = []
    cancelled: list[str] = []
    editor.model.save_failed.connect(failures.append)
    editor.model.save_cancelled.connect(cancelled.append)
    status = editor.save_status
    with write_lock_held(demo_copy_path):
        editor.save()
        assert status.text == "Saving 2 changes…"
        qtbot.waitUntil(lambda: status.text.startswith(WAITING), timeout=5000)
        pressed = time.monotonic()
        qtbot.mouseClick(status.cancel_button, Qt.MouseButton.LeftButton)
        assert not status.cancel_button.isEnabled()  # pressed once: the wait stops at its next try
        qtbot.waitUntil(lambda: bool(cancelled), timeout=5000)
        assert time.monotonic() - pressed < 1.0  # at the next try, not at the end of the wait
    assert cancelled == ["Save cancelled; 2 changes are still staged."]
    assert editor.message.text() == "Save cancelled; 2 changes are still staged."
    assert failures == [] and status.isHidden() and not editor.model.saving
    assert editor.staged_label.text() == "2 unsaved changes"
    assert [stored(demo_copy_path, "npcs", k)["name"] for k in (first, second)] == before
    assert not editor.model.staging.errors  # no cell is marked: nothing was wrong with the edits
    assert crash_count(crash_log) == 0
    with qtbot.waitSignal(editor.model.saved, timeout=15_000):
        editor.save()  # the same edits, saved once the lock is gone
    assert [stored(demo_copy_path, "npcs", k)["name"] for k in (first, second)] == [
        "First while locked",
        "Second while locked",
    ]
