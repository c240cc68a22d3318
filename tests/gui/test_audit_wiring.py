"""The audit log in the window (issue 12): consent before the first save to a database without one, the
"Audit off" badge, the Tools → Audit Log tab, and the log's own editor read-only.

Real SQLite files: a foreign one built with raw SQL (no audit log) and a copy of the reference demo.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from core.audit.consent import has_audit_log
from core.data.audit_trail import AUDIT_TABLE
from core.engine.db import open_database
from core.schema.load import load_catalog
from gui.audit.panel import AuditPanel
from gui.editor.view import TableEditor
from gui.main_window import MainWindow
from tests.fixtures import threads
from tests.fixtures.editing import EDIT, column, open_editor, open_window, stage, stored
from tests.fixtures.foreign import build_foreign
from tests.fixtures.save_gates import consent_dialog

pytestmark = pytest.mark.usefixtures("no_saved_tabs", "no_audit_answers")


@pytest.fixture
def foreign_path(tmp_path: Path) -> str:
    path = str(tmp_path / "guilds.db")
    build_foreign(path)
    return path


def log_rows(path: str) -> list[tuple[str, str, dict[str, object]]] | None:
    """(entity, action, row_key) of every audit entry in the file; None when it has no audit log.

    Read with core's driver: a second SQLite library in the process would break the window's file locks.
    """
    db = open_database(path)
    try:
        with db.engine.connect() as conn:
            if not sa.inspect(conn).has_table(AUDIT_TABLE):
                return None
            sql = f"SELECT entity, action, row_key FROM {AUDIT_TABLE} ORDER BY id"
            return [(e, a, json.loads(k)) for e, a, k in conn.exec_driver_sql(sql)]
    finally:
        db.dispose()


def edit_guild(qtbot: QtBot, window: MainWindow) -> tuple[TableEditor, dict[str, object]]:
    editor = open_editor(qtbot, window, "guilds")
    return editor, stage(editor, 0, "title", "Renamed guild")


def test_create_adds_the_log_and_the_save_is_audited(qtbot: QtBot, foreign_path: str) -> None:
    """The first save asks; "Create audit log" creates it on a worker, the catalog lists it, and the save
    that waited is written with its entry. The next save does not ask again."""
    window = open_window(qtbot, foreign_path)
    editor, key = edit_guild(qtbot, window)
    with threads.statement_threads(sa.Engine) as idents:
        editor.save()
        dialog = consent_dialog(qtbot, window)
        assert not editor.model.saving  # nothing is sent while it asks
        with qtbot.waitSignal(editor.model.saved, timeout=15_000):
            dialog.create_button.click()
    assert threading.main_thread().ident not in idents  # created and saved on workers
    assert stored(foreign_path, "guilds", key)["title"] == "Renamed guild"
    assert log_rows(foreign_path) == [("guilds", "update", key)]
    catalog = window.open_db.catalog
    assert catalog is not None and has_audit_log(catalog)
    assert AUDIT_TABLE in window.entity_names()
    assert window.audit_gate.badge.isHidden()

    second = stage(editor, 1, "title", "Second rename")
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        editor.save()
    assert window.audit_gate.dialog is None
    assert log_rows(foreign_path) == [("guilds", "update", key), ("guilds", "update", second)]


def test_audit_off_saves_without_a_log_and_the_status_bar_says_so(qtbot: QtBot, foreign_path: str) -> None:
    """Save without audit writes the edit, creates no log, remembers the answer for the database this
    session (the next save does not ask) and shows the "Audit off" badge with the reason."""
    window = open_window(qtbot, foreign_path)
    badge = window.audit_gate.badge
    assert badge.isHidden()
    editor, key = edit_guild(qtbot, window)
    editor.save()
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        consent_dialog(qtbot, window).off_button.click()
    assert stored(foreign_path, "guilds", key)["title"] == "Renamed guild"
    assert log_rows(foreign_path) is None
    assert not badge.isHidden() and badge.text() == "Audit off"
    assert "not recorded" in badge.toolTip()
    assert badge.parent() is not None and window.statusBar().isAncestorOf(badge)

    stage(editor, 1, "title", "Again")
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        editor.save()
    assert window.audit_gate.dialog is None  # remembered for this database
    assert log_rows(foreign_path) is None


def test_cancel_keeps_the_edits_staged_and_writes_nothing(qtbot: QtBot, foreign_path: str) -> None:
    window = open_window(qtbot, foreign_path)
    editor, key = edit_guild(qtbot, window)
    before = stored(foreign_path, "guilds", key)["title"]
    editor.save()
    consent_dialog(qtbot, window).reject()
    assert window.audit_gate.dialog is None
    assert not editor.model.saving and editor.model.staged_count == 1
    assert "still staged" in window.statusBar().currentMessage()
    assert stored(foreign_path, "guilds", key)["title"] == before
    assert log_rows(foreign_path) is None
    assert window.audit_gate.badge.isHidden()
    editor.save()  # asks again: nothing was decided
    consent_dialog(qtbot, window).reject()
    assert editor.model.staged_count == 1


def test_the_demo_saves_without_asking_and_its_audit_tab_lists_the_save(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    """The reference demo has the audit log: no question. Tools → Audit Log opens the viewer as a tab,
    listing the save; double-clicking the entry opens the record."""
    window = open_window(qtbot, demo_copy_path)
    editor = open_editor(qtbot, window, "users")
    key = stage(editor, 0, "display_name", "Audited Name")
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        editor.save()
    assert window.audit_gate.dialog is None and window.audit_gate.badge.isHidden()

    window.menus.audit_action.trigger()
    panel = window.tabs.currentWidget()
    assert isinstance(panel, AuditPanel) and window.tabs.tabText(window.tabs.currentIndex()) == "Audit Log"
    qtbot.waitUntil(lambda: panel.entries.rowCount() >= 1, timeout=10_000)
    entry = panel.entries.entry(0)
    assert (entry.entity, entry.action, entry.fields) == ("users", "update", ("display_name",))
    assert entry.key == {k: str(v) for k, v in key.items()} or entry.key == key
    window.menus.audit_action.trigger()  # focuses the same tab
    assert sum(isinstance(window.tabs.widget(i), AuditPanel) for i in range(window.tabs.count())) == 1

    panel.table.doubleClicked.emit(panel.entries.index(0, 0))
    opened = window.tabs.currentWidget()
    assert isinstance(opened, TableEditor) and opened.entity.name == "users"
    qtbot.waitUntil(lambda: opened.model.row_key(0) is not None, timeout=10_000)
    assert opened.model.rowCount() == 1
    assert opened.model.index(0, column(opened, "display_name")).data(EDIT) == "Audited Name"


def test_the_audit_logs_own_editor_is_read_only(qtbot: QtBot, demo_copy_path: str) -> None:
    db = open_database(demo_copy_path)
    try:
        entity = load_catalog(db).get(AUDIT_TABLE)
    finally:
        db.dispose()
    assert entity.read_only and entity.read_only_reason == "only Warden's saves add to the audit log"
    window = open_window(qtbot, demo_copy_path)
    window.navigator.entity_activated.emit(AUDIT_TABLE)
    editor = window.tabs.currentWidget()
    assert isinstance(editor, TableEditor) and editor.entity.read_only
    qtbot.waitUntil(lambda: editor.model.exact, timeout=10_000)
    assert not editor.actions_by_name["insert"].isEnabled()
