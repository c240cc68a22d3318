"""A re-embed running when a migration starts is stopped between batches, as its Cancel stops it: the batches
written keep their vectors, the rest stay stale, the message says why it stopped. The migration goes ahead
instead of waiting behind a background job. While paused the stale bar offers nothing but stays enabled (its
progress and Cancel are not greyed with it); after the run it counts again and offers Re-embed, and the status
line still says the re-embed was stopped and how to finish it (not the line from before the run).

Real Qt offscreen, the real local model, a real SQLite copy of the demo with vectors on its regions.
"""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from core.engine.db import open_database
from core.schema.load import load_catalog
from core.search.stale import count_stale
from gui.runtime import workers
from gui.search.panel import SearchPanel
from gui.search.stale_bar import STOPPED_BY_MIGRATION, STOPPED_FOR_MIGRATION
from tests.fixtures.editing import open_window
from tests.gui.test_search_stale import edit_descriptions, regions_path, regions_template

__all__ = ["regions_path", "regions_template"]  # the fixtures, shared with the stale-rows tests

pytestmark = pytest.mark.usefixtures("own_data_dir")


def test_a_migration_stops_a_running_reembed_between_batches(qtbot: QtBot, regions_path: str) -> None:
    db = open_database(regions_path)
    try:
        edit_descriptions(db, 12)
    finally:
        db.dispose()
    window = open_window(qtbot, regions_path)
    search = window.show_search()
    assert isinstance(search, SearchPanel)
    bar = search.stale_bar
    with qtbot.waitSignal(bar.counted, timeout=20_000):
        search.choose_target("regions")
    assert bar.stale == 12
    bar.batch_rows = 1  # a transaction per row: the stop lands between batches
    watch = window.migration_watch

    def migration_after_first(value: int) -> None:
        if value > 0 and not watch.paused:
            watch.pause()  # what the runner's run_started does

    bar.progress.valueChanged.connect(migration_after_first)
    with qtbot.waitSignal(bar.failed, timeout=60_000) as stopped:
        bar.reembed_button.click()
    assert watch.paused
    assert stopped.args == [STOPPED_FOR_MIGRATION]
    assert bar.task is None and bar.progress.isHidden()
    db = open_database(regions_path)
    try:
        left = count_stale(db, load_catalog(db), "regions", model="all-MiniLM-L6-v2").changed
    finally:
        db.dispose()
    assert 0 < left < 12, "the batches written before the stop keep their vectors, the rest stay stale"
    assert bar.isEnabled(), "the bar is not greyed (its Cancel stays usable)"
    assert not bar.reembed_button.isEnabled() and not bar.more_button.isEnabled()
    assert not bar.provider_box.isEnabled() and not bar.on_save_box.isEnabled()

    assert search.status.text() == STOPPED_FOR_MIGRATION
    with qtbot.waitSignal(bar.counted, timeout=20_000):
        watch.resume()
    assert search.status.text() == STOPPED_BY_MIGRATION, "after the run: it stopped, and how to finish it"
    window.resize(1100, 600)
    search.grab().save("/tmp/warden_reembed_stopped.png")
    assert bar.stale == left
    assert bar.reembed_button.isEnabled() and bar.more_button.isEnabled() and bar.provider_box.isEnabled()
    assert workers.wait_idle(30_000)
