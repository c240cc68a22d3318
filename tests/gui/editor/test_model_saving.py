"""After a save, TableEditorModel refreshes only the saved rows: no page reload and no recount."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.data.changes import Insert
from core.data.repository import exact_count, get_row, save
from core.engine.db import Database
from core.schema.catalog import Catalog
from gui.editor.model.roles import Role, RowState
from gui.editor.model.table_model import TableEditorModel

EDIT = Qt.ItemDataRole.EditRole
Demo = tuple[Database, Catalog]


def open_counted(
    qtbot: QtBot, db: Database, catalog: Catalog, entity: str
) -> tuple[TableEditorModel, list[str]]:
    """A loaded model, and the names of the core calls its row window sends to workers from now on."""
    model = TableEditorModel(db, catalog, entity)
    qtbot.waitUntil(
        lambda: model.exact and model.rowCount() > 0 and model.row_key(0) is not None, timeout=10_000
    )
    qtbot.waitUntil(lambda: not model.window.in_flight, timeout=10_000)
    calls: list[str] = []
    door = model.window.run

    def counted(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(fn.__name__)
        return door(fn, *args, **kwargs)

    model.window.run = counted  # type: ignore[assignment]
    return model, calls


def test_a_saved_edit_shows_its_new_values_without_reloading(qtbot: QtBot, demo_copy: Demo) -> None:
    """An edited row shows the written value and its new version; no page is loaded and nothing counted."""
    db, catalog = demo_copy
    model, calls = open_counted(qtbot, db, catalog, "regions")
    names = model.window.names
    name, version = names.index("name"), names.index("version")
    key = model.row_key(2)
    assert key is not None
    old_version = model.index(2, version).data(EDIT)
    model.setData(model.index(2, name), "Saved Hollow")
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    with qtbot.waitSignal(model.saved, timeout=10_000):
        model.save()
    qtbot.waitUntil(lambda: "read_rows" in calls, timeout=10_000)
    stored = get_row(db, catalog, "regions", key)
    qtbot.waitUntil(lambda: model.row_values(2) == stored, timeout=10_000)  # read again by key
    assert model.index(2, name).data(EDIT) == "Saved Hollow" == stored["name"]
    assert model.index(2, version).data(EDIT) == stored["version"] == old_version + 1
    assert model.row_values(2) == stored
    assert model.index(2, 0).data(Role.ROW_STATE) == RowState.LOADED
    assert calls == ["read_rows"] and not resets  # no page load, no count, no reset
    assert model.total == 16 and model.exact


def test_saved_inserts_and_deletes_change_the_count_by_their_number(qtbot: QtBot, demo_copy: Demo) -> None:
    """Two saved inserts and a saved delete add exactly one row, without counting again."""
    db, catalog = demo_copy
    lone = save(db, catalog, [Insert("regions", {"name": "Lone Isle"})]).inserted[0].key
    model, calls = open_counted(qtbot, db, catalog, "regions")
    total = model.total
    counts: list[tuple[int, bool]] = []
    model.count_changed.connect(lambda n, exact: counts.append((n, exact)))
    model.insert_row({"name": "New One"})
    model.insert_row({"name": "New Two"})
    model.delete_rows([next(r for r in range(model.rowCount()) if model.row_key(r) == lone)])
    with qtbot.waitSignal(model.saved, timeout=10_000):
        model.save()
    assert counts == [(total + 1, True)] and model.total == total + 1 == model.rowCount()
    qtbot.waitUntil(lambda: not model.window.in_flight, timeout=10_000)
    assert "exact_count" not in calls and "estimate_count" not in calls
    assert model.total == exact_count(db, catalog.get("regions"), [])
    keys = [model.row_key(r) for r in range(model.rowCount())]
    assert lone not in keys and None not in keys
