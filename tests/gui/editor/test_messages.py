"""Editor notes ("Saved.", "Exported…", "Export cancelled") float over the grid and go away by themselves."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from core.engine.db import Database
from core.schema.catalog import Catalog
from gui.editor import message_bar
from gui.editor.dialogs import export
from tests.fixtures.editing import shown_editor

if TYPE_CHECKING:
    pass

SHOTS = Path("/tmp/warden_shots")


def test_saved_note_does_not_move_the_grid(qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]) -> None:
    """'Saved.' shows over the grid's corner and hides again; the grid's geometry never changes."""
    db, catalog = sqlite_demo_copy
    editor = shown_editor(qtbot, db, catalog, "regions", (900, 560))
    qtbot.wait(50)
    before = editor.view.geometry()
    name = editor.entity.column_names.index("name")
    assert editor.model.setData(editor.model.index(0, name), "Renamed region")
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        editor.save()
    assert editor.message.note_visible() and editor.message.text() == "Saved."
    qtbot.wait(50)  # let any layout change land
    assert editor.view.geometry() == before
    toast = editor.message.toast
    assert toast is not None and editor.view.rect().contains(toast.geometry())
    SHOTS.mkdir(exist_ok=True)
    editor.grab().save(str(SHOTS / "saved_note.png"))
    qtbot.waitUntil(lambda: not editor.message.note_visible(), timeout=5_000)
    qtbot.wait(50)
    assert editor.view.geometry() == before


def test_export_notes_hide(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'Exported…' hides after its timeout; 'Export cancelled' hides with its close button."""
    db, catalog = sqlite_demo_copy
    monkeypatch.setattr(message_bar, "NOTE_TIMEOUT_MS", 400)
    target = tmp_path / "out.csv"
    # The save-file dialog is the user's part: answer it with a path.
    monkeypatch.setattr(export, "ask_export_path", lambda _parent, _entity: (str(target), "csv"))
    # 10,000 rows: a cancel lands before the end
    editor = shown_editor(qtbot, db, catalog, "tool_executions", (900, 560))
    before = editor.view.geometry()
    editor.export()
    job = editor.export_job
    assert job is not None
    qtbot.waitUntil(lambda: job.result is not None, timeout=10_000)
    assert editor.message.note_visible() and editor.message.text().startswith("Exported")
    assert editor.view.geometry() == before
    qtbot.waitUntil(lambda: not editor.message.note_visible(), timeout=3_000)
    first = target.read_bytes()

    monkeypatch.setattr(message_bar, "NOTE_TIMEOUT_MS", 60_000)
    editor.export()
    second = editor.export_job
    assert second is not None and second is not job
    second.cancel()  # before the first row: the export stops and leaves no file of its own
    qtbot.waitUntil(lambda: second.result is not None, timeout=10_000)
    assert editor.message.note_visible() and "cancelled" in editor.message.text()
    toast = editor.message.toast
    assert toast is not None
    QTest.mouseClick(toast.close_button, Qt.MouseButton.LeftButton)
    assert not editor.message.note_visible()
    assert target.read_bytes() == first  # a cancelled export keeps the file it would have replaced


def test_errors_stay_inline_until_dismissed(qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]) -> None:
    """A persistent error is shown above the grid (not a toast) and stays until closed."""
    db, catalog = sqlite_demo_copy
    editor = shown_editor(qtbot, db, catalog, "regions", (900, 560))
    editor.show_message("Not saved: something a person can fix.")
    assert editor.message.isVisible() and not editor.message.note_visible()
    qtbot.wait(100)
    assert editor.message.isVisible()
    QTest.mouseClick(editor.message.close_button, Qt.MouseButton.LeftButton)
    assert not editor.message.isVisible()
