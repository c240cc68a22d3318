"""The window on a SQLite file another project's test suite wrote (tests/fixtures/foreign_project.py): an
editor on every entity, its pages to the end, and the record form change no byte of the file and leave
no -wal, -shm or -journal beside it."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from gui.editor.view import TableEditor
from tests.fixtures.editing import open_window
from tests.fixtures.foreign_project import PLAIN_TABLES, VIEWS, VIRTUAL_TABLES, build_foreign_project
from tests.fixtures.journal_file import fingerprint, sidecars
from tests.fixtures.odd_names import ENTITIES as ODD_ENTITIES


def test_an_editor_on_every_entity_changes_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    """Open the file, open each entity's editor (its rows and count, the last rows, the record form), close:
    the same sha256, nothing beside it."""
    folder = tmp_path / "their project"
    folder.mkdir()
    path = build_foreign_project(folder / "test-suite.sqlite3")
    before = fingerprint(path)
    window = open_window(qtbot, str(path))
    catalog = window.catalog
    assert catalog is not None
    assert {*PLAIN_TABLES, *VIRTUAL_TABLES, *VIEWS, *ODD_ENTITIES} <= set(catalog.entities)
    for name in catalog.entities:
        window.navigator.entity_activated.emit(name)
        editor = window.tabs.currentWidget()
        assert isinstance(editor, TableEditor) and editor.entity.name == name
        qtbot.waitUntil(lambda e=editor: e.count is not None and e.count[1], timeout=10_000)  # type: ignore[misc]
        assert editor.model.rowCount() > 0, name
        assert editor.message.text() == "" or "read-only" in editor.message.text().lower(), name
        editor.jump_to_end()
        qtbot.waitUntil(lambda e=editor: not e.model.loading_rows, timeout=10_000)  # type: ignore[misc]
        form = editor.show_form(0)
        qtbot.waitUntil(lambda f=form: "Loading" not in f.references.text(), timeout=10_000)  # type: ignore[misc]
        assert sidecars(path) == [], name
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert fingerprint(path) == before
    assert sidecars(path) == []
