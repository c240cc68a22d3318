"""Browsing a file in the window changes nothing: a foreign SQLite file keeps its bytes, header, journal."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.audit.consent import AuditChoice
from gui.editor.dialogs.export import ExportJob, ExportRequest
from gui.editor.view import TableEditor
from gui.main_window import MainWindow
from gui.runtime import workers
from tests.fixtures.journal_file import fingerprint, sidecars

ROLLBACK = b"\x01\x01"  # header bytes 18 and 19 of a rollback-journal file


def _open(qtbot: QtBot, path: Path, *, read_only: bool = False) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.counts_loaded, timeout=15_000):
        window.open_target(str(path), read_only=read_only)
    return window


def _editor(qtbot: QtBot, window: MainWindow, name: str) -> TableEditor:
    window.navigator.entity_activated.emit(name)
    editor = window.tabs.currentWidget()
    assert isinstance(editor, TableEditor)
    qtbot.waitUntil(
        lambda: editor.model.rowCount() > 0 and editor.model.row_key(0) is not None, timeout=10_000
    )
    return editor


def _close(qtbot: QtBot, window: MainWindow) -> None:
    window.close()
    assert workers.wait_idle(10_000)  # the window disposes its database on a worker


def _column(editor: TableEditor, name: str) -> int:
    names = [editor.model.headerData(c, Qt.Orientation.Horizontal) for c in range(editor.model.columnCount())]
    return names.index(name)


def test_open_browse_export_close_leaves_the_file_as_it_was(
    qtbot: QtBot, journal_file: Path, tmp_path: Path
) -> None:
    """Open in the window, browse two table editors, export one, close: same sha256, header, no -wal/-shm."""
    before = fingerprint(journal_file)
    assert before[1][18:20] == ROLLBACK
    window = _open(qtbot, journal_file)
    assert not window.read_only_badge.isVisible()  # Warden is careful, the file is not read-only
    members = _editor(qtbot, window, "members")
    members.view.scrollToBottom()
    members.view.setCurrentIndex(members.model.index(members.model.rowCount() - 1, _column(members, "nick")))
    guilds = _editor(qtbot, window, "guilds")
    assert guilds.actions_by_name["insert"].isEnabled()  # still editable: writes wait for the first save
    job = ExportJob(members.db, members.catalog, ExportRequest("members"), members)
    with qtbot.waitSignal(job.finished, timeout=20_000) as blocker:
        job.start(str(tmp_path / "members.csv"), "csv")
    assert blocker.args[0].rows == 6
    assert sidecars(journal_file) == []
    _close(qtbot, window)
    assert fingerprint(journal_file) == before
    assert sidecars(journal_file) == []


def test_the_first_save_in_the_window_keeps_the_journal_mode(qtbot: QtBot, journal_file: Path) -> None:
    """An edit saved from the table editor is written; the file stays rollback-journal, nothing beside it."""
    window = _open(qtbot, journal_file)
    editor = _editor(qtbot, window, "guilds")
    index = editor.model.index(0, _column(editor, "motto"))
    assert editor.model.setData(index, "Saved by Warden", Qt.ItemDataRole.EditRole)
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        editor.save()
        window.audit_gate.answer(AuditChoice.AUDIT_OFF)  # no audit log: the window asks first
    qtbot.waitUntil(lambda: editor.model.data(index, Qt.ItemDataRole.DisplayRole) == "Saved by Warden")
    _close(qtbot, window)
    data = journal_file.read_bytes()
    assert b"Saved by Warden" in data and data[18:20] == ROLLBACK
    assert sidecars(journal_file) == []


def test_read_only_open_refuses_the_save_and_says_so(qtbot: QtBot, journal_file: Path) -> None:
    """Opened read-only on request: the badge shows, a save fails with a message, the file is unchanged."""
    before = fingerprint(journal_file)
    window = _open(qtbot, journal_file, read_only=True)
    assert window.read_only_badge.isVisible()
    editor = _editor(qtbot, window, "guilds")
    index = editor.model.index(0, _column(editor, "motto"))
    assert not editor.model.setData(index, "x", Qt.ItemDataRole.EditRole)  # cells do not edit (issue 12)
    editor.model.history.edit_cell(0, index.column(), "x")  # staged past the grid: the session refuses it
    with qtbot.waitSignal(editor.model.save_failed, timeout=10_000) as blocker:
        editor.save()
    assert "read-only" in blocker.args[0]
    editor.model.revert()
    _close(qtbot, window)
    assert fingerprint(journal_file) == before and sidecars(journal_file) == []
