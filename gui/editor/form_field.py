"""One field of the record form: the value as text, and the grid's cell editor only while it is being edited.

A form full of open editors reads like a spreadsheet row turned on its side (every text selected, the FK
picker's list expanded). A field shows its value as a label; it opens the editor the grid would open when
it gets focus (click, Tab) or is double-clicked, and closes it again on Enter, Esc, Tab or a click elsewhere.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFocusEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QCheckBox,
    QLabel,
    QSizePolicy,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from core.schema.catalog import ColumnInfo
from gui.editor.model import roles
from gui.editor.model.roles import Role

#: Kinds shown with their whole text (wrapped) instead of the grid's one-line summary.
LONG_KINDS = frozenset({"text", "json", "array"})
WRAPPED_KINDS = LONG_KINDS | {"string", "enum"}
#: At most this many characters of a long value in the form (the editor holds all of it).
LONG_LIMIT = 600
#: Heights of editors that are bigger than a line (the grid opens these as pop-ups over the cells).
EDITOR_HEIGHTS = {"fkPicker": 230, "popupEditor": 170}
FIELD_STYLE = """
QLabel#fieldValue { padding: 3px 4px; border: 1px solid transparent; border-radius: 3px; }
QLabel#fieldValue[editable="true"]:hover { border-color: palette(mid); }
QLabel#fieldValue[focused="true"] { border-color: palette(highlight); }
"""
START_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2, Qt.Key.Key_Space)


def shown_text(index: QModelIndex | QPersistentModelIndex, info: ColumnInfo | None) -> str:
    """The cell's value as the form reads it: the grid's text, the whole text for long kinds, Yes/No."""
    if info is not None and info.kind == "boolean":
        value = index.data(Qt.ItemDataRole.EditRole)
        return "NULL" if value is None else ("Yes" if value else "No")
    text = index.data(Qt.ItemDataRole.DisplayRole)
    if info is not None and info.kind in LONG_KINDS and text not in (None, "NULL", "…"):
        full = index.data(Role.FULL_TEXT)
        if isinstance(full, str) and full:
            text = full if len(full) <= LONG_LIMIT else full[: LONG_LIMIT - 1] + "…"
    return "" if text is None else str(text)


class FormField(QWidget):
    """A value label that turns into the column's editor while the field is being edited."""

    def __init__(
        self,
        info: ColumnInfo | None,
        column: int,
        delegate: QAbstractItemDelegate | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.info, self.column, self.delegate = info, column, delegate
        self.editor: QWidget | None = None
        self._index = QPersistentModelIndex()
        self._model: QAbstractItemModel | None = None
        self._closing = False  # while the editor closes, the focus it hands back must not reopen it
        self.setObjectName(f"field_{info.name if info else column}")
        self.display = QLabel(self)
        self.display.setObjectName("fieldValue")
        self.display.setWordWrap(True)
        self.display.setTextFormat(Qt.TextFormat.PlainText)
        self.display.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.display.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.display.setStyleSheet(FIELD_STYLE)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.display)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    # --- showing --------------------------------------------------------------------------------

    def set_index(self, index: QModelIndex) -> None:
        """Show the cell at `index` (an invalid index shows nothing)."""
        # Words wrap; a key, a number or a time reads better on one line than broken at a hyphen.
        linked = index.isValid() and index.data(Role.FOREIGN_KEY) is not None  # shows its target's label
        self.display.setWordWrap(self.info is None or self.info.kind in WRAPPED_KINDS or linked)
        self._index = QPersistentModelIndex(index)
        self._model = index.model() if index.isValid() else None
        editable = self._editable()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus if editable else Qt.FocusPolicy.NoFocus)
        self.display.setProperty("editable", editable)
        # A selectable label would take the click (and the focus) that opens the editor.
        flags = Qt.TextInteractionFlag
        self.display.setTextInteractionFlags(
            flags.NoTextInteraction if editable else flags.TextSelectableByMouse
        )
        self.display.setCursor(Qt.CursorShape.IBeamCursor if editable else Qt.CursorShape.ArrowCursor)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the cell: its text, its staged colour, its validation message."""
        index = self._index
        if not index.isValid():
            self.display.setText("")
            return
        text = shown_text(index, self.info)
        self.display.setText(text)
        null = index.data(Qt.ItemDataRole.EditRole) is None
        background = index.data(Qt.ItemDataRole.BackgroundRole)  # staged edit, insert or error (as the grid)
        style = FIELD_STYLE
        if null:
            style += f"QLabel#fieldValue {{ color: {roles.PLACEHOLDER_TEXT.name()}; }}"
        if isinstance(background, QColor):
            style += f"QLabel#fieldValue {{ background: {background.name()}; }}"
        if style != self.display.styleSheet():
            self.display.setStyleSheet(style)
        error = index.data(Role.ERROR)
        tip = index.data(Qt.ItemDataRole.ToolTipRole)
        self.display.setToolTip(str(error or tip or ("Click to edit" if self._editable() else "")))

    def _cell(self) -> QModelIndex:
        """The shown cell as a plain index (invalid when the row is gone)."""
        if self._model is None or not self._index.isValid():
            return QModelIndex()
        return self._model.index(self._index.row(), self._index.column())

    def text(self) -> str:
        """The text the field shows."""
        return self.display.text()

    def _editable(self) -> bool:
        index = self._index
        return bool(
            index.isValid()
            and self.delegate is not None
            and self.info is not None
            and self.info.kind not in ("vector", "binary")
            and index.flags() & Qt.ItemFlag.ItemIsEditable
        )

    # --- editing --------------------------------------------------------------------------------

    @property
    def editing(self) -> bool:
        """Whether the editor is open."""
        return self.editor is not None

    def start_editing(self) -> bool:
        """Open the column's editor on the cell's value; False when the field cannot be edited."""
        if self.editor is not None:
            return True
        if not self._editable():
            return False
        index = self._cell()
        assert self.delegate is not None and self.info is not None  # _editable() checked both
        editor: QWidget | None
        if self.info.kind == "boolean":
            editor = self._check_box(index)
        else:
            editor = self.delegate.createEditor(self, QStyleOptionViewItem(), index)
            if editor is None:
                return False
            self.delegate.setEditorData(editor, index)
            editor.installEventFilter(self.delegate)  # Enter, Esc and Tab close it, as in the grid
        height = EDITOR_HEIGHTS.get(editor.objectName())
        if height is not None:
            editor.setFixedHeight(height)
        # The field's width, not the editor's wish: a pop-up's hint line must not widen the whole form.
        policy = editor.sizePolicy()
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        editor.setSizePolicy(policy)
        for hint in editor.findChildren(QLabel, "editorStatus"):  # its key hints wrap instead of being cut
            hint.setWordWrap(True)
        self.editor = editor
        self.display.hide()
        self._layout.addWidget(editor)
        editor.show()
        editor.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def _check_box(self, index: QModelIndex) -> QCheckBox:
        """A boolean's editor: a check box that stages each click at once."""
        box = QCheckBox("Yes", self)
        box.setObjectName("fieldCheckBox")
        value = index.data(Qt.ItemDataRole.EditRole)
        box.setChecked(bool(value))
        box.toggled.connect(self._on_check_box_toggled)
        return box

    def _on_check_box_toggled(self, on: bool) -> None:
        if self._index.isValid() and self._model is not None:
            self._model.setData(self._cell(), on, Qt.ItemDataRole.EditRole)

    def commit(self) -> None:
        """Hand the open editor's value to the model (staged, undoable)."""
        editor = self.editor
        if editor is None or self.delegate is None or self._model is None or not self._index.isValid():
            return
        if isinstance(editor, QCheckBox):
            return  # staged on each click
        self.delegate.setModelData(editor, self._model, self._cell())

    def finish_editing(self, *, commit: bool) -> None:
        """Close the editor (handing its value to the model first when `commit`); show the value again."""
        editor = self.editor
        if editor is None:
            return
        if commit:
            self.commit()
        self.editor = None
        had_focus = editor.hasFocus() or editor.isAncestorOf(self.focusWidget() or editor)
        self._closing = True
        try:
            if had_focus:
                # keep the focus on this field: hiding a focused editor would hand it to the next one
                self.setFocus(Qt.FocusReason.OtherFocusReason)
            editor.removeEventFilter(self.delegate) if self.delegate is not None else None
            editor.hide()
            editor.deleteLater()
            self.display.show()
        finally:
            self._closing = False
        self.refresh()

    # --- events ---------------------------------------------------------------------------------

    def focusInEvent(self, event: QFocusEvent) -> None:
        """Getting the focus (a click, Tab) opens the editor."""
        super().focusInEvent(event)
        self.display.setProperty("focused", True)
        self._repolish()
        if not self._closing and event.reason() != Qt.FocusReason.ActiveWindowFocusReason:
            self.start_editing()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        """The focus frame goes with the focus."""
        super().focusOutEvent(event)
        self.display.setProperty("focused", False)
        self._repolish()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """A double-click opens the editor, as in the grid."""
        if not self.start_editing():
            super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter, F2 or Space on a focused value opens its editor again."""
        if event.key() in START_KEYS and self.start_editing():
            return
        super().keyPressEvent(event)

    def _repolish(self) -> None:
        self.display.style().unpolish(self.display)
        self.display.style().polish(self.display)

    def move_focus(self, forward: bool) -> None:
        """Tab out of an editor: on to the next (or previous) field."""
        self.focusNextPrevChild(forward)

    def owns(self, widget: Any) -> bool:
        """Whether `widget` is this field's editor or inside it."""
        editor = self.editor
        if editor is None or not isinstance(widget, QWidget):
            return False
        return widget is editor or editor.isAncestorOf(widget)
