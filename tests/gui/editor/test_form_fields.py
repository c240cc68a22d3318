"""The record form reads like a form: values as text, one editor open at a time, room at the default size."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from core.engine.db import Database, open_database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from gui.editor.delegates.fk_picker import ForeignKeyPicker
from gui.editor.form import RecordForm
from tests.fixtures.ideas import build_ideas

if TYPE_CHECKING:
    from gui.editor.view import TableEditor

SHOTS = Path("/tmp/warden_shots")


def _editor_with_form(qtbot: QtBot, db: Database, catalog: Catalog, entity: str) -> TableEditor:
    from gui.editor.view import TableEditor

    editor = TableEditor(db, catalog, entity)
    qtbot.addWidget(editor)
    editor.resize(860, 700)  # the editor's share of a 1200x800 window beside the navigator
    editor.show()
    loaded = lambda: editor.model.rowCount() > 0 and editor.model.row_key(0) is not None  # noqa: E731
    qtbot.waitUntil(loaded, timeout=10_000)
    editor.view.setCurrentIndex(editor.model.index(0, 0))
    editor.view.setFocus()
    form = editor.show_form(0)
    qtbot.waitUntil(lambda: "Loading" not in form.references.text(), timeout=10_000)
    return editor


def _form(editor: TableEditor) -> RecordForm:
    assert editor.form is not None
    return editor.form


def test_fields_show_text_and_open_no_editor(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]
) -> None:
    """Opening the form shows every value as text: no editor is open, no FK list is expanded."""
    db, catalog = sqlite_demo_copy
    editor = _editor_with_form(qtbot, db, catalog, "locations")
    form = _form(editor)
    assert form.editing_field() is None
    assert not form.findChildren(ForeignKeyPicker)
    name_col = editor.model.entity.column_names.index("name")
    assert form.field("name").text() == editor.model.index(0, name_col).data()
    region_col = editor.model.entity.column_names.index("region_id")
    region = form.field("region_id").text()
    assert region == editor.model.index(0, region_col).data()  # the region's label, not its UUID
    assert "-" not in region or len(region) != 36
    assert isinstance(form.field("name").display, QLabel) and form.field("name").display.isVisible()


def test_focus_opens_one_editor_and_tab_moves_on(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]
) -> None:
    """A click opens the field's editor; typing and Tab stage the value and open the next field only."""
    db, catalog = sqlite_demo_copy
    editor = _editor_with_form(qtbot, db, catalog, "locations")
    form = _form(editor)
    name = form.field("name")
    QTest.mouseClick(name.display, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: name.editing)
    assert form.editing_field() is name
    line = QApplication.focusWidget()
    assert line is not None and line is name.editor
    QTest.keyClick(line, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(line, "Renamed by the form")
    QTest.keyClick(line, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: not name.editing)
    assert name.text() == "Renamed by the form"
    assert form.title.text() == "Renamed by the form"  # the title is the row's label
    assert editor.model.staged_count == 1
    nxt = form.editing_field()
    assert nxt is not None and nxt is not name  # the next field took the focus and opened alone
    focused = QApplication.focusWidget()
    assert focused is not None
    QTest.keyClick(focused, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: form.editing_field() is None)
    editor.model.revert()


def test_double_click_opens_the_picker_and_a_click_away_closes_it(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]
) -> None:
    """The FK picker opens on a double-click and closes, unchanged, when the grid is clicked."""
    db, catalog = sqlite_demo_copy
    editor = _editor_with_form(qtbot, db, catalog, "locations")
    form = _form(editor)
    region = form.field("region_id")
    before = region.text()
    QTest.mouseDClick(region.display, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(region.editor, ForeignKeyPicker))
    picker = region.editor
    assert isinstance(picker, ForeignKeyPicker)
    qtbot.waitUntil(lambda: picker.list.count() > 0, timeout=10_000)
    cell = editor.view.visualRect(editor.model.index(0, editor.view.columnAt(10))).center()  # same row
    QTest.mouseClick(editor.view.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.waitUntil(lambda: form.editing_field() is None)
    assert region.text() == before and editor.model.staged_count == 0


def test_a_json_editor_fits_the_form(qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]) -> None:
    """Opening a JSON field's editor keeps the form as wide as it was: no sideways scrolling, nothing cut."""
    db, catalog = sqlite_demo_copy
    editor = _editor_with_form(qtbot, db, catalog, "npcs")
    form = _form(editor)
    scroll = form.fields_page.parentWidget()
    assert scroll is not None
    width = form.fields_page.width()
    field = form.field("personality_json")
    QTest.mouseClick(field.display, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: field.editing)
    qtbot.wait(50)
    assert form.fields_page.width() <= width
    assert field.editor is not None and field.editor.width() <= field.width()
    SHOTS.mkdir(exist_ok=True)
    editor.grab().save(str(SHOTS / "form_json_editor.png"))
    form.finish_editing(commit=False)


def test_form_has_room_at_the_default_window_size(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog]
) -> None:
    """Beside the grid at the default size, a UUID key, a label and a date fit on their lines, unclipped."""
    db, catalog = sqlite_demo_copy
    editor = _editor_with_form(qtbot, db, catalog, "locations")
    form = _form(editor)
    qtbot.waitUntil(lambda: form.width() > 0)
    for name in ("id", "created_at", "region_id"):
        label = form.field(name).display
        needed = label.fontMetrics().horizontalAdvance(label.text())
        assert label.width() >= needed, f"{name}: {label.width()} px for {needed} px of text"
    assert form.width() >= 470  # about half the editor (the splitter's handle takes a few pixels)
    if db.backend == "sqlite":
        SHOTS.mkdir(exist_ok=True)
        editor.grab().save(str(SHOTS / "form_fields.png"))


def test_related_rows_never_stick_on_a_table_without_links(qtbot: QtBot, tmp_path: Path) -> None:
    """idea_inspiration has no foreign keys: the form says so instead of 'Loading related rows…' for ever."""
    path = tmp_path / "ideas.db"
    build_ideas(str(path))
    db = open_database(str(path))
    try:
        catalog = load_catalog(db)
        for entity in ("idea_inspiration", "tags"):
            editor = _editor_with_form(qtbot, db, catalog, entity)
            form = _form(editor)
            assert "Loading" not in form.references.text()
            assert form.references.text()
    finally:
        db.dispose()
