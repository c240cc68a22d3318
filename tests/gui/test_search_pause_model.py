"""The embedding model loading when a migration starts fails during the pause (its package is missing): after
the pause the status line still says why and that Keywords mode works, not the line from before the pause
("Loading the embedding model…", which would claim it still loads). Real Qt offscreen, a real SQLite copy of
the demo; the model's folder is pointed at an empty one, as test_search_panel's missing-model test does."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from gui.migrate.pausable import PAUSED_READS
from gui.runtime import workers
from gui.search.panel import SearchPanel
from tests.gui.test_search_panel import panel, world, world_path, world_template

__all__ = ["panel", "world", "world_path", "world_template"]  # the fixtures, shared with the panel test


def test_a_model_load_that_failed_during_the_pause_is_still_said_after_it(
    qtbot: QtBot, panel: SearchPanel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.search import embeddings

    monkeypatch.setattr(embeddings, "model_dir", lambda: tmp_path / "no-model")  # the package's folder empty
    monkeypatch.setattr(embeddings, "_local", None)  # not loaded yet in this process
    panel.query.setText("a haunted lighthouse")
    panel.search_now()  # the first search loads the model (on a worker: its outcome comes later)
    assert panel.model_loading and panel.status.text().startswith("Loading the embedding model")
    with qtbot.waitSignal(panel.failed, timeout=20_000):
        panel.set_paused(PAUSED_READS)  # as the watch does when a run starts, before the load's outcome
    assert workers.wait_idle(30_000)
    panel.set_paused(None)
    text = panel.status.text()
    assert "Keywords mode works without it" in text, f"not the line from before the pause: {text}"
