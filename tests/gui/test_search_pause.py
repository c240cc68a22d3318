"""The search panel while a migration runs (issue 10): paused by the window's migration watch, it reads
nothing, neither a typed search, a More Like This nor a count of stale rows; the status line says the
search waits; when the pause ends the search asked for runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from gui.runtime import workers
from gui.search.panel import DEBOUNCE_MS, SearchPanel
from tests.fixtures.editing import open_window

#: A read of the tables the world search reads.
SEARCH_READS = re.compile(
    r"\b(from|join)\s+\"?(locations|npcs|regions|objects)(_fts)?\"?(?!\w)", re.IGNORECASE
)


@contextmanager
def statements() -> Iterator[list[str]]:
    """The text of every statement run on any engine meanwhile."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", record)


def test_a_paused_search_reads_nothing_and_runs_what_was_asked_when_resumed(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    window = open_window(qtbot, demo_copy_path)
    search = window.show_search()
    assert isinstance(search, SearchPanel)
    search.mode_box.setCurrentIndex(search.mode_box.findData("keyword"))
    db = window.open_db.database
    assert db is not None
    with db.engine.connect() as conn:
        npc = conn.execute(sa.text("SELECT id FROM npcs ORDER BY name LIMIT 1")).scalar_one()
    assert workers.wait_idle(30_000)
    watch = window.migration_watch
    started: list[bool] = []
    search.search_started.connect(lambda: started.append(watch.paused))

    watch.pause()  # what the runner's run_started does
    assert (
        search.status.text()
        == "Paused while a migration runs: nothing is read until it ends; staged edits are kept."
    )
    with statements() as seen:
        search.set_query("tower")
        qtbot.wait(DEBOUNCE_MS * 2)  # the pause after typing passes: the search waits instead
        assert search.status.text() == "Paused while a migration runs: your search runs when it ends."
        search.more_like_this("npcs", {"id": npc})
        search.stale_bar.refresh()
        window.tabs.setCurrentIndex(0)
        window.tabs.setCurrentWidget(search)  # shown again: the stale bar would count
        assert workers.wait_idle(30_000)
    reads = [text for text in seen if SEARCH_READS.search(text)]
    assert not reads and not started, f"read while paused: {reads[:2]}"
    assert search.task is None and not search.target_box.isEnabled()
    assert not search.stale_bar.more_button.isEnabled(), "the bar offers nothing while paused"
    assert search.query.isEnabled(), "typing goes on; the search waits"

    counted: list[int] = []
    search.stale_bar.counted.connect(lambda: counted.append(1))
    with qtbot.waitSignal(search.search_started, timeout=10_000):
        watch.resume()
    assert started == [False], "the last search asked for (More Like This) ran once, after the pause"
    assert search.like_source is not None and search.like_source[0] == "npcs"
    assert search.target_box.isEnabled() and search.stale_bar.isEnabled()
    qtbot.waitUntil(lambda: bool(counted), timeout=30_000)  # the count it was asked for, after the pause
    assert workers.wait_idle(30_000)
