"""The main window on a real SQLite database: navigator, status bar, no database work on the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from core.db import Database, open_database
from gui import app as gui_app
from gui import workers
from gui.main_window import MainWindow

SCREENSHOT = Path("/tmp/warden_main.png")


def _status_texts(window: MainWindow) -> dict[str, str]:
    bar = window.statusBar()
    return {
        name: bar.findChild(QLabel, name).text()
        for name in ("connectionLabel", "backendLabel", "vectorLabel", "readOnlyBadge")
    }


def _wait_loaded(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.overview is not None and bool(window.entity_names()), timeout=10_000)


@pytest.fixture
def statement_threads() -> Iterator[list[int]]:
    """Thread idents of every statement any engine executes during the test."""
    idents: list[int] = []

    def record(*_args: Any) -> None:
        idents.append(threading.get_ident())

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    yield idents
    sa.event.remove(sa.Engine, "before_cursor_execute", record)


def test_navigator_and_status_bar_on_sqlite(qtbot: QtBot, sqlite_db: Database) -> None:
    """The navigator lists the tables by group; the status bar shows path, backend and sqlite-vec."""
    window = MainWindow(sqlite_db)
    qtbot.addWidget(window)
    window.show()
    _wait_loaded(qtbot, window)

    tree = window.navigator.tree
    groups = [tree.topLevelItem(i).text(0).split()[0] for i in range(tree.topLevelItemCount())]
    assert groups == ["World", "Players", "Operations"]
    names = window.entity_names()
    assert {"regions", "locations", "npcs", "players", "orders", "tool_executions"} <= set(names)

    texts = _status_texts(window)
    assert texts["connectionLabel"] == sqlite_db.display_url
    assert str(Path(sqlite_db.display_url).name) == "x.db"
    assert "sqlite" in texts["backendLabel"].lower()
    assert "sqlite-vec" in texts["vectorLabel"]
    assert not window.read_only_badge.isVisible()
    assert "x.db" in window.windowTitle()


def test_no_statement_runs_on_the_gui_thread(
    qtbot: QtBot, sqlite_db: Database, statement_threads: list[int]
) -> None:
    """Loading the window runs every database statement on a worker thread."""
    window = MainWindow(sqlite_db)
    qtbot.addWidget(window)
    window.show()
    _wait_loaded(qtbot, window)
    assert statement_threads, "the listener saw no statement at all"
    assert threading.main_thread().ident not in statement_threads


def test_open_file_runs_on_a_worker_and_window_owns_it(
    qtbot: QtBot, sqlite_db: Database, statement_threads: list[int]
) -> None:
    """Opening a file (the File menu's path) connects, reads and later disposes off the GUI thread."""
    path = sqlite_db.display_url
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.database_opened, timeout=10_000):
        window.open_target(path)
    _wait_loaded(qtbot, window)
    assert window.database is not None and window.database is not sqlite_db
    assert "sqlite-vec" in _status_texts(window)["vectorLabel"]
    window.close()
    assert workers.wait_idle(5000)
    assert threading.main_thread().ident not in statement_threads


def test_read_only_badge(qtbot: QtBot, sqlite_db: Database) -> None:
    """A read-only database shows the READ-ONLY badge."""
    sqlite_db.capabilities.read_only = True
    window = MainWindow(sqlite_db)
    qtbot.addWidget(window)
    window.show()
    _wait_loaded(qtbot, window)
    assert window.read_only_badge.isVisible()
    assert _status_texts(window)["readOnlyBadge"] == "READ-ONLY"


def test_open_read_only_file(qtbot: QtBot, sqlite_db: Database) -> None:
    """Opening a file read-only loads it on a worker and shows the READ-ONLY badge."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    outcomes: list[object] = []
    window.overview_loaded.connect(outcomes.append)
    window.load_failed.connect(outcomes.append)
    window.open_target(sqlite_db.display_url, read_only=True)
    qtbot.waitUntil(lambda: bool(outcomes), timeout=10_000)
    assert not window.welcome.error.isVisible(), window.welcome.error.text()
    assert window.read_only_badge.isVisible()
    assert _status_texts(window)["connectionLabel"] == sqlite_db.display_url
    window.close()


def test_open_missing_file_shows_the_error_inline(qtbot: QtBot, tmp_path: Path) -> None:
    """A WardenError while opening is shown on the welcome page, not as a crash."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    missing = tmp_path / "missing.db"
    with qtbot.waitSignal(window.load_failed, timeout=10_000) as blocker:
        window.open_target(str(missing))
    assert "No such database file" in blocker.args[0]
    assert window.welcome.error.isVisible()
    assert "missing.db" in window.welcome.error.text()
    assert window.entity_names() == []
    assert _status_texts(window)["connectionLabel"] == "No database"


def test_fallback_vector_search_shows_its_reason(qtbot: QtBot, sqlite_db: Database) -> None:
    """When vector search is the exact fallback, the status bar says so and the tooltip says why."""
    sqlite_db.capabilities.vector_search = "fallback"
    sqlite_db.capabilities.vector_reason = "sqlite-vec failed to load (test)"
    window = MainWindow(sqlite_db)
    qtbot.addWidget(window)
    _wait_loaded(qtbot, window)
    assert "fallback" in window.vector_label.text()
    assert window.vector_label.toolTip() == "sqlite-vec failed to load (test)"


def test_activating_an_entity_opens_one_tab(qtbot: QtBot, sqlite_db: Database) -> None:
    """Activating a navigator entry opens its tab once and announces it."""
    window = MainWindow(sqlite_db)
    qtbot.addWidget(window)
    _wait_loaded(qtbot, window)
    group = window.navigator.tree.topLevelItem(0)
    item = group.child(0)
    name = item.data(0, Qt.ItemDataRole.UserRole)
    for _ in range(2):
        with qtbot.waitSignal(window.entity_activated, timeout=1000) as blocker:
            window.navigator.tree.itemActivated.emit(item, 0)
        assert blocker.args == [name]
    assert window.tabs.count() == 2
    assert window.tabs.tabText(window.tabs.currentIndex()) == name


def test_navigator_filter_hides_other_tables(qtbot: QtBot, sqlite_db: Database) -> None:
    """Typing in the filter hides tables (and whole groups) that do not match."""
    window = MainWindow(sqlite_db)
    qtbot.addWidget(window)
    _wait_loaded(qtbot, window)
    qtbot.keyClicks(window.navigator.filter_box, "npc")
    visible = []
    for i in range(window.navigator.tree.topLevelItemCount()):
        group = window.navigator.tree.topLevelItem(i)
        visible += [
            group.child(j).text(0) for j in range(group.childCount()) if not group.child(j).isHidden()
        ]
    assert visible and all("npc" in v for v in visible)


def test_crash_handler_writes_the_log(tmp_path: Path) -> None:
    """A bug's traceback lands in the log file (the dialog is off here: it would block the test)."""
    log_path = tmp_path / "logs" / "warden.log"
    handler = gui_app.CrashHandler(log_path, show_dialog=False)
    try:
        raise RuntimeError("kaput")
    except RuntimeError as exc:
        handler(type(exc), exc, exc.__traceback__)
    text = log_path.read_text(encoding="utf-8")
    assert "RuntimeError: kaput" in text and "Traceback" in text


def test_screenshot(qtbot: QtBot, qapp: QApplication, sqlite_db: Database) -> None:
    """Render the loaded window with the app style offscreen, for a human to look at."""
    window = MainWindow(sqlite_db)
    window.setStyleSheet(gui_app.load_stylesheet())
    window.resize(1200, 800)
    qtbot.addWidget(window)
    window.show()
    _wait_loaded(qtbot, window)
    qtbot.waitExposed(window)
    qapp.processEvents()  # let posted layout requests settle, as the event loop would before painting
    assert window.grab().save(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000
    assert not gui_app.app_icon().isNull()


def test_open_database_in_tests_is_real(tmp_path: Path) -> None:
    """Sanity: the fixture's database is a real SQLite file with sqlite-vec (not a stand-in)."""
    db = open_database(tmp_path / "y.db", create=True)
    try:
        assert db.capabilities.vector_search == "sqlite-vec"
    finally:
        db.dispose()
