"""The screens follow a schema change made through a core call on a worker, without being reopened.

A real SQLite file (the foreign `ideas` database) is open in the main window with an editor and staged
edits; the schema is changed on a worker (DDL through core's Database.transaction, and the reference schema's
Alembic upgrade), the window's OpenDatabase reloads the catalog, and the open editor, its record form and
the navigator follow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from core.data import recovery
from core.engine.db import Database, open_database
from core.migrate.migrations import upgrade
from gui.audit.consent import AuditChoice
from gui.editor.view import TableEditor
from gui.main_window import MainWindow
from tests.fixtures.editing import EDIT, column, open_editor, open_window, stage, stored
from tests.fixtures.ideas import build_ideas

pytestmark = pytest.mark.usefixtures("no_saved_tabs")


@pytest.fixture
def ideas_path(tmp_path: Path) -> str:
    """A fresh foreign SQLite database (these tests change its schema)."""
    path = tmp_path / "ideas.db"
    build_ideas(str(path))
    return str(path)


def plain_ideas(url: str) -> str:
    """An `ideas` table of three rows, made with plain SQL on either backend (as another app would)."""
    db = open_database(url, create=True)
    try:
        run_ddl(
            db,
            "CREATE TABLE ideas (id INTEGER PRIMARY KEY, title TEXT NOT NULL, keywords TEXT,"
            " created VARCHAR(20))",
            *(f"INSERT INTO ideas VALUES ({i}, 'Idea {i}', '[]', '2026-01-0{i}')" for i in (1, 2, 3)),
        )
    finally:
        db.dispose()
    return url


def run_ddl(db: Database, *statements: str) -> int:
    """Worker side: change the schema in one transaction (a foreign file becomes writable here)."""
    db.allow_writes()
    with db.transaction() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    return len(statements)


def recovered(path: str) -> list[str]:
    """The tables whose staged edits the recovery file of `path` holds now."""
    found = recovery.read_recovery(path)
    return sorted(t.entity for t in found.tables) if found is not None else []


def change_schema(qtbot: QtBot, window: MainWindow, fn: Any, *args: Any) -> None:
    """Run `fn(db, *args)` through the window's OpenDatabase and wait until the screens have followed."""
    with qtbot.waitSignal(window.overview_loaded, timeout=15_000):
        window.open_db.change_schema(fn, *args)


def test_an_open_editor_shows_a_new_column_and_keeps_its_staged_edits(qtbot: QtBot, empty_url: str) -> None:
    """A column added and one dropped on a worker: the same editor shows the new one, edits on kept columns
    stay (and save), edits on the dropped one are dropped and the person is told how many."""
    url = plain_ideas(empty_url)
    window = open_window(qtbot, url)
    editor = open_editor(qtbot, window, "ideas")
    form = editor.show_form(0)
    key = stage(editor, 0, "title", "Renamed idea")
    stage(editor, 0, "keywords", '["x"]')
    stage(editor, 1, "keywords", '["y"]')
    created = form.field("created")
    assert created.start_editing() and isinstance(created.editor, QLineEdit)
    QTest.keyClicks(created.editor, "2027")  # still being typed when the schema changes
    assert editor.model.staged_count == 2

    change_schema(
        qtbot, window, run_ddl,
        "ALTER TABLE ideas ADD COLUMN mood TEXT NOT NULL DEFAULT 'calm'",
        "ALTER TABLE ideas DROP COLUMN keywords",
    )  # fmt: skip
    qtbot.waitUntil(lambda: editor.model.row_key(0) is not None and editor.model.exact, timeout=10_000)

    assert window.tabs.currentWidget() is editor  # not reopened
    headers = [
        editor.model.headerData(c, Qt.Orientation.Horizontal) for c in range(editor.model.columnCount())
    ]
    assert headers == ["id", "title", "created", "mood"]
    assert editor.entity.column_names == headers
    assert editor.model.index(0, column(editor, "mood")).data(EDIT) == "calm"
    assert editor.model.staged_count == 1  # row 1 had only its keywords staged
    assert editor.model.row_key(0) == key
    assert editor.model.index(0, column(editor, "title")).data(EDIT) == "Renamed idea"
    assert editor.model.index(0, column(editor, "created")).data(EDIT) == "2027"  # typed, then staged
    assert editor.message.text() == "2 staged edits on column 'keywords' were dropped: it no longer exists."
    assert editor.message.isVisible()
    assert set(form.editors) == {"id", "title", "created", "mood"}  # the record form follows too
    assert editor.filter_bar.entity is editor.entity

    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        editor.save()
        window.audit_gate.answer(AuditChoice.AUDIT_OFF)  # no audit log: the window asks first
    row = stored(url, "ideas", key)
    assert (row["title"], row["created"], row["mood"]) == ("Renamed idea", "2027", "calm")


def test_an_unchanged_table_is_not_reloaded_and_a_vanished_one_closes(qtbot: QtBot, ideas_path: str) -> None:
    """Another table's change leaves an editor as it is (rows, staged edits, no message); a dropped table's
    tab closes and the status bar says what went with it; a new table is listed, known counts are kept."""
    window = open_window(qtbot, ideas_path)
    ideas = open_editor(qtbot, window, "ideas")
    stage(ideas, 0, "title", "Kept")
    tags = open_editor(qtbot, window, "tags")
    stage(tags, 0, "name", "lost")
    window.tabs.setCurrentWidget(ideas)
    qtbot.waitUntil(lambda: window.navigator.has_exact_count("ideas"), timeout=10_000)
    qtbot.waitUntil(lambda: recovered(ideas_path) == ["ideas", "tags"], timeout=3000)
    resets: list[None] = []
    ideas.model.modelReset.connect(lambda: resets.append(None))

    change_schema(
        qtbot, window, run_ddl,
        "DROP VIEW tag_counts", "DROP TABLE idea_tags", "DROP TABLE tags",
        "CREATE TABLE moods (id INTEGER PRIMARY KEY, name TEXT)",
    )  # fmt: skip

    assert window.open_entity_names() == ["ideas"]
    assert "tags no longer exists; its tab was closed: 1 unsaved change was dropped." in (
        window.statusBar().currentMessage()
    )
    assert not resets and ideas.model.staged_count == 1 and ideas.message.text() == ""
    qtbot.waitUntil(lambda: recovered(ideas_path) == ["ideas"], timeout=3000)  # tags' edit went for good
    assert ideas.catalog is window.catalog and "moods" in ideas.catalog.entities
    assert ideas.entity is window.catalog.get("ideas") and not ideas.entity.referenced_by  # idea_tags went
    names = window.entity_names()
    assert "moods" in names and "tags" not in names and "idea_tags" not in names
    assert window.navigator.has_exact_count("ideas")  # kept through the reload
    assert window.navigator.current_entity() == "ideas"
    qtbot.waitUntil(lambda: window.navigator.item("moods").text(1) == "0", timeout=10_000)  # type: ignore[union-attr]


def test_a_migration_on_a_worker_lists_the_new_tables(qtbot: QtBot, ideas_path: str) -> None:
    """core.migrate's upgrade of the open file, on a worker: the reference tables appear in the navigator
    and the welcome page, the open editor keeps its staged edit."""
    window = open_window(qtbot, ideas_path)
    editor: TableEditor = open_editor(qtbot, window, "ideas")
    stage(editor, 2, "title", "Still staged")
    assert "locations" not in window.entity_names()

    change_schema(qtbot, window, upgrade, "head")

    assert window.catalog is not None and window.catalog.source == "mixed"
    assert {"locations", "npcs", "ideas"} <= set(window.entity_names())
    assert editor.model.staged_count == 1 and editor.message.text() == ""
    assert window.tabs.currentWidget() is editor
