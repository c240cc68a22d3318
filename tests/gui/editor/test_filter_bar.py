"""The filter bar's 'is one of' list: it reads as the values ticked, and a click ticks a value."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from core.catalog import ColumnInfo, Entity
from core.repository import Filter
from gui.editor.filter_bar import ConditionRow

STATUS = ColumnInfo("status", "varchar", "enum", False, False, enum_values=("success", "error", "timeout"))
OK = ColumnInfo("ok", "boolean", "boolean", False, False)
ENTITY = Entity(name="runs", table="runs", columns=[STATUS, OK], primary_key=())


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
