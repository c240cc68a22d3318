"""How stored values read in the grid: JSON kept in TEXT, empty text versus NULL, vector tooltips."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.engine.db import Database, open_database
from core.schema.catalog import Catalog, ColumnInfo
from core.schema.load import load_catalog
from gui.editor.delegates.json_editor import pretty
from gui.editor.model.cells import EMPTY_TEXT, display_text, full_text, json_text, tooltip_text
from gui.editor.model.roles import PLACEHOLDER_TEXT, Role
from gui.editor.model.table_model import TableEditorModel
from tests.fixtures.foreign import build_foreign

DISPLAY, EDIT, TIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ToolTipRole
FONT, FOREGROUND = Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ForegroundRole
KEYWORDS = ["k1", "k2", "ünï"]


@pytest.fixture
def ideas(tmp_path: Path) -> Iterator[tuple[Database, Catalog]]:
    """A foreign SQLite file like ideas.db: JSON kept in TEXT columns (`keywords`, and the fixture's
    `guilds.extra`), plus a NOT NULL text column holding an empty string."""
    path = tmp_path / "ideas.db"
    build_foreign(str(path))
    raw = sa.create_engine(f"sqlite:///{path}")
    with raw.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE ideas (id INTEGER PRIMARY KEY, title TEXT NOT NULL, keywords TEXT,"
            " note TEXT NOT NULL)"
        )
        for i in range(3):
            conn.execute(
                sa.text("INSERT INTO ideas (title, keywords, note) VALUES (:t, :k, :n)"),
                {
                    "t": f"idea {i}",
                    "k": json.dumps(KEYWORDS[: i + 1], ensure_ascii=False),
                    "n": "" if i else "x",
                },
            )
        conn.exec_driver_sql("UPDATE guilds SET motto = NULL WHERE guild_id = 1")
    raw.dispose()
    db = open_database(str(path))
    yield db, load_catalog(db)
    db.dispose()


def open_model(qtbot: QtBot, db: Database, catalog: Catalog, entity: str) -> TableEditorModel:
    """A model with its first page loaded."""
    model = TableEditorModel(db, catalog, entity)
    qtbot.waitUntil(
        lambda: model.rowCount() > 0 and model.row_key(model.rowCount() - 1) is not None, timeout=10_000
    )
    return model


def cell_of(model: TableEditorModel, row: int, name: str) -> object:
    """The index of a cell by column name."""
    return model.index(row, model.entity.column_names.index(name))


def test_json_kept_in_text_reads_as_compact_json(qtbot: QtBot, ideas: tuple[Database, Catalog]) -> None:
    """ideas.keywords (TEXT holding JSON) reads ["k1", "k2"] in the grid, not "[\\"k1\\", \\"k…"."""
    db, catalog = ideas
    assert catalog.get("ideas").column("keywords").kind == "json"  # reflection saw JSON in the TEXT
    model = open_model(qtbot, db, catalog, "ideas")
    keywords = cell_of(model, 1, "keywords")
    assert isinstance(keywords.data(EDIT), str)  # stored, and read, as text
    assert keywords.data(DISPLAY) == '["k1", "k2"]'
    assert cell_of(model, 2, "keywords").data(DISPLAY) == '["k1", "k2", "ünï"]'
    assert keywords.data(Role.FULL_TEXT) == '["k1", "k2"]'  # copy gives the JSON, not a quoted string
    assert "\\" not in keywords.data(DISPLAY)
    # The grid, the JSON editor and the export agree on the value.
    assert json.loads(keywords.data(DISPLAY)) == json.loads(pretty(keywords.data(EDIT))) == KEYWORDS[:2]
    guilds = open_model(qtbot, db, catalog, "guilds")
    assert cell_of(guilds, 0, "extra").data(DISPLAY) == '{"founded": 900, "colors": ["red"]}'


def test_json_text_helpers() -> None:
    info = ColumnInfo("keywords", "TEXT", "json", True, False)
    assert json_text('[ "a",\n  1 ]') == '["a", 1]'
    assert json_text('{"a": 1,,}') == '{"a": 1,,}'  # not JSON (typed and staged invalid): shown as typed
    assert full_text(info, b'{"x": null}') == '{"x": null}'
    assert display_text(info, {"a": [1, 2]}) == '{"a": [1, 2]}'  # parsed JSON as before


def test_empty_text_reads_empty_and_null_reads_null(qtbot: QtBot, ideas: tuple[Database, Catalog]) -> None:
    """An empty string shows "(empty)", grey and italic: distinct from NULL and from a blank cell."""
    db, catalog = ideas
    model = open_model(qtbot, db, catalog, "ideas")
    empty, filled = cell_of(model, 1, "note"), cell_of(model, 0, "note")
    assert empty.data(EDIT) == "" and empty.data(DISPLAY) == EMPTY_TEXT == "(empty)"
    assert empty.data(FOREGROUND) == PLACEHOLDER_TEXT and empty.data(FONT).italic()
    assert filled.data(DISPLAY) == "x" and filled.data(FOREGROUND) is None and filled.data(FONT) is None
    guilds = open_model(qtbot, db, catalog, "guilds")
    null = cell_of(guilds, 0, "motto")
    assert null.data(EDIT) is None and null.data(DISPLAY) == "NULL"
    assert null.data(FOREGROUND) == PLACEHOLDER_TEXT
    assert null.data(FONT) is None or not null.data(FONT).italic()
    # Staged: an edit to "" reads (empty) on its staged background, and NULL still reads NULL.
    assert model.setData(filled, "", EDIT)
    assert filled.data(DISPLAY) == "(empty)" and filled.data(FONT).italic() and filled.data(Role.STAGED)
    assert model.setData(empty, None, EDIT)
    assert empty.data(DISPLAY) == "NULL"


def test_vector_tooltips_are_a_summary(qtbot: QtBot, ideas: tuple[Database, Catalog]) -> None:
    """Dimension, norm and the first 8 values; never every float."""
    rng = np.random.default_rng(7)
    vec = rng.normal(size=384).astype(np.float32)
    info = ColumnInfo("embedding", "VECTOR(384)", "vector", True, False, vector_dim=384)
    tip = tooltip_text(info, vec)
    first, values = tip.split("\n")
    assert first == f"384 dimensions · norm {float(np.linalg.norm(vec.astype('float64'))):.4g}"
    shown = values.strip("[]").split(", ")
    assert len(shown) == 9 and shown[-1] == "…"
    assert [float(x) for x in shown[:8]] == pytest.approx(vec[:8].tolist(), rel=1e-3)
    assert len(tip) < 200
    assert len(full_text(info, vec)) > 2000  # copy still gives every value
    assert tooltip_text(info, np.ones(3, dtype=np.float32)) == "3 dimensions · norm 1.732\n[1, 1, 1]"

    db, catalog = ideas  # and in the grid: members.bio_embedding, an 8-d float32 BLOB
    model = open_model(qtbot, db, catalog, "members")
    cell = cell_of(model, 0, "bio_embedding")
    assert cell.data(TIP).startswith("8 dimensions · norm ") and "…" not in cell.data(TIP)
