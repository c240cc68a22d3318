"""The row window, the grid, the edit history and the saver as plain objects, on a real SQLite demo copy.

No model, view or event loop: a queue stands in for the worker pool and a recorder for the Qt adapter
(tests/gui/editor/model/doubles.py); the database and the core calls are the real ones.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoStack

from core.data.repository import Filter, exact_count, get_row
from core.engine.db import Database
from core.schema.catalog import Catalog
from gui.editor.model.grid import Grid
from gui.editor.model.history import EditHistory
from gui.editor.model.page_cache import PAGE_SIZE
from gui.editor.model.page_loading import Query
from gui.editor.model.roles import RowState
from gui.editor.model.row_window import RowWindow
from gui.editor.model.saving import Saver
from gui.editor.model.staging import Staging
from tests.gui.editor.model.doubles import Host, Worker

Demo = tuple[Database, Catalog]


class Parts:
    """One entity's editor parts, wired as TableEditorModel wires them."""

    def __init__(self, db: Database, catalog: Catalog, entity: str) -> None:
        self.worker = Worker()
        self.host = Host(self.worker)
        ent = catalog.get(entity)
        self.window = RowWindow(db, catalog, ent, self.host, self.worker)
        self.staging = Staging(ent)
        self.grid = Grid(self.staging, self.window)
        self.stack = QUndoStack()
        self.history = EditHistory(catalog, self.grid, self.host, self.stack, {})
        self.saver = Saver(self.history, self.window, self.host, self.worker)
        self.window.start()
        self.worker.drain()

    def col(self, name: str) -> int:
        """The column index of a name."""
        return self.window.names.index(name)


def test_the_window_loads_the_first_page_and_counts(sqlite_demo_copy: Demo) -> None:
    """A start loads the first rows and counts them once; rows far from view stay placeholders."""
    db, catalog = sqlite_demo_copy
    parts = Parts(db, catalog, "users")
    window = parts.window
    assert window.total == exact_count(db, catalog.get("users"), []) == 1000 and window.exact
    assert window.row(0) is not None and window.row(PAGE_SIZE - 1) is not None
    assert window.row(3 * PAGE_SIZE) is None  # far from view: not loaded
    assert not window.loading_rows and not window.counting and not window.in_flight
    assert parts.worker.ran[0] == "load" and parts.worker.ran.count("exact_count") == 1


def test_a_superseded_page_is_dropped(sqlite_demo_copy: Demo) -> None:
    """A new order before the last one's page arrived: only the newest order's rows are shown."""
    db, catalog = sqlite_demo_copy
    parts = Parts(db, catalog, "users")
    window = parts.window
    parts.worker.ran.clear()
    window.set_query(Query(sort=[("email", False)]))
    window.set_query(Query(sort=[("email", True)]))  # before the ascending page was loaded
    parts.worker.drain()
    emails = [window.row(p)[parts.col("email")] for p in range(5)]  # type: ignore[index]
    assert emails == sorted(emails, reverse=True)
    assert set(parts.worker.ran) == {"load"}  # the newest order's pages; a new order is not counted


def test_a_filter_is_counted_again(sqlite_demo_copy: Demo) -> None:
    """A new filter starts at its top and counts its matches."""
    db, catalog = sqlite_demo_copy
    parts = Parts(db, catalog, "users")
    parts.window.set_query(Query(filters=(Filter("role", "eq", "admin"),)))
    parts.worker.drain()
    expected = exact_count(db, catalog.get("users"), [Filter("role", "eq", "admin")])
    assert parts.window.total == expected and parts.window.exact


def test_grid_rows_put_staged_new_rows_first(sqlite_demo_copy: Demo) -> None:
    """Staged new rows come before the database rows; each grid row knows what it is."""
    db, catalog = sqlite_demo_copy
    parts = Parts(db, catalog, "regions")
    first = parts.grid.locate(0)
    assert first[0] is not None and first[0][0] == "key"
    parts.history.insert_row({"name": "Nowhere"})
    assert parts.grid.rows == 1 + parts.window.total
    ref, loaded = parts.grid.locate(0)
    assert ref is not None and ref[0] == "new" and loaded is None
    assert parts.grid.state(ref) == RowState.INSERTED
    assert parts.grid.locate(1) == first
    assert parts.grid.row_values(0)["name"] == "Nowhere"


def test_history_undoes_and_redoes_edits_and_a_revert(sqlite_demo_copy: Demo) -> None:
    """Edits are undo steps; a revert is one more, and undoing it brings every edit back."""
    db, catalog = sqlite_demo_copy
    parts = Parts(db, catalog, "regions")
    name = parts.col("name")
    before = parts.grid.row_values(0)["name"]
    assert parts.history.edit_cell(0, name, "Renamed")
    parts.history.delete_rows([1])
    assert parts.staging.count == 2 and parts.grid.row_values(0)["name"] == "Renamed"
    parts.history.revert()
    assert parts.staging.count == 0 and parts.grid.row_values(0)["name"] == before
    parts.stack.undo()  # the revert
    assert parts.staging.count == 2 and parts.grid.row_values(0)["name"] == "Renamed"
    parts.stack.undo()  # the delete
    parts.stack.undo()  # the edit
    assert parts.staging.count == 0
    parts.stack.redo()
    assert parts.grid.row_values(0)["name"] == "Renamed"


def test_a_saved_edit_refreshes_only_its_row(sqlite_demo_copy: Demo) -> None:
    """After an edit is saved, its row shows what was written and its new version; nothing else is read."""
    db, catalog = sqlite_demo_copy
    parts = Parts(db, catalog, "regions")
    name, version = parts.col("name"), parts.col("version")
    row = parts.window.row(0)
    assert row is not None
    key = {"id": row[parts.col("id")]}
    parts.history.edit_cell(0, name, "Saved Name")
    parts.worker.ran.clear()
    parts.host.events.clear()
    parts.saver.save()
    parts.worker.drain()
    assert parts.worker.ran == ["save", "read_rows"]  # no page load, no count
    assert "saved" in parts.host.names() and "reset" not in parts.host.names()
    stored = get_row(db, catalog, "regions", key)
    shown = parts.window.row(0)
    assert shown is not None and shown[name] == "Saved Name" == stored["name"]
    assert shown[version] == stored["version"] == row[version] + 1
    assert shown == tuple(stored[n] for n in parts.window.names)  # columns the database set too
    assert parts.staging.count == 0 and parts.window.total == 16


def test_saved_inserts_and_deletes_move_the_count_by_their_number(sqlite_demo_copy: Demo) -> None:
    """Two inserts and one delete: the count goes up by one, without counting again."""
    from core.data.changes import Insert
    from core.data.repository import save

    db, catalog = sqlite_demo_copy
    lone = save(db, catalog, [Insert("regions", {"name": "Lone Isle"})]).inserted[0].key["id"]
    parts = Parts(db, catalog, "regions")
    total = parts.window.total
    parts.history.insert_row({"name": "New One"})
    parts.history.insert_row({"name": "New Two"})
    row = next(r for r in range(parts.grid.rows) if parts.grid.row_values(r)["id"] == lone)
    parts.history.delete_rows([row])
    parts.worker.ran.clear()
    parts.host.events.clear()
    parts.saver.save()
    parts.worker.drain()
    assert "save_failed" not in parts.host.names()
    assert "exact_count" not in parts.worker.ran and "estimate_count" not in parts.worker.ran
    assert parts.window.total == total + 1 and parts.window.exact
    assert ("count_changed", total + 1, True) in parts.host.events
    assert parts.window.total == exact_count(db, catalog.get("regions"), [])
    ids = {parts.grid.row_values(r)["id"] for r in range(parts.grid.rows)}
    assert lone not in ids and None not in ids  # the pages in view were reloaded where rows moved
    assert parts.grid.new_rows == 0 and parts.staging.count == 0


def test_a_save_that_conflicts_keeps_the_edit(sqlite_demo_copy: Demo) -> None:
    """A row changed underneath: nothing is written, the edit stays staged and is marked."""
    from core.data.changes import Update
    from core.data.repository import save

    db, catalog = sqlite_demo_copy
    parts = Parts(db, catalog, "regions")
    row = parts.window.row(0)
    assert row is not None
    key = {"id": row[0]}
    # Someone else renames it too (a change of another field would merge without asking)
    save(db, catalog, [Update("regions", key, {"name": "Theirs"}, version=row[parts.col("version")])])
    parts.history.edit_cell(0, parts.col("name"), "Mine")
    parts.saver.save()
    parts.worker.drain()
    conflicted: list[Any] = [e for e in parts.host.events if e[0] == "conflicted"]
    assert len(conflicted) == 1 and parts.staging.count == 1 and parts.saver.conflicts
    assert get_row(db, catalog, "regions", key)["name"] != "Mine"
