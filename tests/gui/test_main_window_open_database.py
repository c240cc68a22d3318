"""OpenDatabase: the one holder of the open database and its catalog, on real SQLite files."""

from __future__ import annotations

from pathlib import Path

import shiboken6
import sqlalchemy as sa
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from core.engine.db import Database, open_database
from core.schema.catalog import Catalog
from gui.runtime import workers
from gui.runtime.open_database import CatalogChange, OpenDatabase
from gui.runtime.priority import Priority
from tests.fixtures.ideas import build_ideas


def ideas_db(tmp_path: Path, name: str = "ideas.db") -> Database:
    """A foreign SQLite file, open for writing."""
    path = tmp_path / name
    build_ideas(str(path))
    db = open_database(path)
    db.allow_writes()
    return db


def add_table(db: Database, name: str) -> None:
    """Worker side: a schema change."""
    with db.transaction() as conn:
        conn.execute(sa.text(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY)"))


def test_it_loads_reloads_and_closes(qtbot: QtBot, tmp_path: Path) -> None:
    """The first catalog, a reload after a schema change made on a worker, then nothing open (disposed)."""
    holder = OpenDatabase()
    db = ideas_db(tmp_path)
    opened: list[Database | None] = []
    holder.database_changed.connect(opened.append)

    with qtbot.waitSignal(holder.catalog_changed, timeout=10_000) as first:
        holder.set_database(db, owned=True)
    change: CatalogChange = first.args[0]
    assert opened == [db] and change.first and change.catalog is holder.catalog
    assert "moods" not in change.catalog.entities and change.overview is holder.overview

    results: list[object] = []
    with qtbot.waitSignal(holder.catalog_changed, timeout=10_000) as second:
        task = holder.change_schema(add_table, "moods", on_done=results.append)
    assert task.priority is Priority.SAVE  # a write a person waits for: never behind page loads
    reloaded: CatalogChange = second.args[0]
    assert not reloaded.first and "moods" in reloaded.catalog.entities
    assert holder.catalog is reloaded.catalog and results == [None]

    assert db.engine.pool.checkedin() >= 1  # type: ignore[attr-defined]  # (QueuePool's count)
    holder.close()
    assert opened == [db, None] and holder.database is None and holder.catalog is None
    assert workers.wait_idle()
    assert db.engine.pool.checkedin() == 0  # disposed: its connections closed


def test_a_late_catalog_of_the_previous_database_is_dropped(qtbot: QtBot, tmp_path: Path) -> None:
    """Two databases set in a row: only the second one's catalog arrives."""
    holder = OpenDatabase()
    first, second = ideas_db(tmp_path, "a.db"), ideas_db(tmp_path, "b.db")
    add_table(second, "only_in_b")
    changes: list[CatalogChange] = []
    holder.catalog_changed.connect(changes.append)

    holder.set_database(first)
    holder.set_database(second)
    qtbot.waitUntil(lambda: bool(changes), timeout=10_000)
    assert workers.wait_idle()

    assert len(changes) == 1 and "only_in_b" in changes[0].catalog.entities
    assert holder.database is second and holder.generation == 2
    first.dispose()
    second.dispose()


def test_followers_hear_reloads_while_they_live(qtbot: QtBot, tmp_path: Path) -> None:
    """follow(owner, fn): called with each reloaded catalog, not the first; never after the owner is gone."""
    holder = OpenDatabase()
    db = ideas_db(tmp_path)
    owner = QObject()
    heard: list[Catalog] = []
    with qtbot.waitSignal(holder.catalog_changed, timeout=10_000):
        holder.set_database(db)
    holder.follow(owner, heard.append)

    with qtbot.waitSignal(holder.catalog_changed, timeout=10_000):
        holder.reload_catalog()
    assert heard == [holder.catalog]

    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner), timeout=5000)
    with qtbot.waitSignal(holder.catalog_changed, timeout=10_000):
        holder.change_schema(add_table, "later")
    assert len(heard) == 1
    db.dispose()


def _alive(obj: QObject) -> bool:
    return shiboken6.isValid(obj)
