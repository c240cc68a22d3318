""" "Create audit log" succeeds but the catalog cannot be read again afterwards (issue 12): the save that
waited is not sent, the user is told so, the edit stays staged, and the window is not stuck: quitting asks
about the unsaved edit as usual and closes. A real PostgreSQL server of the test's own, stopped right after
the audit log is created (the reload then finds it gone, as when a server goes away at that moment)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from core.engine.db import Database
from gui.audit import consent_gate
from gui.unsaved import DISCARD
from tests.fixtures import postgres
from tests.fixtures.editing import active_prompt, open_editor, open_window, stage
from tests.fixtures.postgres import StoppableServer
from tests.fixtures.save_gates import consent_dialog
from tests.gui.test_connection_state import _fill, _stored_name
from tests.gui.test_quit_gated import quit_and_save

stoppable_pg = postgres.stoppable_pg  # the fixture: a server of the test's own
pytestmark = pytest.mark.usefixtures("data_dir", "no_audit_answers")  # profiles of its own


def test_a_failed_reload_after_creating_the_log_keeps_the_edit_staged_and_lets_the_window_close(
    qtbot: QtBot, stoppable_pg: StoppableServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _fill(stoppable_pg)
    window = open_window(qtbot, url.render_as_string(hide_password=False))
    window.open_db.connection.backoff = (60.0,)  # no retry of the reload within the test
    items = open_editor(qtbot, window, "items")
    key = stage(items, 2, "name", "Never written")
    real_create = consent_gate.create_audit_log

    def create_then_lose_the_server(db: Database) -> bool:
        created = real_create(db)  # on the worker, as the window runs it
        stoppable_pg.stop()  # gone before the catalog is read again
        return created

    monkeypatch.setattr(consent_gate, "create_audit_log", create_then_lose_the_server)
    quit_and_save(qtbot, window)
    with qtbot.waitSignal(window.open_db.catalog_failed, timeout=30_000):
        consent_dialog(qtbot, window).create_button.click()
    qtbot.waitUntil(lambda: not window.leave_guard.busy, timeout=10_000)
    message = window.statusBar().currentMessage()
    assert (
        message
        == "Audit log created, but the tables could not be read again: nothing saved; 1 change still staged."
    )
    assert "Never written" not in message and "UPDATE" not in message
    assert window.isVisible() and items.model.staged_count == 1
    assert not window.audit_gate.holds(items.model)
    window.grab().save("/tmp/warden_audit_reload_failed.png")

    assert not window.close()  # asks about the staged edit, as any quit does
    active_prompt(qtbot).choose(DISCARD)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    stoppable_pg.start()
    assert _stored_name(url, "items", key["id"]) != "Never written"
