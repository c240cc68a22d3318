"""Qt's model tester on the item models the GUI shows, filled with real rows, beside TableEditorModel's own
check in test_model.py: the FK picker's matches, the record form's related tabs, the delete and paste
previews, the filter bar's value list and the shortcuts table.

The item widgets' models are Qt's own (QListWidget, QTableWidget, QTreeWidget). qtmodeltester's tester stays
attached to a model until the fixture ends, and one attached while its item widget is destroyed crashes
Qt; `checked` attaches the same C++ tester (QAbstractItemModelTester, failures as Qt warnings, which fail
a GUI test) for the test's own duration. The navigator's QTreeWidget is not checked: Qt's QTreeWidget
model answers index(0, 0) under column 1 of a row with the child under column 0, which Qt's tester rejects
("childIndex != childIndex1") for any tree with children.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import shiboken6
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from core.data.repository import delete_preview
from core.engine.db import Database
from core.schema.catalog import Catalog, ColumnInfo, Entity
from gui.editor.delegates.fk_picker import ForeignKeyPicker
from gui.editor.dialogs.delete_dialog import DeletePreviewDialog
from gui.editor.dialogs.paste_dialog import PastePreviewDialog
from gui.editor.filter_bar import ConditionRow
from gui.editor.form import RecordForm
from gui.editor.model.table_model import TableEditorModel
from gui.help_dialogs import ShortcutsDialog
from tests.fixtures.editing import open_window
from tests.fixtures.world import busy_location

Demo = tuple[Database, Catalog]


@contextmanager
def checked(model: QAbstractItemModel) -> Iterator[None]:
    """Qt's model tester on `model` now and on every change it makes inside the block."""
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    try:
        yield
    finally:
        shiboken6.delete(tester)  # before the model's widget goes


def test_shortcuts_table_model(qtbot: QtBot, demo_template: Path, tmp_path: Path) -> None:
    """The shortcuts table, built from the main window's menus."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    window = open_window(qtbot, str(path))
    dialog = ShortcutsDialog(window.menuBar())
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() > 0
    with checked(dialog.table.model()):
        dialog.table.sortItems(1)


def test_fk_picker_model(qtbot: QtBot, sqlite_demo_copy: Demo) -> None:
    """The picker's list of matches, while a search replaces them."""
    db, catalog = sqlite_demo_copy
    fk = next(f for f in catalog.get("locations").foreign_keys if f.columns == ("region_id",))
    picker = ForeignKeyPicker(db, catalog, fk)
    qtbot.addWidget(picker)
    with qtbot.waitSignal(picker.matches_shown, timeout=10_000):
        picker.set_value(None)
    assert picker.list.count() > 0
    with checked(picker.list.model()):
        with qtbot.waitSignal(picker.matches_shown, timeout=10_000):
            picker.search(picker.matches()[-1].label[:4])
        assert picker.list.count() > 0


def test_related_tab_models(qtbot: QtBot, sqlite_demo_copy: Demo) -> None:
    """Each related tab's table of rows, in both directions, sorted by a column."""
    db, catalog = sqlite_demo_copy
    form = RecordForm(db, catalog, "locations")
    qtbot.addWidget(form)
    with qtbot.waitSignal(form.related_loaded, timeout=10_000):
        form.load(busy_location(db), "Somewhere")
    for title in ("npcs", "→ region"):
        table = form.related_tab(title).table
        assert table.rowCount() > 0
        with checked(table.model()):
            table.sortItems(0)


def test_delete_and_paste_preview_models(qtbot: QtBot, sqlite_demo_copy: Demo) -> None:
    """The delete preview's list of effects, and the paste preview's table of values (one bad)."""
    db, catalog = sqlite_demo_copy
    dialog = DeletePreviewDialog(delete_preview(db, catalog, "locations", [busy_location(db)]))
    qtbot.addWidget(dialog)
    assert dialog.tree.topLevelItemCount() > 0
    with checked(dialog.tree.model()):
        dialog.tree.sortItems(1, Qt.SortOrder.DescendingOrder)
    model = TableEditorModel(db, catalog, "regions")
    qtbot.waitUntil(lambda: model.exact and model.row_key(1) is not None, timeout=10_000)
    preview = model.paste_preview(model.index(0, 1), "Mossy Hollow\tfine\nOld Mill\t\n")
    paste = PastePreviewDialog(preview, entity="regions")
    qtbot.addWidget(paste)
    assert paste.table.rowCount() == 2
    with checked(paste.table.model()):
        paste.table.sortItems(0)


def test_filter_bar_value_list_model(qtbot: QtBot) -> None:
    """The one-of filter's list of values, while values are ticked and unticked."""
    status = ColumnInfo(
        "status", "varchar", "enum", False, False, enum_values=("success", "error", "timeout")
    )
    row = ConditionRow(Entity(name="runs", source="runs", columns=[status], primary_key=()), "status")
    qtbot.addWidget(row)
    with checked(row.enum_model):
        row.check_values(["error", "timeout"])
        row.check_values([])
