"""The grid with generated, identity, domain, array, server-checked and unknown-type columns (issue 14):
read-only where the database computes, defaults shown in a new row, the array editor, and a bad inet that
writes nothing and lands on its cell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem, QWidget
from pytestqt.qtbot import QtBot

from core.engine.db import Database, open_database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from gui.audit import audited_save
from gui.editor.delegates.array_editor import ArrayEditor
from gui.editor.delegates.cell_delegate import CellDelegate
from gui.editor.delegates.editors import ValueLineEdit
from gui.editor.form import RecordForm
from gui.editor.model.roles import Role
from gui.editor.model.table_model import TableEditorModel
from gui.runtime import workers
from tests.fixtures.pg_types import build_pg_types, build_sqlite_generated
from tests.fixtures.postgres import new_pg_database
from tests.fixtures.table_model import col, open_model, saved

EDIT = Qt.ItemDataRole.EditRole
EDITABLE = Qt.ItemFlag.ItemIsEditable


@pytest.fixture
def spells(pg_server: object) -> Iterator[tuple[Database, Catalog]]:
    url = new_pg_database(pg_server, vector=False)
    build_pg_types(url)
    db = open_database(url)
    audited_save.set_audit_off(db)  # no audit log: its saves go unaudited, as if the user had chosen so
    yield db, load_catalog(db)
    workers.wait_idle()
    db.dispose()


def stored(db: Database, sql: str) -> list[tuple[object, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def editable(model: TableEditorModel, row: int, name: str) -> bool:
    return bool(model.flags(model.index(row, col(model, name))) & EDITABLE)


def test_the_database_computed_columns_are_read_only_and_the_rest_editable(qtbot: QtBot, spells) -> None:
    db, catalog = spells
    model = open_model(qtbot, db, catalog, "spells")
    for name in ("cost_total", "search", "spot"):
        assert not editable(model, 0, name), name
    for name in ("name", "mana", "code", "tags", "levels", "cooldown", "host"):
        assert editable(model, 0, name), name
    new = model.insert_row()
    assert not editable(model, new, "spell_id") and not editable(model, new, "cost_total")
    assert editable(model, new, "code")  # identity BY DEFAULT: a number may be typed


def test_a_new_row_shows_what_the_database_will_supply(qtbot: QtBot, spells) -> None:
    db, catalog = spells
    model = open_model(qtbot, db, catalog, "spells")
    new = model.insert_row()
    hints = {n: model.look(new, col(model, n)).text for n in ("spell_id", "cost_total", "created_at", "mana")}
    assert hints == {
        "spell_id": "(auto)",
        "cost_total": "(generated)",
        "created_at": "default: now()",
        "mana": "default: 10",
    }
    assert model.look(new, col(model, "created_at")).foreground is not None  # grey, like NULL


def test_headers_say_domain_check_generated_and_why_read_only(qtbot: QtBot, spells) -> None:
    db, catalog = spells
    model = open_model(qtbot, db, catalog, "spells")

    def tip(name: str) -> str:
        return str(model.headerData(col(model, name), Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole))

    assert "positive_int" in tip("mana") and "VALUE > 0" in tip("mana")
    assert "* 2" in tip("cost_total") and "Read-only" in tip("cost_total")
    assert "Read-only" in tip("search") and "tsvector" in tip("search")
    assert "checks each inet value" in tip("host")
    font = Qt.ItemDataRole.FontRole
    assert model.headerData(col(model, "cost_total"), Qt.Orientation.Horizontal, font).italic()
    assert model.headerData(col(model, "name"), Qt.Orientation.Horizontal, font) is None


def test_a_bad_inet_writes_nothing_and_marks_its_cell(qtbot: QtBot, spells) -> None:
    db, catalog = spells
    model = open_model(qtbot, db, catalog, "spells")
    model.setData(model.index(0, col(model, "name")), "Renamed")
    model.setData(model.index(0, col(model, "host")), "10.0.0.300")
    with qtbot.waitSignal(model.save_failed, timeout=10_000):
        model.save()
    assert "inet" in model.index(0, col(model, "host")).data(Role.ERROR)
    assert model.index(0, col(model, "name")).data(Role.ERROR) is None
    assert stored(db, "SELECT name, host::text FROM spells") == [("Fireball", "10.0.0.1/32")]
    model.setData(model.index(0, col(model, "host")), "10.0.0.3")
    saved(qtbot, model)
    assert stored(db, "SELECT name, host::text FROM spells") == [("Renamed", "10.0.0.3/32")]


def test_an_identity_always_row_gets_its_number_after_save(qtbot: QtBot, spells) -> None:
    db, catalog = spells
    model = open_model(qtbot, db, catalog, "spells")
    new = model.insert_row()
    model.setData(model.index(new, col(model, "name")), "Frost")
    result = saved(qtbot, model)
    assert [r.key for r in result.inserted] == [{"spell_id": 2}]
    assert stored(db, "SELECT spell_id, cost_total FROM spells ORDER BY spell_id") == [(1, 10), (2, 20)]


def test_the_array_editor_round_trips_an_int_array(qtbot: QtBot, spells) -> None:
    db, catalog = spells
    model = open_model(qtbot, db, catalog, "spells")
    host = QWidget()
    qtbot.addWidget(host)
    delegate = CellDelegate(host)
    index = model.index(0, col(model, "levels"))
    editor = delegate.createEditor(host, QStyleOptionViewItem(), index)
    assert isinstance(editor, ArrayEditor)
    delegate.setEditorData(editor, index)
    assert editor.text_edit.toPlainText() == "1\n2\n3"  # one item per line
    editor.text_edit.setPlainText("4\nfive\n6")
    assert not editor.is_valid() and "Line 2" in editor.status.text()
    delegate.setModelData(editor, model, index)  # a click away: staged as typed, marked on its cell
    assert "item 2" in model.index(0, col(model, "levels")).data(Role.ERROR)
    editor.text_edit.setPlainText("4\n\n6\n")
    assert editor.is_valid() and "2 items" in editor.status.text()
    delegate.setModelData(editor, model, index)
    assert model.index(0, col(model, "levels")).data(EDIT) == [4, 6]
    saved(qtbot, model)
    assert stored(db, "SELECT levels, tags FROM spells") == [([4, 6], ["fire", "area"])]


def test_a_text_array_with_a_line_break_opens_as_json(qtbot: QtBot, spells) -> None:
    db, catalog = spells
    model = open_model(qtbot, db, catalog, "spells")
    model.setData(model.index(0, col(model, "tags")), ["two\nlines", "x"])
    host = QWidget()
    qtbot.addWidget(host)
    delegate = CellDelegate(host)
    index = model.index(0, col(model, "tags"))
    editor = delegate.createEditor(host, QStyleOptionViewItem(), index)
    delegate.setEditorData(editor, index)
    assert isinstance(editor, ArrayEditor) and editor.text_edit.toPlainText() == '["two\\nlines", "x"]'
    assert editor.value() == ["two\nlines", "x"]


def test_sqlite_generated_columns_are_read_only_in_the_grid(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "potions.db"
    build_sqlite_generated(str(path))
    db = open_database(str(path))
    try:
        model = open_model(qtbot, db, load_catalog(db), "potions")
        assert not editable(model, 0, "price_x2") and not editable(model, 0, "label")
        assert editable(model, 0, "price")
        new = model.insert_row()
        assert model.look(new, col(model, "price_x2")).text == "(generated)"
        assert model.look(new, col(model, "price")).text == "default: 5"
        workers.wait_idle()
    finally:
        db.dispose()


def test_the_record_form_shows_a_new_rows_defaults_and_does_not_edit_computed_fields(
    qtbot: QtBot, spells
) -> None:
    db, catalog = spells
    model = open_model(qtbot, db, catalog, "spells")
    form = RecordForm(db, catalog, "spells", delegate=CellDelegate())
    qtbot.addWidget(form)
    form.set_model(model)
    new = model.insert_row()
    form.set_row(new)
    assert form.field("created_at").text() == "default: now()"
    assert form.field("cost_total").text() == "(generated)"
    assert not form.field("cost_total").start_editing() and not form.field("spell_id").start_editing()
    assert form.field("name").start_editing()
    form.finish_editing(commit=False)


def test_a_paste_over_a_generated_column_is_refused_on_that_cell(qtbot: QtBot, spells) -> None:
    db, catalog = spells
    model = open_model(qtbot, db, catalog, "spells")
    preview = model.paste_preview(model.index(0, col(model, "mana")), "7\tABC\t99")  # mana, rune, cost_total
    problems = {c.column: c.problem for c in preview.cells}
    assert problems["mana"] is None and problems["rune"] is None
    assert "computed by the database" in (problems["cost_total"] or "")
    assert not model.apply_paste(preview)
    new = model.insert_row()
    onto_new = model.paste_preview(model.index(new, col(model, "mana")), "7\tABC\t")  # blank: the database's
    assert onto_new.ok and model.apply_paste(onto_new)


def test_an_interval_is_edited_as_the_server_reads_it(qtbot: QtBot, spells) -> None:
    db, catalog = spells
    model = open_model(qtbot, db, catalog, "spells")
    host = QWidget()
    qtbot.addWidget(host)
    delegate = CellDelegate(host)
    index = model.index(0, col(model, "cooldown"))
    editor = delegate.createEditor(host, QStyleOptionViewItem(), index)
    delegate.setEditorData(editor, index)
    assert isinstance(editor, ValueLineEdit) and editor.text() == "02:00:00"
    editor.setText("1 day 3 hours")
    delegate.setModelData(editor, model, index)
    saved(qtbot, model)
    assert stored(db, "SELECT cooldown::text FROM spells") == [("1 day 03:00:00",)]
    qtbot.waitUntil(
        lambda: model.index(0, col(model, "cooldown")).data(Qt.ItemDataRole.DisplayRole) == "1 day 03:00:00"
    )
