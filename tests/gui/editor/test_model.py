"""TableEditorModel on demo data (SQLite and PostgreSQL): loading, roles, staged edits, save, conflicts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.data.changes import Update
from core.data.repository import Filter, fetch_page, get_row, save
from core.engine.db import Database
from core.errors import NotFoundError
from core.schema.catalog import Catalog, ColumnInfo
from gui.editor.model import roles
from gui.editor.model.cells import display_text, full_text
from gui.editor.model.page_cache import MAX_PAGES, PAGE_SIZE
from gui.editor.model.roles import Role, RowState
from gui.editor.model.table_model import TableEditorModel
from tests.fixtures.demo import Demo
from tests.fixtures.table_model import col, loaded, open_model, saved

DISPLAY, EDIT = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole

# --- helpers --------------------------------------------------------------------------------------


def row_of(model: TableEditorModel, key: dict[str, Any]) -> int | None:
    """The grid row showing the row with this key, if loaded."""
    return next((r for r in range(model.rowCount()) if model.row_key(r) == key), None)


def stored(db: Database, catalog: Catalog, entity: str, key: dict[str, Any]) -> dict[str, Any]:
    """The row as the database has it now (read from the test thread)."""
    return get_row(db, catalog, entity, key)


# --- the Qt model contract ------------------------------------------------------------------------


def test_modeltester_on_loaded_and_on_empty(qtbot: QtBot, qtmodeltester: Any, demo_copy: Demo) -> None:
    """qtmodeltester passes on a loaded model, with staged rows, and on a filtered, empty one."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "locations")
    qtbot.waitUntil(loaded(model), timeout=10_000)
    qtmodeltester.check(model)
    model.setData(model.index(0, col(model, "name")), "Checked Glade")
    model.insert_row()
    model.delete_rows([3])
    qtmodeltester.check(model)
    model.revert()
    with qtbot.waitSignal(model.count_changed, timeout=10_000, check_params_cb=lambda n, exact: exact):
        model.set_filters([Filter("name", "eq", "no such place")], None)
    assert model.rowCount() == 0
    qtmodeltester.check(model)


def test_roles_and_headers(qtbot: QtBot, demo_copy: Demo) -> None:
    """Display text per kind, Edit values, full text, keys, column info, headers and flags."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "locations")
    first = fetch_page(db, catalog, "locations", limit=1).rows[0]
    names = model.entity.column_names
    row = dict(zip(names, first, strict=True))
    assert model.row_key(0) == {"id": row["id"]}
    assert model.row_values(0)["name"] == row["name"]
    created = model.index(0, col(model, "created_at"))
    assert created.data(EDIT) == row["created_at"]
    assert created.data(DISPLAY) == row["created_at"].astimezone().strftime("%Y-%m-%d %H:%M:%S")
    state = model.index(0, col(model, "state_json"))
    assert "\n" not in state.data(DISPLAY) and state.data(EDIT) == row["state_json"]
    assert model.index(0, 0).data(Role.COLUMN) == model.column_info(0)
    assert model.index(0, col(model, "region_id")).data(Role.FOREIGN_KEY).target == "regions"
    assert model.index(0, 0).data(Role.ROW_STATE) == RowState.LOADED
    assert model.headerData(0, Qt.Orientation.Vertical) == "1"
    flags = model.flags(model.index(0, col(model, "name")))
    assert flags & Qt.ItemFlag.ItemIsEditable
    for name in ("id", "version", "embedding"):
        assert not model.flags(model.index(0, col(model, name))) & Qt.ItemFlag.ItemIsEditable, name
    long_text = model.index(0, col(model, "full_description"))
    if len(str(long_text.data(EDIT))) > roles.DISPLAY_LIMIT:
        assert len(long_text.data(DISPLAY)) == roles.DISPLAY_LIMIT
        assert long_text.data(Qt.ItemDataRole.ToolTipRole) == long_text.data(EDIT)


def test_value_formatting() -> None:
    """Local times, ✓ booleans, decimals at their scale, compact JSON, vector summaries, truncation."""

    def info(kind: str, **kw: Any) -> ColumnInfo:
        return ColumnInfo("c", kind.upper(), kind, True, False, **kw)

    stamp = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC)
    assert display_text(info("datetime"), stamp) == stamp.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert full_text(info("datetime"), stamp) == stamp.astimezone().isoformat()
    assert display_text(info("boolean"), True) == "✓" and display_text(info("boolean"), False) == ""
    assert display_text(info("decimal", scale=2), Decimal("12.5")) == "12.50"
    assert display_text(info("json"), {"a": [1, 2]}) == '{"a": [1, 2]}'
    vec = np.full(384, 1 / np.sqrt(384), dtype=np.float32)
    assert display_text(info("vector", vector_dim=384), vec) == "384-d ‖v‖=1.00"
    assert display_text(info("vector"), vec.tobytes()) == "384-d ‖v‖=1.00"
    assert display_text(info("text"), "x" * 500).endswith("…")
    assert len(display_text(info("text"), "x" * 500)) == roles.DISPLAY_LIMIT
    assert display_text(info("text"), "two\nlines") == "two lines"
    assert full_text(info("binary"), b"\x00\xff") == "0x00ff"


# --- staged edits ---------------------------------------------------------------------------------


def test_edit_save_and_revert(qtbot: QtBot, demo_copy: Demo) -> None:
    """setData stages (coloured, marked); save writes in one go; revert puts back what was loaded."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "locations")
    c = col(model, "name")
    key, before = model.row_key(0), model.index(0, c).data(EDIT)
    with qtbot.waitSignal(model.changes_staged, check_params_cb=lambda n: n == 1):
        assert model.setData(model.index(0, c), "Renamed Glade", EDIT)
    cell = model.index(0, c)
    assert cell.data(DISPLAY) == "Renamed Glade" and cell.data(Role.ORIGINAL) == before
    assert cell.data(Role.STAGED) and cell.data(Qt.ItemDataRole.BackgroundRole) == roles.STAGED_EDIT
    assert model.headerData(0, Qt.Orientation.Vertical).startswith("*")
    assert stored(db, catalog, "locations", key)["name"] == before  # nothing written yet
    result = saved(qtbot, model)
    assert [r.key for r in result.updated] == [key]
    assert stored(db, catalog, "locations", key)["name"] == "Renamed Glade"
    assert not model.has_changes and model.undo_stack.count() == 0
    qtbot.waitUntil(lambda: model.row_key(0) is not None and model.index(0, c).data(EDIT) == "Renamed Glade")

    model.setData(model.index(1, c), "Never Saved")
    model.setData(model.index(1, col(model, "full_description")), None)
    assert model.staged_count == 1
    model.revert()
    assert not model.has_changes and model.index(1, c).data(EDIT) != "Never Saved"
    assert not model.index(1, c).data(Role.STAGED)


def test_undo_redo_across_a_resort(qtbot: QtBot, demo_copy: Demo) -> None:
    """An edit is kept by row key: after sorting by another column, undo and redo still hit that row."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "locations")
    c = col(model, "short_description")
    key, original = model.row_key(0), model.index(0, c).data(EDIT)
    model.setData(model.index(0, c), "Edited before sorting")
    model.sort(col(model, "name"), Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: model.row_key(0) is not None, timeout=10_000)
    qtbot.waitUntil(loaded(model), timeout=10_000)
    row = row_of(model, key)
    assert row is not None and model.index(row, c).data(EDIT) == "Edited before sorting"
    expected = fetch_page(db, catalog, "locations", sort=[("name", True)], limit=1).rows[0]
    assert model.row_key(0) == {"id": expected[0]}
    model.undo_stack.undo()
    assert model.index(row, c).data(EDIT) == original and not model.has_changes
    assert model.row_key(row) == key
    model.undo_stack.redo()
    assert model.index(row, c).data(EDIT) == "Edited before sorting" and model.staged_count == 1
    model.set_filters([Filter("id", "eq", str(key["id"]))], None)  # filtering keeps it too
    qtbot.waitUntil(lambda: model.rowCount() == 1 and model.row_key(0) == key, timeout=10_000)
    assert model.index(0, c).data(EDIT) == "Edited before sorting"
    model.refresh()
    qtbot.waitUntil(lambda: model.index(0, c).data(Role.ROW_STATE) == RowState.EDITED, timeout=10_000)
    saved(qtbot, model)
    assert stored(db, catalog, "locations", key)["short_description"] == "Edited before sorting"


def test_insert_with_defaults_then_save(qtbot: QtBot, demo_copy: Demo) -> None:
    """A new row shows at the top with its defaults pending; save inserts it and it loads as a row."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "locations")
    region = model.row_values(0)["region_id"]
    rows = model.rowCount()
    at = model.insert_row({"name": "Fresh Clearing", "location_type": "wilderness"})
    assert at == 0 and model.rowCount() == rows + 1
    assert model.index(0, 0).data(Role.ROW_STATE) == RowState.INSERTED
    assert model.index(0, col(model, "id")).data(DISPLAY) == "(default)"
    assert model.headerData(0, Qt.Orientation.Vertical) == "+"
    assert model.flags(model.index(0, col(model, "region_id"))) & Qt.ItemFlag.ItemIsEditable
    assert model.setData(model.index(0, col(model, "region_id")), region)
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) == roles.STAGED_INSERT
    result = saved(qtbot, model)
    (new,) = result.inserted
    row = stored(db, catalog, "locations", new.key)
    assert row["name"] == "Fresh Clearing" and row["version"] == 1 and row["short_description"] == ""
    qtbot.waitUntil(lambda: model.exact and model.rowCount() == rows + 1, timeout=10_000)
    assert model.index(0, 0).data(Role.ROW_STATE) != RowState.INSERTED


def test_duplicate_and_undo(qtbot: QtBot, demo_copy: Demo) -> None:
    """Duplicate copies values but not key or version; undo drops the copy; save writes it."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "npcs")
    source = model.row_values(2)
    (at,) = model.duplicate_rows([2])
    copy = model.row_values(at)
    assert copy["id"] is None and copy["name"] == source["name"]
    model.undo_stack.undo()
    assert not model.has_changes and model.rowCount() == model.total
    model.undo_stack.redo()
    assert model.staged_count == 1
    (new,) = saved(qtbot, model).inserted
    assert new.key != {"id": source["id"]}
    assert stored(db, catalog, "npcs", new.key)["name"] == source["name"]


def test_staged_delete_then_save(qtbot: QtBot, demo_copy: Demo) -> None:
    """A staged delete shows struck through and marked; undo keeps the row; save removes it."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "npc_relationships")
    key = model.row_key(1)
    model.delete_rows([1])
    assert model.index(1, 0).data(Role.ROW_STATE) == RowState.DELETED
    assert model.index(1, 0).data(Qt.ItemDataRole.FontRole).strikeOut()
    assert model.headerData(1, Qt.Orientation.Vertical).startswith("−")
    assert not model.flags(model.index(1, 1)) & Qt.ItemFlag.ItemIsEditable
    model.undo_stack.undo()
    assert not model.has_changes
    model.undo_stack.redo()
    count = model.total
    saved(qtbot, model)
    with pytest.raises(NotFoundError):
        stored(db, catalog, "npc_relationships", key)
    qtbot.waitUntil(lambda: model.exact and model.total == count - 1, timeout=10_000)


def test_paste_with_a_bad_row_stages_nothing(qtbot: QtBot, demo_copy: Demo) -> None:
    """A bad value shows its problem on its own cell; nothing is staged until the block is clean."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "locations")
    c = col(model, "location_type")
    text = "forest\tA quiet path\nnot-a-type\tFine text\ncave\t" + "x" * 400 + "\n"
    preview = model.paste_preview(model.index(2, c), text)
    bad = {(cell.row, cell.column): cell.problem for cell in preview.cells if cell.problem}
    assert set(bad) == {(3, "location_type"), (4, "short_description")}
    assert "must be one of" in bad[(3, "location_type")]
    assert not preview.ok and not model.apply_paste(preview)
    assert not model.has_changes and model.undo_stack.count() == 0

    good = model.paste_preview(model.index(2, c), "forest\tA quiet path\ncave\tDark")
    assert good.ok and model.apply_paste(good)
    assert model.staged_count == 2 and model.index(3, c).data(EDIT) == "cave"
    model.undo_stack.undo()
    assert not model.has_changes


def test_paste_below_the_last_row_creates_rows(qtbot: QtBot, demo_copy: Demo) -> None:
    """Lines past the last row become staged new rows."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "regions")
    last = model.rowCount() - 1
    qtbot.waitUntil(loaded(model), timeout=10_000)
    c = col(model, "name")
    preview = model.paste_preview(model.index(last, c), "Renamed Last\nBrand New Region\nAnother One")
    assert preview.ok and preview.new_rows_from == last + 1
    assert model.apply_paste(preview)
    assert model.staged_count == 3 and model.rowCount() == last + 3
    assert {model.index(r, c).data(EDIT) for r in (0, 1)} == {"Brand New Region", "Another One"}
    assert model.index(last + 2, c).data(EDIT) == "Renamed Last"


def test_validation_error_lands_on_its_cell(qtbot: QtBot, demo_copy: Demo) -> None:
    """A problem core reports at save is shown on the cell (red, tooltip); staged edits remain."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "locations")
    c, d = col(model, "name"), col(model, "short_description")
    key, name = model.row_key(1), model.index(1, c).data(EDIT)
    model.setData(model.index(1, c), None)  # required
    model.setData(model.index(1, d), "Still staged")
    with qtbot.waitSignal(model.save_failed, timeout=10_000) as failed:
        model.save()
    assert "required" in failed.args[0]
    cell = model.index(1, c)
    assert "required" in cell.data(Role.ERROR)
    assert cell.data(Qt.ItemDataRole.ToolTipRole) == cell.data(Role.ERROR)
    assert cell.data(Qt.ItemDataRole.BackgroundRole) == roles.CELL_ERROR
    assert model.index(1, d).data(Role.ERROR) is None and model.index(1, d).data(EDIT) == "Still staged"
    assert model.has_changes and stored(db, catalog, "locations", key)["name"] == name
    model.setData(cell, "Named Again")
    assert model.index(1, c).data(Role.ERROR) is None
    saved(qtbot, model)
    assert stored(db, catalog, "locations", key)["short_description"] == "Still staged"


def test_conflict_keeps_the_first_value_until_resolved(qtbot: QtBot, demo_copy: Demo) -> None:
    """Another writer saves first: the second save emits conflicted, writes nothing, then keep-mine wins."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "locations")
    c = col(model, "name")
    key = model.row_key(0)
    version = model.row_values(0)["version"]
    model.setData(model.index(0, c), "Mine")
    save(db, catalog, [Update("locations", key, {"name": "Theirs"}, version=version)])
    with qtbot.waitSignal(model.conflicted, timeout=10_000) as got:
        model.save()
    (conflict,) = got.args[0]
    assert conflict.key == key and conflict.stored["name"] == "Theirs"
    assert stored(db, catalog, "locations", key)["name"] == "Theirs"
    assert model.has_changes and model.index(0, c).data(Role.ERROR)
    model.resolve_conflict(key, {"name": "mine"})
    assert model.index(0, c).data(Role.ORIGINAL) == "Theirs" and model.index(0, c).data(EDIT) == "Mine"
    saved(qtbot, model)
    row = stored(db, catalog, "locations", key)
    assert row["name"] == "Mine" and row["version"] == version + 2


def test_conflict_take_theirs_without_a_version_column(qtbot: QtBot, demo_copy: Demo) -> None:
    """Two models on a table checked by original values: take-theirs drops my edit of that field."""
    db, catalog = demo_copy
    first = open_model(qtbot, db, catalog, "tool_executions")
    second = open_model(qtbot, db, catalog, "tool_executions")
    c = col(first, "tool_name")
    key = first.row_key(0)
    assert second.row_key(0) == key
    first.setData(first.index(0, c), "first_tool")
    second.setData(second.index(0, c), "second_tool")
    second.setData(second.index(0, col(second, "duration_ms")), 7)
    saved(qtbot, first)
    with qtbot.waitSignal(second.conflicted, timeout=10_000):
        second.save()
    assert stored(db, catalog, "tool_executions", key)["tool_name"] == "first_tool"
    second.resolve_conflict(key, {"tool_name": "theirs", "duration_ms": "mine"})
    saved(qtbot, second)
    row = stored(db, catalog, "tool_executions", key)
    assert row["tool_name"] == "first_tool" and row["duration_ms"] == 7


# --- lazy loading ---------------------------------------------------------------------------------


def test_lazy_window_on_ten_thousand_rows(qtbot: QtBot, demo_copy: Demo) -> None:
    """Exact count in the background, Ctrl+End from the end, a middle jump, and bounded memory."""
    db, catalog = demo_copy
    model = TableEditorModel(db, catalog, "tool_executions")
    counts: list[tuple[int, bool]] = []
    model.count_changed.connect(lambda n, exact: counts.append((n, exact)))
    qtbot.waitUntil(lambda: model.exact, timeout=10_000)
    assert model.rowCount() == 10_000 and counts[-1] == (10_000, True)
    assert model.index(5000, 0).data(Role.ROW_STATE) == RowState.PLACEHOLDER
    assert model.index(5000, 0).data(DISPLAY) == "…"

    assert model.sort_order == [("created_at", True)]  # a log opens newest first
    model.jump_to_end()
    last = fetch_page(db, catalog, "tool_executions", sort=model.sort_order, from_end=True, limit=5).rows
    qtbot.waitUntil(loaded(model, 9995, 9999), timeout=10_000)
    assert [model.row_key(r) for r in range(9995, 10_000)] == [{"id": r[0]} for r in last]

    model.request_rows(5000, 5030)
    qtbot.waitUntil(loaded(model, 5000, 5030), timeout=20_000)
    page = fetch_page(db, catalog, "tool_executions", sort=model.sort_order, limit=5001).rows[-1]
    assert model.row_key(5000) == {"id": page[0]}

    for first in range(0, 10_000, 350):
        model.request_rows(first, first + 40)
        qtbot.waitUntil(loaded(model, first, first + 40), timeout=20_000)
        assert model.rows_held <= MAX_PAGES * PAGE_SIZE
    assert model.rows_held <= MAX_PAGES * PAGE_SIZE


def test_sorted_jump_to_end_and_stale_results(qtbot: QtBot, demo_copy: Demo) -> None:
    """The last rows of a server-side sort come from the end; superseded filters never show."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "tool_executions")
    model.sort(col(model, "duration_ms"), Qt.SortOrder.DescendingOrder)
    model.jump_to_end()
    sort = [("duration_ms", True)]
    last = fetch_page(db, catalog, "tool_executions", sort=sort, from_end=True, limit=3).rows
    n = model.rowCount()
    qtbot.waitUntil(loaded(model, n - 3, n - 1), timeout=10_000)
    assert [model.row_key(r) for r in range(n - 3, n)] == [{"id": r[0]} for r in last]

    model.set_filters([Filter("status", "eq", "success")], None)
    model.set_filters([Filter("status", "eq", "error")], "timeout")
    qtbot.waitUntil(lambda: model.exact and model.rowCount() > 0, timeout=10_000)
    qtbot.waitUntil(loaded(model, 0, min(20, model.rowCount() - 1)), timeout=10_000)
    statuses = {model.row_values(r)["status"] for r in range(min(20, model.rowCount()))}
    assert statuses == {"error"}


def test_load_errors_are_reported(qtbot: QtBot, demo_copy: Demo) -> None:
    """A filter core refuses and an unsortable column both end in load_failed, never silence."""
    db, catalog = demo_copy
    model = open_model(qtbot, db, catalog, "tool_executions")
    with qtbot.waitSignal(model.load_failed, timeout=10_000) as got:
        model.set_filters([Filter("duration_ms", "eq", "not a number")], None)
    assert "duration_ms" in got.args[0]
    with qtbot.waitSignal(model.load_failed, timeout=2000):
        model.sort(col(model, "inputs_json"), Qt.SortOrder.AscendingOrder)
