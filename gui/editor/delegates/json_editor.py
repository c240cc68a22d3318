"""The JSON cell editor: pretty-printed and checked as you type.

Ctrl+Enter refuses invalid JSON and points at the error; a click away keeps the text: the delegate hands it
over as typed, and the model stages it marked invalid, so nothing typed is lost and Save refuses it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QKeyEvent, QTextCursor, QTextFormat
from PySide6.QtWidgets import QTextEdit, QWidget

from core.schema.catalog import ColumnInfo
from gui.editor.delegates.editors import INVALID, PopupTextEditor

INDENT = 2
OK_COLOUR = "#1e7e34"
ERROR_COLOUR = "#c62828"
ERROR_LINE = QColor("#fde2e1")
STYLE = (
    # A style sheet border makes the frame skip its auto-filled background: without one, the grid's cells
    # under the editor show through its margins and status line.
    "QFrame#popupEditor { border: 1px solid palette(mid); background: palette(window); } "
    f'QFrame#popupEditor[invalid="true"] {{ border: 2px solid {ERROR_COLOUR}; }}'
)


@dataclass(frozen=True)
class JsonProblem:
    """Why text is not (acceptable) JSON, and where: 1-based line and column."""

    message: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"Line {self.line}, column {self.column}: {self.message}"


def pretty(value: Any) -> str:
    """A stored JSON value as indented text; text that is already JSON is re-indented."""
    if value is None:
        return ""
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            return value if isinstance(value, str) else value.decode("utf-8", "replace")
    if hasattr(value, "tolist"):
        value = value.tolist()
    return json.dumps(value, indent=INDENT, ensure_ascii=False, default=str)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def check(text: str) -> tuple[Any, JsonProblem | None]:
    """Parse `text`: (value, None) when it is JSON the column can hold, else (None, the problem)."""
    if not text.strip():
        return None, None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return None, JsonProblem(exc.msg, exc.lineno, exc.colno)
    except (ValueError, RecursionError) as exc:
        return None, JsonProblem(str(exc), 1, 1)
    return value, None


class JsonEditor(PopupTextEditor):
    """Pretty-printed JSON with a live syntax check; Ctrl+Enter refuses to save while it is invalid."""

    def __init__(self, column: ColumnInfo, parent: QWidget | None = None) -> None:
        super().__init__(column, parent)
        self.problem: JsonProblem | None = None
        self.setStyleSheet(STYLE)
        font = self.text_edit.font()
        font.setStyleHint(font.StyleHint.Monospace)
        font.setFamily("monospace")
        self.text_edit.setFont(font)
        self.text_edit.setLineWrapMode(self.text_edit.LineWrapMode.NoWrap)
        self.text_edit.textChanged.connect(self._on_text_changed)
        self._on_text_changed()

    def set_value(self, value: Any) -> None:
        """Show the stored value pretty-printed."""
        self.text_edit.setPlainText(pretty(value))
        self.text_edit.moveCursor(QTextCursor.MoveOperation.Start)

    def value(self) -> Any:
        """The parsed JSON (None for an empty editor), or INVALID."""
        value, problem = check(self.text_edit.toPlainText())
        return INVALID if problem is not None else value

    def is_valid(self) -> bool:
        """Whether the text can be saved."""
        return self.problem is None

    def request_commit(self) -> None:
        """Save when valid; otherwise keep the editor open and put the cursor on the error."""
        if self.problem is None:
            self.commit_requested.emit()
            return
        self._show_problem_position()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Ctrl+Shift+F re-indents valid JSON; the rest as in PopupTextEditor."""
        if watched is self.text_edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
            if event.key() == Qt.Key.Key_F and event.modifiers() == mods:
                self.reformat()
                return True
        return super().eventFilter(watched, event)

    def reformat(self) -> None:
        """Re-indent the text when it is valid JSON."""
        value = self.value()
        if value is not INVALID and self.text_edit.toPlainText().strip():
            self.text_edit.setPlainText(pretty(value))

    def _on_text_changed(self) -> None:
        _, self.problem = check(self.text_edit.toPlainText())
        invalid = self.problem is not None
        self.setProperty("invalid", invalid)
        self.style().unpolish(self)
        self.style().polish(self)
        if invalid:
            self.status.setText(f"✗ {self.problem}")
            self.status.setStyleSheet(f"color: {ERROR_COLOUR}; font-size: 11px;")
        else:
            empty = not self.text_edit.toPlainText().strip()
            what = "Empty: saves NULL" if empty else "✓ Valid JSON"
            self.status.setText(f"{what} · Ctrl+Enter to save · Esc to cancel · Ctrl+Shift+F to format")
            self.status.setStyleSheet(f"color: {OK_COLOUR}; font-size: 11px;")
        self._mark_error_line()

    def _mark_error_line(self) -> None:
        """Tint the line the error is on."""
        selections = []
        if self.problem is not None:
            block = self.text_edit.document().findBlockByNumber(self.problem.line - 1)
            if block.isValid():
                sel = QTextEdit.ExtraSelection()
                sel.format.setBackground(ERROR_LINE)
                sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
                sel.cursor = QTextCursor(block)
                selections.append(sel)
        self.text_edit.setExtraSelections(selections)

    def _show_problem_position(self) -> None:
        """Move the cursor to where the parser gave up."""
        if self.problem is None:
            return
        block = self.text_edit.document().findBlockByNumber(self.problem.line - 1)
        if block.isValid():
            cursor = QTextCursor(block)
            cursor.movePosition(
                QTextCursor.MoveOperation.Right, n=min(self.problem.column - 1, block.length() - 1)
            )
            self.text_edit.setTextCursor(cursor)
        self.text_edit.setFocus()
