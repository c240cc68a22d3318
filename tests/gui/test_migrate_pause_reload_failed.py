"""A run ends but the catalog cannot be read again after it (issue 10; the watch keeps the screens paused
until the reload lands "or fails"): the screens resume on the catalog they had, with their staged edits,
and the window is not stuck: quitting is no longer refused as "a migration is running". A real PostgreSQL
server of the test's own, stopped right after a real upgrade of the shop app's Alembic project (the reload
then finds it gone, as when a server goes away at that moment)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from core.engine.db import open_database
from core.migrate.project import call, find_project
from gui.migrate import jobs
from gui.runtime import workers
from tests.fixtures import postgres
from tests.fixtures.editing import open_editor, open_window, stage
from tests.fixtures.external_project import E1, write_project
from tests.fixtures.postgres import StoppableServer, admin_url
from tests.gui.test_migrate_pause_catalog import _runner

stoppable_pg = postgres.stoppable_pg  # the fixture: a server of the test's own
pytestmark = pytest.mark.usefixtures("data_dir")


def test_a_run_whose_catalog_reload_fails_resumes_the_screens_and_lets_the_window_quit(
    qtbot: QtBot, stoppable_pg: StoppableServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ini = write_project(tmp_path / "shop")
    url = admin_url(stoppable_pg)
    db = open_database(url.render_as_string(hide_password=False))
    call(find_project(ini), db, "upgrade", E1)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("insert into customers (id, name) values (1, 'Ada'), (2, 'Grace')")
    db.dispose()
    window = open_window(qtbot, url.render_as_string(hide_password=False))
    window.open_db.connection.backoff = (60.0,)  # no retry of the reload within the test
    dialog = _runner(qtbot, window, ini)
    editor = open_editor(qtbot, window, "customers")
    stage(editor, 0, "name", "Staged before the run")
    real_migrate = jobs.migrate

    def migrate_then_lose_the_server(*args: Any, **kwargs: Any) -> Any:
        done = real_migrate(*args, **kwargs)  # on the worker, as the runner runs it
        stoppable_pg.stop()  # gone before the catalog is read again
        return done

    monkeypatch.setattr(jobs, "migrate", migrate_then_lose_the_server)
    monkeypatch.setattr(dialog, "_confirm", lambda _verb, _flagged: True)
    watch = window.migration_watch
    with qtbot.waitSignal(window.open_db.catalog_failed, timeout=90_000):
        dialog.start("upgrade")
    qtbot.waitUntil(lambda: not watch.paused, timeout=10_000)
    assert editor.isEnabled() and editor.model.staged_count == 1, "resumed with its staged edit"
    assert "email" not in editor.entity.column_names, "the catalog it had stays"
    assert not window.leave_guard.migrating(), "quitting is refused as if a migration still ran"
    assert workers.wait_idle(30_000)
    dialog.close()
