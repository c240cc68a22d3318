"""Small parts of the table editor: the inline message bar and the keeper of column widths per entity."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QToolButton, QWidget

from gui import settings

ERROR_STYLE = "QLabel { background: #fdecea; color: #8e1b10; padding: 4px 6px; }"
INFO_STYLE = "QLabel { background: #e8f0fe; color: #174ea6; padding: 4px 6px; }"
SAVE_DELAY_MS = 500
MAX_DEFAULT_WIDTH = 280


class MessageBar(QWidget):
    """One short inline message (error or info) with a close button; a new message replaces the old."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button)
        self.close_button.clicked.connect(self.hide)
        self.hide()

    def show_message(self, text: str, *, error: bool = True, timeout_ms: int = 0) -> None:
        """Show `text`; an info message with a timeout hides itself unless replaced meanwhile."""
        self.label.setText(text)
        self.label.setStyleSheet(ERROR_STYLE if error else INFO_STYLE)
        self.show()
        if timeout_ms:
            QTimer.singleShot(timeout_ms, self, lambda: self._expire(text))

    def text(self) -> str:
        """The message shown (also when hidden)."""
        return self.label.text()

    def _expire(self, text: str) -> None:
        if self.label.text() == text:
            self.hide()


class ColumnWidths(QObject):
    """Restores an entity's saved column widths once, and saves them (debounced) when the user resizes."""

    def __init__(self, header: QHeaderView, entity: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.header, self.entity = header, entity
        self.restored = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        header.sectionResized.connect(self._on_header_section_resized)

    def _names(self) -> list[str]:
        model = self.header.model()
        if model is None:
            return []
        return [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())]

    def restore(self) -> None:
        """Apply the saved widths (capping very wide defaults); only the first call does anything."""
        names = self._names()
        if self.restored or not names:
            return
        saved = settings.column_widths(self.entity)
        for c, name in enumerate(names):
            width = saved.get(name)
            if width:
                self.header.resizeSection(c, width)
            elif self.header.sectionSize(c) > MAX_DEFAULT_WIDTH:
                self.header.resizeSection(c, MAX_DEFAULT_WIDTH)
        self.restored = True

    def _on_header_section_resized(self, *_args: Any) -> None:
        if self.restored:
            self._timer.start()

    def _on_timer_timeout(self) -> None:
        widths = {name: self.header.sectionSize(c) for c, name in enumerate(self._names())}
        settings.set_column_widths(self.entity, widths)
