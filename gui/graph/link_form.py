"""The small form a drag between two records opens for a new link-table row: the row's attributes (direction,
connection type, strength …) with their defaults filled; OK waits until the required ones are given."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.graph.link_edits import LinkField
from core.schema.kinds import ColumnKind

#: What a required choice shows before one is made.
CHOOSE = "Choose…"
INT_LIMIT = 2_147_483_647


class LinkForm(QDialog):
    """A new link row's attributes; `values()` once accepted."""

    def __init__(self, title: str, ends: str, fields: list[LinkField], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("graphLinkForm")
        self.setWindowTitle(title)
        self.fields = fields
        self.editors: dict[str, QWidget] = {}
        layout = QVBoxLayout(self)
        heading = QLabel(f"<b>{html.escape(title)}</b><br>{html.escape(ends)}")
        heading.setObjectName("graphLinkEnds")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        form = QFormLayout()
        for f in fields:
            editor = self._editor(f)
            editor.setObjectName(f"link_{f.name}")
            self.editors[f.name] = editor
            form.addRow(f"{f.name}{' *' if f.required else ''}", editor)
        layout.addLayout(form)
        self.note = QLabel("* required")
        self.note.setObjectName("graphLinkNote")
        layout.addWidget(self.note)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Stage Link")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._check()

    def _editor(self, f: LinkField) -> QWidget:
        if f.choices:
            box = QComboBox()
            if f.required and f.default is None:
                box.addItem(CHOOSE, None)
            elif not f.required:
                box.addItem("", None)
            for choice in f.choices:
                box.addItem(choice, choice)
            if f.default in f.choices:
                box.setCurrentIndex(box.findData(f.default))
            box.currentIndexChanged.connect(self._check)
            return box
        if f.kind == ColumnKind.BOOLEAN:
            check = QCheckBox()
            check.setChecked(bool(f.default))
            return check
        if f.kind == ColumnKind.INTEGER:
            spin = QSpinBox()
            spin.setRange(-INT_LIMIT, INT_LIMIT)
            spin.setValue(int(f.default or 0))
            return spin
        if f.kind in (ColumnKind.FLOAT, ColumnKind.DECIMAL):
            number = QDoubleSpinBox()
            number.setRange(-1e12, 1e12)
            number.setDecimals(4)
            number.setValue(float(f.default or 0.0))
            return number
        line = QLineEdit("" if f.default is None else str(f.default))
        line.setPlaceholderText("required" if f.required else "empty")
        line.textChanged.connect(self._check)
        return line

    def set_value(self, name: str, value: Any) -> None:
        """Fill one field as a person would (tests and screenshots)."""
        editor = self.editors[name]
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(editor.findData(value))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(value))
        elif isinstance(editor, QDoubleSpinBox):
            editor.setValue(float(value))
        elif isinstance(editor, QLineEdit):
            editor.setText("" if value is None else str(value))

    def values(self) -> dict[str, Any]:
        """The attributes as filled in (None: left empty, the database's default or NULL)."""
        out: dict[str, Any] = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                out[name] = editor.currentData()
            elif isinstance(editor, QCheckBox):
                out[name] = editor.isChecked()
            elif isinstance(editor, QSpinBox | QDoubleSpinBox):
                out[name] = editor.value()
            elif isinstance(editor, QLineEdit):
                out[name] = editor.text() or None
        return out

    def missing(self) -> list[str]:
        """The required fields still empty."""
        values = self.values()
        return [f.name for f in self.fields if f.required and values.get(f.name) in (None, "")]

    def _check(self) -> None:
        missing = self.missing()
        self.ok.setEnabled(not missing)
        self.note.setText(f"Still needed: {', '.join(missing)}" if missing else "* required")
