"""The main window on a real SQLite database: navigator, status bar, no database work on the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from core.data.overview import RowCount
from core.engine.db import Database
from gui import app as gui_app
from gui import settings as saved
from gui.connection import profiles
from gui.main_window import MainWindow
from gui.navigator import ESTIMATE_COLOUR, EXACT_COLOUR
from gui.runtime import workers
from tests.fixtures import threads
from tests.fixtures.editing import open_window
from tests.fixtures.foreign import build_foreign

SCREENSHOT = Path("/tmp/warden_main.png")


def _status_texts(window: MainWindow) -> dict[str, str]:
    bar = window.statusBar()
    return {
        name: bar.findChild(QLabel, name).text()
        for name in ("connectionLabel", "backendLabel", "vectorLabel", "levelBadge")
    }


def _wait_loaded(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.overview is not None and bool(window.entity_names()), timeout=10_000)


pytestmark = pytest.mark.usefixtures("no_saved_tabs")


@pytest.fixture
def statement_threads() -> Iterator[list[int]]:
    """Thread idents of every statement any engine executes during the test."""
    with threads.statement_threads(sa.Engine) as idents:
        yield idents


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
    assert _status_texts(window)["levelBadge"] == "READ-ONLY"


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


def test_a_failed_open_keeps_the_open_databases_counts(qtbot: QtBot, tmp_path: Path) -> None:
    """Another file that fails to open leaves the open database as it was: counts, exact ones, summary."""
    path = tmp_path / "foreign.db"
    build_foreign(str(path))
    window = open_window(qtbot, str(path))
    nav = window.navigator
    guilds = nav.item("guilds")
    assert guilds is not None
    nav.tree.setCurrentItem(guilds)
    qtbot.waitUntil(lambda: nav.has_exact_count("guilds"), timeout=10_000)
    shown = nav.tree.findItems("*", Qt.MatchFlag.MatchWildcard | Qt.MatchFlag.MatchRecursive)
    counts = {item.text(0): item.text(1) for item in shown}
    summary = window.welcome.summary()
    assert "…" not in counts.values() and "rows" in summary
    with qtbot.waitSignal(window.load_failed, timeout=10_000):
        window.open_target(str(tmp_path / "missing.db"))
    shown = nav.tree.findItems("*", Qt.MatchFlag.MatchWildcard | Qt.MatchFlag.MatchRecursive)
    assert {item.text(0): item.text(1) for item in shown} == counts
    assert nav.has_exact_count("guilds")
    assert window.welcome.summary() == summary
    assert window.connection_label.text() == str(path)


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
    assert 'raise RuntimeError("kaput")' in text and "Traceback" in text
    assert "RuntimeError: (message withheld" in text  # a message may quote row values (issue 15 §3)


def test_screenshot(qtbot: QtBot, qapp: QApplication, demo_copy_path: str) -> None:
    """Render the window on the demo database (navigator with counts) offscreen, for a human to look at."""
    for key in ("main_window/geometry", "main_window/state"):
        saved.settings().remove(key)  # show the first-run layout, not what earlier tests left
    window = MainWindow()
    window.setStyleSheet(gui_app.load_stylesheet())
    window.resize(1200, 800)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.counts_loaded, timeout=15_000) as blocker:
        window.open_target(demo_copy_path)
    counts = dict(blocker.args[0])
    counts["tool_executions"] = RowCount(1_000_000, exact=False)  # how a big table's estimate looks
    assert window.overview is not None
    window.navigator.show_overview(window.overview)
    window.navigator.set_counts(counts)
    qtbot.waitExposed(window)
    qapp.processEvents()  # let posted layout requests settle, as the event loop would before painting
    assert window.grab().save(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000
    assert not gui_app.app_icon().isNull()


def test_demo_database_groups_and_counts(qtbot: QtBot, demo_copy_path: str) -> None:
    """The demo database lists World, Players and Operations, each entity with its row count."""
    window = open_window(qtbot, demo_copy_path)
    tree = window.navigator.tree
    groups = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert groups == ["World", "Players", "Operations"]
    item = window.navigator.item("tool_executions")
    assert item is not None and item.text(1) == "10,000"  # small tables are counted exactly
    assert window.navigator.item("regions").text(1) == "16"
    assert all(window.navigator.item(n).text(1) not in ("…", "?") for n in window.entity_names())
    assert window.catalog is not None and "tool_executions" in window.catalog.entities


def test_estimates_are_grey_until_the_exact_count_arrives(qtbot: QtBot, demo_copy_path: str) -> None:
    """An estimate shows '~' in grey; selecting the entity fetches the exact count in the background."""
    window = open_window(qtbot, demo_copy_path)
    nav = window.navigator
    assert window.overview is not None
    nav.show_overview(window.overview)  # as if the tables were big: only estimates known so far
    nav.set_counts({"orders": RowCount(2_345_678, exact=False), "users": RowCount(12_345, exact=False)})
    orders = nav.item("orders")
    assert orders.text(1) == "~2.3M" and nav.item("users").text(1) == "~12,345"
    assert orders.foreground(1).color() == ESTIMATE_COLOUR and "estimate" in orders.toolTip(1)
    nav.tree.setCurrentItem(orders)
    qtbot.waitUntil(lambda: nav.has_exact_count("orders"), timeout=10_000)
    assert orders.text(1) == "2,000" and orders.foreground(1).color() == EXACT_COLOUR
    nav.set_counts({"orders": RowCount(5, exact=False)})  # a late estimate never replaces the exact count
    assert orders.text(1) == "2,000"


def test_filter_box_jumps_and_enter_opens(qtbot: QtBot, demo_copy_path: str) -> None:
    """Typing selects the best match; Down moves through matches; Enter opens a tab for it."""
    window = open_window(qtbot, demo_copy_path)
    nav = window.navigator
    qtbot.keyClicks(nav.filter_box, "exec")
    assert nav.visible_entity_names() == ["agent_executions", "tool_executions"]
    assert nav.current_entity() == "agent_executions"
    qtbot.keyClick(nav.filter_box, Qt.Key.Key_Down)
    assert nav.current_entity() == "tool_executions"
    nav.filter_box.clear()
    qtbot.keyClicks(nav.filter_box, "npc")
    assert nav.current_entity() == "npcs"  # the shortest prefix match wins
    with qtbot.waitSignal(window.entity_activated, timeout=2000) as blocker:
        qtbot.keyClick(nav.filter_box, Qt.Key.Key_Return)
    assert blocker.args == ["npcs"]
    assert window.tabs.tabText(window.tabs.currentIndex()) == "npcs"
    qtbot.keyClick(nav.filter_box, Qt.Key.Key_Escape)
    assert nav.filter_box.text() == "" and len(nav.visible_entity_names()) == len(window.entity_names())


def test_read_only_table_is_marked_with_its_reason(qtbot: QtBot, tmp_path: Path) -> None:
    """A reflected view is under Other, marked read-only, the reason in its tooltip; a table without a primary
    key is keyed by its rowid on SQLite, so it is not."""
    path = tmp_path / "foreign.db"
    build_foreign(str(path))
    window = open_window(qtbot, str(path))
    tree = window.navigator.tree
    assert [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())] == ["Other"]
    gold = window.navigator.item("gold_guilds")
    assert gold is not None and gold.text(0) == "gold_guilds  (read-only)"
    assert "view" in gold.toolTip(0)
    assert window.navigator.item("guilds").text(0) == "guilds"
    assert window.navigator.item("audit_log").text(0) == "audit_log"


def test_junk_file_shows_a_message_and_the_app_keeps_running(
    qtbot: QtBot, tmp_path: Path, demo_copy_path: str
) -> None:
    """A file that is not SQLite is refused with a clear message; opening a real one afterwards works."""
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"this is not a database\n" * 100)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.load_failed, timeout=10_000) as blocker:
        window.open_target(str(junk))
    assert "is not a SQLite database" in blocker.args[0]
    assert window.welcome.error.isVisible() and "notes.db" in window.welcome.error.text()
    assert window.tabs.currentWidget() is window.welcome
    assert all(e.target != str(junk) for e in profiles.recent_connections())
    with qtbot.waitSignal(window.counts_loaded, timeout=15_000):
        window.open_target(demo_copy_path)
    assert "regions" in window.entity_names()
    assert profiles.recent_connections()[0].target == demo_copy_path


def test_no_statement_on_the_gui_thread_while_browsing(
    qtbot: QtBot, demo_copy_path: str, statement_threads: list[int]
) -> None:
    """Opening, counting, exact counts on selection and opening a tab all query on workers."""
    window = open_window(qtbot, demo_copy_path)
    assert window.overview is not None
    window.navigator.show_overview(window.overview)
    window.navigator.tree.setCurrentItem(window.navigator.item("npcs"))
    qtbot.waitUntil(lambda: window.navigator.has_exact_count("npcs"), timeout=10_000)
    window.navigator.entity_activated.emit("npcs")
    assert workers.wait_idle(10_000)
    assert statement_threads and threading.main_thread().ident not in statement_threads


def test_open_tabs_are_restored_per_database(qtbot: QtBot, demo_copy_path: str) -> None:
    """The tabs open when a database was left come back when it is opened again."""
    window = open_window(qtbot, demo_copy_path)
    for name in ("npcs", "regions"):
        window.navigator.entity_activated.emit(name)
    assert window.open_entity_names() == ["npcs", "regions"]
    window.close()
    assert saved.open_tabs(demo_copy_path) == ["npcs", "regions"]
    again = open_window(qtbot, demo_copy_path)
    assert again.open_entity_names() == ["npcs", "regions"]


def test_geometry_is_remembered(qtbot: QtBot) -> None:
    """Closing the window saves its size; the next window comes back at that size."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(700, 480)  # the offscreen screen is 800x600; restoreGeometry keeps windows on it
    window.show()
    assert window.height() == 480
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.height() == 480  # (the width is clamped to the tiny offscreen screen on restore)


def test_column_width_helpers_round_trip() -> None:
    """column_widths / set_column_widths keep widths per entity and ignore junk."""
    saved.set_column_widths("npcs", {"name": 180, "bio": 320})
    saved.set_column_widths("regions", {"name": 90})
    assert saved.column_widths("npcs") == {"name": 180, "bio": 320}
    assert saved.column_widths("regions") == {"name": 90}
    assert saved.column_widths("unknown") == {}


def test_new_demo_database_builds_with_progress_and_opens(qtbot: QtBot, tmp_path: Path) -> None:
    """New Demo Database builds on a worker behind a progress dialog, then the window opens it."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    target = tmp_path / "fresh-demo.db"
    builder = window.connection_actions.demo_builder
    tables: list[str] = []
    builder._relay.advanced.connect(lambda table, _done, _total: tables.append(table))
    with qtbot.waitSignal(window.counts_loaded, timeout=30_000):
        builder.build(str(target))
        assert builder.progress is not None and builder.progress.isVisible()
    assert builder.progress is None and "tool_executions" in tables
    assert window.connection_label.text() == str(target)
    assert window.navigator.item("tool_executions").text(1) == "10,000"
    with qtbot.waitSignal(window.connection_actions.failed, timeout=2000) as blocker:
        builder.build(str(target))  # it exists now: refused, nothing overwritten
    assert "already exists" in blocker.args[0] and "already exists" in window.welcome.error.text()


def test_tab_holds_the_table_editor_when_it_is_installed(qtbot: QtBot, demo_copy_path: str) -> None:
    """With gui.editor.view importable the tab is a TableEditor; until then a placeholder."""
    window = open_window(qtbot, demo_copy_path)
    window.navigator.entity_activated.emit("regions")
    page = window.tabs.currentWidget()
    try:
        from gui.editor.view import TableEditor
    except ImportError:
        assert page.objectName() == "entityPlaceholder"
    else:
        assert isinstance(page, TableEditor)
    window.navigator.entity_activated.emit("regions")
    assert window.tabs.count() == 2 and window.open_entity_names() == ["regions"]
    window.close()
