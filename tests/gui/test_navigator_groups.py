"""The navigator on databases Warden did not create: PostgreSQL's schemas as groups, views and virtual tables
apart from tables, partitions under their table, a materialized view's Refresh on a worker, and the FK picker
across schemas."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from core.engine.db import open_database
from core.schema.load import load_catalog
from gui.editor.delegates.fk_picker import ForeignKeyPicker
from gui.editor.view import TableEditor
from gui.main_window import MainWindow
from gui.navigator import REFRESH_TEXT, Navigator
from gui.runtime import workers
from gui.view_refresh import TOOLBAR_TEXT
from tests.fixtures.editing import let_close, open_window
from tests.fixtures.pg_schemas import pg_schemas_database
from tests.fixtures.postgres import new_pg_database

pytestmark = pytest.mark.usefixtures("no_saved_tabs")
SCREENSHOT = Path("/tmp/navigator_schemas.png")  # docs/screenshots/navigator_schemas.png is a copy


@pytest.fixture
def pg_url(pg_server: object) -> str:
    """A fresh copy of the two-schema PostgreSQL database (tests/fixtures/pg_schemas.py)."""
    return pg_schemas_database(pg_server)


@contextmanager
def statements(engine: sa.Engine) -> Iterator[list[tuple[int, str]]]:
    """(thread id, SQL) of every statement `engine` runs meanwhile."""
    seen: list[tuple[int, str]] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append((threading.get_ident(), statement))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _children(item: QTreeWidgetItem) -> list[str]:
    return [item.child(j).text(0) for j in range(item.childCount())]  # type: ignore[union-attr]


def _tops(nav: Navigator) -> list[QTreeWidgetItem]:
    return [nav.tree.topLevelItem(i) for i in range(nav.tree.topLevelItemCount())]  # type: ignore[misc]


def test_schemas_are_the_groups_with_views_apart(qtbot: QtBot, pg_url: str) -> None:
    """public (on the search path) comes first, then game; each lists its tables, then its views."""
    window = open_window(qtbot, pg_url)
    nav = window.navigator
    public, game = _tops(nav)
    assert [public.text(0), game.text(0)] == ["public", "game"]
    assert _children(public) == ["events", "items", "settings", "Views"]
    assert _children(public.child(3)) == ["zone_item_counts  (read-only)"]  # type: ignore[arg-type]
    assert _children(game) == ["settings", "zones", "Views"]
    assert _children(game.child(2)) == ["zone_names  (read-only)"]  # type: ignore[arg-type]
    zones = nav.item("game.zones")
    assert zones is not None and zones.text(0) == "zones" and zones.toolTip(0) == "game.zones"
    assert public.text(1) == "4" and game.text(1) == "3"  # entities under each group
    assert public.toolTip(1) == "3 tables, 1 view" and public.child(3).toolTip(1) == "1 view"  # type: ignore[union-attr]
    assert "Refresh" in nav.item("zone_item_counts").toolTip(0)  # type: ignore[union-attr]
    qtbot.keyClicks(nav.filter_box, "zone")
    assert nav.visible_entity_names() == ["zone_item_counts", "game.zones", "game.zone_names"]
    assert not public.isHidden() and not public.child(3).isHidden()  # type: ignore[union-attr]
    assert public.child(0).isHidden()  # type: ignore[union-attr]
    nav.filter_box.clear()
    nav.select_entity(None)
    window.resize(900, 520)
    dock = window.findChild(QDockWidget, "navigatorDock")
    assert dock is not None
    window.resizeDocks([dock], [340], Qt.Orientation.Horizontal)
    nav.item("events").setExpanded(True)  # type: ignore[union-attr]
    qtbot.wait(50)
    assert window.grab().save(str(SCREENSHOT))


def test_partitions_are_listed_under_their_table_and_never_opened(qtbot: QtBot, pg_url: str) -> None:
    """events lists its two partitions; they are no entities, and activating one opens nothing."""
    window = open_window(qtbot, pg_url)
    nav = window.navigator
    events = nav.item("events")
    parts = nav.partition_items("events")
    assert [p.text(0) for p in parts] == ["events_2025", "events_2026"]
    assert all(p.parent() is events for p in parts)
    assert not any(n.startswith("events_") for n in nav.entity_names())
    assert not parts[0].flags() & Qt.ItemFlag.ItemIsSelectable
    assert "through events" in parts[0].toolTip(0)
    opened: list[str] = []
    nav.entity_activated.connect(opened.append)
    nav.tree.itemActivated.emit(parts[0], 0)
    assert opened == []
    assert events is not None and events.text(1) == "2"  # counted through the table
    qtbot.keyClicks(nav.filter_box, "events_2026")  # a partition's name finds its table
    assert nav.visible_entity_names() == ["events"] and nav.current_entity() == "events"


def test_sqlite_views_and_virtual_tables_sit_apart(qtbot: QtBot, tmp_path: Path) -> None:
    """On SQLite (one schema) the group keeps its tables, then Views, then Virtual tables."""
    path = tmp_path / "theirs.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
        "CREATE VIEW long_notes AS SELECT * FROM notes WHERE length(body) > 10;"
        "CREATE VIRTUAL TABLE notes_fts USING fts5(body);"
    )
    conn.close()
    window = open_window(qtbot, str(path))
    (other,) = _tops(window.navigator)
    assert other.text(0) == "Other"
    assert _children(other) == ["notes", "Views", "Virtual tables"]
    assert _children(other.child(1)) == ["long_notes  (read-only)"]  # type: ignore[arg-type]
    assert _children(other.child(2)) == ["notes_fts  (read-only)"]  # type: ignore[arg-type]


def _marsh_items(editor: TableEditor) -> Any:
    rows = [editor.model.row_values(r) for r in range(editor.model.rowCount())]
    return next((r["items"] for r in rows if r.get("name") == "Marsh"), None)


def test_refresh_runs_on_a_worker_and_reloads_the_open_view(qtbot: QtBot, pg_url: str) -> None:
    """Refresh from the navigator's menu: REFRESH runs off the GUI thread, the open editor shows new rows."""
    window = open_window(qtbot, pg_url)
    nav = window.navigator
    window.navigator.entity_activated.emit("zone_item_counts")
    editor = window.tabs.currentWidget()
    assert isinstance(editor, TableEditor)
    qtbot.waitUntil(lambda: _marsh_items(editor) == 0, timeout=10_000)
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:  # another program adds a row: the view shows it only once refreshed
        conn.exec_driver_sql("INSERT INTO public.items VALUES (4, 'Net', 3)")
    engine.dispose()
    menu = nav.context_menu(nav.item("zone_item_counts"))
    assert menu is not None
    (refresh,) = [a for a in menu.actions() if a.text() == REFRESH_TEXT]
    assert window.database is not None
    with statements(window.database.engine) as seen:
        with qtbot.waitSignal(window.view_refresher.refreshed, timeout=10_000) as done:
            refresh.trigger()
            assert nav.is_refreshing("zone_item_counts")
            assert nav.item("zone_item_counts").text(1) == "refreshing…"  # type: ignore[union-attr]
        assert done.args == ["zone_item_counts"]
        qtbot.waitUntil(lambda: _marsh_items(editor) == 1, timeout=10_000)  # the open editor reloaded
    refreshes = [ident for ident, sql in seen if sql.startswith("REFRESH MATERIALIZED VIEW")]
    assert refreshes and threading.get_ident() not in [ident for ident, _ in seen]
    assert not nav.is_refreshing("zone_item_counts") and nav.item("zone_item_counts").text(1) == "3"  # type: ignore[union-attr]
    table_menu = nav.context_menu(nav.item("items"))
    assert table_menu is not None and REFRESH_TEXT not in [a.text() for a in table_menu.actions()]


def test_the_view_editor_has_a_refresh_button(qtbot: QtBot, pg_url: str) -> None:
    """A materialized view's tab has Refresh View (a table's has none): it waits while the refresh runs, and
    the tab shows the new rows after."""
    window = open_window(qtbot, pg_url)
    window.navigator.entity_activated.emit("items")
    items = window.tabs.currentWidget()
    assert isinstance(items, TableEditor)
    assert TOOLBAR_TEXT not in [a.text() for a in items.toolbar.actions()]
    window.navigator.entity_activated.emit("zone_item_counts")
    editor = window.tabs.currentWidget()
    assert isinstance(editor, TableEditor)
    qtbot.waitUntil(lambda: _marsh_items(editor) == 0, timeout=10_000)
    (button,) = [a for a in editor.toolbar.actions() if a.text() == TOOLBAR_TEXT]
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO public.items VALUES (4, 'Net', 3), (5, 'Oar', 3)")
    engine.dispose()
    with qtbot.waitSignal(window.view_refresher.refreshed, timeout=10_000):
        button.trigger()
        assert not button.isEnabled()
    qtbot.waitUntil(lambda: _marsh_items(editor) == 2, timeout=10_000)
    assert button.isEnabled()


def test_a_refused_refresh_says_why_and_keeps_the_count(qtbot: QtBot, pg_url: str) -> None:
    """A database opened read-only refuses the refresh: the message says so and the count comes back."""
    window = MainWindow()
    qtbot.addWidget(window, before_close_func=let_close)
    window.show()
    with qtbot.waitSignal(window.counts_loaded, timeout=15_000):
        window.open_target(pg_url, read_only=True)
    nav = window.navigator
    before = nav.item("zone_item_counts").text(1)  # type: ignore[union-attr]
    with qtbot.waitSignal(window.view_refresher.failed, timeout=10_000) as failed:
        nav.request_refresh("zone_item_counts")
    name, message = failed.args
    assert name == "zone_item_counts" and "read-only" in message and "REFRESH" not in message
    assert nav.item("zone_item_counts").text(1) == before and not nav.is_refreshing(name)  # type: ignore[union-attr]
    assert window.statusBar().currentMessage().startswith("Could not refresh zone_item_counts: ")


def test_fk_picker_searches_a_table_in_another_schema(qtbot: QtBot, pg_url: str) -> None:
    """items.zone_id points at game.zones: the picker finds and picks a zone there, off the GUI thread."""
    db = open_database(pg_url)
    try:
        catalog = load_catalog(db)
        (fk,) = catalog.get("items").foreign_keys
        picker = ForeignKeyPicker(db, catalog, fk, nullable=True)
        qtbot.addWidget(picker)
        picker.show()
        with qtbot.waitSignal(picker.matches_shown, timeout=5000):
            picker.set_value(None)
        assert [m.label for m in picker.matches()] == ["Harbour", "Marsh", "Old Town"]
        with qtbot.waitSignal(picker.matches_shown, timeout=5000):
            qtbot.keyClicks(picker.line_edit, "old")
        qtbot.keyClick(picker.line_edit, Qt.Key.Key_Down)
        with qtbot.waitSignal(picker.committed):
            qtbot.keyClick(picker.line_edit, Qt.Key.Key_Return)
        assert picker.value() == 2
    finally:
        assert workers.wait_idle(10_000)
        db.dispose()


def test_the_grid_and_form_follow_links_across_schemas(qtbot: QtBot, pg_url: str) -> None:
    """The items grid shows each zone's name from game.zones; a zone's record form lists what refers to it
    from public and from game."""
    window: MainWindow = open_window(qtbot, pg_url)
    window.navigator.entity_activated.emit("items")
    items = window.tabs.currentWidget()
    assert isinstance(items, TableEditor)
    col = items.entity.column_names.index("zone_id")
    qtbot.waitUntil(lambda: "Harbour" in items.model.look(0, col).text, timeout=10_000)
    window.navigator.entity_activated.emit("game.zones")
    zones = window.tabs.currentWidget()
    assert isinstance(zones, TableEditor) and window.tabs.tabText(window.tabs.currentIndex()) == "game.zones"
    qtbot.waitUntil(lambda: zones.model.row_key(0) is not None, timeout=10_000)
    form = zones.show_form(0)
    qtbot.waitUntil(lambda: "items" in form.references.text(), timeout=10_000)
    assert "settings" in form.references.text()


def test_reference_schema_keeps_its_groups_under_public(qtbot: QtBot, pg_server: object) -> None:
    """The reference schema beside a game schema: public holds World, Players, Operations (and Other for the
    users table that game shares a name with), game holds its tables, sorted by the names shown."""
    from core.schema.models import metadata

    url = new_pg_database(pg_server)
    db = open_database(url, create=True)
    try:
        metadata.create_all(db.engine)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE SCHEMA game")
            conn.exec_driver_sql("CREATE TABLE game.users (id integer PRIMARY KEY, name text)")
            conn.exec_driver_sql("CREATE TABLE game.alpha (id integer PRIMARY KEY)")
            conn.exec_driver_sql(
                "CREATE TABLE public.racoon (id integer PRIMARY KEY)"
            )  # sorts after "public.u…"
    finally:
        db.dispose()
    window = open_window(qtbot, url)
    public, game = _tops(window.navigator)
    assert (public.text(0), game.text(0)) == ("public", "game")
    assert _children(public) == ["World", "Players", "Operations", "Other"]
    assert _children(public.child(3)) == ["racoon", "users"]  # type: ignore[arg-type]
    assert window.navigator.item("public.users") is public.child(3).child(1)  # type: ignore[union-attr]
    assert _children(game) == ["alpha", "users"]
