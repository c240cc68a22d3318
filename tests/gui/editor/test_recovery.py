"""Staged edits survive a crash: they reach the recovery file within a second, and the next open of the
database offers them back as undoable staged edits that save (and conflict) like the originals.

A crash is simulated by destroying the window without its closeEvent: nothing is saved, discarded or
flushed, exactly as after a kill. Everything else is real: a SQLite demo database, Qt widgets, workers.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import shiboken6
import sqlalchemy as sa
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from core.data import recovery
from core.data.changes import Update
from core.data.repository import save
from core.engine.db import open_database
from core.errors import NotFoundError
from gui.editor.model.roles import Role, RowState
from gui.editor.recovery import RestorePrompt
from gui.editor.view import TableEditor
from gui.main_window import MainWindow
from gui.runtime import workers
from tests.fixtures.editing import column, open_editor, open_window, stage, stored

pytestmark = pytest.mark.usefixtures("own_data_dir")


def crash(qtbot: QtBot, window: MainWindow) -> None:
    """Destroy the window as a kill would leave things: no closeEvent, no save, no discard, no flush."""
    db = window.database
    window.hide()  # (hide() is no close: the docks just stop being shown before the window goes)
    shiboken6.delete(window)
    assert workers.wait_idle(10_000)
    if db is not None:
        db.dispose()  # the process would be gone; here the test's engine is let go


def restore_prompt(qtbot: QtBot, window: MainWindow) -> RestorePrompt:
    """The "Restore unsaved changes?" question the window asks after opening."""
    qtbot.waitUntil(lambda: window.restore_prompt is not None, timeout=10_000)
    prompt = window.restore_prompt
    assert prompt is not None
    qtbot.waitUntil(prompt.isVisible, timeout=5000)
    assert QApplication.activeModalWidget() is prompt
    return prompt


def editor_of(window: MainWindow, name: str) -> TableEditor:
    """The open (unfiltered) editor of `name`."""
    pages = [e for _, e in window._editor_pages() if e.entity.name == name and not e.property("filtered")]
    assert len(pages) == 1
    return pages[0]


def row_of(editor: TableEditor, key: dict[str, Any]) -> int | None:
    """The grid row showing `key`, once loaded."""
    model = editor.model
    return next((r for r in range(model.rowCount()) if model.row_key(r) == key), None)


def find_npc(path: str, name: str) -> list[dict[str, Any]]:
    """npcs rows with this name, read straight from the file."""
    db = open_database(path)
    try:
        with db.engine.connect() as conn:
            query = sa.text("SELECT name, npc_type, is_hostile FROM npcs WHERE name = :n")
            rows = conn.execute(query, {"n": name})
            return [dict(r._mapping) for r in rows]
    finally:
        db.dispose()


def stage_mixed(qtbot: QtBot, window: MainWindow) -> dict[str, Any]:
    """Stage an update, a JSON update, a delete and an insert in npcs and an update in regions."""
    npcs = open_editor(qtbot, window, "npcs")
    keys: dict[str, Any] = {"old_name": npcs.model.index(1, column(npcs, "name")).data()}
    keys["renamed"] = stage(npcs, 1, "name", "Recovered name")
    keys["json"] = stage(npcs, 2, "personality_json", {"mood": "calm", "traits": [1, 2.5, None, True]})
    keys["deleted"] = npcs.model.row_key(3)
    npcs.model.delete_rows([3])
    npcs.model.insert_row({"name": "Recovered newcomer", "npc_type": "merchant"})
    regions = open_editor(qtbot, window, "regions")
    keys["region"] = stage(regions, 0, "name", "Recovered region")
    assert npcs.model.staged_count == 4 and regions.model.staged_count == 1
    return keys


def test_staged_edits_reach_a_user_only_file_within_a_second(qtbot: QtBot, demo_copy_path: str) -> None:
    """An edit is in the recovery file well before a second has passed; the file is the user's alone."""
    window = open_window(qtbot, demo_copy_path)
    npcs = open_editor(qtbot, window, "npcs")
    path = recovery.recovery_path(demo_copy_path)
    started = time.monotonic()
    stage(npcs, 0, "name", "Written soon")
    qtbot.waitUntil(path.exists, timeout=2000)
    assert time.monotonic() - started < 1.0
    assert path.parent.parent == Path(os.environ["WARDEN_DATA_DIR"])
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["target"] == demo_copy_path and [t["entity"] for t in doc["tables"]] == ["npcs"]
    npcs.model.undo_stack.undo()  # nothing staged any more: the file goes
    qtbot.waitUntil(lambda: not path.exists(), timeout=2000)


def test_after_a_crash_restore_stages_the_edits_again_and_save_writes_them(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    """Updates, JSON, a delete and an insert come back staged (undoable, coloured, counted) and save."""
    first = open_window(qtbot, demo_copy_path, tracked=False)
    keys = stage_mixed(qtbot, first)
    path = recovery.recovery_path(demo_copy_path)
    # type: ignore[union-attr]
    qtbot.waitUntil(lambda: path.exists() and recovery.read_recovery(demo_copy_path).count == 5, timeout=2000)
    crash(qtbot, first)
    assert path.exists()

    window = open_window(qtbot, demo_copy_path)
    prompt = restore_prompt(qtbot, window)
    assert prompt.text().startswith("Restore 5 unsaved changes from ")
    assert "npcs: 4 unsaved changes" in prompt.informativeText()
    assert "regions: 1 unsaved change" in prompt.informativeText()
    prompt.restore_button.click()

    npcs, regions = editor_of(window, "npcs"), editor_of(window, "regions")
    assert npcs.model.staged_count == 4 and regions.model.staged_count == 1
    assert npcs.staged_label.text() == "4 unsaved changes"
    assert npcs.model.undo_stack.count() == 1 and npcs.model.undo_stack.canUndo()
    assert npcs.model.index(0, column(npcs, "name")).data() == "Recovered newcomer"
    assert npcs.model.index(0, 0).data(Role.ROW_STATE) == RowState.INSERTED
    qtbot.waitUntil(lambda: row_of(npcs, keys["deleted"]) is not None, timeout=10_000)
    renamed, changed = row_of(npcs, keys["renamed"]), row_of(npcs, keys["json"])
    assert renamed is not None and changed is not None
    name_cell = npcs.model.index(renamed, column(npcs, "name"))
    assert name_cell.data() == "Recovered name" and name_cell.data(Role.STAGED)
    assert name_cell.data(Role.ORIGINAL) == keys["old_name"]
    assert npcs.model.index(renamed, 0).data(Role.ROW_STATE) == RowState.EDITED
    json_value = npcs.model.index(changed, column(npcs, "personality_json")).data(Role.STAGED)
    assert json_value
    assert npcs.model.staging.edits[tuple(keys["json"].values())].values == {
        "personality_json": {"mood": "calm", "traits": [1, 2.5, None, True]}
    }
    deleted = row_of(npcs, keys["deleted"])
    assert deleted is not None and npcs.model.index(deleted, 0).data(Role.ROW_STATE) == RowState.DELETED

    for editor in (npcs, regions):
        with qtbot.waitSignal(editor.model.saved, timeout=10_000):
            editor.save()
    assert stored(demo_copy_path, "npcs", keys["renamed"])["name"] == "Recovered name"
    assert stored(demo_copy_path, "npcs", keys["json"])["personality_json"] == {
        "mood": "calm", "traits": [1, 2.5, None, True]
    }
    with pytest.raises(NotFoundError):
        stored(demo_copy_path, "npcs", keys["deleted"])
    assert find_npc(demo_copy_path, "Recovered newcomer") == [
        {"name": "Recovered newcomer", "npc_type": "merchant", "is_hostile": 0}
    ]
    assert stored(demo_copy_path, "regions", keys["region"])["name"] == "Recovered region"
    qtbot.waitUntil(lambda: not path.exists(), timeout=2000)  # a clean save removes the entry


def test_a_restored_edit_still_detects_a_conflict(qtbot: QtBot, demo_copy_path: str) -> None:
    """The recovered original values and version go to the save: a row changed since is a conflict."""
    first = open_window(qtbot, demo_copy_path, tracked=False)
    npcs = open_editor(qtbot, first, "npcs")
    key = stage(npcs, 0, "name", "Mine, from before the crash")
    qtbot.waitUntil(recovery.recovery_path(demo_copy_path).exists, timeout=2000)
    crash(qtbot, first)

    db = open_database(demo_copy_path)  # someone else changes the row meanwhile
    try:
        from core.schema.load import load_catalog

        catalog = load_catalog(db)
        version = stored(demo_copy_path, "npcs", key)["version"]
        save(db, catalog, [Update("npcs", key, {"name": "Theirs"}, {}, version)])
    finally:
        db.dispose()

    window = open_window(qtbot, demo_copy_path)
    restore_prompt(qtbot, window).restore_button.click()
    editor = editor_of(window, "npcs")
    assert editor.model.staged_count == 1
    with qtbot.waitSignal(editor.model.conflicted, timeout=10_000):
        editor.model.save()
    qtbot.waitUntil(lambda: getattr(editor, "conflict_dialog", None) is not None, timeout=10_000)
    editor.conflict_dialog.reject()
    assert stored(demo_copy_path, "npcs", key)["name"] == "Theirs"


def test_undo_redo_of_a_restore(qtbot: QtBot, demo_copy_path: str) -> None:
    """The restore is one undo step: undo unstages everything it staged, redo stages it again."""
    first = open_window(qtbot, demo_copy_path, tracked=False)
    stage_mixed(qtbot, first)
    qtbot.waitUntil(
        lambda: (r := recovery.read_recovery(demo_copy_path)) is not None and r.count == 5, timeout=2000
    )
    crash(qtbot, first)
    window = open_window(qtbot, demo_copy_path)
    restore_prompt(qtbot, window).restore_button.click()
    npcs = editor_of(window, "npcs")
    rows = npcs.model.rowCount()
    npcs.model.undo_stack.undo()
    assert npcs.model.staged_count == 0 and npcs.model.rowCount() == rows - 1
    npcs.model.undo_stack.redo()
    assert npcs.model.staged_count == 4 and npcs.model.rowCount() == rows


def test_not_now_keeps_the_file_and_discard_removes_it(qtbot: QtBot, demo_copy_path: str) -> None:
    """Not Now stages nothing and asks again next time (new edits do not erase them); Discard ends it."""
    first = open_window(qtbot, demo_copy_path, tracked=False)
    npcs = open_editor(qtbot, first, "npcs")
    stage(npcs, 0, "name", "Left for later")
    path = recovery.recovery_path(demo_copy_path)
    qtbot.waitUntil(path.exists, timeout=2000)
    crash(qtbot, first)

    second = open_window(qtbot, demo_copy_path, tracked=False)
    restore_prompt(qtbot, second).later_button.click()
    assert all(e.model.staged_count == 0 for _, e in second._editor_pages())
    regions = open_editor(qtbot, second, "regions")
    stage(regions, 0, "name", "A new edit")
    qtbot.waitUntil(
        lambda: (r := recovery.read_recovery(demo_copy_path)) is not None and r.count == 2, timeout=2000
    )
    regions.model.revert()
    qtbot.waitUntil(
        lambda: (r := recovery.read_recovery(demo_copy_path)) is not None and r.count == 1, timeout=2000
    )
    assert second.close()  # nothing staged: closes at once, and what was kept stays in the file
    shiboken6.delete(second)
    # type: ignore[union-attr]
    assert [t.entity for t in recovery.read_recovery(demo_copy_path).tables] == ["npcs"]

    third = open_window(qtbot, demo_copy_path)
    prompt = restore_prompt(qtbot, third)
    assert prompt.text().startswith("Restore 1 unsaved change from ")
    prompt.discard_button.click()
    assert all(e.model.staged_count == 0 for _, e in third._editor_pages())
    qtbot.waitUntil(lambda: not path.exists(), timeout=2000)


def test_a_normal_quit_with_nothing_staged_leaves_no_file(qtbot: QtBot, demo_copy_path: str) -> None:
    """Edits that were undone leave nothing behind once the window closes; nothing is offered next time."""
    window = open_window(qtbot, demo_copy_path)
    npcs = open_editor(qtbot, window, "npcs")
    stage(npcs, 0, "name", "Undone")
    qtbot.waitUntil(recovery.recovery_path(demo_copy_path).exists, timeout=2000)
    npcs.model.undo_stack.undo()
    assert window.close()
    assert not recovery.recovery_path(demo_copy_path).exists()
    assert not list(recovery.recovery_dir().iterdir())
    again = open_window(qtbot, demo_copy_path)
    assert workers.wait_idle(5000)
    assert again.restore_prompt is None


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_killed_warden_s_edit_is_offered_at_the_next_open(qtbot: QtBot, demo_copy_path: str) -> None:
    """A real kill one second after an edit: the next open offers it, and Restore then Save writes it."""
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-m", "tests.fixtures.crash_editor", demo_copy_path, "Typed before the kill", "1.0"],
        cwd=root, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    key = {"id": uuid.UUID(done.stdout.split()[-1])}
    assert stored(demo_copy_path, "npcs", key)["name"] != "Typed before the kill"

    window = open_window(qtbot, demo_copy_path)
    prompt = restore_prompt(qtbot, window)
    assert prompt.text().startswith("Restore 1 unsaved change from ")
    prompt.restore_button.click()
    editor = editor_of(window, "npcs")
    assert editor.model.staged_count == 1 and editor.staged_label.text() == "1 unsaved change"
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        editor.save()
    assert stored(demo_copy_path, "npcs", key)["name"] == "Typed before the kill"
    qtbot.waitUntil(lambda: not recovery.recovery_path(demo_copy_path).exists(), timeout=2000)


def test_a_quit_that_skips_the_close_still_writes_the_last_edit(qtbot: QtBot, demo_copy_path: str) -> None:
    """Ctrl+C in a terminal quits without closing the window: the edit in the debounce is written then."""
    window = open_window(qtbot, demo_copy_path)
    npcs = open_editor(qtbot, window, "npcs")
    stage(npcs, 0, "name", "Written at quit")
    path = recovery.recovery_path(demo_copy_path)
    assert not path.exists()  # still in the debounce
    QApplication.instance().aboutToQuit.emit()  # type: ignore[union-attr]
    assert path.exists() and recovery.read_recovery(demo_copy_path).count == 1  # type: ignore[union-attr]


def test_a_file_that_cannot_be_written_is_said_in_the_status_bar(
    qtbot: QtBot, demo_copy_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the recovery folder cannot be made, the status bar says so (no value in it); edits stay staged."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    monkeypatch.setenv("WARDEN_DATA_DIR", str(blocker))
    window = open_window(qtbot, demo_copy_path)
    npcs = open_editor(qtbot, window, "npcs")
    stage(npcs, 0, "name", "Secret value 4711")
    bar = window.statusBar()
    qtbot.waitUntil(lambda: "cannot be kept for recovery" in bar.currentMessage(), timeout=3000)
    assert "4711" not in bar.currentMessage()
    assert npcs.model.staged_count == 1
