"""Protection levels in the window (issue 12): a read-only profile disables every editing action and its
session refuses writes, a confirm profile shows the SQL before a save (Cancel writes nothing), Unlock
Editing… needs a reason and is written to the audit log, and the unlock's end locks the connection again
with the staged edits kept. Real Qt offscreen, real SQLite copies of the demo and the real PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QFontMetrics, QGuiApplication
from PySide6.QtWidgets import QAbstractItemView
from pytestqt.qtbot import QtBot

from core.audit import profiles as core_profiles
from core.audit.profiles import Profile
from core.engine.connections import parse_pasted_url
from core.engine.db import open_database
from gui.audit.panel import AuditPanel
from gui.connection.dialog import ConnectionDialog
from gui.connection.profiles import RecentConnection, forget_session_passwords, store_password
from gui.editor.actions import EDITING
from gui.editor.view import TableEditor
from gui.main_window import MainWindow
from gui.migrate.dialog import MigrationDialog
from gui.safety.unlock_dialog import UnlockDialog
from gui.search.panel import SearchPanel
from tests.fixtures.editing import EDIT, column, let_close, open_editor, stored
from tests.fixtures.postgres import new_pg_database
from tests.fixtures.save_gates import confirm_dialog, profile_window, saved_profile

pytestmark = pytest.mark.usefixtures("no_saved_tabs", "data_dir", "no_audit_answers")  # profiles of its own

ENTITY, FIELD = "regions", "name"


def fingerprint(path: str) -> tuple[str, int]:
    data = Path(path).read_bytes()
    return hashlib.sha256(data).hexdigest(), Path(path).stat().st_mtime_ns


def audit_entries(path: str, action: str) -> list[tuple[str, str | None, str]]:
    """(action, reason, profile) of the audit entries with `action`, read with core's driver."""
    db = open_database(path)
    try:
        with db.engine.connect() as conn:
            sql = "SELECT action, reason, profile FROM admin_audit_log WHERE action = ? ORDER BY id"
            return [tuple(r) for r in conn.exec_driver_sql(sql, (action,))]
    finally:
        db.dispose()


def one_audited_edit(path: str) -> None:
    """Rename one region through core's save (audited), before the window opens the file."""
    from core.data.changes import Update
    from core.data.repository import save
    from core.schema.load import load_catalog

    db = open_database(path)
    try:
        with db.engine.connect() as conn:
            key, name, version = conn.exec_driver_sql("SELECT id, name, version FROM regions LIMIT 1").one()
        save(db, load_catalog(db), [Update(ENTITY, {"id": key}, {FIELD: "Renamed"}, {FIELD: name}, version)])
    finally:
        db.dispose()


def assert_locked(editor: TableEditor, profile: str) -> None:
    """Every editing action off with a tooltip saying why; cells neither edit nor stage."""
    for name in EDITING:
        action = editor.actions_by_name[name]
        assert not action.isEnabled(), name
        assert "read-only" in action.toolTip() and f"profile '{profile}'" in action.toolTip(), name
    assert editor.view.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    index = editor.model.index(0, column(editor, FIELD))
    assert not editor.model.flags(index) & editor.model.flags(index).ItemIsEditable
    assert not editor.model.setData(index, "Nope", EDIT)
    assert editor.model.staged_count == 0


def unlock(qtbot: QtBot, window: MainWindow, reason: str, minutes: int | None) -> UnlockDialog:
    dialog = window.safety.ask_unlock()
    assert isinstance(dialog, UnlockDialog) and dialog.isVisible()
    dialog.reason.setPlainText(reason)
    dialog.duration.setCurrentIndex(dialog.duration.findData(minutes))
    with qtbot.waitSignal(window.safety.unlocked, timeout=15_000):
        dialog.unlock_button.click()
    return dialog


def test_read_only_profile_disables_editing_and_its_session_refuses(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    """A read-only profile: red badge and title tag, every editing action off with the reason; a save that
    gets through anyway (a missed action) is refused by the session with a clear message, file untouched."""
    profile = saved_profile(demo_copy_path, "read-only", "archive")
    before = fingerprint(demo_copy_path)
    window = profile_window(qtbot, profile)
    assert window.level_badge.isVisible() and window.level_badge.text() == "READ-ONLY"
    assert "#b3261e" in window.level_badge.styleSheet()
    assert window.windowTitle() == "archive — Warden [READ-ONLY]"
    assert window.unlock_action.isEnabled() and not window.lock_action.isEnabled()
    editor = open_editor(qtbot, window, ENTITY)
    assert_locked(editor, "archive")
    editor.model.history.edit_cell(0, column(editor, FIELD), "Sneaked in")  # past every disabled action
    with qtbot.waitSignal(editor.model.save_failed, timeout=10_000) as failed:
        editor.save()
    assert "read-only" in failed.args[0] and "SELECT" not in failed.args[0]
    editor.model.revert()
    window.close()
    assert fingerprint(demo_copy_path) == before


def test_postgres_connections_default_to_read_only(
    qtbot: QtBot, pg_server: object, pg_demo_template: str
) -> None:
    """The connection dialog offers read-only for PostgreSQL; opened so, the session is read-only and the
    editor's actions are off; a saved profile is listed under File → Profiles without its password."""
    url = new_pg_database(pg_server, template=pg_demo_template)
    target, password = parse_pasted_url(url)
    dialog = ConnectionDialog(target)
    qtbot.addWidget(dialog)
    assert dialog.profile().level == "read-only" == core_profiles.default_level(url)
    dialog.save_profile.setChecked(True)
    dialog.profile_name.setText("shared")
    profile = dialog.profile()
    core_profiles.save_profile(profile)
    dialog.reject()
    window = profile_window(qtbot, profile, target.url(password))
    db = window.open_db.database
    assert db is not None and db.capabilities.read_only
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
    assert window.level_badge.text() == "READ-ONLY" and window.windowTitle().endswith("[READ-ONLY]")
    assert_locked(open_editor(qtbot, window, ENTITY), "shared")
    window.connection_actions.fill_profiles_menu()
    (entry,) = window.connection_actions.profiles_menu.actions()
    assert entry.text() == "shared  [read-only]"
    assert not password or password not in core_profiles.profiles_path().read_text()
    window.close()

    # Reopened from Recent Connections (no profile): read-only too, PostgreSQL's default
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # the password in this session's memory, never the tester's keyring
    try:
        store_password(target.account, password or "trusted-anyway")
        again = MainWindow()
        qtbot.addWidget(again, before_close_func=let_close)
        recent = RecentConnection(target.url(), "postgresql", target.account)
        with qtbot.waitSignal(again.counts_loaded, timeout=20_000):
            again.connection_actions.open_recent(recent)
    finally:
        keyring.set_keyring(previous)
        forget_session_passwords()
    db = again.open_db.database
    assert db is not None and db.capabilities.read_only and again.level_badge.text() == "READ-ONLY"


def test_confirm_shows_the_sql_and_cancel_writes_nothing(qtbot: QtBot, demo_copy_path: str) -> None:
    """Confirm: Save shows the UPDATE it will run (monospace, copyable); Cancel sends nothing and keeps the
    edit staged; Save then writes it."""
    window = profile_window(qtbot, saved_profile(demo_copy_path, "confirm"))
    assert window.level_badge.text() == "CONFIRM" and window.windowTitle() == "demo — Warden [CONFIRM]"
    editor = open_editor(qtbot, window, ENTITY)
    key = editor.model.row_key(0)
    assert key is not None
    old = stored(demo_copy_path, ENTITY, key)[FIELD]
    assert editor.model.setData(editor.model.index(0, column(editor, FIELD)), "Confirmed'Land", EDIT)
    editor.save()
    dialog = confirm_dialog(qtbot, window)
    assert not editor.model.saving  # nothing is sent while it asks
    sql = dialog.sql.toPlainText()
    assert sql.startswith(f"UPDATE {ENTITY} SET") and "'Confirmed''Land'" in sql and key["id"].hex in sql
    # Monospaced as drawn (Qt's fixedPitch flag is False for some monospaced fonts: Noto Sans Mono).
    width = QFontMetrics(dialog.sql.font()).horizontalAdvance
    assert width("iiiiii") == width("WWWWWW") and dialog.sql.isReadOnly()
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == sql
    dialog.reject()
    qtbot.waitUntil(lambda: window.save_gate.dialog is None, timeout=5_000)
    assert not editor.model.saving and editor.model.staged_count == 1
    assert stored(demo_copy_path, ENTITY, key)[FIELD] == old
    assert "still staged" in window.statusBar().currentMessage()
    editor.save()
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        confirm_dialog(qtbot, window).save_button.click()
    assert stored(demo_copy_path, ENTITY, key)[FIELD] == "Confirmed'Land"


def test_unlock_needs_a_reason_and_is_audited(qtbot: QtBot, demo_copy_path: str) -> None:
    """Unlock Editing… cannot go without a reason; with one it reopens the database writable on a worker,
    writes one "elevate" entry with the reason, and the badge says until when; saves then confirm."""
    window = profile_window(qtbot, saved_profile(demo_copy_path, "read-only", "archive"))
    editor = open_editor(qtbot, window, ENTITY)
    dialog = window.safety.ask_unlock()
    assert isinstance(dialog, UnlockDialog)
    assert not dialog.unlock_button.isEnabled()
    dialog.reason.setPlainText("   ")
    assert not dialog.unlock_button.isEnabled()
    dialog.accept()  # Enter with a blank reason: it says so and stays
    assert dialog.isVisible() and "reason" in dialog.problem.text()
    assert audit_entries(demo_copy_path, "elevate") == []
    dialog.reject()
    qtbot.waitUntil(lambda: window.safety.dialog is None, timeout=5_000)

    unlock(qtbot, window, "Fix a region name (SUP-311)", 15)
    assert audit_entries(demo_copy_path, "elevate") == [("elevate", "Fix a region name (SUP-311)", "archive")]
    db = window.open_db.database
    assert db is not None and not db.capabilities.read_only and editor.db is db
    assert window.level_badge.text().startswith("UNLOCKED until ")
    assert "[UNLOCKED until " in window.windowTitle()
    assert window.lock_action.isEnabled() and not window.unlock_action.isEnabled()
    assert editor.actions_by_name["insert"].isEnabled()
    assert editor.view.editTriggers() != QAbstractItemView.EditTrigger.NoEditTriggers
    key = editor.model.row_key(0)
    assert key is not None
    assert editor.model.setData(editor.model.index(0, column(editor, FIELD)), "Unlocked land", EDIT)
    editor.save()
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        confirm_dialog(qtbot, window).save_button.click()
    assert stored(demo_copy_path, ENTITY, key)[FIELD] == "Unlocked land"


def test_the_unlock_ends_and_locks_again_keeping_staged_edits(qtbot: QtBot, demo_copy_path: str) -> None:
    """When the unlock's time is up the connection is reopened read-only: the badge is READ-ONLY again, the
    actions are off, the staged edit is kept and not saved, and a save is refused by the session."""
    window = profile_window(qtbot, saved_profile(demo_copy_path, "read-only", "archive"))
    editor = open_editor(qtbot, window, ENTITY)
    unlock(qtbot, window, "One fix", 15)
    timer = window.safety.timer
    assert timer.isActive() and 14 * 60_000 < timer.remainingTime() <= 15 * 60_000 + 1_000  # whole seconds
    key = editor.model.row_key(0)
    assert key is not None
    old = stored(demo_copy_path, ENTITY, key)[FIELD]
    assert editor.model.setData(editor.model.index(0, column(editor, FIELD)), "Never saved", EDIT)
    elevation = window.safety.elevation
    assert elevation is not None and elevation.until is not None
    window.safety.elevation = dataclasses.replace(
        elevation, until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    )
    with qtbot.waitSignal(window.safety.relocked, timeout=15_000):
        timer.start(0)  # the unlock's end, now rather than in 15 minutes
    db = window.open_db.database
    assert db is not None and db.capabilities.read_only and editor.db is db
    assert window.level_badge.text() == "READ-ONLY" and window.windowTitle().endswith("[READ-ONLY]")
    assert not editor.actions_by_name["insert"].isEnabled() and not editor.actions_by_name["save"].isEnabled()
    assert editor.model.staged_count == 1  # kept, not saved
    assert stored(demo_copy_path, ENTITY, key)[FIELD] == old
    with qtbot.waitSignal(editor.model.save_failed, timeout=10_000) as failed:
        editor.save()
    assert "read-only" in failed.args[0]
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA query_only").scalar() == 1
    assert stored(demo_copy_path, ENTITY, key)[FIELD] == old


def test_read_only_also_stops_migrations_and_reverts_until_unlocked(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    """The migration runner's Upgrade/Downgrade, the search's Re-embed stale and the audit log's Revert are
    off on a read-only profile, saying why; after an unlock the audit panel works on the writable
    connection and Revert is back."""
    one_audited_edit(demo_copy_path)  # an entry to revert
    window = profile_window(qtbot, saved_profile(demo_copy_path, "read-only", "archive"))
    window.menus.migrations_action.trigger()
    runner = window.findChild(MigrationDialog)
    assert runner is not None
    qtbot.waitUntil(lambda: "up to date" in runner.header.text(), timeout=20_000)
    for button in (runner.upgrade_button, runner.downgrade_button):
        assert not button.isEnabled() and "profile 'archive'" in button.toolTip()
    runner.close()
    search = window.show_search()
    assert isinstance(search, SearchPanel)
    qtbot.waitUntil(lambda: bool(search.stale_bar.counts), timeout=20_000)
    reembed = search.stale_bar.reembed_button
    assert not reembed.isEnabled() and "profile 'archive'" in reembed.toolTip()
    panel = window.show_audit()
    assert isinstance(panel, AuditPanel)

    def select_first() -> None:
        qtbot.waitUntil(lambda: panel.entries.rowCount() > 0, timeout=10_000)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        panel.table.selectionModel().select(panel.entries.index(0, 0), flags)

    select_first()
    assert not panel.revert_button.isEnabled() and "read-only" in panel.revert_button.toolTip()
    unlock(qtbot, window, "Undo a bad edit", None)
    assert panel.db is window.open_db.database
    select_first()
    assert panel.revert_button.isEnabled() and panel.revert_button.toolTip() == ""
    assert window.level_badge.text() == "UNLOCKED (this session)" and not window.safety.timer.isActive()


def test_confirm_asks_before_a_graph_link_save_too(qtbot: QtBot, demo_copy_path: str) -> None:
    """A link drawn in the graph on a confirm profile: its save shows the INSERT first; Cancel writes
    nothing and keeps the link staged, Save writes it."""
    from gui.graph.panel import GraphPanel
    from tests.gui.test_graph_links import a_region_with_unlinked_locations, connections, two_locations_shown

    window = profile_window(qtbot, saved_profile(demo_copy_path, "confirm"))
    db = window.open_db.database
    assert db is not None
    panel = window.show_graph()
    assert isinstance(panel, GraphPanel)
    a, b = a_region_with_unlinked_locations(db)
    source, target = two_locations_shown(qtbot, panel, db)  # the same two
    panel.links.connect_nodes(source, target)
    form = panel.links.form
    assert form is not None
    form.set_value("direction", "west")
    form.set_value("connection_type", "road")
    form.ok.click()
    panel.links.save()
    dialog = confirm_dialog(qtbot, window)
    assert dialog.sql.toPlainText().startswith("INSERT INTO location_connections")
    dialog.reject()
    qtbot.waitUntil(lambda: window.save_gate.dialog is None, timeout=5_000)
    assert panel.links.staged_count == 1 and not panel.links.saving and connections(db, a, b) == []
    panel.links.save()
    with qtbot.waitSignal(panel.links_saved, timeout=20_000):
        confirm_dialog(qtbot, window).save_button.click()
    assert panel.links.staged_count == 0
    assert [r[:2] for r in connections(db, a, b)] == [("west", "road")]


def test_an_unlock_that_cannot_be_recorded_is_refused_in_the_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    """A database without an audit log cannot record an unlock: the dialog stays up and says so, and the
    connection stays read-only."""
    from tests.fixtures.foreign import build_foreign

    path = str(tmp_path / "guilds.db")
    build_foreign(path)
    before = fingerprint(path)
    window = profile_window(qtbot, saved_profile(path, "read-only", "guilds"))
    dialog = window.safety.ask_unlock()
    assert isinstance(dialog, UnlockDialog)
    dialog.reason.setPlainText("Try it")
    dialog.unlock_button.click()
    assert dialog.busy and not dialog.cancel_button.isEnabled()
    dialog.reject()  # Esc while it reopens: ignored
    qtbot.waitUntil(lambda: not dialog.problem.isHidden(), timeout=15_000)
    assert dialog.isVisible() and "audit log" in dialog.problem.text()
    assert dialog.unlock_button.isEnabled() and not dialog.busy
    db = window.open_db.database
    assert db is not None and db.capabilities.read_only and window.safety.elevation is None
    assert window.level_badge.text() == "READ-ONLY"
    # The dialog offers to create the log (ticked, visible); unticked, the unlock is refused again
    assert dialog.create_log.isVisible() and dialog.create_log.isChecked()
    dialog.reject()
    qtbot.waitUntil(lambda: window.safety.dialog is None, timeout=5_000)
    window.close()
    assert fingerprint(path) == before


def test_an_unlock_may_create_the_missing_audit_log(qtbot: QtBot, tmp_path: Path) -> None:
    """With "Create the audit log" ticked, the unlock adds the log to a database that had none, records the
    unlock in it, and the connection is writable."""
    from tests.fixtures.foreign import build_foreign

    path = str(tmp_path / "guilds.db")
    build_foreign(path)
    window = profile_window(qtbot, saved_profile(path, "read-only", "guilds"))
    dialog = window.safety.ask_unlock()
    assert isinstance(dialog, UnlockDialog)
    dialog.reason.setPlainText("Fix a guild name (ticket 9)")
    dialog.unlock_button.click()
    qtbot.waitUntil(lambda: dialog.create_log.isVisible(), timeout=15_000)
    with qtbot.waitSignal(window.safety.unlocked, timeout=15_000):
        dialog.unlock_button.click()
    db = window.open_db.database
    assert db is not None and not db.capabilities.read_only
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT action, reason FROM admin_audit_log").all()
    assert [tuple(r) for r in rows] == [("elevate", "Fix a guild name (ticket 9)")]
    window.close()


def test_unlock_and_relock_on_postgres(qtbot: QtBot, pg_server: object, pg_demo_template: str) -> None:
    """On PostgreSQL the unlock reopens a writable session (default_transaction_read_only off) and records
    the entry; Lock Editing Now reopens it read-only again."""
    url = new_pg_database(pg_server, template=pg_demo_template)
    target, password = parse_pasted_url(url)
    profile = Profile("shared", target.url(), "read-only", target.account)
    window = profile_window(qtbot, profile, target.url(password))
    editor = open_editor(qtbot, window, ENTITY)
    unlock(qtbot, window, "Support ticket 7", 60)
    db = window.open_db.database
    assert db is not None and editor.db is db
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "off"
        sql = "SELECT reason, profile FROM admin_audit_log WHERE action = 'elevate'"
        assert [tuple(r) for r in conn.exec_driver_sql(sql)] == [("Support ticket 7", "shared")]
    assert window.lock_action.isEnabled()
    with qtbot.waitSignal(window.safety.relocked, timeout=15_000):
        window.lock_action.trigger()
    relocked = window.open_db.database
    assert relocked is not None and relocked is not db and relocked.capabilities.read_only
    with relocked.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
    assert window.level_badge.text() == "READ-ONLY" and window.unlock_action.isEnabled()


def test_save_as_profile_keeps_the_open_file_as_a_profile(qtbot: QtBot, demo_copy_path: str) -> None:
    """File → Save as Profile… on a file opened with Open: a name is required; saved as confirm, the window
    takes its name and level at once (a writable session already), and File → Profiles lists it."""
    from gui.connection.profile_dialog import ProfileDialog
    from tests.fixtures.editing import open_window

    window = open_window(qtbot, demo_copy_path)
    assert window.level_badge.isHidden() and window.save_profile_action.isEnabled()
    dialog = window.ask_save_profile()
    assert isinstance(dialog, ProfileDialog)
    assert dialog.level.currentData() == "editor"  # the level it has now
    dialog.accept()
    assert dialog.isVisible() and "name" in dialog.problem.text()
    dialog.name.setText("world")
    dialog.level.setCurrentIndex(dialog.level.findData("confirm"))
    with qtbot.waitSignal(window.safety.changed, timeout=10_000):
        dialog.accept()
    assert core_profiles.find_profile("world") == Profile("world", demo_copy_path, "confirm")
    assert window.level_badge.text() == "CONFIRM" and window.windowTitle() == "world — Warden [CONFIRM]"
    window.connection_actions.fill_profiles_menu()
    assert [a.text() for a in window.connection_actions.profiles_menu.actions()] == ["world  [confirm]"]
