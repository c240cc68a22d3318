"""The delete preview and the conflict dialog name rows by their label, looked up on a worker, not by UUID."""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QGroupBox
from pytestqt.qtbot import QtBot

from core.engine.db import Database
from core.schema.catalog import Catalog
from gui.editor.dialogs.conflict_dialog import ConflictDialog
from gui.editor.dialogs.delete_dialog import DeletePreviewDialog
from gui.editor.dialogs.row_names import names_text
from tests.fixtures import threads
from tests.fixtures.editing import shown_editor

if TYPE_CHECKING:
    from gui.editor.view import TableEditor

SHOTS = Path("/tmp/warden_shots")
UUID_TEXT = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE)


def _label(editor: TableEditor, row: int) -> str:
    label = editor.entity.label
    assert label is not None
    return str(editor.model.row_values(row)[label])


def test_names_text_counts_what_it_does_not_name() -> None:
    """One name, two names, and names with the rest counted."""
    assert names_text(["Mistmoor"], 1) == "“Mistmoor”"
    assert names_text(["A", "B"], 2) == "“A” and “B”"
    assert names_text(["A", "B", "C", "D", "E", "F"], 12) == "“A”, “B”, “C”, “D”, “E” and 7 more"
    assert names_text([], 3) == ""


def test_delete_preview_names_the_rows(qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]) -> None:
    """Deleting one location titles the preview with its name; three rows are named in a list."""
    db, catalog = sqlite_demo_copy
    editor = shown_editor(qtbot, db, catalog, "locations")
    editor.view.setCurrentIndex(editor.model.index(0, 1))
    editor.delete_selected()
    opened = lambda: isinstance(getattr(editor, "delete_dialog", None), DeletePreviewDialog)  # noqa: E731
    qtbot.waitUntil(opened, timeout=10_000)
    dialog = editor.delete_dialog
    title = dialog.title.text()
    assert _label(editor, 0) in title and not UUID_TEXT.search(title)
    SHOTS.mkdir(exist_ok=True)
    dialog.grab().save(str(SHOTS / "delete_preview_named.png"))
    dialog.reject()

    selection = editor.view.selectionModel()
    for row in range(3):
        selection.select(editor.model.index(row, 1), QItemSelectionModel.SelectionFlag.Select)
    editor.delete_selected()
    qtbot.waitUntil(lambda: editor.delete_dialog is not dialog, timeout=10_000)
    title = editor.delete_dialog.title.text()
    assert all(_label(editor, r) in title for r in range(3)) and not UUID_TEXT.search(title)
    editor.delete_dialog.reject()


def test_conflict_dialog_names_the_row(qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]) -> None:
    """A row someone else changed is shown by its name in the conflict dialog; its key is only a tooltip."""
    db, catalog = sqlite_demo_copy
    editor = shown_editor(qtbot, db, catalog, "locations")
    name = _label(editor, 0)
    key = editor.model.row_key(0)
    assert key is not None
    column = editor.entity.column_names.index("short_description")
    assert editor.model.setData(editor.model.index(0, column), "my description")
    with db.engine.begin() as conn:  # someone else saves the same row meanwhile
        conn.execute(
            sa.text("UPDATE locations SET short_description = 'theirs', version = version + 1 WHERE id = :i"),
            {"i": uuid.UUID(str(key["id"])).hex},
        )
    editor.save()
    opened = lambda: isinstance(getattr(editor, "conflict_dialog", None), ConflictDialog)  # noqa: E731
    qtbot.waitUntil(opened, timeout=10_000)
    dialog = editor.conflict_dialog
    boxes = dialog.findChildren(QGroupBox)
    assert len(boxes) == 1
    assert name in boxes[0].title() and not UUID_TEXT.search(boxes[0].title())
    assert str(key["id"]) in boxes[0].toolTip()
    dialog.resize(820, 360)
    SHOTS.mkdir(exist_ok=True)
    dialog.grab().save(str(SHOTS / "conflict_named.png"))
    dialog.reject()
    editor.model.revert()


def test_names_and_the_form_never_query_on_the_gui_thread(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]
) -> None:
    """The record form, its related rows and the delete preview's labels all come from workers."""
    db, catalog = sqlite_demo_copy
    with threads.statement_threads(db.engine) as idents:
        editor = shown_editor(qtbot, db, catalog, "locations")
        editor.view.setCurrentIndex(editor.model.index(0, 1))
        form = editor.show_form(0)
        qtbot.waitUntil(lambda: "Loading" not in form.references.text(), timeout=10_000)
        editor.delete_selected()
        opened = lambda: isinstance(getattr(editor, "delete_dialog", None), DeletePreviewDialog)  # noqa: E731
        qtbot.waitUntil(opened, timeout=10_000)
        editor.delete_dialog.reject()
    assert idents and threading.get_ident() not in idents
