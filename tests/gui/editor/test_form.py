"""The record form: related rows through foreign keys in both directions, loaded in a worker."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from core.data.repository import Filter
from core.engine.db import Database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from gui.editor.form import RecordForm
from gui.editor.related_tab import nice
from tests.fixtures.world import busy_location

SHOTS = Path("/tmp/warden_shots")


def _count(db: Database, sql: str, key: dict[str, Any]) -> int:
    raw = key["id"] if db.backend == "postgresql" else key["id"].hex
    with db.engine.connect() as conn:
        return int(conn.execute(sa.text(sql), {"id": raw}).scalar_one())


def test_related_tabs_of_a_location(qtbot: QtBot, demo_copy: tuple[Database, Catalog]) -> None:
    """Objects, NPCs, outgoing and incoming connections each get a tab titled with its count."""
    db, catalog = demo_copy
    key = busy_location(db)
    form = RecordForm(db, catalog, "locations")
    qtbot.addWidget(form)
    with qtbot.waitSignal(form.related_loaded, timeout=10_000):
        form.load(key, "Somewhere")
    titles = form.tab_titles()
    npcs = _count(db, "SELECT count(*) FROM npcs WHERE location_id = :id", key)
    objects = _count(db, "SELECT count(*) FROM objects WHERE location_id = :id", key)
    out = _count(db, "SELECT count(*) FROM location_connections WHERE source_location_id = :id", key)
    into = _count(db, "SELECT count(*) FROM location_connections WHERE target_location_id = :id", key)
    assert f"npcs ({npcs})" in titles
    assert f"objects ({objects})" in titles
    assert f"location connections via source location ({out})" in titles
    assert f"location connections via target location ({into})" in titles
    assert "→ region (1)" in titles
    summary = form.references.text()
    assert "What references this?" in summary
    assert form.title.text() == "Somewhere"
    assert f"npcs ({npcs})" in summary and f"objects ({objects})" in summary

    tab = form.related_tab("npcs")
    assert tab.table.rowCount() == npcs
    # The bold first column is the label; the label column is not shown a second time.
    headers = [tab.table.horizontalHeaderItem(c).text() for c in range(tab.table.columnCount())]
    label = catalog.get("npcs").label
    assert label is not None
    assert headers[0] == nice(label) and nice(label) not in headers[1:]
    if npcs:
        names = [tab.table.item(r, 0).text() for r in range(npcs)]
        assert sorted(names) == sorted(tab.group.labels)
    with qtbot.waitSignal(form.open_entity_requested) as opened:
        tab.open_button.click()
    assert opened.args == ["npcs", [Filter("location_id", "eq", key["id"])]]
    with qtbot.waitSignal(form.open_entity_requested) as opened:
        tab.table.doubleClicked.emit(tab.table.model().index(0, 1))
    entity, filters = opened.args
    assert entity == "npcs" and [f.column for f in filters] == ["id"]

    region = form.related_tab("→ region")
    with qtbot.waitSignal(form.open_entity_requested) as opened:
        region.open_button.click()
    assert opened.args[0] == "regions" and opened.args[1][0].column == "id"

    if db.backend == "sqlite":
        form.resize(560, 520)
        form.tabs.setCurrentIndex(
            form.tab_titles().index(f"location connections via source location ({out})") + 1
        )
        SHOTS.mkdir(exist_ok=True)
        form.grab().save(str(SHOTS / "form_related.png"))


def test_unsaved_row_has_no_related_rows(qtbot: QtBot, sqlite_db: Database) -> None:
    """A row without a key (a staged insert) shows a note and starts no worker."""
    form = RecordForm(sqlite_db, load_catalog(sqlite_db), "locations")
    qtbot.addWidget(form)
    form.load(None)
    assert form.tab_titles() == []
    assert "Save the row" in form.references.text()


def test_missing_row_reports_inline(qtbot: QtBot, sqlite_db: Database) -> None:
    """A row deleted meanwhile gives an inline message, not a dialog."""
    form = RecordForm(sqlite_db, load_catalog(sqlite_db), "locations")
    qtbot.addWidget(form)
    with qtbot.waitSignal(form.related_failed, timeout=10_000):
        form.load({"id": uuid.uuid4()})
    assert "Could not load" in form.references.text()
