"""The default database fills its missing world embeddings in the background once the window is up (the
real model, on a worker, progress in the status bar); another database is left as it is."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from core.paths import default_database
from core.progress import Progress
from core.search.embeddings import local_embedder
from core.search.reembed import WORLD_ENTITIES, row_text
from gui.main_window import MainWindow
from gui.runtime import workers
from gui.search.embed_fill import EmbedFill, attach

pytestmark = pytest.mark.usefixtures("no_saved_tabs")

#: Rows per world entity left without a vector (the rest get random ones, so the test embeds only these).
LEFT_EMPTY = 2
TEXT_SQL = {
    "regions": "SELECT id, name, description, embedding FROM regions",
    "locations": "SELECT id, name, short_description, full_description, embedding FROM locations",
    "npcs": "SELECT id, name, description, embedding FROM npcs",
    "objects": "SELECT id, name, description, embedding FROM objects",
}


def mostly_filled(template: Path, path: Path) -> dict[str, set[str]]:
    """A demo copy at `path`: world rows hold random vectors, except LEFT_EMPTY per entity (their keys)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, path)
    rng = np.random.default_rng(5)
    empty: dict[str, set[str]] = {}
    conn = sqlite3.connect(path)
    with conn:
        for table in WORLD_ENTITIES:
            keys = [r[0] for r in conn.execute(f"SELECT id FROM {table} ORDER BY id")]
            empty[table] = set(keys[:LEFT_EMPTY])
            x = rng.normal(size=(len(keys), 384)).astype("<f4")
            conn.executemany(
                f"UPDATE {table} SET embedding = ? WHERE id = ?",
                [(None if k in empty[table] else v.tobytes(), k) for k, v in zip(keys, x, strict=True)],
            )
    conn.close()
    return empty


def stored(path: Path, table: str) -> dict[str, tuple[str, Any]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(TEXT_SQL[table]).fetchall()
    finally:
        conn.close()
    return {r[0]: (row_text(r[1:-1]), None if r[-1] is None else np.frombuffer(r[-1], "<f4")) for r in rows}


def test_default_database_fills_its_missing_vectors(qtbot: QtBot, own_data_dir: Path, demo_template: Path):
    path = default_database()
    empty = mostly_filled(demo_template, path)
    window = MainWindow()
    qtbot.addWidget(window)
    fill = attach(window)
    shown: list[str] = []
    real = fill._on_progress

    def progress(p: Progress) -> None:
        real(p)
        shown.append(fill.label.text())

    fill._on_progress = progress  # type: ignore[method-assign]  # record what the status bar said

    window.open_target(str(path))
    qtbot.waitUntil(lambda: "Embedded 8 rows" in window.statusBar().currentMessage(), timeout=180_000)

    assert shown and all(t.startswith("Embedding 8 rows…") for t in shown)
    assert not fill.running and not fill.widget.isVisible()
    for table in WORLD_ENTITIES:
        rows = stored(path, table)
        assert all(v is not None for _, v in rows.values())
        texts = [rows[k][0] for k in sorted(empty[table])]
        want = local_embedder().embed(texts)
        for k, w in zip(sorted(empty[table]), want, strict=True):
            assert np.allclose(rows[k][1], w, atol=1e-6)
    window.close()
    assert workers.wait_idle(10_000)


def test_another_database_is_left_alone(qtbot: QtBot, own_data_dir: Path, demo_template: Path):
    path = own_data_dir / "elsewhere.db"
    mostly_filled(demo_template, path)
    window = MainWindow()
    qtbot.addWidget(window)
    fill = attach(window)
    window.open_target(str(path))
    qtbot.waitUntil(lambda: window.catalog is not None, timeout=30_000)
    assert workers.wait_idle(10_000)
    assert not fill.running
    assert sum(v is None for _, v in stored(path, "regions").values()) == LEFT_EMPTY
    window.close()


def test_progress_and_cancel_in_the_status_bar(qtbot: QtBot, own_data_dir: Path):
    """The status bar's words and button (rendered to /tmp/warden_embed_fill.png to look at)."""
    window = MainWindow()
    qtbot.addWidget(window)
    fill = attach(window)
    assert isinstance(fill, EmbedFill)
    window.resize(1100, 600)
    window.show()
    fill._on_progress(Progress(300, 1216, "Embedding locations"))
    assert fill.widget.isVisible() and fill.label.text() == "Embedding 1,216 rows… 25%"
    window.statusBar().grab().save("/tmp/warden_embed_fill.png")
    fill._finish()
    assert not fill.widget.isVisible()
    window.close()


def test_cancel_keeps_the_batches_written(qtbot: QtBot, own_data_dir: Path, demo_template: Path):
    path = default_database()
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_template, path)  # every world row without a vector: many batches
    window = MainWindow()
    qtbot.addWidget(window)
    fill = attach(window)
    real = fill._on_progress

    def progress(p: Progress) -> None:
        real(p)
        if p.done > 0 and fill.cancel_button.isEnabled():
            fill.cancel_button.click()  # as a person would, once the first batch is written

    fill._on_progress = progress  # type: ignore[method-assign]
    window.open_target(str(path))
    qtbot.waitUntil(lambda: "Embedding stopped" in window.statusBar().currentMessage(), timeout=180_000)
    assert not fill.running and not fill.widget.isVisible()
    filled = [v for t in WORLD_ENTITIES for _, v in stored(path, t).values() if v is not None]
    total = sum(len(stored(path, t)) for t in WORLD_ENTITIES)
    assert 0 < len(filled) < total
    window.close()
    assert workers.wait_idle(10_000)
