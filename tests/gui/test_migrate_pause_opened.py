"""Reads wait (issue 10): a table editor opened while a migration runs starts paused. A real upgrade runs
through the runner on a copy of the demo database one revision behind; tabs opened meanwhile (one plain, one
filtered) read nothing while it runs (the statements on every engine are watched) and say why over their
grid; once it ends they read their first page and count, the filtered one only its matches."""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from core.data.repository import Filter
from core.engine.db import open_database
from core.migrate import migrations as mig
from gui.editor.view import TableEditor
from gui.main_window import MainWindow
from gui.migrate.watch import PAUSED
from gui.runtime import workers
from tests.fixtures.editing import open_window
from tests.gui.test_migrate_pause import SCREENSHOTS, _runner, one_behind, statements_while

__all__ = ["one_behind"]  # the fixture, shared with the pause test

#: A read of the two tables the editors opened during the run show.
EDITOR_READS = ("npcs", "regions")


pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own


def _reads_of(statements: list[str], table: str) -> list[str]:
    read = re.compile(rf'\b(from|join)\s+"?{table}"?(?!\w)', re.IGNORECASE)
    return [s for s in statements if read.search(s)]


def _read(editor: TableEditor) -> bool:
    return editor.model.row_key(0) is not None and editor.model.exact


def test_an_editor_opened_during_a_run_reads_nothing_until_it_ends(
    qtbot: QtBot, one_behind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    window: MainWindow = open_window(qtbot, one_behind)
    window.resize(1100, 700)
    with open_database(one_behind).engine.connect() as conn:
        some_region = conn.execute(sa.text("SELECT name FROM regions ORDER BY name LIMIT 1")).scalar_one()
    assert workers.wait_idle(30_000)
    dialog = _runner(qtbot, window)
    monkeypatch.setattr(dialog, "_confirm", lambda _verb, _flagged: True)
    opened: dict[str, Any] = {}

    def on_paused(paused: bool) -> None:
        if not paused:
            return
        window.navigator.entity_activated.emit("npcs")  # as a double-click in the navigator does
        plain = window.tabs.currentWidget()
        window._open_entity_tab("regions", [Filter("name", "eq", some_region)])  # a related-rows link
        filtered = window.tabs.currentWidget()
        assert isinstance(plain, TableEditor) and isinstance(filtered, TableEditor)
        opened.update(plain=plain, filtered=filtered)
        qtbot.wait(300)  # time enough for a read to start, were one asked for
        opened["overlay"] = plain.overlay.text()
        opened["message"] = plain.message.text() if not plain.message.isHidden() else ""
        opened["enabled"] = plain.isEnabled()
        opened["rows"] = (plain.model.rowCount(), filtered.model.rowCount())
        window.tabs.setCurrentWidget(plain)
        plain.grab().save(str(SCREENSHOTS / "warden_opened_during_run.png"))

    watch = window.migration_watch
    watch.paused_changed.connect(on_paused)
    with (
        statements_while(lambda: watch.paused) as during,
        qtbot.waitSignal(dialog.run_finished, timeout=90_000),
    ):
        dialog.upgrade_button.click()
    plain: TableEditor = opened["plain"]
    filtered: TableEditor = opened["filtered"]
    assert opened["overlay"] == "The rows are read when the migration ends"
    assert opened["message"] == PAUSED and not opened["enabled"]
    assert opened["rows"] == (0, 0)
    for table in EDITOR_READS:
        assert not _reads_of(during, table), f"an editor opened during the run read {table} meanwhile"
    assert any("alembic_version" in text for text in during), "the upgrade did run meanwhile"
    assert mig.current(open_database(one_behind)) == mig.heads()

    for editor in (plain, filtered):  # read once the run has ended
        qtbot.waitUntil(functools.partial(_read, editor), timeout=30_000)
        assert editor.isEnabled() and not editor.reads_paused
        assert editor.overlay.text() == ""
    assert filtered.model.total == 1 and filtered.model.row_values(0)["name"] == some_region
    assert plain.model.total > 1
    assert workers.wait_idle(30_000)
    dialog.close()
