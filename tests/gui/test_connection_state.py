"""The connection's state is visible and recovery is automatic: the test PostgreSQL server stops and starts
again under an open window with staged edits (issue 15 §1)."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.data.repository import SaveResult
from core.engine.db import open_database
from core.schema.load import load_catalog
from gui.audit.consent import AuditChoice
from gui.editor.view import TableEditor
from gui.main_window import MainWindow
from gui.runtime.connection_state import ConnectionMonitor, State
from tests.fixtures import postgres
from tests.fixtures.editing import open_editor, open_window, shown_editor, stage
from tests.fixtures.postgres import StoppableServer, admin_url
from tests.fixtures.threads import statement_threads
from tests.fixtures.workers import crash_count

ROWS = 3000
QUICK = (0.2, 0.4, 0.8)  # the monitor's backoff in these tests: seconds, not half a minute

stoppable_pg = postgres.stoppable_pg  # the fixture: a server of the test's own


def _fill(server: StoppableServer) -> sa.URL:
    """Two tables on the server; the URL of its database."""
    url = admin_url(server)
    setup = sa.create_engine(url)
    with setup.begin() as conn:
        for table in ("items", "tags"):
            conn.exec_driver_sql(f"CREATE TABLE {table} (id serial PRIMARY KEY, name text NOT NULL)")
            conn.exec_driver_sql(
                f"INSERT INTO {table} (name) SELECT '{table} ' || n FROM generate_series(1, {ROWS}) n"
            )
    setup.dispose()
    return url


def _stored_name(url: sa.URL, table: str, key: int) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.exec_driver_sql(f"SELECT name FROM {table} WHERE id = {key}").scalar_one())
    finally:
        engine.dispose()


def _placeholders(editor: TableEditor, first: int, last: int) -> int:
    return sum(editor.model.row_key(r) is None for r in range(first, last + 1))


def test_a_stopped_server_is_shown_once_and_everything_resumes_when_it_is_back(
    qtbot: QtBot, stoppable_pg: StoppableServer, crash_log: Path
) -> None:
    url = _fill(stoppable_pg)
    window = open_window(qtbot, url.render_as_string(hide_password=False))
    monitor = window.open_db.connection
    monitor.backoff = QUICK
    state_label, banner = window.connection_state_label, window.unavailable_banner
    assert state_label.text() == "Connected" and banner.isHidden()
    items = open_editor(qtbot, window, "items")
    key = stage(items, 0, "name", "Renamed across a restart")
    stage(items, 1, "name", "Also renamed")

    with statement_threads(sa.Engine) as threads:
        stoppable_pg.stop()
        # Scrolling far down needs pages that cannot be read now: they stay placeholders, said once
        with qtbot.waitSignal(monitor.state_changed, timeout=10_000):
            items.view.scrollToBottom()
            items.model.request_rows(ROWS - 40, ROWS - 1)
        assert monitor.state in (State.UNAVAILABLE, State.RECONNECTING)
        assert _placeholders(items, ROWS - 40, ROWS - 1) == 40
        qtbot.waitUntil(lambda: state_label.text().startswith(("Unavailable since ", "Reconnecting")))
        assert not banner.isHidden()
        text = banner.label.text()
        assert text.startswith("The server is unavailable. Retrying "), text
        assert text.endswith("Your 2 staged edits are kept."), text
        assert items.message.isHidden()  # one banner: the editor does not say it a second time

        # A table opened now shows no endless "Loading…": its rows come once the server is back
        window.navigator.entity_activated.emit("tags")
        tags = window.tabs.currentWidget()
        assert isinstance(tags, TableEditor) and tags.entity.name == "tags"
        qtbot.waitUntil(lambda: not tags.model.loading_rows and not tags.model.counting, timeout=10_000)
        assert tags.model.row_key(0) is None and tags.message.isHidden()
        assert tags.overlay.text() == "The rows load when the server is back"

        # Saving is refused at once with the banner's words; nothing is sent and the edits stay
        window.tabs.setCurrentWidget(items)
        with qtbot.waitSignal(items.model.save_failed, timeout=2_000) as refused:
            items.save()
        assert not items.model.saving
        kept = "Your 2 staged edits are kept; save again once it is back."
        assert refused.args[0] == f"The server is unavailable. {kept}"
        assert items.message.text() == f"Not saved: {refused.args[0]}"
        assert items.staged_label.text() == "2 unsaved changes"

        # Retries back off, with a bound, while the server stays down
        qtbot.waitUntil(lambda: monitor.delay == QUICK[-1], timeout=10_000)

        stoppable_pg.start()
        with qtbot.waitSignal(monitor.recovered, timeout=10_000):
            pass
        assert state_label.text() == "Connected" and banner.isHidden()
        assert items.message.isHidden()  # the refused save's message went with the outage
        qtbot.waitUntil(lambda: _placeholders(items, ROWS - 40, ROWS - 1) == 0, timeout=10_000)
        qtbot.waitUntil(lambda: tags.model.row_key(0) is not None and tags.model.exact, timeout=10_000)
        assert tags.model.total == ROWS and tags.count_label.text() == f"{ROWS:,} rows"
        assert items.staged_label.text() == "2 unsaved changes"

        with qtbot.waitSignal(items.model.saved, timeout=10_000) as saved:
            items.save()
            window.audit_gate.answer(AuditChoice.AUDIT_OFF)  # no audit log: the window asks first
        assert isinstance(saved.args[0], SaveResult)
    assert _stored_name(url, "items", key["id"]) == "Renamed across a restart"
    assert threading.main_thread().ident not in threads  # the GUI thread never touched the database
    assert crash_count(crash_log) == 0


def test_retry_now_asks_at_once_and_the_navigator_counts_come_back(
    qtbot: QtBot, stoppable_pg: StoppableServer, crash_log: Path
) -> None:
    url = _fill(stoppable_pg)
    window: MainWindow = open_window(qtbot, url.render_as_string(hide_password=False))
    monitor = window.open_db.connection
    monitor.backoff = (60.0,)  # no try by itself during this test: only "Retry now"
    stoppable_pg.stop()
    with qtbot.waitSignal(monitor.state_changed, timeout=10_000):
        window._estimate_counts()  # the navigator's counts find the server gone
    qtbot.waitUntil(lambda: window._counts_failed, timeout=10_000)
    assert monitor.seconds_left() > 50 and "Retrying in" in window.unavailable_banner.label.text()
    stoppable_pg.start()
    with qtbot.waitSignal(window.counts_loaded, timeout=10_000), qtbot.waitSignal(monitor.recovered):
        qtbot.mouseClick(window.unavailable_banner.retry_button, Qt.MouseButton.LeftButton)
    assert monitor.connected and window.unavailable_banner.isHidden()
    assert crash_count(crash_log) == 0


def test_a_read_error_clears_when_a_later_read_succeeds(
    qtbot: QtBot, stoppable_pg: StoppableServer, crash_log: Path
) -> None:
    url = _fill(stoppable_pg)
    db = open_database(url.render_as_string(hide_password=False))
    try:
        editor = shown_editor(qtbot, db, load_catalog(db), "items")  # no window: its own message says it
        stoppable_pg.stop()
        with qtbot.waitSignal(editor.model.load_failed, timeout=10_000):
            editor.model.refresh()
        assert editor.message.text().startswith("Lost the connection to PostgreSQL at ")
        assert not editor.message.isHidden()
        stoppable_pg.start()
        with qtbot.waitSignal(editor.model.rows_loaded, timeout=10_000):
            editor.model.refresh()
        qtbot.waitUntil(editor.message.isHidden, timeout=5_000)  # no error above correct data
        assert editor.model.row_values(0)["name"] == f"items {1}"
        assert crash_count(crash_log) == 0
    finally:
        db.dispose()


def test_a_lost_connection_makes_the_monitor_unavailable_and_others_do_not(qtbot: QtBot) -> None:
    from core.errors import ConnectionLost, DatabaseBusy
    from gui.runtime import workers

    monitor = ConnectionMonitor(backoff=(30.0,))
    try:
        monitor.set_database(object())  # type: ignore[arg-type]  # never pinged: the backoff is long
        door = workers.current()

        def fail(exc: Exception) -> None:
            raise exc

        workers.run(fail, DatabaseBusy("locked"), on_error=lambda _f: None)
        door.wait_idle()
        assert monitor.connected
        with qtbot.waitSignal(monitor.state_changed):
            workers.run(fail, ConnectionLost("gone"))  # no on_error: the monitor hears it all the same
        door.wait_idle()
        assert monitor.state is State.UNAVAILABLE and monitor.since is not None
        assert monitor.status_text() == f"Unavailable since {monitor.since:%H:%M}"
        monitor.set_database(None)
        assert monitor.connected and monitor.status_text() == "Connected"
    finally:
        monitor.deleteLater()


def test_a_catalog_that_could_not_be_reloaded_is_reloaded_when_the_server_is_back(
    qtbot: QtBot, stoppable_pg: StoppableServer, crash_log: Path
) -> None:
    url = _fill(stoppable_pg)
    window = open_window(qtbot, url.render_as_string(hide_password=False))
    monitor = window.open_db.connection
    monitor.backoff = (60.0,)
    stoppable_pg.stop()
    with qtbot.waitSignal(window.open_db.catalog_failed, timeout=10_000):
        window.open_db.reload_catalog()  # a schema change was made: its catalog cannot be read now
    assert not monitor.connected
    assert window.statusBar().currentMessage() == ""  # the banner says it, not a second message
    stoppable_pg.start()
    with qtbot.waitSignal(window.open_db.catalog_changed, timeout=10_000) as reloaded:
        monitor.retry_now()
    assert not reloaded.args[0].first and "items" in reloaded.args[0].catalog.entities
    assert crash_count(crash_log) == 0


def test_a_save_that_finds_the_server_gone_keeps_the_edits_and_goes_through_once_it_is_back(
    qtbot: QtBot, stoppable_pg: StoppableServer, crash_log: Path
) -> None:
    url = _fill(stoppable_pg)
    window = open_window(qtbot, url.render_as_string(hide_password=False))
    monitor = window.open_db.connection
    monitor.backoff = QUICK
    items = open_editor(qtbot, window, "items")
    key = stage(items, 2, "name", "Saved after the outage")
    stoppable_pg.stop()
    with qtbot.waitSignal(items.model.save_failed, timeout=10_000) as failed:
        items.save()  # the first thing to find the server gone is this save
        window.audit_gate.answer(AuditChoice.AUDIT_OFF)  # no audit log: the window asks first
    assert failed.args[0].startswith("Lost the connection to PostgreSQL at "), failed.args[0]
    assert "UPDATE" not in failed.args[0] and "Saved after the outage" not in failed.args[0]
    assert not monitor.connected and not window.unavailable_banner.isHidden()
    assert "Your 1 staged edit is kept." in window.unavailable_banner.label.text()
    assert items.staged_label.text() == "1 unsaved change"
    stoppable_pg.start()
    qtbot.waitUntil(lambda: monitor.connected, timeout=10_000)
    assert items.message.isHidden()  # "Not saved: lost the connection" went with the outage
    with qtbot.waitSignal(items.model.saved, timeout=10_000):
        items.save()
    assert _stored_name(url, "items", key["id"]) == "Saved after the outage"
    assert crash_count(crash_log) == 0
