"""The array cell editor (PostgreSQL text[], int[]…): one item per line, each checked as you type.

A designer types a list the way they would write it on paper; a JSON list (`["a", "b"]`) is read too, and
an array whose items would not survive one per line (blank items, line breaks, NULLs) opens as JSON. An
empty editor saves NULL; `[]` is an empty list. Ctrl+Enter refuses a list with a bad item and puts the
cursor on its line; a click away keeps the text, which the model stages marked invalid.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtGui import QColor, QTextCursor, QTextFormat
from PySide6.QtWidgets import QTextEdit, QWidget

from core.data.coercion import array_item_column, coerce
from core.schema.catalog import ColumnInfo
from gui.editor.delegates.editors import INVALID, PopupTextEditor

OK_COLOUR = "#1e7e34"
ERROR_COLOUR = "#c62828"
ERROR_LINE = QColor("#fde2e1")
STYLE = (
    "QFrame#popupEditor { border: 1px solid palette(mid); background: palette(window); } "
    f'QFrame#popupEditor[invalid="true"] {{ border: 2px solid {ERROR_COLOUR}; }}'
)
KEYS = "Ctrl+Enter saves · Esc cancels"


def array_text(value: Any) -> str:
    """A stored array as the editor shows it: one item per line, or JSON when lines would lose something."""
    if value is None:
        return ""
    items = value.tolist() if hasattr(value, "tolist") else value
    if isinstance(items, str):
        return items  # staged text, shown as typed
    items = list(items)
    as_lines = [str(x) for x in items]
    lines = all(x is not None and _one_line(line) for x, line in zip(items, as_lines, strict=True))
    if items and lines and not as_lines[0].lstrip().startswith("["):  # a first "[" would read as JSON
        return "\n".join(as_lines)
    return json.dumps(items, ensure_ascii=False, default=str)


def array_lines(text: str) -> list[str]:
    """An array typed one item per line: each line that is not blank is an item, as typed."""
    return [line for line in text.splitlines() if line.strip()]


def _one_line(text: str) -> bool:
    return bool(text.strip()) and "\n" not in text and "\r" not in text


def check_items(column: ColumnInfo, text: str) -> tuple[Any, int | None, str | None]:
    """Read `text` as the column's array: (the list, None, None), or (None, the 1-based line, why)."""
    if not text.strip():
        return None, None, None
    if text.lstrip().startswith("["):
        try:
            return coerce(column, text), None, None
        except ValueError as exc:
            return None, 1, str(exc)
    item = array_item_column(column)
    for number, line in enumerate(text.splitlines(), 1):
        try:
            coerce(item, line) if line.strip() else None
        except ValueError as exc:
            return None, number, str(exc)
    try:
        return coerce(column, array_lines(text)), None, None  # the array's own rules, as Save reads it
    except ValueError as exc:
        return None, 1, str(exc)


class ArrayEditor(PopupTextEditor):
    """An array's items, one per line, with a live check of each item against the item type."""

    def __init__(self, column: ColumnInfo, parent: QWidget | None = None) -> None:
        super().__init__(column, parent)
        self.item_kind = column.item_kind or "text"
        self.problem: tuple[int, str] | None = None
        self.setStyleSheet(STYLE)
        self.text_edit.setLineWrapMode(self.text_edit.LineWrapMode.NoWrap)
        self.text_edit.setPlaceholderText("One item per line")
        self.status.setWordWrap(True)  # an item's problem can be longer than the editor is wide
        self.text_edit.textChanged.connect(self._on_text_changed)
        self._on_text_changed()

    def set_value(self, value: Any) -> None:
        """Show the stored array, one item per line."""
        self.text_edit.setPlainText(array_text(value))
        self.text_edit.moveCursor(QTextCursor.MoveOperation.End)

    def value(self) -> Any:
        """The list read item by item (None for an empty editor), or INVALID."""
        value, line, _ = check_items(self.column, self.text_edit.toPlainText())
        return INVALID if line is not None else value

    def typed_text(self) -> str:
        """Lines that do not read, as a JSON list of the lines: the model stages it marked with the item's
        problem (a JSON list as typed stays as typed)."""
        text = self.text_edit.toPlainText()
        return text if text.lstrip().startswith("[") else json.dumps(array_lines(text), ensure_ascii=False)

    def is_valid(self) -> bool:
        """Whether the text can be saved."""
        return self.problem is None

    def request_commit(self) -> None:
        """Save when every item reads; otherwise keep the editor open on the bad item's line."""
        if self.problem is None:
            self.commit_requested.emit()
            return
        block = self.text_edit.document().findBlockByNumber(self.problem[0] - 1)
        if block.isValid():
            self.text_edit.setTextCursor(QTextCursor(block))
        self.text_edit.setFocus()

    def _on_text_changed(self) -> None:
        text = self.text_edit.toPlainText()
        value, line, why = check_items(self.column, text)
        self.problem = (line, why or "") if line is not None else None
        self.setProperty("invalid", self.problem is not None)
        self.style().unpolish(self)
        self.style().polish(self)
        if self.problem is not None:
            self.status.setText(f"✗ Line {line}: {why}")
            self.status.setStyleSheet(f"color: {ERROR_COLOUR}; font-size: 11px;")
        else:
            n = len(value) if value is not None else 0
            what = (
                "Empty: saves NULL ([] is an empty list)" if value is None else f"✓ {n} item{'s' * (n != 1)}"
            )
            self.status.setText(f"{what} · one {self.item_kind} per line · {KEYS}")
            self.status.setStyleSheet(f"color: {OK_COLOUR}; font-size: 11px;")
        self._mark_line(line)

    def _mark_line(self, line: int | None) -> None:
        """Tint the line of the item that does not read."""
        selections = []
        if line is not None:
            block = self.text_edit.document().findBlockByNumber(line - 1)
            if block.isValid():
                sel = QTextEdit.ExtraSelection()
                sel.format.setBackground(ERROR_LINE)
                sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
                sel.cursor = QTextCursor(block)
                selections.append(sel)
        self.text_edit.setExtraSelections(selections)
