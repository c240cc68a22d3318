"""A revert under way when a migration starts (the migration waits behind it on the writer thread) ends during
the pause: what it says stays said after the pause, instead of the status line from before the pause
("Reverting…", which would claim a revert still runs). Real SQLite demo copy, real worker threads."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from core.data.changes import Update
from core.data.writes import save
from gui.audit.panel import AuditPanel
from gui.migrate.pausable import PAUSED_READS
from gui.runtime import workers
from tests.fixtures.demo import Demo
from tests.gui.test_audit_panel import _twenty_renamed


def test_a_revert_that_failed_during_the_pause_is_still_said_after_it(
    qtbot: QtBot, sqlite_demo_copy: Demo
) -> None:
    keys = _twenty_renamed(sqlite_demo_copy)
    db, cat = sqlite_demo_copy
    save(db, cat, [Update("users", keys[0], {"display_name": "later"}, {"display_name": "renamed 0"})])
    panel = AuditPanel()
    qtbot.addWidget(panel)
    panel.key_edit.setText(str(keys[0]["id"]))
    panel.set_database(db, cat)
    qtbot.waitUntil(lambda: panel.entries.rowCount() == 2, timeout=30_000)
    panel.table.selectRow(1)  # the first rename, older than the later edit: its revert conflicts
    panel.revert_button.click()
    panel.set_paused(PAUSED_READS)  # as the watch does when a run starts: before the revert's outcome comes
    qtbot.waitUntil(lambda: "changed in the database" in panel.status.text(), timeout=30_000)
    assert workers.wait_idle(30_000)
    panel.set_paused(None)
    assert "changed in the database" in panel.status.text(), (
        f"not the line from before: {panel.status.text()}"
    )
