"""The audit panel while a migration runs (issue 10: reads wait, writes do not run): a real upgrade runs
through the runner on the demo database one revision behind (its last revision changes the audit log's own
indexes). While it runs, a filter and a refresh asked of the panel read nothing and its Revert buttons are
off; after it, the panel reads the log once, with the filter asked for, on the reloaded catalog."""

from __future__ import annotations

import re

import pytest
from pytestqt.qtbot import QtBot

from core.engine.db import open_database
from core.migrate import migrations as mig
from gui.audit.panel import PAUSED_LOG, AuditPanel
from gui.runtime import workers
from tests.fixtures.editing import open_editor, open_window, stage
from tests.gui.test_migrate_pause import SCREENSHOTS, _runner, _running, one_behind, statements_while

__all__ = ["one_behind"]  # the fixture, shared with the pause test
pytestmark = pytest.mark.usefixtures("data_dir")

#: The panel's read of the log's entries (not the window's row counts; the upgrade only changes its indexes).
LOG_READS = re.compile(r"order by\s+admin_audit_log\.id", re.IGNORECASE)


def test_the_audit_panel_reads_nothing_during_a_run_and_once_after_it(
    qtbot: QtBot, one_behind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, one_behind)
    window.resize(1200, 600)
    editor = open_editor(qtbot, window, "npcs")
    stage(editor, 0, "name", "Audited before the run")
    editor.save()
    qtbot.waitUntil(lambda: editor.model.staged_count == 0 and not editor.model.saving, timeout=15_000)
    panel = window.show_audit()
    assert isinstance(panel, AuditPanel)
    qtbot.waitUntil(lambda: panel.entries.rowCount() > 0, timeout=15_000)
    panel.table.selectRow(0)
    assert panel.revert_button.isEnabled()
    assert workers.wait_idle(30_000)
    with statements_while(lambda: True) as one_refresh:  # how many statements one read of the log is
        panel.refresh()
        assert workers.wait_idle(30_000)
    per_read = len([s for s in one_refresh if LOG_READS.search(s)])
    assert per_read >= 1

    dialog = _runner(qtbot, window)
    monkeypatch.setattr(dialog, "_confirm", lambda _verb, _flagged: True)
    asked: dict[str, object] = {}

    def on_paused(paused: bool) -> None:
        if not paused:
            return
        panel.entity_edit.setText("npcs")
        panel.entity_edit.returnPressed.emit()  # a filter asked for during the run
        panel.refresh()  # and Refresh
        asked.update(
            status=panel.status.text(),
            revert=(panel.revert_button.isEnabled(), panel.revert_save_button.isEnabled()),
            tip=panel.revert_button.toolTip(),
            refresh=panel.refresh_button.isEnabled(),
        )
        window.tabs.setCurrentWidget(panel)
        panel.grab().save(str(SCREENSHOTS / "warden_paused_audit.png"))

    window.migration_watch.paused_changed.connect(on_paused)
    running = _running(dialog)
    ended: list[int] = []
    with statements_while(lambda: True) as seen:
        dialog.run_finished.connect(lambda: ended.append(len(seen)))
        with qtbot.waitSignal(dialog.run_finished, timeout=90_000):
            dialog.upgrade_button.click()
        during = [s for s in seen if LOG_READS.search(s)]
        qtbot.waitUntil(lambda: not window.migration_watch.paused, timeout=30_000)
        qtbot.waitUntil(lambda: panel.status.text().endswith("."), timeout=30_000)
        assert workers.wait_idle(30_000)
    assert not running
    assert mig.current(open_database(one_behind)) == mig.heads()
    assert asked["status"] == PAUSED_LOG
    assert asked["revert"] == (False, False) and asked["tip"] and not asked["refresh"], (
        "nothing reverted meanwhile"
    )
    assert not during, f"the audit panel read during the run: {during[:2]}"
    after = [s for s in seen[ended[0] :] if LOG_READS.search(s)]
    assert len(after) == per_read, (
        f"the log is read once after the run: {len(after)} reads, {per_read} per read"
    )
    assert panel.entries.rowCount() > 0
    assert {panel.entries.entry(r).entity for r in range(panel.entries.rowCount())} == {"npcs"}
    assert panel.catalog is window.open_db.catalog, "it follows the reloaded catalog"
    assert panel.refresh_button.isEnabled()
    window.tabs.setCurrentWidget(panel)
    panel.grab().save(str(SCREENSHOTS / "warden_resumed_audit.png"))
    dialog.close()
