"""The write hold of an unknown revision (issue 10) across an unlock (issue 12: the open database reopened
with other rights, OpenDatabase.swap_database): a held database stays held on the new connection, and one
released (brought to a known revision) stays released, however many times it is reopened. The migration
watch alone gives a reopened connection its hold. Real SQLite copies of the demo database; core's save."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from core.data.changes import Insert
from core.data.writes import save
from core.engine.db import Database, open_database
from core.errors import ReadOnlyError
from core.migrate import migrations as mig
from gui.main_window import MainWindow
from gui.runtime import workers
from tests.fixtures.editing import let_close, open_window
from tests.fixtures.unknown_revision import UNKNOWN, restamp, stand_file_at

pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own


def reopened(window: MainWindow, path: str) -> Database:
    """The open database reopened, as an unlock (or its end) reopens it; the new connection."""
    db = open_database(path)
    window.open_db.swap_database(db)
    return db


def save_user(window: MainWindow, db: Database, name: str) -> None:
    catalog = window.open_db.catalog
    assert catalog is not None
    save(db, catalog, [Insert("users", {"username": name, "email": f"{name}@example.org"})])


def users_named(path: str, name: str) -> int:
    db = open_database(path)
    try:
        with db.engine.connect() as conn:
            sql = sa.text("SELECT count(*) FROM users WHERE username = :n")
            return int(conn.execute(sql, {"n": name}).scalar_one())
    finally:
        db.dispose()


def test_a_held_database_stays_held_and_a_released_one_released_across_unlocks(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    stand_file_at(demo_copy_path, UNKNOWN)
    window = open_window(qtbot, demo_copy_path)
    watch = window.migration_watch
    qtbot.waitUntil(lambda: watch.standing is not None, timeout=30_000)
    held = watch.unknown_reason
    assert held is not None

    for attempt in ("ann", "bo"):  # an unlock, then its end: both connections held
        db = reopened(window, demo_copy_path)
        with pytest.raises(ReadOnlyError) as refused:
            save_user(window, db, attempt)
        assert str(refused.value) == held
        assert users_named(demo_copy_path, attempt) == 0

    restamp(qtbot, window, demo_copy_path, mig.heads()[0])  # brought to a revision Warden knows
    assert watch.unknown_reason is None
    for attempt in ("cy", "di"):
        db = reopened(window, demo_copy_path)
        assert db.write_guard is None, "released: no check or hold on the new connection"
        save_user(window, db, attempt)
        assert users_named(demo_copy_path, attempt) == 1
    assert workers.wait_idle(30_000)


def test_a_connection_reopened_before_the_standing_checks_its_own_revision_on_its_first_write(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    stand_file_at(demo_copy_path, UNKNOWN)
    window = MainWindow()
    qtbot.addWidget(window, before_close_func=let_close)
    window.show()
    swapped: list[Database] = []

    def unlock_at_once(db: Database | None) -> None:
        """Reopened before anything of it is read (its standing neither)."""
        if db is not None and not swapped:
            swapped.append(reopened(window, demo_copy_path))

    window.open_db.database_changed.connect(unlock_at_once)
    with qtbot.waitSignal(window.counts_loaded, timeout=30_000):
        window.open_target(demo_copy_path)
    (db,) = swapped
    assert window.open_db.database is db
    with pytest.raises(ReadOnlyError, match=f"revision {UNKNOWN}"):
        save_user(window, db, "ed")  # the new connection's own first-write check holds it
    with pytest.raises(ReadOnlyError, match=f"revision {UNKNOWN}"):
        db.allow_writes()  # held from now on, without checking again
    assert users_named(demo_copy_path, "ed") == 0
    qtbot.waitUntil(lambda: window.migration_watch.standing is not None, timeout=30_000)
    assert workers.wait_idle(30_000)
