"""The table editor's messages: the inline message bar (errors) and the toast over the grid (notes)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

ERROR_STYLE = "QLabel { background: #fdecea; color: #8e1b10; padding: 4px 6px; }"
INFO_STYLE = "QLabel { background: #e8f0fe; color: #174ea6; padding: 4px 6px; }"
TOAST_STYLE = """
QFrame#toast { background: #323232; border-radius: 6px; }
QLabel#toastText { color: #ffffff; background: transparent; }
QToolButton#toastClose { color: #e0e0e0; border: none; padding: 0 4px; }
QToolButton#toastClose:hover { color: #ffffff; background: #505050; border-radius: 3px; }
"""
TOAST_MARGIN = 12
SCROLL_BAR_ROOM = 16
TOAST_MAX_WIDTH = 460
#: How long a note ("Saved.", "Exported…") stays unless the caller says otherwise.
NOTE_TIMEOUT_MS = 6000


class Toast(QFrame):
    """A transient note floating over a corner of another widget: it never moves that widget's layout."""

    def __init__(self, anchor: QWidget) -> None:
        super().__init__(anchor)
        self.anchor = anchor
        self.setObjectName("toast")
        self.setStyleSheet(TOAST_STYLE)
        self.label = QLabel()
        self.label.setObjectName("toastText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setObjectName("toastClose")
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a click must not pull focus off the grid
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 4, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.close_button.clicked.connect(self.hide)
        anchor.installEventFilter(self)
        self.hide()

    def show_text(self, text: str) -> None:
        """Show `text` in the anchor's bottom-right corner, above everything in it."""
        self.label.setText(text)
        self._place()
        self.show()
        self.raise_()

    def _place(self) -> None:
        edge = TOAST_MARGIN + SCROLL_BAR_ROOM  # clear of a scroll area's scroll bars
        room = self.anchor.rect().adjusted(TOAST_MARGIN, TOAST_MARGIN, -edge, -edge)
        width = min(max(self.sizeHint().width(), 160), TOAST_MAX_WIDTH, max(room.width(), 80))
        height = self.heightForWidth(width) if self.hasHeightForWidth() else self.sizeHint().height()
        self.setGeometry(room.right() - width + 1, max(room.bottom() - height + 1, room.top()), width, height)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Stay in the corner when the anchor is resized."""
        if watched is self.anchor and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return super().eventFilter(watched, event)


class MessageBar(QWidget):
    """The editor's messages: errors inline above the grid (until dismissed or replaced); notes such as
    "Saved." in a toast over the grid's corner that goes away by itself, so the grid never shifts."""

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
        self.toast: Toast | None = None
        self._anchor: QWidget | None = None
        self._last = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer_timeout)
        super().hide()

    def float_over(self, anchor: QWidget) -> None:
        """Show notes over `anchor`'s bottom-right corner (by default: over this bar's parent)."""
        self._anchor = anchor

    def show_message(self, text: str, *, error: bool = True, timeout_ms: int = 0) -> None:
        """Show `text`: an error inline until dismissed, a note as a toast for `timeout_ms` (0: a default)."""
        self._last = text
        self._timer.stop()
        if error:
            self._hide_toast()
            self.label.setText(text)
            self.label.setStyleSheet(ERROR_STYLE)
            self.show()
            if timeout_ms:
                self._timer.start(timeout_ms)
            return
        super().hide()  # a note replaces an earlier error (a save that now worked, say)
        toast = self._toast()
        if toast is None:  # nowhere to float: inline, but still timed
            self.label.setText(text)
            self.label.setStyleSheet(INFO_STYLE)
            self.show()
        else:
            toast.show_text(text)
        self._timer.start(timeout_ms or NOTE_TIMEOUT_MS)

    def text(self) -> str:
        """The last message (also when hidden)."""
        return self._last

    def note_visible(self) -> bool:
        """Whether a note (toast) is on screen."""
        return self.toast is not None and self.toast.isVisible()

    def hide(self) -> None:
        """Hide the message, inline or floating."""
        self._timer.stop()
        self._hide_toast()
        super().hide()

    def _toast(self) -> Toast | None:
        anchor = self._anchor or self.parentWidget()
        if anchor is None:
            return None
        if self.toast is None or self.toast.anchor is not anchor:
            self.toast = Toast(anchor)
        return self.toast

    def _hide_toast(self) -> None:
        if self.toast is not None:
            self.toast.hide()

    def _on_timer_timeout(self) -> None:
        self.hide()

