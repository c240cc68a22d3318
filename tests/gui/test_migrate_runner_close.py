"""The migration runner cannot be closed while a run is under way: its end is what resumes the window's paused
screens (gui/migrate/watch.py follows run_finished), so a runner closed meanwhile (and deleted: it is
WA_DeleteOnClose) left every screen paused for good and its end raised on the deleted dialog."""

from __future__ import annotations

import pytest
import shiboken6
from pytestqt.qtbot import QtBot

from core.engine.db import open_database
from core.migrate import migrations as mig
from gui.runtime import workers
from tests.fixtures.editing import open_editor, open_window
from tests.gui.test_migrate_pause import _runner, data_dir, one_behind

__all__ = ["data_dir", "one_behind"]  # the fixtures, shared with the pause test


def test_the_runner_stays_open_during_a_run_and_the_screens_resume_after_it(
    qtbot: QtBot, one_behind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, one_behind)
    editor = open_editor(qtbot, window, "npcs")
    watch = window.migration_watch
    dialog = _runner(qtbot, window)
    monkeypatch.setattr(dialog, "_confirm", lambda _verb, _flagged: True)
    dialog.upgrade_button.click()
    qtbot.waitUntil(lambda: watch.paused, timeout=30_000)
    dialog.close_button.click()
    dialog.reject()  # Escape
    dialog.close()  # the title bar's close
    assert shiboken6.isValid(dialog) and dialog.isVisible(), "closed while the upgrade ran"
    assert "run is under way" in dialog.message.text()
    qtbot.waitUntil(lambda: not watch.paused, timeout=60_000)
    assert workers.wait_idle(30_000)
    assert editor.isEnabled(), "the editor resumed after the run"
    assert mig.current(open_database(one_behind)) == mig.heads()
    dialog.close_button.click()  # the run ended: it closes now
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible(), timeout=5_000)


def test_two_runners_keep_the_screens_paused_until_both_runs_have_ended(
    qtbot: QtBot, one_behind: str
) -> None:
    """Two runners are open (the menu's and the banner's): one run ending while the other's is under way
    resumes nothing; the screens read again once the last one ends."""
    window = open_window(qtbot, one_behind)
    editor = open_editor(qtbot, window, "npcs")
    watch = window.migration_watch
    first, second = _runner(qtbot, window), _runner(qtbot, window)
    first.run_started.emit()
    second.run_started.emit()
    first.run_finished.emit()
    assert watch.paused and not editor.isEnabled(), "resumed while the other run was under way"
    window.open_db.reload_catalog()  # what change_schema does before a runner says its run ended
    second.run_finished.emit()
    qtbot.waitUntil(lambda: not watch.paused and editor.isEnabled(), timeout=30_000)  # the catalog came
    assert workers.wait_idle(30_000)
    for dialog in (first, second):
        dialog.close()
