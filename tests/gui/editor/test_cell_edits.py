"""Typing in the grid is never cut or dropped: too-long text, blank labels and invalid JSON are staged as
typed, marked with core's reason, and refused by Save; the paste preview flags the same values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit
from pytestqt.qtbot import QtBot

from core.data.repository import get_row
from core.engine.db import Database
from core.schema.catalog import Catalog
from gui.editor.delegates.editors import ValueLineEdit
from gui.editor.delegates.json_editor import JsonEditor
from gui.editor.dialogs.paste_dialog import PastePreviewDialog
from gui.editor.model import roles
from gui.editor.model.roles import Role

if TYPE_CHECKING:
    from gui.editor.view import TableEditor

EDIT, DISPLAY = Qt.ItemDataRole.EditRole, Qt.ItemDataRole.DisplayRole
TOO_LONG = "at most 120 characters (got 150)"


def open_editor(qtbot: QtBot, db: Database, catalog: Catalog, entity: str) -> TableEditor:
    """A shown TableEditor with its first page and exact count loaded."""
    from gui.editor.view import TableEditor

    editor = TableEditor(db, catalog, entity)
    qtbot.addWidget(editor)
    editor.resize(1100, 560)
    editor.show()
    qtbot.waitUntil(lambda: editor.model.row_key(0) is not None, timeout=10_000)
    qtbot.waitUntil(lambda: editor.count is not None and editor.count[1], timeout=10_000)
    return editor


def column(editor: TableEditor, name: str) -> int:
    """The grid column of a column name."""
    return editor.entity.column_names.index(name)


def start_editing(qtbot: QtBot, editor: TableEditor, row: int, name: str) -> Any:
    """Open the cell's editor as F2 does; the editor widget."""
    index = editor.model.index(row, column(editor, name))
    editor.view.setCurrentIndex(index)
    editor.view.edit(index)
    qtbot.waitUntil(lambda: editor.view.indexWidget(index) is not None, timeout=2000)
    return editor.view.indexWidget(index)


def save_refused(qtbot: QtBot, editor: TableEditor) -> str:
    """Press Save and wait for core's refusal; its message."""
    with qtbot.waitSignal(editor.model.save_failed, timeout=10_000) as failed:
        editor.actions_by_name["save"].trigger()
    return str(failed.args[0])


def test_too_long_text_is_kept_whole_marked_and_refused_by_save(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]
) -> None:
    """150 characters typed into name (VARCHAR(120)) are neither cut nor saved: the counter says 150 / 120,
    the cell keeps all 150, marked with the limit, and Save refuses with the limit in the message."""
    db, catalog = sqlite_demo_copy
    editor = open_editor(qtbot, db, catalog, "locations")
    key = editor.model.row_key(0)
    assert key is not None
    before = get_row(db, catalog, "locations", key)["name"]
    line = start_editing(qtbot, editor, 0, "name")
    assert isinstance(line, ValueLineEdit) and line.counter is not None
    line.clear()
    qtbot.keyClicks(line, "N" * 118)
    assert line.counter.text() == "118 / 120" and not line.counter.over
    qtbot.keyClicks(line, "N" * 32)
    assert line.text() == "N" * 150, "typing was cut at the column's length"
    assert line.counter.text() == "150 / 120" and line.counter.over
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: editor.view.state() != QAbstractItemView.State.EditingState, timeout=2000)

    cell = editor.model.index(0, column(editor, "name"))
    assert cell.data(EDIT) == "N" * 150  # whole, staged as typed
    assert cell.data(Role.ERROR) == TOO_LONG and cell.data(Qt.ItemDataRole.ToolTipRole) == TOO_LONG
    assert cell.data(Qt.ItemDataRole.BackgroundRole) == roles.CELL_ERROR
    assert editor.model.staged_count == 1
    assert TOO_LONG in save_refused(qtbot, editor)
    assert cell.data(Role.ERROR) == TOO_LONG  # still on its cell after core refused it
    assert get_row(db, catalog, "locations", key)["name"] == before  # nothing was written


def test_a_paste_of_text_that_is_too_long_is_kept_whole_in_the_editor(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]
) -> None:
    """Pasting into the cell editor is not cut either (setMaxLength cut pastes too)."""
    db, catalog = sqlite_demo_copy
    editor = open_editor(qtbot, db, catalog, "locations")
    line = start_editing(qtbot, editor, 0, "name")
    assert isinstance(line, QLineEdit)
    line.clear()
    line.insert("P" * 130)  # what a paste does
    assert line.text() == "P" * 130 and line.counter is not None and line.counter.text() == "130 / 120"


def test_blank_text_in_the_label_column_is_marked_and_refused(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]
) -> None:
    """Clearing `name *` (the label of locations) is refused; clearing another NOT NULL text is not."""
    db, catalog = sqlite_demo_copy
    editor = open_editor(qtbot, db, catalog, "locations")
    model = editor.model
    name, short = column(editor, "name"), column(editor, "short_description")
    assert model.setData(model.index(0, name), "", EDIT)
    assert model.index(0, name).data(Role.ERROR) == "is required and cannot be blank"
    assert model.setData(model.index(1, short), "", EDIT)
    assert model.index(1, short).data(Role.ERROR) is None
    assert model.index(1, short).data(DISPLAY) == "(empty)"
    message = save_refused(qtbot, editor)
    assert "name: is required and cannot be blank" in message
    model.undo_stack.undo()  # the blank short_description
    model.undo_stack.undo()  # the blank name
    assert model.index(0, name).data(Role.ERROR) is None and not model.has_changes
    model.undo_stack.redo()
    assert model.index(0, name).data(Role.ERROR) == "is required and cannot be blank"  # marked again


def test_invalid_json_is_kept_when_the_user_clicks_away(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]
) -> None:
    """Invalid JSON typed into a JSON cell survives a click elsewhere: staged as typed, marked invalid with
    the parser's message; Save refuses with the error on that cell; reopening shows the text again."""
    db, catalog = sqlite_demo_copy
    editor = open_editor(qtbot, db, catalog, "tool_executions")
    json_editor = start_editing(qtbot, editor, 0, "inputs_json")
    assert isinstance(json_editor, JsonEditor)
    typed = '{"order": "ORD-1",\n "qty": }'
    json_editor.text_edit.setPlainText(typed)
    assert not json_editor.is_valid()
    editor.filter_bar.quick.setFocus()  # the user clicks away
    qtbot.waitUntil(lambda: editor.view.state() != QAbstractItemView.State.EditingState, timeout=2000)

    cell = editor.model.index(0, column(editor, "inputs_json"))
    assert cell.data(EDIT) == typed, "the typed text was dropped"
    assert cell.data(Role.ERROR).startswith("is not valid JSON: Expecting value at line 2")
    assert cell.data(Qt.ItemDataRole.BackgroundRole) == roles.CELL_ERROR
    assert cell.data(DISPLAY) == '{"order": "ORD-1", "qty": }'  # as typed, on one line
    message = save_refused(qtbot, editor)
    assert "inputs_json: is not valid JSON" in message
    assert cell.data(Role.ERROR).startswith("is not valid JSON")

    reopened = start_editing(qtbot, editor, 0, "inputs_json")
    assert isinstance(reopened, JsonEditor)
    assert reopened.text_edit.toPlainText() == typed and not reopened.is_valid()
    reopened.text_edit.setPlainText('{"order": "ORD-1", "qty": 2}')
    qtbot.keyClick(reopened.text_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert cell.data(EDIT) == {"order": "ORD-1", "qty": 2} and cell.data(Role.ERROR) is None


def test_the_paste_preview_flags_too_long_values(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]
) -> None:
    """A pasted value over the column's length is red in the preview, with the limit, and Stage is off."""
    db, catalog = sqlite_demo_copy
    editor = open_editor(qtbot, db, catalog, "locations")
    model = editor.model
    top_left = model.index(0, column(editor, "name"))
    preview = model.paste_preview(top_left, "Short Name\n" + "L" * 150 + '\n""')  # "" is one blank cell
    problems = {c.row: c.problem for c in preview.cells if c.problem}
    assert problems == {1: TOO_LONG, 2: "is required and cannot be blank"}
    assert not preview.ok
    dialog = PastePreviewDialog(preview, entity="locations")
    qtbot.addWidget(dialog)
    assert dialog.problem_cells() == [(1, 0), (2, 0)]
    assert dialog.table.item(1, 0).toolTip() == TOO_LONG
    assert dialog.table.item(2, 0).text() == "(empty)" and dialog.table.item(2, 0).font().italic()
    assert dialog.table.columnWidth(0) <= 260  # the long value is elided, not a window-wide column
    assert not dialog.stage_button.isEnabled()
    assert not model.apply_paste(preview) and not model.has_changes


def test_out_of_range_and_half_typed_numbers_are_kept_and_marked(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]
) -> None:
    """A number past the column's range, or a lone minus sign, is staged as typed and marked, not dropped."""
    db, catalog = sqlite_demo_copy
    editor = open_editor(qtbot, db, catalog, "products")
    stock = column(editor, "stock")
    line = start_editing(qtbot, editor, 0, "stock")
    assert isinstance(line, ValueLineEdit)
    line.setText("99999999999")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: editor.view.state() != QAbstractItemView.State.EditingState, timeout=2000)
    cell = editor.model.index(0, stock)
    assert cell.data(EDIT) == 99999999999
    assert cell.data(Role.ERROR) == "must be between -2147483648 and 2147483647 (a 32-bit integer)"
    line = start_editing(qtbot, editor, 1, "stock")
    line.setText("-")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: editor.view.state() != QAbstractItemView.State.EditingState, timeout=2000)
    half = editor.model.index(1, stock)
    assert half.data(EDIT) == "-" and half.data(DISPLAY) == "-"
    assert half.data(Role.ERROR) == "expected a whole number such as 42 (got '-')"
    with db.engine.connect() as conn:  # the stored value is untouched
        assert conn.execute(sa.text("SELECT count(*) FROM products WHERE stock = 99999999999")).scalar() == 0


# --- revert asks first, and Undo brings it back ------------------------------------------------------


def stage_many(editor: TableEditor, renames: int) -> dict[int, str]:
    """Rename the first `renames` rows, insert one row and delete row `renames`; the new names by row."""
    model, name = editor.model, column(editor, "name")
    names = {r: f"Renamed {r}" for r in range(renames)}
    for r, text in names.items():
        assert model.setData(model.index(r, name), text, EDIT)
    model.delete_rows([renames])
    model.insert_row({"name": "Brand New"})
    return names


def test_revert_of_many_changes_asks_first_and_undo_brings_them_back(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]
) -> None:
    """12 staged changes: Revert asks "Revert 12 unsaved changes in locations?"; Cancel keeps them; Revert
    drops them all as one step, and Undo brings every one back (edits, the delete and the new row)."""
    db, catalog = sqlite_demo_copy
    editor = open_editor(qtbot, db, catalog, "locations")
    model, name = editor.model, column(editor, "name")
    stage_many(editor, 10)
    assert model.staged_count == 12
    revert, undo, save = (editor.actions_by_name[a] for a in ("revert", "undo", "save"))

    revert.trigger()
    prompt = editor.revert_prompt
    assert prompt is not None and prompt.isVisible()
    assert prompt.text() == "Revert 12 unsaved changes in locations?"
    assert model.staged_count == 12  # nothing happens before the answer
    prompt.choose(False)
    assert editor.revert_prompt is None and model.staged_count == 12

    revert.trigger()
    assert editor.revert_prompt is not None
    editor.revert_prompt.choose(True)
    assert not model.has_changes and model.rowCount() == editor.count[0]  # the new row is gone too
    assert not revert.isEnabled() and not save.isEnabled() and undo.isEnabled()
    assert model.index(0, name).data(Role.STAGED) is False

    undo.trigger()
    assert model.staged_count == 12
    assert model.index(0, 0).data(Role.ROW_STATE) == "inserted"
    assert model.index(0, name).data(EDIT) == "Brand New"
    assert [model.index(1 + r, name).data(EDIT) for r in range(10)] == [f"Renamed {r}" for r in range(10)]
    assert model.index(11, name).data(Role.ROW_STATE) == "deleted"
    assert revert.isEnabled() and save.isEnabled()
    model.undo_stack.redo()
    assert not model.has_changes
    model.undo_stack.undo()  # and back again; then the edits undo one by one as before
    model.undo_stack.undo()  # the insert
    assert model.staged_count == 11 and model.index(0, name).data(EDIT) == "Renamed 0"


def test_reverting_a_change_or_two_does_not_ask(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]
) -> None:
    db, catalog = sqlite_demo_copy
    editor = open_editor(qtbot, db, catalog, "locations")
    model, name = editor.model, column(editor, "name")
    before = model.index(0, name).data(EDIT)
    model.setData(model.index(0, name), "N" * 150, EDIT)  # staged invalid: reverted like any other
    model.setData(model.index(1, name), "Second", EDIT)
    editor.actions_by_name["revert"].trigger()
    assert editor.revert_prompt is None and not model.has_changes
    assert model.index(0, name).data(EDIT) == before and model.index(0, name).data(Role.ERROR) is None
    editor.actions_by_name["undo"].trigger()
    assert model.index(0, name).data(Role.ERROR) == TOO_LONG and model.staged_count == 2


def test_the_record_forms_editor_counts_too(qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]) -> None:
    """The record form opens the grid's editor: the same counter, the same whole text, the same mark."""
    db, catalog = sqlite_demo_copy
    editor = open_editor(qtbot, db, catalog, "locations")
    form = editor.show_form(0)
    qtbot.waitUntil(lambda: "Loading" not in form.references.text(), timeout=10_000)
    field = form.field("name")
    assert field.start_editing()
    line = field.editor
    assert isinstance(line, ValueLineEdit) and line.counter is not None
    line.setText("F" * 119)
    assert line.counter.text() == "119 / 120" and not line.counter.over
    line.setText("F" * 150)
    assert line.counter.text() == "150 / 120" and line.counter.over
    field.finish_editing(commit=True)
    cell = editor.model.index(0, column(editor, "name"))
    assert cell.data(EDIT) == "F" * 150 and cell.data(Role.ERROR) == TOO_LONG
