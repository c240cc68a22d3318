"""The foreign-key cell editor: type part of a label, pick one of at most 50 matches fetched off-thread."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from core.data.lookup import LabelMatch, opening_matches, search_labels
from core.engine.db import Database
from core.schema.catalog import Catalog, ForeignKeyInfo
from gui.editor.delegates.editors import INVALID
from gui.runtime import workers

DEBOUNCE_MS = 200
MAX_MATCHES = 50
MATCH_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_COLOUR = QColor("#80868b")
ERROR_COLOUR = "#c62828"
ROW_PADDING = 6
STYLE = f"""
QFrame#fkPicker {{ background: palette(base); border: 1px solid palette(highlight); border-radius: 3px; }}
QLabel#pickerStatus {{ color: #5f6368; font-size: 11px; }}
QLabel#pickerStatus[error="true"] {{ color: {ERROR_COLOUR}; }}
QLabel#pickerHint {{ color: #80868b; font-size: 10px; }}
"""
MOVES: dict[int, int] = {
    Qt.Key.Key_Down: 1,
    Qt.Key.Key_Up: -1,
    Qt.Key.Key_PageDown: 8,
    Qt.Key.Key_PageUp: -8,
}


class ForeignKeyPicker(QFrame):
    """A search box over a list of "label — key" matches from the referenced entity."""

    committed = Signal()  # a row (or NULL) was chosen: save it
    cancelled = Signal()  # Esc: leave the cell as it was
    matches_shown = Signal(int)  # a search's results are on screen (how many)

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        fk: ForeignKeyInfo,
        *,
        nullable: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.catalog, self.fk, self.nullable = db, catalog, fk, nullable
        self._chosen: Any = INVALID
        self._current: Any = None
        self.setObjectName("fkPicker")
        self.setAutoFillBackground(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(STYLE)
        self.line_edit = QLineEdit(self)
        self.line_edit.setPlaceholderText(f"Search {fk.target}…" + (" (empty = NULL)" if nullable else ""))
        self.line_edit.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setItemDelegate(MatchDelegate(self.list))
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setUniformItemSizes(True)
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.status = QLabel(self)
        self.status.setObjectName("pickerStatus")
        self.hint = QLabel("↑↓ move · Enter choose · Esc cancel", self)
        self.hint.setObjectName("pickerHint")
        footer = QHBoxLayout()
        footer.setContentsMargins(4, 0, 4, 1)
        footer.addWidget(self.status, 1)
        footer.addWidget(self.hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.line_edit)
        layout.addWidget(self.list, 1)
        layout.addLayout(footer)
        self.setFocusProxy(self.line_edit)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.line_edit.textEdited.connect(self._on_line_edit_edited)
        self.line_edit.installEventFilter(self)
        self.list.clicked.connect(self._on_list_clicked)

    # --- values ---------------------------------------------------------------------------------

    def set_value(self, value: Any, label: str | None = None) -> None:
        """Start from the cell's current key: its row first, then the first rows by label (off-thread)."""
        self._current = value
        self._chosen = INVALID
        self.line_edit.setText(label or ("" if value is None else str(value)))
        self.line_edit.selectAll()
        if value is None:
            self.search("")
            return
        self._set_status("Searching…")
        workers.run(
            opening_matches, self.db, self.catalog, self.fk, value,
            on_done=self._on_opening_done, on_error=self._on_search_failed,
            on_aborted=self._on_search_aborted, owner=self, key="search",
            interruptible=True,  # the next keystroke's search stops this one
        )  # fmt: skip

    def value(self) -> Any:
        """The chosen key value, None when NULL was chosen, or INVALID when nothing was chosen."""
        return self._chosen

    def choose(self, match: LabelMatch | None) -> None:
        """Take `match` (None means NULL) as the value and ask to save it."""
        if match is None and not self.nullable:
            self._set_status(f"{self.fk.columns[0]} cannot be empty: pick a row", error=True)
            return
        self._chosen = None if match is None else match.key[self.fk.target_columns[0]]
        if match is not None:
            self.line_edit.setText(match.label)
        self.committed.emit()

    # --- searching ------------------------------------------------------------------------------

    def search(self, text: str) -> None:
        """Fetch at most MAX_MATCHES matches for `text` on a worker; an older search's result is dropped."""
        self.timer.stop()
        self._set_status("Searching…")
        workers.run(
            search_labels, self.db, self.catalog, self.fk.target, text,
            limit=MAX_MATCHES, key_columns=self.fk.target_columns,
            on_done=functools.partial(self._show, text=text), on_error=self._on_search_failed,
            on_aborted=self._on_search_aborted, owner=self, key="search", interruptible=True,
        )  # fmt: skip

    def matches(self) -> list[LabelMatch]:
        """The matches on show, in order."""
        return [self.list.item(i).data(MATCH_ROLE) for i in range(self.list.count())]

    def _on_line_edit_edited(self, _text: str) -> None:
        self._chosen = INVALID
        self.timer.start()  # restarts: only a pause in typing searches

    def _on_timer_timeout(self) -> None:
        self.search(self.line_edit.text())

    def _on_opening_done(self, found: list[LabelMatch]) -> None:
        current = found[0] if found and found[0].key.get(self.fk.target_columns[0]) == self._current else None
        if current is not None and not self.line_edit.isModified():
            self.line_edit.setText(current.label)
            self.line_edit.selectAll()
        self._show(found, text="")

    def _show(self, found: list[LabelMatch], text: str) -> None:
        """Put a search's matches in the list, the cell's current row selected when it is there."""
        text = text.strip()
        self.list.clear()
        current_row = 0
        for i, match in enumerate(found):
            item = QListWidgetItem(f"{match.label} — {_key_text(match.key)}")
            item.setData(MATCH_ROLE, match)
            item.setToolTip(f"{match.label}\n{_key_text(match.key)}")
            self.list.addItem(item)
            if self._current is not None and match.key.get(self.fk.target_columns[0]) == self._current:
                current_row = i
        self.list.setProperty("highlight", text)
        if found:
            self.list.setCurrentRow(current_row)
        self._set_status(_count_text(len(found), text))
        self.matches_shown.emit(len(found))

    def _on_search_failed(self, failure: workers.Failure) -> None:
        self._set_status(failure.message, error=True)

    def _on_search_aborted(self) -> None:
        self._set_status("Search stopped.")  # the crash handler reports why; "Searching…" must not stay

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status.setProperty("error", error)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setText(text)

    # --- keyboard and mouse ---------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Arrows move in the list while typing; Enter chooses; Esc cancels."""
        if watched is self.line_edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in MOVES:
                self._move(MOVES[key])
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._choose_current()
                return True
            if key == Qt.Key.Key_Escape:
                self.cancelled.emit()
                return True
        return super().eventFilter(watched, event)

    def _move(self, step: int) -> None:
        if self.list.count():
            row = min(max(self.list.currentRow() + step, 0), self.list.count() - 1)
            self.list.setCurrentRow(row)

    def _choose_current(self) -> None:
        if self.timer.isActive():  # Enter before the debounce fired: search now, choose when it answers
            self.search(self.line_edit.text())
            return
        if not self.line_edit.text().strip():
            self.choose(None)
            return
        item = self.list.currentItem()
        if item is not None:
            self.choose(item.data(MATCH_ROLE))

    def _on_list_clicked(self, index: QModelIndex) -> None:
        self.choose(index.data(MATCH_ROLE))


def _key_text(key: dict[str, Any]) -> str:
    values = list(key.values())
    return str(values[0]) if len(values) == 1 else ", ".join(f"{k}={v}" for k, v in key.items())


def _short_key(key: dict[str, Any]) -> str:
    """A key short enough for the list: a UUID by its first 8 digits (the tooltip has it whole)."""
    values = list(key.values())
    if len(values) == 1 and isinstance(values[0], uuid.UUID):
        return values[0].hex[:8] + "…"
    return _key_text(key)


def _count_text(count: int, text: str) -> str:
    """The status line under the list."""
    if count == 0:
        return f"No match for “{text}”" if text else "No rows to pick from"
    if count >= MAX_MATCHES:
        return f"First {count}: type to narrow"
    return f"{count} match{'es' if count != 1 else ''}"


class MatchDelegate(QStyledItemDelegate):
    """Paints a match as its label (typed text in bold) and, greyed on the right, its key."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        """Draw the row background, then label and key."""
        match: LabelMatch | None = index.data(MATCH_ROLE)
        if match is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        rect = opt.rect.adjusted(6, 0, -6, 0)
        key = _short_key(match.key)
        fm = opt.fontMetrics
        key_w = min(fm.horizontalAdvance(key), rect.width() // 2)
        painter.save()
        key_colour = opt.palette.highlightedText().color() if selected else KEY_COLOUR
        painter.setPen(key_colour)
        key_rect = QRect(rect.right() - key_w, rect.top(), key_w, rect.height())
        elided_key = fm.elidedText(key, Qt.TextElideMode.ElideRight, key_w)
        painter.drawText(key_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, elided_key)
        text_colour = opt.palette.highlightedText().color() if selected else opt.palette.text().color()
        painter.setPen(text_colour)
        label_rect = QRect(rect.left(), rect.top(), rect.width() - key_w - 12, rect.height())
        view = self.parent()
        assert view is not None  # the match list, which it paints for
        self._draw_label(painter, label_rect, opt.font, match.label, str(view.property("highlight") or ""))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        """Rows with a little air."""
        hint = super().sizeHint(option, index)
        return QSize(hint.width(), hint.height() + ROW_PADDING)

    @staticmethod
    def _draw_label(painter: QPainter, rect: QRect, font: QFont, label: str, typed: str) -> None:
        """The label, elided, with the first occurrence of the typed text in bold."""
        plain = QFontMetrics(font)
        label = plain.elidedText(label, Qt.TextElideMode.ElideRight, rect.width())
        at = label.lower().find(typed.lower()) if typed else -1
        parts = [(label, False)] if at < 0 else [
            (label[:at], False), (label[at : at + len(typed)], True), (label[at + len(typed) :], False)
        ]  # fmt: skip
        bold = QFont(font)
        bold.setBold(True)
        x = rect.left()
        for text, strong in parts:
            painter.setFont(bold if strong else font)
            width = QFontMetrics(bold if strong else font).horizontalAdvance(text)
            painter.drawText(
                QRect(x, rect.top(), width + 1, rect.height()), Qt.AlignmentFlag.AlignVCenter, text
            )
            x += width
