"""The paste preview: a pasted block laid out on its target rows and columns, problems red per cell.

It reads the model's PastePreview as plain data: `cells`, each with a target `row`, `column`, the `value`
(or its `text`) and a `problem` (None when the value is fine). Stage is offered only when nothing is wrong.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.editor.dialogs.conflict_dialog import value_text
from gui.editor.model.cells import EMPTY_TEXT
from gui.editor.model.roles import CELL_ERROR, PLACEHOLDER_TEXT

ERROR_TEXT = QColor("#8e1b10")
MAX_COLUMN_WIDTH = 260  # pixels; longer values are elided (the tooltip says what is wrong)


def _problem(cell: Any) -> str | None:
    problem = getattr(cell, "problem", None) or getattr(cell, "error", None)
    return str(problem) if problem else None


def _text(cell: Any) -> str:
    text = getattr(cell, "text", None)
    return str(text) if text is not None else value_text(getattr(cell, "value", None))


class PastePreviewDialog(QDialog):
    """Shows where each pasted value lands; Stage is enabled only when no cell has a problem."""

    def __init__(self, preview: Any, parent: QWidget | None = None, *, entity: str = "") -> None:
        super().__init__(parent)
        self.preview = preview
        self.cells = list(getattr(preview, "cells", []))
        self.problems = [(c, p) for c in self.cells if (p := _problem(c))]
        self.problems += [
            (None, str(p)) for p in getattr(preview, "problems", []) or [] if isinstance(p, str)
        ]
        self.setObjectName("pastePreviewDialog")
        self.setWindowTitle(f"Paste into {entity}" if entity else "Paste")
        self.resize(720, 420)
        layout = QVBoxLayout(self)

        rows = sorted({c.row for c in self.cells})
        columns = list(dict.fromkeys(str(c.column) for c in self.cells))
        summary = QLabel(
            f"<b>Paste {len(rows)} row{'s' if len(rows) != 1 else ''} × {len(columns)} "
            f"column{'s' if len(columns) != 1 else ''}</b>"
            + (f" into {entity}" if entity else "")
            + ". Each value is checked before anything is staged."
        )
        summary.setWordWrap(True)
        layout.addWidget(summary)

        self.status = QLabel(self._status_text())
        self.status.setObjectName("pasteStatus")
        self.status.setWordWrap(True)
        style = "color: #8e1b10; font-weight: bold;" if self.problems else "color: #1e6b2e;"
        self.status.setStyleSheet(style)
        layout.addWidget(self.status)

        self.table = QTableWidget(len(rows), len(columns), self)
        self.table.setObjectName("pasteTable")
        self.table.setHorizontalHeaderLabels(columns)
        self.table.setVerticalHeaderLabels([self._row_label(r) for r in rows])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        row_at = {r: i for i, r in enumerate(rows)}
        col_at = {c: i for i, c in enumerate(columns)}
        for cell in self.cells:
            text = _text(cell)
            item = QTableWidgetItem(text or EMPTY_TEXT)
            if not text:  # an empty string, told apart from a cell that is not there
                font = item.font()
                font.setItalic(True)
                item.setFont(font)
                item.setForeground(QBrush(PLACEHOLDER_TEXT))
            problem = _problem(cell)
            if problem:
                item.setBackground(QBrush(CELL_ERROR))
                item.setForeground(QBrush(ERROR_TEXT))
                item.setToolTip(problem)
            item.setData(Qt.ItemDataRole.UserRole, problem)
            self.table.setItem(row_at[cell.row], col_at[str(cell.column)], item)
        self.table.resizeColumnsToContents()
        for c in range(self.table.columnCount()):  # a 150-character value must not push the rest away
            self.table.setColumnWidth(c, min(self.table.columnWidth(c), MAX_COLUMN_WIDTH))
        layout.addWidget(self.table, 1)

        buttons = QDialogButtonBox()
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.stage_button = buttons.addButton("Stage paste", QDialogButtonBox.ButtonRole.AcceptRole)
        self.stage_button.setObjectName("stageButton")
        self.stage_button.setEnabled(bool(self.cells) and not self.problems)
        self.stage_button.setDefault(self.stage_button.isEnabled())
        self.stage_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(buttons)

    def _row_label(self, row: int) -> str:
        new_from = getattr(self.preview, "new_rows_from", None)
        return f"new {row + 1}" if new_from is not None and row >= new_from else str(row + 1)

    def _status_text(self) -> str:
        if not self.cells:
            return "The clipboard holds nothing to paste here."
        if not self.problems:
            return f"All {len(self.cells):,} values are fine. Stage them, then Save to write them."
        n = len(self.problems)
        first = self.problems[0]
        where = f"row {first[0].row + 1}, {first[0].column}: " if first[0] is not None else ""
        return (
            f"{n} value{'s' if n != 1 else ''} cannot be pasted (red; hover for why): {where}{first[1]}. "
            "Fix the source and paste again."
        )

    def problem_cells(self) -> list[tuple[int, int]]:
        """(row, column) positions in the table of the cells shown red."""
        return [
            (r, c)
            for r in range(self.table.rowCount())
            for c in range(self.table.columnCount())
            if (item := self.table.item(r, c)) is not None and item.data(Qt.ItemDataRole.UserRole)
        ]
