"""The quick filter of a table an FTS index covers searches through it, and the filter bar says so.

On a real SQLite file made with raw SQL (tests/fixtures/virtual_tables.py); a view and the virtual tables
open read-only, a view's rows still get the record form.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.engine.db import Database, open_database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from gui.editor.view import TableEditor
from gui.runtime import workers
from tests.fixtures.virtual_tables import build_virtual_tables

SHOTS = Path("/tmp/warden_shots")


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[tuple[Database, Catalog]]:
    """The virtual-tables file opened by Warden, and its catalog."""
    folder = tmp_path / "theirs"
    folder.mkdir()
    db = open_database(build_virtual_tables(folder / "virtual.db"))
    try:
        yield db, load_catalog(db)
        workers.wait_idle()
    finally:
        db.dispose()


def _open(qtbot: QtBot, db: Database, catalog: Catalog, entity: str) -> TableEditor:
    editor = TableEditor(db, catalog, entity)
    qtbot.addWidget(editor)
    editor.resize(900, 420)
    editor.show()
    qtbot.waitUntil(lambda: editor.model.rowCount() > 0 and editor.count is not None, timeout=10_000)
    return editor


def _search(qtbot: QtBot, editor: TableEditor, text: str) -> list[int]:
    """Type into the quick filter, apply, and the ids of the rows the grid then shows."""
    editor.filter_bar.quick.setText(text)
    editor.filter_bar.apply_now()
    qtbot.waitUntil(lambda: editor.model.window.query.quick == (text.strip() or None), timeout=10_000)
    qtbot.waitUntil(lambda: not editor.model.loading_rows, timeout=10_000)
    return [int(editor.model.index(r, 0).data()) for r in range(editor.model.rowCount())]


def test_quick_filter_uses_the_fulltext_index(qtbot: QtBot, opened: tuple[Database, Catalog]) -> None:
    """'Full-text search (FTS5 index items_fts)…'; words match from their start; FTS syntax is no error."""
    db, catalog = opened
    editor = _open(qtbot, db, catalog, "items")
    assert editor.filter_bar.quick.placeholderText().startswith("Full-text search (FTS5 index items_fts)…")
    assert "items_fts" in editor.filter_bar.quick.toolTip()
    SHOTS.mkdir(exist_ok=True)
    editor.grab().save(str(SHOTS / "fulltext_filter_placeholder.png"))
    assert _search(qtbot, editor, "drag") == [1, 4]
    assert _search(qtbot, editor, "ragon") == []  # words, not substrings: the index answered
    for typed in ('NEAR("dragon', "AND", "title:", "*"):
        _search(qtbot, editor, typed)
        assert editor.message.text() == "", typed  # no error shown
    assert _search(qtbot, editor, "breath") == [1]
    editor.grab().save(str(SHOTS / "fulltext_filter.png"))


def test_other_tables_keep_their_quick_filter(qtbot: QtBot, opened: tuple[Database, Catalog]) -> None:
    """A table no index covers keeps 'Search text, JSON and numbers…' and its substring search."""
    db, catalog = opened
    editor = _open(qtbot, db, catalog, "boxes_labels")
    assert editor.filter_bar.quick.placeholderText().startswith("Search text, JSON and numbers…")
    assert _search(qtbot, editor, "hadow") == [1]


def test_a_view_is_read_only_and_has_a_record_form(qtbot: QtBot, opened: tuple[Database, Catalog]) -> None:
    """The view opens read-only with the reason, and its row shows in the record form."""
    db, catalog = opened
    editor = _open(qtbot, db, catalog, "cheap_items")
    assert "read-only" in editor.banner.text() and "view" in editor.banner.text()
    form = editor.show_form(0)
    qtbot.waitUntil(lambda: "Loading" not in form.references.text(), timeout=10_000)
    assert form.field("title").text() == editor.model.index(0, 1).data()


def test_a_fulltext_table_opens_read_only(qtbot: QtBot, opened: tuple[Database, Catalog]) -> None:
    """The FTS table itself: read-only, saying which table to edit instead; its quick filter uses MATCH."""
    db, catalog = opened
    editor = _open(qtbot, db, catalog, "items_fts")
    assert "full-text index (FTS5) of items" in editor.banner.text()
    assert _search(qtbot, editor, "gem") == [3]
