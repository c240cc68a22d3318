"""CellDelegate: the editor each column kind gets, and values round-tripping through it."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QStandardItem, QStandardItemModel, QValidator
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QStyleOptionViewItem,
    QTableView,
    QToolTip,
    QWidget,
)
from pytestqt.qtbot import QtBot

from core.schema.catalog import ColumnInfo, ForeignKeyInfo
from gui.editor.delegates.array_editor import ArrayEditor
from gui.editor.delegates.cell_delegate import CellDelegate, check_rect
from gui.editor.delegates.editors import (
    NULL_TEXT,
    DateEditor,
    DateTimeEditor,
    EnumEditor,
    PopupTextEditor,
    ValueLineEdit,
)
from gui.editor.delegates.json_editor import JsonEditor
from gui.editor.model.roles import Role

EDIT = Qt.ItemDataRole.EditRole
REGION_FK = ForeignKeyInfo("locations", ("region_id",), "regions", ("id",))


def col(kind: str, name: str = "c", *, nullable: bool = True, **kw: Any) -> ColumnInfo:
    """A ColumnInfo of `kind`."""
    return ColumnInfo(name=name, type=kind.upper(), kind=kind, nullable=nullable, primary_key=False, **kw)


def one_cell(column: ColumnInfo, value: Any, fk: ForeignKeyInfo | None = None) -> QStandardItemModel:
    """A 1×1 model whose cell answers the roles TableEditorModel answers."""
    model = QStandardItemModel(1, 1)
    item = QStandardItem()
    item.setData(column, Role.COLUMN)
    item.setData(fk, Role.FOREIGN_KEY)
    item.setData(value, EDIT)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable)
    model.setItem(0, 0, item)
    return model


@pytest.fixture
def parent(qtbot: QtBot) -> QWidget:
    """A widget to parent editors to."""
    w = QWidget()
    qtbot.addWidget(w)
    return w


def open_editor(parent: QWidget, model: QStandardItemModel) -> tuple[CellDelegate, QWidget]:
    """The delegate's editor for the model's cell, filled with its value."""
    delegate = CellDelegate(parent)
    index = model.index(0, 0)
    editor = delegate.createEditor(parent, QStyleOptionViewItem(), index)
    if editor is not None:
        delegate.setEditorData(editor, index)
    return delegate, editor


def save(delegate: CellDelegate, editor: QWidget, model: QStandardItemModel) -> Any:
    """setModelData, then the cell's value."""
    delegate.setModelData(editor, model, model.index(0, 0))
    return model.index(0, 0).data(EDIT)


def test_string_is_a_line_edit_that_counts_to_the_column_length(parent: QWidget) -> None:
    model = one_cell(col("string", length=120), "Old Mill")
    delegate, editor = open_editor(parent, model)
    assert isinstance(editor, ValueLineEdit) and editor.counter is not None
    assert editor.maxLength() == 32767, "a max length cuts typing and pastes silently"
    assert editor.text() == "Old Mill" and editor.counter.text() == "8 / 120"
    editor.setText("New Mill")
    assert save(delegate, editor, model) == "New Mill"
    editor.setText("x" * 150)  # kept whole: validation refuses it, with the limit, at the model
    assert editor.text() == "x" * 150 and editor.counter.text() == "150 / 120" and editor.counter.over
    assert "#c62828" in editor.counter.styleSheet()  # red
    assert save(delegate, editor, model) == "x" * 150
    editor.setText("x" * 120)
    assert not editor.counter.over and "#c62828" not in editor.counter.styleSheet()
    _, unlimited = open_editor(parent, one_cell(col("string"), "free"))
    assert isinstance(unlimited, ValueLineEdit) and unlimited.counter is None


def test_the_length_counter_sits_inside_the_editor_beside_the_text(qtbot: QtBot) -> None:
    model = one_cell(col("string", "name", length=120), "N" * 118)
    view = view_of(qtbot, model)
    index = model.index(0, 0)
    view.edit(index)
    editor = view.indexWidget(index)
    assert isinstance(editor, ValueLineEdit) and editor.counter is not None
    counter = editor.counter
    assert counter.isVisible() and counter.text() == "118 / 120"
    assert editor.rect().contains(counter.geometry())  # inside the cell editor, at its right end
    assert counter.geometry().right() >= editor.width() - 8
    assert editor.textMargins().right() >= counter.width()  # the text stops before the counter
    assert editor.width() <= view.columnWidth(0) and not editor.hasFrame()  # room enough: cell-sized
    view.commitData(editor)
    view.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
    view.setColumnWidth(0, 80)  # a narrow cell: the editor grows over its neighbour, framed
    view.edit(index)
    narrow = view.indexWidget(index)
    assert isinstance(narrow, ValueLineEdit) and narrow.counter is not None
    assert narrow.width() >= narrow.minimum_width() > 80 and narrow.hasFrame()
    text_room = narrow.width() - narrow.textMargins().right()
    assert text_room >= narrow.fontMetrics().horizontalAdvance("M" * 10)


@pytest.mark.parametrize(
    ("column", "key", "message"),
    [
        (col("integer", "quantity"), "a", "Only digits here: quantity is a whole number"),
        (
            col("decimal", "price", precision=12, scale=2),
            "x",
            "Only digits and one decimal point here: price has at most 10 digits before the point"
            " and 2 after",
        ),
        (col("float", "weight"), "k", "Only a number here: weight is a number such as 1.5, -20 or 3e-8"),
        (col("uuid", "id"), "z", "Only hex digits (0-9, a-f) and dashes here: id is a UUID"),
    ],
)
def test_a_refused_keystroke_says_why(qtbot: QtBot, column: ColumnInfo, key: str, message: str) -> None:
    model = one_cell(column, None)
    view = view_of(qtbot, model)
    index = model.index(0, 0)
    view.edit(index)
    editor = view.indexWidget(index)
    assert isinstance(editor, ValueLineEdit) and editor.refusal == ""
    qtbot.keyClicks(editor, "1")
    assert editor.refusal == ""  # accepted keys say nothing
    qtbot.keyClicks(editor, key)
    assert editor.text() == "1"  # the key was refused…
    assert editor.refusal == message  # …and the editor says why
    assert QToolTip.text() == message


def test_text_opens_a_large_editor_with_the_whole_value(parent: QWidget) -> None:
    long = "A very long description. " * 40
    model = one_cell(col("text"), long)
    delegate, editor = open_editor(parent, model)
    assert isinstance(editor, PopupTextEditor)
    assert editor.text_edit.toPlainText() == long  # whole, although the grid truncates it
    editor.text_edit.setPlainText("line one\nline two")
    assert save(delegate, editor, model) == "line one\nline two"


def test_a_long_text_column_with_a_length_counts_in_the_status_line(parent: QWidget) -> None:
    model = one_cell(col("text", length=500), "abc")
    delegate, editor = open_editor(parent, model)
    assert isinstance(editor, PopupTextEditor)
    editor.text_edit.setPlainText("x" * 498)
    assert editor.status.text().startswith("498 / 500 characters")
    assert "#c62828" not in editor.status.styleSheet()
    editor.text_edit.setPlainText("x" * 501)
    assert editor.status.text().startswith("501 / 500 characters") and "#c62828" in editor.status.styleSheet()
    assert save(delegate, editor, model) == "x" * 501  # whole: validation refuses it, with the limit


def test_integer_accepts_big_numbers_and_refuses_letters(parent: QWidget) -> None:
    model = one_cell(col("integer"), 5)
    delegate, editor = open_editor(parent, model)
    assert isinstance(editor, ValueLineEdit)
    validator = editor.validator()
    assert validator.validate("12a", 0)[0] == QValidator.State.Invalid
    editor.setText("9007199254740993")  # beyond a 32-bit spin box and beyond a double's precision
    assert save(delegate, editor, model) == 9007199254740993
    editor.setText("")
    assert save(delegate, editor, model) is None


def test_decimal_honours_precision_and_scale(parent: QWidget) -> None:
    model = one_cell(col("decimal", precision=12, scale=2), Decimal("19.99"))
    delegate, editor = open_editor(parent, model)
    assert isinstance(editor, ValueLineEdit) and editor.text() == "19.99"
    validator = editor.validator()
    assert validator.validate("1.234", 0)[0] == QValidator.State.Invalid  # three places in a scale of 2
    assert validator.validate("12345678901.5", 0)[0] == QValidator.State.Invalid  # 11 whole digits > 10
    assert validator.validate("-1234567890.12", 0)[0] == QValidator.State.Acceptable
    editor.setText("12.5")
    value = save(delegate, editor, model)
    assert isinstance(value, Decimal) and value == Decimal("12.50") and str(value) == "12.50"


def test_uuid_is_validated_text(parent: QWidget) -> None:
    key = uuid.uuid4()
    model = one_cell(col("uuid"), key)
    delegate, editor = open_editor(parent, model)
    assert editor.text() == str(key)
    editor.setText("1234")  # not a UUID yet: handed over as typed (the editor's model marks it invalid)
    assert save(delegate, editor, model) == "1234"
    other = uuid.uuid4()
    editor.setText(str(other))
    assert save(delegate, editor, model) == other


def test_enum_combo_with_a_null_entry_when_nullable(parent: QWidget) -> None:
    model = one_cell(col("enum", enum_values=("town", "village", "cave")), "village")
    delegate, editor = open_editor(parent, model)
    assert isinstance(editor, EnumEditor)
    assert [editor.itemText(i) for i in range(editor.count())] == [NULL_TEXT, "town", "village", "cave"]
    assert editor.currentText() == "village"
    editor.setCurrentIndex(3)
    assert save(delegate, editor, model) == "cave"
    editor.setCurrentIndex(0)
    assert save(delegate, editor, model) is None
    _, strict = open_editor(parent, one_cell(col("enum", nullable=False, enum_values=("a", "b")), "b"))
    assert isinstance(strict, EnumEditor) and strict.count() == 2 and strict.currentText() == "b"


@pytest.fixture
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC+05:30 (no daylight saving) for the test."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("kolkata")
def test_datetime_is_edited_in_local_time_and_stored_in_utc(parent: QWidget) -> None:
    stored = dt.datetime(2024, 5, 1, 12, 0, 30, tzinfo=dt.UTC)
    model = one_cell(col("datetime"), stored)
    delegate, editor = open_editor(parent, model)
    assert isinstance(editor, DateTimeEditor) and editor.calendarPopup()
    assert editor.text() == "2024-05-01 17:30:30"  # shown in local time
    value = save(delegate, editor, model)
    assert value == stored and value.tzinfo is not None and value.utcoffset() == dt.timedelta(0)
    editor.setDateTime(editor.dateTime().addSecs(3600))  # the user moves it an hour on
    assert save(delegate, editor, model) == stored + dt.timedelta(hours=1)


def test_an_untouched_datetime_keeps_its_microseconds(parent: QWidget) -> None:
    stored = dt.datetime(2024, 5, 1, 12, 0, 30, 123456, tzinfo=dt.UTC)
    model = one_cell(col("datetime"), stored)
    delegate, editor = open_editor(parent, model)
    assert save(delegate, editor, model) == stored  # not cut to the milliseconds the editor shows


def test_data_sent_again_while_editing_keeps_the_typing(parent: QWidget) -> None:
    model = one_cell(col("string", length=40), "Old Mill")
    delegate, editor = open_editor(parent, model)
    editor.setText("New M")
    delegate.setEditorData(editor, model.index(0, 0))  # a view does this on every dataChanged
    assert editor.text() == "New M"
    model.setData(model.index(0, 0), "Changed elsewhere", EDIT)
    delegate.setEditorData(editor, model.index(0, 0))
    assert editor.text() == "Changed elsewhere"


def test_null_datetime_and_date_round_trip(parent: QWidget) -> None:
    model = one_cell(col("datetime"), None)
    delegate, editor = open_editor(parent, model)
    assert editor.text() == NULL_TEXT
    assert save(delegate, editor, model) is None
    model = one_cell(col("date"), dt.date(2023, 12, 31))
    delegate, editor = open_editor(parent, model)
    assert isinstance(editor, DateEditor) and editor.text() == "2023-12-31"
    editor.setDate(editor.date().addDays(1))
    assert save(delegate, editor, model) == dt.date(2024, 1, 1)


def test_json_is_pretty_printed_and_saved_parsed(parent: QWidget) -> None:
    value = {"open": True, "items": [1, 2, {"k": "v"}]}
    model = one_cell(col("json"), value)
    delegate, editor = open_editor(parent, model)
    assert isinstance(editor, JsonEditor)
    text = editor.text_edit.toPlainText()
    # Qt hands a str-keyed dict over as a QVariantMap, which sorts its keys; the content is what counts.
    assert json.loads(text) == value and text == json.dumps(json.loads(text), indent=2)
    assert editor.is_valid() and "Valid JSON" in editor.status.text()
    editor.text_edit.setPlainText('{"open": false}')
    assert save(delegate, editor, model) == {"open": False}


def test_invalid_json_shows_where_and_is_refused(parent: QWidget) -> None:
    model = one_cell(col("json"), {"a": 1})
    delegate, editor = open_editor(parent, model)
    assert isinstance(editor, JsonEditor)
    editor.text_edit.setPlainText('{\n  "a": 1,\n  "b": \n}')
    assert not editor.is_valid()
    assert editor.property("invalid") is True
    assert "Line 4, column 1" in editor.status.text()
    # Handed over as typed, never dropped: the editor's model stages it marked invalid (test_cell_edits).
    assert save(delegate, editor, model) == '{\n  "a": 1,\n  "b": \n}'
    editor.text_edit.setPlainText("[1, NaN]")
    assert not editor.is_valid() and "NaN" in editor.status.text()


def test_json_text_keeps_its_key_order(parent: QWidget) -> None:
    _, editor = open_editor(parent, one_cell(col("json"), '{"z": 1, "a": [true]}'))
    assert isinstance(editor, JsonEditor)
    assert editor.text_edit.toPlainText() == '{\n  "z": 1,\n  "a": [\n    true\n  ]\n}'


def test_array_columns_take_a_json_list_of_strings(parent: QWidget) -> None:
    model = one_cell(col("array"), ["a", "b"])
    delegate, editor = open_editor(parent, model)
    assert isinstance(editor, ArrayEditor)  # one item per line, or a JSON list
    editor.text_edit.setPlainText("[1, 2]")
    assert not editor.is_valid()
    assert save(delegate, editor, model) == "[1, 2]"  # as typed, for the model to mark
    editor.text_edit.setPlainText('["x"]')
    assert save(delegate, editor, model) == ["x"]


def test_vectors_booleans_and_binary_have_no_editor(parent: QWidget) -> None:
    for kind, value in (("vector", np.ones(4, dtype=np.float32)), ("boolean", True), ("binary", b"\x00")):
        _, editor = open_editor(parent, one_cell(col(kind), value))
        assert editor is None, kind


def test_foreign_key_without_a_context_falls_back_to_the_column_editor(parent: QWidget) -> None:
    _, editor = open_editor(parent, one_cell(col("uuid"), uuid.uuid4(), REGION_FK))
    assert isinstance(editor, ValueLineEdit)


# --- in a view -------------------------------------------------------------------------------------


def view_of(qtbot: QtBot, model: QStandardItemModel, delegate: CellDelegate | None = None) -> QTableView:
    """A shown QTableView of `model` using a CellDelegate."""
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setItemDelegate(delegate or CellDelegate(view))
    view.resize(600, 300)
    view.setColumnWidth(0, 240)
    view.show()
    qtbot.waitExposed(view)
    return view


def cell_centre(view: QTableView, row: int = 0, column: int = 0) -> QPoint:
    """The centre of a cell in viewport coordinates."""
    return view.visualRect(view.model().index(row, column)).center()


def test_boolean_click_on_the_box_toggles(qtbot: QtBot) -> None:
    model = one_cell(col("boolean"), False)
    view = view_of(qtbot, model)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cell_centre(view))
    assert model.index(0, 0).data(EDIT) is True
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cell_centre(view))
    assert model.index(0, 0).data(EDIT) is False
    rect = view.visualRect(model.index(0, 0))
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() + 3, rect.center().y())
    )
    assert model.index(0, 0).data(EDIT) is False  # beside the box: only selects
    view.setCurrentIndex(model.index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert model.index(0, 0).data(EDIT) is True
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cell_centre(view))
    assert view.state() != QAbstractItemView.State.EditingState  # no editor, and no Qt warning
    view.edit(model.index(0, 0), QAbstractItemView.EditTrigger.AllEditTriggers, None)
    assert view.indexWidget(model.index(0, 0)) is None
    assert view.state() != QAbstractItemView.State.EditingState


def test_boolean_box_is_centred(qtbot: QtBot) -> None:
    model = one_cell(col("boolean"), None)
    view = view_of(qtbot, model)
    option = QStyleOptionViewItem()
    option.rect = view.visualRect(model.index(0, 0))
    option.widget = view
    box = check_rect(option)
    assert box.center() == option.rect.center() and 8 <= box.width() <= 30
    view.grab()  # paints the NULL (partly checked) state without complaint


def test_text_editor_commits_on_ctrl_enter_and_cancels_on_escape(qtbot: QtBot) -> None:
    model = one_cell(col("text"), "before")
    view = view_of(qtbot, model)
    index = model.index(0, 0)
    view.edit(index)
    editor = view.indexWidget(index)
    assert isinstance(editor, PopupTextEditor) and editor.width() >= 460
    editor.text_edit.setPlainText("after")
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert index.data(EDIT) == "after"
    assert view.state() != QAbstractItemView.State.EditingState
    view.edit(index)
    editor = view.indexWidget(index)
    editor.text_edit.setPlainText("discarded")
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Escape)
    assert index.data(EDIT) == "after"
    assert view.state() != QAbstractItemView.State.EditingState


def test_json_editor_stays_open_on_ctrl_enter_while_invalid(qtbot: QtBot) -> None:
    model = one_cell(col("json"), {"a": 1})
    view = view_of(qtbot, model)
    index = model.index(0, 0)
    view.edit(index)
    editor = view.indexWidget(index)
    assert isinstance(editor, JsonEditor)
    editor.text_edit.setPlainText('{"a": 1,,}')
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert view.state() == QAbstractItemView.State.EditingState and view.indexWidget(index) is editor
    assert index.data(EDIT) == {"a": 1}
    assert editor.text_edit.textCursor().positionInBlock() == 8  # on the error
    editor.text_edit.setPlainText('{"a": 2}')
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert index.data(EDIT) == {"a": 2}
    assert view.state() != QAbstractItemView.State.EditingState


def test_ctrl_click_on_a_foreign_key_asks_to_open_the_referenced_row(qtbot: QtBot) -> None:
    target = uuid.uuid4()
    model = one_cell(col("uuid", "region_id"), target, REGION_FK)
    view = view_of(qtbot, model)
    delegate = view.itemDelegate()
    assert isinstance(delegate, CellDelegate)
    asked: list[tuple[str, dict[str, Any]]] = []
    delegate.open_reference_requested.connect(lambda entity, key: asked.append((entity, key)))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cell_centre(view))
    assert asked == []
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, cell_centre(view)
    )
    assert asked == [("regions", {"id": target})]


def test_vector_cells_paint_a_summary_and_sparkline(qtbot: QtBot) -> None:
    rng = np.random.default_rng(1)
    values: list[Any] = [rng.normal(size=384).astype(np.float32), [0.5, -0.5, 0.25], None, b"\x00\x00\x80?"]
    model = QStandardItemModel(len(values), 1)
    for row, value in enumerate(values):
        item = QStandardItem()
        item.setData(col("vector", "embedding", vector_dim=384), Role.COLUMN)
        item.setData(value, EDIT)
        model.setItem(row, 0, item)
    view = view_of(qtbot, model)
    image = view.viewport().grab().toImage()
    rect = view.visualRect(model.index(0, 0))
    blue = [
        (x, y)
        for x in range(rect.left(), rect.right())
        for y in range(rect.top(), rect.bottom())
        if (c := image.pixelColor(x, y)).blue() > 150 and c.red() < 150
    ]
    assert len(blue) > 20, "no sparkline was drawn"
    delegate = view.itemDelegate()
    hint = delegate.sizeHint(QStyleOptionViewItem(), model.index(0, 0))
    assert hint.width() >= 190
    assert view.indexWidget(QModelIndex()) is None


class _GreenHost(QWidget):
    """Paints itself green, like the grid's cells under a pop-up editor."""

    def paintEvent(self, _event: QPaintEvent) -> None:
        QPainter(self).fillRect(self.rect(), QColor("#00ff00"))


@pytest.mark.parametrize("invalid", [False, True])
def test_json_editor_hides_the_cells_under_it(qtbot: QtBot, invalid: bool) -> None:
    """The JSON pop-up's margins and status line are opaque: no grid text shows through its message."""
    host = _GreenHost()
    qtbot.addWidget(host)
    host.resize(400, 300)
    editor = JsonEditor(col("json"), host)
    editor.setGeometry(10, 10, 300, 200)
    editor.text_edit.setPlainText("{" if invalid else "{}")
    host.show()
    qtbot.waitExposed(host)
    image = host.grab().toImage()
    y = editor.status.geometry().translated(editor.pos()).center().y()
    row = [image.pixelColor(x, y) for x in range(editor.x() + 3, editor.geometry().right() - 3)]
    assert QColor("#00ff00") not in row
