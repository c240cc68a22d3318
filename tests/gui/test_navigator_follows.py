"""The navigator follows the window: counts after saves and cascading deletes, highlight after tab changes."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from core.data.overview import Overview, RowCount
from core.engine.db import open_database
from core.schema.load import load_catalog
from gui.main_window import MainWindow
from gui.navigator import Navigator
from gui.navigator_counts import affected_entities, reached_by_delete
from tests.fixtures.editing import open_window

if TYPE_CHECKING:
    from gui.editor.view import TableEditor


pytestmark = pytest.mark.usefixtures("no_saved_tabs")


def _open_editor(qtbot: QtBot, window: MainWindow, name: str) -> TableEditor:
    window.navigator.entity_activated.emit(name)
    editor = window.tabs.currentWidget()
    assert editor is not None and editor.property("entity") == name
    qtbot.waitUntil(lambda: editor.count is not None and editor.count[1], timeout=10_000)  # type: ignore[attr-defined]
    return editor  # type: ignore[return-value]


def _count(window: MainWindow, sql: str, **params: object) -> int:
    """A count read by the test itself, on the window's database (what Warden wrote is what it reads)."""
    db = window.database
    assert db is not None
    with db.engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar_one())


def test_cascades_of_a_delete_are_found_from_the_catalog(demo_copy_path: str) -> None:
    """Deleting a location reaches its connections (cascade), and NPCs and objects (set null)."""
    db = open_database(demo_copy_path)
    try:
        catalog = load_catalog(db)
    finally:
        db.dispose()
    reached = reached_by_delete(catalog, "locations")
    assert {"location_connections", "npcs", "objects"} <= set(reached)
    assert "regions" not in reached
    assert "npc_relationships" not in reached  # npcs are only set null, so nothing deletes further

    class Result:  # the shape of core's SaveResult: lists of saved rows per kind
        inserted: list[object] = []
        updated: list[object] = [object()]
        deleted: list[object] = []

    # An update changes no table's count but the audit log's, which records it.
    assert affected_entities(catalog, "locations", Result()) == ["admin_audit_log"]


def test_counts_follow_a_save_that_deletes_with_cascades(qtbot: QtBot, demo_copy_path: str) -> None:
    """After a saved delete, the deleted table's and its cascade's counts are re-counted on a worker."""
    window = open_window(qtbot, demo_copy_path)
    nav = window.navigator
    locations, connections = nav.item("locations"), nav.item("location_connections")
    assert locations is not None and connections is not None
    assert locations.text(1) == "240"
    connections_before = connections.text(1)
    audit = nav.item("admin_audit_log")
    assert audit is not None
    audit_before = int(audit.text(1).replace(",", "").lstrip("~") or 0)
    editor = _open_editor(qtbot, window, "locations")
    key = editor.model.row_key(0)
    assert key is not None
    linked = _count(
        window,
        "SELECT count(*) FROM location_connections WHERE :id IN (source_location_id, target_location_id)",
        id=uuid.UUID(str(key["id"])).hex,
    )
    assert linked > 0
    editor.model.delete_rows([0])
    with qtbot.waitSignal(window.counts_refreshed, timeout=10_000) as refreshed:
        editor.save()
    assert {"locations", "location_connections"} <= set(refreshed.args[0])
    assert locations.text(1) == "239"
    expected = int(connections_before.replace(",", "")) - linked
    assert connections.text(1) == f"{expected:,}"
    assert expected == _count(window, "SELECT count(*) FROM location_connections")
    # The save's audit entries show in the audit log's count at once (it stayed at its first count before).
    assert audit.text(1) == f"{_count(window, 'SELECT count(*) FROM admin_audit_log'):,}"
    assert _count(window, "SELECT count(*) FROM admin_audit_log") > audit_before


def test_highlight_follows_the_active_tab(qtbot: QtBot, demo_copy_path: str) -> None:
    """Switching tabs selects that entity in the navigator and opens nothing."""
    window = open_window(qtbot, demo_copy_path)
    nav = window.navigator
    _open_editor(qtbot, window, "npcs")
    _open_editor(qtbot, window, "regions")
    assert nav.current_entity() == "regions"
    tabs = window.tabs.count()
    window.tabs.setCurrentIndex([window.tabs.tabText(i) for i in range(tabs)].index("npcs"))
    assert nav.current_entity() == "npcs"
    window.tabs.setCurrentWidget(window.welcome)
    assert nav.current_entity() is None
    assert window.tabs.count() == tabs


def test_a_reloaded_list_keeps_counts_and_the_highlight(qtbot: QtBot) -> None:
    """After a schema change the navigator lists the new tables; the ones it knew keep their counts, exact
    or estimated, and the highlighted one stays highlighted. A new database starts from nothing."""
    nav = Navigator()
    qtbot.addWidget(nav)
    nav.show_overview(overview("a", "b"))
    nav.set_counts({"a": RowCount(5, exact=True), "b": RowCount(2_000_000, exact=False)})
    nav.select_entity("b")

    nav.show_overview(overview("b", "c"), keep_counts=True)

    assert nav.entity_names() == ["b", "c"]
    assert [nav.item(n).text(1) for n in ("b", "c")] == ["~2.0M", "…"]  # type: ignore[union-attr]
    assert not nav.has_exact_count("b") and nav.current_entity() == "b"
    nav.show_overview(overview("a", "b"))
    assert [nav.item(n).text(1) for n in ("a", "b")] == ["…", "…"]  # type: ignore[union-attr]
    assert not nav.has_exact_count("a")


def overview(*tables: str) -> Overview:
    """What the navigator lists: these tables in one group (plain data, as core's load_overview returns)."""
    return Overview("x.db", "sqlite", {}, [("Other", name) for name in tables])
