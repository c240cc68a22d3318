"""The PostgreSQL dialog, keyring (never settings) passwords and recent connections, on a real server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from core.engine.connections import PgTarget, pg_url
from gui import settings as saved
from gui.app import load_stylesheet
from gui.connection import profiles
from gui.connection.dialog import ConnectionDialog
from gui.main_window import MainWindow
from tests.fixtures.keyrings import MemoryKeyring, memory_keyring, no_keyring
from tests.fixtures.postgres import new_pg_database
from tests.fixtures.threads import statement_threads

SECRET = "s3cr3t-Pa55word"
SCREENSHOT = Path("/tmp/warden_connection_dialog.png")
SCREENSHOT_NO_KEYRING = Path("/tmp/warden_connection_dialog_no_keyring.png")
__all__ = ["memory_keyring", "no_keyring"]  # the fixtures, taken from the module that makes them


@pytest.fixture(autouse=True)
def _fresh_recent() -> Iterator[None]:
    profiles.clear_recent()
    yield
    profiles.clear_recent()


def _server_target(pg_server: object, *, vector: bool = True) -> tuple[PgTarget, str | None]:
    """A new database on the test server as dialog fields (pgserver listens on a Unix socket)."""
    u = sa.make_url(new_pg_database(pg_server, vector=vector))
    host = u.host or str(u.query["host"])
    return PgTarget(host, u.port or 5432, u.database or "", u.username or ""), u.password


def _fill(dialog: ConnectionDialog, target: PgTarget, password: str) -> None:
    dialog.host.setText(target.host)
    dialog.port.setValue(target.port)
    dialog.database.setText(target.database)
    dialog.user.setText(target.user)
    dialog.password.setText(password)


def _settings_text() -> str:
    """Every key and value of the settings, and the settings file itself."""
    store = saved.settings()
    store.sync()
    parts = [f"{k}={store.value(k)!r}" for k in store.allKeys()]
    if Path(store.fileName()).exists():
        parts.append(Path(store.fileName()).read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def test_defaults_are_sensible(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    """A fresh dialog points at localhost:5432 as postgres, hides the password, and renders readably."""
    dialog = ConnectionDialog()
    dialog.setStyleSheet(load_stylesheet())
    qtbot.addWidget(dialog)
    dialog.database.setText("warden")
    dialog.show()
    qtbot.waitExposed(dialog)
    assert (dialog.host.text(), dialog.port.value(), dialog.user.text()) == ("localhost", 5432, "postgres")
    assert dialog.password.echoMode() == dialog.password.EchoMode.Password
    qtbot.waitUntil(lambda: "Checking" not in dialog.keyring_note.text(), timeout=5_000)
    assert "keyring" in dialog.keyring_note.text() and "memory" not in dialog.keyring_note.text()
    dialog._show_result("✔ Connected: PostgreSQL 18.0, pgvector 0.8.0.", ok=True)
    assert dialog.grab().save(str(SCREENSHOT))


def test_test_button_succeeds_against_the_real_server(qtbot: QtBot, pg_server: object) -> None:
    """Test Connection runs on a worker and shows the server version and pgvector inline."""
    target, password = _server_target(pg_server)
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    _fill(dialog, target, password or "")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: "Connected:" in dialog.result_label.text(), timeout=10_000)
    text = dialog.result_label.text()
    assert "PostgreSQL" in text and "pgvector" in text and "no pgvector" not in text
    assert dialog.test_button.isEnabled()


def test_test_button_says_when_pgvector_is_missing(qtbot: QtBot, pg_server: object) -> None:
    """A database without the extension connects, and the dialog says there is no pgvector."""
    target, password = _server_target(pg_server, vector=False)
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    _fill(dialog, target, password or "")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: "Connected:" in dialog.result_label.text(), timeout=10_000)
    assert "no pgvector" in dialog.result_label.text()


def test_unreachable_server_shows_one_line_without_password(qtbot: QtBot) -> None:
    """127.0.0.1:1 fails inline, in one line, and the password is nowhere in it."""
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    _fill(dialog, PgTarget("127.0.0.1", 1, "nope", "ann"), SECRET)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.result_label.text().startswith("✘"), timeout=15_000)
    text = dialog.result_label.text()
    assert "127.0.0.1:1" in text and "\n" not in text and SECRET not in text
    assert dialog.result_label.isVisible() or not dialog.isVisible()


def test_bad_fields_are_reported_inline(qtbot: QtBot) -> None:
    """An empty database name is refused inline; the dialog stays open."""
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    dialog.database.setText("")
    dialog.accept()
    assert "database" in dialog.result_label.text().lower()
    assert dialog.result() != ConnectionDialog.DialogCode.Accepted


def test_password_goes_to_the_keyring_not_settings(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    """Connect stores the password under service Warden, user@host:port/db; settings never hold it."""
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    target = PgTarget("db.example.com", 5433, "game", "ann")
    _fill(dialog, target, SECRET)
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        dialog.accept()
    assert memory_keyring.passwords == {("Warden", "ann@db.example.com:5433/game"): SECRET}
    profiles.remember_connection(profiles.RecentConnection(target.url(), "postgresql", target.account))
    assert SECRET not in _settings_text()
    again = ConnectionDialog(target)  # the password comes back from the keyring
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.password.text() == SECRET, timeout=5_000)
    assert memory_keyring.threads and threading.main_thread().ident not in memory_keyring.threads


def test_a_typed_password_wins_over_a_late_keyring_answer(
    qtbot: QtBot, memory_keyring: MemoryKeyring
) -> None:
    """The keyring answers in the background: what the user typed meanwhile is kept."""
    target = PgTarget("db.example.com", 5433, "game", "ann")
    memory_keyring.set_password("Warden", target.account, SECRET)
    dialog = ConnectionDialog(target)
    qtbot.addWidget(dialog)
    dialog.password.setText("typed-by-hand")
    qtbot.waitUntil(lambda: len(memory_keyring.threads) >= 2, timeout=5_000)  # the fetch has run
    qtbot.wait(50)
    assert dialog.password.text() == "typed-by-hand"


def test_without_a_keyring_the_password_stays_in_memory(qtbot: QtBot, no_keyring: None) -> None:
    """With no keyring backend the dialog says so and the password lives only in this session."""
    dialog = ConnectionDialog()
    dialog.setStyleSheet(load_stylesheet())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: "Checking" not in dialog.keyring_note.text(), timeout=5_000)
    dialog._show_result(
        "✘ Cannot reach PostgreSQL at db.example.com:5432/game: is the server running?", ok=False
    )
    assert dialog.grab().save(str(SCREENSHOT_NO_KEYRING))
    assert "No system keyring" in dialog.keyring_note.text()
    assert "memory" in dialog.keyring_note.text()
    target = PgTarget("db.example.com", 5432, "game", "ann")
    _fill(dialog, target, SECRET)
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        dialog.accept()
    assert profiles.fetch_password(target.account) == SECRET
    assert SECRET not in _settings_text()
    profiles.forget_session_passwords()
    assert profiles.fetch_password(target.account) is None


def test_recent_connections_order_limit_and_no_password(qtbot: QtBot, tmp_path: Path) -> None:
    """Most recent first, each once, at most ten; PostgreSQL entries carry no password."""
    for i in range(12):
        profiles.remember_connection(profiles.RecentConnection(str(tmp_path / f"{i}.db"), "sqlite"))
    pg = PgTarget("h", 5432, "game", "ann")
    profiles.remember_connection(profiles.RecentConnection(pg.url(), "postgresql", pg.account))
    profiles.remember_connection(profiles.RecentConnection(str(tmp_path / "5.db"), "sqlite"))
    entries = profiles.recent_connections()
    assert len(entries) == profiles.MAX_RECENT
    assert [Path(e.target).name for e in entries[:1]] == ["5.db"]
    assert entries[1].kind == "postgresql" and entries[1].label == "ann@h:5432/game"
    assert [Path(e.target).name for e in entries[2:]] == [f"{i}.db" for i in (11, 10, 9, 8, 7, 6, 4, 3)]
    with pytest.raises(ValueError):
        profiles.remember_connection(profiles.RecentConnection("postgresql://ann:***@h/game", "postgresql"))


def test_window_connects_and_reconnects_from_recent(
    qtbot: QtBot, pg_server: object, memory_keyring: MemoryKeyring
) -> None:
    """Connect through the dialog, then reopen from Recent Connections with the keyring's password."""
    target, password = _server_target(pg_server)
    real_password = password or SECRET
    if not password:  # the test server trusts local users; give it a password to prove the path
        admin = sa.create_engine(pg_url(target.host, target.port, target.database, target.user))
        with admin.begin() as conn:
            conn.exec_driver_sql(f"ALTER USER {target.user} PASSWORD '{real_password}'")
        admin.dispose()
    with statement_threads(sa.Engine) as threads:
        window = MainWindow()
        qtbot.addWidget(window)
        dialog = window.connection_actions.ask_connection()
        _fill(dialog, target, real_password)
        with qtbot.waitSignal(window.counts_loaded, timeout=15_000):
            dialog.accept()
    assert threads and threading.main_thread().ident not in threads  # nothing ran on the GUI thread
    assert "guilds" not in window.entity_names() and window.entity_names() == []  # an empty database
    status = window.connection_label.text()
    assert status.startswith("postgresql") and real_password not in status
    assert "PostgreSQL" in window.backend_label.text() and "pgvector" in window.vector_label.text()
    assert window.windowTitle().startswith(f"{target.database} on ")
    entries = profiles.recent_connections()
    assert entries[0].kind == "postgresql" and entries[0].account == target.account
    assert real_password not in _settings_text()
    assert memory_keyring.passwords[("Warden", target.account)] == real_password
    window.connection_actions.fill_recent_menu()
    assert window.connection_actions.recent_menu.actions()[0].text() == target.account
    with qtbot.waitSignal(window.database_opened, timeout=15_000):
        window.connection_actions.open_recent(entries[0])
    qtbot.waitUntil(lambda: window.overview is not None, timeout=10_000)
    assert threading.main_thread().ident not in memory_keyring.threads  # the keyring too, off the GUI
    window.close()


def test_recent_without_a_stored_password_asks(qtbot: QtBot, no_keyring: None) -> None:
    """A recent PostgreSQL entry with no password anywhere opens the dialog, prefilled."""
    window = MainWindow()
    qtbot.addWidget(window)
    target = PgTarget("db.example.com", 5432, "game", "ann")
    window.connection_actions.open_recent(
        profiles.RecentConnection(target.url(), "postgresql", target.account)
    )
    qtbot.waitUntil(lambda: window.connection_actions.connection_dialog is not None, timeout=5_000)
    dialog = window.connection_actions.connection_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.target() == target and dialog.password.text() == ""
    dialog.reject()


def test_a_pasted_url_fills_every_field(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    """A pasted `postgres://user:pw@host/db?sslmode=…` fills every field; the URL field drops the password."""
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.url_field.setFocus()
    QApplication.clipboard().setText(f"postgres://ann:{SECRET}@db.example.com:6543/game?sslmode=require")
    dialog.url_field.paste()  # as Ctrl+V does: textEdited fires
    assert dialog.target() == PgTarget("db.example.com", 6543, "game", "ann", "require")
    assert dialog.sslmode.currentText() == "require" and dialog.password.text() == SECRET
    dialog.url_field.editingFinished.emit()  # focus leaves the field
    assert SECRET not in dialog.url_field.text()
    assert dialog.url_field.text() == "postgresql://ann@db.example.com:6543/game?sslmode=require"
    assert sa.make_url(dialog.url()).query["sslmode"] == "require"
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        dialog.accept()
    assert memory_keyring.passwords == {("Warden", "ann@db.example.com:6543/game"): SECRET}
    assert SECRET not in _settings_text()
    QApplication.clipboard().clear()


def test_a_url_pasted_into_host_fills_every_field(qtbot: QtBot) -> None:
    """A URL pasted where the host goes is taken apart too; junk in the URL field is reported inline."""
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    dialog.host.clear()
    dialog.host.insert("postgresql://bob@10.0.0.7/shop")  # insert() emits textEdited, as typing does
    assert dialog.target() == PgTarget("10.0.0.7", 5432, "shop", "bob")
    assert dialog.sslmode.currentData() == "" and "prefer" in dialog.sslmode.currentText()
    assert "Filled in" in dialog.result_label.text()
    dialog.url_field.setText("mysql://bob@h/shop")
    dialog.url_field.editingFinished.emit()
    assert "Not a PostgreSQL URL" in dialog.result_label.text()
    assert dialog.target() == PgTarget("10.0.0.7", 5432, "shop", "bob")


def test_ssl_mode_field_offers_libpq_modes_and_reaches_the_url(qtbot: QtBot) -> None:
    """The SSL-mode field lists libpq's six modes; the chosen one goes into the URL and comes back."""
    dialog = ConnectionDialog(PgTarget("h", 5432, "game", "ann", "verify-full"))
    qtbot.addWidget(dialog)
    modes = [dialog.sslmode.itemData(i) or "prefer" for i in range(dialog.sslmode.count())]
    assert modes == ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
    assert dialog.sslmode.currentText() == "verify-full"
    dialog.sslmode.setCurrentIndex(dialog.sslmode.findData("disable"))
    assert sa.make_url(dialog.url()).query["sslmode"] == "disable"
    assert dialog.target().account == "ann@h:5432/game"


def test_window_opens_a_postgres_url_with_its_ssl_mode(qtbot: QtBot, pg_server: object) -> None:
    """A `postgres://` URL opens in the window (it was "Unsupported database"); Recent keeps its SSL mode."""
    url = sa.make_url(new_pg_database(pg_server)).set(drivername="postgres")
    url = url.update_query_dict({"sslmode": "disable"})
    window = MainWindow()
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.database_opened, timeout=15_000) as blocker:
        window.open_target(url.render_as_string(hide_password=False))
    db = blocker.args[0]
    assert db.backend == "postgresql" and db.url.query["sslmode"] == "disable"
    entry = profiles.recent_connections()[0]
    assert entry.kind == "postgresql" and sa.make_url(entry.target).query["sslmode"] == "disable"
    qtbot.waitUntil(lambda: window.overview is not None, timeout=10_000)
    window.close()
