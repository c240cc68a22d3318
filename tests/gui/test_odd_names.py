"""Odd names in every GUI tool, on both backends (tests/fixtures/odd_names.py): the grid loads, sorts on
each column, filters with each filter kind and the quick filter, edits, inserts, deletes and saves; the
record form shows the fields and the related tabs both ways; the FK picker finds labels holding quotes;
the export writes the view and offers a file name that is one. Non-finite floats show as inf / -inf in
the grid and the form, and typing one is refused with a reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.data.repository import Filter, get_row
from core.engine.db import Database, open_database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from gui.audit import audited_save
from gui.editor.delegates.fk_picker import ForeignKeyPicker
from gui.editor.dialogs.export import ExportJob, ExportRequest, default_file_name
from gui.editor.model.roles import Role
from gui.editor.view import TableEditor
from gui.runtime import workers
from tests.fixtures.editing import column, shown_editor
from tests.fixtures.odd_names import (
    GUILD_KEY,
    GUILD_LABEL,
    GUILD_NAMES,
    GUILDS,
    QUOTED,
    READINGS,
    SELECT,
    SELECT_FK,
    SELECT_KEY,
    SELECT_LABEL,
    SELECT_RATIO,
    SELECT_ROWS,
    SELECT_WHERE,
    build_odd_names,
    q,
)
from tests.fixtures.postgres import new_pg_database

EDIT, DISPLAY = Qt.ItemDataRole.EditRole, Qt.ItemDataRole.DisplayRole


@pytest.fixture
def odd(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Database, Catalog]]:
    """The odd-named tables on the current backend, open; every worker done before it is disposed."""
    if backend == "sqlite":
        url = str(tmp_path / "odd names.db")
    else:
        url = new_pg_database(request.getfixturevalue("pg_server"), vector=False)
    build_odd_names(url)
    db = open_database(url)
    audited_save.set_audit_off(db)  # no audit log: its saves go unaudited, as if the user had chosen so
    try:
        yield db, load_catalog(db)
        assert workers.wait_idle(10_000)
    finally:
        db.dispose()


def _keys(editor: TableEditor) -> list[Any]:
    model = editor.model
    return [model.index(r, column(editor, SELECT_KEY)).data(EDIT) for r in range(model.rowCount())]


def _reload(qtbot: QtBot, editor: TableEditor, change: Any) -> None:
    """Run `change` (a sort or filter) and wait until its rows and exact count have arrived."""
    with qtbot.waitSignal(editor.model.count_changed, timeout=10_000):
        change()
    qtbot.waitUntil(lambda: not editor.model.loading_rows and editor.model.exact, timeout=10_000)


def _filter_bar(editor: TableEditor, filters: list[Filter], quick: str | None) -> None:
    """Set the conditions and quick text in the editor's filter bar, as typed, and apply them (Enter)."""
    if any(
        f.op == "in" for f in filters
    ):  # the bar offers "is one of" for enums only: as a related tab sets it
        editor.model.set_filters(filters, quick)
        return
    bar = editor.filter_bar
    bar.clear()
    bar.set_filters(filters)
    bar.quick.setText(quick or "")
    assert bar.filters() == [Filter(f.column, f.op, _as_typed(f.value)) for f in filters]
    bar.apply_now()


def _as_typed(value: Any) -> Any:
    """A filter's value as the filter bar holds it: text, as typed."""
    if isinstance(value, tuple):
        return tuple(map(_as_typed, value))
    if isinstance(value, list) or value is None:
        return value
    return str(value)


def test_the_grid_sorts_and_filters_odd_columns(qtbot: QtBot, odd: tuple[Database, Catalog]) -> None:
    """Each column sorts both ways on the server; each filter kind and the quick filter, set in the filter
    bar, apply."""
    db, catalog = odd
    editor = shown_editor(qtbot, db, catalog, SELECT)
    assert sorted(_keys(editor)) == [1, 2, 3, 4, 5, 6]
    assert [editor.model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)][:1] != [None]
    where = column(editor, SELECT_WHERE)
    for name in editor.entity.column_names:
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            editor.model.sort(column(editor, name), order)
            qtbot.waitUntil(lambda: not editor.model.loading_rows, timeout=10_000)
            assert sorted(_keys(editor)) == [1, 2, 3, 4, 5, 6], name
    editor.model.sort(where, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: _keys(editor) == [6, 5, 4, 3, 2, 1], timeout=10_000)
    cases: list[tuple[list[Filter], str | None, set[int]]] = [
        ([Filter(SELECT_WHERE, "eq", 20)], None, {2}),
        ([Filter(SELECT_WHERE, "ne", 20)], None, {1, 3, 4, 5, 6}),
        ([Filter(SELECT_RATIO, "lt", 0.5)], None, {1}),
        ([Filter(SELECT_WHERE, "ge", 40)], None, {4, 5, 6}),
        ([Filter(SELECT_WHERE, "range", (20, 40))], None, {2, 3, 4}),
        ([Filter(SELECT_LABEL, "contains", "RT 3")], None, {3}),
        ([Filter(SELECT_LABEL, "in", ["wört 1", "wört 6"])], None, {1, 6}),
        ([Filter(SELECT_RATIO, "not_null")], None, {1, 2, 3, 4, 5, 6}),
        ([Filter(SELECT_FK, "eq", 1)], None, {k for k, g, *_ in SELECT_ROWS if g == 1}),
        ([], "wört 5", {5}),
    ]
    for filters, quick, expected in cases:
        _reload(qtbot, editor, lambda f=filters, t=quick: _filter_bar(editor, f, t))
        assert set(_keys(editor)) == expected, (filters, quick)
        assert editor.count == (len(expected), True)


def test_the_grid_edits_inserts_deletes_and_saves(qtbot: QtBot, odd: tuple[Database, Catalog]) -> None:
    """An edit, an insert and a delete (cascading into `select`) staged in the grid are saved in one go."""
    db, catalog = odd
    editor = shown_editor(qtbot, db, catalog, GUILDS)
    model = editor.model
    row = next(r for r in range(model.rowCount()) if model.row_key(r) == {GUILD_KEY: 2})
    assert model.setData(model.index(row, column(editor, GUILD_LABEL)), "Tide \"Wärdens\" 'II'", EDIT)
    new = model.insert_row({GUILD_LABEL: "Nëw/Guild"})
    assert new >= 0
    gone = next(r for r in range(model.rowCount()) if model.row_key(r) == {GUILD_KEY: 1})
    model.delete_rows([gone])
    failures: list[str] = []
    model.save_failed.connect(failures.append)
    model.conflicted.connect(failures.append)
    with qtbot.waitSignal(model.saved, timeout=10_000):
        editor.save()
    assert failures == []
    assert get_row(db, catalog, GUILDS, {GUILD_KEY: 2})[GUILD_LABEL] == "Tide \"Wärdens\" 'II'"
    with db.engine.connect() as conn:
        labels = {r[0] for r in conn.exec_driver_sql(f"SELECT {q(GUILD_LABEL)} FROM {q(GUILDS)}")}
    assert labels == {"Tide \"Wärdens\" 'II'", GUILD_NAMES[2], "Nëw/Guild"}


def test_the_record_form_and_its_related_tabs(qtbot: QtBot, odd: tuple[Database, Catalog]) -> None:
    """The form of a `select` row shows its fields; its tabs hold the guild it points at and the quoted
    rows pointing at it."""
    db, catalog = odd
    editor = shown_editor(qtbot, db, catalog, SELECT)
    row = next(r for r in range(editor.model.rowCount()) if editor.model.row_key(r) == {SELECT_KEY: 1})
    form = editor.show_form(row)
    qtbot.waitUntil(lambda: any(t.startswith("→") for t in form.tab_titles()), timeout=10_000)
    assert form.field(SELECT_LABEL).display.text() == "wört 1"
    titles = form.tab_titles()
    assert titles == ["→ guild ref (1)", f"{QUOTED} (1)"]
    outgoing = form.related_tab("→")
    first = outgoing.table.item(0, 0)
    assert first is not None and first.text() == GUILD_NAMES[1]


def test_the_fk_picker_finds_labels_with_quotes(qtbot: QtBot, odd: tuple[Database, Catalog]) -> None:
    """The picker of `select`.`guild ref` searches the guilds' odd label column and sets the odd key."""
    db, catalog = odd
    fk = catalog.get(SELECT).foreign_keys[0]
    picker = ForeignKeyPicker(db, catalog, fk, nullable=True)
    qtbot.addWidget(picker)
    picker.show()
    with qtbot.waitSignal(picker.matches_shown, timeout=10_000):
        picker.set_value(None)
    assert {m.label for m in picker.matches()} == set(GUILD_NAMES)
    with qtbot.waitSignal(picker.matches_shown, timeout=10_000):
        qtbot.keyClicks(picker.line_edit, "'hand'")
    assert [m.label for m in picker.matches()] == [GUILD_NAMES[0]]
    qtbot.keyClick(picker.line_edit, Qt.Key.Key_Down)
    with qtbot.waitSignal(picker.committed, timeout=5000):
        qtbot.keyClick(picker.line_edit, Qt.Key.Key_Return)
    assert picker.value() == 1


def test_the_export_job_and_its_file_name(
    qtbot: QtBot, odd: tuple[Database, Catalog], tmp_path: Path
) -> None:
    """The export writes the filtered, sorted view with the odd names; the offered name is a file name."""
    db, catalog = odd
    request = ExportRequest(
        SELECT, sort=[(SELECT_WHERE, True)], filters=[Filter(SELECT_FK, "eq", 1)], quick=None
    )
    job = ExportJob(db, catalog, request, None)
    target = tmp_path / "select.json"
    with qtbot.waitSignal(job.finished, timeout=20_000):
        job.start(str(target), "json")
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert [r[SELECT_KEY] for r in rows] == [6, 3] and list(rows[0]) == catalog.get(SELECT).column_names
    assert default_file_name(GUILDS) == "2nd Ränge_Guilds.csv"  # a slash would name a folder
    assert default_file_name(QUOTED) == "it's _quoted_.csv"  # Windows allows no double quote
    assert default_file_name(READINGS) == "readings (°C).csv"


def test_non_finite_floats_show_and_typing_one_is_refused(
    qtbot: QtBot, odd: tuple[Database, Catalog]
) -> None:
    """inf and -inf read as such in the grid and the form; "inf" typed into the float column is kept in its
    cell, marked with the reason, and not saved."""
    db, catalog = odd
    editor = shown_editor(qtbot, db, catalog, READINGS)
    model = editor.model
    value = column(editor, "value")
    shown = {model.row_key(r)["id"]: model.index(r, value).data(DISPLAY) for r in range(model.rowCount())}  # type: ignore[index]
    assert shown[1] == "inf" and shown[2] == "-inf" and shown[4] == "1.5"
    assert shown[3] == ("nan" if db.backend == "postgresql" else "NULL")
    form = editor.show_form(0)
    assert form.field("value").display.text() == "inf"
    row = next(r for r in range(model.rowCount()) if model.row_key(r) == {"id": 4})
    cell = model.index(row, value)
    assert model.setData(cell, "inf", EDIT)
    assert cell.data(EDIT) == "inf" and "number" in (cell.data(Role.ERROR) or "")
    with qtbot.waitSignal(model.save_failed, timeout=10_000):
        editor.save()
    assert get_row(db, catalog, READINGS, {"id": 4})["value"] == 1.5
