"""The status bar's level badge: red READ-ONLY, amber CONFIRM, violet UNLOCKED until 14:05, green EDITOR."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QLabel, QWidget

from gui.safety.state import LevelState

COLOURS = {"read-only": "#b3261e", "confirm": "#a15c07", "editor": "#1e7b34", "unlocked": "#6d28d9"}
STYLE = (
    "QLabel {{ background: {colour}; color: #ffffff; font-weight: 700; border-radius: 3px;"
    " padding: 1px 8px; margin: 2px 4px; }}"
)


class LevelBadge(QLabel):
    """Shows the open connection's level; a click on READ-ONLY asks to unlock it (`unlock_requested`)."""

    unlock_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("levelBadge")
        self.state: LevelState | None = None
        self.hide()

    def show_state(self, state: LevelState | None) -> None:
        """Show `state` (None: nothing open, no badge)."""
        self.state = state
        text = state.badge_text if state is not None else ""
        self.setVisible(bool(text))
        if state is None or not text:
            self.clear()
            self.setToolTip("")
            return
        self.setText(text)
        self.setToolTip(state.tooltip)
        colour = COLOURS["unlocked" if state.unlocked else state.level]
        self.setStyleSheet(STYLE.format(colour=colour))
        clickable = state.level == "read-only" and not state.unlocked
        self.setCursor(Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """A click on READ-ONLY asks to unlock editing."""
        state = self.state
        left = event.button() == Qt.MouseButton.LeftButton
        if left and state is not None and state.level == "read-only" and not state.unlocked:
            self.unlock_requested.emit()
        super().mouseReleaseEvent(event)
