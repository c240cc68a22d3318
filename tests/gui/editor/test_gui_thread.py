"""No database statement runs on the GUI thread while a user browses, sorts, filters, edits and saves."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.data.repository import Filter
from tests.fixtures.demo import Demo
from tests.fixtures.table_model import col, loaded, open_model, saved
from tests.fixtures.threads import statement_threads


def test_no_statement_on_the_gui_thread(qtbot: QtBot, demo_copy: Demo) -> None:
    """Every statement of a whole editing session runs on a worker thread (recorded by an engine event)."""
    db, catalog = demo_copy
    with statement_threads(db.engine) as threads:
        model = open_model(qtbot, db, catalog, "tool_executions")
        name = col(model, "tool_name")
        for first in (400, 4000, 9000):  # scroll
            model.request_rows(first, first + 30)
            qtbot.waitUntil(loaded(model, first, first + 30), timeout=20_000)
        model.jump_to_end()
        qtbot.waitUntil(loaded(model, model.rowCount() - 5), timeout=10_000)
        model.sort(col(model, "duration_ms"), Qt.SortOrder.DescendingOrder)
        model.request_rows(0, 30)  # the user scrolls back to the top
        qtbot.waitUntil(loaded(model, 0, 30), timeout=10_000)
        model.set_filters([Filter("status", "eq", "success")], "stock")
        qtbot.waitUntil(lambda: model.exact and model.rowCount() > 0, timeout=10_000)
        qtbot.waitUntil(loaded(model, 0, min(30, model.rowCount() - 1)), timeout=10_000)
        model.refresh()
        qtbot.waitUntil(lambda: model.exact and model.row_key(0) is not None, timeout=10_000)

        model.setData(model.index(0, name), "renamed_tool")
        preview = model.paste_preview(model.index(1, col(model, "duration_ms")), "12\n13")
        assert preview.ok and model.apply_paste(preview)
        model.duplicate_rows([2])
        model.delete_rows([model.rowCount() - 1])
        model.undo_stack.undo()
        model.undo_stack.redo()
        saved(qtbot, model)
        qtbot.waitUntil(lambda: model.exact and model.row_key(0) is not None, timeout=10_000)
    assert threads, "no statement was recorded"
    assert threading.main_thread().ident not in threads
