"""The grid's paint fast paths: unserved roles cost nothing, the located row follows every change, and the
delegate's per-column table follows the model's columns."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from pytestqt.qtbot import QtBot

from core.data.repository import Filter, estimate_count, exact_count
from core.schema.catalog import ColumnInfo
from gui.editor.delegates.cell_delegate import CellDelegate
from gui.editor.model import roles
from gui.editor.model.page_cache import PAGE_SIZE
from gui.editor.model.roles import Role, RowState
from gui.editor.model.row_window import FIRST_PAGE
from gui.editor.model.table_model import TableEditorModel
from gui.runtime import workers
from tests.fixtures.demo import Demo
from tests.fixtures.table_model import col, loaded, open_model

DISPLAY, EDIT = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole
UNSERVED = (
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.CheckStateRole,
    Qt.ItemDataRole.SizeHintRole,
    Qt.ItemDataRole.StatusTipRole,
    Qt.ItemDataRole.WhatsThisRole,
    Qt.ItemDataRole.AccessibleTextRole,
)


def test_unserved_roles_answer_none_without_locating_the_row(
    qtbot: QtBot, demo_copy: Demo, monkeypatch: Any
) -> None:
    """Roles the model never serves are None before any row lookup; served ones still work."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "locations")
    qtbot.waitUntil(loaded(model, 0, 0), timeout=10_000)
    index = model.index(0, col(model, "name"))
    shown = index.data(DISPLAY)

    def boom(_row: int) -> Any:
        raise AssertionError("located a row for an unserved role")

    monkeypatch.setattr(model.grid, "locate", boom)
    for role in UNSERVED:
        assert model.data(index, role) is None, role
    monkeypatch.undo()
    assert index.data(DISPLAY) == shown
    assert index.data(Role.COLUMN) == model.column_info(col(model, "name"))
    assert model.data(index, Qt.ItemDataRole.BackgroundRole) is None
    assert model.data(index, Qt.ItemDataRole.FontRole) is None
    number = model.index(0, col(model, "version"))
    assert (
        number.data(Qt.ItemDataRole.TextAlignmentRole)
        == Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    )


def test_the_located_row_follows_edits_inserts_and_filters(qtbot: QtBot, demo_copy: Demo) -> None:
    """Staging, inserting and reloading change what a cell shows at once, despite the cached row."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "locations")
    qtbot.waitUntil(loaded(model, 0, 1), timeout=10_000)
    name = col(model, "name")
    first, second = model.index(0, name).data(EDIT), model.index(1, name).data(EDIT)
    assert model.setData(model.index(0, name), "Renamed Glade")
    assert model.index(0, name).data(DISPLAY) == "Renamed Glade"
    assert model.index(0, name).data(Qt.ItemDataRole.BackgroundRole) == roles.STAGED_EDIT
    assert model.index(0, name).data(Role.ROW_STATE) == RowState.EDITED
    model.undo_stack.undo()
    assert model.index(0, name).data(EDIT) == first
    assert model.index(0, name).data(Qt.ItemDataRole.BackgroundRole) is None
    model.insert_row()  # a staged new row comes first: every database row moves down one
    assert model.index(0, 0).data(Role.ROW_STATE) == RowState.INSERTED
    assert model.index(1, name).data(EDIT) == first
    assert model.index(2, name).data(EDIT) == second
    model.revert()
    assert model.index(0, name).data(EDIT) == first
    with qtbot.waitSignal(model.count_changed, timeout=10_000, check_params_cb=lambda n, exact: exact):
        model.set_filters([Filter("name", "eq", second)], None)
    qtbot.waitUntil(loaded(model, 0, 0), timeout=10_000)
    assert model.index(0, name).data(EDIT) == second


def test_delegate_reads_columns_from_a_table_that_follows_the_model(qtbot: QtBot, demo_copy: Demo) -> None:
    """One table per model (column_info, foreign_key), rebuilt on reset; other models are asked per cell."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "locations")
    delegate = CellDelegate()
    region = model.index(0, col(model, "region_id"))
    column, fk = delegate.describe(region)
    assert column == model.column_info(region.column()) and fk is not None and fk.target == "regions"
    assert delegate.describe(model.index(0, col(model, "name")))[1] is None
    built = delegate._columns
    model.beginResetModel()
    model.endResetModel()
    assert delegate.describe(region)[0] == column and delegate._columns is not built

    plain = QStandardItemModel(1, 1)
    item = QStandardItem()
    info = ColumnInfo("flag", "BOOLEAN", "boolean", False, False)
    item.setData(info, Role.COLUMN)
    plain.setItem(0, 0, item)
    assert delegate.describe(plain.index(0, 0)) == (info, None)
    assert delegate.describe(model.index(0, col(model, "region_id")))[1] is not None


def test_first_screenful_then_the_page_then_the_count(qtbot: QtBot, demo_copy: Demo) -> None:
    """An empty window loads FIRST_PAGE rows first; the whole page and the exact count follow."""
    db, catalog = demo_copy
    model = TableEditorModel(db, catalog, "tool_executions")
    events: list[tuple[str, int, int]] = []
    model.rows_loaded.connect(lambda first, last: events.append(("rows", first, last)))
    model.count_changed.connect(lambda n, exact: events.append(("count", n, int(exact))))
    qtbot.waitUntil(lambda: model.exact and loaded(model, 0, PAGE_SIZE - 1)(), timeout=10_000)
    rows = [e for e in events if e[0] == "rows"]
    assert rows[0] == ("rows", 0, FIRST_PAGE - 1)
    assert events.index(("count", 10_000, 1)) > events.index(rows[0])
    assert ("rows", 0, PAGE_SIZE - 1) in events
    assert model.rowCount() == 10_000 and model.rows_held >= PAGE_SIZE


def test_a_small_table_is_counted_by_its_first_page(qtbot: QtBot, demo_copy: Demo) -> None:
    """When the first load runs into the end, its length is the exact count: no count query follows."""
    db, catalog = demo_copy
    started: list[Any] = []
    model = TableEditorModel(db, catalog, "tool_executions")
    qtbot.waitUntil(lambda: model.exact, timeout=10_000)
    original = workers.run

    def spy(fn: Any, *args: Any, **kwargs: Any) -> Any:
        started.append(fn)
        return original(fn, *args, **kwargs)

    qtbot.waitUntil(loaded(model, 0, 2), timeout=10_000)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workers, "run", spy)
        with qtbot.waitSignal(model.count_changed, timeout=10_000, check_params_cb=lambda n, exact: exact):
            keys = [model.row_key(r)["id"] for r in range(3)]  # type: ignore[index]
            model.set_filters([Filter("id", "in", keys)], None)
        qtbot.waitUntil(lambda: not model.window.in_flight, timeout=10_000)
    assert model.rowCount() == 3
    assert exact_count not in started and estimate_count not in started
