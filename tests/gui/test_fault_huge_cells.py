"""Huge cells in the grid: a 10 MB text and a 50 MB BLOB. Painting and hovering them allocates a bounded
summary, not a copy of the value per cell-paint (measured with tracemalloc, not a wall clock); the grid
shows a one-line summary, the tooltip a bounded excerpt with the size; the whole value is still there on
request (the cell editor's value, Copy's full text, the record form's field)."""

from __future__ import annotations

import json
import sqlite3
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.data.repository import to_jsonable
from core.engine.db import Database, open_database
from core.schema.load import load_catalog
from gui.editor.model import roles
from gui.editor.model.cells import TOOLTIP_LIMIT, json_head
from gui.editor.model.roles import Role
from tests.fixtures.editing import column, shown_editor

MB = 1024 * 1024
TEXT = ("A long line of a report, with words. " * 30 + "\n") * (10 * MB // 1111)  # ~10 MB, with newlines
BLOB = bytes(range(256)) * (50 * MB // 256)  # 50 MB
DISPLAY = Qt.ItemDataRole.DisplayRole
TIP = Qt.ItemDataRole.ToolTipRole
EDIT = Qt.ItemDataRole.EditRole
#: What one look at a huge cell may allocate in Python: a summary's worth, far from the value's size.
BOUND = 256 * 1024


@pytest.fixture
def huge(tmp_path: Path) -> Iterator[Database]:
    """A file with a row holding a 10 MB text (also as JSON text) and a 50 MB BLOB, and a small row."""
    path = tmp_path / "huge.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE files (id INTEGER PRIMARY KEY, body TEXT, data BLOB, doc JSON)")
    conn.execute("INSERT INTO files VALUES (1, ?, ?, ?)", (TEXT, BLOB, '{"text": "' + "y" * (10 * MB) + '"}'))
    conn.execute("INSERT INTO files VALUES (2, 'small', x'0102', '{}')")
    conn.commit()
    conn.close()
    db = open_database(path)
    yield db
    db.dispose()


def _peak(fn: object) -> int:
    """Peak bytes Python allocated while `fn` ran (tracemalloc), beyond what was allocated before."""
    assert callable(fn)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_huge_cells_paint_and_hover_as_bounded_summaries_and_open_whole_on_request(
    qtbot: QtBot, huge: Database
) -> None:
    editor = shown_editor(qtbot, huge, load_catalog(huge), "files")
    model = editor.model
    qtbot.waitUntil(lambda: model.row_key(1) is not None, timeout=10_000)
    cells = {name: model.index(0, column(editor, name)) for name in ("body", "data", "doc")}

    def look_at_every_huge_cell() -> None:
        for index in cells.values():
            for role in (DISPLAY, TIP, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole):
                model.data(index, role)

    look_at_every_huge_cell()  # once before measuring: caches of labels and fonts filled
    assert _peak(look_at_every_huge_cell) < BOUND
    assert _peak(lambda: editor.view.viewport().grab()) < BOUND  # a whole paint of the grid

    for name, index in cells.items():
        text = model.data(index, DISPLAY)
        assert isinstance(text, str) and 0 < len(text) <= roles.DISPLAY_LIMIT and "\n" not in text, name
        tip = model.data(index, TIP)
        assert isinstance(tip, str) and len(tip) <= TOOLTIP_LIMIT + 100, (name, len(tip))
        assert tip.endswith("copy or edit the cell for all of it)"), tip[-100:]
    for name in ("body", "data"):  # the tooltip says how big the whole value is
        assert " MB in all; " in model.data(cells[name], TIP)
    assert model.data(cells["body"], DISPLAY).startswith("A long line of a report, with words. A long")
    assert model.data(cells["data"], DISPLAY).startswith("0x000102030405")
    assert model.data(cells["doc"], DISPLAY).startswith('{"text": "yyyy')

    # The whole value, on request: what the cell editor opens with, and what Copy puts on the clipboard.
    assert model.data(cells["body"], EDIT) == TEXT
    assert model.data(cells["data"], EDIT) == BLOB
    assert model.data(cells["body"], Role.FULL_TEXT) == TEXT
    editor.view.setCurrentIndex(cells["body"])
    assert editor.view.currentIndex() == cells["body"]


def test_small_cells_read_as_before(qtbot: QtBot, huge: Database) -> None:
    editor = shown_editor(qtbot, huge, load_catalog(huge), "files")
    model = editor.model
    qtbot.waitUntil(lambda: model.row_key(1) is not None, timeout=10_000)
    row = 1 if model.data(model.index(1, 0), DISPLAY) == "2" else 0
    assert model.data(model.index(row, column(editor, "body")), DISPLAY) == "small"
    assert model.data(model.index(row, column(editor, "data")), DISPLAY) == "0x0102"
    assert model.data(model.index(row, column(editor, "data")), TIP) is None  # short: no tooltip


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.uuids() | st.decimals(places=2),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=20,
)


@given(_json, st.integers(min_value=0, max_value=200))
def test_json_head_is_the_start_of_the_whole_json_text(value: object, n: int) -> None:
    whole = json.dumps(to_jsonable(value), ensure_ascii=False)
    assert json_head(value, 10**9) == (whole, False)
    head, cut = json_head(value, n)
    assert head == whole[:n] and cut == (len(whole) > n)
