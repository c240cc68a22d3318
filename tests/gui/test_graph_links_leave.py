"""Link edits staged in the record graph are asked about like a table editor's: quitting or closing the
graph tab with them staged asks Save / Discard / Cancel, naming the graph; Cancel keeps them, Save writes
them before the window closes."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from core.engine.db import open_database
from gui.runtime import workers
from gui.unsaved import CANCEL, DISCARD, SAVE
from tests.fixtures.editing import active_prompt, open_window


def _first_source(path: str) -> str:
    """A location with a connection (hand-written SQL)."""
    db = open_database(path)
    try:
        with db.engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT source_location_id FROM location_connections ORDER BY id LIMIT 1")
            ).one()
    finally:
        db.dispose()
    return str(uuid.UUID(str(row[0])))


def _connection_count(path: str, row: str) -> int:
    db = open_database(path)
    try:
        with db.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT count(*) FROM location_connections WHERE id = :i"), {"i": row}
                ).scalar_one()
            )
    finally:
        db.dispose()


def _graph_with_a_staged_deletion(qtbot: QtBot, path: str) -> tuple[object, object, str]:
    window = open_window(qtbot, path)
    panel = window.show_graph("locations", {"id": _first_source(path)})
    qtbot.waitUntil(
        lambda: any(e.via == "location_connections" for e in panel.scene.edge_list), timeout=30_000
    )
    edge = next(e for e in panel.scene.edge_list if e.via == "location_connections")
    row = uuid.UUID(str(edge.attributes["id"])).hex  # as SQLite stores the key
    panel.links.delete_edge(edge)
    assert panel.links.staged_count == 1
    return window, panel, row


def test_quitting_with_staged_links_asks_and_cancel_keeps_them(qtbot: QtBot, demo_copy_path: str) -> None:
    window, panel, row = _graph_with_a_staged_deletion(qtbot, demo_copy_path)
    window.close()  # type: ignore[attr-defined]
    prompt = active_prompt(qtbot)
    assert prompt.text() == "Save 1 unsaved change before quitting?"
    assert prompt.informativeText().startswith("Graph: 1 unsaved change\n")
    prompt.choose(CANCEL)
    qtbot.waitUntil(lambda: window.leave_guard.prompt is None)  # type: ignore[attr-defined]
    assert window.isVisible() and panel.links.staged_count == 1  # type: ignore[attr-defined]
    assert _connection_count(demo_copy_path, row) == 1


def test_quitting_with_staged_links_and_save_writes_them_first(qtbot: QtBot, demo_copy_path: str) -> None:
    window, _panel, row = _graph_with_a_staged_deletion(qtbot, demo_copy_path)
    window.close()  # type: ignore[attr-defined]
    active_prompt(qtbot).choose(SAVE)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)  # type: ignore[attr-defined]
    workers.wait_idle()
    assert _connection_count(demo_copy_path, row) == 0


def test_closing_the_graph_tab_asks_and_discard_drops_the_links(qtbot: QtBot, demo_copy_path: str) -> None:
    window, panel, row = _graph_with_a_staged_deletion(qtbot, demo_copy_path)
    tabs = window.tabs  # type: ignore[attr-defined]
    tabs.tabCloseRequested.emit(tabs.indexOf(panel))
    prompt = active_prompt(qtbot)
    assert prompt.text() == "Save 1 unsaved change before closing Graph?"
    prompt.choose(DISCARD)
    qtbot.waitUntil(lambda: tabs.indexOf(panel) < 0)
    assert window.isVisible()  # type: ignore[attr-defined]
    assert _connection_count(demo_copy_path, row) == 1
