"""A message over an empty grid: "Filtering…" while a new filter's rows are on their way, "No rows match"."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget

OVERLAY_STYLE = "QLabel#gridOverlay { color: #5f6368; background: transparent; font-size: 13pt; }"


class GridOverlay(QLabel):
    """A centred message over a view's viewport that clicks pass through; it follows the viewport's size."""

    def __init__(self, viewport: QWidget) -> None:
        super().__init__(viewport)
        self.setObjectName("gridOverlay")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(OVERLAY_STYLE)
        self.setGeometry(viewport.rect())
        viewport.installEventFilter(self)
        self.hide()

    def show_text(self, text: str) -> None:
        """Show `text` over the grid; an empty text hides the overlay."""
        self.setText(text)
        if not text:
            self.hide()
            return
        viewport = self.parentWidget()
        if viewport is not None:
            self.setGeometry(viewport.rect())
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Keep covering the viewport when it is resized; every event passes on."""
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            self.setGeometry(watched.rect())  # only the viewport is watched
        return False
