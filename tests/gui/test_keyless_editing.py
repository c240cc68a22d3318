"""Editing tables without a declared primary key in the table editor: a rowid link table and a table keyed by
a unique NOT NULL column; the grid and the record form say what identifies the row (issue 14)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.data.recovery import Recovery, dumps, loads
from core.data.repository import fetch_page
from core.engine.db import Database, open_database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from gui.audit import audited_save
from gui.editor.model.table_model import TableEditorModel
from gui.editor.recovery import restore_into, table_of
from tests.fixtures.editing import shown_editor
from tests.fixtures.keyless import SPELL_CLASSES, build_keyless_sqlite

EDIT = Qt.ItemDataRole.EditRole
TIP = Qt.ItemDataRole.ToolTipRole


@pytest.fixture
def keyless(tmp_path: Path) -> Iterator[tuple[Path, Database, Catalog]]:
    path = tmp_path / "keyless.db"
    build_keyless_sqlite(str(path))
    db = open_database(str(path))
    audited_save.set_audit_off(db)  # no audit log: its saves go unaudited, as if the user had chosen so
    yield path, db, load_catalog(db)
    db.dispose()


def _stored(db: Database, catalog: Catalog, name: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in fetch_page(db, catalog, name).rows]


def _loaded(qtbot: QtBot, db: Database, catalog: Catalog, name: str) -> TableEditorModel:
    model = TableEditorModel(db, catalog, name)
    qtbot.waitUntil(lambda: model.exact and model.row_key(model.rowCount() - 1) is not None, timeout=10_000)
    return model


def test_grid_edits_inserts_and_deletes_a_rowid_table(
    qtbot: QtBot, keyless: tuple[Path, Database, Catalog]
) -> None:
    _path, db, catalog = keyless
    model = _loaded(qtbot, db, catalog, "spell_classes")
    names = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert names == ["spell_id", "class_id", "rowid"]
    rowid, class_id = names.index("rowid"), names.index("class_id")
    tip = model.headerData(rowid, Qt.Orientation.Horizontal, TIP)
    assert tip == "rowid — identifies the row in this table; VACUUM may renumber it"
    assert model.row_key(3) == {"rowid": 4}
    # The rowid is never edited: not on a saved row, not on a new one.
    assert not model.flags(model.index(0, rowid)) & Qt.ItemFlag.ItemIsEditable
    new = model.insert_row({"spell_id": 2, "class_id": 30})
    assert not model.flags(model.index(new, rowid)) & Qt.ItemFlag.ItemIsEditable
    assert model.flags(model.index(new, class_id)) & Qt.ItemFlag.ItemIsEditable
    # Of the two equal rows (rowids 4 and 5), edit the second one only.
    fifth = next(r for r in range(model.rowCount()) if model.row_key(r) == {"rowid": 5})
    assert model.setData(model.index(fifth, class_id), 40, EDIT)
    with qtbot.waitSignal(model.saved, timeout=10_000):
        model.save()
    assert _stored(db, catalog, "spell_classes") == [
        *((*r, i) for i, r in enumerate(SPELL_CLASSES[:4], 1)),
        (2, 40, 5),
        (2, 30, 6),
    ]


def test_a_rowid_edit_is_checked_whole_and_never_merged_without_asking(
    qtbot: QtBot, keyless: tuple[Path, Database, Catalog]
) -> None:
    """Another program deleted a row and ran VACUUM: rowid 2 now names the row that was 3, which has the
    same spell_id. My edit of rowid 2's spell_id conflicts (the whole row is compared), and the editor asks
    instead of re-basing my edit on that other row."""
    path, db, catalog = keyless
    model = _loaded(qtbot, db, catalog, "spell_classes")
    spell_id = 0
    second = next(r for r in range(model.rowCount()) if model.row_key(r) == {"rowid": 2})
    assert model.setData(model.index(second, spell_id), 2, EDIT)
    db.engine.dispose()
    other = sqlite3.connect(path)
    other.execute("DELETE FROM spell_classes WHERE rowid = 1")
    other.commit()
    other.execute("VACUUM")
    other.close()
    before = _stored(db, catalog, "spell_classes")
    assert before[1] == (1, 30, 2)  # renumbered
    with qtbot.waitSignal(model.conflicted, timeout=10_000) as blocker:
        model.save()
    assert [c.key for c in blocker.args[0]] == [{"rowid": 2}]
    assert _stored(db, catalog, "spell_classes") == before  # nothing written


def test_grid_saves_a_table_keyed_by_a_unique_column_and_says_so(
    qtbot: QtBot, keyless: tuple[Path, Database, Catalog]
) -> None:
    _path, db, catalog = keyless
    model = _loaded(qtbot, db, catalog, "runes")
    names = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert names == ["code", "alias", "power", "note"]  # no rowid: the unique code is the key
    tip = model.headerData(0, Qt.Orientation.Horizontal, TIP)
    assert "unique and required: identifies the row" in tip
    assert model.row_key(0) == {"code": "ka"}
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable  # a key is not edited in place
    assert model.setData(model.index(0, names.index("note")), "hot", EDIT)
    with qtbot.waitSignal(model.saved, timeout=10_000):
        model.save()
    assert _stored(db, catalog, "runes")[0] == ("ka", "fire", 3, "hot")


def test_record_form_says_the_rowid_identifies_the_row(
    qtbot: QtBot, keyless: tuple[Path, Database, Catalog]
) -> None:
    _path, db, catalog = keyless
    editor = shown_editor(qtbot, db, catalog, "spell_classes", (1100, 500))
    form = editor.show_form(1)
    qtbot.waitUntil(lambda: form.key == {"rowid": 2}, timeout=10_000)
    assert "rowid 2" in form.subtitle.text()
    assert "identified by SQLite's rowid, which VACUUM may renumber" in form.subtitle.text()
    label = form.fields_layout.labelForField(form.field("rowid"))
    assert label is not None and "VACUUM may renumber it" in label.toolTip()


def test_a_recovered_rowid_edit_restored_after_a_vacuum_conflicts(
    qtbot: QtBot, keyless: tuple[Path, Database, Catalog]
) -> None:
    """A crash-recovery file keeps a rowid-keyed edit with the whole row as loaded; restored after another
    program's VACUUM renumbered the rows, its save conflicts instead of writing the row now at its rowid."""
    path, db, catalog = keyless
    model = _loaded(qtbot, db, catalog, "spell_classes")
    second = next(r for r in range(model.rowCount()) if model.row_key(r) == {"rowid": 2})
    assert model.setData(model.index(second, 0), 2, EDIT)  # spell_id 1 → 2 on (1, 20)
    recovery = loads(dumps(Recovery(str(path), dt.datetime.now(dt.UTC), [table_of(model.staging)])))
    model.revert()
    db.engine.dispose()
    other = sqlite3.connect(path)
    other.execute("DELETE FROM spell_classes WHERE rowid = 1")
    other.commit()
    other.execute("VACUUM")
    other.close()
    fresh = _loaded(qtbot, db, catalog, "spell_classes")
    before = _stored(db, catalog, "spell_classes")
    assert before[1] == (1, 30, 2)  # rowid 2 has the same spell_id the edit was loaded with
    restore_into(fresh, recovery.tables[0])
    with qtbot.waitSignal(fresh.conflicted, timeout=10_000) as blocker:
        fresh.save()
    assert [c.key for c in blocker.args[0]] == [{"rowid": 2}]
    assert _stored(db, catalog, "spell_classes") == before
