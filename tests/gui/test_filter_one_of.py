"""The "is one of" list, driven by real mouse presses and releases and keys on the real widgets.

Opening the list must never tick anything: the press that opens it lands on the combo, and its release lands
on the list that appeared under the pointer. A click on a value (press and release on it) ticks it, a second
click unticks it, and Enter ticks the highlighted value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QMessageLogContext, QPoint, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from core.data.repository import Filter
from core.schema.catalog import ColumnInfo, Entity
from gui.editor.filter_bar import ConditionRow, FilterBar

VALUES = ("success", "error", "timeout")
STATUS = ColumnInfo("status", "varchar", "enum", False, False, enum_values=VALUES)
OK = ColumnInfo("ok", "boolean", "boolean", False, False)
ENTITY = Entity(name="tool_executions", source="tool_executions", columns=(STATUS, OK), primary_key=())
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def popups_offscreen(fail_on_qt_warnings: list[str]) -> Iterator[None]:
    """A popup grabs the keyboard, which the offscreen platform says it cannot do: that says nothing here.

    Installed after conftest's handler, so every other Qt message still reaches it (and fails the test).
    """
    previous: Callable[..., None] | None = None

    def handler(kind: QtMsgType, context: QMessageLogContext, text: str) -> None:
        if text.startswith("This plugin does not support grabbing the keyboard"):
            return
        if previous is not None:
            previous(kind, context, text)

    previous = qInstallMessageHandler(handler)
    yield
    qInstallMessageHandler(previous)


@pytest.fixture
def bar(qtbot: QtBot) -> Iterator[tuple[FilterBar, ConditionRow, list[tuple[list[Filter], str]]]]:
    """A shown filter bar with one 'status is one of' condition, and every filters_changed it emits."""
    bar = FilterBar(ENTITY)
    qtbot.addWidget(bar)
    emitted: list[tuple[list[Filter], str]] = []
    bar.filters_changed.connect(lambda filters, quick: emitted.append((filters, quick)))
    row = bar.add_condition("status")
    bar.show()
    qtbot.waitExposed(bar)
    assert row.op == "in"
    yield bar, row, emitted
    row.enum_box.hidePopup()


def open_with_press(row: ConditionRow) -> tuple[QWidget, QPoint]:
    """Press on the closed combo as a person does; the list's viewport and where the pointer is on it."""
    box = row.enum_box
    at = box.rect().center()
    QTest.mousePress(box, LEFT, pos=at)
    viewport = box.view().viewport()
    assert box.view().isVisible(), "the press opened the list"
    return viewport, viewport.mapFromGlobal(box.mapToGlobal(at))


def value_point(row: ConditionRow, value: str) -> QPoint:
    """The centre of a value's row in the open list."""
    box = row.enum_box
    return box.view().visualRect(box.model().index(VALUES.index(value), 0)).center()


def click(viewport: QWidget, at: QPoint) -> None:
    """A press and a release on the same point of the list."""
    QTest.mousePress(viewport, LEFT, pos=at)
    QTest.mouseRelease(viewport, LEFT, pos=at)


def test_a_fast_open_ticks_nothing(bar: tuple[FilterBar, ConditionRow, list]) -> None:
    """The release right after the press, where the list appeared under the pointer, ticks nothing."""
    _bar, row, emitted = bar
    viewport, at = open_with_press(row)
    assert row.enum_box.view().indexAt(at).isValid(), "the release lands on a value of the list"
    QTest.mouseRelease(viewport, LEFT, pos=at)
    assert row.ticked() == []
    assert row.to_filter() is None
    assert row.enum_box.view().isVisible(), "the list stays open for the user's choice"
    assert all(filters == [] for filters, _ in emitted), "the grid was never filtered"
    assert row.enum_box.placeholderText() == "choose…"


def test_a_slow_open_ticks_nothing(bar: tuple[FilterBar, ConditionRow, list]) -> None:
    """A release after a pause (longer than a double click), on the value that was under the pointer."""
    _bar, row, emitted = bar
    viewport, at = open_with_press(row)
    QTest.qWait(QApplication.doubleClickInterval() + 100)
    QTest.mouseRelease(viewport, LEFT, pos=at)
    assert row.ticked() == []
    assert all(filters == [] for filters, _ in emitted)


def test_dragging_onto_a_value_after_opening_ticks_nothing(bar: tuple[FilterBar, ConditionRow, list]) -> None:
    """Press to open, move onto a value, wait, release there: still only an opening."""
    _bar, row, emitted = bar
    viewport, _at = open_with_press(row)
    target = value_point(row, "timeout")
    QTest.mouseMove(viewport, target)
    QTest.qWait(QApplication.doubleClickInterval() + 100)
    QTest.mouseRelease(viewport, LEFT, pos=target)
    assert row.ticked() == []
    assert all(filters == [] for filters, _ in emitted)


def test_a_click_ticks_and_a_second_click_unticks(bar: tuple[FilterBar, ConditionRow, list]) -> None:
    """After opening, a click on 'error' ticks it and applies; another on 'timeout' adds it; again unticks."""
    _bar, row, emitted = bar
    viewport, at = open_with_press(row)
    QTest.mouseRelease(viewport, LEFT, pos=at)
    click(viewport, value_point(row, "error"))
    assert row.ticked() == ["error"]
    assert emitted[-1] == ([Filter("status", "in", ["error"])], "")
    assert row.enum_box.view().isVisible(), "a tick leaves the list open for more"
    click(viewport, value_point(row, "timeout"))
    assert row.ticked() == ["error", "timeout"]
    click(viewport, value_point(row, "timeout"))
    assert row.ticked() == ["error"]
    assert emitted[-1] == ([Filter("status", "in", ["error"])], "")
    assert row.enum_box.placeholderText() == "error"


def test_a_press_dragged_to_another_value_ticks_neither(bar: tuple[FilterBar, ConditionRow, list]) -> None:
    """A press on one value released on another is no click on either."""
    _bar, row, _emitted = bar
    viewport, at = open_with_press(row)
    QTest.mouseRelease(viewport, LEFT, pos=at)
    QTest.mousePress(viewport, LEFT, pos=value_point(row, "error"))
    QTest.mouseRelease(viewport, LEFT, pos=value_point(row, "timeout"))
    assert row.ticked() == []


def test_enter_ticks_the_highlighted_value(bar: tuple[FilterBar, ConditionRow, list]) -> None:
    """Opened with the mouse, Down to 'error' and Enter: 'error' is ticked, once, and the list closes."""
    _bar, row, emitted = bar
    viewport, at = open_with_press(row)
    QTest.mouseRelease(viewport, LEFT, pos=at)
    view = row.enum_box.view()
    view.setCurrentIndex(row.enum_box.model().index(0, 0))
    QTest.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().row() == 1
    QTest.keyClick(view, Qt.Key.Key_Return)
    assert row.ticked() == ["error"]
    assert not view.isVisible()
    assert emitted[-1] == ([Filter("status", "in", ["error"])], "")


def test_a_true_false_list_still_chooses(qtbot: QtBot) -> None:
    """The same combo as a true/false choice: Down and Enter choose 'false' and close the list, no tick."""
    row = ConditionRow(ENTITY, "ok")
    qtbot.addWidget(row)
    row.show()
    qtbot.waitExposed(row)
    box = row.enum_box
    box.showPopup()
    view = box.view()
    QTest.keyClick(view, Qt.Key.Key_Down)
    QTest.keyClick(view, Qt.Key.Key_Return)
    assert not view.isVisible()
    assert box.currentText() == "false"
    assert row.to_filter() == Filter("ok", "eq", False)
