"""The filter bar: a quick search (text, JSON, numbers) and per-column conditions (contains, =, <, between…).

It only describes filters (core.data.repository.Filter values as typed text); the model runs them in a worker.
Typed values are read by core/data/coercion.py as the column's type while they are typed: a value that is no
value of the column is shown as a message beside it and left out until it is fixed. Typing is debounced
(DEBOUNCE_MS after the last keystroke); Enter, and every choice from a list, applies at once.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.data.repository import Filter
from core.schema.catalog import ColumnInfo, Entity

DEBOUNCE_MS = 250
TEXTUAL = ("string", "text", "other")
ORDERED = ("integer", "decimal", "float", "datetime", "date", "time")

#: (op, label) offered per column kind; the first is the default.
OPS: dict[str, list[tuple[str, str]]] = {
    "text": [("contains", "contains"), ("eq", "equals"), ("ne", "is not")],
    "enum": [("in", "is one of"), ("ne", "is not")],
    "ordered": [
        ("range", "between"),
        ("eq", "="),
        ("ne", "≠"),
        ("lt", "<"),
        ("le", "≤"),
        ("gt", ">"),
        ("ge", "≥"),
    ],
    "boolean": [("eq", "is")],
    "uuid": [("eq", "equals"), ("contains", "contains")],
    "json": [("contains", "contains")],
    "vector": [],
}
NULL_OPS = [("not_null", "is set"), ("is_null", "is empty")]
#: Operators that take one typed value, and those that take two.
ONE_VALUE = ("contains", "eq", "ne", "lt", "le", "gt", "ge")
#: What a value of each kind looks like, as the value field's hint.
EXAMPLES = {
    "integer": "42", "decimal": "12.50", "float": "1.5", "date": "2024-05-01",
    "datetime": "2024-05-01T12:00", "time": "13:45",
}  # fmt: skip
PROBLEM_STYLE = "QLabel { color: #b3261e; }"
#: The events an Enter in a list arrives as: Qt acts on the shortcut override, the key press follows it.
KEY_EVENTS = (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)


def kind_group(info: ColumnInfo) -> str:
    """Which OPS entry a column uses."""
    if info.kind in ORDERED:
        return "ordered"
    if info.kind == "enum" and info.enum_values:
        return "enum"
    if info.kind in ("boolean", "uuid", "json", "vector"):
        return info.kind
    if info.kind == "array":
        return "json"
    return "text"


class _TickList(QObject):
    """Event filter on a combo's list (its view and viewport) that makes it a list of ticks.

    A click on a row (press and release on that row) calls `tick(row)` and leaves the list open; Enter
    ticks the highlighted row and closes it. Opening never ticks: the press that opens the list lands on the
    combo, and its release on the list that appeared under the pointer, fast or slow, on whatever row is
    there. That release has no press on the list, so it is eaten, as is a press dragged to another row.
    Qt's own choice on release would close the list and pick the row: a list of ticks has no use for it.
    `active()` says whether the list is one of ticks now (as a true/false list, the combo chooses as usual).

    A separate object owned by the list (not the condition row), so nothing of a half-destroyed row is
    reached while Qt tears the widgets down.
    """

    def __init__(self, combo: QComboBox, active: Callable[[], bool], tick: Callable[[int], None]) -> None:
        view = combo.view()
        super().__init__(view)
        self._combo, self._view, self._active, self._tick = combo, view, active, tick
        self._pressed: int | None = None  # the row pressed on the list (-1: none), until its release
        view.installEventFilter(self)
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Ticks on a click or Enter; eats a release whose press was not on the same row of the list."""
        if "_view" not in self.__dict__:
            # Qt may call the filter through a new wrapper of this object, without the Python attributes
            # (seen once while the list was being torn down): then the list behaves as Qt's own.
            return False
        kind = event.type()
        if kind in KEY_EVENTS and watched is self._view and isinstance(event, QKeyEvent):
            if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter) or not self._active():
                return False
            # Qt chooses on the shortcut override, which comes first; the key press then finds the list shut.
            row = self._view.currentIndex().row()
            if self._view.isVisible():
                if row >= 0:
                    self._tick(row)
                self._combo.hidePopup()
            event.accept()
            return True
        if watched is self._view or not isinstance(event, QMouseEvent):
            return False
        if event.button() != Qt.MouseButton.LeftButton or not self._active():
            return False
        row = self._view.indexAt(event.position().toPoint()).row()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            self._pressed = row
            return False  # the view makes the row current
        if kind != QEvent.Type.MouseButtonRelease:
            return False
        pressed, self._pressed = self._pressed, None
        if pressed is not None and pressed == row >= 0:
            self._tick(row)
        return True


class ConditionRow(QWidget):
    """One column condition: column, operator, value(s), and a remove button."""

    changed = Signal()  # a value was typed: apply after a pause
    chosen = Signal()  # an operator, column or value was chosen from a list: apply now
    submitted = Signal()  # Enter in a value: apply now, even unchanged
    remove_requested = Signal()

    def __init__(self, entity: Entity, column: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entity = entity
        self.filterable = [c for c in entity.columns if kind_group(c) != "vector" or c.nullable]
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.column_box = QComboBox()
        self.column_box.setObjectName("filterColumn")
        for c in self.filterable:
            self.column_box.addItem(c.name, c.name)
        self.op_box = QComboBox()
        self.op_box.setObjectName("filterOp")
        self.value_edit = QLineEdit()
        self.value_edit.setObjectName("filterValue")
        self.high_edit = QLineEdit()
        self.high_edit.setObjectName("filterHigh")
        self.high_edit.setPlaceholderText("to")
        self.enum_box = QComboBox()
        self.enum_box.setObjectName("filterValues")
        self.enum_model = QStandardItemModel(self.enum_box)
        self.enum_box.setModel(self.enum_model)
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setToolTip("Remove this condition")
        self.problem_label = QLabel()
        self.problem_label.setObjectName("filterProblem")
        self.problem_label.setStyleSheet(PROBLEM_STYLE)
        self.problem_label.hide()
        for w in (self.column_box, self.op_box, self.value_edit, self.high_edit, self.enum_box):
            layout.addWidget(w)
        layout.addWidget(self.remove_button)
        layout.addWidget(self.problem_label)
        layout.addStretch(1)
        self.value_edit.setMinimumWidth(160)
        self.column_box.currentIndexChanged.connect(self._on_column_box_changed)
        self.op_box.currentIndexChanged.connect(self._on_op_box_changed)
        for edit in (self.value_edit, self.high_edit):
            edit.textChanged.connect(self._show_problem)  # typed or set (set_filters)
            edit.textEdited.connect(self.changed)
            edit.returnPressed.connect(self.submitted)
        self.enum_model.itemChanged.connect(self.chosen)
        self.enum_model.itemChanged.connect(self._show_ticked)
        self.enum_box.currentIndexChanged.connect(self._on_enum_box_changed)
        # Owned by the list (Qt deletes it with the list); held here too, so its Python side (the attributes
        # its event filter reads) lives as long as the row does.
        self._tick_list = _TickList(self.enum_box, self._lists_ticks, self._toggle)
        self.remove_button.clicked.connect(self.remove_requested)
        if column is not None:
            self.column_box.setCurrentIndex(self.column_box.findData(column))
        self._on_column_box_changed(self.column_box.currentIndex())

    @property
    def info(self) -> ColumnInfo:
        """The chosen column."""
        return self.entity.column(str(self.column_box.currentData()))

    @property
    def op(self) -> str:
        """The chosen operator (core.data.query OPS)."""
        return str(self.op_box.currentData())

    def set_op(self, op: str) -> None:
        """Choose an operator by its name."""
        self.op_box.setCurrentIndex(self.op_box.findData(op))

    def check_values(self, values: list[str]) -> None:
        """Tick these enum values (for 'is one of')."""
        for i in range(self.enum_model.rowCount()):
            item = self.enum_model.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in values else Qt.CheckState.Unchecked)
        self._show_ticked()

    def ticked(self) -> list[str]:
        """The enum values ticked for 'is one of', in list order."""
        items = (self.enum_model.item(i) for i in range(self.enum_model.rowCount()))
        return [item.text() for item in items if item.checkState() == Qt.CheckState.Checked]

    def _show_ticked(self, *_args: object) -> None:
        """The closed combo reads as the ticked values ('error, timeout'), or 'choose…' when none are."""
        if self.info.kind == "boolean":
            self.enum_box.setPlaceholderText("")
            return
        ticked = self.ticked()
        text = ", ".join(ticked) if ticked else "choose…"
        self.enum_box.setPlaceholderText(text)
        self.enum_box.setCurrentIndex(-1)
        palette = self.enum_box.palette()  # ticked values read as a value, 'choose…' as a hint
        role = QPalette.ColorRole.Text if ticked else QPalette.ColorRole.PlaceholderText
        palette.setColor(QPalette.ColorRole.PlaceholderText, self.palette().color(role))
        self.enum_box.setPalette(palette)
        width = self.enum_box.fontMetrics().horizontalAdvance(text) + 40  # room for the arrow
        self.enum_box.setMinimumWidth(min(max(width, 120), 360))
        self.enum_box.setToolTip(", ".join(ticked) if ticked else "Tick the values to show")

    def _lists_ticks(self) -> bool:
        """Whether the value list is one of ticks ('is one of'), not a true/false choice."""
        return self.info.kind != "boolean"

    def _toggle(self, row: int) -> None:
        item = self.enum_model.item(row)
        if item is not None:
            checked = item.checkState() == Qt.CheckState.Checked
            item.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)

    def _on_enum_box_changed(self, index: int) -> None:
        if index >= 0 and self.info.kind != "boolean":
            # A list of ticks has no current item; the placeholder says what is ticked.
            self.enum_box.setCurrentIndex(-1)
        elif index >= 0:
            self.chosen.emit()  # true or false chosen

    def problem(self) -> str | None:
        """Why a typed value is no value of the column ('expected a whole number…'), or None."""
        op = self.op
        if op not in (*ONE_VALUE, "range") or op == "contains" or kind_group(self.info) == "boolean":
            return None  # 'contains' takes any text
        texts = [self.value_edit.text().strip()] + ([self.high_edit.text().strip()] if op == "range" else [])
        # core/data/coercion.py reads the value as core will (imported here: it brings numpy)
        from core.data.coercion import coerce

        for text in texts:
            if not text:
                continue
            try:
                coerce(self.info, text, for_filter=True)
            except (ValueError, TypeError, OverflowError) as exc:
                return str(exc)
        return None

    def _show_problem(self, *_args: object) -> None:
        problem = self.problem()
        self.problem_label.setText(problem or "")
        self.problem_label.setVisible(problem is not None)
        for edit in (self.value_edit, self.high_edit):
            edit.setToolTip(problem or "")

    def _on_column_box_changed(self, _index: int) -> None:
        info = self.info
        self.op_box.blockSignals(True)
        self.op_box.clear()
        ops = OPS[kind_group(info)] + (NULL_OPS if info.nullable else [])
        for op, label in ops:
            self.op_box.addItem(label, op)
        self.op_box.blockSignals(False)
        self.enum_model.clear()
        for value in info.enum_values or ():
            item = QStandardItem(value)
            item.setCheckable(True)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.enum_model.appendRow(item)
        if info.kind == "boolean":
            self.enum_box.clear()
            self.enum_box.addItems(["true", "false"])
        self._show_ticked()
        self._on_op_box_changed(0)

    def _on_op_box_changed(self, _index: int) -> None:
        op, group = self.op, kind_group(self.info)
        self.value_edit.setVisible(op in (*ONE_VALUE, "range") and group != "boolean")
        self.high_edit.setVisible(op == "range")
        example = EXAMPLES.get(self.info.kind) if op != "contains" else None
        hint = "from" if op == "range" else "value"
        self.value_edit.setPlaceholderText(f"{hint}, e.g. {example}" if example else hint)
        self.high_edit.setPlaceholderText(f"to, e.g. {example}" if example else "to")
        self.enum_box.setVisible((group == "enum" and op == "in") or group == "boolean")
        self._show_problem()
        self.chosen.emit()

    def to_filter(self) -> Filter | None:
        """The condition as a Filter; None while it is incomplete or its value is no value of the column."""
        name, op = self.info.name, self.op
        if self.problem() is not None:
            return None
        if op in ("is_null", "not_null"):
            return Filter(name, op)
        if self.info.kind == "boolean":
            return Filter(name, "eq", self.enum_box.currentText() == "true")
        if op == "in":
            values = self.ticked()
            return Filter(name, "in", values) if values else None
        low = self.value_edit.text().strip()
        if op == "range":
            high = self.high_edit.text().strip()
            return Filter(name, "range", (low or None, high or None)) if low or high else None
        if not low:
            return None
        return Filter(name, op, self.value_edit.text())


class FilterBar(QWidget):
    """Quick search plus column conditions; emits `filters_changed(filters, quick)` when they change: after a
    pause in typing, at once on Enter or on a choice from a list."""

    filters_changed = Signal(list, str)

    def __init__(self, entity: Entity, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entity = entity
        self.rows: list[ConditionRow] = []
        self.setObjectName("filterBar")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        top = QHBoxLayout()
        self.quick = QLineEdit()
        self.quick.setObjectName("quickFilter")
        self.quick.setClearButtonEnabled(True)
        index = entity.fulltext
        if index is not None:  # the quick filter searches the table's full-text index (core/data/query.py)
            self.quick.setPlaceholderText(
                f"Full-text search ({index.module.upper()} index {index.table})…  (Ctrl+F)"
            )
            self.quick.setToolTip(
                "Finds rows whose words start with every word typed, through the full-text index "
                f"{index.table};\na row's key finds that row. Applies as you pause typing; Enter at once."
            )
        else:
            self.quick.setPlaceholderText("Search text, JSON and numbers…  (Ctrl+F)")
            self.quick.setToolTip(
                "Finds rows whose text or JSON contains this, or whose number or id equals it.\n"
                "Applies as you pause typing; Enter applies at once."
            )
        self.add_button = QPushButton("+ Condition")
        self.add_button.setObjectName("addConditionButton")
        self.add_button.setToolTip("Filter one column: contains, equals, between, empty, one of…")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove every filter")
        top.addWidget(self.quick, 1)
        top.addWidget(self.add_button)
        top.addWidget(self.clear_button)
        outer.addLayout(top)
        self.rows_layout = QVBoxLayout()
        self.rows_layout.setSpacing(2)
        outer.addLayout(self.rows_layout)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.quick.textChanged.connect(self._on_quick_changed)
        self.quick.returnPressed.connect(self.apply_now)
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.clear_button.clicked.connect(self.clear)
        self._last: tuple[list[Filter], str] | None = None
        self._quiet = False  # while set_filters builds rows: their choices are not the user's

    def add_condition(self, column: str | None = None) -> ConditionRow:
        """Add a condition row (on `column`, else the first column)."""
        row = ConditionRow(self.entity, column, self)
        row.changed.connect(self._schedule)
        row.chosen.connect(self._apply_if_changed)
        row.submitted.connect(self.apply_now)
        row.remove_requested.connect(lambda: self._remove(row))
        self.rows.append(row)
        self.rows_layout.addWidget(row)
        return row

    def set_filters(self, filters: list[Filter]) -> None:
        """Show these filters as conditions (e.g. when opened from a related row), without emitting."""
        self._quiet = True
        try:
            self._show_filters(filters)
        finally:
            self._quiet = False
        self._timer.stop()
        self._last = (self.filters(), self.quick_text())

    def _show_filters(self, filters: list[Filter]) -> None:
        for f in filters:
            row = self.add_condition(f.column)
            row.set_op(f.op)
            if f.op == "in":
                row.check_values([str(v) for v in f.value or []])
            elif f.op == "range":
                low, high = f.value
                row.value_edit.setText("" if low is None else str(low))
                row.high_edit.setText("" if high is None else str(high))
            elif f.value is not None and row.info.kind != "boolean":
                row.value_edit.setText(str(f.value))
            elif row.info.kind == "boolean":
                row.enum_box.setCurrentText("true" if f.value else "false")

    def _remove(self, row: ConditionRow) -> None:
        self.rows.remove(row)
        row.deleteLater()
        self._apply_if_changed()

    def clear(self) -> None:
        """Remove the quick filter and every condition."""
        for row in list(self.rows):
            self.rows.remove(row)
            row.deleteLater()
        self.quick.clear()
        self._apply_if_changed()

    def filters(self) -> list[Filter]:
        """The complete conditions as Filters."""
        return [f for f in (r.to_filter() for r in self.rows) if f is not None]

    def quick_text(self) -> str:
        """The quick-filter text, stripped."""
        return self.quick.text().strip()

    def apply_now(self) -> None:
        """Emit the current filters at once (Enter, a choice from a list), even when unchanged."""
        self._timer.stop()
        if not self._quiet:
            self._last = (self.filters(), self.quick_text())
            self.filters_changed.emit(*self._last)

    def focus_quick(self) -> None:
        """Put the cursor in the quick filter, its text selected (Ctrl+F)."""
        self.quick.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.quick.selectAll()

    def _schedule(self) -> None:
        self._timer.start()

    def _on_quick_changed(self, _text: str) -> None:
        self._schedule()

    def _apply_if_changed(self) -> None:
        """Emit now (skipping the pause) if the filters differ from those last emitted."""
        self._timer.stop()
        self._on_timer_timeout()

    def _on_add_button_clicked(self) -> None:
        self.add_condition().value_edit.setFocus()

    def _on_timer_timeout(self) -> None:
        if self._quiet:
            return
        current = (self.filters(), self.quick_text())
        if current == self._last:
            return
        self._last = current
        self.filters_changed.emit(*current)
