"""Staged edits are never dropped without asking: quit, closing a tab, another database, a new demo.

Each way out asks Save / Discard / Cancel (a real window-modal QMessageBox, answered by clicking its
button), and the answer is checked against a real SQLite demo database.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot

from core.data import recovery
from core.data.changes import Update
from core.data.repository import save
from core.engine.db import open_database
from core.schema.load import load_catalog
from gui.editor.model.roles import Role, RowState
from gui.main_window import MainWindow
from gui.unsaved import CANCEL, DISCARD, SAVE
from tests.fixtures.editing import active_prompt, column, open_editor, open_window, stage, stored

pytestmark = pytest.mark.usefixtures("own_data_dir")


def _stage_three(qtbot: QtBot, window: MainWindow) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Two staged rows in npcs, one in regions; the two keys and the original npc name."""
    npcs = open_editor(qtbot, window, "npcs")
    name = npcs.model.index(0, column(npcs, "name")).data()
    first = stage(npcs, 0, "name", "Renamed by the test")
    stage(npcs, 1, "description", "A staged description")
    regions = open_editor(qtbot, window, "regions")
    stage(regions, 0, "name", "Renamed region")
    assert npcs.model.staged_count == 2 and regions.model.staged_count == 1
    return first, regions.model.row_key(0) or {}, name


# --- quitting ---------------------------------------------------------------------------------------


def test_quit_asks_and_cancel_changes_nothing(qtbot: QtBot, demo_copy_path: str) -> None:
    """Ctrl+Q with staged edits asks, listing each table and its count; Cancel keeps window and edits."""
    window = open_window(qtbot, demo_copy_path)
    npc_key, _, name = _stage_three(qtbot, window)
    assert not window.close()  # the close is refused while the question is open
    prompt = active_prompt(qtbot)
    assert prompt.text() == "Save 3 unsaved changes before quitting?"
    assert "npcs: 2 unsaved changes" in prompt.informativeText()
    assert "regions: 1 unsaved change\n" in prompt.informativeText() + "\n"
    assert not window.close()  # a second Ctrl+Q while asking does not stack a second question
    prompt.choose(CANCEL)
    qtbot.waitUntil(lambda: window.leave_guard.prompt is None)
    assert window.isVisible()
    assert [e.model.staged_count for _, e in window._editor_pages()] == [2, 1]
    assert stored(demo_copy_path, "npcs", npc_key)["name"] == name  # nothing written


def test_quit_save_writes_every_table_then_closes(qtbot: QtBot, demo_copy_path: str) -> None:
    """Save runs each editor's save (on workers), and only then does the window close."""
    window = open_window(qtbot, demo_copy_path)
    npc_key, region_key, _ = _stage_three(qtbot, window)
    window.close()
    active_prompt(qtbot).choose(SAVE)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15_000)
    assert stored(demo_copy_path, "npcs", npc_key)["name"] == "Renamed by the test"
    assert stored(demo_copy_path, "regions", region_key)["name"] == "Renamed region"
    assert not recovery.recovery_path(demo_copy_path).exists()


def test_quit_discard_drops_the_edits_and_closes(qtbot: QtBot, demo_copy_path: str) -> None:
    """Discard closes at once; nothing is written and no recovery file is left."""
    window = open_window(qtbot, demo_copy_path)
    npc_key, _, name = _stage_three(qtbot, window)
    qtbot.waitUntil(recovery.recovery_path(demo_copy_path).exists, timeout=5000)
    window.close()
    active_prompt(qtbot).choose(DISCARD)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert stored(demo_copy_path, "npcs", npc_key)["name"] == name
    assert not recovery.recovery_path(demo_copy_path).exists()


def test_a_failed_save_keeps_the_window_and_the_edits(qtbot: QtBot, demo_copy_path: str) -> None:
    """A validation error stops the run: the window stays, edits stay, the editor shows why."""
    window = open_window(qtbot, demo_copy_path)
    regions = open_editor(qtbot, window, "regions")
    good = stage(regions, 0, "name", "Saved before the failure")
    npcs = open_editor(qtbot, window, "npcs")
    bad = stage(npcs, 0, "name", None)  # required: refused at save
    name_before = stored(demo_copy_path, "npcs", bad)["name"]
    window.tabs.setCurrentWidget(window.welcome)
    window.close()
    active_prompt(qtbot).choose(SAVE)
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is npcs, timeout=10_000)
    assert window.isVisible() and not window.leave_guard.busy
    assert npcs.model.staged_count == 1 and npcs.message.isVisible()
    assert "Not saved" in npcs.message.text()
    assert stored(demo_copy_path, "npcs", bad)["name"] == name_before
    # its own transaction
    assert stored(demo_copy_path, "regions", good)["name"] == "Saved before the failure"
    qtbot.waitUntil(recovery.recovery_path(demo_copy_path).exists, timeout=2000)  # still staged: still kept


# --- closing a tab ----------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [CANCEL, SAVE, DISCARD])
def test_closing_a_tab_asks(qtbot: QtBot, demo_copy_path: str, answer: str) -> None:
    """The tab's close button asks about its own edits; the answer decides what is written and kept."""
    window = open_window(qtbot, demo_copy_path)
    other = open_editor(qtbot, window, "regions")
    stage(other, 0, "name", "Not part of the question")
    npcs = open_editor(qtbot, window, "npcs")
    name = npcs.model.index(0, column(npcs, "name")).data()
    key = stage(npcs, 0, "name", "Saved from the tab")
    index = window.tabs.indexOf(npcs)
    window.tabs.tabCloseRequested.emit(index)
    prompt = active_prompt(qtbot)
    assert prompt.text() == "Save 1 unsaved change before closing npcs?"
    assert prompt.informativeText().startswith("npcs: 1 unsaved change\n")
    assert window.tabs.indexOf(npcs) == index  # nothing closed while asking
    prompt.choose(answer)
    if answer == CANCEL:
        assert window.tabs.indexOf(npcs) == index and npcs.model.staged_count == 1
        assert stored(demo_copy_path, "npcs", key)["name"] == name
        return
    qtbot.waitUntil(lambda: window.open_entity_names() == ["regions"], timeout=10_000)
    assert stored(demo_copy_path, "npcs", key)["name"] == ("Saved from the tab" if answer == SAVE else name)
    assert other.model.staged_count == 1  # the other tab's edits were not part of it


def test_closing_a_tab_without_edits_does_not_ask(qtbot: QtBot, demo_copy_path: str) -> None:
    """Nothing staged: the tab closes at once."""
    window = open_window(qtbot, demo_copy_path)
    npcs = open_editor(qtbot, window, "npcs")
    window.tabs.tabCloseRequested.emit(window.tabs.indexOf(npcs))
    assert window.leave_guard.prompt is None and window.tabs.indexOf(npcs) < 0


# --- another database, a new demo database ----------------------------------------------------------


@pytest.mark.parametrize("answer", [CANCEL, SAVE, DISCARD])
def test_opening_another_database_asks_first(
    qtbot: QtBot, demo_copy_path: str, demo_template: Path, tmp_path: Path, answer: str
) -> None:
    """The question comes before the other database opens; Cancel leaves the window as it was."""
    window = open_window(qtbot, demo_copy_path)
    npcs = open_editor(qtbot, window, "npcs")
    name = npcs.model.index(0, column(npcs, "name")).data()
    key = stage(npcs, 0, "name", "Kept or not")
    other = str(shutil.copy(demo_template, tmp_path / "other.db"))
    window.open_target(other)
    prompt = active_prompt(qtbot)
    assert prompt.text() == "Save 1 unsaved change before opening another database?"
    assert window.connection_label.text() == demo_copy_path  # not even started
    prompt.choose(answer)
    if answer == CANCEL:
        assert window.connection_label.text() == demo_copy_path and window.tabs.indexOf(npcs) >= 0
        assert npcs.model.staged_count == 1
        assert stored(demo_copy_path, "npcs", key)["name"] == name
        return
    qtbot.waitUntil(lambda: window.connection_label.text() == other, timeout=15_000)
    assert stored(demo_copy_path, "npcs", key)["name"] == ("Kept or not" if answer == SAVE else name)
    assert not recovery.recovery_path(demo_copy_path).exists()


@pytest.mark.parametrize("answer", [CANCEL, SAVE])
def test_new_demo_database_asks_before_it_is_built(
    qtbot: QtBot, demo_copy_path: str, tmp_path: Path, answer: str
) -> None:
    """New Demo Database asks before building anything; Cancel builds nothing, Save saves then builds."""
    window = open_window(qtbot, demo_copy_path)
    npcs = open_editor(qtbot, window, "npcs")
    key = stage(npcs, 0, "name", "Before the demo")
    target = tmp_path / "new-demo.db"
    window.connection_actions.demo_builder.build(str(target))
    prompt = active_prompt(qtbot)
    assert prompt.text() == "Save 1 unsaved change before creating a demo database?"
    assert not target.exists() and window.connection_actions.demo_builder.progress is None
    prompt.choose(answer)
    if answer == CANCEL:
        assert not target.exists() and npcs.model.staged_count == 1
        assert window.connection_label.text() == demo_copy_path
        return
    qtbot.waitUntil(lambda: window.connection_label.text() == str(target), timeout=30_000)
    assert stored(demo_copy_path, "npcs", key)["name"] == "Before the demo"


def test_edits_after_saving_are_not_lost_either(qtbot: QtBot, demo_copy_path: str) -> None:
    """A row staged for deletion counts too, and a normal quit with nothing staged asks nothing."""
    window = open_window(qtbot, demo_copy_path)
    npcs = open_editor(qtbot, window, "npcs")
    npcs.model.delete_rows([2])
    assert npcs.model.index(2, 0).data(Role.ROW_STATE) == RowState.DELETED
    window.close()
    prompt = active_prompt(qtbot)
    assert "npcs: 1 unsaved change" in prompt.informativeText()
    prompt.choose(CANCEL)
    npcs.model.undo_stack.undo()
    assert window.close() and not window.isVisible()
    assert not recovery.recovery_path(demo_copy_path).exists()


def _editing(qtbot: QtBot, window: MainWindow, name: str) -> tuple[QWidget, dict[str, Any]]:
    """The first NPC's `name` cell opened for editing: the widget typed in, and the row's key."""
    npcs = open_editor(qtbot, window, "npcs")
    index = npcs.model.index(0, column(npcs, name))
    key = npcs.model.row_key(0)
    assert key is not None
    npcs.view.setFocus()
    npcs.view.setCurrentIndex(index)
    npcs.view.edit(index)
    typed = QApplication.focusWidget()
    assert typed is not None and npcs.view.isAncestorOf(typed)
    return typed, key


def _quit_saving(qtbot: QtBot, window: MainWindow) -> None:
    """Quit, see the typing asked about, and Save."""
    assert not window.close()
    prompt = active_prompt(qtbot)
    assert "npcs: 1 unsaved change" in prompt.informativeText()
    prompt.choose(SAVE)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)


def test_text_still_in_an_open_cell_editor_counts(qtbot: QtBot, demo_copy_path: str) -> None:
    """Typing not yet confirmed with Enter is committed before asking, so it is asked about, not lost."""
    window = open_window(qtbot, demo_copy_path)
    cell, key = _editing(qtbot, window, "name")
    assert isinstance(cell, QLineEdit)
    cell.selectAll()
    qtbot.keyClicks(cell, "Typed, no Enter")
    _quit_saving(qtbot, window)
    assert stored(demo_copy_path, "npcs", key)["name"] == "Typed, no Enter"


def test_text_still_in_an_open_popup_cell_editor_counts(qtbot: QtBot, demo_copy_path: str) -> None:
    """A text column's pop-up editor (Enter is a new line there, Ctrl+Enter stages): its typing is asked
    about on quit too. It was lost: the window closed without asking, as if nothing had been typed."""
    window = open_window(qtbot, demo_copy_path)
    typed, key = _editing(qtbot, window, "description")
    assert isinstance(typed, QPlainTextEdit)
    typed.selectAll()
    qtbot.keyClicks(typed, "Typed in the pop-up")
    qtbot.keyClick(typed, Qt.Key.Key_Return)  # a new line, not a commit
    _quit_saving(qtbot, window)
    assert stored(demo_copy_path, "npcs", key)["description"] == "Typed in the pop-up\n"


def test_text_still_in_an_open_record_form_field_counts(qtbot: QtBot, demo_copy_path: str) -> None:
    """Typing in a record form field, not yet confirmed, is asked about on quit as well, not lost."""
    window = open_window(qtbot, demo_copy_path)
    npcs = open_editor(qtbot, window, "npcs")
    key = npcs.model.row_key(0)
    assert key is not None
    field = npcs.show_form(0).field("name")
    assert field.start_editing()
    typed = field.editor
    assert isinstance(typed, QLineEdit)
    typed.selectAll()
    qtbot.keyClicks(typed, "Typed in the form")
    assert npcs.model.staged_count == 0
    assert not window.close()
    prompt = active_prompt(qtbot)
    assert "npcs: 1 unsaved change" in prompt.informativeText()
    prompt.choose(SAVE)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert stored(demo_copy_path, "npcs", key)["name"] == "Typed in the form"


def test_a_conflict_on_save_keeps_the_window_open(qtbot: QtBot, demo_copy_path: str) -> None:
    """Someone changed the row meanwhile: the save conflicts, the conflict dialog opens, nothing closes."""
    window = open_window(qtbot, demo_copy_path)
    npcs = open_editor(qtbot, window, "npcs")
    key = stage(npcs, 0, "name", "Mine")
    db = open_database(demo_copy_path)
    try:
        version = stored(demo_copy_path, "npcs", key)["version"]
        save(db, load_catalog(db), [Update("npcs", key, {"name": "Theirs"}, {}, version)])
    finally:
        db.dispose()
    window.close()
    active_prompt(qtbot).choose(SAVE)
    qtbot.waitUntil(lambda: getattr(npcs, "conflict_dialog", None) is not None, timeout=10_000)
    assert window.isVisible() and npcs.model.staged_count == 1 and not window.leave_guard.busy
    assert stored(demo_copy_path, "npcs", key)["name"] == "Theirs"
    npcs.conflict_dialog.reject()
