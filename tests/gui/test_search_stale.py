"""Stale embeddings in the window, with the real model on the demo database: the search panel's "N stale"
badge counts rows edited since embedded, "Re-embed stale" makes them fresh on a worker (audited), Cancel
keeps the finished batches; the provider chosen for a column is remembered per database and column and
used for counting; a save in the table editor re-embeds the rows whose text it changed, not the others,
and not at all with the setting off."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from core.data.audit_trail import AUDIT_OFF
from core.engine.db import Database, open_database
from core.schema.load import load_catalog
from core.search.embeddings import local_embedder
from core.search.reembed import embed_rows, row_text
from core.search.stale import count_stale
from gui.runtime import workers
from gui.runtime.open_database import OpenDatabase
from gui.search import save_reembed
from gui.search.panel import SearchPanel
from gui.search.providers import HTTP, ProviderChoice
from tests.core.test_http_embedder import Stub, no_ring, stub  # noqa: F401  (fixtures)
from tests.fixtures.editing import open_editor, open_window, stage
from tests.fixtures.threads import statement_threads


@pytest.fixture(scope="module")
def regions_template(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo database whose regions carry vectors of their real text (16 rows)."""
    path = tmp_path_factory.mktemp("stale-regions") / "regions.db"
    shutil.copy(demo_template, path)
    db = open_database(str(path))
    try:
        embed_rows(db, load_catalog(db), "regions", local_embedder(), which="all", auditing=AUDIT_OFF)
    finally:
        db.dispose()
    return path


@pytest.fixture
def regions_path(regions_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "regions.db"
    shutil.copy(regions_template, path)
    return str(path)


@pytest.fixture
def regions_db(regions_path: str) -> Iterator[Database]:
    db = open_database(regions_path)
    yield db
    workers.wait_idle()
    db.dispose()


def new_panel(qtbot: QtBot, db: Database) -> SearchPanel:
    holder = OpenDatabase()
    holder.set_database(db)
    qtbot.waitUntil(lambda: holder.catalog is not None, timeout=20_000)
    panel = SearchPanel(holder)
    qtbot.addWidget(panel)
    panel.resize(1000, 500)
    panel.show()
    return panel


def counted(qtbot: QtBot, panel: SearchPanel, start: Any) -> None:
    with qtbot.waitSignal(panel.stale_bar.counted, timeout=20_000):
        start()


def regions(db: Database, sql: str) -> list[Any]:
    with db.engine.connect() as conn:
        return list(conn.execute(sa.text(sql)).all())


def edit_descriptions(db: Database, n: int) -> list[tuple[Any, str, str]]:
    """Change the description of `n` regions (as another program would); their id, name and new text."""
    rows = regions(db, f"SELECT id, name FROM regions ORDER BY name LIMIT {n}")
    out = []
    with db.engine.begin() as conn:
        for i, (key, name) in enumerate(rows):
            text = f"Flooded since the dam broke, year {i}."
            conn.execute(sa.text("UPDATE regions SET description = :d WHERE id = :k"), {"d": text, "k": key})
            out.append((key, name, text))
    return out


def vector_of(db: Database, key: Any) -> np.ndarray:
    (raw,) = regions(db, f"SELECT embedding FROM regions WHERE id = '{key}'")[0]
    return np.frombuffer(raw, dtype="<f4")


def test_badge_counts_edits_and_reembed_makes_them_fresh(qtbot: QtBot, regions_db: Database) -> None:
    panel = new_panel(qtbot, regions_db)
    bar = panel.stale_bar
    counted(qtbot, panel, lambda: panel.choose_target("regions"))
    assert bar.badge.text() == "Up to date" and not bar.reembed_button.isEnabled()
    edited = edit_descriptions(regions_db, 2)
    counted(qtbot, panel, bar.refresh)
    assert bar.badge.text() == "2 stale" and bar.badge.isVisible()
    tip = bar.badge.toolTip()
    assert "changed since they were embedded" in tip and "2 changed since embedded" in tip
    assert bar.reembed_button.isEnabled()

    with statement_threads(sa.Engine) as idents, qtbot.waitSignal(bar.reembedded, timeout=60_000) as done:
        bar.reembed_button.click()
        assert bar.progress.isVisible() and bar.cancel_button.isVisible()
    assert threading.main_thread().ident not in idents  # counted and embedded on workers
    assert done.args == [2]
    qtbot.waitUntil(lambda: bar.badge.text() == "Up to date", timeout=10_000)
    assert bar.progress.isHidden() and bar.cancel_button.isHidden()
    for key, name, text in edited:
        want = local_embedder().embed([row_text([name, text])])[0]
        assert float(np.dot(vector_of(regions_db, key), want)) > 0.9999
    reasons = regions(regions_db, "SELECT reason FROM admin_audit_log WHERE entity = 'regions'")
    assert [r[0] for r in reasons] == ["re-embedding stale rows"] * 2


def test_cancel_keeps_the_finished_batches(qtbot: QtBot, regions_db: Database) -> None:
    """Cancel once the first batch is written: the run stops, the rows written stay fresh, the rest stale."""
    edit_descriptions(regions_db, 12)
    panel = new_panel(qtbot, regions_db)
    bar = panel.stale_bar
    counted(qtbot, panel, lambda: panel.choose_target("regions"))
    assert bar.stale == 12
    bar.batch_rows = 1  # a transaction per row: the cancel lands between batches

    def cancel_after_first(value: int) -> None:
        if value > 0:
            bar.cancel_button.click()

    bar.progress.valueChanged.connect(cancel_after_first)
    with qtbot.waitSignal(bar.failed, timeout=60_000) as stopped:
        bar.reembed_button.click()
    assert "keep their vectors" in stopped.args[0]
    count = count_stale(regions_db, load_catalog(regions_db), "regions", model="all-MiniLM-L6-v2")
    assert 0 < count.changed < 12  # the batches written before the cancel are fresh, the rest stale
    qtbot.waitUntil(lambda: bar.stale == count.changed and bar.progress.isHidden(), timeout=10_000)


def test_provider_is_remembered_per_database_and_column(
    qtbot: QtBot, regions_db: Database, tmp_path: Path, regions_template: Path
) -> None:
    service = ProviderChoice(HTTP, "http://127.0.0.1:9/v1", "nomic-embed-text")
    panel = new_panel(qtbot, regions_db)
    counted(qtbot, panel, lambda: panel.choose_target("regions"))
    counted(qtbot, panel, lambda: panel.stale_bar.choose_provider(service))
    # Counted against the service's model: every region was embedded by another one.
    assert panel.stale_bar.badge.text() == "16 stale"

    again = new_panel(qtbot, regions_db)
    counted(qtbot, again, lambda: again.choose_target("regions"))
    assert again.stale_bar.provider_box.currentData() == service
    counted(qtbot, again, lambda: again.choose_target("locations"))
    assert again.stale_bar.provider_box.currentData() == ProviderChoice()

    other_path = tmp_path / "other.db"
    shutil.copy(regions_template, other_path)
    other = open_database(str(other_path))
    try:
        elsewhere = new_panel(qtbot, other)
        counted(qtbot, elsewhere, lambda: elsewhere.choose_target("regions"))
        assert elsewhere.stale_bar.provider_box.currentData() == ProviderChoice()
        assert elsewhere.stale_bar.badge.text() == "Up to date"
    finally:
        workers.wait_idle()
        other.dispose()


def test_a_save_reembeds_the_rows_whose_text_changed(qtbot: QtBot, regions_path: str) -> None:
    window = open_window(qtbot, regions_path)
    follower = save_reembed.attach(window)  # as gui/app.py does
    editor = open_editor(qtbot, window, "regions")  # followed once its tab is current
    key = stage(editor, 0, "description", "A salt marsh where the lanterns drown.")
    with qtbot.waitSignal(follower.reembedded, timeout=60_000) as done:
        editor.save()
    assert done.args == ["regions", 1]
    db = open_database(regions_path)
    try:
        (name,) = regions(db, f"SELECT name FROM regions WHERE id = '{key['id'].hex}'")[0]
        want = local_embedder().embed([row_text([name, "A salt marsh where the lanterns drown."])])[0]
        assert float(np.dot(vector_of(db, key["id"].hex), want)) > 0.9999
        assert count_stale(db, load_catalog(db), "regions").stale == 0
        reasons = regions(db, "SELECT reason FROM admin_audit_log WHERE reason LIKE 're-embedding%'")
        assert [r[0] for r in reasons] == ["re-embedding after a save"]
    finally:
        db.dispose()

    # A change of no text column: nothing to embed again.
    stage(editor, 1, "climate", "arid")
    with qtbot.waitSignal(follower.reembedded, timeout=30_000) as done:
        editor.save()
    assert done.args == ["regions", 0]

    # With the setting off, a changed text is saved and left stale.
    database = window.open_db.database
    assert database is not None
    save_reembed.set_reembed_on_save(database.display_url, False)
    stage(editor, 2, "description", "Now a desert.")
    with qtbot.assertNotEmitted(follower.reembedded, wait=1500), qtbot.waitSignal(editor.model.saved):
        editor.save()
    db = open_database(regions_path)
    try:
        assert count_stale(db, load_catalog(db), "regions").changed == 1
    finally:
        db.dispose()


def test_a_service_chosen_for_a_column_embeds_its_rows_and_its_queries(
    qtbot: QtBot,
    regions_db: Database,
    stub: tuple[Stub, str],  # noqa: F811  (the stub server fixture, imported)
    no_ring: None,  # noqa: F811
) -> None:
    """The service remembered for regions re-embeds every region (another model: all stale) and embeds the
    query of a search in that column; the local model is not needed for either."""
    state, url = stub
    state.dim = 384
    service = ProviderChoice(HTTP, url, "stub-embed")
    panel = new_panel(qtbot, regions_db)
    counted(qtbot, panel, lambda: panel.choose_target("regions"))
    counted(qtbot, panel, lambda: panel.stale_bar.choose_provider(service))
    assert panel.stale_bar.stale == 16
    with qtbot.waitSignal(panel.stale_bar.reembedded, timeout=60_000) as done:
        panel.stale_bar.reembed_button.click()
    assert done.args == [16]
    sent = [t for body in state.requests for t in body["input"]]
    assert len(sent) >= 16 and all(body["model"] == "stub-embed" for body in state.requests)
    qtbot.waitUntil(lambda: panel.stale_bar.badge.text() == "Up to date", timeout=10_000)
    (name,) = regions(regions_db, "SELECT name FROM regions ORDER BY name LIMIT 1")[0]

    panel.mode_box.setCurrentIndex(panel.mode_box.findData("semantic"))
    with qtbot.waitSignal(panel.results_shown, timeout=30_000):
        panel.set_query("the marsh where lanterns drown")
    assert state.requests[-1]["input"] == ["the marsh where lanterns drown"]
    assert panel.model_name is None  # the local model was never loaded for this
    assert "stub-embed" in panel.status.text()
    assert name  # the regions are there to be found
    answer = panel.results.answer
    assert answer is not None and answer.count == 10


def test_without_the_state_table_it_asks_then_tracks(qtbot: QtBot, regions_db: Database) -> None:
    """A database without the embedding state: the badge knows only rows with no vector; Re-embed stale
    asks before adding the table, creates it on a worker, and the re-embed that follows records each row."""
    with regions_db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE warden_embedding_state"))
        conn.execute(
            sa.text("UPDATE regions SET embedding = NULL WHERE name IN (SELECT name FROM regions LIMIT 2)")
        )
    panel = new_panel(qtbot, regions_db)
    bar = panel.stale_bar
    counted(qtbot, panel, lambda: panel.choose_target("regions"))
    assert bar.stale == 2 and "changes not tracked" in bar.badge.toolTip()
    questions: list[int] = []

    def agree() -> bool:
        questions.append(1)
        return True

    bar.ask_to_track = agree
    with qtbot.waitSignal(bar.reembedded, timeout=60_000) as done:
        bar.reembed_button.click()
    assert questions == [1] and done.args == [2]
    catalog = panel.open_db.catalog
    assert catalog is not None and "warden_embedding_state" in catalog.entities
    qtbot.waitUntil(lambda: bar.badge.text() == "Up to date", timeout=10_000)
    count = count_stale(regions_db, catalog, "regions")
    assert (count.tracked, count.missing, count.changed, count.untracked) == (True, 0, 0, 14)


def test_reembed_all_rows_embeds_every_row_again(qtbot: QtBot, regions_db: Database) -> None:
    """Re-embed All Rows (the "…" menu) embeds every row, fresh or not, audited as such."""
    panel = new_panel(qtbot, regions_db)
    bar = panel.stale_bar
    counted(qtbot, panel, lambda: panel.choose_target("regions"))
    assert bar.badge.text() == "Up to date" and bar.more_button.isEnabled()
    (total,) = regions(regions_db, "SELECT count(*) FROM regions")[0]
    with qtbot.waitSignal(bar.reembedded, timeout=60_000) as done:
        bar.reembed_all_action.trigger()
    assert done.args == [total]
    reasons = regions(regions_db, "SELECT reason FROM admin_audit_log WHERE entity = 'regions'")
    assert [r[0] for r in reasons] == ["re-embedding all rows"] * total


def test_reembed_selected_rows_from_the_row_menu(qtbot: QtBot, regions_path: str) -> None:
    """A table's row menu re-embeds the selected rows (whatever their state), on a worker, audited."""
    from PySide6.QtCore import QItemSelectionModel

    from gui.editor.cell_commands import context_menu

    window = open_window(qtbot, regions_path)
    follower = save_reembed.attach(window)
    editor = open_editor(qtbot, window, "regions")
    selection = editor.view.selectionModel()
    for row in (0, 2):
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        selection.select(editor.model.index(row, 1), flags)
    menu = context_menu(editor, editor.model.index(0, 1))
    action = next(a for a in menu.actions() if a.objectName() == "reembedRowsAction")
    assert action.isEnabled() and "2 selected saved rows" in action.toolTip()
    reembedded = qtbot.waitSignal(follower.reembedded, timeout=60_000)
    with statement_threads(sa.Engine) as idents, reembedded as done:
        action.trigger()
    assert threading.main_thread().ident not in idents
    assert done.args == ["regions", 2]
    db = open_database(regions_path)
    try:
        reasons = regions(db, "SELECT reason FROM admin_audit_log WHERE entity = 'regions'")
        assert [r[0] for r in reasons] == ["re-embedding selected rows"] * 2
    finally:
        db.dispose()
