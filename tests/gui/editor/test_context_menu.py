"""The grid's context menu and cell commands: Copy with headers, Cut, Set NULL (staged, one undo step,
NOT NULL columns explained), Filter by / Exclude this value through the filter bar, references."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from core.data.repository import Filter
from core.engine.db import Database
from core.schema.catalog import Catalog
from gui.editor import cell_commands
from gui.editor.model.roles import Role
from gui.runtime import workers

if TYPE_CHECKING:
    from gui.editor.view import TableEditor

EDIT = Qt.ItemDataRole.EditRole


@pytest.fixture
def regions(qtbot: QtBot, demo_copy: tuple[Database, Catalog]) -> Iterator[TableEditor]:
    """A shown editor on the demo's regions, its first page loaded."""
    from gui.editor.view import TableEditor

    db, catalog = demo_copy
    editor = TableEditor(db, catalog, "regions")
    qtbot.addWidget(editor)
    editor.resize(1000, 600)
    editor.show()
    loaded = lambda: editor.model.rowCount() > 0 and editor.model.row_key(0) is not None  # noqa: E731
    qtbot.waitUntil(loaded, timeout=10_000)
    yield editor
    editor.model.undo_stack.clear()  # nothing staged is left to ask about
    workers.wait_idle()


def _col(editor: TableEditor, name: str) -> int:
    return editor.model.entity.column_names.index(name)


def _select(editor: TableEditor, rows: range, columns: list[str]) -> None:
    selection = QItemSelection()
    for name in columns:
        c = _col(editor, name)
        selection.select(editor.model.index(rows.start, c), editor.model.index(rows.stop - 1, c))
    editor.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def _value(editor: TableEditor, row: int, column: str) -> Any:
    return editor.model.index(row, _col(editor, column)).data(EDIT)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_set_null_stages_nullable_cells_as_one_undo_step(
    qtbot: QtBot, regions: TableEditor, demo_copy: tuple[Database, Catalog]
) -> None:
    """Set NULL on description, climate and name: the nullable two are staged NULL, name is explained."""
    editor = regions
    _select(editor, range(0, 2), ["name", "description", "climate"])
    names = [_value(editor, r, "name") for r in range(2)]
    keys = [editor.model.row_key(r) for r in range(2)]
    editor.actions_by_name["set_null"].trigger()
    for r in range(2):
        assert _value(editor, r, "description") is None and _value(editor, r, "climate") is None
        assert editor.model.index(r, _col(editor, "description")).data(Role.STAGED)
        assert _value(editor, r, "name") == names[r]
    assert "name is required (NOT NULL)" in editor.message.text()
    assert editor.model.undo_stack.count() == 1, "one undo step for the whole selection"
    editor.model.undo_stack.undo()
    assert _value(editor, 0, "description") is not None and not editor.model.has_changes
    editor.model.undo_stack.redo()

    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        editor.save()
    db, catalog = demo_copy
    table = catalog.get("regions").table
    with db.engine.connect() as conn:
        stored = conn.execute(
            sa.select(table.c.description, table.c.climate, table.c.name).where(
                table.c.id.in_([k["id"] for k in keys if k is not None])
            )
        ).all()
    assert sorted(r.name for r in stored) == sorted(names)
    assert all(r.description is None and r.climate is None for r in stored)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_set_null_on_required_columns_changes_nothing_and_says_why(regions: TableEditor) -> None:
    """Only NOT NULL cells selected: nothing is staged, and the message names the columns."""
    _select(regions, range(0, 3), ["name", "danger_level"])
    assert cell_commands.set_null(regions) == 0
    assert regions.model.undo_stack.count() == 0 and not regions.model.has_changes
    text = regions.message.text()
    assert "danger_level, name are required (NOT NULL)" in text and text.startswith("Not set to NULL")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_copy_with_headers_and_cut(regions: TableEditor) -> None:
    """Copy with headers puts the column names first; Cut copies, then stages NULL."""
    _select(regions, range(0, 2), ["name", "climate"])
    regions.actions_by_name["copy_headers"].trigger()
    lines = QApplication.clipboard().text().split("\n")
    assert lines[0] == "name\tclimate" and len(lines) == 3
    assert lines[1].split("\t")[0] == _value(regions, 0, "name")

    description = _value(regions, 0, "description")
    assert description
    _select(regions, range(0, 1), ["description"])
    regions.actions_by_name["cut"].trigger()
    assert QApplication.clipboard().text() == str(description).replace("\t", " ")
    assert _value(regions, 0, "description") is None and regions.model.has_changes


def _rows(editor: TableEditor, column: str) -> list[Any]:
    return [_value(editor, r, column) for r in range(editor.model.rowCount())]


def _settled(editor: TableEditor) -> bool:
    model = editor.model
    return workers.pending_count() == 0 and all(model.row_key(r) is not None for r in range(model.rowCount()))


def test_filter_by_and_exclude_a_value_go_through_the_filter_bar(
    qtbot: QtBot, regions: TableEditor, demo_copy: tuple[Database, Catalog]
) -> None:
    """Filter by a name, exclude a climate, and a NULL parent (is empty): the bar shows each condition."""
    editor = regions
    db, catalog = demo_copy
    table = catalog.get("regions").table
    with db.engine.connect() as conn:
        query = sa.select(sa.func.count()).where(table.c.parent_region_id.is_(None))
        top_level = conn.execute(query).scalar()
    assert top_level

    null_row = _rows(editor, "parent_region_id").index(None)
    index = editor.model.index(null_row, _col(editor, "parent_region_id"))
    assert cell_commands.filter_by_value(editor, index, exclude=False)
    assert editor.filter_bar.filters() == [Filter("parent_region_id", "is_null")]
    qtbot.waitUntil(lambda: _settled(editor) and editor.model.rowCount() == top_level, timeout=10_000)

    climate = next(c for c in _rows(editor, "climate") if c is not None)
    index = editor.model.index(_rows(editor, "climate").index(climate), _col(editor, "climate"))
    assert cell_commands.filter_by_value(editor, index, exclude=True)
    assert editor.filter_bar.filters()[1] == Filter("climate", "ne", climate)
    qtbot.waitUntil(lambda: _settled(editor) and climate not in _rows(editor, "climate"), timeout=10_000)
    assert editor.model.rowCount() > 0 and set(_rows(editor, "parent_region_id")) == {None}

    editor.filter_bar.clear()
    editor.filter_bar.apply_now()
    qtbot.waitUntil(lambda: _settled(editor) and editor.model.rowCount() > top_level, timeout=10_000)
    for column in ("name", "id", "danger_level", "created_at"):
        value = _value(editor, 1, column)
        index = editor.model.index(1, _col(editor, column))
        assert cell_commands.filter_by_value(editor, index, exclude=False), column
        qtbot.waitUntil(lambda: _settled(editor) and editor.model.rowCount() >= 1, timeout=10_000)
        assert value in _rows(editor, column), column
        assert all(v == value for v in _rows(editor, column)), column
        editor.filter_bar.clear()
        editor.filter_bar.apply_now()
        qtbot.waitUntil(lambda: _settled(editor) and editor.model.rowCount() > top_level, timeout=10_000)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_context_menu_offers_the_cell_commands(qtbot: QtBot, regions: TableEditor) -> None:
    """The menu lists copy/paste, Set NULL, filters, references and the form; what cannot run says why."""
    child = next(r for r, v in enumerate(_rows(regions, "parent_region_id")) if v is not None)
    index = regions.model.index(child, _col(regions, "parent_region_id"))
    menu = cell_commands.context_menu(regions, index)
    qtbot.addWidget(menu)
    texts = [a.text().replace("&", "").split("\t")[0] for a in menu.actions() if not a.isSeparator()]
    assert texts == [
        "Copy", "Copy with Headers", "Paste…", "Set NULL", "Filter by This Value", "Exclude This Value",
        "Open Referenced Record", "Record Form", "Show in Graph", "More Like This", "Re-embed Selected Rows",
        "Duplicate Rows",
        "Delete Rows…",
    ]  # fmt: skip
    reference = menu.findChild(type(menu.actions()[0]), "openReferenceAction")
    assert reference is not None and reference.isEnabled()
    with qtbot.waitSignal(regions.open_entity_requested) as opened:
        reference.trigger()
    assert opened.args[0] == "regions" and opened.args[1][0].op == "eq"

    vector = cell_commands.context_menu(regions, regions.model.index(0, _col(regions, "embedding")))
    qtbot.addWidget(vector)
    by_name = {a.objectName(): a for a in vector.actions()}
    if _value(regions, 0, "embedding") is not None:
        assert not by_name["filterValueAction"].isEnabled()
        assert "cannot be filtered" in by_name["filterValueAction"].toolTip()
    assert not by_name["openReferenceAction"].isEnabled()
    assert by_name["openReferenceAction"].toolTip() == "This column does not refer to another table."
    assert vector.toolTipsVisible()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_alt_del_while_typing_a_filter_leaves_the_grid_alone(qtbot: QtBot, regions: TableEditor) -> None:
    """Alt+Del in the quick-search box is about its text: the selected cells are not set to NULL."""
    editor = regions
    _select(editor, range(0, 2), ["description"])
    box = editor.filter_bar.quick
    box.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is box)
    qtbot.keyClick(box, Qt.Key.Key_Delete, Qt.KeyboardModifier.AltModifier)
    assert not editor.model.has_changes
    assert _value(editor, 0, "description") is not None


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("column", ["description", "climate"])
def test_alt_del_while_typing_in_a_cell_keeps_the_typing(
    qtbot: QtBot, regions: TableEditor, column: str
) -> None:
    """Alt+Del in an open cell editor (pop-up or line) is about its text: the cell is not set to NULL
    under it, which would also replace what was typed with an empty editor."""
    editor = regions
    index = editor.model.index(0, _col(editor, column))
    editor.view.setFocus()
    editor.view.setCurrentIndex(index)
    editor.view.edit(index)
    qtbot.waitUntil(lambda: editor.isAncestorOf(QApplication.focusWidget() or editor))
    typing = QApplication.focusWidget()
    assert isinstance(typing, QLineEdit | QPlainTextEdit)
    qtbot.keyClicks(typing, " typed")
    qtbot.keyClick(typing, Qt.Key.Key_Delete, Qt.KeyboardModifier.AltModifier)
    assert not editor.model.has_changes
    text = typing.toPlainText() if isinstance(typing, QPlainTextEdit) else typing.text()
    assert text.endswith(" typed")
