"""Driver failures a person can act on reach the editor as its inline message, never the crash handler: a
SQLite file locked by another program during Save, and a PostgreSQL server stopped during a page load."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.engine.db import Database, open_database
from core.schema.load import load_catalog
from tests.fixtures import postgres
from tests.fixtures.editing import shown_editor, stage, stored
from tests.fixtures.postgres import admin_url
from tests.fixtures.sqlite_locks import write_lock_held
from tests.fixtures.workers import crash_count


def test_a_file_locked_during_save_is_an_inline_message(
    qtbot: QtBot, demo_copy_path: str, quick_busy: None, crash_log: Path
) -> None:
    db = open_database(demo_copy_path)
    try:
        editor = shown_editor(qtbot, db, load_catalog(db), "npcs")
        key = stage(editor, 0, "name", "Renamed while locked")
        with write_lock_held(demo_copy_path), qtbot.waitSignal(editor.model.save_failed, timeout=15_000):
            editor.save()  # another program is writing to the file meanwhile
        message = editor.message.text()
        assert message.startswith("Not saved: ") and "is locked by another program" in message, message
        assert "Renamed while locked" not in message and "UPDATE" not in message
        assert crash_count(crash_log) == 0
        assert editor.staged_label.text() == "1 unsaved change"  # the edit waits for the next Save
        with qtbot.waitSignal(editor.model.saved, timeout=15_000):
            editor.save()  # the lock is gone: the same Save goes through
        assert stored(demo_copy_path, "npcs", key)["name"] == "Renamed while locked"
    finally:
        db.dispose()


stoppable_pg = postgres.stoppable_pg  # the fixture: a PostgreSQL server of the test's own, to stop


def test_a_server_stopped_during_a_page_load_is_an_inline_message(
    qtbot: QtBot, stoppable_pg: object, crash_log: Path
) -> None:
    url = admin_url(stoppable_pg)
    setup = sa.create_engine(url)
    with setup.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)")
        conn.exec_driver_sql("INSERT INTO items (name) SELECT 'item ' || n FROM generate_series(1, 5000) n")
    setup.dispose()
    db: Database = open_database(url.render_as_string(hide_password=False))
    try:
        editor = shown_editor(qtbot, db, load_catalog(db), "items")
        stoppable_pg.cleanup()  # type: ignore[attr-defined]  # the server stops
        with qtbot.waitSignal(editor.model.load_failed, timeout=30_000):
            editor.model.sort(editor.entity.column_names.index("name"), Qt.SortOrder.DescendingOrder)
        message = editor.message.text()
        assert message.startswith("Lost the connection to PostgreSQL at "), message
        assert "server is running" in message and "SELECT" not in message
        assert crash_count(crash_log) == 0
    finally:
        db.dispose()
