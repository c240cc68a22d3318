"""The filter bar: the "is one of" list, comparisons on numbers and dates, bad values, debounced typing."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from core.data.repository import Filter
from core.schema.catalog import ColumnInfo, Entity
from gui.editor.filter_bar import DEBOUNCE_MS, ConditionRow, FilterBar

STATUS = ColumnInfo("status", "varchar", "enum", False, False, enum_values=("success", "error", "timeout"))
OK = ColumnInfo("ok", "boolean", "boolean", False, False)
ENTITY = Entity(name="runs", source="runs", columns=[STATUS, OK], primary_key=())


def test_one_of_shows_the_ticked_values(qtbot: QtBot) -> None:
    """Nothing ticked reads 'choose…'; ticked values read joined, whatever was ticked first or last."""
    row = ConditionRow(ENTITY, "status")
    qtbot.addWidget(row)
    box = row.enum_box
    assert row.op == "in"
    assert box.currentIndex() == -1 and box.placeholderText() == "choose…"
    assert row.to_filter() is None

    row.check_values(["error", "timeout"])
    assert box.currentIndex() == -1
    assert box.placeholderText() == "error, timeout"
    assert "success" not in box.placeholderText()
    assert row.to_filter() == Filter("status", "in", ["error", "timeout"])

    row.enum_model.item(2).setCheckState(Qt.CheckState.Unchecked)  # what the list's check box does
    assert box.placeholderText() == "error"
    row.check_values([])
    assert box.placeholderText() == "choose…"


def test_clicking_a_value_ticks_it(qtbot: QtBot) -> None:
    """A click in the list toggles the value's tick (the click is not a choice that closes the list)."""
    row = ConditionRow(ENTITY, "status")
    qtbot.addWidget(row)
    box = row.enum_box
    view = box.view()
    for r in (1, 2, 1, 1):
        rect = view.visualRect(box.model().index(r, 0))
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.center()))
    assert row.ticked() == ["error", "timeout"]
    assert box.placeholderText() == "error, timeout"
    assert box.currentIndex() == -1


def test_boolean_condition_keeps_its_choice(qtbot: QtBot) -> None:
    """A boolean condition still shows the chosen true/false, not a list of ticks."""
    row = ConditionRow(ENTITY, "ok")
    qtbot.addWidget(row)
    assert row.enum_box.currentText() == "true"
    row.enum_box.setCurrentIndex(1)
    assert row.to_filter() == Filter("ok", "eq", False)


# --- numeric conditions and debounced typing ---------------------------------------------------------

N = ColumnInfo("duration_ms", "INTEGER", "integer", True, False)
DAY = ColumnInfo("day", "DATE", "date", False, False)
NAME = ColumnInfo("name", "VARCHAR(80)", "string", False, False)
RUNS = Entity(name="runs", source="runs", columns=[N, DAY, NAME, STATUS], primary_key=())


def test_numbers_and_dates_offer_comparisons(qtbot: QtBot) -> None:
    """An integer or date condition offers between, =, ≠, <, ≤, >, ≥; each becomes the core op."""
    for column, value in (("duration_ms", "250"), ("day", "2024-05-01")):
        row = ConditionRow(RUNS, column)
        qtbot.addWidget(row)
        labels = [row.op_box.itemText(i) for i in range(row.op_box.count())]
        assert labels[:7] == ["between", "=", "≠", "<", "≤", ">", "≥"]
        assert row.op == "range"
        row.value_edit.setText(value)
        for op in ("eq", "ne", "lt", "le", "gt", "ge"):
            row.set_op(op)
            assert row.value_edit.isVisibleTo(row) and not row.high_edit.isVisibleTo(row)
            assert row.to_filter() == Filter(column, op, value)
    text = ConditionRow(RUNS, "name")
    qtbot.addWidget(text)
    assert "<" not in [text.op_box.itemText(i) for i in range(text.op_box.count())]


def test_a_value_that_is_no_number_is_a_message_not_a_filter(qtbot: QtBot) -> None:
    """Typing "soon" in a number condition says why beside it and leaves the condition out until fixed."""
    row = ConditionRow(RUNS, "duration_ms")
    qtbot.addWidget(row)
    row.show()
    row.set_op("lt")
    QTest.keyClicks(row.value_edit, "soon")
    assert row.problem_label.isVisible()
    assert row.problem_label.text() == "expected a whole number such as 42 (got 'soon')"
    assert row.to_filter() is None
    row.value_edit.clear()
    QTest.keyClicks(row.value_edit, "42")
    assert not row.problem_label.isVisible()
    assert row.to_filter() == Filter("duration_ms", "lt", "42")
    row.set_op("range")
    row.high_edit.setText("2e")
    QTest.keyClicks(row.high_edit, "x")
    assert row.problem_label.isVisible() and row.to_filter() is None


def test_typing_is_debounced_and_enter_applies_at_once(qtbot: QtBot) -> None:
    """Keystrokes in the quick search or a condition's value emit once, after the pause; Enter emits now,
    and a choice from a list (the operator) applies at once."""
    bar = FilterBar(RUNS)
    qtbot.addWidget(bar)
    bar.show()
    got: list[tuple[list[Filter], str]] = []
    bar.filters_changed.connect(lambda filters, quick: got.append((filters, quick)))
    QTest.keyClicks(bar.quick, "ord")
    assert got == []  # nothing per keystroke
    qtbot.waitUntil(lambda: len(got) == 1, timeout=2000)
    qtbot.wait(DEBOUNCE_MS + 100)
    assert got == [([], "ord")]
    QTest.keyClicks(bar.quick, "er")
    QTest.keyClick(bar.quick, Qt.Key.Key_Return)
    assert got[-1] == ([], "order")  # at once
    qtbot.wait(DEBOUNCE_MS + 100)
    assert len(got) == 2  # and not again after the pause

    row = bar.add_condition("duration_ms")
    row.set_op("ge")
    assert len(got) == 2  # no value yet: nothing changed
    QTest.keyClicks(row.value_edit, "100")
    assert len(got) == 2
    qtbot.waitUntil(lambda: len(got) == 3, timeout=2000)
    assert got[-1] == ([Filter("duration_ms", "ge", "100")], "order")
    row.set_op("gt")
    assert got[-1] == ([Filter("duration_ms", "gt", "100")], "order")  # a choice: at once
    QTest.keyClicks(row.value_edit, "0")
    QTest.keyClick(row.value_edit, Qt.Key.Key_Enter)
    assert got[-1] == ([Filter("duration_ms", "gt", "1000")], "order")
    qtbot.wait(DEBOUNCE_MS + 100)
    assert len(got) == 5


def test_a_bad_value_shown_from_elsewhere_says_so_too(qtbot: QtBot) -> None:
    """Conditions set by the editor (opened from a related row, "filter by this value") are checked too."""
    bar = FilterBar(RUNS)
    qtbot.addWidget(bar)
    bar.show()
    bar.set_filters([Filter("duration_ms", "ge", "later"), Filter("day", "lt", "2024-05-01")])
    bad, good = bar.rows
    assert bad.problem_label.isVisibleTo(bad) and "got 'later'" in bad.problem_label.text()
    assert not good.problem_label.isVisibleTo(good)
    assert bar.filters() == [Filter("day", "lt", "2024-05-01")]
