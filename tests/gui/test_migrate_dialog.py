"""The migration runner dialog on a real SQLite file: status, lint, SQL preview, drift, an upgrade through the
worker door with progress and a live log, a confirmation for flagged revisions, a failure in one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.engine.db import Database, open_database
from core.migrate import migrations as mig
from gui.migrate.dialog import MigrationDialog
from gui.runtime import workers
from gui.runtime.open_database import OpenDatabase
from tests.fixtures.sqlite_locks import write_lock_held


def _initial() -> str:
    (rev,) = [r.revision for r in mig.history() if not r.down_revision]
    return rev


@pytest.fixture
def behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A SQLite file at the first reference revision (so revisions are pending), with a stray table."""
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path / "data"))
    db = open_database(tmp_path / "behind.db", create=True)
    mig.upgrade(db, _initial())
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    yield db
    db.dispose()


def _runner(qtbot: QtBot, db: Database) -> tuple[MigrationDialog, OpenDatabase]:
    holder = OpenDatabase()
    with qtbot.waitSignal(holder.catalog_changed, timeout=20_000):
        holder.set_database(db)
    dialog = MigrationDialog(holder)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.view is not None, timeout=20_000)
    return dialog, holder


def _texts(dialog: MigrationDialog) -> list[str]:
    found = []
    for i in range(dialog.revisions.topLevelItemCount()):
        item = dialog.revisions.topLevelItem(i)
        assert item is not None
        found.append(f"{item.text(0)}|{item.text(1)}")
        children = [item.child(j) for j in range(item.childCount())]
        found += [f"  {child.text(2)}" for child in children if child is not None]
    return found


def test_status_lint_preview_and_drift_then_an_upgrade(
    qtbot: QtBot, behind: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog, holder = _runner(qtbot, behind)
    pending = len(mig.pending(behind))
    assert dialog.header.text().startswith(f"At {_initial()} · head {mig.heads()[0]} · {pending} revision")
    rows = _texts(dialog)
    assert f"{_initial()}|current" in rows
    assert "  drops index ix_tool_executions_status on tool_executions" in rows
    assert "CREATE INDEX ix_tool_executions_status_created" in dialog.sql.toPlainText()
    items = [dialog.drift.topLevelItem(i) for i in range(dialog.drift.topLevelItemCount())]
    drift = [item.text(0) for item in items if item is not None]
    assert "extra table stray" in drift and dialog.tabs.tabText(1).startswith("Drift (")

    asked: list[list[tuple[str, str]]] = []

    def confirm(_verb: str, flagged: list[tuple[str, str]]) -> bool:
        asked.append(flagged)
        return True

    monkeypatch.setattr(dialog, "_confirm", confirm)
    with qtbot.waitSignal(holder.catalog_changed, timeout=30_000):
        dialog.upgrade_button.click()
    qtbot.waitUntil(lambda: "up to date" in dialog.header.text(), timeout=30_000)
    assert asked and any("ix_tool_executions_status" in words for _rev, words in asked[0])
    log = dialog.log.toPlainText()
    assert "Upgrade of 4c1d2e7a9b30 done" in log and f"the database is at {mig.heads()[0]}" in log
    assert "Backup from before the change:" in log
    assert mig.current(behind) == mig.heads()
    assert dialog.view is not None and len(dialog.view.backups) == 1
    assert workers.wait_idle()
    holder.close()


def test_a_failed_upgrade_is_said_in_a_line_and_changes_nothing(
    qtbot: QtBot, behind: Database, monkeypatch: pytest.MonkeyPatch, quick_busy: None
) -> None:
    dialog, holder = _runner(qtbot, behind)
    monkeypatch.setattr(dialog, "_confirm", lambda _verb, _flagged: True)
    with write_lock_held(str(behind.url.database)):
        dialog.upgrade_button.click()
        qtbot.waitUntil(
            lambda: dialog.message.isVisible() and "failed" in dialog.message.text(), timeout=30_000
        )
    text = dialog.message.text()
    assert "is locked by another program" in text and "rolled back" in text and f"at {_initial()}" in text
    assert "\n" not in text and mig.current(behind) == [_initial()]
    qtbot.waitUntil(lambda: dialog.upgrade_button.isEnabled(), timeout=20_000)
    assert workers.wait_idle()
    holder.close()


def test_the_tools_menu_opens_the_runner(qtbot: QtBot, demo_copy_path: str, no_saved_tabs: None) -> None:
    from tests.fixtures.editing import open_window

    window = open_window(qtbot, demo_copy_path)
    action = window.menus.migrations_action
    assert action.isEnabled() and action.objectName() == "migrationTool"
    action.trigger()
    dialog = window.findChild(MigrationDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: "up to date" in dialog.header.text(), timeout=20_000)
    dialog.close()
    assert workers.wait_idle()


def test_a_target_in_the_other_direction_says_which_button(qtbot: QtBot, behind: Database) -> None:
    dialog, holder = _runner(qtbot, behind)
    dialog.target.setCurrentIndex(dialog.target.findData("base"))
    dialog.upgrade_button.click()
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=20_000)
    assert dialog.message.text() == "Going to base is a downgrade from here: use Downgrade."
    assert mig.current(behind) == [_initial()] and dialog.upgrade_button.isEnabled()
    assert workers.wait_idle()
    holder.close()


def test_postgresql_copies_are_listed_and_dropped(qtbot: QtBot, pg_server: object) -> None:
    from core.migrate.pg_copies import copy_tables, list_copies
    from gui.migrate import jobs
    from tests.fixtures.postgres import new_pg_database

    db = open_database(new_pg_database(pg_server))
    mig.upgrade(db)
    (name,) = copy_tables(db, "manual", ["users"])
    dialog, holder = _runner(qtbot, db)
    assert dialog.restore_button.text() == "Backup copies (1)…"
    assert dialog.view is not None and [c.name for c in dialog.view.copies] == [name]
    with qtbot.waitSignal(holder.catalog_changed, timeout=20_000):
        dialog.task = holder.change_schema(jobs.drop_copy, name, on_done=dialog._on_copy_dropped)
    qtbot.waitUntil(lambda: "Dropped the backup copy" in dialog.log.toPlainText(), timeout=20_000)
    assert list_copies(db) == []
    assert workers.wait_idle()
    holder.close()
    db.dispose()
