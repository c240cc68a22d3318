"""Exclusive access while a migration runs (issue 10), beyond the table editors: the record form, the graph
panel and the search panel pause too. A real upgrade runs through the runner on a copy of the demo database
one revision behind: while it runs, what the screens are asked reads nothing (the statements on the open
database are watched), a staged graph link stays staged; afterwards the catalog is reloaded, the graph is
read again around its record with the link still staged, and the search asked for meanwhile runs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from core.engine.db import open_database
from core.migrate import migrations as mig
from gui.editor.view import TableEditor
from gui.graph.panel import GraphPanel
from gui.main_window import MainWindow
from gui.migrate.dialog import MigrationDialog
from gui.migrate.pausable import PAUSED_READS
from gui.runtime import workers
from gui.search.panel import SearchPanel
from tests.fixtures.editing import open_editor, open_window
from tests.gui.test_graph_links import two_locations_shown

SCREENSHOTS = Path("/tmp")
#: A read of the tables the graph, the search and the form read (the upgrade itself reads none of them).
SCREEN_READS = re.compile(
    r"\b(from|join)\s+\"?(locations|location_connections|npcs|npc_relationships|regions|objects)\"?(?!\w)",
    re.IGNORECASE,
)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("WARDEN_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def one_behind(demo_copy_path: str) -> str:
    """The demo database with its newest revision undone: the runner has one upgrade to run."""
    db = open_database(demo_copy_path)
    try:
        (head,) = mig.heads()
        (below,) = next(r.down_revision for r in mig.history() if r.revision == head)
        mig.downgrade(db, below)
    finally:
        db.dispose()
    return demo_copy_path


def _runner(qtbot: QtBot, window: MainWindow) -> MigrationDialog:
    dialog = window.migration_watch.open_runner()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.view is not None and dialog.upgrade_button.isEnabled(), timeout=30_000)
    return dialog


def _stage_link(qtbot: QtBot, panel: GraphPanel) -> dict[str, Any]:
    """Stage a new connection between two locations of the graph; the key of the second one."""
    db = panel.open_db.database
    assert db is not None
    source, target = two_locations_shown(qtbot, panel, db)
    panel.links.connect_nodes(source, target)
    form = panel.links.form
    assert form is not None
    form.set_value("direction", "west")
    form.set_value("connection_type", "road")
    form.ok.click()
    assert panel.links.staged_count == 1 and len(panel.scene.staged_new) == 1
    node = panel.document.node(target)
    assert node is not None and node.key is not None
    return {"id": node.key[0]}


def _running(dialog: MigrationDialog) -> list[bool]:
    """Not empty while `dialog` runs (between its run_started and run_finished)."""
    running: list[bool] = []
    dialog.run_started.connect(lambda: running.append(True))
    dialog.run_finished.connect(running.clear)
    return running


@contextmanager
def statements_while(paused: Callable[[], bool]) -> Iterator[list[str]]:
    """The text of every statement run on any engine while `paused()` says so (asked as it runs)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if paused():
            seen.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", record)


def test_a_run_pauses_the_graph_search_and_form_then_they_follow_the_new_catalog(
    qtbot: QtBot,
    one_behind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(qtbot, one_behind)
    window.resize(1300, 800)
    editor = open_editor(qtbot, window, "npcs")
    assert isinstance(editor, TableEditor)
    form = editor.show_form(0)
    qtbot.waitUntil(lambda: form.key is not None, timeout=10_000)
    search = window.show_search()
    assert isinstance(search, SearchPanel)
    search.mode_box.setCurrentIndex(search.mode_box.findData("keyword"))  # no model to load
    graph = window.show_graph()
    assert isinstance(graph, GraphPanel)
    other = _stage_link(qtbot, graph)  # the other end of the staged link: its graph is asked for meanwhile
    start = graph.start_record
    assert start is not None
    shown_before = dict(graph.document.positions)
    assert workers.wait_idle(30_000)

    dialog = _runner(qtbot, window)
    monkeypatch.setattr(dialog, "_confirm", lambda _verb, _flagged: True)
    asked: dict[str, Any] = {}

    def on_paused(paused: bool) -> None:
        if paused:  # the run is about to start: ask every screen for a read, as a person would
            asked["graph_message"] = graph.message.text()
            graph.expand(next(iter(graph.document.positions)))
            graph.show_record("locations", other)
            asked["graph_busy"] = graph.busy
            search.set_query("tower")
            search.search_now()
            asked["search_task"] = search.task
            asked["search_status"] = search.status.text()
            form.set_row(1)
            asked["form_text"] = form.references.text()
            asked["enabled"] = (graph.view.isEnabled(), graph.links.bar.isEnabled(), search.query.isEnabled())
            window.tabs.setCurrentWidget(editor)
            editor.grab().save(str(SCREENSHOTS / "warden_paused_form.png"))
            window.tabs.setCurrentWidget(graph)
            graph.grab().save(str(SCREENSHOTS / "warden_paused_graph.png"))
            window.tabs.setCurrentWidget(search)
            search.grab().save(str(SCREENSHOTS / "warden_paused_search.png"))
        else:
            asked["resumed_staged"] = graph.links.staged_count

    window.migration_watch.paused_changed.connect(on_paused)
    searches: list[bool] = []  # each search started: whether the watch was paused then
    search.search_started.connect(lambda: searches.append(window.migration_watch.paused))
    running = _running(dialog)  # the catalog's reload after the run is no screen's read
    with (
        statements_while(lambda: bool(running)) as during,
        qtbot.waitSignal(graph.graph_shown, timeout=90_000),  # read again after the run, new catalog
    ):
        dialog.upgrade_button.click()
    assert asked["graph_message"] == PAUSED_READS and asked["enabled"] == (False, False, True)
    assert not asked["graph_busy"], "no expansion or reload started while paused"
    assert asked["search_task"] is None and "runs when it ends" in asked["search_status"]
    assert asked["form_text"] == PAUSED_READS
    reads = [text for text in during if SCREEN_READS.search(text)]
    assert not reads, f"a screen read while the migration ran: {reads[:3]}"
    assert any("alembic_version" in text for text in during), "the upgrade did run meanwhile"
    assert asked["resumed_staged"] == 1, "the staged link outlived the run"

    assert mig.current(open_database(one_behind)) == mig.heads()
    assert graph.start_record == ("locations", other), "the graph asked for meanwhile is read after the run"
    assert graph.links.staged_count == 1
    assert len(graph.scene.staged_new) == 1, "the staged link is drawn on the graph read again"
    assert set(shown_before) & set(graph.document.positions), "both ends of the staged link are shown"
    assert graph.view.isEnabled() and graph.links.bar.isEnabled()
    qtbot.waitUntil(lambda: bool(searches), timeout=30_000)
    assert not any(searches), "the search asked for during the run ran after it"
    assert search.query.text() == "tower"
    waiting = (PAUSED_READS, "Loading related rows…")
    qtbot.waitUntil(lambda: form.references.text() not in waiting, timeout=30_000)  # read after the run
    assert search.target_box.isEnabled() and search.stale_bar.isEnabled()
    assert workers.wait_idle(30_000)
    assert searches == [False], (
        f"the search asked for ran once, after the run (not before the catalog came): {searches}"
    )
    dialog.close()
    graph.links.discard()
