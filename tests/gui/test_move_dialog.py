"""Move to PostgreSQL… on the demo SQLite file and a real PostgreSQL (issue 10): the copy runs on a worker
with progress per table and ends verified with an offer to open the copy; Cancel keeps what was copied and
Copy again resumes; the dry run makes the tables and copies no row; a target that is not PostgreSQL is
refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from gui.migrate.move_dialog import MoveDialog, MoveRequest
from gui.runtime import workers
from gui.runtime.open_database import OpenDatabase
from tests.fixtures.demo import Demo
from tests.fixtures.postgres import new_pg_database


@pytest.fixture
def holder(qtbot: QtBot, sqlite_demo_copy: Demo) -> Iterator[OpenDatabase]:
    """The demo SQLite file, open in the window's holder."""
    src, _ = sqlite_demo_copy
    found = OpenDatabase()
    with qtbot.waitSignal(found.catalog_changed, timeout=20_000):
        found.set_database(src)
    yield found
    assert workers.wait_idle(30_000)
    found.close()


def _dialog(qtbot: QtBot, holder: OpenDatabase, target: str) -> MoveDialog:
    dialog = MoveDialog(holder, profiles=list)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.target.setCurrentText(target)
    return dialog


def _cells(dialog: MoveDialog) -> dict[str, list[str]]:
    found = {}
    for i in range(dialog.tables.topLevelItemCount()):
        item = dialog.tables.topLevelItem(i)
        assert item is not None
        found[item.text(0)] = [item.text(c) for c in range(1, 5)]
    return found


def _count(url: str, sql: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql(sql).scalar_one())
    finally:
        engine.dispose()


def test_cancel_keeps_the_copy_then_copy_again_resumes_verifies_and_offers_to_open(
    qtbot: QtBot, holder: OpenDatabase, pg_server: object
) -> None:
    url = new_pg_database(pg_server)
    dialog = _dialog(qtbot, holder, url)
    dialog.start_button.click()
    assert dialog.task is not None and not dialog.start_button.isEnabled()
    dialog.cancel_button.click()  # stops at the copy's first check
    qtbot.waitUntil(lambda: dialog.task is None, timeout=60_000)
    assert "Copy again resumes" in dialog.message.text()
    assert dialog.outcome is None and dialog.start_button.isEnabled()

    progress: list[str] = []
    dialog.progress.valueChanged.connect(lambda _v: progress.append(dialog.progress.format()))
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=120_000)
    result = dialog.outcome
    assert result is not None and result.ok
    cells = _cells(dialog)
    assert cells["tool_executions"][3] == "verified" and all(c[3] == "verified" for c in cells.values())
    assert any(p.startswith("Copying ") for p in progress), "progress named the table being copied"
    assert "rows match" in dialog.message.text() and dialog.open_button.isVisible()
    rows = sum(t.rows_source for t in result.tables)
    assert f"{rows:,} rows match" in dialog.message.text()
    # Each table written (by either run) has its "copy" entry in the target's audit log.
    filled = [t.table for t in result.tables if t.rows_source]
    assert result.audited and filled
    entries = "select count(distinct entity) from admin_audit_log where action = 'copy'"
    assert _count(url, entries) == len(filled)

    with qtbot.waitSignal(dialog.open_requested, timeout=5_000) as opened:
        dialog.open_button.click()
    request = opened.args[0]
    assert isinstance(request, MoveRequest) and request.url == url


def test_the_dry_run_makes_the_tables_and_copies_no_row(
    qtbot: QtBot, holder: OpenDatabase, pg_server: object
) -> None:
    url = new_pg_database(pg_server)
    dialog = _dialog(qtbot, holder, url)
    dialog.dry_run.setChecked(True)
    assert dialog.start_button.text() == "Make tables"
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=60_000)
    assert dialog.message.text().startswith("Dry run:") and not dialog.open_button.isVisible()
    cells = _cells(dialog)
    assert int(cells["tool_executions"][0].replace(",", "")) > 0, "the source's rows are listed"
    assert _count(url, "select count(*) from tool_executions") == 0
    assert _count(url, "select count(*) from information_schema.tables where table_name = 'orders'") == 1


def test_a_target_that_is_not_postgresql_is_refused_before_anything_runs(
    qtbot: QtBot, holder: OpenDatabase, tmp_path: object
) -> None:
    dialog = _dialog(qtbot, holder, "/tmp/elsewhere.db")
    dialog.start_button.click()
    assert dialog.task is None
    assert "Enter a PostgreSQL URL" in dialog.message.text()
    assert dialog.start_button.isEnabled()


def test_the_tools_menu_opens_the_dialog_for_a_sqlite_file(
    qtbot: QtBot, demo_copy_path: str, no_saved_tabs: None
) -> None:
    from tests.fixtures.editing import open_window

    window = open_window(qtbot, demo_copy_path)
    window.menus.tools_menu.aboutToShow.emit()
    action = window.menus.move_action
    assert action.isEnabled() and action.objectName() == "moveToPostgresAction"
    action.trigger()
    dialog = window.findChild(MoveDialog)
    assert dialog is not None and dialog.isVisible()
    assert "demo" in dialog.header.text() and dialog.start_button.text() == "Copy"
    dialog.close()
    assert workers.wait_idle()
