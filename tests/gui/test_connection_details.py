"""Connection details a person reads: the real host in messages, socket folders as paths, the vector state
only where there are vectors, and the focus on the password when a recent connection asks for it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from core.engine.connections import PgTarget
from core.engine.db import Database, open_database
from gui.connection import profiles
from gui.connection.dialog import ConnectionDialog
from gui.main_window import MainWindow
from tests.fixtures.keyrings import no_keyring
from tests.fixtures.pg_password import password_role
from tests.fixtures.postgres import new_pg_database

SCREENSHOT = Path("/tmp/warden_connection_details.png")
__all__ = ["no_keyring"]  # the fixture, taken from the module that makes it

pytestmark = pytest.mark.usefixtures("no_saved_tabs")


@pytest.fixture(autouse=True)
def _fresh_recent() -> Iterator[None]:
    profiles.clear_recent()
    yield
    profiles.clear_recent()


@pytest.fixture
def plain_db(tmp_path: Path) -> Iterator[Database]:
    """A SQLite file another program made: one plain table, no vector column."""
    path = tmp_path / "notes.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        conn.execute("INSERT INTO notes (body) VALUES ('first')")
    conn.close()
    db = open_database(path)
    yield db
    db.dispose()


def _shown_window(qtbot: QtBot, db: Database) -> MainWindow:
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.overview is not None and bool(window.entity_names()), timeout=10_000)
    return window


def _welcome_rows(window: MainWindow) -> dict[str, str]:
    """The welcome card's rows as {label: value}."""
    form = window.welcome.form
    rows = {}
    for row in range(form.rowCount()):
        items = (form.itemAt(row, role) for role in (form.ItemRole.LabelRole, form.ItemRole.FieldRole))
        label, value = (item.widget() if item is not None else None for item in items)
        assert isinstance(label, QLabel) and isinstance(value, QLabel)
        rows[label.text().rstrip(":")] = value.text()
    return rows


# --- the vector state --------------------------------------------------------------------------------


def test_no_fallback_warning_on_a_database_without_vectors(qtbot: QtBot, plain_db: Database) -> None:
    """The exact fallback is not announced (nor orange) where no table has a vector column."""
    plain_db.capabilities.vector_search = "fallback"
    plain_db.capabilities.vector_reason = "sqlite-vec failed to load (test)"
    window = _shown_window(qtbot, plain_db)
    label = window.vector_label
    assert not label.isVisible() and "fallback" not in label.text()
    assert label.property("fallback") is False
    vectors = _welcome_rows(window)["Vector search"]
    assert "fallback" not in vectors and "no table here has a vector column" in vectors
    window.grab().save(str(SCREENSHOT))


def test_the_fallback_shows_where_there_are_vectors(qtbot: QtBot, sqlite_db: Database) -> None:
    """The reference schema has embedding columns: the fallback is shown, orange, with its reason."""
    sqlite_db.capabilities.vector_search = "fallback"
    sqlite_db.capabilities.vector_reason = "sqlite-vec failed to load (test)"
    window = _shown_window(qtbot, sqlite_db)
    label = window.vector_label
    assert label.isVisible() and label.text() == "Vectors: exact fallback (slower)"
    assert label.property("fallback") is True
    assert "exact fallback" in _welcome_rows(window)["Vector search"]


def test_native_vector_search_is_named(qtbot: QtBot, sqlite_db: Database, plain_db: Database) -> None:
    """Where sqlite-vec loads, the label names it, in the plain colour, with vectors or without."""
    for db in (sqlite_db, plain_db):
        assert db.capabilities.vector_search == "sqlite-vec"
        window = _shown_window(qtbot, db)
        label = window.vector_label
        assert label.isVisible() and label.text().startswith("Vectors: sqlite-vec")
        assert label.property("fallback") is False
        window.close()


# --- PostgreSQL on a Unix socket ---------------------------------------------------------------------


def test_a_socket_connection_shows_its_folder_as_a_path(qtbot: QtBot, pg_server: object) -> None:
    """Status bar, welcome page and recent list show `host=/tmp/…`, not `%2Ftmp%2F…`."""
    url = new_pg_database(pg_server)
    folder = sa.make_url(url).query["host"]
    assert isinstance(folder, str) and folder.startswith("/")
    window = MainWindow()
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.overview_loaded, timeout=15_000):
        window.open_target(url)
    shown = window.connection_label.text()
    assert f"host={folder}" in shown and "%2F" not in shown
    assert window.connection_label.toolTip() == shown
    assert _welcome_rows(window)["Database"] == shown
    assert window.windowTitle().startswith(f"{sa.make_url(url).database} on {folder}")
    window.connection_actions.fill_recent_menu()
    recent = window.connection_actions.recent_menu.actions()[0]
    assert f"host={folder}" in recent.toolTip() and "%2F" not in recent.toolTip()
    window.close()


def test_a_socket_url_in_the_url_field_reads_as_a_path(qtbot: QtBot) -> None:
    """A pasted URL with a socket folder is shown back (without its password) with the folder as typed."""
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    dialog.url_field.setText("postgres://ann:secret@/game?host=%2Frun%2Fpostgresql")
    dialog.url_field.textEdited.emit(dialog.url_field.text())
    dialog.url_field.editingFinished.emit()
    assert dialog.target() == PgTarget("/run/postgresql", 5432, "game", "ann")
    assert dialog.url_field.text() == "postgresql://ann@:5432/game?host=/run/postgresql"
    assert dialog.password.text() == "secret"


def test_a_wrong_password_names_the_socket_folder(qtbot: QtBot, pg_server: object) -> None:
    """Test Connection with a wrong password says which server refused it: its socket folder."""
    url = new_pg_database(pg_server, vector=False)
    folder = str(sa.make_url(url).query["host"])
    window = MainWindow()
    qtbot.addWidget(window)
    with password_role(pg_server, url) as role:
        dialog = window.connection_actions.ask_connection(
            PgTarget(folder, role.url.port or 5432, role.url.database or "", role.name)
        )
        dialog.password.setText("not-the-Pa55word")
        dialog.test_button.click()
        qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=15_000)
    text = dialog.result_label.text()
    assert text.startswith(f"✘ PostgreSQL at {folder}:5432/{role.url.database} refused user '{role.name}'")
    assert "localhost" not in text and "not-the-Pa55word" not in text
    dialog.reject()


def test_reopening_a_recent_connection_focuses_the_password(qtbot: QtBot, no_keyring: None) -> None:
    """A recent PostgreSQL connection without a known password opens the dialog filled in, the cursor in
    the password field: the one thing left to type."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    target = PgTarget("/run/postgresql", 5432, "game", "ann")
    window.connection_actions.open_recent(
        profiles.RecentConnection(target.url(), "postgresql", target.account)
    )
    qtbot.waitUntil(lambda: window.connection_actions.connection_dialog is not None, timeout=5_000)
    dialog = window.connection_actions.connection_dialog
    assert dialog is not None and dialog.target() == target
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.password, timeout=5_000)
    dialog.reject()
