"""After a schema change the record form shows the record it showed before (the editor's current row found
again by its key once the rows are read anew), also when the change dropped the column the grid was sorted
by, so the rows come back in another order. A real SQLite file changed on a worker through the window's
OpenDatabase, as a migration does."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.runtime import workers
from tests.fixtures.editing import column, open_editor, open_window
from tests.gui.test_catalog_follow_editor import change_schema, plain_ideas, run_ddl

pytestmark = pytest.mark.usefixtures("no_saved_tabs")


def test_the_form_keeps_its_record_when_the_sort_column_is_dropped(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, plain_ideas(str(tmp_path / "ideas.db")))
    editor = open_editor(qtbot, window, "ideas")
    editor.model.sort(column(editor, "created"), Qt.SortOrder.DescendingOrder)  # ids 3, 2, 1
    qtbot.waitUntil(lambda: editor.model.row_key(0) == {"id": 3}, timeout=10_000)
    editor.view.setCurrentIndex(editor.model.index(0, 0))
    form = editor.show_form()
    qtbot.waitUntil(lambda: form.key == {"id": 3}, timeout=10_000)
    assert workers.wait_idle(30_000)

    change_schema(qtbot, window, run_ddl, "ALTER TABLE ideas DROP COLUMN created")
    qtbot.waitUntil(lambda: editor.model.row_key(2) is not None, timeout=10_000)  # ids 1, 2, 3 now
    assert workers.wait_idle(30_000)
    assert editor.model.row_key(0) == {"id": 1}, "the rows came back in another order"
    assert form.key == {"id": 3}, f"the form shows another record than before: {form.key}"
    assert editor.model.row_key(editor.view.currentIndex().row()) == {"id": 3}
